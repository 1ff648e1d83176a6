#!/usr/bin/env bash
# Builds the libFuzzer targets with clang++ (ASan + UBSan) into build-fuzz and
# fuzzes the BONJSON decoder for [seconds] (default 30) over the committed
# corpus. New inputs go to a scratch directory (MEMVEC_FUZZ_SCRATCH, kept, or
# a temporary one), never into the repository; to keep the interesting ones:
#   build-fuzz/fuzz_bonjson -merge=1 fuzz/corpus/bonjson <scratch dir>
# -max_len=2048 leaves room for kMaxDepth + 1 levels of nesting while keeping
# inputs small enough for thousands of runs per second.
# A finding leaves its input in build-fuzz/ (crash-*, leak-*, timeout-*) and
# makes this script fail.
set -euo pipefail

seconds="${1:-30}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${root}/build-fuzz"
corpus="${root}/fuzz/corpus/bonjson"

cmake -S "${root}" -B "${build}" -G Ninja \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMEMVEC_BUILD_FUZZERS=ON -DMEMVEC_BUILD_TESTS=OFF -DMEMVEC_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "${build}" --target fuzz_bonjson

if [[ -n "${MEMVEC_FUZZ_SCRATCH:-}" ]]; then
  scratch="${MEMVEC_FUZZ_SCRATCH}"
  mkdir -p "${scratch}"
else
  scratch="$(mktemp -d)"
  trap 'rm -rf "${scratch}"' EXIT
fi
cd "${build}"
./fuzz_bonjson -max_total_time="${seconds}" -max_len=2048 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "${scratch}" "${corpus}"
