// The parts bench_kv and bench_store share, so that both binaries measure
// the same workloads in the same way and their ratios stay comparable: the
// sizes (quick / --full / MEMVEC_BENCH_* overrides), the keys and values,
// temporary directories, the timed set/get bodies and the command line and
// run loop around Google Benchmark. The stores themselves are in peers.hpp.
//
// Timing (manual, steady_clock): only the operations. Each set iteration
// opens a fresh, empty store in a new temporary directory (untimed), times
// the N writes, then checks the contents and closes and deletes the store
// (untimed). Each get iteration reads every key of a store filled once.
//
// Repetitions (quick: 3 x >= 0.2 s, full: 5 x >= 0.5 s) run randomly
// interleaved across all benchmarks (--benchmark_enable_random_interleaving,
// on unless given), and only mean/median/stddev/cv are reported.
//
// Temporary stores live in unique directories under
// std::filesystem::temp_directory_path() ($TMPDIR or /tmp), removed after use.
#pragma once

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "memvec/kv.hpp"

namespace memvec_bench {

namespace fs = std::filesystem;
namespace kv = memvec::kv;
using Clock = std::chrono::steady_clock;

struct Config {
  bool full = false;
  std::size_t keys = 20'000;             // set/get workloads
  std::size_t replay_records = 200'000;  // bench_kv replay workload
  std::size_t durable_ops = 200;         // bench_kv durable_set workload
  std::size_t hot_keys = 100;            // bench_store hot_keys workload
  std::size_t hot_sets = 100'000;
  int repetitions = 3;
  double min_time = 0.2;
};
inline Config g_cfg;

// --- data ------------------------------------------------------------------

inline std::string key_name(std::size_t i) {
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
inline Data g_data;

// `n` keys; get_order permutes the first `gets` of them.
inline void make_data(std::size_t n, std::size_t gets) {
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

[[noreturn]] inline void fail(const std::string& what) { throw std::runtime_error(what); }

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

inline bool env_is_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

inline std::size_t env_size(const char* name, std::size_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

// --- benchmark bodies -------------------------------------------------------
// A store S: S(dir, mode) opens it empty in `dir`; put(i, kind) writes
// g_data.keys[i]; get_int(i) reads an int value back; holds(i, kind) and
// size() check the contents (untimed).

// Writes must have landed: the count and a few values, checked untimed.
template <class S>
void verify(S& s, std::size_t n, Kind kind) {
  if (s.size() != n) fail("store holds " + std::to_string(s.size()) + " keys, wanted " +
                          std::to_string(n));
  for (const std::size_t i : {std::size_t{0}, n / 2, n - 1})
    if (!s.holds(i, kind)) fail("wrong value for " + g_data.keys[i]);
}

// Times `n` writes into a fresh store per iteration: write(store, i) for i in
// [0, n), then done(store, dir) checks the contents (untimed; it may close
// the store first, to measure its files).
template <class S, class Write, class Done>
void BM_fill(benchmark::State& state, Mode mode, std::size_t n, Write write, Done done) {
  try {
    for (auto _ : state) {
      TempDir dir("set");
      auto s = std::make_unique<S>(dir.path(), mode);  // a pointer: closed before the dir goes
      const Clock::time_point t0 = Clock::now();
      for (std::size_t i = 0; i < n; ++i) write(*s, i);
      state.SetIterationTime(seconds_since(t0));
      done(s, dir.path());
      s.reset();
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

template <class S>
void BM_set(benchmark::State& state, Kind kind, Mode mode) {
  const auto n = static_cast<std::size_t>(state.range(0));
  BM_fill<S>(
      state, mode, n, [kind](S& s, std::size_t i) { s.put(i, kind); },
      [n, kind](std::unique_ptr<S>& s, const fs::path&) { verify(*s, n, kind); });
}

// A store holding g_data's N int values, filled once and kept until exit.
template <class S>
struct Filled {
  TempDir dir{"get"};
  std::unique_ptr<S> store;
};
inline std::vector<std::function<void()>> g_at_exit;  // closes the filled stores

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

// Reads every key once per iteration, in get_order, from a store filled
// once. scan(s, timed) calls timed(get) once, where get(i) returns key i's
// int value: timed() times the gets alone, so scan may set up around them.
template <class S, class Scan>
void BM_read(benchmark::State& state, Scan scan) {
  const auto n = static_cast<std::size_t>(state.range(0));
  try {
    S& s = filled_store<S>(n);
    for (auto _ : state) {
      std::int64_t sum = 0;
      scan(s, [&](auto&& get) {
        const Clock::time_point t0 = Clock::now();
        for (const std::size_t i : g_data.get_order) sum += get(i);
        state.SetIterationTime(seconds_since(t0));
      });
      if (sum != g_data.int_sum) fail("get returned wrong values");
      benchmark::DoNotOptimize(sum);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

// One get(s, i) call per key.
template <class S, class Get>
void BM_get(benchmark::State& state, Get get) {
  BM_read<S>(state, [get](S& s, auto&& timed) {
    timed([&](std::size_t i) { return get(s, i); });
  });
}

// --- command line and run loop -----------------------------------------------

// The benchmarks of one binary: set_<kind>/<store>, get_int/<store> and any
// other body, all with the repetition and timing defaults above.
class Runner {
 public:
  // Takes --full out of argv, notes the --benchmark_* flags the user gave
  // (they win over the defaults) and sets g_cfg from the mode and the
  // MEMVEC_BENCH_* variables.
  Runner(int argc, char** argv) {
    bool user_interleaving = false;
    for (int i = 0; i < argc; ++i) {
      const std::string_view a = argv[i];
      if (a == "--full") {
        g_cfg.full = true;
        continue;
      }
      if (a.starts_with("--benchmark_repetitions")) user_repetitions_ = true;
      if (a.starts_with("--benchmark_min_time")) user_min_time_ = true;
      if (a.starts_with("--benchmark_enable_random_interleaving")) user_interleaving = true;
      args_.push_back(argv[i]);
    }
    // Repetitions of all benchmarks run in a random interleaved order, so a
    // slow minute of a shared disk or CPU is spread over every store instead
    // of landing on the one that happened to run then (fsync times vary 10x).
    if (!user_interleaving) args_.insert(args_.begin() + 1, interleave_.data());
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
    g_cfg.hot_keys = env_size("MEMVEC_BENCH_HOT_KEYS", g_cfg.hot_keys);
    g_cfg.hot_sets = env_size("MEMVEC_BENCH_HOT_SETS", g_cfg.hot_sets);
  }

  template <class F>
  void add(const std::string& name, F fn, std::int64_t arg) {
    all_.push_back(benchmark::RegisterBenchmark(name.c_str(), fn)->Arg(arg));
  }
  // A workload too slow, or too one-off, for the min-time loop (a reopen of
  // 300k keys, a child process's memory reading): exactly `iterations` per
  // repetition; --benchmark_repetitions still wins over `repetitions`.
  template <class F>
  benchmark::internal::Benchmark* add_fixed(const std::string& name, F fn, std::int64_t arg,
                                            std::int64_t iterations, int repetitions) {
    auto* b = benchmark::RegisterBenchmark(name.c_str(), fn)->Arg(arg)->Iterations(iterations);
    fixed_.push_back({b, repetitions});
    return b;
  }
  template <class S>
  void add_set(const std::string& name, Kind kind, Mode mode, std::int64_t n) {
    add(name, [kind, mode](benchmark::State& s) { BM_set<S>(s, kind, mode); }, n);
  }
  // get_int/<store> through S::get_int unless `get` says otherwise.
  template <class S, class Get>
  void add_get(const std::string& name, std::int64_t n, Get get) {
    add(name, [get](benchmark::State& s) { BM_get<S>(s, get); }, n);
  }
  template <class S>
  void add_get(const std::string& name, std::int64_t n) {
    add_get<S>(name, n, [](S& s, std::size_t i) { return s.get_int(i); });
  }

  // Runs everything; `context` adds the binary's AddCustomContext lines.
  // Returns main's exit status.
  int run(const std::function<void()>& context) {
    for (auto* b : all_) {
      b->UseManualTime()->Unit(benchmark::kMillisecond);
      if (!user_repetitions_) b->Repetitions(g_cfg.repetitions)->ReportAggregatesOnly(true);
      if (!user_min_time_) b->MinTime(g_cfg.min_time);
    }
    for (auto& [b, repetitions] : fixed_) {
      b->UseManualTime()->Unit(benchmark::kMillisecond);
      if (!user_repetitions_) b->Repetitions(repetitions)->ReportAggregatesOnly(repetitions > 1);
    }
    int bargc = static_cast<int>(args_.size());
    benchmark::Initialize(&bargc, args_.data());
    if (benchmark::ReportUnrecognizedArguments(bargc, args_.data())) return 1;
    benchmark::AddCustomContext("memvec.mode", g_cfg.full ? "full" : "quick");
    benchmark::AddCustomContext("memvec.keys", std::to_string(g_cfg.keys));
    context();
    benchmark::AddCustomContext("memvec.tmpdir", fs::temp_directory_path().string());
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    for (auto it = g_at_exit.rbegin(); it != g_at_exit.rend(); ++it) (*it)();
    return 0;
  }

 private:
  std::string interleave_ = "--benchmark_enable_random_interleaving=true";
  std::vector<char*> args_;
  std::vector<benchmark::internal::Benchmark*> all_;
  std::vector<std::pair<benchmark::internal::Benchmark*, int>> fixed_;
  bool user_repetitions_ = false, user_min_time_ = false;
};

// "set_int/" or "set_str/": the name prefix of a set workload.
inline std::string set_prefix(Kind kind) {
  return kind == Kind::int_value ? "set_int/" : "set_str/";
}

}  // namespace memvec_bench
