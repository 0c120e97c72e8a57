#!/usr/bin/env bash
# The side-by-side benchmark (issue 6): Trove against rg, SQLite FTS5 and DuckDB on the same
# generated events, in one go.
#
#   scripts/bench-compare.sh [SIZE] [driver flags...]     SIZE: 1GB (default), 10GB, 100MB, …
#
# Installs what is missing (scripts/install-deps.sh, ripgrep, node + npm), builds the Release
# targets it runs (troved, trove-bench-compare) into $TROVE_BUILD_DIR (default build/, configured
# as scripts/build.sh does), installs DuckDB's node package (npm ci --prefix bench/compare) when
# needed, then runs trove-bench-compare. Its data lives in $TROVE_BENCH_WORK (default
# /work/benchdata/compare-SIZE): the generated files are reused by later runs of the same size,
# Trove's, SQLite's and DuckDB's stores are rebuilt every run. The report goes to
# bench/results/compare-YYYY-MM-DD-SIZE.md and .json. Flags after SIZE go to the driver
# (`--runs 5`, `--skip duckdb`, `--strict`; see the top of bench/compare_bench.cc).
set -euo pipefail
cd "$(dirname "$0")/.."

size=${1:-1GB}
shift || true
work=${TROVE_BENCH_WORK:-/work/benchdata/compare-$size}

scripts/install-deps.sh
missing=()
command -v rg > /dev/null || missing+=(ripgrep)
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then missing+=(nodejs npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bench-compare: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_dir=${TROVE_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release > "$build_dir.cmake.log" 2>&1 \
  || { cat "$build_dir.cmake.log"; exit 1; }
cmake --build "$build_dir" -j"$(nproc 2>/dev/null || echo 2)" --target troved trove-bench-compare

# npm keeps a copy of the lock file it installed from in node_modules/.package-lock.json.
if [ ! -f bench/compare/node_modules/.package-lock.json ] ||
   [ bench/compare/package-lock.json -nt bench/compare/node_modules/.package-lock.json ]; then
  npm ci --prefix bench/compare --no-audit --no-fund
fi

mkdir -p "$work"
exec "$build_dir/bench/trove-bench-compare" --size "$size" --work "$work" "$@"
