// bench_store: the double-buffered store (DoubleBufferedMemMappedKV, two
// journal files that compact into each other) against LMDB, LevelDB and the
// plain journal, side by side in one run. It answers two questions: does
// compaction keep a hot-key workload fast and its files small (a plain
// journal grows without bound), and what do the store's locking and
// compactions cost on the distinct-key workloads bench_kv measures.
//
//   bench_store           quick mode: 20,000 keys, 3 repetitions
//   bench_store --full    (or MEMVEC_BENCH_FULL=1) the goal sizes:
//                         100,000 keys, 5 repetitions
//   MEMVEC_BENCH_KEYS overrides the key count, MEMVEC_BENCH_HOT_KEYS and
//   MEMVEC_BENCH_HOT_SETS the hot workload (100 keys, 100,000 sets in both
//   modes); every --benchmark_* flag works as usual.
//
// Workloads (items/s = operations per second; compare the medians):
//   hot_keys/<store>     100,000 sets in all, int values, cycling over 100
//                        keys (set r writes key r % 100 := r) into a fresh
//                        store. memvec_store's journals start at 8 KiB
//                        (StoreOptions::initial_size = 8192; the other
//                        options default, so the store's own sizing policy
//                        decides how far they grow); memvec_store_8k_max
//                        also caps them there (max_size = 8192): the cost of
//                        a compaction every ~100 sets. Counters: disk_bytes
//                        (allocated bytes of every file of the store after
//                        it is closed, as du counts them: LMDB's file is a
//                        sparse 1 GiB); for the stores also compactions
//                        (switch_count()) and file_a_bytes / file_b_bytes
//                        (the sizes of the two journal files).
//   set_int/, set_str/, get_int/<store>
//                        exactly bench_kv's workloads, and names, so ratios
//                        compare across the two binaries.
//
// Stores: memvec_store = DoubleBufferedMemMappedKV, default StoreOptions
// (64 KiB journals growing to 1 GiB, Durability::process_crash) except on
// hot_keys; memvec_file = the plain KVJournal<FileBackend>; lmdb and leveldb
// as peers.hpp sets them up, when the build found them. Timing, data and
// repetitions: bench_common.hpp. benchmarks/run.sh (suite "store") prints the
// ratios: store set / LMDB and LevelDB set, store get / LMDB get (goal >= 2
// each), hot-key sets/s (goal >= 2 M/s, files <= 1 MiB).
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <type_traits>

#include "bench_common.hpp"
#include "peers.hpp"

using namespace memvec_bench;

namespace {

constexpr unsigned kStorePeers = kLmdb | kLeveldb;
constexpr std::size_t kHotJournalBytes = 8192;
constexpr const char* kFileA = "a.kv";
constexpr const char* kFileB = "b.kv";

// A DoubleBufferedMemMappedKV on kFileA and kFileB in `dir`; a size of 0
// keeps StoreOptions' default.
template <std::size_t InitialSize, std::size_t MaxSize>
struct OpenStore {
  using KV = kv::DoubleBufferedMemMappedKV;
  static KV open(const fs::path& dir, Mode mode) {
    kv::StoreOptions o;
    if constexpr (InitialSize != 0) o.initial_size = InitialSize;
    if constexpr (MaxSize != 0) o.max_size = MaxSize;
    if (mode == Mode::durable) o.durability = memvec::Durability::power_loss;
    return KV::open(dir / kFileA, dir / kFileB, o);
  }
};
using MemvecDb = MemvecStore<OpenStore<0, 0>>;
using MemvecHotDb = MemvecStore<OpenStore<kHotJournalBytes, 0>>;
using MemvecCappedDb = MemvecStore<OpenStore<kHotJournalBytes, kHotJournalBytes>>;

// An adapter over a double-buffered store (it has compactions to report).
template <class S>
concept OverStore = requires(const S& s) { s.kv().switch_count(); };

// Allocated bytes of every file under `dir` (st_blocks, as du counts them):
// what the store takes on disk, sparse files included.
double disk_bytes(const fs::path& dir) {
  double total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    struct stat st {};
    if (e.is_regular_file() && ::stat(e.path().c_str(), &st) == 0)
      total += static_cast<double>(st.st_blocks) * 512;
  }
  return total;
}

// The hot workload must have landed: every hot key holds the last value
// written to it (set r writes key r % hot := r).
template <class S>
void verify_hot(S& s, std::size_t hot, std::size_t sets) {
  if (s.size() != hot) fail("store holds " + std::to_string(s.size()) + " keys, wanted " +
                            std::to_string(hot));
  for (const std::size_t k : {std::size_t{0}, hot - 1}) {
    const auto last = static_cast<std::int64_t>((sets - 1 - k) / hot * hot + k);
    if (s.get_int(k) != last) fail("wrong value for " + g_data.keys[k]);
  }
}

template <class S>
void BM_hot(benchmark::State& state) {
  const std::size_t hot = g_cfg.hot_keys;
  const auto sets = static_cast<std::size_t>(state.range(0));
  const auto write = [hot](S& s, std::size_t r) {
    s.put_int(g_data.keys[r % hot], static_cast<std::int64_t>(r));
  };
  // Deterministic per iteration: the last iteration's counters stand for all.
  const auto done = [&](std::unique_ptr<S>& s, const fs::path& dir) {
    verify_hot(*s, hot, sets);
    if constexpr (OverStore<S>) {
      state.counters["compactions"] = static_cast<double>(s->kv().switch_count());
      if (const auto e = s->kv().last_compaction_error()) fail(e->what());
    }
    s.reset();  // the files as a closed store leaves them
    state.counters["disk_bytes"] = disk_bytes(dir);
    if constexpr (OverStore<S>) {
      state.counters["file_a_bytes"] = static_cast<double>(fs::file_size(dir / kFileA));
      state.counters["file_b_bytes"] = static_cast<double>(fs::file_size(dir / kFileB));
    }
  };
  BM_fill<S>(state, Mode::fast, sets, write, done);
}

}  // namespace

int main(int argc, char** argv) {
  Runner runner(argc, argv);
  if (g_cfg.keys == 0 || g_cfg.hot_keys == 0 || g_cfg.hot_sets < g_cfg.hot_keys) {
    std::fprintf(stderr, "bench_store: sizes must be positive, hot sets >= hot keys\n");
    return 2;
  }
  make_data(std::max(g_cfg.keys, g_cfg.hot_keys), g_cfg.keys);

  const auto h = static_cast<std::int64_t>(g_cfg.hot_sets);
  runner.add("hot_keys/memvec_store", BM_hot<MemvecHotDb>, h);
  runner.add("hot_keys/memvec_store_8k_max", BM_hot<MemvecCappedDb>, h);
  runner.add("hot_keys/memvec_file", BM_hot<MemvecFile>, h);
  for_each_peer(kStorePeers, [&]<class S>(PeerName peer) {
    runner.add(std::string("hot_keys/") + peer.name, BM_hot<S>, h);
  });

  const auto n = static_cast<std::int64_t>(g_cfg.keys);
  for (const Kind kind : {Kind::int_value, Kind::str_value}) {
    const std::string prefix = set_prefix(kind);
    runner.add_set<MemvecDb>(prefix + "memvec_store", kind, Mode::fast, n);
    runner.add_set<MemvecFile>(prefix + "memvec_file", kind, Mode::fast, n);
    for_each_peer(kStorePeers, [&]<class S>(PeerName peer) {
      runner.add_set<S>(prefix + peer.name, kind, Mode::fast, n);
    });
  }
  runner.add_get<MemvecDb>("get_int/memvec_store", n);
  runner.add_get<MemvecFile>("get_int/memvec_file", n);
  for_each_peer(kStorePeers, [&]<class S>(PeerName peer) {
    runner.add_get<S>(std::string("get_int/") + peer.name, n);
  });

  return runner.run([] {
    benchmark::AddCustomContext("memvec.hot_keys", std::to_string(g_cfg.hot_keys));
    benchmark::AddCustomContext("memvec.hot_sets", std::to_string(g_cfg.hot_sets));
    benchmark::AddCustomContext("memvec.hot_journal_bytes", std::to_string(kHotJournalBytes));
    benchmark::AddCustomContext("memvec.stores", peer_versions(kStorePeers));
  });
}
