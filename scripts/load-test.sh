#!/usr/bin/env bash
# Limits under load (tests/load/grpc_load_test.cc) for a longer run: builds troved and
# trove-load-test in BUILD_DIR (default build) when needed, then runs CLIENTS clients (default
# 32: half ingesting, half querying) against one troved with a 512 MiB memory budget for
# SECONDS (default 60) and prints the figures (calls, refusals by reason, latency per class,
# events acknowledged, peak RSS). Exit status 0 only when every check passed.
#
# Usage: scripts/load-test.sh [SECONDS] [CLIENTS] [more trove-load-test flags, e.g. --seed 7
#                             --memory-budget 384MiB --keep] [-- extra troved flags]
#   BUILD_DIR=build-asan scripts/load-test.sh 20        # against a sanitizer build
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
clients=${1:-32}
shift || true
build_dir=${BUILD_DIR:-build}
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release > "$build_dir.cmake.log" 2>&1 \
    || { cat "$build_dir.cmake.log"; exit 1; }
fi
cmake --build "$build_dir" -j"$(nproc 2>/dev/null || echo 2)" --target troved trove-load-test \
  > "$build_dir.load-test-build.log" 2>&1 || { tail -n 40 "$build_dir.load-test-build.log"; exit 1; }
exec "$build_dir/tests/trove-load-test" --troved "$build_dir/server/troved" --seconds "$seconds" \
  --clients "$clients" "$@"
