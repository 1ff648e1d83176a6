#!/usr/bin/env bash
# Builds the libFuzzer targets with clang++ (ASan + UBSan) and runs each in
# turn for [seconds] (default 30) over its committed corpus:
#   fuzz/run.sh [seconds] [target...]     (targets: names below; default all)
# Targets and corpora (fuzz/corpus/<name>, <name> = target without "fuzz_"):
#   fuzz_bonjson        the BONJSON decoder, a differential round trip
#   fuzz_mem_vec_open   MemVec<T, SpanBackend>::open on arbitrary bytes
#   fuzz_journal_open   KVJournal<SpanBackend>::open on arbitrary bytes
#   fuzz_store_open     DoubleBufferedKV on an arbitrary pair of buffers
#   fuzz_store_model    operation sequences on a store against a std::map
#                       model, with injected corruption
# Each fuzz_*.cpp says what it checks and its input format. One target at a
# time: the runs are meant for small shared machines (CI, 2 cores).
#
# New inputs go to a scratch directory (MEMVEC_FUZZ_SCRATCH, kept, one
# subdirectory per target; else a temporary one), never into the
# repository. To keep the interesting ones, merge: libFuzzer keeps only the
# inputs that add coverage, and -use_counters=0 counts new edges only (not
# new hit counts), which keeps a corpus at tens to hundreds of small files:
#   build-fuzz/fuzz_store_model -merge=1 -use_counters=0 \
#     fuzz/corpus/store_model <scratch>/store_model
# The first seeds of all but bonjson come from build-fuzz/fuzz_make_seeds
# <dir> (fuzz/make_seeds.cpp), named seed-*.
# -max_len per target: room for the largest meaningful input (two 2 KiB
# journals for store_open, kMaxDepth + 1 levels of nesting for bonjson)
# while keeping runs at thousands per second.
# A finding leaves its input in the build directory (<target>-crash-*,
# -leak-*, -timeout-*), the log beside it (<target>.log); the script goes on
# with the other targets and fails at the end. Build directory: build-fuzz,
# or MEMVEC_FUZZ_BUILD.
set -euo pipefail

seconds="${1:-30}"
shift || true
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${MEMVEC_FUZZ_BUILD:-${root}/build-fuzz}"
declare -A max_len=(
  [fuzz_bonjson]=2048 [fuzz_mem_vec_open]=1024 [fuzz_journal_open]=2048
  [fuzz_store_open]=4200 [fuzz_store_model]=2048)
all=(fuzz_bonjson fuzz_mem_vec_open fuzz_journal_open fuzz_store_open fuzz_store_model)
if [[ $# -gt 0 ]]; then targets=("$@"); else targets=("${all[@]}"); fi
for t in "${targets[@]}"; do
  [[ -n "${max_len[$t]:-}" ]] || { echo "run.sh: unknown target ${t} (known: ${all[*]})" >&2; exit 2; }
done

cmake -S "${root}" -B "${build}" -G Ninja \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMEMVEC_BUILD_FUZZERS=ON -DMEMVEC_BUILD_TESTS=OFF -DMEMVEC_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "${build}" -j"${MEMVEC_JOBS:-2}" --target "${targets[@]}" fuzz_make_seeds

if [[ -n "${MEMVEC_FUZZ_SCRATCH:-}" ]]; then
  scratch="${MEMVEC_FUZZ_SCRATCH}"
  mkdir -p "${scratch}"
else
  scratch="$(mktemp -d)"
  trap 'rm -rf "${scratch}"' EXIT
fi

failed=()
summary=()
for t in "${targets[@]}"; do
  name="${t#fuzz_}"
  corpus="${root}/fuzz/corpus/${name}"
  mkdir -p "${scratch}/${name}"
  log="${build}/${t}.log"
  echo "=== ${t}: ${seconds} s over fuzz/corpus/${name}"
  rc=0
  (cd "${build}" && "./${t}" -max_total_time="${seconds}" -max_len="${max_len[$t]}" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="${build}/${t}-" \
    "${scratch}/${name}" "${corpus}") >"${log}" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" | tail -1)
  # The last status line's "corp: <inputs>/<size>": the corpus in memory.
  corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "${log}" | tail -1 | cut -d' ' -f2)
  committed=$(find "${corpus}" -type f | wc -l)
  new=$(find "${scratch}/${name}" -type f | wc -l)
  line="${t}: ${execs:-?} executions, corpus ${corp:-?} (${committed} committed files, ${new} new)"
  if [[ ${rc} -ne 0 ]]; then
    failed+=("${t}")
    line+=", FAILED (exit ${rc}; log ${log})"
    tail -n 60 "${log}"
  fi
  echo "${line}"
  summary+=("${line}")
done

echo
echo "=== fuzz/run.sh summary (${seconds} s per target)"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
