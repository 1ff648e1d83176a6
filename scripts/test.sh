#!/usr/bin/env bash
# Quick start, command 2 (and what .ci/run calls): install dependencies, then
#   1. CMake + g++ (-Werror) build, ctest
#   2. Meson + clang++ (werror) build, meson test
#   3. CMake + clang++ AddressSanitizer + UndefinedBehaviorSanitizer build, ctest
#   4. the three ways to consume an installed memvec: find_package, pkg-config,
#      Meson (dependency() from the install, and as a subproject), each also
#      as C++23; a ThreadSanitizer program on the install; the CLI tests
#      against the installed memvec-kv
#   5. a small memvec-stress campaign (SIGKILL, power cuts, corruption)
#   6. a short fuzzing smoke run over the committed corpora (when present)
# Build trees go to build-test/ (override with MEMVEC_TEST_DIR). Prints a
# closing "N passed, N failed" line; exits non-zero on any failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${MEMVEC_TEST_DIR:-$root/build-test}
jobs=${MEMVEC_JOBS:-2}
cd "$root"
scripts/deps.sh
mkdir -p "$out"

passed=0
failed=0
step() { printf '\n=== [%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
count_ctest() {  # reads ctest's summary line from its log
  local line total bad
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -1)
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
}
run_ctest() {  # dir
  local log=$1/ctest.log rc=0
  (cd "$1" && ctest -j"$jobs" --output-on-failure --timeout 900) 2>&1 | tee "$log" || rc=1
  count_ctest "$log"
  return $rc
}
status=0

step "1/6 CMake + g++ -Werror (-O2), examples and benchmarks built too"
# -O2 without -g: debug info is a third of the build's time, and a failure
# here is rerun under a debugger locally, not read from this tree.
cmake -S . -B "$out/gcc" -G Ninja -DCMAKE_CXX_COMPILER=g++ -DMEMVEC_WERROR=ON \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DMEMVEC_BUILD_BENCHMARKS=ON -DCMAKE_INSTALL_PREFIX="$out/prefix" >/dev/null
cmake --build "$out/gcc" -j"$jobs"
run_ctest "$out/gcc" || status=1

step "2/6 Meson + clang++ werror"
if [ ! -d "$out/meson" ]; then
  CXX=clang++ meson setup "$out/meson" -Dwerror=true -Dbenchmarks=enabled >/dev/null
fi
meson compile -C "$out/meson" -j "$jobs"
log=$out/meson/meson-test.log
rc=0
meson test -C "$out/meson" --num-processes "$jobs" --print-errorlogs 2>&1 | tee "$log" || rc=1
ok=$(grep -E '^Ok:' "$log" | awk '{print $2}')
bad=$(grep -E '^(Fail|Timeout|Unexpected Pass):' "$log" | awk '{s+=$NF} END {print s+0}')
passed=$((passed + ${ok:-0}))
failed=$((failed + bad))
[ $rc -eq 0 ] || status=1

step "3/6 CMake + clang++ AddressSanitizer + UndefinedBehaviorSanitizer"
# -O1: the sanitizers' reports stay exact, and the power-cut sweeps of
# test_journal_faults_corruption run in 40 s instead of three minutes at -O0;
# line tables are all a sanitizer report needs (file:line in each frame).
cmake -S . -B "$out/asan" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-gline-tables-only -O1" -DMEMVEC_SANITIZE=ON -DMEMVEC_WERROR=ON -DMEMVEC_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$out/asan" -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest "$out/asan" || status=1

step "4/6 an installed memvec: find_package, pkg-config, Meson consumers; the installed memvec-kv"
rm -rf "$out/prefix" "$out/consumers"
cmake --install "$out/gcc" >/dev/null
tests/consumers/run.sh "$out/prefix" "$out/consumers" && passed=$((passed + 5)) || { failed=$((failed + 1)); status=1; }
# The tool's tests again, driving the installed binary instead of the built one.
MEMVEC_KV_BIN="$out/prefix/bin/memvec-kv" "$out/gcc/test_cli" \
  && passed=$((passed + 1)) || { failed=$((failed + 1)); status=1; }

step "5/6 memvec-stress: a small SIGKILL, power-cut and corruption campaign (seconds)"
# tmpfs when there is one: the campaigns fork and sync a lot, and the syncs
# are what a disk makes slow.
stress_tmp=/dev/shm
[ -w "$stress_tmp" ] || stress_tmp=${TMPDIR:-/tmp}
TMPDIR=$stress_tmp "$out/gcc/memvec-stress" --kill 100 --power-cut 1000 --corrupt 2000 --seconds 30 \
  && passed=$((passed + 1)) || { failed=$((failed + 1)); status=1; }

step "6/6 fuzzing smoke run: 10 s of each target over its committed corpus"
if [ -x fuzz/run.sh ]; then
  MEMVEC_FUZZ_BUILD="$out/fuzz" fuzz/run.sh "${MEMVEC_FUZZ_SECONDS:-10}" && passed=$((passed + 1)) || { failed=$((failed + 1)); status=1; }
else
  echo "no fuzz targets yet"
fi

echo
echo "test.sh: CMake/g++, Meson/clang++, ASan+UBSan, consumers, stress, fuzz smoke"
echo "$passed passed, $failed failed"
exit $status
