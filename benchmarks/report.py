"""Writes docs/BENCHMARKS.md and its plots (docs/bench/*.png, drawn by gnuplot)
from the Google Benchmark JSON files benchmarks/report.sh collects:
SUITE.json (benchmarks/run.sh at the default sizes: the tables and ratios)
and SUITE.TAG.json (the size sweep: the plots). Standard library only; the
medians and ratios come from benchmarks/results.py, as run.sh prints them.

    python3 benchmarks/report.py --results DIR --root REPO --build BUILD_DIR
        --mode quick|full --command CMD --started EPOCH --load-start "L1 L5 L15"
"""
import argparse
import datetime
import glob
import os
import platform
import subprocess

import results

SUITES = ("mem_vec", "kv", "store", "store_engine")
GOAL_SUITES = ("mem_vec", "kv", "store")  # store_engine has its own section

# Each plot: file, title, x label, y label, series (suite, benchmark family,
# legend), horizontal goal lines (items/s, legend).
PLOTS = [
    ("push_back.png", "push_back of N uint64_t into an empty container (no reserve)",
     "elements appended (N)", "pushes/s", [
         ("mem_vec", "push_back/std::vector", "std::vector"),
         ("mem_vec", "push_back/MemVec<AnonBackend>", "MemVec<AnonBackend>"),
         ("mem_vec", "push_back/MemVec<FileBackend>", "MemVec<FileBackend>"),
         ("mem_vec", "push_back/MemVec<MappedFileBackend>", "MemVec<MappedFileBackend>"),
         ("mem_vec", "push_back/boost::interprocess::vector",
          "boost::interprocess::vector (managed_mapped_file)"),
     ], []),
    ("kv_set.png", "set of N distinct keys (int64 values) into a fresh store",
     "keys written (N)", "sets/s", [
         ("kv", "set_int/memvec_file", "memvec KVJournal<FileBackend>"),
         ("kv", "set_int/memvec_anon", "memvec KVJournal<AnonBackend>"),
         ("store", "set_int/memvec_store", "memvec DoubleBufferedKV"),
         ("kv", "set_int/lmdb", "LMDB (NOSYNC, txn per set)"),
         ("kv", "set_int/leveldb", "LevelDB"),
         ("kv", "set_int/sqlite", "SQLite (WAL, synchronous=OFF)"),
     ], []),
    ("kv_get.png", "get of every one of N keys, random order, from a filled store",
     "keys in the store (N)", "gets/s", [
         ("kv", "get_int/memvec_file", "memvec KVJournal<FileBackend> get"),
         ("kv", "get_int/memvec_file_find", "memvec KVJournal<FileBackend> find"),
         ("store", "get_int/memvec_store", "memvec DoubleBufferedKV get"),
         ("kv", "get_int/lmdb", "LMDB (read txn per get)"),
         ("kv", "get_int/lmdb_one_txn", "LMDB (one read txn)"),
         ("kv", "get_int/leveldb", "LevelDB"),
         ("kv", "get_int/sqlite", "SQLite"),
     ], []),
    ("replay.png", "KVJournal open: replay of R set records into the index",
     "records in the journal (R)", "records/s", [
         ("kv", "replay/memvec_file/distinct_keys", "open, every record a new key"),
         ("kv", "replay/memvec_file/hot_keys", "open, R/10 keys"),
         ("kv", "replay_core/distinct_keys", "replay() alone, every record a new key"),
         ("kv", "replay_core/hot_keys", "replay() alone, R/10 keys"),
     ], [(10e6, "goal 10 M records/s")]),
    ("store_hot.png", "hot keys: S sets cycling over 100 keys into a fresh store",
     "sets (S)", "sets/s", [
         ("store", "hot_keys/memvec_store", "memvec DoubleBufferedKV (8 KiB initial journals)"),
         ("store", "hot_keys/memvec_store_8k_max", "memvec DoubleBufferedKV (journals capped at 8 KiB)"),
         ("store", "hot_keys/memvec_file", "memvec KVJournal<FileBackend> (no compaction)"),
         ("store", "hot_keys/lmdb", "LMDB"),
         ("store", "hot_keys/leveldb", "LevelDB"),
     ], [(2e6, "goal 2 M sets/s")]),
]
HEADLINE = "kv_set.png"
COLORS = ("#1f77b4", "#2ca02c", "#17becf", "#d62728", "#ff7f0e", "#9467bd", "#8c564b")

DEBIAN_PACKAGES = ("cmake", "liblmdb-dev", "libleveldb-dev", "libsqlite3-dev",
                   "libboost-iostreams-dev", "libbenchmark-dev", "gnuplot-nox")


def run(*cmd):
    """A command's stdout, stripped; "" when it fails or is missing."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def count(n):
    """1000 -> "1k", 5000000 -> "5M", 12345 -> "12,345"."""
    for div, unit in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return f"{n:,}"


def duration(seconds):
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def rate(items_per_second):
    return results.si(items_per_second).strip() + "/s"


# --- the machine and the versions -----------------------------------------------

def cpuinfo():
    model, processors = "?", 0
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "?":
                model = value.strip()
            if key.strip() == "processor":
                processors += 1
    return model, processors


def meminfo_gib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / (1 << 20)
    return 0.0


def os_name():
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "?"


def cmake_cache(build, key):
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""


# --- gnuplot --------------------------------------------------------------------

def series_points(sweep, suite, fam):
    return sorted(sweep.get((suite, fam), {}).items())


def draw(path, plot, sweep):
    name, title, xlabel, ylabel, series, goals = plot
    blocks, plots = [], []
    for i, (suite, fam, legend) in enumerate(series):
        points = series_points(sweep, suite, fam)
        if not points:
            continue
        data = "\n".join(f"{size} {value:.6g}" for size, value in points)
        blocks.append(f"$s{i} << EOD\n{data}\nEOD")
        plots.append(f'$s{i} using 1:2 with linespoints lw 2 pt {i + 4} ps 1.2 '
                     f'lc rgb "{COLORS[i % len(COLORS)]}" title "{legend}"')
    for value, legend in goals:
        plots.append(f'{value:g} with lines dt 2 lw 1.5 lc rgb "black" title "{legend}"')
    if not blocks:
        return False
    script = "\n".join(blocks + [
        'set terminal pngcairo size 900,640 noenhanced font ",10"',
        f'set output "{path}"',
        f'set title "{title}"',
        f'set xlabel "{xlabel}"',
        f'set ylabel "{ylabel} (median, log scale)"',
        "set logscale xy",
        "set autoscale xfix",  # the measured sizes, not whole decades
        "set offsets graph 0.04, graph 0.04, 0, 0",
        'set format x "%.0s%c"',
        'set format y "%.0s%c"',
        "set grid xtics ytics mxtics mytics lc rgb '#dddddd'",
        "set key below Left reverse maxcols 2 width 2 height 1",
        "plot " + ", \\\n  ".join(plots),
    ]) + "\n"
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    return True


# --- the report -------------------------------------------------------------------

def write_engine(w, res, kv_res):
    """The "Store engine" section: issue 11's "Numbers" table, measured."""
    w("## Store engine\n")
    w("Issue 11's workloads (`benchmarks/bench_store_engine.cpp`; the replay row is bench_kv's), "
      "the store beside its own journal in one run; the goals are the issue's. Sizes in quick "
      "mode are smaller than the issue's (`--full`: 300k reopen keys, 1M keys for memory and "
      "the reader); reopening a compacted store is quadratic in keys today, so its ratio grows "
      "with the size.\n")
    w("| workload | measured | goal | result |\n| --- | --- | --- | --- |")
    for row in results.engine_rows(res, kv_res):
        verdict = "not measured" if row.shown is None else ("met" if row.met else "**missed**")
        w(f"| {row.label} | {row.shown or '—'} | {row.goal} | {verdict} |")
    w("")


def main():
    ap = argparse.ArgumentParser()
    for a in ("--results", "--root", "--build", "--mode", "--command", "--started",
              "--load-start", "--sweep-min-time"):
        ap.add_argument(a, required=True)
    args = ap.parse_args()

    main_runs = {s: results.load(os.path.join(args.results, f"{s}.json")) for s in SUITES}
    # (suite, family) -> {size: median items/s}, over the main runs and the sweep
    sweep, contexts, errors = {}, [], []
    for s in SUITES:
        for path in sorted(glob.glob(os.path.join(args.results, f"{s}.json")) +
                           glob.glob(os.path.join(args.results, f"{s}.*.json"))):
            res = results.load(path)
            contexts.append(res.context)
            errors += [(os.path.basename(path), n, m) for n, m in res.errors]
            for fam, r in res.rates.items():
                if res.sizes.get(fam) is not None:
                    sweep.setdefault((s, fam), {})[res.sizes[fam]] = r

    docs = os.path.join(args.root, "docs")
    bench_dir = os.path.join(docs, "bench")
    os.makedirs(bench_dir, exist_ok=True)
    drawn = [p for p in PLOTS if draw(os.path.join(bench_dir, p[0]), p, sweep)]

    started = datetime.datetime.fromtimestamp(int(args.started), datetime.timezone.utc)
    elapsed = int(datetime.datetime.now(datetime.timezone.utc).timestamp()) - int(args.started)
    model, processors = cpuinfo()
    load_start = [float(x) for x in args.load_start.split()]
    with open("/proc/loadavg") as f:
        load_end = [float(x) for x in f.read().split()[:3]]
    seen = [c["load_avg"][0] for c in contexts if c.get("load_avg")]
    cores = os.cpu_count() or processors
    ctx = main_runs["kv"].context or main_runs["mem_vec"].context
    tmpdir = ctx.get("memvec.tmpdir", "/tmp")
    fstype = run("df", "--output=fstype", tmpdir).splitlines()[-1:] or ["?"]
    compiler = cmake_cache(args.build, "CMAKE_CXX_COMPILER")
    compiler_version = run(compiler, "--version").splitlines()[:1] or ["?"]
    flags = cmake_cache(args.build, "CMAKE_CXX_FLAGS_RELEASE")
    commit = run("git", "-C", args.root, "rev-parse", "--short", "HEAD") or "?"
    dirty = run("git", "-C", args.root, "status", "--porcelain", "--untracked-files=no", "--",
                ".", ":!docs/BENCHMARKS.md", ":!docs/bench")

    out = []
    w = out.append
    w("# Benchmarks\n")
    w("Generated by `benchmarks/report.py`; do not edit by hand, run the command again.\n")
    w("## How this was produced\n")
    w(f"- Command: `{args.command}` (mode: {args.mode}), run from the repository root.")
    w(f"- Date: {started:%Y-%m-%d %H:%M} UTC; the whole run (install check, build, benchmarks, "
      f"plots) took {elapsed // 60} min {elapsed % 60} s.")
    w(f"- memvec: commit {commit}{' with uncommitted changes' if dirty else ''}.")
    w("- The tables below are `benchmarks/run.sh"
      f"{' --full' if args.mode == 'full' else ''}` at the suites' default sizes "
      "(bench_mem_vec, bench_kv, bench_store, bench_store_engine; the workloads are described "
      "at the top of each `benchmarks/bench_*.cpp`). The plots add a size sweep of the "
      "workloads that scale with data size (`benchmarks/report.sh` lists the sizes).")
    reps, n = ("5 x at least 0.5 s", 5) if args.mode == "full" else ("3 x at least 0.2 s", 3)
    w(f"- Every benchmark ran {reps} of timed operations (the sweep's other sizes: {n} x at "
      f"least {args.sweep_min_time} s; the KV suites interleave the repetitions at random "
      "across a binary's benchmarks); every number is the **median** over the repetitions. "
      "cv = the coefficient of variation of the time over the repetitions. Throughput is "
      "items (pushes, sets, gets, records) per second of wall-clock time.")
    w("")
    w("## Machine\n")
    w("| | |\n| --- | --- |")
    w(f"| CPU | {model}, {processors} logical CPUs"
      f"{', ' + str(ctx['mhz_per_cpu']) + ' MHz' if 'mhz_per_cpu' in ctx else ''} |")
    caches = ", ".join(f"L{c['level']} {c['type'].lower()} {c['size'] // 1024} KiB"
                       f"{' x' + str(c['num_sharing']) if c.get('num_sharing', 0) > 1 else ''}"
                       for c in ctx.get("caches", []))
    if caches:
        w(f"| caches | {caches} |")
    w(f"| RAM | {meminfo_gib():.1f} GiB |")
    w(f"| OS, kernel | {os_name()}, {platform.system()} {platform.release()} {platform.machine()} |")
    w(f"| temporary stores | `{tmpdir}` on {fstype[0]} |")
    w(f"| load average (1, 5, 15 min) | at the start {' '.join(f'{x:.2f}' for x in load_start)}, "
      f"at the end {' '.join(f'{x:.2f}' for x in load_end)}"
      + (f"; the benchmark binaries saw 1-min loads from {min(seen):.2f} to {max(seen):.2f} "
         "(their own included)" if seen else "") + " |")
    w("")
    busy = load_start[0] >= cores / 2 or (seen and max(seen) >= cores)
    if busy:
        w(f"**Noisy numbers:** the machine was shared and busy during this run (load average "
          f"{load_start[0]:.2f} at the start on {cores} CPUs, up to {max(seen + [0]):.2f} during it). "
          "Other processes competed for the CPUs, the memory bandwidth and the disk, so "
          "absolute numbers are low and vary between runs (see the cv columns); the ratios "
          "between stores measured side by side in one binary are the more reliable part.\n")
    else:
        w("The machine may be shared (a VM); compare the medians and ratios rather than single "
          "numbers, and see the cv columns for the spread.\n")

    w("## Versions\n")
    w("| | |\n| --- | --- |")
    w(f"| compiler | {compiler_version[0]} (`{compiler}`), flags `{flags}` (CMake Release) |")
    for p in DEBIAN_PACKAGES:
        v = run("dpkg-query", "-W", "-f=${Version}", p)
        w(f"| Debian package {p} | {v or 'not installed'} |")
    w(f"| stores as linked (runtime versions) | {ctx.get('memvec.stores', '?')} |")
    w(f"| python3 (report) | {platform.python_version()} |")
    if ctx.get("library_build_type") == "debug":
        w("\nDebian's libbenchmark reports itself as a debug build (Google Benchmark prints a "
          "warning): that is the harness only; the measured code is memvec and the peers, built "
          "with the flags above and as Debian ships them.")
    w("")

    if errors:
        w("## Errors\n")
        for path, name, message in errors:
            w(f"- `{path}`: `{name}`: {message}")
        w("")

    w("## Goals\n")
    w("The ratios `benchmarks/run.sh` prints, from the tables below.\n")
    for s in GOAL_SUITES:
        heading, rows = results.ratios(s, main_runs[s])
        w(f"### bench_{s}: {heading}\n")
        w("| ratio | value | goal | result |\n| --- | ---: | --- | --- |")
        for row in rows:
            goal = row.goal or ""
            if row.shown is None:
                verdict = "not measured"
            elif row.met is None:
                verdict = "(information)"
            else:
                verdict = "met" if row.met else "**missed**"
            if row.info and row.met is not None:
                verdict += " (information)"
            w(f"| {row.label} | {row.shown or '—'} | {goal} | {verdict} |")
        w("")

    write_engine(w, main_runs["store_engine"], main_runs["kv"])

    w("## Plots: throughput versus data size\n")
    w("Log-log; each point is the median of its repetitions (the sizes of the tables below "
      "are among them).\n")
    for name, title, xlabel, _, series, _ in drawn:
        w(f"### {title}\n")
        w(f"![{title}](bench/{name})\n")
        sizes = sorted({n for suite, fam, _ in series for n, _ in series_points(sweep, suite, fam)})
        w(f"| {xlabel} | " + " | ".join(count(n) for n in sizes) + " |")
        w("| --- |" + " ---: |" * len(sizes))
        for suite, fam, legend in series:
            points = dict(series_points(sweep, suite, fam))
            if points:
                w(f"| {legend} | " + " | ".join(rate(points[n]) if n in points else "—"
                                                for n in sizes) + " |")
        w("")

    w("## Medians at the default sizes\n")
    for s in SUITES:
        res = main_runs[s]
        w(f"### bench_{s}\n")
        w("| benchmark | size | median time | median throughput | cv |")
        w("| --- | ---: | ---: | ---: | ---: |")
        names = res.times if s == "mem_vec" else sorted(res.times)
        for fam in names:
            size = res.sizes.get(fam)
            cv = f"{res.cv[fam] * 100:.1f} %" if fam in res.cv else ""
            thr = rate(res.rates[fam]) if fam in res.rates else ""
            w(f"| {fam} | {count(size) if size else ''} | {duration(res.times[fam])} | {thr} | {cv} |")
        c = {k: v for k, v in res.context.items() if k.startswith("memvec.") and
             k not in ("memvec.stores", "memvec.tmpdir")}
        if c:
            w("\nSizes: " + ", ".join(f"{k[len('memvec.'):]} = {v}" for k, v in sorted(c.items()))
              + ".")
        w("")

    with open(os.path.join(docs, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(out).rstrip() + "\n")
    for p in drawn:
        print(f"report: docs/bench/{p[0]}")
    if HEADLINE not in [p[0] for p in drawn]:
        print(f"report: no data for the headline plot {HEADLINE}")


if __name__ == "__main__":
    main()
