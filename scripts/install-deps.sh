#!/usr/bin/env bash
# Installs Trove's build dependencies from Debian 12 packages. Skips apt entirely when every
# package is already present, so repeated runs are fast and work offline.
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache
  clang  # libFuzzer targets (scripts/fuzz.sh); its compiler-rt comes with it
  librocksdb-dev libroaring-dev libzstd-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libsimdjson-dev libre2-dev libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev  # the SQLite FTS5 peer of bench/compare_bench.cc (scripts/bench-compare.sh)
  libjemalloc-dev  # troved's allocator (server/CMakeLists.txt)
  libdeflate-dev  # CRC-32 of segment blocks (storage/coding.cc)
  libabsl-dev  # also a dependency of libgrpc++-dev; named because storage/ uses it directly
  libxxhash-dev  # term filter key hashes (index/term_filter.cc)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
