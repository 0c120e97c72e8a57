#!/usr/bin/env bash
# The crash loop over gRPC (tests/crash/grpc_crash_loop.cc) for a long run: builds troved and
# trove-crash-loop in BUILD_DIR (default build) when needed, then SIGKILLs troved CYCLES times
# (default 100) while writers ingest, and prints the figures (cycles, events acknowledged,
# lost, duplicated, segments per tier). Exit status 0 only when nothing was lost or duplicated.
#
# Usage: scripts/crash-loop.sh [CYCLES] [more trove-crash-loop flags, e.g. --seed 7 --keep]
#   BUILD_DIR=build-asan scripts/crash-loop.sh 10     # against a sanitizer build
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=${1:-100}
shift || true
build_dir=${BUILD_DIR:-build}
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release > "$build_dir.cmake.log" 2>&1 \
    || { cat "$build_dir.cmake.log"; exit 1; }
fi
cmake --build "$build_dir" -j"$(nproc 2>/dev/null || echo 2)" --target troved trove-crash-loop \
  > "$build_dir.crash-loop-build.log" 2>&1 || { tail -n 40 "$build_dir.crash-loop-build.log"; exit 1; }
exec "$build_dir/tests/trove-crash-loop" --troved "$build_dir/server/troved" --cycles "$cycles" "$@"
