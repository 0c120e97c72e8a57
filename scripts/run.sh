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
query=build/tools/trove-query
echo
echo "== three example queries =="
run_query() {
  echo "\$ $query $*"
  "$query" "$@"
  echo
}
run_query "$data" 'level:error | stats by (service) count() errors | sort by (errors desc) | limit 5'
run_query "$data" '"payment declined" | limit 3'
run_query "$data" 'service:checkout | stats quantile(0.99, latency_ms) p99, count_uniq(user.id) users'
trace=$("$query" "$data" 'service:checkout trace_id:* | limit 1' | grep -o 'trace_id=[^ ]*' | head -n 1 | cut -d= -f2)
cat <<MSG
Trove holds the demo data in $data. Query it (DESIGN.md §2-§3, grammar in query/README.md):
  $query $data '"payment declined" | limit 5'
  $query --explain $data 'level:error | stats by (service) count() errors | sort by (errors desc)'
  $query $data '* | stats by (_time:10m) count()'
  $query trace $data ${trace:-TRACE_ID}      # every event of one request, as a span tree
Look at the storage with:
  $inspect dump --terms 10 $data      # columns, encodings, sizes, most frequent terms
  $inspect verify $data               # checksums and decoding of every block
  $inspect load $data FILE...         # add your own plain-text log files
Benchmarks:
  build/bench/trove-bench-ingest --events 1000000   # ingest throughput, on-disk size / raw
  build/bench/trove-bench-query --events 10000000   # search, trace and aggregation latencies
(The troved server and the trove CLI over gRPC arrive with the server issue.)
MSG
