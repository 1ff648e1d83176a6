// bench_mem_vec: MemVec push_back against std::vector and Boost.Interprocess,
// and the reopen time of a large MemVec file (docs/BENCHMARKS.md).
//
//   bench_mem_vec            quick mode: N = 5,000,000 pushes, 128 MiB reopen file
//   bench_mem_vec --full     (or MEMVEC_BENCH_FULL=1) N = 50,000,000, 1 GiB file,
//                            the goal sizes
//   MEMVEC_BENCH_N=...       overrides N; every --benchmark_* flag works as usual
//
// Every push_back benchmark appends N uint64_t to an empty container with no
// reserve(): construction, all growth and destruction are inside the timed
// region; deleting the temporary file is not. Times are wall-clock
// (UseRealTime: page faults and mremap are kernel time). Each benchmark is
// repeated (quick: 3 x >= 0.2 s, full: 5 x >= 0.5 s) and reports only
// mean/median/stddev/cv: compare medians, the machines are shared and noisy
// (on a VM that returns free memory to its host, the first iteration of a
// benchmark can pay several times more for first-touch page faults; the
// median over repetitions filters that out).
// benchmarks/run.sh prints the goal ratios.
//
// Temporary files go to std::filesystem::temp_directory_path() ($TMPDIR or
// /tmp) under unique names (pid + counter) and are removed after each use.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <boost/interprocess/allocators/allocator.hpp>
#include <boost/interprocess/containers/vector.hpp>
#include <boost/interprocess/managed_mapped_file.hpp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "memvec/memvec.hpp"

namespace fs = std::filesystem;
namespace bip = boost::interprocess;

namespace {

struct Config {
  bool full = false;
  std::uint64_t n = 5'000'000;                            // pushes per iteration
  std::uint64_t reopen_bytes = std::uint64_t{128} << 20;  // size of the reopened file
  int repetitions = 3;
  double min_time = 0.2;  // seconds per repetition (Google Benchmark's default is 0.5)
};
Config g_cfg;

fs::path unique_path(std::string_view tag) {
  static unsigned counter = 0;
  return fs::temp_directory_path() / ("memvec_bench_" + std::to_string(::getpid()) + "_" +
                                      std::to_string(counter++) + "_" + std::string(tag));
}

void remove_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
}

void finish(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(state.range(0)));
}

// --- push_back ×N, no reserve ---------------------------------------------

void BM_push_std_vector(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  for (auto _ : state) {
    std::vector<std::uint64_t> v;
    for (std::uint64_t i = 0; i < n; ++i) v.push_back(i);
    if (v.size() != n || v.back() != n - 1) state.SkipWithError("wrong contents");
    benchmark::DoNotOptimize(v.data());
    benchmark::ClobberMemory();
  }
  finish(state);
}

void BM_push_memvec_anon(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  for (auto _ : state) {
    auto v = memvec::MemVec<std::uint64_t, memvec::AnonBackend>::create(memvec::AnonBackend{});
    for (std::uint64_t i = 0; i < n; ++i) v.push_back(i);
    if (v.size() != n || v.back() != n - 1) state.SkipWithError("wrong contents");
    benchmark::DoNotOptimize(v.data());
    benchmark::ClobberMemory();
  }
  finish(state);
}

// FileBackend or MappedFileBackend: a new file per iteration.
template <class FB>
void BM_push_memvec_file(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  for (auto _ : state) {
    const fs::path path = unique_path("push.mv");
    {
      auto v = memvec::MemVec<std::uint64_t, FB>::create(
          FB::open(path, {.mode = memvec::OpenMode::create_new}));
      for (std::uint64_t i = 0; i < n; ++i) v.push_back(i);
      if (v.size() != n || v.back() != n - 1) state.SkipWithError("wrong contents");
      benchmark::DoNotOptimize(v.data());
      benchmark::ClobberMemory();
    }  // unmap + close (no sync: process-crash durability, the default)
    state.PauseTiming();
    remove_quietly(path);
    state.ResumeTiming();
  }
  finish(state);
}

// boost::interprocess::vector in a managed_mapped_file. The file starts at
// 1 MiB; when the segment runs out, push_back throws bip::bad_alloc (strong
// guarantee: nothing pushed), and we unmap, double the file with
// managed_mapped_file::grow (ftruncate + segment grow), map it again, find
// the vector and retry — the documented way to grow a managed segment.
using IpcSegment = bip::managed_mapped_file;
using IpcVector =
    bip::vector<std::uint64_t, bip::allocator<std::uint64_t, IpcSegment::segment_manager>>;

void BM_push_boost_ipc_vector(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  constexpr std::size_t kInitialFile = std::size_t{1} << 20;
  std::int64_t grows = 0;
  for (auto _ : state) {
    const fs::path path = unique_path("push.bip");
    {
      std::size_t file_size = kInitialFile;
      auto seg = std::make_unique<IpcSegment>(bip::create_only, path.c_str(), file_size);
      IpcVector* v = seg->construct<IpcVector>("v")(seg->get_segment_manager());
      for (std::uint64_t i = 0; i < n; ++i) {
        for (;;) {
          try {
            v->push_back(i);
            break;
          } catch (const bip::bad_alloc&) {
            seg.reset();  // the file must not be mapped while it grows
            if (!IpcSegment::grow(path.c_str(), file_size))
              throw std::runtime_error("managed_mapped_file::grow failed");
            file_size *= 2;
            ++grows;
            seg = std::make_unique<IpcSegment>(bip::open_only, path.c_str());
            v = seg->find<IpcVector>("v").first;
          }
        }
      }
      if (v->size() != n || v->back() != n - 1) state.SkipWithError("wrong contents");
      benchmark::DoNotOptimize(v->data());
      benchmark::ClobberMemory();
    }
    state.PauseTiming();
    remove_quietly(path);
    state.ResumeTiming();
  }
  state.counters["file_grows"] =
      benchmark::Counter(static_cast<double>(grows), benchmark::Counter::kAvgIterations);
  finish(state);
}

// --- reopen of an existing large file ---------------------------------------

// The file is written once (outside any timing), filled to capacity with
// push_back, and removed when the program ends.
struct ReopenFile {
  fs::path path = unique_path("reopen.mv");
  std::uint64_t elements = 0;
  explicit ReopenFile(std::uint64_t bytes) {
    auto v = memvec::MemVec<std::uint64_t, memvec::FileBackend>::create(memvec::FileBackend::open(
        path, {.mode = memvec::OpenMode::create_new, .initial_size = bytes}));
    for (std::uint64_t i = 0; v.size() < v.capacity(); ++i) v.push_back(i);
    elements = v.size();
    v.close();
  }
  ~ReopenFile() { remove_quietly(path); }
};
std::optional<ReopenFile> g_reopen_file;

const ReopenFile& reopen_file() {
  if (!g_reopen_file) g_reopen_file.emplace(g_cfg.reopen_bytes);
  return *g_reopen_file;
}

// FileBackend::open + MemVec::open (header validation) + reading the last
// element + close: what a program pays to get its data back.
void BM_reopen_memvec_file(benchmark::State& state) {
  const ReopenFile& f = reopen_file();
  for (auto _ : state) {
    auto v = memvec::MemVec<std::uint64_t, memvec::FileBackend>::open(
        memvec::FileBackend::open(f.path, {.mode = memvec::OpenMode::open_existing}));
    if (v.size() != f.elements) state.SkipWithError("reopened vector has the wrong size");
    benchmark::DoNotOptimize(v.back());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));  // reopens/s
  state.counters["file_MiB"] = static_cast<double>(f.elements * 8 + 256) / (1 << 20);
}

// The same, then a sequential read of every element (page cache hot).
void BM_reopen_and_scan_memvec_file(benchmark::State& state) {
  const ReopenFile& f = reopen_file();
  for (auto _ : state) {
    auto v = memvec::MemVec<std::uint64_t, memvec::FileBackend>::open(
        memvec::FileBackend::open(f.path, {.mode = memvec::OpenMode::read_only}));
    std::uint64_t sum = 0;
    for (const std::uint64_t x : v) sum += x;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * f.elements));
}

bool env_is_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Our own flag first (Google Benchmark rejects flags it does not know).
  bool user_repetitions = false, user_min_time = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--full") {
      g_cfg.full = true;
      continue;
    }
    if (a.starts_with("--benchmark_repetitions")) user_repetitions = true;
    if (a.starts_with("--benchmark_min_time")) user_min_time = true;
    args.push_back(argv[i]);
  }
  if (env_is_set("MEMVEC_BENCH_FULL")) g_cfg.full = true;
  if (g_cfg.full) {
    g_cfg.n = 50'000'000;
    g_cfg.reopen_bytes = std::uint64_t{1} << 30;
    g_cfg.repetitions = 5;
    g_cfg.min_time = 0.5;
  }
  if (const char* n = std::getenv("MEMVEC_BENCH_N")) g_cfg.n = std::strtoull(n, nullptr, 10);

  const auto n = static_cast<std::int64_t>(g_cfg.n);
  std::vector<benchmark::internal::Benchmark*> all = {
      benchmark::RegisterBenchmark("push_back/std::vector", BM_push_std_vector)->Arg(n),
      benchmark::RegisterBenchmark("push_back/MemVec<AnonBackend>", BM_push_memvec_anon)->Arg(n),
      benchmark::RegisterBenchmark("push_back/MemVec<FileBackend>",
                                   BM_push_memvec_file<memvec::FileBackend>)
          ->Arg(n),
      benchmark::RegisterBenchmark("push_back/MemVec<MappedFileBackend>",
                                   BM_push_memvec_file<memvec::MappedFileBackend>)
          ->Arg(n),
      benchmark::RegisterBenchmark("push_back/boost::interprocess::vector",
                                   BM_push_boost_ipc_vector)
          ->Arg(n),
      benchmark::RegisterBenchmark(
          g_cfg.full ? "reopen/MemVec<FileBackend>/1GiB" : "reopen/MemVec<FileBackend>/128MiB",
          BM_reopen_memvec_file),
      benchmark::RegisterBenchmark(g_cfg.full ? "reopen+scan/MemVec<FileBackend>/1GiB"
                                              : "reopen+scan/MemVec<FileBackend>/128MiB",
                                   BM_reopen_and_scan_memvec_file),
  };
  for (auto* b : all) {
    b->UseRealTime()->Unit(benchmark::kMillisecond);
    if (!user_repetitions) b->Repetitions(g_cfg.repetitions)->ReportAggregatesOnly(true);
    if (!user_min_time) b->MinTime(g_cfg.min_time);
  }
  all[5]->Unit(benchmark::kMicrosecond);

  int bargc = static_cast<int>(args.size());
  benchmark::Initialize(&bargc, args.data());
  if (benchmark::ReportUnrecognizedArguments(bargc, args.data())) return 1;
  benchmark::AddCustomContext("memvec.mode", g_cfg.full ? "full" : "quick");
  benchmark::AddCustomContext("memvec.N", std::to_string(g_cfg.n));
  benchmark::AddCustomContext("memvec.reopen_bytes", std::to_string(g_cfg.reopen_bytes));
  benchmark::AddCustomContext("memvec.tmpdir", fs::temp_directory_path().string());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  g_reopen_file.reset();  // removes the reopen file
  return 0;
}
