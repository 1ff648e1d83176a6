#!/usr/bin/env bash
# Quick start, command 1: install dependencies, build the examples, run them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build-demo -G Ninja -DCMAKE_BUILD_TYPE=Release -DMEMVEC_BUILD_TESTS=OFF >/dev/null
cmake --build build-demo -j2
for e in build-demo/example_* build-demo/tour_*; do
  echo
  echo "=== ${e#build-demo/} ==="
  "$e"
done
