# Shared by the shell tests that drive a real troved with the trove CLI (cli_test.sh,
# hostile_cli_test.sh). Source it after setting troved=PATH and trove=PATH. It provides:
#   $dir            a temporary directory, removed on exit (troved is killed first)
#   $addr           a free loopback address for troved
#   fail MSG        prints MSG and the tail of troved's log, exits 1
#   t ARGS...       runs trove against $addr
#   expect_exit WANT CMD...   runs CMD with stdout/stderr in $dir/out and $dir/err
#   start_troved [FLAGS...]   starts troved on $dir/data and waits until it answers
#   stop_troved     SIGTERM, wait
dir=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$dir"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  if [ -s "$dir/troved.log" ]; then echo "--- troved.log (tail)"; tail -n 20 "$dir/troved.log"; fi
  exit 1
}
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
addr=127.0.0.1:$(free_port)
t() { "$trove" --server "$addr" "$@"; }
expect_exit() {
  local want=$1
  shift
  "$@" > "$dir/out" 2> "$dir/err"
  local rc=$?
  [ "$rc" -eq "$want" ] || fail "'$*' exited $rc, want $want; stderr: $(head -c 500 "$dir/err")"
}
start_troved() {
  # TROVE_TEST_TROVED_FLAGS: extra flags from ctest (sanitizer builds turn the memory budget off).
  # shellcheck disable=SC2086
  "$troved" --data "$dir/data" --listen "$addr" ${TROVE_TEST_TROVED_FLAGS:-} "$@" >> "$dir/troved.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    t admin stats > /dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || fail "troved exited at start"
    sleep 0.1
  done
  fail "troved did not answer within 10 s"
}
stop_troved() {
  kill "$pid"
  wait "$pid" 2>/dev/null
  pid=""
}
