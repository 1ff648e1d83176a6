#!/bin/sh
# Builds the benchmarks (Release, CMake) into build-bench/, runs them, then
# prints the medians and the DESIGN.md §4 ratios:
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
#   bench_checksum (only when asked for, see MEMVEC_BENCH_SUITES): CRC32C
#     against XXH3 per input size.
#
# usage: benchmarks/run.sh [--full] [--benchmark_* flags...]
#   --full (or MEMVEC_BENCH_FULL=1): the DESIGN.md §4 sizes (50M pushes and a
#   1 GiB reopen file; 100k keys, 1M replay records, 2k durable writes); the
#   default quick mode uses 5M / 128 MiB and 20k / 200k / 200.
#   The flags go to every benchmark binary (a --benchmark_filter too).
#   MEMVEC_BENCH_SUITES picks the binaries, default "mem_vec kv store"; add
#   "checksum" for bench_checksum (e.g. MEMVEC_BENCH_SUITES="kv checksum").
#   MEMVEC_BENCH_BUILD_DIR overrides the build directory.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build=${MEMVEC_BENCH_BUILD_DIR:-$root/build-bench}
suites=${MEMVEC_BENCH_SUITES:-"mem_vec kv store"}

targets=""
for s in $suites; do
  case $s in
    mem_vec | kv | store | checksum) targets="$targets bench_$s" ;;
    *) echo "run.sh: unknown suite '$s' (mem_vec, kv, store, checksum)" >&2; exit 2 ;;
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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/memvec_bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# The report: reads one suite's Google Benchmark JSON, prints medians and ratios.
cat >"$tmp/report.py" <<'EOF'
import json, statistics, sys

suite, path = sys.argv[1], sys.argv[2]
with open(path) as f:
    runs = json.load(f)["benchmarks"]

scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
def family(run_name):
    # "push_back/std::vector/5000000/repeats:3/real_time" -> "push_back/std::vector"
    extras = ("repeats:", "min_time:", "iterations:", "threads:", "real_time", "process_time",
              "manual_time")
    keep = [p for p in run_name.split("/") if not p.isdigit() and not p.startswith(extras)]
    return "/".join(keep)

# Per benchmark family: the median time per iteration (seconds) and the
# median items/s (from the median aggregate when repetitions ran, else the
# median of the single runs).
times, rates, t_samples, r_samples = {}, {}, {}, {}
counters = {}  # family -> user counters of its median (or last) run
for r in runs:
    if r.get("error_occurred"):
        print(f"  ERROR {r['name']}: {r.get('error_message', '')}")
        continue
    name = family(r["run_name"])
    seconds = r["real_time"] * scale[r["time_unit"]]
    extra = {k: v for k, v in r.items() if k in ("compactions", "disk_bytes", "file_a_bytes",
                                                  "file_b_bytes")}
    if r.get("run_type") == "aggregate":
        if r.get("aggregate_name") == "median":
            counters[name] = extra
            times[name] = seconds
            if "items_per_second" in r:
                rates[name] = r["items_per_second"]
    else:
        counters.setdefault(name, extra)
        t_samples.setdefault(name, []).append(seconds)
        if "items_per_second" in r:
            r_samples.setdefault(name, []).append(r["items_per_second"])
for name, xs in t_samples.items():  # no aggregates (e.g. --benchmark_repetitions=1)
    times.setdefault(name, statistics.median(xs))
for name, xs in r_samples.items():
    rates.setdefault(name, statistics.median(xs))

def si(x):
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= div:
            return f"{x / div:8.3f} {unit}"
    return f"{x:8.1f}  "

if suite == "mem_vec":
    print("\nbench_mem_vec medians (wall clock per iteration):")
    for name, s in times.items():
        print(f"  {name:45s} {s * 1e3:12.3f} ms")

    def ratio(a, b, label, goal=None):
        if a not in times or b not in times:
            print(f"  {label:40s} not measured")
            return
        r = times[a] / times[b]
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

elif suite in ("kv", "store"):
    print(f"\nbench_{suite} medians (items/s, time per iteration):")
    for name, s in sorted(times.items()):  # by workload (runs were interleaved)
        rate = si(rates[name]) + "/s" if name in rates else "          "
        print(f"  {name:40s} {rate}   {s * 1e3:10.3f} ms")

    def ratio(a, b, label, goal=None):
        if a not in rates or b not in rates:
            print(f"  {label:44s} not measured")
            return
        r = rates[a] / rates[b]
        verdict = "" if goal is None else f"   goal >= {goal:g}: " + ("meets" if r >= goal else "MISSES")
        print(f"  {label:44s} {r:7.2f}{verdict}")

    def absolute(a, label, goal):
        if a not in rates:
            print(f"  {label:44s} not measured")
            return
        verdict = "meets" if rates[a] >= goal else "MISSES"
        print(f"  {label:44s} {si(rates[a])}/s   goal >= {si(goal).strip()}/s: {verdict}")

if suite == "kv":
    print("\nratios of median items/s (DESIGN.md §4; memvec = KVJournal<FileBackend>):")
    ratio("set_int/memvec_file", "set_int/lmdb", "memvec set / LMDB set (int)", 2)
    ratio("set_str/memvec_file", "set_str/lmdb", "memvec set / LMDB set (32-byte string)", 2)
    ratio("set_int/memvec_file", "set_int/leveldb", "memvec set / LevelDB set (int)", 2)
    ratio("set_str/memvec_file", "set_str/leveldb", "memvec set / LevelDB set (32-byte string)", 2)
    ratio("get_int/memvec_file", "get_int/lmdb", "memvec get / LMDB get (txn per get)", 2)
    absolute("replay/memvec_file/distinct_keys", "replay, every record a new key", 10e6)
    absolute("replay/memvec_file/hot_keys", "replay, records over the set/get key count", 10e6)
    ratio("durable_set/memvec_file", "durable_set/leveldb_sync",
          "memvec durable / LevelDB sync=true", 1)
    print("for information:")
    ratio("get_int/memvec_file", "get_int/lmdb_one_txn", "memvec get / LMDB get (one read txn)")
    ratio("get_int/memvec_file_find", "get_int/lmdb", "memvec find / LMDB get (txn per get)")
    ratio("get_int/memvec_file", "get_int/leveldb", "memvec get / LevelDB get")
    ratio("set_int/memvec_file", "set_int/sqlite", "memvec set / SQLite set (int)")
    ratio("set_int/memvec_anon", "set_int/memvec_file", "memvec anon / file set (int)")
    ratio("durable_set/memvec_file", "durable_set/sqlite_full", "memvec durable / SQLite FULL")
    ratio("durable_set/memvec_file", "durable_set/lmdb_sync", "memvec durable / LMDB synced")

elif suite == "store":
    def hot(a, label):
        absolute(a, label, 2e6)
        c = counters.get(a, {})
        if "file_a_bytes" in c:
            biggest = max(c["file_a_bytes"], c["file_b_bytes"])
            verdict = "meets" if biggest <= 1 << 20 else "MISSES"
            print(f"  {'':44s} {c.get('compactions', 0):.0f} compactions, files "
                  f"{c['file_a_bytes'] / 1024:.0f} + {c['file_b_bytes'] / 1024:.0f} KiB"
                  f"   goal <= 1024 KiB each: {verdict}")

    print("\nratios of median items/s (store = DoubleBufferedMemMappedKV):")
    ratio("set_int/memvec_store", "set_int/lmdb", "store set / LMDB set (int)", 2)
    ratio("set_str/memvec_store", "set_str/lmdb", "store set / LMDB set (32-byte string)", 2)
    ratio("set_int/memvec_store", "set_int/leveldb", "store set / LevelDB set (int)", 2)
    ratio("set_str/memvec_store", "set_str/leveldb", "store set / LevelDB set (32-byte string)", 2)
    ratio("get_int/memvec_store", "get_int/lmdb", "store get / LMDB get (txn per get)", 2)
    hot("hot_keys/memvec_store", "hot-key sets (8 KiB initial journals)")
    print("for information:")
    hot("hot_keys/memvec_store_8k_max", "hot-key sets (journals capped at 8 KiB)")
    ratio("hot_keys/memvec_store", "hot_keys/lmdb", "store hot sets / LMDB hot sets")
    ratio("hot_keys/memvec_store", "hot_keys/leveldb", "store hot sets / LevelDB hot sets")
    ratio("hot_keys/memvec_store", "hot_keys/memvec_file", "store hot sets / plain journal")
    ratio("set_int/memvec_store", "set_int/memvec_file", "store set / plain journal set (int)")
    ratio("set_str/memvec_store", "set_str/memvec_file", "store set / plain journal set (string)")
    ratio("get_int/memvec_store", "get_int/memvec_file", "store get / plain journal get")
    ratio("get_int/memvec_store", "get_int/leveldb", "store get / LevelDB get")

elif suite == "checksum":
    print("\nbench_checksum medians (ns per call; GB/s):")
    sizes = sorted({int(r["run_name"].split("/")[1]) for r in runs if "/" in r["run_name"]})
    variants = []
    for r in runs:
        v = r["run_name"].split("/")[0]
        if v not in variants:
            variants.append(v)
    ns = {}
    for r in runs:
        if r.get("error_occurred") or (r.get("run_type") == "aggregate" and r.get("aggregate_name") != "median"):
            continue
        v, n = r["run_name"].split("/")[0], int(r["run_name"].split("/")[1])
        ns.setdefault((v, n), []).append(r["real_time"] * scale[r["time_unit"]] * 1e9)
    print("  " + f"{'variant':28s}" + "".join(f"{str(n) + ' B':>18s}" for n in sizes))
    for v in variants:
        cells = ""
        for n in sizes:
            if (v, n) in ns:
                t = statistics.median(ns[(v, n)])
                cells += f"{t:9.2f} {n / t:5.1f}GB/s"
            else:
                cells += f"{'-':>18s}"
        print(f"  {v:28s}{cells}")
    print("\nratios, crc32c time / xxh3 time (< 1: CRC32C faster):")
    print("  " + f"{'':46s}" + "".join(f"{str(n) + ' B':>18s}" for n in sizes))
    for a, b in (("crc32c", "xxh3_64_seeded"), ("crc32c_independent", "xxh3_64_seeded_independent")):
        cells = ""
        for n in sizes:
            if (a, n) in ns and (b, n) in ns:
                cells += f"{statistics.median(ns[(a, n)]) / statistics.median(ns[(b, n)]):18.2f}"
            else:
                cells += f"{'-':>18s}"
        print(f"  {a + ' / ' + b:46s}" + cells)
EOF

for s in $suites; do
  "$build/bench_$s" --benchmark_out="$tmp/$s.json" --benchmark_out_format=json "$@"
  python3 "$tmp/report.py" "$s" "$tmp/$s.json"
done
