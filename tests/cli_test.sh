#!/usr/bin/env bash
# End-to-end check of the `trove` CLI against a real troved (DESIGN.md §5): usage errors, an
# unreachable server, JSON-lines and text ingest (with malformed lines named by line number),
# search (human and --json output, checked with python3's json module), trace, stats, bad
# queries, live tail, admin, a restart that keeps the data, and archival to the cold tier.
# Usage: cli_test.sh PATH/TO/troved PATH/TO/trove
set -u
troved=$1
trove=$2
. "$(dirname "$0")/troved_harness.sh"
# count_json FILE: the number of lines in FILE, each checked to be a JSON object.
count_json() {
  python3 -c 'import json, sys
n = 0
for line in open(sys.argv[1]):
    json.loads(line); n += 1
print(n)' "$1" || fail "invalid JSON in $1: $(head -c 300 "$1")"
}

# ---- usage errors and an unreachable server: no troved needed --------------------------------
expect_exit 2 "$trove"
expect_exit 0 "$trove" help
grep -q "usage: trove" "$dir/out" || fail "help prints no usage"
expect_exit 2 "$trove" frobnicate
expect_exit 2 "$trove" search
expect_exit 2 "$trove" search foo --since yesterday
expect_exit 2 "$trove" search foo --since 1h --from 2026-01-01
expect_exit 2 "$trove" search foo --limit x
expect_exit 2 "$trove" search foo --bogus
expect_exit 2 "$trove" ingest --format xml x
expect_exit 2 "$trove" ingest
expect_exit 2 "$trove" trace
expect_exit 2 "$trove" admin frob
expect_exit 1 "$trove" --server "$addr" ingest "$dir/missing.jsonl"
grep -q "missing.jsonl" "$dir/err" || fail "unreadable file not named: $(cat "$dir/err")"
for cmd in "search foo" "stats a | stats count()" "trace abc" "admin stats" "tail"; do
  # shellcheck disable=SC2086
  expect_exit 1 "$trove" --server "$addr" $cmd
  grep -q "cannot reach troved at $addr" "$dir/err" || fail "$cmd: $(cat "$dir/err")"
done
echo '{"msg":"x"}' > "$dir/one.jsonl"
expect_exit 1 "$trove" --server "$addr" ingest "$dir/one.jsonl"
grep -q "cannot reach troved at $addr" "$dir/err" || fail "ingest: $(cat "$dir/err")"

# ---- the data ---------------------------------------------------------------------------------
# 300 JSON lines over the last 30 minutes: 3 services, levels, attributes of every type, one
# 5-event trace across services with spans; line 50, 120 and 160 are malformed; line 77 has
# invalid UTF-8. expected.json holds what the queries below must find.
python3 - "$dir" <<'EOF'
import json, sys, time
d = sys.argv[1]
now = time.time()
base = now - 1800
services = ["checkout", "payments", "auth"]
levels = ["info", "info", "warn", "error", "debug"]
trace = "4bf92f3577b34da6a3ce929d0e0e4736"
lines, good, per_service, errors_checkout = [], [], {}, 0
for i in range(300):
    n = i + 1
    if n in (50, 120, 160):
        lines.append({50: '{"msg":"truncated', 120: 'not json at all', 160: '{"a":}'}[n])
        continue
    svc = services[i % 3]
    lvl = levels[i % 5]
    e = {"@timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + i)) + ".%03dZ" % (i % 1000),
         "service": {"name": svc}, "level": lvl, "message": "request %d handled" % i,
         "http": {"status": 200 + (i % 4) * 100, "route": "/r%d" % (i % 7)},
         "latency_ms": i / 4.0, "retry": i % 2 == 0, "user.id": "u-%d" % (i % 13), "source": "gen"}
    if n == 7:
        e["message"] = "the zebra42 event"
    if 200 <= i < 205:
        e["trace_id"] = trace
        e["span_id"] = "span%d" % (i - 200)
        if i > 200:
            e["parent_span_id"] = "span0"
    line = json.dumps(e)
    if n == 77:
        line = line.replace("request 76", "request \\u00e9 76").replace('"source"', '"bad":"\udcff",  "source"')
    lines.append(line)
    per_service[svc] = per_service.get(svc, 0) + 1
    if svc == "checkout" and lvl == "error":
        errors_checkout += 1
    good.append(e)
with open(d + "/events.jsonl", "w", encoding="utf-8", errors="surrogateescape") as f:
    for l in lines:
        f.write(l + "\n")
zebra = good[6]
json.dump({"good": len(good), "per_service": per_service, "errors_checkout": errors_checkout,
           "zebra_time": zebra["@timestamp"], "trace": trace}, open(d + "/expected.json", "w"))
# Plain text: 20 recent lines, one without a timestamp; and a Java log with stack traces.
t0 = now - 600
with open(d + "/app.log", "w") as f:
    for i in range(20):
        ts = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t0 + i)) + ",%03d" % i
        lvl = ["INFO", "WARN", "ERROR", "DEBUG"][i % 4]
        f.write("%s %s [worker-%d] text line %d of the walrus77 log\n" % (ts, lvl, i % 3, i))
    f.write("a line without any timestamp walrus77\n")
with open(d + "/java.log", "w") as f:
    for i in range(4):
        ts = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t0 + 100 + i)) + ",000"
        f.write("%s ERROR [main] request %d failed okapi55\n" % (ts, i))
        f.write("java.lang.IllegalStateException: boom %d\n" % i)
        f.write("\tat com.example.Foo.bar(Foo.java:42)\n\tat com.example.Main.main(Main.java:7)\n")
EOF
[ -s "$dir/events.jsonl" ] || fail "generator failed"
good=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["good"])' "$dir/expected.json")

# ---- ingest and search ------------------------------------------------------------------------
start_troved
expect_exit 0 t ingest "$dir/events.jsonl"
grep -q "^$good accepted, 3 rejected$" "$dir/out" || fail "ingest counts: $(cat "$dir/out")"
for n in 50 120 160; do
  grep -q "events.jsonl:$n: invalid JSON" "$dir/err" || fail "line $n not reported: $(cat "$dir/err")"
done
grep -q "events.jsonl:77" "$dir/err" && fail "line 77 (invalid UTF-8) was rejected: $(cat "$dir/err")"

# Searchable within a second of the ack.
deadline=$(($(date +%s%N) + 1000000000))
while true; do
  t search zebra42 --json > "$dir/zebra.json" 2> "$dir/err" || fail "search failed: $(cat "$dir/err")"
  [ "$(count_json "$dir/zebra.json")" -eq 1 ] && break
  [ "$(date +%s%N)" -lt "$deadline" ] || fail "zebra42 not found within 1 s of the ack"
  sleep 0.05
done
python3 - "$dir/zebra.json" "$dir/expected.json" <<'EOF' || fail "zebra42 --json fields"
import json, re, sys
e = json.loads(open(sys.argv[1]).readline())
x = json.load(open(sys.argv[2]))
want_time = x["zebra_time"][:-1] + "000000Z"  # ms → 9 digits
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", e["_time"]), e
assert e["_time"] == want_time, (e["_time"], want_time)
assert e["service"] == "checkout" and e["level"] == "INFO" and e["_msg"] == "the zebra42 event", e
assert e["http.status"] == 400 and type(e["http.status"]) is int, e
assert e["http.route"] == "/r6" and e["user.id"] == "u-6" and e["source"] == "gen", e
assert e["latency_ms"] == 1.5 and type(e["latency_ms"]) is float, e
assert e["retry"] is True, e
for k in ("@timestamp", "message", "service.name"):
    assert k not in e, (k, e)
EOF

t search zebra42 > "$dir/human.out" 2>&1 || fail "human search failed"
grep -q "checkout  INFO   the zebra42 event  .*http.route=/r6" "$dir/human.out" \
  || fail "human output: $(cat "$dir/human.out")"
grep -q $'\033' "$dir/human.out" && fail "colour codes when stdout is not a terminal"

want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["errors_checkout"])' "$dir/expected.json")
t search 'service:checkout level:error' --since 1h --limit 1000 --json > "$dir/errs.json" \
  || fail "search --since"
[ "$(count_json "$dir/errs.json")" -eq "$want" ] || fail "checkout errors: $(count_json "$dir/errs.json") want $want"
t search 'source:gen' --from 2h --to now --limit 1000 --json > "$dir/all.json" || fail "search --from"
[ "$(count_json "$dir/all.json")" -eq "$good" ] || fail "--from/--to found $(count_json "$dir/all.json")"
t search 'source:gen' --from 2001-01-01 --to 2001-01-02 --json > "$dir/none.json" || fail "old range"
[ "$(count_json "$dir/none.json")" -eq 0 ] || fail "an old range found events"
expect_exit 0 t search source:gen --limit 5 --json
[ "$(count_json "$dir/out")" -eq 5 ] || fail "--limit 5"
grep -q "more events match" "$dir/err" || fail "no truncation note: $(cat "$dir/err")"
expect_exit 0 t search zebra42 --explain
grep -q "plan:" "$dir/err" || fail "--explain printed no plan: $(cat "$dir/err")"
# Newest first, and the invalid UTF-8 line stored with U+FFFD.
python3 - "$dir/all.json" <<'EOF' || fail "order or U+FFFD"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
times = [e["_time"] for e in ev]
assert times == sorted(times, reverse=True), "not newest first"
bad = [e for e in ev if "bad" in e]
assert len(bad) == 1 and bad[0]["bad"] == "\ufffd", bad
EOF

# Bad queries exit 2 with the server's position.
expect_exit 2 t search 'level:(error'
grep -q "position" "$dir/err" || fail "no position in: $(cat "$dir/err")"
expect_exit 2 t stats 'level:error'

# ---- text ingest ------------------------------------------------------------------------------
expect_exit 0 t ingest --service textsvc "$dir/app.log"
grep -q "^21 accepted, 0 rejected$" "$dir/out" || fail "text ingest: $(cat "$dir/out")"
t search walrus77 --json --limit 100 > "$dir/text.json" || fail "text search"
python3 - "$dir/text.json" <<'EOF' || fail "text events"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert len(ev) == 21, len(ev)
assert all(e["service"] == "textsvc" for e in ev)
levels = sorted(e.get("level", "-") for e in ev)
assert levels.count("ERROR") == 5 and levels.count("WARN") == 5, levels
e = [e for e in ev if e["_msg"].endswith("text line 3 of the walrus77 log")][0]
assert e["_time"].endswith(".003000000Z") and e["level"] == "DEBUG", e
EOF
expect_exit 0 t ingest --multiline --service javasvc "$dir/java.log"
grep -q "^4 accepted, 0 rejected$" "$dir/out" || fail "multiline ingest: $(cat "$dir/out")"
t search okapi55 --json > "$dir/java.json" || fail "java search"
python3 - "$dir/java.json" <<'EOF' || fail "multiline events"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert len(ev) == 4, len(ev)
for e in ev:
    assert e["level"] == "ERROR" and e["_msg"].count("\n") == 3 and "\tat com.example" in e["_msg"], e
EOF
# Events the server refuses (an over-long trace_id) are named by file:line too, across batches.
python3 - "$dir/refused.jsonl" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as f:
    for n in range(1, 31):
        if n == 10:
            f.write('{"msg": "broken"\n')
            continue
        e = {"msg": "refusal test %d" % n, "service": "refusesvc"}
        if n in (5, 23):
            e["trace_id"] = "x" * 100
        f.write(json.dumps(e) + "\n")
EOF
expect_exit 0 t ingest --batch 4 "$dir/refused.jsonl"
grep -q "^27 accepted, 3 rejected$" "$dir/out" || fail "refusals: $(cat "$dir/out")"
for n in 5 23; do
  grep -q "refused.jsonl:$n: rejected by the server" "$dir/err" || fail "refusal $n: $(cat "$dir/err")"
done
grep -q "refused.jsonl:10: invalid JSON" "$dir/err" || fail "line 10: $(cat "$dir/err")"
printf '{"msg":"from stdin","service":"stdinsvc"}\n' | t ingest - > "$dir/out" 2>&1 \
  || fail "stdin ingest"
grep -q "^1 accepted, 0 rejected$" "$dir/out" || fail "stdin: $(cat "$dir/out")"

# ---- trace ------------------------------------------------------------------------------------
trace=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["trace"])' "$dir/expected.json")
expect_exit 0 t trace "$trace" --json
python3 - "$dir/out" "$trace" <<'EOF' || fail "trace --json"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert len(ev) == 5, len(ev)
assert all(e["trace_id"] == sys.argv[2] for e in ev), ev
assert [e["_time"] for e in ev] == sorted(e["_time"] for e in ev), "not in time order"
assert [e["span_id"] for e in ev] == ["span%d" % i for i in range(5)], ev
EOF
expect_exit 0 t trace "$trace"
for word in "5 events" checkout payments auth span0 "timeline:"; do
  grep -q "$word" "$dir/out" || fail "trace output lacks '$word': $(cat "$dir/out")"
done
expect_exit 0 t trace no-such-trace-id
grep -q "no events for trace ID no-such-trace-id" "$dir/err" || fail "unknown trace: $(cat "$dir/err")"
[ -s "$dir/out" ] && fail "unknown trace printed on stdout"

# ---- stats ------------------------------------------------------------------------------------
expect_exit 0 t stats 'source:gen | stats by (service) count() n' --json
python3 - "$dir/out" "$dir/expected.json" <<'EOF' || fail "stats --json: $(cat "$dir/out")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
want = json.load(open(sys.argv[2]))["per_service"]
assert {r["service"]: r["n"] for r in rows} == want, (rows, want)
EOF
expect_exit 0 t stats 'source:gen | stats by (service) count() n'
head -n 1 "$dir/out" | grep -Eq "^service +n$" || fail "stats header: $(cat "$dir/out")"
grep -Eq "^checkout +[0-9]+$" "$dir/out" || fail "stats rows: $(cat "$dir/out")"
expect_exit 0 t search 'source:gen | stats count() total' --json  # routed to Aggregate
grep -q "{\"total\":$good}" "$dir/out" || fail "search with a stats pipe: $(cat "$dir/out")"
expect_exit 0 t stats 'source:gen | stats by (_time:1h) count() n' --json
grep -Eq '"_time":"[0-9T:-]+\.0{9}Z"' "$dir/out" || fail "time buckets: $(cat "$dir/out")"

# ---- tail -------------------------------------------------------------------------------------
# Job control on for this job: a script's background jobs otherwise start with SIGINT ignored,
# and an ignored signal never reaches trove.
set -m
"$trove" --server "$addr" tail 'service:tailsvc' --json > "$dir/tail.out" 2> "$dir/tail.err" &
tail_pid=$!
set +m
sleep 1
printf '{"msg":"tail %d","service":"tailsvc"}\n' 1 2 3 | t ingest - > /dev/null || fail "tail ingest"
for _ in $(seq 1 50); do
  [ "$(wc -l < "$dir/tail.out")" -ge 3 ] && break
  sleep 0.1
done
kill -INT "$tail_pid"
for _ in $(seq 1 50); do
  kill -0 "$tail_pid" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$tail_pid" 2>/dev/null; then
  kill -KILL "$tail_pid"
  fail "tail did not stop within 5 s of SIGINT"
fi
wait "$tail_pid"
rc=$?
[ "$rc" -eq 0 ] || fail "tail exited $rc after Ctrl-C: $(cat "$dir/tail.err")"
[ "$(count_json "$dir/tail.out")" -eq 3 ] || fail "tail saw: $(cat "$dir/tail.out")"

# ---- admin and restart ------------------------------------------------------------------------
expect_exit 0 t admin stats --json
python3 -c 'import json,sys; s = json.load(open(sys.argv[1])); assert s["background_error"] == ""' \
  "$dir/out" || fail "admin stats --json: $(cat "$dir/out")"
expect_exit 0 t admin stats
grep -q "health" "$dir/out" || fail "admin stats: $(cat "$dir/out")"

stop_troved  # nothing flushed: the acknowledged events must come back from the write-ahead buffer
start_troved
t search 'source:gen' --limit 1000 --json > "$dir/after.json" || fail "search after restart"
[ "$(count_json "$dir/after.json")" -eq "$good" ] || fail "after restart: $(count_json "$dir/after.json") of $good"
expect_exit 0 t admin flush
expect_exit 0 t admin segments --json
[ "$(count_json "$dir/out")" -ge 1 ] || fail "no segments after flush"
expect_exit 0 t admin segments
head -n 1 "$dir/out" | grep -q "^ *ID *PARTITION" || fail "segments table: $(cat "$dir/out")"
stop_troved
start_troved
t stats 'source:gen | stats count() n' --json > "$dir/out" || fail "stats after second restart"
grep -q "{\"n\":$good}" "$dir/out" || fail "after flush and restart: $(cat "$dir/out")"

# ---- tiering: archive, per-tier stats, explain, restart ---------------------------------------
# 500 events 40 days old (past the default archive-after of 7d) in three hours. A long
# maintenance interval, and waiting out the pass troved runs at start, leave the archiving to
# `admin archive`.
stop_troved
start_troved --maintenance-interval 1h
for _ in $(seq 1 100); do
  t admin stats --json > "$dir/out" 2> /dev/null
  python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["maintenance_passes"] < 1)' \
    "$dir/out" 2> /dev/null && break
  sleep 0.1
done
python3 - "$dir/old.jsonl" <<'EOF'
import json, sys, time
base = int(time.time()) - 40 * 86400
with open(sys.argv[1], "w") as f:
    for i in range(500):
        f.write(json.dumps({"ts": base + i * 20, "service": "archive", "msg": "glacier88 %d" % i}) + "\n")
EOF
expect_exit 0 t ingest "$dir/old.jsonl"
grep -q "^500 accepted, 0 rejected$" "$dir/out" || fail "old ingest: $(cat "$dir/out")"
expect_exit 0 t admin archive  # flushes first, so the buffered events are archived too
grep -Eq "^archived [0-9]+ segments? \(500 events\): [0-9.]+ [KM]?i?B hot -> [0-9.]+ [KM]?i?B cold; dropped 0 partitions$" \
  "$dir/out" || fail "admin archive: $(cat "$dir/out")"
expect_exit 0 t admin archive --json
python3 -c 'import json,sys; a = json.load(open(sys.argv[1])); assert a["archived_segments"] == 0 and a["dropped_partitions"] == 0, a' \
  "$dir/out" || fail "second archive --json: $(cat "$dir/out")"
expect_exit 0 t admin segments --json
python3 - "$dir/out" <<'EOF' || fail "segments tiers: $(cat "$dir/out")"
import json, sys
segs = [json.loads(l) for l in open(sys.argv[1])]
cold = [s for s in segs if s["tier"] == "cold"]
assert all(s["tier"] in ("hot", "cold") for s in segs), segs
assert sum(s["rows"] for s in cold) == 500, cold
assert all("/cold/seg-" in s["path"] for s in cold), cold
EOF
expect_exit 0 t admin segments
grep -Eq " cold +.*/cold/seg-" "$dir/out" || fail "segments table: $(cat "$dir/out")"
expect_exit 0 t admin stats --json
python3 - "$dir/out" "$dir/data/cold" <<'EOF' || fail "admin stats --json tiers: $(cat "$dir/out")"
import json, sys
s = json.load(open(sys.argv[1]))
hot, cold = s["hot"], s["cold"]
for k, total in (("segments", "segments"), ("rows", "segment_rows"), ("bytes", "segment_bytes"),
                 ("raw_bytes", "segment_raw_bytes")):
    assert hot[k] + cold[k] == s[total], (k, s)
assert cold["rows"] == 500 and cold["bytes"] > 0, s
assert s["cold_tier"] == "dir:" + sys.argv[2], s
assert s["archive_after_ns"] == 7 * 86400 * 10**9 and s["retention_ns"] == 0, s
assert s["max_disk_bytes"] == 0 and s["maintenance_interval_ns"] == 3600 * 10**9, s
assert s["maintenance"]["archived_rows"] == 500 and s["maintenance_passes"] >= 2, s
assert s["maintenance_error"] == "", s
EOF
expect_exit 0 t admin stats
for line in "^  hot +[0-9]+ \([0-9,]+ events, .* stored, .* raw, 1/[0-9.]+\)$" \
  "^  cold +[0-9]+ \(500 events, .* stored, .* raw, 1/[0-9.]+\)$" \
  "^cold tier +dir:.*/cold, index cache " \
  "^tiering +archive after 7d, retention forever, disk budget none, every 1h$" \
  "^maintenance +[0-9]+ passes: archived [0-9]+ segments? \(500 events\)" "^last pass +ok$"; do
  grep -Eq "$line" "$dir/out" || fail "admin stats lacks /$line/: $(cat "$dir/out")"
done
expect_exit 0 t search glacier88 --limit 1000 --json --explain
[ "$(count_json "$dir/out")" -eq 500 ] || fail "cold search found $(count_json "$dir/out")"
grep -Eq "^segments read: [0-9]+ hot, [1-9][0-9]* cold: .*seg-[0-9a-f]+\.trv \(cold\)" "$dir/err" \
  || fail "explain of a cold search: $(cat "$dir/err")"
stop_troved
start_troved
t search glacier88 --limit 1000 --json > "$dir/out" || fail "cold search after restart"
[ "$(count_json "$dir/out")" -eq 500 ] || fail "after restart the cold search found $(count_json "$dir/out")"
echo "PASS"
