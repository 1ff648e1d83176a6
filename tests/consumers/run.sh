#!/usr/bin/env bash
# Builds and runs tests/consumers/main.cpp against an installed memvec four
# ways: CMake find_package, pkg-config, Meson dependency() via pkg-config, and
# Meson with memvec as a subproject; each way also builds main23.cpp as C++23
# (std::expected), which memvec's exported requirement must not lower.
# Last, tsan.cpp, built with -fsanitize=thread (clang++, $TSAN_CXX) against
# the install (built without it), must run with no ThreadSanitizer report.
# Usage: run.sh PREFIX WORKDIR. The C++23 builds use $CXX23 (default g++:
# clang 14 with libstdc++ 12 has no std::expected).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prefix=$1
work=$2
mkdir -p "$work"
pc=$(find "$prefix" -name memvec.pc -print -quit)
[ -n "$pc" ] || { echo "no memvec.pc under $prefix" >&2; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
cxx23=${CXX23:-g++}

echo "consumer 1/5: CMake find_package(memvec)"
cmake -S "$here/cmake" -B "$work/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx23" -DCONSUMER_CXX23=ON >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer"
"$work/cmake/consumer23"

echo "consumer 2/5: pkg-config memvec"
# memvec.pc names no standard (it would override the user's): the user's own.
${CXX:-c++} -std=c++20 "$here/main.cpp" $(pkg-config --cflags --libs memvec) \
  -o "$work/pkgconfig-consumer"
"$work/pkgconfig-consumer"
"$cxx23" -std=c++23 "$here/main23.cpp" $(pkg-config --cflags --libs memvec) \
  -o "$work/pkgconfig-consumer23"
"$work/pkgconfig-consumer23"

echo "consumer 3/5: Meson dependency('memvec') from the install"
cp -r "$here/meson" "$work/meson-installed"
cp "$here/main.cpp" "$here/main23.cpp" "$work/meson-installed/"
CXX=$cxx23 meson setup "$work/meson-installed/build" "$work/meson-installed" -Dcxx23=true >/dev/null
meson compile -C "$work/meson-installed/build" >/dev/null
"$work/meson-installed/build/consumer"
"$work/meson-installed/build/consumer23"

echo "consumer 4/5: Meson subproject('memvec') + meson.override_dependency"
cp -r "$here/meson" "$work/meson-sub"
cp "$here/main.cpp" "$here/main23.cpp" "$work/meson-sub/"
mkdir -p "$work/meson-sub/subprojects"
ln -s "$root" "$work/meson-sub/subprojects/memvec"
CXX=$cxx23 meson setup "$work/meson-sub/build" "$work/meson-sub" -Duse_subproject=true \
  -Dcxx23=true >/dev/null
meson compile -C "$work/meson-sub/build" >/dev/null
"$work/meson-sub/build/consumer"
"$work/meson-sub/build/consumer23"

echo "consumer 5/5: a ThreadSanitizer program on the uninstrumented install"
# The store's lock is inline in the headers, so it is instrumented here; any
# report (a race on state the lock orders) exits 66.
${TSAN_CXX:-clang++} -std=c++20 -fsanitize=thread -g -O1 "$here/tsan.cpp" \
  $(pkg-config --cflags --libs memvec) -o "$work/tsan-consumer"
mkdir -p "$work/tsan-files"
TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$work/tsan-consumer" "$work/tsan-files"
