// bench_checksum: the record checksum candidates on record-sized inputs —
// memvec::crc32c (SSE4.2 crc32 instruction, dispatched at run time) against
// XXH3_64bits (libxxhash), for the journal issue's "measure and choose".
//
//   bench_checksum [--full] [--benchmark_* flags]   (--full: 5 repetitions of
//                                                    >= 0.2 s instead of 3 of 0.1 s)
//
// Inputs: 16, 64, 256 and 4096 bytes (a small set() record is ~25-60 bytes
// of length+type+payload; 4096 is a page of snapshot). Each iteration hashes
// the same buffer once; the result feeds the next call's seed where the API
// has one, so calls cannot overlap or be hoisted, as in the journal, where
// each record's checksum is computed on its own. Reported: time per call and
// bytes/s. Two ways to call:
//   chained      each call's seed is the previous result, so calls cannot
//                overlap: the latency of one checksum
//   independent  a constant seed (as in the journal, whose record seed is
//                fixed per epoch): calls may overlap in the CPU, throughput
// Variants:
//   crc32c[_independent]   memvec::crc32c (SSE4.2 when the CPU has it)
//   crc32c_portable        memvec's slicing-by-8 fallback (no SSE4.2)
//   xxh3_64_seeded[_independent]
//                          XXH3_64bits_withSeed from the shared libxxhash (an
//                          out-of-line call, like memvec::crc32c; Debian builds
//                          it for baseline x86-64, i.e. SSE2); the seed would
//                          carry the journal's generation and epoch
//   xxh3_64_independent    XXH3_64bits (no seed)
//   xxh3_64_inline         XXH3_64bits_withSeed compiled into this file
//                          (XXH_INLINE_ALL, this build's flags), chained
//   xxh32                  XXH32, chained, for scale
// Built with MEMVEC_HAVE_XXHASH when the build found libxxhash; otherwise
// only the CRC rows run.
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "memvec/crc32c.hpp"

#ifdef MEMVEC_HAVE_XXHASH
#include <xxhash.h>
// The library's (out-of-line) functions, bound before xxhash.h is included a
// second time with XXH_INLINE_ALL, which redirects the XXH names to inlined
// copies (the header supports exactly this).
namespace lib {
std::uint64_t xxh3_seeded(const void* p, std::size_t n, std::uint64_t seed) {
  return XXH3_64bits_withSeed(p, n, seed);
}
std::uint64_t xxh3(const void* p, std::size_t n) { return XXH3_64bits(p, n); }
std::uint32_t xxh32(const void* p, std::size_t n, std::uint32_t seed) { return XXH32(p, n, seed); }
}  // namespace lib
#define XXH_INLINE_ALL
#include <xxhash.h>
#endif

namespace {

std::vector<std::byte> input(std::size_t n) {
  std::vector<std::byte> v(n);
  std::mt19937_64 rng(n);
  for (auto& b : v) b = static_cast<std::byte>(rng());
  return v;
}

template <class F>
void run(benchmark::State& state, F f) {
  const auto buf = input(static_cast<std::size_t>(state.range(0)));
  std::uint64_t h = 0;
  for (auto _ : state) {
    h = f(buf.data(), buf.size(), h);
    benchmark::DoNotOptimize(h);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

constexpr std::uint64_t kSeed = 0x9E3779B97F4A7C15ull;

void BM_crc32c(benchmark::State& state) {
  run(state, [](const std::byte* p, std::size_t n, std::uint64_t h) -> std::uint64_t {
    return memvec::crc32c(p, n, static_cast<std::uint32_t>(h));
  });
}
void BM_crc32c_independent(benchmark::State& state) {
  run(state, [](const std::byte* p, std::size_t n, std::uint64_t) -> std::uint64_t {
    return memvec::crc32c(p, n, static_cast<std::uint32_t>(kSeed));
  });
}
void BM_crc32c_portable(benchmark::State& state) {
  run(state, [](const std::byte* p, std::size_t n, std::uint64_t h) -> std::uint64_t {
    return memvec::detail::crc32c_portable(p, n, static_cast<std::uint32_t>(h));
  });
}
#ifdef MEMVEC_HAVE_XXHASH
void BM_xxh3_seeded(benchmark::State& state) {
  run(state, [](const std::byte* p, std::size_t n, std::uint64_t h) -> std::uint64_t {
    return lib::xxh3_seeded(p, n, h);
  });
}
void BM_xxh3_seeded_independent(benchmark::State& state) {
  run(state, [](const std::byte* p, std::size_t n, std::uint64_t) -> std::uint64_t {
    return lib::xxh3_seeded(p, n, kSeed);
  });
}
void BM_xxh3_independent(benchmark::State& state) {
  run(state, [](const std::byte* p, std::size_t n, std::uint64_t) -> std::uint64_t {
    return lib::xxh3(p, n);
  });
}
void BM_xxh3_inline(benchmark::State& state) {
  run(state, [](const std::byte* p, std::size_t n, std::uint64_t h) -> std::uint64_t {
    return XXH3_64bits_withSeed(p, n, h);  // inlined
  });
}
void BM_xxh32(benchmark::State& state) {
  run(state, [](const std::byte* p, std::size_t n, std::uint64_t h) -> std::uint64_t {
    return lib::xxh32(p, n, static_cast<std::uint32_t>(h));
  });
}
#endif

void sizes(benchmark::internal::Benchmark* b) {
  for (const int n : {16, 64, 256, 4096}) b->Arg(n);
}

}  // namespace

BENCHMARK(BM_crc32c)->Name("crc32c")->Apply(sizes);
BENCHMARK(BM_crc32c_independent)->Name("crc32c_independent")->Apply(sizes);
BENCHMARK(BM_crc32c_portable)->Name("crc32c_portable")->Apply(sizes);
#ifdef MEMVEC_HAVE_XXHASH
BENCHMARK(BM_xxh3_seeded)->Name("xxh3_64_seeded")->Apply(sizes);
BENCHMARK(BM_xxh3_seeded_independent)->Name("xxh3_64_seeded_independent")->Apply(sizes);
BENCHMARK(BM_xxh3_independent)->Name("xxh3_64_independent")->Apply(sizes);
BENCHMARK(BM_xxh3_inline)->Name("xxh3_64_inline")->Apply(sizes);
BENCHMARK(BM_xxh32)->Name("xxh32")->Apply(sizes);
#endif

int main(int argc, char** argv) {
  // --full (benchmarks/run.sh passes it to every binary) or
  // MEMVEC_BENCH_FULL=1: more repetitions; the sizes stay the same.
  bool full = false, user_repetitions = false, user_min_time = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--full") {
      full = true;
      continue;
    }
    if (a.starts_with("--benchmark_repetitions")) user_repetitions = true;
    if (a.starts_with("--benchmark_min_time")) user_min_time = true;
    args.push_back(argv[i]);
  }
  if (const char* e = std::getenv("MEMVEC_BENCH_FULL"); e != nullptr && *e != '\0' && std::string_view(e) != "0")
    full = true;
  std::string reps = "--benchmark_repetitions=" + std::string(full ? "5" : "3");
  std::string min_time = "--benchmark_min_time=" + std::string(full ? "0.2" : "0.1");
  std::string aggregates = "--benchmark_report_aggregates_only=true";
  if (!user_repetitions) {
    args.insert(args.begin() + 1, reps.data());
    args.insert(args.begin() + 1, aggregates.data());
  }
  if (!user_min_time) args.insert(args.begin() + 1, min_time.data());
  int bargc = static_cast<int>(args.size());
  benchmark::Initialize(&bargc, args.data());
  if (benchmark::ReportUnrecognizedArguments(bargc, args.data())) return 1;
  benchmark::AddCustomContext("memvec.mode", full ? "full" : "quick");
  benchmark::AddCustomContext("memvec.crc32c_hardware",
                              memvec::detail::crc32c_hardware_available() ? "sse4.2" : "portable");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
