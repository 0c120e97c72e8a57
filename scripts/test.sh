#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite twice: a Release build, then an
# AddressSanitizer + UndefinedBehaviorSanitizer build, then fuzzes each libFuzzer target for 30 s
# (scripts/fuzz.sh). Exit status 0 only if all pass.
# Set TROVE_SKIP_SANITIZERS=1 to skip the sanitizer pass, TROVE_SKIP_FUZZ=1 to skip fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "== Release build and tests =="
./scripts/build.sh build -DTROVE_WERROR=ON
(cd build && ctest --output-on-failure -j"$jobs")

if [ "${TROVE_SKIP_SANITIZERS:-0}" != "1" ]; then
  echo "== ASan + UBSan build and tests =="
  ./scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTROVE_SANITIZE=ON -DTROVE_WERROR=ON
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    TROVE_CRASH_CYCLES=6 ctest --output-on-failure -j"$jobs")
fi

if [ "${TROVE_SKIP_FUZZ:-0}" != "1" ]; then
  echo "== libFuzzer: 30 s per target =="
  ./scripts/fuzz.sh 30
fi
echo "== all tests passed =="
