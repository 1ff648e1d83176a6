"""Reads the Google Benchmark JSON of memvec's benchmark binaries: the median
time and items/s of every benchmark family, and the goal ratios.

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
_COUNTERS = ("compactions", "disk_bytes", "file_a_bytes", "file_b_bytes", "file_bytes",
             "switches", "anon_bytes", "anon_bytes_per_key", "max_get_ms", "p99_get_ms", "gets")


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
    runs (e.g. --benchmark_repetitions=1). max_counters: the counters of a
    "max" aggregate, for the benchmarks that compute one (worst cases)."""

    def __init__(self, data):
        self.context = data.get("context", {})
        self.runs = data.get("benchmarks", [])
        self.times, self.rates, self.cv, self.counters, self.sizes = {}, {}, {}, {}, {}
        self.max_counters = {}
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
                elif r.get("aggregate_name") == "max":
                    self.max_counters[name] = extra
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


# --- the goal ratios ---------------------------------------------------
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
    "mem_vec": ("ratios of median times (goals)", [
        ("time", "push_back/MemVec<AnonBackend>", "push_back/std::vector", "anon / std::vector", 1.0),
        ("time", "push_back/MemVec<FileBackend>", "push_back/MemVec<AnonBackend>", "file / anon", 1.5),
        ("time", "push_back/MemVec<FileBackend>", "push_back/std::vector", "file / std::vector", None),
        ("time", "push_back/MemVec<MappedFileBackend>", "push_back/MemVec<AnonBackend>",
         "mapped_file / anon", None),
        ("time", "push_back/boost::interprocess::vector", "push_back/MemVec<FileBackend>",
         "boost::interprocess / file", None),
    ]),
    "kv": ("ratios of median items/s (goals; memvec = KVJournal<FileBackend>)", [
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
    if suite == "store_engine":
        return ENGINE_HEADING, engine_rows(res)
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


# --- issue 11's store-engine table (bench_store_engine) -------------------------

ENGINE_HEADING = "issue 11's store-engine table (store = DoubleBufferedMemMappedKV)"
MEMORY = (("journal_int", "journal int"), ("journal_object", "journal objects"),
          ("store_int", "store int"), ("store_object", "store objects"))


def _kib(n):
    return f"{n / 1024:.0f}"


def _n(res, fam):
    """A benchmark's size as "50k", "1M" or "12,345"."""
    n = res.sizes.get(fam) or 0
    for div, unit in ((10**6, "M"), (10**3, "k")):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return f"{n:,}"


def engine_rows(res, kv_res=None):
    """The rows of the issue's "Numbers" table, measured: label, value, goal
    and met, as Rows. kv_res (bench_kv's run) adds the replay row."""
    rows, t, rate, c = [], res.times, res.rates, res.counters

    def row(label, shown, goal, met):
        rows.append(Row(label, shown, goal, met, False))

    a, b = "reopen/memvec_store_compacted", "reopen/memvec_journal"
    label = f"reopen compacted store, {_n(res, a)} keys, vs journal with same keys"
    if a in t and b in t:
        ratio = t[a] / t[b]
        row(label, f"{t[a]:.3g} s vs {t[b]:.3g} s ({ratio:.0f}x)", "<= 1.5x", ratio <= 1.5)
    else:
        row(label, None, "<= 1.5x", None)

    a, b = "set_int/memvec_store", "set_int/memvec_file"
    label = f"store set / journal set, on disk, defaults ({_n(res, a)} int keys)"
    if a in rate and b in rate:
        ratio = rate[a] / rate[b]
        row(label, f"{ratio:.2f} ({si(rate[a]).strip()}/s vs {si(rate[b]).strip()}/s)", ">= 0.6",
            ratio >= 0.6)
    else:
        row(label, None, ">= 0.6", None)

    a = "hot_str/memvec_store"
    label = (f"hot keys, 100 keys x 32-byte strings, {_n(res, a)} sets, initial_size 8 KiB, "
             "on disk")
    goal = ">= 4 M/s, <= 64 KiB files"
    if a in rate and "file_a_bytes" in c.get(a, {}):
        ca = c[a]
        biggest = max(ca["file_a_bytes"], ca["file_b_bytes"])
        journal = rate.get("hot_str/memvec_file")
        row(label, f"{si(rate[a]).strip()}/s, files {_kib(ca['file_a_bytes'])} + "
            f"{_kib(ca['file_b_bytes'])} KiB, {ca.get('switches', 0):.0f} switches"
            + (f" (journal: {si(journal).strip()}/s)" if journal else ""),
            goal, rate[a] >= 4e6 and biggest <= 64 * 1024)
    else:
        row(label, None, goal, None)

    a = "seed/memvec_store"
    label = "seed example: 1 KiB, ratio 0.4, defaults (400 rounds of 3 keys)"
    goal = ">= 4 switches, files <= 4 KiB"
    if "file_a_bytes" in c.get(a, {}):
        ca = c[a]
        biggest = max(ca["file_a_bytes"], ca["file_b_bytes"])
        switches = ca.get("switches", 0)
        row(label, f"{switches:.0f} switch{'' if switches == 1 else 'es'}, files "
            f"{_kib(ca['file_a_bytes'])} + {_kib(ca['file_b_bytes'])} KiB", goal,
            switches >= 4 and biggest <= 4096)
    else:
        row(label, None, goal, None)

    fams = [f"anon_memory/{m}" for m, _ in MEMORY]
    label = (f"anonymous memory after open, {_n(res, fams[0])} keys: journal int / objects; "
             "store int / objects")
    goal = "<= 64 bytes/key + 16 MiB, all four"
    if all("anon_bytes" in c.get(f, {}) for f in fams):
        per = [f"{c[f]['anon_bytes_per_key']:.0f}" for f in fams]
        met = all(c[f]["anon_bytes"] <= 64 * (res.sizes.get(f) or 0) + (16 << 20) for f in fams)
        row(label, f"{per[0]} / {per[1]}; {per[2]} / {per[3]} bytes per key", goal, met)
    else:
        row(label, None, goal, None)

    a = "reader_get/memvec_store_compacting"
    label = f"reader get during a {_n(res, a)}-key compaction"
    worst = res.max_counters.get(a, c.get(a, {}))
    if "max_get_ms" in worst:
        row(label, f"max {worst['max_get_ms']:.3g} ms, p99 {c[a]['p99_get_ms']:.3g} ms",
            "<= 5 ms worst case", worst["max_get_ms"] <= 5)
    else:
        row(label, None, "<= 5 ms worst case", None)

    if kv_res is not None:
        a = "replay/memvec_file/distinct_keys"
        size = f" of {_n(kv_res, a)} records" if kv_res.sizes.get(a) else ""
        label = f"replay{size}, every record a new key (bench_kv)"
        if a in kv_res.rates:
            row(label, si(kv_res.rates[a]).strip() + "/s", ">= 15 M/s", kv_res.rates[a] >= 15e6)
        else:
            row(label, None, ">= 15 M/s", None)
    return rows


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
        verdict = "" if row.goal is None else \
            f"   goal {row.goal}: " + ("meets" if row.met else "MISSES")
        if suite == "store_engine":  # long labels and values: one line each
            print(f"  {row.label}\n    {row.shown or 'not measured'}{verdict}")
            continue
        if row.shown is None:
            print(f"  {row.label:44s} not measured")
            continue
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
