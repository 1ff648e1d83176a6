#!/bin/sh
# Builds the benchmarks (Release, CMake) into build-bench/, runs them, then
# prints the medians and the goal ratios (benchmarks/results.py):
#   bench_mem_vec (push_back, ratios of median times):
#     MemVec<AnonBackend> / std::vector       goal <= 1.0
#     MemVec<FileBackend> / MemVec<Anon>      goal <= 1.5
#   bench_kv (ratios of median items/s; memvec = KVJournal<FileBackend>):
#     memvec set / LMDB set, int and string   goal >= 2
#     memvec set / LevelDB set, int and string goal >= 2
#     memvec get / LMDB get                   goal >= 2
#     replay records/s                        goal >= 10 M/s
#     memvec durable set / LevelDB sync=true  goal >= 1
#   bench_store (ratios of median items/s; store = DoubleBufferedMemMappedKV):
#     store set / LMDB set, int and string    goal >= 2
#     store set / LevelDB set, int and string goal >= 2
#     store get / LMDB get                    goal >= 2
#     hot-key sets/s (100 keys)               goal >= 2 M/s, files <= 1 MiB
#   bench_store_engine (issue 11's table; store = DoubleBufferedMemMappedKV,
#   journal = MemMappedKVJournal, in one run):
#     reopen compacted store / journal, same keys   goal <= 1.5x
#     store set / journal set, on disk, defaults    goal >= 0.6
#     hot keys, 32-byte strings, 8 KiB journals     goal >= 4 M/s, files <= 64 KiB
#     seed example (1 KiB journals, ratio 0.4)      goal >= 4 switches, files <= 4 KiB
#     anonymous memory after open, 4 kinds          goal <= 64 B/key + 16 MiB
#     reader get while the writer compacts          goal <= 5 ms worst case
#   bench_checksum (only when asked for, see MEMVEC_BENCH_SUITES): CRC32C
#     against XXH3 per input size.
#
# usage: benchmarks/run.sh [--full] [--benchmark_* flags...]
#   --full (or MEMVEC_BENCH_FULL=1): the goal sizes (50M pushes and a
#   1 GiB reopen file; 100k keys, 1M replay records, 2k durable writes); the
#   default quick mode uses 5M / 128 MiB and 20k / 200k / 200. The store
#   engine suite: --full, issue 11's 300k reopen keys and 1M keys for memory
#   and the reader (a compacted store's reopen is quadratic today: 300k keys
#   take seconds each, 1M over a minute); quick, 50k / 200k / 100k.
#   The flags go to every benchmark binary (a --benchmark_filter too).
#   MEMVEC_BENCH_SUITES picks the binaries, default "mem_vec kv store
#   store_engine"; add "checksum" for bench_checksum (e.g.
#   MEMVEC_BENCH_SUITES="kv checksum").
#   MEMVEC_BENCH_BUILD_DIR overrides the build directory; MEMVEC_BENCH_JSON_DIR
#   keeps each suite's Google Benchmark JSON there as SUITE.json (default: a
#   temporary directory, removed). benchmarks/results.py reads them.
#   benchmarks/report.sh runs this, then a size sweep, and writes
#   docs/BENCHMARKS.md with plots.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${MEMVEC_BENCH_BUILD_DIR:-$root/build-bench}
suites=${MEMVEC_BENCH_SUITES:-"mem_vec kv store store_engine"}

targets=""
for s in $suites; do
  case $s in
    mem_vec | kv | store | store_engine | checksum) targets="$targets bench_$s" ;;
    *) echo "run.sh: unknown suite '$s' (mem_vec, kv, store, store_engine, checksum)" >&2; exit 2 ;;
  esac
done

generator=""
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then
  generator="-G Ninja"
fi
# shellcheck disable=SC2086 # $generator is empty or two words
cmake -S "$root" -B "$build" $generator -DCMAKE_BUILD_TYPE=Release \
  -DMEMVEC_BUILD_BENCHMARKS=ON -DMEMVEC_BUILD_TESTS=OFF -DMEMVEC_BUILD_EXAMPLES=OFF >/dev/null
# shellcheck disable=SC2086 # one word per target
cmake --build "$build" --target $targets -j 2

if [ -n "${MEMVEC_BENCH_JSON_DIR:-}" ]; then
  out=$MEMVEC_BENCH_JSON_DIR
  mkdir -p "$out"
else
  out=$(mktemp -d "${TMPDIR:-/tmp}/memvec_bench.XXXXXX")
  trap 'rm -rf "$out"' EXIT INT TERM
fi

for s in $suites; do
  "$build/bench_$s" --benchmark_out="$out/$s.json" --benchmark_out_format=json "$@"
  python3 -B "$root/benchmarks/results.py" "$s" "$out/$s.json"
done
