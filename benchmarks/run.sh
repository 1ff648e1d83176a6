#!/bin/sh
# Builds bench_mem_vec (Release, CMake) into build-bench/ and runs it, then
# prints the medians and the DESIGN.md §4 ratios:
#   MemVec<AnonBackend> / std::vector   push_back time, goal <= 1.0
#   MemVec<FileBackend> / MemVec<Anon>  push_back time, goal <= 1.5
#
# usage: benchmarks/run.sh [--full] [--benchmark_* flags...]
#   --full (or MEMVEC_BENCH_FULL=1): 50M pushes and a 1 GiB reopen file
#   (DESIGN.md §4 sizes); the default quick mode uses 5M and 128 MiB.
#   MEMVEC_BENCH_BUILD_DIR overrides the build directory.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${MEMVEC_BENCH_BUILD_DIR:-$root/build-bench}

generator=""
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then
  generator="-G Ninja"
fi
# shellcheck disable=SC2086 # $generator is empty or two words
cmake -S "$root" -B "$build" $generator -DCMAKE_BUILD_TYPE=Release \
  -DMEMVEC_BUILD_BENCHMARKS=ON -DMEMVEC_BUILD_TESTS=OFF -DMEMVEC_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target bench_mem_vec -j 2

json=$(mktemp "${TMPDIR:-/tmp}/memvec_bench.XXXXXX")
trap 'rm -f "$json"' EXIT INT TERM
"$build/bench_mem_vec" --benchmark_out="$json" --benchmark_out_format=json "$@"

python3 - "$json" <<'EOF'
import json, statistics, sys

with open(sys.argv[1]) as f:
    runs = json.load(f)["benchmarks"]

scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
def family(run_name):
    # "push_back/std::vector/5000000/repeats:3/real_time" -> "push_back/std::vector"
    extras = ("repeats:", "min_time:", "iterations:", "threads:", "real_time", "process_time")
    keep = [p for p in run_name.split("/") if not p.isdigit() and not p.startswith(extras)]
    return "/".join(keep)

medians, samples = {}, {}
for r in runs:
    if r.get("error_occurred"):
        continue
    seconds = r["real_time"] * scale[r["time_unit"]]
    if r.get("run_type") == "aggregate":
        if r.get("aggregate_name") == "median":
            medians[family(r["run_name"])] = seconds
    else:
        samples.setdefault(family(r["run_name"]), []).append(seconds)
for name, xs in samples.items():  # no aggregates (e.g. --benchmark_repetitions=1)
    medians.setdefault(name, statistics.median(xs))

print("\nmedians (wall clock per iteration):")
for name, s in medians.items():
    print(f"  {name:45s} {s * 1e3:12.3f} ms")

def ratio(a, b, label, goal=None):
    if a not in medians or b not in medians:
        print(f"  {label:40s} not measured")
        return
    r = medians[a] / medians[b]
    verdict = "" if goal is None else f"   goal <= {goal:.2f}: " + ("meets" if r <= goal else "MISSES")
    print(f"  {label:40s} {r:6.3f}{verdict}")

print("\nratios of median times (DESIGN.md §4):")
ratio("push_back/MemVec<AnonBackend>", "push_back/std::vector", "anon / std::vector", 1.0)
ratio("push_back/MemVec<FileBackend>", "push_back/MemVec<AnonBackend>", "file / anon", 1.5)
print("for information:")
ratio("push_back/MemVec<FileBackend>", "push_back/std::vector", "file / std::vector")
ratio("push_back/MemVec<MappedFileBackend>", "push_back/MemVec<AnonBackend>", "mapped_file / anon")
ratio("push_back/boost::interprocess::vector", "push_back/MemVec<FileBackend>",
      "boost::interprocess / file")
EOF
