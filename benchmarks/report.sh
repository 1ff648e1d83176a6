#!/bin/sh
# The benchmark report in one command: installs what it needs (Debian 12, apt:
# scripts/deps.sh plus gnuplot-nox), builds and runs the benchmark suites with
# benchmarks/run.sh (mem_vec, kv, store: the medians and goal ratios;
# store_engine: issue 11's table, the report's "Store engine" section),
# then a size sweep of the workloads that scale with data size, and writes
# docs/BENCHMARKS.md (machine, versions, tables) with PNG plots of throughput
# versus data size in docs/bench/ (benchmarks/report.py, gnuplot).
#
# usage: benchmarks/report.sh [--full]
#   default (quick), about 5 minutes on 2 cores once built: run.sh, then the
#   sweep at 3 repetitions of at least 0.02 s each (run.sh: 0.2 s)
#     push_back N        10k 100k 1M, and run.sh's 5M
#     set/get keys       1k 5k 100k, and run.sh's 20k (replay records: 10x keys)
#     hot-key sets       10k 1M, and run.sh's 100k
#   --full (or MEMVEC_BENCH_FULL=1): run.sh --full (the goal sizes),
#   and the sweep at 10k 100k 1M 10M / 50M pushes, 1k 10k 1M / 100k keys,
#   10k 1M / 100k hot-key sets (5 repetitions of at least 0.1 s; run.sh: 0.5 s).
#   It takes an hour or more.
#   MEMVEC_BENCH_BUILD_DIR overrides the build directory (build-bench/).
# The temporary stores go to $TMPDIR (or /tmp); its filesystem is in the report.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
mode=quick
case "${1:-}" in
  --full) mode=full ;;
  "") ;;
  *) echo "usage: benchmarks/report.sh [--full]" >&2; exit 2 ;;
esac
case "${MEMVEC_BENCH_FULL:-}" in "" | 0) ;; *) mode=full ;; esac

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%s)
say() { echo "report: $(($(date -u +%s) - started)) s: $*"; }
# The sizes come from this script alone.
unset MEMVEC_BENCH_FULL MEMVEC_BENCH_N MEMVEC_BENCH_KEYS MEMVEC_BENCH_REPLAY \
  MEMVEC_BENCH_DURABLE MEMVEC_BENCH_HOT_KEYS MEMVEC_BENCH_HOT_SETS MEMVEC_BENCH_SUITES \
  MEMVEC_BENCH_REOPEN_KEYS MEMVEC_BENCH_MEMORY_KEYS MEMVEC_BENCH_READER_KEYS
if [ "$mode" = full ]; then
  full=--full
  sweep_min_time=0.1
  push_sizes="10000 100000 1000000 10000000"
  key_sizes="1000 10000 1000000"
  hot_sizes="10000 1000000"
else
  full=""
  sweep_min_time=0.02
  push_sizes="10000 100000 1000000"
  key_sizes="1000 5000 100000"
  hot_sizes="10000 1000000"
fi

"$root/scripts/deps.sh" gnuplot-nox

MEMVEC_BENCH_BUILD_DIR=${MEMVEC_BENCH_BUILD_DIR:-$root/build-bench}
export MEMVEC_BENCH_BUILD_DIR
results=$(mktemp -d "${TMPDIR:-/tmp}/memvec_report.XXXXXX")
trap 'rm -rf "$results"' EXIT INT TERM

say "[1/4] run.sh${full:+ $full}: the suites at their default sizes"
# shellcheck disable=SC2086 # $full is empty or one word
MEMVEC_BENCH_SUITES="mem_vec kv store store_engine" MEMVEC_BENCH_JSON_DIR="$results" \
  "$root/benchmarks/run.sh" $full

steps=0
for _ in $push_sizes $key_sizes $key_sizes $hot_sizes; do steps=$((steps + 1)); done
step=0
# sweep SUITE TAG FILTER [VAR=VALUE...]: one run of bench_SUITE with those
# sizes, its JSON kept as SUITE.TAG.json, its console output in a log.
sweep() {
  suite=$1 tag=$2 filter=$3
  shift 3
  step=$((step + 1))
  say "sweep $step/$steps: bench_$suite $* ($filter)"
  # shellcheck disable=SC2086 # $full is empty or one word
  if ! env "$@" "$MEMVEC_BENCH_BUILD_DIR/bench_$suite" $full --benchmark_filter="$filter" \
      --benchmark_min_time="$sweep_min_time" \
      --benchmark_out="$results/$suite.$tag.json" --benchmark_out_format=json \
      >"$results/$suite.$tag.log" 2>&1; then
    tail -n 20 "$results/$suite.$tag.log" >&2
    echo "report: bench_$suite $* failed" >&2
    exit 1
  fi
}

say "[2/4] size sweep"
for n in $push_sizes; do
  sweep mem_vec "n$n" '^push_back/' MEMVEC_BENCH_N="$n"
done
for k in $key_sizes; do
  sweep kv "k$k" '^(set_int|get_int|replay|replay_core)/' MEMVEC_BENCH_KEYS="$k" MEMVEC_BENCH_REPLAY=$((k * 10))
done
for k in $key_sizes; do
  sweep store "k$k" '^(set_int|get_int)/memvec_store/' MEMVEC_BENCH_KEYS="$k"
done
for h in $hot_sizes; do
  filter='^hot_keys/'
  # memvec_store_8k_max compacts every ~100 sets: 1M sets take a minute or more.
  [ "$h" -le 100000 ] || filter='^hot_keys/(memvec_store|memvec_file|lmdb|leveldb)/'
  sweep store "h$h" "$filter" MEMVEC_BENCH_HOT_SETS="$h"
done

say "[3/4] docs/BENCHMARKS.md and docs/bench/*.png"
command="benchmarks/report.sh${full:+ $full}"
python3 -B "$root/benchmarks/report.py" --results "$results" --root "$root" \
  --build "$MEMVEC_BENCH_BUILD_DIR" --mode "$mode" --command "$command" \
  --sweep-min-time "$sweep_min_time" \
  --started "$started" --load-start "$load_start"
say "[4/4] done: docs/BENCHMARKS.md, docs/bench/"
