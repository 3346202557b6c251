#!/usr/bin/env bats
# The process environment engines and systemd rely on: NOTIFY_SOCKET
# relayed (READY=1 with MAINPID), socket activation (LISTEN_FDS) and
# run.oci.keep_original_groups=1.

load ../helpers

setup_file() {
  # a static sd_notify sender for the busybox rootfs: sdnotify MESSAGE
  cat > "$BATS_FILE_TMPDIR/sdnotify.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
int main(int argc, char **argv)
{
  const char *path = getenv("NOTIFY_SOCKET");
  if (argc != 2 || !path)
    return 2;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0 || sendto(fd, argv[1], strlen(argv[1]), 0, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      perror("sdnotify");
      return 1;
    }
  return 0;
}
C
  gcc -static -O1 -o "$BATS_FILE_TMPDIR/sdnotify" "$BATS_FILE_TMPDIR/sdnotify.c"
}

setup() {
  ID="$(unique_id notify)"
  B="$BATS_TEST_TMPDIR/b"
  OUT="$BATS_TEST_TMPDIR/out"
  mkdir -p "$OUT"
  make_bundle "$B" '.process.args = ["sleep", "1000"] | .mounts += [{"destination": "/out", "type": "bind", "source": $o, "options": ["bind"]}]' --arg o "$OUT"
  cp "$BATS_FILE_TMPDIR/sdnotify" "$B/rootfs/bin/sdnotify"
  HOST_SOCK="$BATS_TEST_TMPDIR/host.sock"
  GOT="$BATS_TEST_TMPDIR/got"
  LISTENER_PID=
}

teardown() {
  [ -z "$LISTENER_PID" ] || kill "$LISTENER_PID" 2>/dev/null || true
  cleanup_containers
}

# a host NOTIFY_SOCKET (the role of systemd): appends each datagram and a
# "--" line to $GOT
start_listener() {
  python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2], "wb").close()
while True:
    d = s.recv(65536)
    with open(sys.argv[2], "ab") as f:
        f.write(d + b"--\n")
' "$HOST_SOCK" "$GOT" </dev/null >/dev/null 2>&1 &
  LISTENER_PID=$!
  for _ in $(seq 100); do [ -S "$HOST_SOCK" ] && [ -e "$GOT" ] && return 0; sleep 0.05; done
  return 1
}

wait_for_got() {
  for _ in $(seq 100); do grep -q -- '^--$' "$GOT" 2>/dev/null && return 0; sleep 0.05; done
  return 1
}

@test "NOTIFY_SOCKET: the container gets /run/notify/notify.sock; start returns once READY=1 went out with MAINPID" {
  start_listener
  # the container's own MAINPID means nothing on the host: berth's replaces it
  bundle_edit "$B" '.process.args = ["sh", "-c", "echo \"$NOTIFY_SOCKET\" > /out/env; [ -S \"$NOTIFY_SOCKET\" ] && echo socket > /out/kind; sdnotify STATUS=starting; sleep 1; sdnotify \"MAINPID=1
READY=1\"; exec sleep 1000"]'
  NOTIFY_SOCKET="$HOST_SOCK" detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local t0=$SECONDS
  NOTIFY_SOCKET="$HOST_SOCK" detached start "$ID"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  # start waited for the container's READY=1 (sent a second after it ran)
  [ $((SECONDS - t0)) -ge 1 ]
  wait_for_got
  local pid
  pid="$(berth state "$ID" | jq -r .pid)"
  [ "$(cat "$GOT")" = "READY=1
MAINPID=$pid
--" ]
  [ "$(cat "$OUT/env")" = /run/notify/notify.sock ]
  [ "$(cat "$OUT/kind")" = socket ]
  # read-only, and the state dir's notify directory is the only thing there
  berth exec "$ID" sh -c '! touch /run/notify/x 2>/dev/null'
  [ "$(berth exec "$ID" ls /run/notify)" = notify.sock ]
  berth delete --force "$ID"
  assert_no_leftovers "$ID"
}

@test "NOTIFY_SOCKET: run -d and run in the foreground relay READY=1" {
  start_listener
  bundle_edit "$B" '.process.args = ["sh", "-c", "sleep 1; sdnotify READY=1; exec sleep 1000"]'
  local t0=$SECONDS
  NOTIFY_SOCKET="$HOST_SOCK" detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ $((SECONDS - t0)) -ge 1 ]
  wait_for_got
  local pid
  pid="$(berth state "$ID" | jq -r .pid)"
  [ "$(cat "$GOT")" = "READY=1
MAINPID=$pid
--" ]
  berth delete --force "$ID"

  : > "$GOT"
  bundle_edit "$B" '.process.args = ["sh", "-c", "sdnotify READY=1; echo pid $$; exit 3"] | .linux.namespaces |= map(select(.type != "pid"))'
  NOTIFY_SOCKET="$HOST_SOCK" run berth run --bundle "$B" "$ID"
  [ "$status" -eq 3 ]
  wait_for_got
  # without a pid namespace the shell's pid is the host's: MAINPID is it
  pid="${output#pid }"
  [ "$(cat "$GOT")" = "READY=1
MAINPID=$pid
--" ]
  assert_no_leftovers "$ID"
}

@test "NOTIFY_SOCKET: a container that never sends READY=1 keeps start waiting; kill and delete still work" {
  start_listener
  NOTIFY_SOCKET="$HOST_SOCK" detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  NOTIFY_SOCKET="$HOST_SOCK" timeout 30 "$BERTH" --root "$BERTH_ROOT" start "$ID" </dev/null >"$BATS_TEST_TMPDIR/start.out" 2>&1 3>&- &
  local start_pid=$!
  for _ in $(seq 100); do [ "$(berth state "$ID" | jq -r .status)" = running ] && break; sleep 0.05; done
  sleep 0.5
  kill -0 "$start_pid" # still waiting
  berth kill "$ID" KILL
  local rc=0
  wait "$start_pid" || rc=$?
  [ "$rc" -eq 0 ] # not the timeout's 124: start noticed the exit
  grep -q 'exited before it sent READY=1' "$BATS_TEST_TMPDIR/start.out"
  [ ! -s "$GOT" ]
  berth delete "$ID"

  # delete --force while start waits
  NOTIFY_SOCKET="$HOST_SOCK" detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  NOTIFY_SOCKET="$HOST_SOCK" timeout 30 "$BERTH" --root "$BERTH_ROOT" start "$ID" </dev/null >/dev/null 2>&1 3>&- &
  start_pid=$!
  for _ in $(seq 100); do [ "$(berth state "$ID" | jq -r .status)" = running ] && break; sleep 0.05; done
  berth delete --force "$ID"
  rc=0
  wait "$start_pid" || rc=$?
  [ "$rc" -eq 0 ]
  assert_no_leftovers "$ID"
}

@test "NOTIFY_SOCKET: without it nothing is mounted or set; a relative one is refused at create" {
  bundle_edit "$B" '.process.args = ["sh", "-c", "echo \"[${NOTIFY_SOCKET-unset}]\"; grep -c /run/notify /proc/self/mountinfo"]'
  run env -u NOTIFY_SOCKET "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID"
  [ "$output" = "[unset]
0" ]
  NOTIFY_SOCKET=relative.sock detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"NOTIFY_SOCKET relative.sock: not an absolute path"* ]]
  assert_no_leftovers "$ID"
}

@test "NOTIFY_SOCKET: an abstract one (@name) is relayed to" {
  local name="berth-test-notify-$$-$RANDOM"
  python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + sys.argv[1])
open(sys.argv[2], "wb").close()
d = s.recv(65536)
open(sys.argv[2], "ab").write(d + b"--\n")
' "$name" "$GOT" </dev/null >/dev/null 2>&1 &
  LISTENER_PID=$!
  for _ in $(seq 100); do [ -e "$GOT" ] && break; sleep 0.05; done
  bundle_edit "$B" '.process.args = ["sh", "-c", "sdnotify READY=1; exec sleep 1000"]'
  NOTIFY_SOCKET="@$name" detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  wait_for_got
  [ "$(head -1 "$GOT")" = "READY=1" ]
}

@test "LISTEN_FDS: systemd's socket activation of berth passes the fds with LISTEN_FDS, LISTEN_PID=1, LISTEN_FDNAMES" {
  echo activated > "$BATS_TEST_TMPDIR/fd3"
  bundle_edit "$B" '.process.args = ["sh", "-c", "echo \"$LISTEN_FDS $LISTEN_PID $LISTEN_FDNAMES\"; cat <&3"]'
  # LISTEN_PID is berth's own pid, as systemd sets it
  run bash -c 'export LISTEN_FDS=1 LISTEN_FDNAMES=web LISTEN_PID=$$; exec "$1" --root "$2" run --bundle "$3" "$4" 3<"$5"' \
    _ "$BERTH" "$BERTH_ROOT" "$B" "$ID" "$BATS_TEST_TMPDIR/fd3"
  [ "$status" -eq 0 ]
  [ "$output" = "1 1 web
activated" ]
  # LISTEN_PID of another process: those fds are not ours to pass
  bundle_edit "$B" '.process.args = ["sh", "-c", "echo \"[$LISTEN_FDS]\"; [ -e /proc/self/fd/3 ] && echo open; true"]'
  run bash -c 'export LISTEN_FDS=1 LISTEN_PID=1; exec "$1" --root "$2" run --bundle "$3" "$4" 3<"$5"' \
    _ "$BERTH" "$BERTH_ROOT" "$B" "$ID" "$BATS_TEST_TMPDIR/fd3"
  [ "$status" -eq 0 ]
  [ "$output" = "[]" ]
}

@test "LISTEN_FDS: with --preserve-fds (what engines pass) LISTEN_FDS stays the caller's count" {
  # ls's own directory fd is the last one
  bundle_edit "$B" '.process.args = ["sh", "-c", "echo \"$LISTEN_FDS $LISTEN_PID\"; exec ls /proc/self/fd"]'
  run bash -c 'export LISTEN_FDS=1 LISTEN_PID=1; exec "$1" --root "$2" run --preserve-fds 2 --bundle "$3" "$4" 3</dev/null 4</dev/null' \
    _ "$BERTH" "$BERTH_ROOT" "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "1 1 0 1 2 3 4 5" ]
}

@test "run.oci.keep_original_groups=1: the caller's supplementary groups stay, with additionalGids" {
  bundle_edit "$B" '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [42]} | .process.args = ["sh", "-c", "grep ^Groups: /proc/self/status"]'
  run setpriv --groups 1234,5678 "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "Groups: 42" ]
  bundle_edit "$B" '.annotations["run.oci.keep_original_groups"] = "1" | .process.args = ["sh", "-c", "grep ^Groups: /proc/self/status; sleep 1000"]'
  setpriv --groups 1234,5678 "$BERTH" --root "$BERTH_ROOT" run -d --bundle "$B" "$ID" </dev/null >"$OUT/log" 2>&1 3>&-
  for _ in $(seq 100); do grep -q Groups "$OUT/log" && break; sleep 0.05; done
  [ "$(echo $(cat "$OUT/log"))" = "Groups: 42 1234 5678" ]
  # exec honours it too, with exec's caller's groups
  run setpriv --groups 777 "$BERTH" --root "$BERTH_ROOT" exec "$ID" grep ^Groups: /proc/self/status
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "Groups: 42 777" ]
}

@test "run.oci.keep_original_groups=1 in a user namespace: the caller's groups stay as they are" {
  # the mapped root walks to the rootfs: bats' tmpdirs are 0700
  local d
  d="$(realpath "$B/rootfs")"
  while [[ "$d" != / ]]; do chmod o+x "$d"; d="$(dirname "$d")"; done
  bundle_edit "$B" '.linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .mounts |= map(select(.destination != "/out"))
    | .process.user = {"uid": 0, "gid": 0, "additionalGids": [42]}
    | .process.args = ["sh", "-c", "grep ^Groups: /proc/self/status"]'
  run setpriv --groups 1234 "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "Groups: 42" ]
  # host gid 1234 is not mapped: it shows as the overflow gid, and stays
  bundle_edit "$B" '.annotations["run.oci.keep_original_groups"] = "1"'
  run setpriv --groups 1234 "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  # (additionalGids is ignored then, with a warning in berth's log)
  [ "$(echo $output)" = "Groups: $(cat /proc/sys/kernel/overflowgid)" ]
  assert_no_leftovers "$ID"
}
