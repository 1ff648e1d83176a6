#!/usr/bin/env bash
# Builds and runs tests/consumers/main.cpp against an installed memvec four
# ways: CMake find_package, pkg-config, Meson dependency() via pkg-config, and
# Meson with memvec as a subproject. Usage: run.sh PREFIX WORKDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prefix=$1
work=$2
mkdir -p "$work"
pc=$(find "$prefix" -name memvec.pc -print -quit)
[ -n "$pc" ] || { echo "no memvec.pc under $prefix" >&2; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")

echo "consumer 1/4: CMake find_package(memvec)"
cmake -S "$here/cmake" -B "$work/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/cmake" >/dev/null
"$work/cmake/consumer"

echo "consumer 2/4: pkg-config memvec"
${CXX:-c++} "$here/main.cpp" $(pkg-config --cflags --libs memvec) -o "$work/pkgconfig-consumer"
"$work/pkgconfig-consumer"

echo "consumer 3/4: Meson dependency('memvec') from the install"
cp -r "$here/meson" "$work/meson-installed"
cp "$here/main.cpp" "$work/meson-installed/"
meson setup "$work/meson-installed/build" "$work/meson-installed" >/dev/null
meson compile -C "$work/meson-installed/build" >/dev/null
"$work/meson-installed/build/consumer"

echo "consumer 4/4: Meson subproject('memvec') + meson.override_dependency"
cp -r "$here/meson" "$work/meson-sub"
cp "$here/main.cpp" "$work/meson-sub/"
mkdir -p "$work/meson-sub/subprojects"
ln -s "$root" "$work/meson-sub/subprojects/memvec"
meson setup "$work/meson-sub/build" "$work/meson-sub" -Duse_subproject=true >/dev/null
meson compile -C "$work/meson-sub/build" >/dev/null
"$work/meson-sub/build/consumer"
