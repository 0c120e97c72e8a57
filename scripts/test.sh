#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite twice: a Release build, then an
# AddressSanitizer + UndefinedBehaviorSanitizer build. Exit status 0 only if both pass.
# Set TROVE_SKIP_SANITIZERS=1 to run only the Release pass.
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
echo "== all tests passed =="
