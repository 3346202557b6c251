#!/usr/bin/env bats
# Odd inputs and interruptions (issue 13, items 4, 6, 7): a config.json
# that is a FIFO, a device or a directory; SIGTERM/SIGINT before the
# container's program runs; hooks and what they started when berth is
# killed; invalid Unicode and control characters in config.json.

load ../helpers

setup() {
  ID="$(unique_id input)"
  B="$BATS_TEST_TMPDIR/b"
  make_bundle "$B" '.process.args = ["true"]'
  PIDS="$BATS_TEST_TMPDIR/pids"
}

# hook_procs: pids of every process a hook of this test started (they
# all have P=$PIDS in their environment)
hook_procs() {
  grep -lsxzF "P=$PIDS" /proc/[0-9]*/environ | cut -d/ -f3
}

teardown() {
  local p
  # whatever a failed test left running: hooks, their children, berth
  for p in $(hook_procs); do kill -9 "$p" 2>/dev/null; done
  [[ -n "${BERTH_PID:-}" ]] && kill -9 "$BERTH_PID" 2>/dev/null
  cleanup_containers
}

# alive PID: PID exists and is not a zombie
alive() {
  local st
  st="$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$st" && "$st" != Z ]]
}

# none_alive_within SECONDS PID...: all gone (or zombies) in time
none_alive_within() {
  local deadline=$((SECONDS + $1)) p left
  shift
  while :; do
    left=()
    for p in "$@"; do alive "$p" && left+=("$p"); done
    ((${#left[@]} == 0)) && return 0
    if ((SECONDS >= deadline)); then
      echo "still alive: ${left[*]}" >&2
      ps -o pid,ppid,pgid,stat,args -p "$(IFS=,; echo "${left[*]}")" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

# wait_lines FILE N: FILE has N lines (10 s at most)
wait_lines() {
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -f "$1" && "$(wc -l <"$1")" -ge "$2" ]] && return 0
    sleep 0.1
  done
  echo "$1 never got $2 lines" >&2
  return 1
}

# wait_exit PID SECONDS: the exit status of our child PID in $WAITED;
# fails (killing PID) when it is still running after SECONDS
wait_exit() {
  local pid=$1 deadline=$((SECONDS + $2))
  while alive "$pid"; do
    if ((SECONDS >= deadline)); then
      echo "pid $pid still running after $2 s" >&2
      kill -9 "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
      return 1
    fi
    sleep 0.1
  done
  WAITED=0
  wait "$pid" || WAITED=$?
}

# a createRuntime hook that records its pid and two children (one in a
# session of its own) in $PIDS, then sleeps
sleeping_hook() {
  bundle_edit "$B" '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c",
      "sleep 1000 & echo $! >> \"$P\"; setsid sleep 1000 & echo $! >> \"$P\"; echo $$ >> \"$P\"; sleep 1000"],
      env: ["P=" + $p]}]' --arg p "$PIDS"
}

@test "config.json that is a FIFO, /dev/zero or a directory: refused at once, nothing made" {
  local kind
  for kind in fifo zero dir; do
    rm -rf "$B/config.json.real"
    mv "$B/config.json" "$B/config.json.real"
    case $kind in
      fifo) mkfifo "$B/config.json" ;;
      zero) ln -s /dev/zero "$B/config.json" ;;
      dir) mkdir "$B/config.json" ;;
    esac
    SECONDS=0
    run timeout 5 "$BERTH" --root "$BERTH_ROOT" create --bundle "$B" "$ID"
    [ "$status" -eq 1 ]
    [ "$SECONDS" -le 1 ]
    [[ "$output" == *"config.json: not a regular file"* ]]
    run timeout 5 "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"not a regular file"* ]]
    assert_no_leftovers "$ID"
    rm -rf "$B/config.json"
    mv "$B/config.json.real" "$B/config.json"
  done
}

@test "exec --process that is a FIFO: refused at once" {
  bundle_edit "$B" '.process.args = ["sleep", "1000"]'
  berth run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1
  mkfifo "$BATS_TEST_TMPDIR/process.json"
  run timeout 5 "$BERTH" --root "$BERTH_ROOT" exec --process "$BATS_TEST_TMPDIR/process.json" "$ID"
  [ "$status" -eq 255 ] # an exec that cannot start, as runc
  [[ "$output" == *"process.json: not a regular file (a FIFO)"* ]]
}

# interrupt_during_hook CMD SIGNAL: berth CMD with a sleeping createRuntime
# hook gets SIGNAL: it exits 1 soon, says why, and leaves nothing
interrupt_during_hook() {
  local cmd=$1 sig=$2 rc=0
  sleeping_hook
  "$BERTH" --root "$BERTH_ROOT" "$cmd" --bundle "$B" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
  BERTH_PID=$!
  wait_lines "$PIDS" 3
  kill "-$sig" "$BERTH_PID"
  wait_exit "$BERTH_PID" 3 || rc=$?
  BERTH_PID=
  cat "$BATS_TEST_TMPDIR/out"
  [ "$rc" -eq 0 ]
  [ "$WAITED" -eq 1 ]
  grep -q "interrupted by SIG$sig" "$BATS_TEST_TMPDIR/out"
  # the hook and its children are gone, and so is the container
  none_alive_within 2 $(cat "$PIDS") $(hook_procs)
  [ -z "$(hook_procs)" ]
  assert_no_leftovers "$ID"
  [ -z "$(ls -A "$BERTH_ROOT" 2>/dev/null)" ]
}

@test "run: SIGTERM while a createRuntime hook runs aborts and rolls back" {
  interrupt_during_hook run TERM
}

@test "run: SIGINT while a createRuntime hook runs aborts and rolls back" {
  interrupt_during_hook run INT
}

@test "create: SIGTERM while a createRuntime hook runs aborts and rolls back" {
  interrupt_during_hook create TERM
}

@test "run: SIGTERM once the program runs is forwarded to it" {
  bundle_edit "$B" '.process.args = ["sh", "-c", "trap \"exit 7\" TERM; echo up > /tmp/up; while :; do sleep 0.1; done"] | .root.readonly = false'
  "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 3>&- &
  BERTH_PID=$!
  local i rc=0
  for ((i = 0; i < 100; i++)); do [[ -f "$B/rootfs/tmp/up" ]] && break; sleep 0.1; done
  [ -f "$B/rootfs/tmp/up" ]
  kill -TERM "$BERTH_PID"
  wait_exit "$BERTH_PID" 5 || rc=$?
  BERTH_PID=
  [ "$rc" -eq 0 ]
  [ "$WAITED" -eq 7 ]
  assert_no_leftovers "$ID"
}

@test "kill -9 of berth during a createRuntime hook: the hook and its children die within 2 s" {
  sleeping_hook
  "$BERTH" --root "$BERTH_ROOT" create --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 3>&- &
  BERTH_PID=$!
  wait_lines "$PIDS" 3
  kill -9 "$BERTH_PID"
  wait_exit "$BERTH_PID" 2 || true
  BERTH_PID=
  none_alive_within 2 $(cat "$PIDS") $(hook_procs)
  [ -z "$(hook_procs)" ]
}

@test "a hook that ends normally may leave a background child (as before)" {
  bundle_edit "$B" '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "sleep 1000 </dev/null >/dev/null 2>&1 & echo $! >> \"$P\""], env: ["P=" + $p]}]' \
    --arg p "$PIDS"
  berth run --bundle "$B" "$ID"
  wait_lines "$PIDS" 1
  alive "$(cat "$PIDS")"
}

# bad_string BYTES: config.json with process.args[1] set to the raw JSON
# text BYTES (printf format)
bad_string() {
  [[ -f "$B/config.json.good" ]] || cp "$B/config.json" "$B/config.json.good"
  cp "$B/config.json.good" "$B/config.json"
  bundle_edit "$B" '.process.args = ["true", "XMARKX"]'
  local raw
  raw="$(printf "$1")"
  python3 -c 'import sys; p = sys.argv[1]; d = open(p, "rb").read().replace(b"XMARKX", sys.argv[2].encode("utf-8", "surrogateescape")); open(p, "wb").write(d)' \
    "$B/config.json" "$raw"
}

@test "config.json: a lone surrogate escape is refused with its path, nothing made" {
  bad_string '\\ud800'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *'config.json: .process.args[1]: string: lone surrogate escape \ud800 (a high half without a low half)'* ]]
  bad_string '\\udc00\\ud800'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *'.process.args[1]: string: lone surrogate escape \udc00 (a low half without a high half)'* ]]
  assert_no_leftovers "$ID"
}

@test "config.json: overlong and surrogate UTF-8 are refused with their path" {
  local bytes
  for bytes in '\300\257' '\340\200\257' '\355\240\200' '\364\220\200\200'; do
    bad_string "$bytes"
    run berth run --bundle "$B" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *'config.json: .process.args[1]: string: invalid UTF-8 (byte 0x'* ]]
  done
  assert_no_leftovers "$ID"
  # a correct pair and plain UTF-8 still run
  bad_string '\\ud83d\\ude00 caf\303\251'
  berth run --bundle "$B" "$ID"
}

@test "control and bidi characters from config.json are escaped in error messages" {
  bundle_edit "$B" '.root.path = "nope\u001b[2J\u202e\u0085"'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *'nope\x1b[2J\u202e\u0085: ENOENT'* ]]
  # no raw ESC, C1 or U+202E reached the terminal
  ! printf '%s' "$output" | grep -qP '\x1b|\xe2\x80\xae|\xc2\x85'
}
