#!/usr/bin/env bash
# End-to-end check of trove-inspect: demo load, dump, verify; then a flipped byte in a segment
# must make verify fail naming the file, and usage errors exit 2.
# Usage: inspect_test.sh PATH/TO/trove-inspect
set -u
inspect=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$inspect" demo --events 3000 --loghub /nonexistent "$dir/store" > "$dir/demo.out" 2>&1 \
  || fail "demo exited $?: $(cat "$dir/demo.out")"
grep -q "3000 accepted" "$dir/demo.out" || fail "demo did not report 3000 accepted events"
"$inspect" demo --events 10 "$dir/store" | grep -q "already holds 3000 events" \
  || fail "demo loaded twice into a non-empty store"

"$inspect" dump "$dir/store" > "$dir/dump.out" 2>&1 || fail "dump exited $?"
grep -q "_msg" "$dir/dump.out" || fail "dump lists no _msg column"
grep -Eq "totals +[0-9]+ segments, 3000 rows" "$dir/dump.out" || fail "dump totals: $(grep totals "$dir/dump.out")"

"$inspect" verify "$dir/store" > "$dir/verify.out" 2>&1 || fail "verify of a good store exited $?"

seg=$(ls "$dir"/store/segments/seg-*.trv | head -n 1)
size=$(stat -c %s "$seg")
printf '\xff' | dd of="$seg" bs=1 seek=$((size / 3)) conv=notrunc status=none
"$inspect" verify "$dir/store" > "$dir/verify2.out" 2>&1
rc=$?
[ "$rc" -eq 1 ] || fail "verify of a corrupt store exited $rc, want 1"
grep -q "Corruption" "$dir/verify2.out" || fail "verify did not say Corruption"
grep -q "$(basename "$seg")" "$dir/verify2.out" || fail "verify did not name $(basename "$seg")"

"$inspect" > /dev/null 2>&1; [ $? -eq 2 ] || fail "no arguments should exit 2"
"$inspect" frobnicate > /dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command should exit 2"
"$inspect" dump "$dir/missing" > /dev/null 2>&1; [ $? -eq 1 ] || fail "missing store should exit 1"
echo "PASS"
