#!/usr/bin/env bash
# Installs what memvec's build, tests, examples and benchmarks need on Debian 12
# (apt packages only). Skips apt entirely when everything is already there.
# Extra package names given as arguments are checked and installed the same
# way (benchmarks/report.sh adds gnuplot-nox for its plots).
set -euo pipefail
packages=(
  g++ clang libclang-rt-14-dev cmake meson ninja-build pkg-config python3
  libboost-iostreams-dev catch2 libbenchmark-dev
  liblmdb-dev libleveldb-dev libsqlite3-dev libxxhash-dev
  "$@"
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
