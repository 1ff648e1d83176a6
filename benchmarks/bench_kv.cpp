// bench_kv: the KV journal against LMDB, LevelDB and SQLite, side by side in
// one run (goals: docs/BENCHMARKS.md).
//
//   bench_kv              quick mode: 20,000 keys, 200,000 replay records,
//                         200 durable writes, 3 repetitions
//   bench_kv --full       (or MEMVEC_BENCH_FULL=1) the goal sizes:
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
// Stores (peers.hpp): memvec_file = KVJournal<FileBackend>
// (MemMappedKVJournal, default Durability::process_crash; power_loss for
// durable_set), memvec_anon = KVJournal<AnonBackend>; lmdb, leveldb and
// sqlite as peers.hpp sets them up, when the build found them. Keys are 14
// bytes ("key:" + 10 digits), written in a shuffled order (fixed seed).
// memvec starts from an empty file and grows by doubling inside the timed
// region; LMDB's map size is set up front. Timing and repetitions:
// bench_common.hpp. benchmarks/run.sh prints the goal ratios
// (docs/BENCHMARKS.md). durable_set needs a real disk under $TMPDIR (or /tmp): on tmpfs
// an fsync costs nothing.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "peers.hpp"

using namespace memvec_bench;

namespace {

#ifdef MEMVEC_HAVE_LMDB
// Every get inside one read transaction, timed inside it: the lookups only.
void BM_get_lmdb_one_txn(benchmark::State& state) {
  BM_read<LmdbStore>(state, [](LmdbStore& s, auto&& timed) {
    s.in_one_read_txn([&](auto&& lookup) { timed(lookup); });
  });
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
      auto index = std::make_unique<kv::detail::LogIndex>();
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

}  // namespace

int main(int argc, char** argv) {
  Runner runner(argc, argv);
  if (g_cfg.keys == 0 || g_cfg.replay_records == 0 || g_cfg.durable_ops == 0) {
    std::fprintf(stderr, "bench_kv: sizes must be positive\n");
    return 2;
  }
  make_data(std::max(g_cfg.keys, g_cfg.durable_ops), g_cfg.keys);

  const auto n = static_cast<std::int64_t>(g_cfg.keys);
  const auto d = static_cast<std::int64_t>(g_cfg.durable_ops);
  for (const Kind kind : {Kind::int_value, Kind::str_value}) {
    const std::string prefix = set_prefix(kind);
    runner.add_set<MemvecFile>(prefix + "memvec_file", kind, Mode::fast, n);
    runner.add_set<MemvecAnon>(prefix + "memvec_anon", kind, Mode::fast, n);
    for_each_peer(kAllPeers, [&]<class S>(PeerName peer) {
      runner.add_set<S>(prefix + peer.name, kind, Mode::fast, n);
    });
  }

  runner.add_get<MemvecFile>("get_int/memvec_file", n);
  runner.add_get<MemvecFile>("get_int/memvec_file_find", n,
                             [](MemvecFile& m, std::size_t i) { return m.find_int(i); });
  runner.add_get<MemvecAnon>("get_int/memvec_anon", n);
  for_each_peer(kAllPeers, [&]<class S>(PeerName peer) {
    runner.add_get<S>(std::string("get_int/") + peer.name, n);
  });
#ifdef MEMVEC_HAVE_LMDB
  runner.add("get_int/lmdb_one_txn", BM_get_lmdb_one_txn, n);
#endif

  const auto r = static_cast<std::int64_t>(g_cfg.replay_records);
  runner.add("replay/memvec_file/distinct_keys", [](benchmark::State& s) { BM_replay(s, true); },
             r);
  runner.add("replay/memvec_file/hot_keys", [](benchmark::State& s) { BM_replay(s, false); }, r);
  runner.add("replay_core/distinct_keys", [](benchmark::State& s) { BM_replay_core(s, true); },
             r);
  runner.add("replay_core/hot_keys", [](benchmark::State& s) { BM_replay_core(s, false); }, r);

  runner.add_set<MemvecFile>("durable_set/memvec_file", Kind::int_value, Mode::durable, d);
  for_each_peer(kAllPeers, [&]<class S>(PeerName peer) {
    runner.add_set<S>(std::string("durable_set/") + peer.durable, Kind::int_value, Mode::durable,
                      d);
  });

  const int status = runner.run([] {
    benchmark::AddCustomContext("memvec.replay_records", std::to_string(g_cfg.replay_records));
    benchmark::AddCustomContext("memvec.durable_ops", std::to_string(g_cfg.durable_ops));
    benchmark::AddCustomContext("memvec.stores", peer_versions(kAllPeers));
  });
  g_replay_distinct.reset();
  g_replay_hot.reset();
  return status;
}
