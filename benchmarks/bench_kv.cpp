// bench_kv: the KV journal against LMDB, LevelDB and SQLite, side by side in
// one run (DESIGN.md §4).
//
//   bench_kv              quick mode: 20,000 keys, 200,000 replay records,
//                         200 durable writes, 3 repetitions
//   bench_kv --full       (or MEMVEC_BENCH_FULL=1) the DESIGN.md §4 sizes:
//                         100,000 keys, 1,000,000 replay records, 2,000
//                         durable writes, 5 repetitions
//   MEMVEC_BENCH_KEYS / MEMVEC_BENCH_REPLAY / MEMVEC_BENCH_DURABLE override the
//   three sizes; every --benchmark_* flag works as usual.
//
// Workloads (items/s = operations per second; compare the medians):
//   set_int/<store>      N distinct keys, int64 values, one write per call
//   set_str/<store>      the same with 32-byte string values
//   get_int/<store>      get of the same N keys (int values), random order
//                        (fixed seed), from a store filled beforehand
//   replay/...           KVJournal only: open a journal file of R set
//                        records (FileBackend::open + KVJournal::open, which
//                        replays every record into the index); items = records
//   durable_set/<store>  D distinct keys, int values, each write made durable
//                        before it returns (an fsync-class call per write)
//
// Stores: memvec_file = KVJournal<FileBackend> (MemMappedKVJournal, default
// Durability::process_crash; power_loss for durable_set), memvec_anon =
// KVJournal<AnonBackend>; lmdb = MDB_NOSYNC|MDB_WRITEMAP, one write
// transaction per put (durable: MDB_WRITEMAP, syncing); leveldb = default
// options (durable: WriteOptions::sync = true); sqlite = WAL, prepared
// statements, autocommit (one statement per put), synchronous=OFF (durable:
// FULL). Keys are 14 bytes ("key:" + 10 digits), written in a shuffled order
// (fixed seed). Int values are stored as the store's natural integer: a Value
// for memvec, 8 raw bytes for LMDB and LevelDB, an INTEGER for SQLite.
//
// Repetitions (quick: 3 x >= 0.2 s, full: 5 x >= 0.5 s) run randomly
// interleaved across all benchmarks (--benchmark_enable_random_interleaving,
// on unless given), and only mean/median/stddev/cv are reported.
//
// Timing (manual, steady_clock): only the operations. Each set/durable
// iteration opens a fresh, empty store in a new temporary directory
// (untimed), times the N writes, then checks the contents and closes and
// deletes the store (untimed). memvec starts from an empty file and grows by
// doubling inside the timed region; LMDB's map size is set up front.
// Peers are compiled in when the build found them (MEMVEC_HAVE_LMDB,
// MEMVEC_HAVE_LEVELDB, MEMVEC_HAVE_SQLITE).
// benchmarks/run.sh prints the ratios DESIGN.md §4 sets goals for.
//
// Temporary stores live in unique directories under
// std::filesystem::temp_directory_path() ($TMPDIR or /tmp), removed after use
// (durable_set needs a real disk there: on tmpfs an fsync costs nothing).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "memvec/kv.hpp"

#ifdef MEMVEC_HAVE_LMDB
#include <lmdb.h>
#endif
#ifdef MEMVEC_HAVE_LEVELDB
#include <leveldb/db.h>
#include <leveldb/options.h>
#endif
#ifdef MEMVEC_HAVE_SQLITE
#include <sqlite3.h>
#endif

namespace fs = std::filesystem;
namespace kv = memvec::kv;
using Clock = std::chrono::steady_clock;

namespace {

struct Config {
  bool full = false;
  std::size_t keys = 20'000;             // set/get workloads
  std::size_t replay_records = 200'000;  // replay workload
  std::size_t durable_ops = 200;         // durable_set workload
  int repetitions = 3;
  double min_time = 0.2;
};
Config g_cfg;

// --- data ------------------------------------------------------------------

std::string key_name(std::size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key:%010zu", i);
  return buf;
}

struct Data {
  std::vector<std::string> keys;        // insertion order (shuffled)
  std::vector<std::int64_t> ints;       // ints[i] belongs to keys[i]
  std::vector<std::string> strs;        // 32 bytes each
  std::vector<kv::Value> int_values;    // the same, as Values (built untimed)
  std::vector<kv::Value> str_values;
  std::vector<std::size_t> get_order;   // a permutation of [0, N)
  std::int64_t int_sum = 0;             // sum of the ints get_order reads
};
Data g_data;

// `n` keys; get_order permutes the first `gets` of them.
void make_data(std::size_t n, std::size_t gets) {
  std::vector<std::size_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = i;
  std::shuffle(ids.begin(), ids.end(), std::mt19937_64(1));
  Data d;
  d.keys.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t id = ids[i];
    d.keys.push_back(key_name(id));
    d.ints.push_back(static_cast<std::int64_t>(id) * 1000 + 7);
    char buf[40];
    std::snprintf(buf, sizeof buf, "value:%026zu", id);
    d.strs.emplace_back(buf, 32);
    d.int_values.emplace_back(d.ints.back());
    d.str_values.emplace_back(d.strs.back());
    if (i < gets) d.int_sum += d.ints.back();
  }
  d.get_order.resize(gets);
  for (std::size_t i = 0; i < gets; ++i) d.get_order[i] = i;
  std::shuffle(d.get_order.begin(), d.get_order.end(), std::mt19937_64(2));
  g_data = std::move(d);
}

enum class Kind { int_value, str_value };
enum class Mode { fast, durable };

// --- temporary directories -------------------------------------------------

class TempDir {
 public:
  explicit TempDir(std::string_view tag) {
    static unsigned counter = 0;
    path_ = fs::temp_directory_path() / ("memvec_bench_kv_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(counter++) + "_" + std::string(tag));
    fs::create_directory(path_);  // throws if it exists
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error(what); }

// --- stores -----------------------------------------------------------------
// Each store: constructed empty in a directory; put(i, kind) writes
// g_data.keys[i]; get_int(i) reads an int value back; holds(i, kind) checks
// a value (untimed verification).

template <memvec::Backend B>
class MemvecStore {
 public:
  MemvecStore(const fs::path& dir, Mode mode)
      : j_(kv::KVJournal<B>::create(make_backend(dir), options(mode))) {}

  void put(std::size_t i, Kind kind) {
    j_.set(g_data.keys[i], kind == Kind::int_value ? g_data.int_values[i] : g_data.str_values[i]);
  }
  std::int64_t get_int(std::size_t i) const {
    const std::optional<kv::Value> v = j_.get(g_data.keys[i]);
    return v ? v->as_int() : -1;
  }
  std::int64_t find_int(std::size_t i) const {
    const kv::Value* v = j_.find(g_data.keys[i]);
    return v != nullptr ? v->as_int() : -1;
  }
  bool holds(std::size_t i, Kind kind) const {
    const kv::Value* v = j_.find(g_data.keys[i]);
    return v != nullptr &&
           *v == (kind == Kind::int_value ? g_data.int_values[i] : g_data.str_values[i]);
  }
  std::size_t size() const { return j_.size(); }

 private:
  static kv::JournalOptions options(Mode mode) {
    kv::JournalOptions o;
    if (mode == Mode::durable) o.durability = memvec::Durability::power_loss;
    return o;
  }
  static B make_backend(const fs::path& dir) {
    if constexpr (std::is_same_v<B, memvec::FileBackend>)
      return memvec::FileBackend::open(dir / "journal.kv",
                                       {.mode = memvec::OpenMode::create_new});
    else
      return B{};
  }
  kv::KVJournal<B> j_;
};
using MemvecFile = MemvecStore<memvec::FileBackend>;
using MemvecAnon = MemvecStore<memvec::AnonBackend>;

#ifdef MEMVEC_HAVE_LMDB
void lmdb_check(int rc, const char* what) {
  if (rc != MDB_SUCCESS) fail(std::string("lmdb: ") + what + ": " + mdb_strerror(rc));
}

class LmdbStore {
 public:
  LmdbStore(const fs::path& dir, Mode mode) {
    lmdb_check(mdb_env_create(&env_), "mdb_env_create");
    lmdb_check(mdb_env_set_mapsize(env_, std::size_t{1} << 30), "mdb_env_set_mapsize");
    const unsigned flags = mode == Mode::fast ? (MDB_NOSYNC | MDB_WRITEMAP) : MDB_WRITEMAP;
    lmdb_check(mdb_env_open(env_, dir.c_str(), flags, 0644), "mdb_env_open");
    MDB_txn* txn = nullptr;
    lmdb_check(mdb_txn_begin(env_, nullptr, 0, &txn), "mdb_txn_begin");
    lmdb_check(mdb_dbi_open(txn, nullptr, 0, &dbi_), "mdb_dbi_open");
    lmdb_check(mdb_txn_commit(txn), "mdb_txn_commit");
  }
  ~LmdbStore() {
    if (rtxn_ != nullptr) mdb_txn_abort(rtxn_);
    mdb_env_close(env_);
  }
  LmdbStore(const LmdbStore&) = delete;
  LmdbStore& operator=(const LmdbStore&) = delete;

  // One write transaction per put.
  void put(std::size_t i, Kind kind) {
    MDB_txn* txn = nullptr;
    lmdb_check(mdb_txn_begin(env_, nullptr, 0, &txn), "mdb_txn_begin");
    MDB_val k{g_data.keys[i].size(), const_cast<char*>(g_data.keys[i].data())};
    MDB_val v = kind == Kind::int_value
                    ? MDB_val{8, const_cast<std::int64_t*>(&g_data.ints[i])}
                    : MDB_val{g_data.strs[i].size(), const_cast<char*>(g_data.strs[i].data())};
    if (const int rc = mdb_put(txn, dbi_, &k, &v, 0); rc != MDB_SUCCESS) {
      mdb_txn_abort(txn);
      lmdb_check(rc, "mdb_put");
    }
    lmdb_check(mdb_txn_commit(txn), "mdb_txn_commit");
  }
  // One read transaction per get, recycled with reset/renew (LMDB's cheap
  // path for many short read transactions).
  std::int64_t get_int(std::size_t i) {
    if (rtxn_ == nullptr) {
      lmdb_check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &rtxn_), "mdb_txn_begin");
    } else {
      lmdb_check(mdb_txn_renew(rtxn_), "mdb_txn_renew");
    }
    const std::int64_t r = lookup(rtxn_, i);
    mdb_txn_reset(rtxn_);
    return r;
  }
  // Every get in one long read transaction: the fastest LMDB can read.
  template <class F>
  void in_one_read_txn(F&& f) {
    MDB_txn* txn = nullptr;
    lmdb_check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "mdb_txn_begin");
    f([&](std::size_t i) { return lookup(txn, i); });
    mdb_txn_abort(txn);
  }
  bool holds(std::size_t i, Kind kind) {
    MDB_txn* txn = nullptr;
    lmdb_check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "mdb_txn_begin");
    MDB_val k{g_data.keys[i].size(), const_cast<char*>(g_data.keys[i].data())};
    MDB_val v{};
    bool ok = mdb_get(txn, dbi_, &k, &v) == MDB_SUCCESS;
    if (ok) {
      const std::string_view got(static_cast<const char*>(v.mv_data), v.mv_size);
      ok = kind == Kind::int_value
               ? got == std::string_view(reinterpret_cast<const char*>(&g_data.ints[i]), 8)
               : got == g_data.strs[i];
    }
    mdb_txn_abort(txn);
    return ok;
  }
  std::size_t size() {
    MDB_stat st{};
    MDB_txn* txn = nullptr;
    lmdb_check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "mdb_txn_begin");
    lmdb_check(mdb_stat(txn, dbi_, &st), "mdb_stat");
    mdb_txn_abort(txn);
    return st.ms_entries;
  }

 private:
  std::int64_t lookup(MDB_txn* txn, std::size_t i) {
    MDB_val k{g_data.keys[i].size(), const_cast<char*>(g_data.keys[i].data())};
    MDB_val v{};
    if (mdb_get(txn, dbi_, &k, &v) != MDB_SUCCESS || v.mv_size != 8) return -1;
    std::int64_t r;
    std::memcpy(&r, v.mv_data, 8);
    return r;
  }
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  MDB_txn* rtxn_ = nullptr;
};
#endif

#ifdef MEMVEC_HAVE_LEVELDB
class LeveldbStore {
 public:
  LeveldbStore(const fs::path& dir, Mode mode) {
    leveldb::Options o;
    o.create_if_missing = true;
    leveldb::DB* db = nullptr;
    const leveldb::Status s = leveldb::DB::Open(o, (dir / "db").string(), &db);
    if (!s.ok()) fail("leveldb: open: " + s.ToString());
    db_.reset(db);
    wo_.sync = mode == Mode::durable;
  }
  void put(std::size_t i, Kind kind) {
    const leveldb::Slice v =
        kind == Kind::int_value
            ? leveldb::Slice(reinterpret_cast<const char*>(&g_data.ints[i]), 8)
            : leveldb::Slice(g_data.strs[i]);
    const leveldb::Status s = db_->Put(wo_, g_data.keys[i], v);
    if (!s.ok()) fail("leveldb: put: " + s.ToString());
  }
  std::int64_t get_int(std::size_t i) {
    if (!db_->Get(leveldb::ReadOptions(), g_data.keys[i], &buf_).ok() || buf_.size() != 8)
      return -1;
    std::int64_t r;
    std::memcpy(&r, buf_.data(), 8);
    return r;
  }
  bool holds(std::size_t i, Kind kind) {
    if (!db_->Get(leveldb::ReadOptions(), g_data.keys[i], &buf_).ok()) return false;
    return kind == Kind::int_value
               ? buf_ == std::string_view(reinterpret_cast<const char*>(&g_data.ints[i]), 8)
               : buf_ == g_data.strs[i];
  }
  std::size_t size() {  // a full scan: verification only
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
    std::size_t n = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
    return n;
  }

 private:
  std::unique_ptr<leveldb::DB> db_;
  leveldb::WriteOptions wo_;
  std::string buf_;
};
#endif

#ifdef MEMVEC_HAVE_SQLITE
class SqliteStore {
 public:
  SqliteStore(const fs::path& dir, Mode mode) {
    const std::string path = (dir / "kv.sqlite").string();
    check(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
          "open");
    exec("PRAGMA journal_mode=WAL");
    exec(mode == Mode::fast ? "PRAGMA synchronous=OFF" : "PRAGMA synchronous=FULL");
    exec("CREATE TABLE kv (k TEXT PRIMARY KEY NOT NULL, v) WITHOUT ROWID");
    check(sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO kv (k, v) VALUES (?1, ?2)", -1, &put_,
                             nullptr),
          "prepare insert");
    check(sqlite3_prepare_v2(db_, "SELECT v FROM kv WHERE k = ?1", -1, &get_, nullptr),
          "prepare select");
  }
  ~SqliteStore() {
    sqlite3_finalize(put_);
    sqlite3_finalize(get_);
    sqlite3_close(db_);
  }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // One statement per put, autocommit.
  void put(std::size_t i, Kind kind) {
    const std::string& k = g_data.keys[i];
    sqlite3_bind_text(put_, 1, k.data(), static_cast<int>(k.size()), SQLITE_STATIC);
    if (kind == Kind::int_value) {
      sqlite3_bind_int64(put_, 2, g_data.ints[i]);
    } else {
      sqlite3_bind_text(put_, 2, g_data.strs[i].data(), static_cast<int>(g_data.strs[i].size()),
                        SQLITE_STATIC);
    }
    const int rc = sqlite3_step(put_);
    sqlite3_reset(put_);
    if (rc != SQLITE_DONE) check(rc, "insert");
  }
  std::int64_t get_int(std::size_t i) {
    const std::string& k = g_data.keys[i];
    sqlite3_bind_text(get_, 1, k.data(), static_cast<int>(k.size()), SQLITE_STATIC);
    std::int64_t r = -1;
    if (sqlite3_step(get_) == SQLITE_ROW) r = sqlite3_column_int64(get_, 0);
    sqlite3_reset(get_);
    return r;
  }
  bool holds(std::size_t i, Kind kind) {
    const std::string& k = g_data.keys[i];
    sqlite3_bind_text(get_, 1, k.data(), static_cast<int>(k.size()), SQLITE_STATIC);
    bool ok = false;
    if (sqlite3_step(get_) == SQLITE_ROW) {
      if (kind == Kind::int_value) {
        ok = sqlite3_column_type(get_, 0) == SQLITE_INTEGER &&
             sqlite3_column_int64(get_, 0) == g_data.ints[i];
      } else {
        const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(get_, 0));
        ok = t != nullptr &&
             std::string_view(t, static_cast<std::size_t>(sqlite3_column_bytes(get_, 0))) ==
                 g_data.strs[i];
      }
    }
    sqlite3_reset(get_);
    return ok;
  }
  std::size_t size() {
    sqlite3_stmt* st = nullptr;
    check(sqlite3_prepare_v2(db_, "SELECT count(*) FROM kv", -1, &st, nullptr), "prepare count");
    std::size_t n = 0;
    if (sqlite3_step(st) == SQLITE_ROW) n = static_cast<std::size_t>(sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    return n;
  }

 private:
  void check(int rc, const char* what) {
    if (rc != SQLITE_OK)
      fail(std::string("sqlite: ") + what + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
  }
  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string msg = std::string("sqlite: ") + sql + ": " + (err ? err : "?");
      sqlite3_free(err);
      fail(msg);
    }
  }
  sqlite3* db_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
};
#endif

// --- benchmark bodies -------------------------------------------------------

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Writes must have landed: the count and a few values, checked untimed.
template <class S>
void verify(S& s, std::size_t n, Kind kind) {
  if (s.size() != n) fail("store holds " + std::to_string(s.size()) + " keys, wanted " +
                          std::to_string(n));
  for (const std::size_t i : {std::size_t{0}, n / 2, n - 1})
    if (!s.holds(i, kind)) fail("wrong value for " + g_data.keys[i]);
}

template <class S>
void BM_set(benchmark::State& state, Kind kind, Mode mode) {
  const auto n = static_cast<std::size_t>(state.range(0));
  try {
    for (auto _ : state) {
      TempDir dir("set");
      auto s = std::make_unique<S>(dir.path(), mode);  // a pointer: closed before the dir goes
      const Clock::time_point t0 = Clock::now();
      for (std::size_t i = 0; i < n; ++i) s->put(i, kind);
      state.SetIterationTime(seconds_since(t0));
      verify(*s, n, kind);
      s.reset();
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// A store holding g_data's N int values, filled once and kept until exit.
template <class S>
struct Filled {
  TempDir dir{"get"};
  std::unique_ptr<S> store;
};
std::vector<std::function<void()>> g_at_exit;  // closes the filled stores

template <class S>
S& filled_store(std::size_t n) {
  static std::unique_ptr<Filled<S>> f;
  if (!f) {
    auto made = std::make_unique<Filled<S>>();
    made->store = std::make_unique<S>(made->dir.path(), Mode::fast);
    for (std::size_t i = 0; i < n; ++i) made->store->put(i, Kind::int_value);
    verify(*made->store, n, Kind::int_value);
    f = std::move(made);
    g_at_exit.emplace_back([] { f.reset(); });
  }
  return *f->store;
}

// Gets every key once, in get_order; `get(s, i)` returns the int value.
template <class S, class Get>
void BM_get(benchmark::State& state, Get get) {
  const auto n = static_cast<std::size_t>(state.range(0));
  try {
    S& s = filled_store<S>(n);
    for (auto _ : state) {
      std::int64_t sum = 0;
      const Clock::time_point t0 = Clock::now();
      for (const std::size_t i : g_data.get_order) sum += get(s, i);
      state.SetIterationTime(seconds_since(t0));
      if (sum != g_data.int_sum) fail("get returned wrong values");
      benchmark::DoNotOptimize(sum);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

#ifdef MEMVEC_HAVE_LMDB
void BM_get_lmdb_one_txn(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  try {
    LmdbStore& s = filled_store<LmdbStore>(n);
    for (auto _ : state) {
      std::int64_t sum = 0;
      Clock::time_point t0 = Clock::now();
      s.in_one_read_txn([&](auto&& lookup) {
        t0 = Clock::now();  // inside the transaction: the lookups only
        for (const std::size_t i : g_data.get_order) sum += lookup(i);
        state.SetIterationTime(seconds_since(t0));
      });
      if (sum != g_data.int_sum) fail("get returned wrong values");
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
#endif

// --- replay -------------------------------------------------------------------

// A journal file of R set records over `keyspace` keys (record r sets key
// r % keyspace to r), written once, untimed, and removed at exit.
struct ReplayFile {
  TempDir dir{"replay"};
  fs::path path = dir.path() / "journal.kv";
  std::size_t records = 0, keys = 0;
  std::uint64_t log_bytes = 0;
  ReplayFile(std::size_t r, std::size_t keyspace) : records(r), keys(std::min(r, keyspace)) {
    std::vector<std::string> names(keys);
    for (std::size_t i = 0; i < keys; ++i) names[i] = key_name(i);
    auto j = kv::MemMappedKVJournal::create(
        memvec::FileBackend::open(path, {.mode = memvec::OpenMode::create_new}));
    for (std::size_t i = 0; i < r; ++i)
      j.set(names[i % keys], kv::Value(static_cast<std::int64_t>(i)));
    log_bytes = j.used_bytes();
    j.close();
  }
};
std::unique_ptr<ReplayFile> g_replay_distinct, g_replay_hot;

const ReplayFile& replay_file(bool distinct) {
  auto& f = distinct ? g_replay_distinct : g_replay_hot;
  if (!f)
    f = std::make_unique<ReplayFile>(g_cfg.replay_records,
                                     distinct ? g_cfg.replay_records : g_cfg.keys);
  return *f;
}

// Timed: FileBackend::open + KVJournal::open (header validation and the
// replay of every record into the index). Closing is not timed.
void BM_replay(benchmark::State& state, bool distinct) {
  try {
    const ReplayFile& f = replay_file(distinct);
    for (auto _ : state) {
      const Clock::time_point t0 = Clock::now();
      auto j = std::make_unique<kv::MemMappedKVJournal>(
          kv::MemMappedKVJournal::open(memvec::FileBackend::open(
              f.path, {.mode = memvec::OpenMode::open_existing})));
      state.SetIterationTime(seconds_since(t0));
      if (j->size() != f.keys || j->recovery().records_replayed != f.records ||
          j->recovery().loss != kv::DataLoss::none)
        fail("replay found the wrong contents");
      j.reset();
    }
    state.counters["log_MiB"] = static_cast<double>(f.log_bytes) / (1 << 20);
    state.counters["keys"] = static_cast<double>(f.keys);
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * f.records));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// kv::replay() alone over the already mapped, page-cache-hot log bytes: the
// share of the open that is decoding and indexing (no open/mmap/validation).
void BM_replay_core(benchmark::State& state, bool distinct) {
  try {
    const ReplayFile& f = replay_file(distinct);
    auto j = kv::MemMappedKVJournal::open(
        memvec::FileBackend::open(f.path, {.mode = memvec::OpenMode::read_only}));
    const std::span<const std::byte> log(j.log().data(), j.log().size());
    const std::uint32_t seed = kv::record_seed(j.generation(), j.epoch());
    for (auto _ : state) {
      auto index = std::make_unique<kv::Index>();
      const Clock::time_point t0 = Clock::now();
      const kv::ReplayResult r = kv::replay(log, seed, *index);
      state.SetIterationTime(seconds_since(t0));
      if (r.recovery.records_replayed != f.records) fail("replay() found the wrong contents");
      index.reset();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * f.records));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

bool env_is_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  bool user_repetitions = false, user_min_time = false, user_interleaving = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--full") {
      g_cfg.full = true;
      continue;
    }
    if (a.starts_with("--benchmark_repetitions")) user_repetitions = true;
    if (a.starts_with("--benchmark_min_time")) user_min_time = true;
    if (a.starts_with("--benchmark_enable_random_interleaving")) user_interleaving = true;
    args.push_back(argv[i]);
  }
  // Repetitions of all benchmarks run in a random interleaved order, so a
  // slow minute of a shared disk or CPU is spread over every store instead of
  // landing on the one that happened to run then (fsync times here vary 10x).
  std::string interleave = "--benchmark_enable_random_interleaving=true";
  if (!user_interleaving) args.insert(args.begin() + 1, interleave.data());
  if (env_is_set("MEMVEC_BENCH_FULL")) g_cfg.full = true;
  if (g_cfg.full) {
    g_cfg.keys = 100'000;
    g_cfg.replay_records = 1'000'000;
    g_cfg.durable_ops = 2'000;
    g_cfg.repetitions = 5;
    g_cfg.min_time = 0.5;
  }
  g_cfg.keys = env_size("MEMVEC_BENCH_KEYS", g_cfg.keys);
  g_cfg.replay_records = env_size("MEMVEC_BENCH_REPLAY", g_cfg.replay_records);
  g_cfg.durable_ops = env_size("MEMVEC_BENCH_DURABLE", g_cfg.durable_ops);
  if (g_cfg.keys == 0 || g_cfg.replay_records == 0 || g_cfg.durable_ops == 0) {
    std::fprintf(stderr, "bench_kv: sizes must be positive\n");
    return 2;
  }
  make_data(std::max(g_cfg.keys, g_cfg.durable_ops), g_cfg.keys);

  const auto n = static_cast<std::int64_t>(g_cfg.keys);
  const auto d = static_cast<std::int64_t>(g_cfg.durable_ops);
  std::vector<benchmark::internal::Benchmark*> all;
  const auto add = [&](const std::string& name, auto fn, std::int64_t arg) {
    all.push_back(benchmark::RegisterBenchmark(name.c_str(), fn)->Arg(arg));
  };

  for (const auto& [prefix, kind] : {std::pair{"set_int/", Kind::int_value},
                                     std::pair{"set_str/", Kind::str_value}}) {
    const Kind k = kind;
    add(std::string(prefix) + "memvec_file",
        [k](benchmark::State& s) { BM_set<MemvecFile>(s, k, Mode::fast); }, n);
    add(std::string(prefix) + "memvec_anon",
        [k](benchmark::State& s) { BM_set<MemvecAnon>(s, k, Mode::fast); }, n);
#ifdef MEMVEC_HAVE_LMDB
    add(std::string(prefix) + "lmdb",
        [k](benchmark::State& s) { BM_set<LmdbStore>(s, k, Mode::fast); }, n);
#endif
#ifdef MEMVEC_HAVE_LEVELDB
    add(std::string(prefix) + "leveldb",
        [k](benchmark::State& s) { BM_set<LeveldbStore>(s, k, Mode::fast); }, n);
#endif
#ifdef MEMVEC_HAVE_SQLITE
    add(std::string(prefix) + "sqlite",
        [k](benchmark::State& s) { BM_set<SqliteStore>(s, k, Mode::fast); }, n);
#endif
  }

  add("get_int/memvec_file",
      [](benchmark::State& s) {
        BM_get<MemvecFile>(s, [](MemvecFile& m, std::size_t i) { return m.get_int(i); });
      },
      n);
  add("get_int/memvec_file_find",
      [](benchmark::State& s) {
        BM_get<MemvecFile>(s, [](MemvecFile& m, std::size_t i) { return m.find_int(i); });
      },
      n);
  add("get_int/memvec_anon",
      [](benchmark::State& s) {
        BM_get<MemvecAnon>(s, [](MemvecAnon& m, std::size_t i) { return m.get_int(i); });
      },
      n);
#ifdef MEMVEC_HAVE_LMDB
  add("get_int/lmdb",
      [](benchmark::State& s) {
        BM_get<LmdbStore>(s, [](LmdbStore& m, std::size_t i) { return m.get_int(i); });
      },
      n);
  add("get_int/lmdb_one_txn", BM_get_lmdb_one_txn, n);
#endif
#ifdef MEMVEC_HAVE_LEVELDB
  add("get_int/leveldb",
      [](benchmark::State& s) {
        BM_get<LeveldbStore>(s, [](LeveldbStore& m, std::size_t i) { return m.get_int(i); });
      },
      n);
#endif
#ifdef MEMVEC_HAVE_SQLITE
  add("get_int/sqlite",
      [](benchmark::State& s) {
        BM_get<SqliteStore>(s, [](SqliteStore& m, std::size_t i) { return m.get_int(i); });
      },
      n);
#endif

  const auto r = static_cast<std::int64_t>(g_cfg.replay_records);
  add("replay/memvec_file/distinct_keys", [](benchmark::State& s) { BM_replay(s, true); }, r);
  add("replay/memvec_file/hot_keys", [](benchmark::State& s) { BM_replay(s, false); }, r);
  add("replay_core/distinct_keys", [](benchmark::State& s) { BM_replay_core(s, true); }, r);
  add("replay_core/hot_keys", [](benchmark::State& s) { BM_replay_core(s, false); }, r);

  add("durable_set/memvec_file",
      [](benchmark::State& s) { BM_set<MemvecFile>(s, Kind::int_value, Mode::durable); }, d);
#ifdef MEMVEC_HAVE_LEVELDB
  add("durable_set/leveldb_sync",
      [](benchmark::State& s) { BM_set<LeveldbStore>(s, Kind::int_value, Mode::durable); }, d);
#endif
#ifdef MEMVEC_HAVE_SQLITE
  add("durable_set/sqlite_full",
      [](benchmark::State& s) { BM_set<SqliteStore>(s, Kind::int_value, Mode::durable); }, d);
#endif
#ifdef MEMVEC_HAVE_LMDB
  add("durable_set/lmdb_sync",
      [](benchmark::State& s) { BM_set<LmdbStore>(s, Kind::int_value, Mode::durable); }, d);
#endif

  for (auto* b : all) {
    b->UseManualTime()->Unit(benchmark::kMillisecond);
    if (!user_repetitions) b->Repetitions(g_cfg.repetitions)->ReportAggregatesOnly(true);
    if (!user_min_time) b->MinTime(g_cfg.min_time);
  }

  int bargc = static_cast<int>(args.size());
  benchmark::Initialize(&bargc, args.data());
  if (benchmark::ReportUnrecognizedArguments(bargc, args.data())) return 1;
  benchmark::AddCustomContext("memvec.mode", g_cfg.full ? "full" : "quick");
  benchmark::AddCustomContext("memvec.keys", std::to_string(g_cfg.keys));
  benchmark::AddCustomContext("memvec.replay_records", std::to_string(g_cfg.replay_records));
  benchmark::AddCustomContext("memvec.durable_ops", std::to_string(g_cfg.durable_ops));
  benchmark::AddCustomContext("memvec.tmpdir", fs::temp_directory_path().string());
  std::string peers = "memvec";
#ifdef MEMVEC_HAVE_LMDB
  peers += " lmdb-" + std::to_string(MDB_VERSION_MAJOR) + "." + std::to_string(MDB_VERSION_MINOR) +
           "." + std::to_string(MDB_VERSION_PATCH);
#endif
#ifdef MEMVEC_HAVE_LEVELDB
  peers += " leveldb-" + std::to_string(leveldb::kMajorVersion) + "." +
           std::to_string(leveldb::kMinorVersion);
#endif
#ifdef MEMVEC_HAVE_SQLITE
  peers += std::string(" sqlite-") + sqlite3_libversion();
#endif
  benchmark::AddCustomContext("memvec.stores", peers);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  for (auto it = g_at_exit.rbegin(); it != g_at_exit.rend(); ++it) (*it)();
  g_replay_distinct.reset();
  g_replay_hot.reset();
  return 0;
}
