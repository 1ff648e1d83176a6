// The stores the KV benchmarks compare, behind one small interface (see
// bench_common.hpp: S(dir, mode), put, put_int, get_int, holds, size), shared
// by bench_kv and bench_store so that every binary drives a peer the same way.
//
// memvec: MemvecStore<Open> wraps whatever Open::open(dir, mode) opens (a
// KVJournal, a DoubleBufferedKV); JournalFile / JournalAnon open a
// KVJournal<FileBackend> (MemMappedKVJournal, Durability::process_crash,
// power_loss in Mode::durable) or a KVJournal<AnonBackend>.
// Peers, compiled in when the build found them (MEMVEC_HAVE_LMDB,
// MEMVEC_HAVE_LEVELDB, MEMVEC_HAVE_SQLITE): lmdb = MDB_NOSYNC|MDB_WRITEMAP,
// one write transaction per put (durable: MDB_WRITEMAP, syncing); leveldb =
// default options (durable: WriteOptions::sync = true); sqlite = WAL,
// prepared statements, autocommit (one statement per put),
// synchronous=OFF (durable: FULL). Int values are stored as the store's
// natural integer: a Value for memvec, 8 raw bytes for LMDB and LevelDB, an
// INTEGER for SQLite.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "bench_common.hpp"

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

namespace memvec_bench {

template <class Open>
class MemvecStore {
 public:
  using KV = typename Open::KV;
  MemvecStore(const fs::path& dir, Mode mode) : kv_(Open::open(dir, mode)) {}

  void put(std::size_t i, Kind kind) {
    kv_.set(g_data.keys[i], kind == Kind::int_value ? g_data.int_values[i] : g_data.str_values[i]);
  }
  void put_int(std::string_view key, std::int64_t v) { kv_.set(key, kv::Value(v)); }
  std::int64_t get_int(std::size_t i) const {
    const std::optional<kv::Value> v = kv_.get(g_data.keys[i]);
    return v ? v->as_int() : -1;
  }
  std::int64_t find_int(std::size_t i) const {
    const kv::ValuePtr v = kv_.find(g_data.keys[i]);
    return v ? v->as_int() : -1;
  }
  bool holds(std::size_t i, Kind kind) const {
    const kv::ValuePtr v = kv_.find(g_data.keys[i]);
    return v &&
           *v == (kind == Kind::int_value ? g_data.int_values[i] : g_data.str_values[i]);
  }
  std::size_t size() const { return kv_.size(); }
  const KV& kv() const { return kv_; }

 private:
  KV kv_;
};

template <memvec::Backend B>
struct OpenJournal {
  using KV = kv::KVJournal<B>;
  static KV open(const fs::path& dir, Mode mode) {
    kv::JournalOptions o;
    if (mode == Mode::durable) o.durability = memvec::Durability::power_loss;
    if constexpr (std::is_same_v<B, memvec::FileBackend>)
      return KV::create(memvec::FileBackend::open(dir / "journal.kv",
                                                  {.mode = memvec::OpenMode::create_new}),
                        o);
    else
      return KV::create(B{}, o);
  }
};
using MemvecFile = MemvecStore<OpenJournal<memvec::FileBackend>>;
using MemvecAnon = MemvecStore<OpenJournal<memvec::AnonBackend>>;

#ifdef MEMVEC_HAVE_LMDB
void lmdb_check(int rc, const char* what);

class LmdbStore {
 public:
  LmdbStore(const fs::path& dir, Mode mode);
  ~LmdbStore();
  LmdbStore(const LmdbStore&) = delete;
  LmdbStore& operator=(const LmdbStore&) = delete;

  // One write transaction per put.
  void put(std::size_t i, Kind kind);
  void put_int(std::string_view key, std::int64_t v);
  // One read transaction per get, recycled with reset/renew (LMDB's cheap
  // path for many short read transactions).
  std::int64_t get_int(std::size_t i);
  // Every get in one long read transaction: the fastest LMDB can read.
  template <class F>
  void in_one_read_txn(F&& f) {
    MDB_txn* txn = nullptr;
    lmdb_check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "mdb_txn_begin");
    f([&](std::size_t i) { return lookup(txn, i); });
    mdb_txn_abort(txn);
  }
  bool holds(std::size_t i, Kind kind);
  std::size_t size();

 private:
  void write(std::string_view key, std::string_view value);
  std::int64_t lookup(MDB_txn* txn, std::size_t i);
  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
  MDB_txn* rtxn_ = nullptr;
};
#endif

#ifdef MEMVEC_HAVE_LEVELDB
class LeveldbStore {
 public:
  LeveldbStore(const fs::path& dir, Mode mode);
  void put(std::size_t i, Kind kind);
  void put_int(std::string_view key, std::int64_t v);
  std::int64_t get_int(std::size_t i);
  bool holds(std::size_t i, Kind kind);
  std::size_t size();  // a full scan: verification only

 private:
  void write(std::string_view key, std::string_view value);
  std::unique_ptr<leveldb::DB> db_;
  leveldb::WriteOptions wo_;
  std::string buf_;
};
#endif

#ifdef MEMVEC_HAVE_SQLITE
class SqliteStore {
 public:
  SqliteStore(const fs::path& dir, Mode mode);
  ~SqliteStore();
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // One statement per put, autocommit.
  void put(std::size_t i, Kind kind);
  void put_int(std::string_view key, std::int64_t v);
  std::int64_t get_int(std::size_t i);
  bool holds(std::size_t i, Kind kind);
  std::size_t size();

 private:
  void check(int rc, const char* what);
  void exec(const char* sql);
  void step_put();
  sqlite3* db_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
};
#endif

// The peers a binary compares against (a bit set).
enum Peers : unsigned { kLmdb = 1, kLeveldb = 2, kSqlite = 4, kAllPeers = 7 };

// How each peer appears in benchmark names: <workload>/<name>, and
// durable_set/<durable> for its durable configuration.
struct PeerName {
  const char* name;
  const char* durable;
};

// Calls fn.template operator()<Store>(PeerName) for each peer in `which`
// that the build compiled in: the one place that knows which are.
template <class Fn>
void for_each_peer(unsigned which, Fn&& fn) {
#ifdef MEMVEC_HAVE_LMDB
  if (which & kLmdb) fn.template operator()<LmdbStore>(PeerName{"lmdb", "lmdb_sync"});
#endif
#ifdef MEMVEC_HAVE_LEVELDB
  if (which & kLeveldb) fn.template operator()<LeveldbStore>(PeerName{"leveldb", "leveldb_sync"});
#endif
#ifdef MEMVEC_HAVE_SQLITE
  if (which & kSqlite) fn.template operator()<SqliteStore>(PeerName{"sqlite", "sqlite_full"});
#endif
  (void)which;
  (void)fn;
}

// "memvec lmdb-0.9.24 ...": the stores and versions this binary compares,
// for the memvec.stores context line.
std::string peer_versions(unsigned which);

}  // namespace memvec_bench
