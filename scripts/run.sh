#!/usr/bin/env bash
# Installs dependencies, builds Release, loads the demo data set into ./trove-data when the
# store is empty, starts troved on it in the background (127.0.0.1:7070) and prints trove
# commands to query it. DATA_DIR and TROVE_LISTEN override the directory and the address; when
# a troved already answers on the address, it is used as is.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh build
data=${DATA_DIR:-./trove-data}
listen=${TROVE_LISTEN:-127.0.0.1:7070}
loghub=../shared/data/loghub
inspect=build/tools/trove-inspect
troved=build/server/troved
trove="build/tools/trove --server $listen"

if $trove admin stats > /dev/null 2>&1; then
  echo "== troved already answers on $listen; using it =="
else
  echo "== loading the demo data set into $data (skipped when it already holds events) =="
  # Generated microservice logs with correlation IDs, plus every log of ../shared/data/loghub.
  "$inspect" demo --events 200000 --loghub "$loghub" "$data"
  echo
  echo "== starting troved on $listen (data in $data, log in $data/troved.log) =="
  nohup "$troved" --data "$data" --listen "$listen" >> "$data/troved.log" 2>&1 &
  echo $! > "$data/troved.pid"
  for _ in $(seq 1 100); do
    $trove admin stats > /dev/null 2>&1 && break
    if ! kill -0 "$(cat "$data/troved.pid")" 2>/dev/null; then
      echo "troved did not start; its log says:" >&2
      tail -n 20 "$data/troved.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  $trove admin stats > /dev/null || { echo "troved does not answer on $listen" >&2; exit 1; }
fi
echo
$trove admin stats
# A finished request: the oldest of the 100 newest checkout events with a trace.
trace=$($trove search 'service:checkout trace_id:*' --limit 100 --json 2>/dev/null | tail -n 1 |
  python3 -c 'import json, sys; print(json.loads(sys.stdin.readline())["trace_id"])' 2>/dev/null || true)
cli=build/tools/trove
[ "$listen" = 127.0.0.1:7070 ] || cli="$cli --server $listen"
cat <<MSG

troved is running in the background on $listen with the demo data in $data.
Query it with the trove CLI (DESIGN.md §5; query language in query/README.md):

  $cli search '"payment declined"' --limit 5
  $cli stats 'level:error | stats by (service) count() errors | sort by (errors desc)'
  $cli trace ${trace:-TRACE_ID}

More: build/tools/trove ingest FILE (JSON lines or plain text), trove tail 'level:error',
trove admin segments, trove search QUERY --json | --explain. Stop the server with
  kill \$(cat $data/troved.pid)
MSG
