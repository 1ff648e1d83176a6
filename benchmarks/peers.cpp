// The peer stores of the KV benchmarks (peers.hpp says how each is set up);
// compiled once for bench_kv and bench_store, each peer only when the build
// found it.
#include "peers.hpp"

#include <cstring>

namespace memvec_bench {

namespace {
// An int value as the 8 raw bytes LMDB and LevelDB store (unused when
// neither was found).
[[maybe_unused]] std::string_view int_bytes(const std::int64_t& v) {
  return {reinterpret_cast<const char*>(&v), sizeof v};
}
[[maybe_unused]] std::string_view value_bytes(std::size_t i, Kind kind) {
  return kind == Kind::int_value ? int_bytes(g_data.ints[i]) : std::string_view(g_data.strs[i]);
}
}  // namespace

#ifdef MEMVEC_HAVE_LMDB
void lmdb_check(int rc, const char* what) {
  if (rc != MDB_SUCCESS) fail(std::string("lmdb: ") + what + ": " + mdb_strerror(rc));
}

namespace {
MDB_val lmdb_val(std::string_view s) { return {s.size(), const_cast<char*>(s.data())}; }
}  // namespace

LmdbStore::LmdbStore(const fs::path& dir, Mode mode) {
  lmdb_check(mdb_env_create(&env_), "mdb_env_create");
  lmdb_check(mdb_env_set_mapsize(env_, std::size_t{1} << 30), "mdb_env_set_mapsize");
  const unsigned flags = mode == Mode::fast ? (MDB_NOSYNC | MDB_WRITEMAP) : MDB_WRITEMAP;
  lmdb_check(mdb_env_open(env_, dir.c_str(), flags, 0644), "mdb_env_open");
  MDB_txn* txn = nullptr;
  lmdb_check(mdb_txn_begin(env_, nullptr, 0, &txn), "mdb_txn_begin");
  lmdb_check(mdb_dbi_open(txn, nullptr, 0, &dbi_), "mdb_dbi_open");
  lmdb_check(mdb_txn_commit(txn), "mdb_txn_commit");
}

LmdbStore::~LmdbStore() {
  if (rtxn_ != nullptr) mdb_txn_abort(rtxn_);
  mdb_env_close(env_);
}

void LmdbStore::put(std::size_t i, Kind kind) { write(g_data.keys[i], value_bytes(i, kind)); }
void LmdbStore::put_int(std::string_view key, std::int64_t v) { write(key, int_bytes(v)); }

void LmdbStore::write(std::string_view key, std::string_view value) {
  MDB_txn* txn = nullptr;
  lmdb_check(mdb_txn_begin(env_, nullptr, 0, &txn), "mdb_txn_begin");
  MDB_val k = lmdb_val(key);
  MDB_val v = lmdb_val(value);
  if (const int rc = mdb_put(txn, dbi_, &k, &v, 0); rc != MDB_SUCCESS) {
    mdb_txn_abort(txn);
    lmdb_check(rc, "mdb_put");
  }
  lmdb_check(mdb_txn_commit(txn), "mdb_txn_commit");
}

std::int64_t LmdbStore::get_int(std::size_t i) {
  if (rtxn_ == nullptr) {
    lmdb_check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &rtxn_), "mdb_txn_begin");
  } else {
    lmdb_check(mdb_txn_renew(rtxn_), "mdb_txn_renew");
  }
  const std::int64_t r = lookup(rtxn_, i);
  mdb_txn_reset(rtxn_);
  return r;
}

bool LmdbStore::holds(std::size_t i, Kind kind) {
  MDB_txn* txn = nullptr;
  lmdb_check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "mdb_txn_begin");
  MDB_val k = lmdb_val(g_data.keys[i]);
  MDB_val v{};
  const bool ok = mdb_get(txn, dbi_, &k, &v) == MDB_SUCCESS &&
                  std::string_view(static_cast<const char*>(v.mv_data), v.mv_size) ==
                      value_bytes(i, kind);
  mdb_txn_abort(txn);
  return ok;
}

std::size_t LmdbStore::size() {
  MDB_stat st{};
  MDB_txn* txn = nullptr;
  lmdb_check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn), "mdb_txn_begin");
  lmdb_check(mdb_stat(txn, dbi_, &st), "mdb_stat");
  mdb_txn_abort(txn);
  return st.ms_entries;
}

std::int64_t LmdbStore::lookup(MDB_txn* txn, std::size_t i) {
  MDB_val k = lmdb_val(g_data.keys[i]);
  MDB_val v{};
  if (mdb_get(txn, dbi_, &k, &v) != MDB_SUCCESS || v.mv_size != 8) return -1;
  std::int64_t r;
  std::memcpy(&r, v.mv_data, 8);
  return r;
}
#endif

#ifdef MEMVEC_HAVE_LEVELDB
LeveldbStore::LeveldbStore(const fs::path& dir, Mode mode) {
  leveldb::Options o;
  o.create_if_missing = true;
  leveldb::DB* db = nullptr;
  const leveldb::Status s = leveldb::DB::Open(o, (dir / "db").string(), &db);
  if (!s.ok()) fail("leveldb: open: " + s.ToString());
  db_.reset(db);
  wo_.sync = mode == Mode::durable;
}

void LeveldbStore::put(std::size_t i, Kind kind) { write(g_data.keys[i], value_bytes(i, kind)); }
void LeveldbStore::put_int(std::string_view key, std::int64_t v) { write(key, int_bytes(v)); }

void LeveldbStore::write(std::string_view key, std::string_view value) {
  const leveldb::Status s =
      db_->Put(wo_, leveldb::Slice(key.data(), key.size()), leveldb::Slice(value.data(), value.size()));
  if (!s.ok()) fail("leveldb: put: " + s.ToString());
}

std::int64_t LeveldbStore::get_int(std::size_t i) {
  if (!db_->Get(leveldb::ReadOptions(), g_data.keys[i], &buf_).ok() || buf_.size() != 8) return -1;
  std::int64_t r;
  std::memcpy(&r, buf_.data(), 8);
  return r;
}

bool LeveldbStore::holds(std::size_t i, Kind kind) {
  return db_->Get(leveldb::ReadOptions(), g_data.keys[i], &buf_).ok() &&
         buf_ == value_bytes(i, kind);
}

std::size_t LeveldbStore::size() {
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  std::size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++n;
  return n;
}
#endif

#ifdef MEMVEC_HAVE_SQLITE
SqliteStore::SqliteStore(const fs::path& dir, Mode mode) {
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

SqliteStore::~SqliteStore() {
  sqlite3_finalize(put_);
  sqlite3_finalize(get_);
  sqlite3_close(db_);
}

void SqliteStore::put(std::size_t i, Kind kind) {
  const std::string& k = g_data.keys[i];
  sqlite3_bind_text(put_, 1, k.data(), static_cast<int>(k.size()), SQLITE_STATIC);
  if (kind == Kind::int_value) {
    sqlite3_bind_int64(put_, 2, g_data.ints[i]);
  } else {
    sqlite3_bind_text(put_, 2, g_data.strs[i].data(), static_cast<int>(g_data.strs[i].size()),
                      SQLITE_STATIC);
  }
  step_put();
}

void SqliteStore::put_int(std::string_view key, std::int64_t v) {
  sqlite3_bind_text(put_, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
  sqlite3_bind_int64(put_, 2, v);
  step_put();
}

void SqliteStore::step_put() {
  const int rc = sqlite3_step(put_);
  sqlite3_reset(put_);
  if (rc != SQLITE_DONE) check(rc, "insert");
}

std::int64_t SqliteStore::get_int(std::size_t i) {
  const std::string& k = g_data.keys[i];
  sqlite3_bind_text(get_, 1, k.data(), static_cast<int>(k.size()), SQLITE_STATIC);
  std::int64_t r = -1;
  if (sqlite3_step(get_) == SQLITE_ROW) r = sqlite3_column_int64(get_, 0);
  sqlite3_reset(get_);
  return r;
}

bool SqliteStore::holds(std::size_t i, Kind kind) {
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

std::size_t SqliteStore::size() {
  sqlite3_stmt* st = nullptr;
  check(sqlite3_prepare_v2(db_, "SELECT count(*) FROM kv", -1, &st, nullptr), "prepare count");
  std::size_t n = 0;
  if (sqlite3_step(st) == SQLITE_ROW) n = static_cast<std::size_t>(sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  return n;
}

void SqliteStore::check(int rc, const char* what) {
  if (rc != SQLITE_OK)
    fail(std::string("sqlite: ") + what + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
}

void SqliteStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = std::string("sqlite: ") + sql + ": " + (err ? err : "?");
    sqlite3_free(err);
    fail(msg);
  }
}
#endif

std::string peer_versions(unsigned which) {
  std::string peers = "memvec";
#ifdef MEMVEC_HAVE_LMDB
  if (which & kLmdb)
    peers += " lmdb-" + std::to_string(MDB_VERSION_MAJOR) + "." +
             std::to_string(MDB_VERSION_MINOR) + "." + std::to_string(MDB_VERSION_PATCH);
#endif
#ifdef MEMVEC_HAVE_LEVELDB
  if (which & kLeveldb)
    peers += " leveldb-" + std::to_string(leveldb::kMajorVersion) + "." +
             std::to_string(leveldb::kMinorVersion);
#endif
#ifdef MEMVEC_HAVE_SQLITE
  if (which & kSqlite) peers += std::string(" sqlite-") + sqlite3_libversion();
#endif
  (void)which;
  return peers;
}

}  // namespace memvec_bench
