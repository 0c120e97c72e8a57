#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/README.md) with clang, ASan and UBSan in build-fuzz, runs
# each for a while and reports what it found.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 60
#   TARGET              default: every target in fuzz/CMakeLists.txt
# Environment: TROVE_FUZZ_JOBS (build parallelism, default nproc), TROVE_FUZZ_BUILD_DIR
# (default build-fuzz).
#
# Each target runs on its own corpus in BUILD_DIR/corpus/<target>, seeded from
# fuzz/corpus/<target> and fuzz/regressions/<target> and kept across runs (the repository's
# corpus never grows). A crash, leak, timeout or out-of-memory input is copied to
# fuzz/regressions/<target>/, where ctest's FuzzReplay.<target> replays it from then on.
# Exit status: 0 when no target found anything, 1 when one did, 2 on a build failure.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
all_targets=(query_parser_fuzz json_lines_fuzz text_lines_fuzz segment_reader_fuzz)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
build_dir=${TROVE_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${TROVE_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}

# Longest input libFuzzer generates: a query or a few log lines are short; segments need room
# for several blocks and the index.
max_len() {
  case "$1" in
    segment_reader_fuzz) echo 65536 ;;
    query_parser_fuzz) echo 4096 ;;
    *) echo 16384 ;;
  esac
}

for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "fuzz: unknown target $t" >&2; exit 2; }
done
command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (scripts/install-deps.sh)" >&2; exit 2; }

echo "== fuzz: building ${targets[*]} in $build_dir =="
start=$(date +%s)
# ccache is picked up by CMakeLists.txt when present. Only the targets and the libraries they
# link are built, not the server or the test suite.
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTROVE_FUZZ=ON \
  > "$build_dir.cmake.log" 2>&1 || { cat "$build_dir.cmake.log"; exit 2; }
cmake --build "$build_dir" --target "${targets[@]}" -j"$jobs" || exit 2
echo "fuzz: build took $(( $(date +%s) - start )) s"

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
summary=()
found=0
for t in "${targets[@]}"; do
  corpus="$build_dir/corpus/$t"
  artifacts="$build_dir/artifacts/$t"
  log="$build_dir/logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  rm -f "$artifacts"/*
  # Seeds; known-failures/ (crashes not yet fixed) stay out, or every run would stop on them.
  cp -n fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  if [ -d "fuzz/regressions/$t" ]; then
    find "fuzz/regressions/$t" -maxdepth 1 -type f -exec cp -n {} "$corpus"/ \;
  fi
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")

  echo "== fuzz: $t for ${seconds}s (log: $log) =="
  status=0
  "$build_dir/fuzz/$t" "$corpus" "${dict[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -max_len="$(max_len "$t")" -timeout=30 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    > "$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  crashes=$(find "$artifacts" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if [ "$crashes" -eq 0 ] && [ "$status" -ne 0 ]; then
    crashes=1  # the fuzzer failed without an input to show for it: see the log
  fi
  if [ "$crashes" -gt 0 ]; then
    found=1
    mkdir -p "fuzz/regressions/$t"
    for f in "$artifacts"/*; do
      [ -f "$f" ] || continue
      case "$(basename "$f")" in crash-*|leak-*|timeout-*|oom-*) ;; *) continue ;; esac
      cp "$f" "fuzz/regressions/$t/"
      echo "fuzz: $t: $(basename "$f") -> fuzz/regressions/$t/"
    done
    grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error:' "$log" || true
    echo "fuzz: $t: see $log"
  fi
  summary+=("$(printf '%-22s %12s executions  %d crashes' "$t" "${execs:-?}" "$crashes")")
done

echo "== fuzz: ${seconds}s per target, $(( $(date +%s) - start )) s in all =="
printf '%s\n' "${summary[@]}"
if [ "$found" -ne 0 ]; then
  echo "fuzz: FOUND CRASHES (inputs in fuzz/regressions/; replay: build/fuzz/<target>_replay FILE)"
  exit 1
fi
echo "fuzz: no crashes"
