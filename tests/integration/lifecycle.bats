#!/usr/bin/env bats
# create / start / run / kill / delete: the lifecycle as containerd and
# Podman drive it, checked against the live system (and runc 1.1.5).

load ../helpers

setup() {
  ID="$(unique_id life)"
  B="$BATS_TEST_TMPDIR/b"
  make_bundle "$B" '.process.args = ["sleep", "1000"] | .root.readonly = false'
}

teardown() {
  cleanup_containers
}

# recvtty: tests/helpers/recvtty.c, built by `make check` next to berth;
# compiled here when this build has not made it yet
recvtty_bin() {
  local bin
  bin="$(dirname "$BERTH")/tests/helpers/recvtty"
  if [[ ! -x "$bin" ]]; then
    bin="$BATS_TEST_TMPDIR/recvtty"
    cc -o "$bin" "$REPO/tests/helpers/recvtty.c" || return 1
  fi
  echo "$bin"
}

status_of() {
  berth state "$1" | jq -r .status
}

pid_of() {
  berth state "$1" | jq -r .pid
}

@test "create, start, kill, delete: states, pid file and nothing printed" {
  detached create --bundle "$B" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ "$(status_of "$ID")" = created ]
  # the pid file: exactly the decimal pid, no newline, and it is the init
  # (pid 1 of its own pid namespace) waiting for start
  local pid
  pid="$(pid_of "$ID")"
  [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$pid" ]
  [ "$(stat -c %s "$BATS_TEST_TMPDIR/pid")" -eq "${#pid}" ]
  [ "$(awk '/^NSpid:/ { print $NF }' "/proc/$pid/status")" = 1 ]
  [ -p "$BERTH_ROOT/$ID/exec.fifo" ]
  # still berth's code (the clone, no re-exec), not yet sleep
  [ "$(cat "/proc/$pid/comm")" = berth ]

  run berth start "$ID"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ "$(status_of "$ID")" = running ]
  [ ! -e "$BERTH_ROOT/$ID/exec.fifo" ]
  [ "$(pid_of "$ID")" = "$pid" ]
  [ "$(cat "/proc/$pid/comm")" = sleep ]

  run berth kill "$ID" KILL
  [ "$status" -eq 0 ]
  for _ in $(seq 50); do [ "$(status_of "$ID")" = stopped ] && break; sleep 0.1; done
  [ "$(status_of "$ID")" = stopped ]
  [ "$(pid_of "$ID")" = 0 ]

  run berth delete "$ID"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  assert_no_leftovers "$ID"
}

@test "the container process sits in its cgroup" {
  berth create --bundle "$B" "$ID"
  local pid dir
  pid="$(pid_of "$ID")"
  while read -r dir; do
    grep -qx "$pid" "$dir/cgroup.procs"
  done < <(berth_cgroup_dirs "$ID")
  [ -n "$(berth_cgroup_dirs "$ID")" ]
  berth delete "$ID"
  assert_no_leftovers "$ID"
}

@test "start: only a created container; twice is an error" {
  berth create --bundle "$B" "$ID"
  berth start "$ID"
  run berth start "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot start an already running container"* ]]
  run berth start "nope-$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"does not exist"* ]]
}

@test "run: exit status of the container, 128+signal when killed, then deleted" {
  bundle_edit "$B" '.process.args = ["sh", "-c", "exit 3"]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 3 ]
  assert_no_leftovers "$ID"
  # (as pid 1 of a pid namespace it could not kill itself)
  bundle_edit "$B" '.linux.namespaces |= map(select(.type != "pid")) | .process.args = ["sh", "-c", "kill -9 $$"]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 137 ]
  assert_no_leftovers "$ID"
  # runc agrees
  run oracle_runc run --bundle "$B" "r$ID"
  [ "$status" -eq 137 ]
}

@test "run: stdio goes straight to the container, berth prints nothing" {
  bundle_edit "$B" '.process.args = ["sh", "-c", "read x; echo out:$x; echo err:$x >&2"]'
  run bash -c 'echo hello | "$BERTH" --root "$BERTH_ROOT" run --bundle "$1" "$2" 2>"$3"' _ "$B" "$ID" "$BATS_TEST_TMPDIR/err"
  [ "$status" -eq 0 ]
  [ "$output" = "out:hello" ]
  [ "$(cat "$BATS_TEST_TMPDIR/err")" = "err:hello" ]
}

@test "run --keep leaves a stopped container; run -d returns with it running" {
  bundle_edit "$B" '.process.args = ["true"]'
  berth run --keep --bundle "$B" "$ID"
  [ "$(status_of "$ID")" = stopped ]
  berth delete "$ID"
  assert_no_leftovers "$ID"

  bundle_edit "$B" '.process.args = ["sleep", "1000"]'
  detached run -d --pid-file "$BATS_TEST_TMPDIR/pid" --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ "$(status_of "$ID")" = running ]
  [ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(pid_of "$ID")" ]
}

@test "run forwards signals to the container" {
  bundle_edit "$B" '.process.args = ["sh", "-c", "trap \"exit 42\" USR1; echo ready > /ready; while :; do sleep 0.05; done"]'
  "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID" &
  local runpid=$!
  for _ in $(seq 100); do [ -e "$B/rootfs/ready" ] && break; sleep 0.05; done
  [ -e "$B/rootfs/ready" ]
  kill -USR1 "$runpid"
  local rc=0
  wait "$runpid" || rc=$?
  [ "$rc" -eq 42 ]
  assert_no_leftovers "$ID"
}

@test "kill: names with and without SIG, any case, numbers; bad signals rejected" {
  bundle_edit "$B" '.process.args = ["sh", "-c", "for s in USR1 USR2 HUP; do trap \"echo $s >> /got\" $s; done; echo ready > /ready; while :; do sleep 0.05; done"]'
  berth run -d --bundle "$B" "$ID"
  for _ in $(seq 100); do [ -e "$B/rootfs/ready" ] && break; sleep 0.05; done
  local n=0 sig
  # one at a time: the shell runs pending traps in its own order
  for sig in usr1 SIGUSR2 1; do
    berth kill "$ID" "$sig"
    n=$((n + 1))
    for _ in $(seq 100); do [ "$(cat "$B/rootfs/got" 2>/dev/null | wc -l)" -ge "$n" ] && break; sleep 0.05; done
  done
  [ "$(tr '\n' ' ' < "$B/rootfs/got")" = "USR1 USR2 HUP " ]
  run berth kill "$ID" SIGNOPE
  [ "$status" -eq 1 ]
  [[ "$output" == *'invalid signal "SIGNOPE"'* ]]
  # 0 checks that the container runs, as with runc
  berth kill "$ID" 0
  berth kill --all "$ID" 0
  # default SIGTERM: pid 1 without a handler ignores it, like with runc
  berth kill "$ID" KILL
  for _ in $(seq 50); do [ "$(status_of "$ID")" = stopped ] && break; sleep 0.1; done
  run berth kill "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"container not running"* ]]
  run berth kill "$ID" 0
  [ "$status" -eq 1 ]
  [[ "$output" == *"container not running"* ]]
  # --all on a stopped container is fine (runc 1.1.5 too)
  run berth kill --all "$ID" KILL
  [ "$status" -eq 0 ]
  run berth kill --all "$ID" 0
  [ "$status" -eq 0 ]
}

@test "kill 0 of a created container: an existence check, with and without --all (runc too)" {
  berth create --bundle "$B" "$ID" </dev/null >/dev/null 2>&1
  berth kill "$ID" 0
  berth kill --all "$ID" 0
  [ "$(status_of "$ID")" = created ]
  run berth kill "$ID" 65
  [ "$status" -eq 1 ]
  [[ "$output" == *'(0-64)'* ]]
}

@test "kill --all reaches every process of the cgroup, plain kill only the init" {
  # no pid namespace: the init's death does not take its child along
  bundle_edit "$B" '.linux.namespaces |= map(select(.type != "pid")) | .process.args = ["sh", "-c", "sleep 1000 & echo $! > /child; wait"]'
  berth run -d --bundle "$B" "$ID"
  for _ in $(seq 100); do [ -s "$B/rootfs/child" ] && break; sleep 0.05; done
  local child
  child="$(cat "$B/rootfs/child")"
  kill -0 "$child"
  berth kill "$ID" KILL
  for _ in $(seq 50); do [ "$(status_of "$ID")" = stopped ] && break; sleep 0.1; done
  [ "$(status_of "$ID")" = stopped ]
  kill -0 "$child" # orphan still alive, still in the cgroup
  berth kill --all "$ID" KILL
  for _ in $(seq 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$child" 2>/dev/null
  berth delete "$ID"
  assert_no_leftovers "$ID"
}

@test "delete: refuses a running container, --force kills it; missing ids like runc" {
  berth run -d --bundle "$B" "$ID"
  local pid
  pid="$(pid_of "$ID")"
  run berth delete "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot delete container $ID that is not stopped: running"* ]]
  [ "$(status_of "$ID")" = running ]
  run berth delete --force "$ID"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  ! kill -0 "$pid" 2>/dev/null
  assert_no_leftovers "$ID"
  run berth delete "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"container \"$ID\" does not exist"* ]]
  run berth delete -f "$ID"
  [ "$status" -eq 0 ]
}

@test "delete of a created container kills its waiting init (runc does the same)" {
  local kmark
  kmark="$(kernel_log_mark)"
  berth create --bundle "$B" "$ID"
  local pid
  pid="$(pid_of "$ID")"
  run berth delete "$ID"
  [ "$status" -eq 0 ]
  ! kill -0 "$pid" 2>/dev/null
  assert_no_leftovers "$ID"
  assert_no_berth_crash "$kmark"
}

@test "a duplicate id fails and leaves the first container intact" {
  berth create --bundle "$B" "$ID"
  local pid
  pid="$(pid_of "$ID")"
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"already exists"* ]]
  [ "$(status_of "$ID")" = created ]
  [ "$(pid_of "$ID")" = "$pid" ]
  berth start "$ID"
  [ "$(status_of "$ID")" = running ]
}

@test "failed create leaves nothing: missing rootfs" {
  rm -rf "$B/rootfs"
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"rootfs"*"$B/rootfs"* ]]
  assert_no_leftovers "$ID"
}

@test "failed create leaves nothing: args[0] that does not exist names the file" {
  bundle_edit "$B" '.process.args = ["/nonexistent-prog", "x"]'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"/nonexistent-prog"* ]]
  assert_no_leftovers "$ID"
  bundle_edit "$B" '.process.args = ["no-such-cmd"]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"no-such-cmd"*"not found"* ]]
  assert_no_leftovers "$ID"
}

@test "failed create leaves nothing: a failure inside the init (cwd that is a file)" {
  bundle_edit "$B" '.process.cwd = "/bin/busybox"'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [ -n "$output" ]
  assert_no_leftovers "$ID"
}

@test "--config FILE replaces BUNDLE/config.json" {
  jq '.process.args = ["sh", "-c", "exit 7"]' "$B/config.json" > "$BATS_TEST_TMPDIR/other.json"
  run berth run --bundle "$B" --config "$BATS_TEST_TMPDIR/other.json" "$ID"
  [ "$status" -eq 7 ]
}

@test "the bundle defaults to the current directory" {
  bundle_edit "$B" '.process.args = ["sh", "-c", "exit 5"]'
  cd "$B"
  run berth run "$ID"
  [ "$status" -eq 5 ]
}

@test "a leaked fd 3 is closed; --preserve-fds passes 3..3+N-1 with LISTEN_FDS/LISTEN_PID" {
  # exec: the shell's own pipes must not show up; ls's directory fd is the last one
  bundle_edit "$B" '.process.args = ["sh", "-c", "echo \"[$LISTEN_FDS] [$LISTEN_PID]\"; exec ls /proc/self/fd"]'
  run bash -c '"$BERTH" --root "$BERTH_ROOT" run --bundle "$1" "$2" 3</dev/null' _ "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "[] [] 0 1 2 3" ]
  run bash -c '"$BERTH" --root "$BERTH_ROOT" run --preserve-fds 2 --bundle "$1" "$2" 3</dev/null 4</dev/null 5</dev/null' _ "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "[2] [1] 0 1 2 3 4 5" ]
  # without a pid namespace LISTEN_PID is the host pid of the process itself
  bundle_edit "$B" '.linux.namespaces |= map(select(.type != "pid")) | .process.args = ["sh", "-c", "[ \"$LISTEN_PID\" = $$ ] && echo same"]'
  run bash -c '"$BERTH" --root "$BERTH_ROOT" run --preserve-fds 1 --bundle "$1" "$2" 3</dev/null' _ "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = same ]
}

@test "terminal: the pty master goes over --console-socket (one fd, a payload); the container has a tty" {
  bundle_edit "$B" '.process.terminal = true | .process.args = ["sh", "-c", "[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo isatty; tty; ls -l /dev/console | cut -c1"]'
  local rt sock="$BATS_TEST_TMPDIR/console.sock" out="$BATS_TEST_TMPDIR/console.out"
  rt="$(recvtty_bin)"
  "$rt" "$sock" "$out" &
  local rtpid=$!
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
  detached create --bundle "$B" --console-socket "$sock" "$ID"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  for _ in $(seq 100); do grep -q '^payload=' "$out" && break; sleep 0.05; done
  grep -q '^payload=[1-9][0-9]* fds=1$' "$out"
  berth start "$ID"
  for _ in $(seq 100); do grep -q '^c' "$out" && break; sleep 0.05; done
  grep -q '^isatty' "$out"
  grep -q '^/dev/pts/0' "$out"
  grep -q '^c' "$out"
  wait "$rtpid" || true
}

@test "terminal without --console-socket: create refuses, run in the foreground copies the pty" {
  bundle_edit "$B" '.process.terminal = true | .process.args = ["sh", "-c", "[ -t 1 ] && echo isatty; exit 6"]'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"terminal requires --console-socket"* ]]
  assert_no_leftovers "$ID"
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 6 ]
  [[ "$output" == isatty* ]]
  assert_no_leftovers "$ID"
}

@test "run in the foreground can be killed and inspected from outside (no lock held)" {
  "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 &
  local runpid=$!
  for _ in $(seq 100); do [ "$(berth state "$ID" 2>/dev/null | jq -r .status)" = running ] && break; sleep 0.05; done
  [ "$(berth state "$ID" | jq -r .status)" = running ]
  timeout 5 "$BERTH" --root "$BERTH_ROOT" kill "$ID" KILL
  local rc=0
  wait "$runpid" || rc=$?
  [ "$rc" -eq 137 ]
  assert_no_leftovers "$ID"
}

@test "--no-pivot runs the container too" {
  bundle_edit "$B" '.process.args = ["sh", "-c", "test -x /bin/busybox && exit 11"]'
  run berth run --no-pivot --bundle "$B" "$ID"
  [ "$status" -eq 11 ]
  assert_no_leftovers "$ID"
}
