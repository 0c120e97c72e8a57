#!/usr/bin/env bash
# Installs dependencies, builds Release, loads the demo data set into ./trove-data when the
# store is empty, and shows what the store holds. DATA_DIR overrides ./trove-data.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh build
data=${DATA_DIR:-./trove-data}
loghub=../shared/data/loghub
inspect=build/tools/trove-inspect

echo "== loading the demo data set into $data (skipped when it already holds events) =="
"$inspect" demo --events 200000 --loghub "$loghub" "$data"
echo
echo "== verifying every block of every segment =="
"$inspect" verify "$data" | tail -n 3
echo
echo "== the store =="
"$inspect" dump "$data" | tail -n 25
cat <<MSG

Trove's storage engine holds the demo data in $data. Look further with:
  $inspect dump --terms 10 $data      # columns, encodings, sizes, most frequent terms
  $inspect verify $data               # checksums and decoding of every block
  $inspect load $data FILE...         # add your own plain-text log files
  build/bench/trove-bench-ingest --events 1000000   # ingest throughput, on-disk size / raw
(The troved server and the trove query CLI arrive with the server issue.)
MSG
