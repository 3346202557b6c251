#!/usr/bin/env bats
# berth exec: every option observed from inside the container, the
# namespaces and cgroup the process joins, tty through a console socket
# and in the foreground, exit codes, --detach with a pid file, and exec
# into created, stopped and paused containers.

load ../helpers

setup() {
  ID="$(unique_id exec)"
  B="$BATS_TEST_TMPDIR/b"
  make_bundle "$B" '.process.args = ["sleep", "1000"] | .root.readonly = false
    | .process.env += ["FROM_CONFIG=1", "SHARED=config"] | .process.noNewPrivileges = false'
}

teardown() {
  if [[ -n "${BG_PID:-}" ]]; then kill "$BG_PID" 2>/dev/null || true; fi
  cleanup_containers
}

start_container() {
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  INIT="$(berth state "$ID" | jq -r .pid)"
}

recvtty_bin() {
  local bin
  bin="$(dirname "$BERTH")/tests/helpers/recvtty"
  if [[ ! -x "$bin" ]]; then
    bin="$BATS_TEST_TMPDIR/recvtty"
    cc -o "$bin" "$REPO/tests/helpers/recvtty.c" || return 1
  fi
  echo "$bin"
}

# status_field NAME: the value of "NAME:" among the /proc/self/status lines in $output
status_field() {
  awk -v k="$1:" '$1 == k { print $2 }' <<<"$output"
}

@test "exec runs in the container's pid namespace with the container's process settings" {
  start_container
  run berth exec "$ID" sh -c 'echo pid=$$; id -u; pwd; echo $FROM_CONFIG; readlink /proc/self/exe; cat /proc/1/cmdline | tr "\0" " "'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" != "pid=1" ]
  [[ "${lines[0]}" == pid=[0-9]* ]]
  [ "${lines[1]}" = 0 ]
  [ "${lines[2]}" = / ]
  [ "${lines[3]}" = 1 ]
  # the exec'd program, not berth's executable
  [ "${lines[4]}" = /bin/busybox ]
  [ "${lines[5]}" = "sleep 1000 " ]
}

@test "exec joins every namespace of the init and its cgroup" {
  start_container
  detached exec -d --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" sleep 100
  [ "$status" -eq 0 ]
  local pid ns
  pid="$(cat "$BATS_TEST_TMPDIR/pid")"
  for ns in pid mnt net ipc uts cgroup user time; do
    [ "$(readlink "/proc/$pid/ns/$ns")" = "$(readlink "/proc/$INIT/ns/$ns")" ]
  done
  # the container has its own pid, mount and network namespaces, so the
  # comparison above is not trivially true
  [ "$(readlink "/proc/$pid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
  [ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]
  diff "/proc/$INIT/cgroup" "/proc/$pid/cgroup"
  grep -q "/berth/$ID\$" "/proc/$pid/cgroup"
  [ "$(cat "/proc/$pid/comm")" = sleep ]
}

@test "exec exit codes: the program's status, 128+N when killed, 255 when it cannot start (runc)" {
  start_container
  run berth exec "$ID" sh -c 'exit 3'
  [ "$status" -eq 3 ]
  run berth exec "$ID" sh -c 'kill -9 $$'
  [ "$status" -eq 137 ]
  run berth exec "$ID" true
  [ "$status" -eq 0 ]
  run berth exec "$ID" no-such-program
  [ "$status" -eq 255 ]
  [[ "$output" == *'exec: "no-such-program": executable file not found in $PATH'* ]]
  run berth exec "$ID" /no/such/path
  [ "$status" -eq 255 ]
  [[ "$output" == *'no such file or directory'* ]]
  run berth exec -d --pid-file "$BATS_TEST_TMPDIR/no/such/dir/pid" "$ID" true
  [ "$status" -eq 255 ]
  [[ "$output" == *'pid file'* ]]
  # a wrong command line is 1, as with runc
  run berth exec --no-such-option "$ID" true
  [ "$status" -eq 1 ]
  run berth exec
  [ "$status" -eq 1 ]
}

@test "exec -e merges over the container's environment: the exec's value wins, the later -e wins" {
  start_container
  run berth exec -e SHARED=exec -e NEW=1 -e NEW=2 "$ID" env
  [ "$status" -eq 0 ]
  grep -qx 'SHARED=exec' <<<"$output"
  ! grep -qx 'SHARED=config' <<<"$output"
  grep -qx 'NEW=2' <<<"$output"
  [ "$(grep -c '^NEW=' <<<"$output")" -eq 1 ]
  grep -qx 'FROM_CONFIG=1' <<<"$output"
  grep -q '^PATH=' <<<"$output"
}

@test "exec --cwd, -u UID:GID and --additional-gids, seen from inside" {
  start_container
  run berth exec --cwd /tmp -u 1000:1001 -g 5 --additional-gids 6 "$ID" sh -c 'pwd; id -u; id -g; id -G'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = /tmp ]
  [ "${lines[1]}" = 1000 ]
  [ "${lines[2]}" = 1001 ]
  # busybox id -G: the primary group first
  [ "${lines[3]}" = "1001 5 6" ]
  # -u UID alone keeps the container's gid (0)
  run berth exec -u 1000 "$ID" sh -c 'id -u; id -g'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1000 ]
  [ "${lines[1]}" = 0 ]
}

@test "exec -u accepts only numbers" {
  start_container
  local u
  for u in root 1:2:3 -1 1: :1 nobody:nogroup 4294967296 ' 1'; do
    run berth exec -u "$u" "$ID" true
    [ "$status" -eq 255 ]
    [[ "$output" == *"invalid --user"* ]]
  done
}

@test "exec --cap adds to bounding, effective and permitted, never inheritable; --no-new-privs" {
  start_container
  run berth exec "$ID" cat /proc/self/status
  [ "$status" -eq 0 ]
  local bnd_before
  bnd_before="$(status_field CapBnd)"
  [ "$(status_field NoNewPrivs)" = 0 ]
  run berth exec --cap CAP_SYS_ADMIN --cap CAP_NET_RAW --no-new-privs "$ID" cat /proc/self/status
  [ "$status" -eq 0 ]
  local sys_admin=$((1 << 21)) net_raw=$((1 << 13)) set
  for set in CapBnd CapEff CapPrm; do
    (( 0x$(status_field "$set") & sys_admin ))
    (( 0x$(status_field "$set") & net_raw ))
  done
  (( (0x$(status_field CapInh) & sys_admin) == 0 ))
  (( 0x$(status_field CapAmb) == 0 ))
  (( (0x$(status_field CapBnd) & ~(sys_admin | net_raw)) == 0x$bnd_before ))
  [ "$(status_field NoNewPrivs)" = 1 ]
}

@test "exec: only fds 0, 1, 2 and the preserved ones reach the process" {
  start_container
  local script='for n in 3 4 5 6 7 8 9 10; do [ -e /proc/$$/fd/$n ] && echo "open $n"; done; echo ${LISTEN_FDS:-none}'
  run bash -c '"$BERTH" --root "$3" exec "$1" sh -c "$2" 3</etc/passwd 4</ 5</ 6</dev/null 7</ 8</ 9</ 10</' _ "$ID" "$script" "$BERTH_ROOT"
  [ "$status" -eq 0 ]
  [ "$output" = none ]
  run bash -c '"$BERTH" --root "$3" exec --preserve-fds 2 "$1" sh -c "$2" 3</etc/passwd 4</ 5</ 6</dev/null 7</ 8</ 9</ 10</' _ "$ID" "$script" "$BERTH_ROOT"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "open 3" ]
  [ "${lines[1]}" = "open 4" ]
  [ "${lines[2]}" = 2 ]
  [ "${#lines[@]}" -eq 3 ]
}

@test "exec --process FILE: the process.json as given; with a command it is an error" {
  start_container
  jq -n '{args: ["sh", "-c", "id -u; pwd; echo $ONLY"], cwd: "/etc", env: ["ONLY=json", "PATH=/bin"], user: {uid: 7, gid: 8}}' \
    >"$BATS_TEST_TMPDIR/process.json"
  run berth exec --process "$BATS_TEST_TMPDIR/process.json" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 7 ]
  [ "${lines[1]}" = /etc ]
  [ "${lines[2]}" = json ]
  run berth exec -p "$BATS_TEST_TMPDIR/process.json" "$ID" true
  [ "$status" -eq 255 ]
  [[ "$output" == *"cannot be given together"* ]]
  echo '{"args": []}' >"$BATS_TEST_TMPDIR/bad.json"
  run berth exec --process "$BATS_TEST_TMPDIR/bad.json" "$ID"
  [ "$status" -eq 255 ]
  [[ "$output" == *".args: must not be empty"* ]]
  run berth exec "$ID"
  [ "$status" -eq 255 ]
  [[ "$output" == *"needs a command"* ]]
}

@test "exec --detach --pid-file: returns at once, the pid file names the running program" {
  start_container
  local t0 t1
  t0=$(date +%s%N)
  detached exec -d --pid-file "$BATS_TEST_TMPDIR/exec.pid" "$ID" sleep 100
  t1=$(date +%s%N)
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  (( (t1 - t0) < 5000000000 ))
  local pid
  pid="$(cat "$BATS_TEST_TMPDIR/exec.pid")"
  [[ "$pid" =~ ^[0-9]+$ ]]
  [ "$(stat -c %s "$BATS_TEST_TMPDIR/exec.pid")" -eq "${#pid}" ]
  [ "$(cat "/proc/$pid/comm")" = sleep ]
  [ "$(awk '/^State:/ { print $2 }' "/proc/$pid/status")" != Z ]
  # berth has exited: the process has another parent now
  local ppid
  ppid="$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status")"
  [ "$(cat "/proc/$ppid/comm")" != berth ]
  # and it is in the container: pid > 1 of the init's pid namespace
  [ "$(awk '/^NSpid:/ { print $NF }' "/proc/$pid/status")" -gt 1 ]
}

@test "exec -t through --console-socket: the master goes to the socket, the process has a tty" {
  start_container
  local rt sock="$BATS_TEST_TMPDIR/console.sock" out="$BATS_TEST_TMPDIR/console.out"
  rt="$(recvtty_bin)"
  "$rt" "$sock" "$out" &
  BG_PID=$!
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
  detached exec -d -t --console-socket "$sock" "$ID" sh -c '[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo isatty; tty; echo done'
  [ "$status" -eq 0 ]
  for _ in $(seq 100); do grep -q '^done' "$out" && break; sleep 0.05; done
  grep -q '^payload=[1-9][0-9]* fds=1$' "$out"
  grep -q '^isatty' "$out"
  grep -q '^/dev/pts/[0-9]' "$out"
  # the console socket needs a tty, and -t -d needs a console socket
  run berth exec --console-socket "$sock" "$ID" true
  [ "$status" -eq 255 ]
  [[ "$output" == *"needs a tty"* ]]
  run berth exec -t -d "$ID" true
  [ "$status" -eq 255 ]
  [[ "$output" == *"--console-socket"* ]]
}

@test "exec -t in the foreground copies the pty and returns the status" {
  start_container
  run berth exec -t "$ID" sh -c '[ -t 1 ] && echo isatty; exit 5'
  [ "$status" -eq 5 ]
  [[ "$output" == isatty* ]]
}

@test "exec forwards signals to the process in the foreground" {
  start_container
  "$BERTH" --root "$BERTH_ROOT" exec "$ID" sh -c 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.1; done' \
    </dev/null >"$BATS_TEST_TMPDIR/fg.out" 2>&1 &
  local bpid=$!
  for _ in $(seq 100); do grep -q ready "$BATS_TEST_TMPDIR/fg.out" && break; sleep 0.05; done
  kill -TERM "$bpid"
  local rc=0
  wait "$bpid" || rc=$?
  [ "$rc" -eq 42 ]
  grep -q got-term "$BATS_TEST_TMPDIR/fg.out"
}

@test "exec into a created container works; into a stopped or missing one is an error" {
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  run berth exec "$ID" sh -c 'echo in-created'
  [ "$status" -eq 0 ]
  [ "$output" = in-created ]
  berth kill "$ID" KILL
  for _ in $(seq 50); do [ "$(berth state "$ID" | jq -r .status)" = stopped ] && break; sleep 0.1; done
  run berth exec "$ID" true
  [ "$status" -eq 255 ]
  [[ "$output" == *"container not running"* ]]
  run berth exec "missing-$ID" true
  [ "$status" -eq 255 ]
  [[ "$output" == *"does not exist"* ]]
}

@test "exec into a paused container: an error, or frozen until resume with --ignore-paused" {
  if ! "$BERTH" --help 2>&1 | grep -qw pause; then
    skip "berth pause does not exist yet"
  fi
  start_container
  berth pause "$ID"
  run berth exec "$ID" true
  [ "$status" -eq 255 ]
  [[ "$output" == *paused* ]]
  "$BERTH" --root "$BERTH_ROOT" exec --ignore-paused "$ID" sh -c 'echo ran' \
    </dev/null >"$BATS_TEST_TMPDIR/paused.out" 2>&1 &
  BG_PID=$!
  sleep 0.5
  # still frozen: nothing ran
  [ ! -s "$BATS_TEST_TMPDIR/paused.out" ]
  kill -0 "$BG_PID"
  berth resume "$ID"
  local rc=0
  wait "$BG_PID" || rc=$?
  BG_PID=
  [ "$rc" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/paused.out")" = ran ]
}

@test "exec into a container with its own user namespace" {
  bundle_edit "$B" '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
  chown -R 200000:200000 "$B/rootfs"
  # bats' tmpdirs are 0700: the mapped root must be able to walk to the rootfs
  local d
  d="$(realpath "$B/rootfs")"
  while [[ "$d" != / ]]; do chmod o+x "$d"; d="$(dirname "$d")"; done
  start_container
  run berth exec "$ID" sh -c 'id -u; cat /proc/self/uid_map; touch /tmp/x && stat -c %u /tmp/x'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "$(echo ${lines[1]})" = "0 200000 65536" ]
  [ "${lines[2]}" = 0 ]
  [ "$(stat -c %u "$B/rootfs/tmp/x")" = 200000 ]
  run berth exec -u 1000 "$ID" id -u
  [ "$status" -eq 0 ]
  [ "$output" = 1000 ]
}

@test "exec applies the container's seccomp profile" {
  bundle_edit "$B" '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 13}]}'
  start_container
  run berth exec "$ID" sh -c 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/denied 2>&1; echo rc=$?'
  [ "$status" -eq 0 ]
  [ "$(echo ${lines[0]})" = "Seccomp: 2" ]
  [[ "${lines[1]}" == *"Permission denied"* ]]
  [ "${lines[2]}" = "rc=1" ]
  [ ! -e "$B/rootfs/tmp/denied" ]
  # with --no-new-privs the filter is loaded at the last moment: the same result
  run berth exec --no-new-privs -u 1000 "$ID" sh -c 'mkdir /tmp/denied2 2>&1; echo rc=$?'
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *"Permission denied"* ]]
}

@test "exec into a --no-pivot container with a time namespace sees the container's root and clocks" {
  bundle_edit "$B" '.linux.namespaces += [{type: "time"}]
    | .linux.timeOffsets = {monotonic: {secs: 86400, nanosecs: 0}, boottime: {secs: 86400, nanosecs: 0}}'
  touch "$B/rootfs/only-in-container"
  detached run -d --no-pivot --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  INIT="$(berth state "$ID" | jq -r .pid)"
  run berth exec "$ID" sh -c 'ls /only-in-container; cut -d. -f1 /proc/uptime; readlink /proc/self/ns/time'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = /only-in-container ]
  local host_up
  host_up="$(cut -d. -f1 /proc/uptime)"
  (( ${lines[1]} >= host_up + 86000 ))
  [ "${lines[2]}" = "$(readlink "/proc/$INIT/ns/time")" ]
}

@test "exec: HOME from the container's /etc/passwd for the exec's uid (-u, --process), unless given" {
  echo 'app:x:1000:1000:app:/home/app:/bin/sh' >>"$B/rootfs/etc/passwd"
  start_container
  run berth exec "$ID" sh -c 'echo $HOME'
  [ "$status" -eq 0 ]
  [ "$output" = /root ]
  run berth exec -u 1000 "$ID" sh -c 'echo $HOME'
  [ "$status" -eq 0 ]
  [ "$output" = /home/app ]
  run berth exec -u 4242:4242 "$ID" sh -c 'echo $HOME'
  [ "$status" -eq 0 ]
  [ "$output" = / ]
  run berth exec -u 1000 -e HOME=/given "$ID" sh -c 'echo $HOME'
  [ "$status" -eq 0 ]
  [ "$output" = /given ]
  jq '.process | .args = ["sh", "-c", "echo $HOME"] | .user = {uid: 1000, gid: 1000}' "$B/config.json" \
    >"$BATS_TEST_TMPDIR/process.json"
  run berth exec --process "$BATS_TEST_TMPDIR/process.json" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = /home/app ]
  # the passwd the container sees now, not the one it started with
  sed -i 's|/home/app|/home/moved|' "$B/rootfs/etc/passwd"
  run berth exec -u 1000 "$ID" sh -c 'echo $HOME'
  [ "$output" = /home/moved ]
}
