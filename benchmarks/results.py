"""Reads the Google Benchmark JSON of memvec's benchmark binaries: the median
time and items/s of every benchmark family, and the DESIGN.md §4 ratios.

    python3 benchmarks/results.py SUITE FILE.json   prints the medians and ratios
                                                    (what benchmarks/run.sh shows)

benchmarks/report.py imports it for docs/BENCHMARKS.md, so the terminal and
the report show the same numbers. Standard library only.
"""
import json
import statistics
import sys

SCALE = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
_EXTRAS = ("repeats:", "min_time:", "iterations:", "threads:", "real_time", "process_time",
           "manual_time")
_COUNTERS = ("compactions", "disk_bytes", "file_a_bytes", "file_b_bytes")


def family(run_name):
    """"push_back/std::vector/5000000/repeats:3/real_time" -> "push_back/std::vector"."""
    keep = [p for p in run_name.split("/") if not p.isdigit() and not p.startswith(_EXTRAS)]
    return "/".join(keep)


def size_of(run_name):
    """The benchmark's argument (its data size): 5000000 above; None without one."""
    for p in run_name.split("/"):
        if p.isdigit():
            return int(p)
    return None


class Results:
    """One binary's run: per benchmark family the median time per iteration
    (seconds), the median items/s, the coefficient of variation of the time
    (when repetitions ran), the user counters and the size it ran at. Medians
    come from the median aggregate when repetitions ran, else from the single
    runs (e.g. --benchmark_repetitions=1)."""

    def __init__(self, data):
        self.context = data.get("context", {})
        self.runs = data.get("benchmarks", [])
        self.times, self.rates, self.cv, self.counters, self.sizes = {}, {}, {}, {}, {}
        self.errors = []
        t_samples, r_samples = {}, {}
        for r in self.runs:
            name = family(r["run_name"])
            if r.get("error_occurred"):
                self.errors.append((r["name"], r.get("error_message", "")))
                continue
            self.sizes.setdefault(name, size_of(r["run_name"]))
            seconds = r["real_time"] * SCALE[r["time_unit"]]
            extra = {k: v for k, v in r.items() if k in _COUNTERS}
            if r.get("run_type") == "aggregate":
                if r.get("aggregate_name") == "median":
                    self.counters[name] = extra
                    self.times[name] = seconds
                    if "items_per_second" in r:
                        self.rates[name] = r["items_per_second"]
                elif r.get("aggregate_name") == "cv":
                    self.cv[name] = r["real_time"]  # a fraction, whatever the unit says
            else:
                self.counters.setdefault(name, extra)
                t_samples.setdefault(name, []).append(seconds)
                if "items_per_second" in r:
                    r_samples.setdefault(name, []).append(r["items_per_second"])
        for name, xs in t_samples.items():
            self.times.setdefault(name, statistics.median(xs))
        for name, xs in r_samples.items():
            self.rates.setdefault(name, statistics.median(xs))


def load(path):
    with open(path) as f:
        text = f.read()
    return Results(json.loads(text) if text.strip() else {})  # empty: nothing ran


def si(x):
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= div:
            return f"{x / div:8.3f} {unit}"
    return f"{x:8.1f}  "


# --- the DESIGN.md §4 ratios ---------------------------------------------------
# Per suite: (heading, rows); a row is (kind, a, b, label, goal):
#   "time"  median time of a / of b, goal: at most
#   "rate"  median items/s of a / of b, goal: at least
#   "abs"   median items/s of a, goal: at least (b unused)
#   "hot"   "abs", plus the two journal files' sizes, goal: at most 1 MiB each
# A goal of None: for information.


def _kv_goals(store, who):
    """The goals bench_kv and bench_store share: set >= 2x LMDB and LevelDB (int
    and 32-byte string values), get >= 2x LMDB (a read txn per get)."""
    rows = []
    for peer, peer_label in (("lmdb", "LMDB"), ("leveldb", "LevelDB")):
        for kind, kind_label in (("int", "int"), ("str", "32-byte string")):
            rows.append(("rate", f"set_{kind}/{store}", f"set_{kind}/{peer}",
                         f"{who} set / {peer_label} set ({kind_label})", 2))
    rows.append(("rate", f"get_int/{store}", "get_int/lmdb", f"{who} get / LMDB get (txn per get)", 2))
    return rows


RATIOS = {
    "mem_vec": ("ratios of median times (DESIGN.md §4)", [
        ("time", "push_back/MemVec<AnonBackend>", "push_back/std::vector", "anon / std::vector", 1.0),
        ("time", "push_back/MemVec<FileBackend>", "push_back/MemVec<AnonBackend>", "file / anon", 1.5),
        ("time", "push_back/MemVec<FileBackend>", "push_back/std::vector", "file / std::vector", None),
        ("time", "push_back/MemVec<MappedFileBackend>", "push_back/MemVec<AnonBackend>",
         "mapped_file / anon", None),
        ("time", "push_back/boost::interprocess::vector", "push_back/MemVec<FileBackend>",
         "boost::interprocess / file", None),
    ]),
    "kv": ("ratios of median items/s (DESIGN.md §4; memvec = KVJournal<FileBackend>)", [
        *_kv_goals("memvec_file", "memvec"),
        ("abs", "replay/memvec_file/distinct_keys", None, "replay, every record a new key", 10e6),
        ("abs", "replay/memvec_file/hot_keys", None, "replay, records over the set/get key count",
         10e6),
        ("rate", "durable_set/memvec_file", "durable_set/leveldb_sync",
         "memvec durable / LevelDB sync=true", 1),
        ("rate", "get_int/memvec_file", "get_int/lmdb_one_txn", "memvec get / LMDB get (one read txn)",
         None),
        ("rate", "get_int/memvec_file_find", "get_int/lmdb", "memvec find / LMDB get (txn per get)",
         None),
        ("rate", "get_int/memvec_file", "get_int/leveldb", "memvec get / LevelDB get", None),
        ("rate", "set_int/memvec_file", "set_int/sqlite", "memvec set / SQLite set (int)", None),
        ("rate", "set_int/memvec_anon", "set_int/memvec_file", "memvec anon / file set (int)", None),
        ("rate", "durable_set/memvec_file", "durable_set/sqlite_full", "memvec durable / SQLite FULL",
         None),
        ("rate", "durable_set/memvec_file", "durable_set/lmdb_sync", "memvec durable / LMDB synced",
         None),
    ]),
    "store": ("ratios of median items/s (store = DoubleBufferedMemMappedKV)", [
        *_kv_goals("memvec_store", "store"),
        ("hot", "hot_keys/memvec_store", None, "hot-key sets (8 KiB initial journals)", 2e6),
        ("hot", "hot_keys/memvec_store_8k_max", None, "hot-key sets (journals capped at 8 KiB)",
         None),
        ("rate", "hot_keys/memvec_store", "hot_keys/lmdb", "store hot sets / LMDB hot sets", None),
        ("rate", "hot_keys/memvec_store", "hot_keys/leveldb", "store hot sets / LevelDB hot sets",
         None),
        ("rate", "hot_keys/memvec_store", "hot_keys/memvec_file", "store hot sets / plain journal",
         None),
        ("rate", "set_int/memvec_store", "set_int/memvec_file", "store set / plain journal set (int)",
         None),
        ("rate", "set_str/memvec_store", "set_str/memvec_file",
         "store set / plain journal set (string)", None),
        ("rate", "get_int/memvec_store", "get_int/memvec_file", "store get / plain journal get", None),
        ("rate", "get_int/memvec_store", "get_int/leveldb", "store get / LevelDB get", None),
    ]),
}


class Row:
    """One evaluated ratio: label, value shown (None: not measured), goal shown
    and met (None for information), info: a row for information."""

    def __init__(self, label, shown, goal, met, info):
        self.label, self.shown, self.goal, self.met, self.info = label, shown, goal, met, info


def ratios(suite, res):
    """The suite's heading and its Rows, the goals first, then for information."""
    if suite not in RATIOS:
        return None, []
    heading, specs = RATIOS[suite]
    rows = []
    for kind, a, b, label, goal in specs:
        info = goal is None
        table = res.times if kind == "time" else res.rates
        if kind == "time":
            goal_text = None if info else f"<= {goal:.2f}"
        elif kind == "rate":
            goal_text = None if info else f">= {goal:g}"
        else:  # abs, hot
            goal_text = None if info else f">= {si(goal).strip()}/s"
        if a not in table or (b is not None and b not in table):
            rows.append(Row(label, None, goal_text, None, info))
            continue
        value = table[a] / table[b] if b is not None else table[a]
        met = None if info else (value <= goal if kind == "time" else value >= goal)
        shown = {"time": f"{value:.3f}", "rate": f"{value:.2f}"}.get(kind, si(value).strip() + "/s")
        rows.append(Row(label, shown, goal_text, met, info))
        c = res.counters.get(a, {})
        if kind == "hot" and "file_a_bytes" in c:
            biggest = max(c["file_a_bytes"], c["file_b_bytes"])
            rows.append(Row(f"{label}: files", f"{c.get('compactions', 0):.0f} compactions, "
                            f"{c['file_a_bytes'] / 1024:.0f} + {c['file_b_bytes'] / 1024:.0f} KiB",
                            "<= 1024 KiB each", biggest <= 1 << 20, info))
    return heading, rows


# --- the terminal report (run.sh) ----------------------------------------------

def print_suite(suite, res):
    for name, message in res.errors:
        print(f"  ERROR {name}: {message}")
    if suite == "checksum":
        print_checksum(res)
        return
    if suite == "mem_vec":
        print("\nbench_mem_vec medians (wall clock per iteration):")
        for name, s in res.times.items():
            print(f"  {name:45s} {s * 1e3:12.3f} ms")
    else:
        print(f"\nbench_{suite} medians (items/s, time per iteration):")
        for name, s in sorted(res.times.items()):  # by workload (runs were interleaved)
            rate = si(res.rates[name]) + "/s" if name in res.rates else "          "
            print(f"  {name:40s} {rate}   {s * 1e3:10.3f} ms")
    heading, rows = ratios(suite, res)
    print(f"\n{heading}:")
    informative = False
    for row in rows:
        if row.info and not informative:
            informative = True
            print("for information:")
        if row.shown is None:
            print(f"  {row.label:44s} not measured")
            continue
        verdict = "" if row.goal is None else \
            f"   goal {row.goal}: " + ("meets" if row.met else "MISSES")
        print(f"  {row.label:44s} {row.shown:>12s}{verdict}")


def print_checksum(res):
    print("\nbench_checksum medians (ns per call; GB/s):")
    runs = res.runs
    sizes = sorted({int(r["run_name"].split("/")[1]) for r in runs if "/" in r["run_name"]})
    variants = []
    for r in runs:
        v = r["run_name"].split("/")[0]
        if v not in variants:
            variants.append(v)
    ns = {}
    for r in runs:
        if r.get("error_occurred") or (r.get("run_type") == "aggregate" and
                                       r.get("aggregate_name") != "median"):
            continue
        v, n = r["run_name"].split("/")[0], int(r["run_name"].split("/")[1])
        ns.setdefault((v, n), []).append(r["real_time"] * SCALE[r["time_unit"]] * 1e9)
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


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: results.py SUITE FILE.json")
    print_suite(sys.argv[1], load(sys.argv[2]))
