// bench_store_engine: issue 11's store-engine workloads, the double-buffered
// store (DoubleBufferedMemMappedKV) beside its own journal (MemMappedKVJournal)
// in one run, so the ratios hold on a busy machine. Public API only.
//
//   bench_store_engine          quick mode (sizes below), about 30 s
//   bench_store_engine --full   (or MEMVEC_BENCH_FULL=1) the sizes
//   MEMVEC_BENCH_KEYS, MEMVEC_BENCH_REOPEN_KEYS, MEMVEC_BENCH_MEMORY_KEYS and
//   MEMVEC_BENCH_READER_KEYS override the sizes; --benchmark_* flags work.
//
// Workloads (quick / full sizes):
//   reopen/memvec_store_compacted, reopen/memvec_journal (50k / 300k keys):
//     opening a store whose active journal is one snapshot (filled, then
//     compact()) against a journal holding the same keys as one set record
//     each, in insertion (shuffled) order. Int values.
//   set_int/memvec_store, set_int/memvec_file (20k / 100k keys): distinct
//     keys, int values, a fresh store on disk, default options.
//   hot_str/memvec_store, hot_str/memvec_file: 200k sets cycling over 100
//     keys, 32-byte string values; the store's journals start at 8 KiB.
//     Counters: switches, file_a_bytes, file_b_bytes (file_bytes).
//   seed/memvec_store: examples/double_buffered's settings (1 KiB journals,
//     high-water mark 0.4, other options default), 400 rounds of 3 keys.
//   anon_memory/{journal,store}_{int,object} (200k / 1M keys): anonymous
//     memory (RssAnon) one open takes, read in a child (bench_process.hpp).
//     Counters: anon_bytes, anon_bytes_per_key. Time: that open.
//   reader_get/memvec_store_compacting (100k / 1M keys): compact() three
//     times while a reader thread times each get() of a random key.
//     Counters: max_get_ms, p99_get_ms, gets. Time: the compactions.
// benchmarks/run.sh (suite "store_engine") prints the table.
#include <atomic>
#include <map>
#include <thread>
#include <utility>

#include "bench_common.hpp"
#include "bench_process.hpp"

using namespace memvec_bench;

namespace {

using Store = kv::DoubleBufferedMemMappedKV;
using Journal = kv::MemMappedKVJournal;
constexpr const char *kFileA = "a.kv", *kFileB = "b.kv", *kJournalFile = "journal.kv";
constexpr std::size_t kHotKeys = 100, kHotJournalBytes = 8 * 1024, kSeedJournalBytes = 1024;
constexpr double kSeedRatio = 0.4;
constexpr std::size_t kSeedKeys = 3, kSeedRounds = 400, kHotSets = 200'000;
constexpr int kReaderCompactions = 3;

struct EngineSizes {  // quick mode's
  std::size_t reopen_keys = 50'000, memory_keys = 200'000, reader_keys = 100'000;
};
EngineSizes g_sizes;

enum class Values { ints, objects };

kv::Value value_of(std::size_t id, Values v) {
  const auto i = static_cast<std::int64_t>(id);
  if (v == Values::ints) return kv::Value(i * 1000 + 7);
  return kv::Value::object({{"id", i}, {"name", "user-" + std::to_string(id)}, {"ok", true}});
}

// The same shuffle for every file, so journal and store hold the same keys
// written in the same order.
std::vector<std::size_t> insertion_order(std::size_t n) {
  std::vector<std::size_t> ids(n);
  for (std::size_t i = 0; i < n; ++i) ids[i] = i;
  std::shuffle(ids.begin(), ids.end(), std::mt19937_64(1));
  return ids;
}

Store open_store(const fs::path& dir, const kv::StoreOptions& o = {}) {
  return Store::open(dir / kFileA, dir / kFileB, o);
}

Journal open_journal(const fs::path& dir) {
  return Journal::open(
      memvec::FileBackend::open(dir / kJournalFile, {.mode = memvec::OpenMode::open_existing}));
}

void write_journal(const fs::path& dir, std::size_t n, Values v) {
  auto j = Journal::create(
      memvec::FileBackend::open(dir / kJournalFile, {.mode = memvec::OpenMode::create_new}));
  for (const std::size_t id : insertion_order(n)) j.set(key_name(id), value_of(id, v));
}

// Compacted at the end, so that reopening starts from one snapshot record:
// the state every compaction leaves behind.
void write_store(const fs::path& dir, std::size_t n, Values v) {
  auto s = open_store(dir);
  for (const std::size_t id : insertion_order(n)) s.set(key_name(id), value_of(id, v));
  s.compact();
}

// Files built once per (what, n) and kept until exit: building 1M keys takes
// longer than the measurement.
const fs::path& prepared(const std::string& what, std::size_t n, Values v) {
  static std::map<std::string, std::unique_ptr<TempDir>> made;
  const std::string tag = what + (v == Values::ints ? "_int_" : "_object_") + std::to_string(n);
  auto& dir = made[tag];
  if (!dir) {
    auto fresh = std::make_unique<TempDir>(tag);
    (what == "store" ? write_store : write_journal)(fresh->path(), n, v);
    dir = std::move(fresh);
    g_at_exit.emplace_back([tag] { made.erase(tag); });
  }
  return dir->path();
}

void check_size(std::size_t got, std::size_t want) {
  if (got != want) fail("holds " + std::to_string(got) + " keys, wanted " + std::to_string(want));
}

double file_bytes(const fs::path& p) { return static_cast<double>(fs::file_size(p)); }

// --- reopen ------------------------------------------------------------------

template <bool IsStore>
void BM_reopen(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  try {
    const fs::path& dir = prepared(IsStore ? "store" : "journal", n, Values::ints);
    for (auto _ : state) {
      const Clock::time_point t0 = Clock::now();
      if constexpr (IsStore) {
        auto s = open_store(dir);
        state.SetIterationTime(seconds_since(t0));
        check_size(s.size(), n);
      } else {
        auto j = open_journal(dir);
        state.SetIterationTime(seconds_since(t0));
        check_size(j.size(), n);
      }
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// --- writes into a fresh store or journal ------------------------------------

// `write(kv, i)` n times into a fresh store (or journal) per iteration, then
// `done(kv)` checks it and `files(dir)` reads the sizes a close leaves (both
// untimed).
template <bool IsStore, class Write, class Done, class Files>
void fill(benchmark::State& state, const kv::StoreOptions& o, std::size_t n, Write write, Done done,
          Files files) {
  try {
    for (auto _ : state) {
      TempDir dir("fill");
      {
        auto kv = [&] {
          if constexpr (IsStore)
            return open_store(dir.path(), o);
          else
            return Journal::create(memvec::FileBackend::open(
                dir.path() / kJournalFile, {.mode = memvec::OpenMode::create_new}));
        }();
        const Clock::time_point t0 = Clock::now();
        for (std::size_t i = 0; i < n; ++i) write(kv, i);
        state.SetIterationTime(seconds_since(t0));
        done(kv);
      }
      files(dir.path());
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

template <bool IsStore>
void BM_set_int(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  fill<IsStore>(
      state, {}, n, [](auto& kv, std::size_t i) { kv.set(g_data.keys[i], g_data.int_values[i]); },
      [n](auto& kv) {
        check_size(kv.size(), n);
        if (kv.get(g_data.keys[n - 1]) != g_data.int_values[n - 1]) fail("wrong last value");
      },
      [](const fs::path&) {});
}

// Key r % 100 := string value r % values: the last round's values must stand.
template <bool IsStore>
void BM_hot_str(benchmark::State& state) {
  const auto sets = static_cast<std::size_t>(state.range(0));
  const std::size_t values = g_data.str_values.size();
  const auto done = [&](auto& kv) {
    check_size(kv.size(), kHotKeys);
    const std::size_t last = sets - 1;
    if (kv.get(g_data.keys[last % kHotKeys]) != g_data.str_values[last % values])
      fail("wrong value for the last hot key written");
    if constexpr (IsStore) state.counters["switches"] = static_cast<double>(kv.switch_count());
  };
  const auto files = [&](const fs::path& dir) {
    if constexpr (IsStore) {
      state.counters["file_a_bytes"] = file_bytes(dir / kFileA);
      state.counters["file_b_bytes"] = file_bytes(dir / kFileB);
    } else {
      state.counters["file_bytes"] = file_bytes(dir / kJournalFile);
    }
  };
  fill<IsStore>(
      state, {.initial_size = kHotJournalBytes}, sets,
      [values](auto& kv, std::size_t r) {
        kv.set(g_data.keys[r % kHotKeys], g_data.str_values[r % values]);
      },
      done, files);
}

// examples/double_buffered's workload: round r sets key_0..key_2 := "value_r".
void BM_seed(benchmark::State& state) {
  const auto rounds = static_cast<std::size_t>(state.range(0));
  std::vector<kv::Value> round_values;
  for (std::size_t r = 0; r < rounds; ++r) round_values.emplace_back("value_" + std::to_string(r));
  const std::string keys[kSeedKeys] = {"key_0", "key_1", "key_2"};
  const kv::StoreOptions o{.initial_size = kSeedJournalBytes, .high_water_mark_ratio = kSeedRatio};
  fill<true>(
      state, o, rounds * kSeedKeys,
      [&](Store& s, std::size_t i) { s.set(keys[i % kSeedKeys], round_values[i / kSeedKeys]); },
      [&](Store& s) {
        check_size(s.size(), kSeedKeys);
        if (s.get(keys[0]) != round_values.back()) fail("wrong value after the last round");
        state.counters["switches"] = static_cast<double>(s.switch_count());
      },
      [&](const fs::path& dir) {
        state.counters["file_a_bytes"] = file_bytes(dir / kFileA);
        state.counters["file_b_bytes"] = file_bytes(dir / kFileB);
      });
}

// --- anonymous memory after an open -------------------------------------------

constexpr const char* kChildFlag = "--anon-child";

// The child: `--anon-child journal|store DIR KEYS`; prints "ANON_BYTES
// SECONDS" for one open, while the store is still open.
int anon_child(char** argv) try {
  const std::string_view what = argv[2];
  const fs::path dir = argv[3];
  const std::size_t n = std::strtoull(argv[4], nullptr, 10);
  const std::size_t before = rss_anon_bytes();
  const Clock::time_point t0 = Clock::now();
  const auto report = [&](std::size_t size) {
    const double seconds = seconds_since(t0);
    const std::size_t after = rss_anon_bytes();
    check_size(size, n);
    std::printf("%zu %.9f\n", after > before ? after - before : 0, seconds);
  };
  if (what == "store") {
    const auto s = open_store(dir);
    report(s.size());
  } else {
    const auto j = open_journal(dir);
    report(j.size());
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "anon child: %s\n", e.what());
  return 1;
}

// "ANON_BYTES SECONDS" from a child that opened `what` in `dir`.
std::pair<double, double> read_in_child(const std::string& what, const fs::path& dir,
                                        std::size_t n) {
  const std::string out = run_self({kChildFlag, what, dir.string(), std::to_string(n)});
  std::pair<double, double> r;
  if (std::sscanf(out.c_str(), "%lf %lf", &r.first, &r.second) != 2) fail("child said: " + out);
  return r;
}

void BM_anon_memory(benchmark::State& state, const std::string& what, Values v) {
  const auto n = static_cast<std::size_t>(state.range(0));
  try {
    const fs::path& dir = prepared(what, n, v);
    for (auto _ : state) {
      const auto [anon_bytes, seconds] = read_in_child(what, dir, n);
      state.SetIterationTime(seconds);
      state.counters["anon_bytes"] = anon_bytes;
      state.counters["anon_bytes_per_key"] = anon_bytes / static_cast<double>(n);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// --- a reader's get() while the writer compacts --------------------------------

void BM_reader_get(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  try {
    // Opened once: each interleaved repetition calls this anew, and today an open
    // of 1M compacted keys takes over a minute. `new`: Store moves by elision only.
    static std::unique_ptr<Store> opened;
    static std::vector<std::string> keys;
    if (!opened) {
      opened.reset(new Store(open_store(prepared("store", n, Values::ints))));
      for (std::size_t i = 0; i < n; ++i) keys.push_back(key_name(i));
      g_at_exit.emplace_back([] { opened.reset(); });  // before prepared()'s files go
    }
    Store& s = *opened;
    for (auto _ : state) {
      std::atomic<bool> compacting{true};
      std::vector<float> ms;  // floats: tens of millions of gets fit
      ms.reserve(1 << 22);
      std::string reader_error;
      std::thread reader([&] {
        try {
          std::mt19937_64 rng(3);
          while (compacting.load(std::memory_order_relaxed)) {
            const std::string& key = keys[rng() % n];
            const Clock::time_point t0 = Clock::now();
            const auto v = s.get(key);
            ms.push_back(static_cast<float>(seconds_since(t0) * 1e3));
            if (!v) fail("a reader missed " + key);
          }
        } catch (const std::exception& e) {
          reader_error = e.what();
        }
      });
      const Clock::time_point t0 = Clock::now();
      for (int c = 0; c < kReaderCompactions; ++c) s.compact();
      state.SetIterationTime(seconds_since(t0));
      compacting = false;
      reader.join();
      if (!reader_error.empty()) fail(reader_error);
      if (ms.empty()) fail("the reader never ran");
      std::sort(ms.begin(), ms.end());
      state.counters["max_get_ms"] = ms.back();
      state.counters["p99_get_ms"] = ms[ms.size() * 99 / 100];
      state.counters["gets"] = static_cast<double>(ms.size());
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kReaderCompactions);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string_view(argv[1]) == kChildFlag) return anon_child(argv);
  Runner runner(argc, argv);
  if (g_cfg.full)
    g_sizes = {.reopen_keys = 300'000, .memory_keys = 1'000'000, .reader_keys = 1'000'000};
  g_sizes.reopen_keys = env_size("MEMVEC_BENCH_REOPEN_KEYS", g_sizes.reopen_keys);
  g_sizes.memory_keys = env_size("MEMVEC_BENCH_MEMORY_KEYS", g_sizes.memory_keys);
  g_sizes.reader_keys = env_size("MEMVEC_BENCH_READER_KEYS", g_sizes.reader_keys);
  if (g_cfg.keys < kHotKeys || g_sizes.reopen_keys == 0 || g_sizes.memory_keys == 0 ||
      g_sizes.reader_keys == 0) {
    std::fprintf(stderr, "bench_store_engine: sizes must be positive, keys >= %zu\n", kHotKeys);
    return 2;
  }
  make_data(g_cfg.keys, 0);

  // A reopen of 300k compacted keys takes seconds today: a fixed count keeps
  // the run's length known whatever the engine does.
  const int reps = g_cfg.repetitions;  // anon_memory reads once: memory does not vary
  const auto r = static_cast<std::int64_t>(g_sizes.reopen_keys);
  runner.add_fixed("reopen/memvec_store_compacted", BM_reopen<true>, r, 1, reps);
  runner.add_fixed("reopen/memvec_journal", BM_reopen<false>, r, 1, reps);

  const auto n = static_cast<std::int64_t>(g_cfg.keys);
  runner.add("set_int/memvec_store", BM_set_int<true>, n);
  runner.add("set_int/memvec_file", BM_set_int<false>, n);
  const auto h = static_cast<std::int64_t>(kHotSets);
  runner.add("hot_str/memvec_store", BM_hot_str<true>, h);
  runner.add("hot_str/memvec_file", BM_hot_str<false>, h);
  runner.add_fixed("seed/memvec_store", BM_seed, static_cast<std::int64_t>(kSeedRounds), 5,
                   reps);

  const auto m = static_cast<std::int64_t>(g_sizes.memory_keys);
  for (const std::string what : {"journal", "store"})
    for (const Values v : {Values::ints, Values::objects}) {
      const std::string name = "anon_memory/" + what + (v == Values::ints ? "_int" : "_object");
      runner.add_fixed(
          name, [what, v](benchmark::State& s) { BM_anon_memory(s, what, v); }, m, 1, 1);
    }
  // The goal is a worst case: a "max" aggregate keeps the slowest repetition.
  runner
      .add_fixed("reader_get/memvec_store_compacting", BM_reader_get,
                 static_cast<std::int64_t>(g_sizes.reader_keys), 1, reps)
      ->ComputeStatistics("max", [](const std::vector<double>& v) {
        return *std::max_element(v.begin(), v.end());
      });

  return runner.run([] {
    benchmark::AddCustomContext("memvec.reopen_keys", std::to_string(g_sizes.reopen_keys));
    benchmark::AddCustomContext("memvec.memory_keys", std::to_string(g_sizes.memory_keys));
    benchmark::AddCustomContext("memvec.reader_keys", std::to_string(g_sizes.reader_keys));
    benchmark::AddCustomContext("memvec.hot_sets", std::to_string(kHotSets));
    benchmark::AddCustomContext("memvec.seed_rounds", std::to_string(kSeedRounds));
  });
}
