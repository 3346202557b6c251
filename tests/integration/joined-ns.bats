#!/usr/bin/env bats
# Namespaces joined by path are the container's own (issue 11): the
# hostname, the domainname and the net.* / IPC sysctls go into a uts,
# network or IPC namespace given by .linux.namespaces[].path, as runc does.
# A path naming the host's namespace (berth's own or pid 1's, whatever the
# path: a bind mount of it too) is refused, and the host is checked
# afterwards: its hostname, domainname and sysctls are what they were.

load ../helpers

setup() {
  ID="$(unique_id jns)"
  B="$BATS_TEST_TMPDIR/b"
  NETNS=""
  # namespace files bound here (not below the bats tmpdir: assert_no_leftovers
  # counts mounts there); "berth" in the name: tests/run sees a leftover
  NSDIR="$(mktemp -d /run/berth-test-jns.XXXXXX)"
  HOST_HOSTNAME="$(cat /proc/sys/kernel/hostname)"
  HOST_DOMAINNAME="$(cat /proc/sys/kernel/domainname)"
  HOST_KEEPALIVE="$(cat /proc/sys/net/ipv4/tcp_keepalive_time)"
  HOST_MSGMAX="$(cat /proc/sys/kernel/msgmax)"
  make_bundle "$B" '.root.readonly = false'
}

# restore_sysctl FILE VALUE: /proc/sys/FILE back to VALUE if it changed
restore_sysctl() {
  [[ -z "$2" || "$(cat "/proc/sys/$1")" == "$2" ]] || echo "$2" >"/proc/sys/$1"
}

# the host as it was, whatever a failed defence changed
restore_host() {
  restore_sysctl kernel/hostname "${HOST_HOSTNAME:-}"
  restore_sysctl kernel/domainname "${HOST_DOMAINNAME:-}"
  restore_sysctl net/ipv4/tcp_keepalive_time "${HOST_KEEPALIVE:-}"
  restore_sysctl kernel/msgmax "${HOST_MSGMAX:-}"
}

teardown() {
  cleanup_containers
  restore_host
  if [[ -n "$NETNS" ]]; then ip netns del "$NETNS" 2>/dev/null || true; fi
  if [[ -n "${NSDIR:-}" && -d "$NSDIR" ]]; then
    local f
    for f in "$NSDIR"/*; do
      [[ -e "$f" ]] && umount "$f" 2>/dev/null || true
    done
    rm -rf --one-file-system "$NSDIR"
  fi
}

# new_ns TYPE NAME: a new namespace of TYPE (uts, ipc, net) kept alive by a
# bind mount on $NSDIR/NAME (removed in teardown)
new_ns() {
  touch "$NSDIR/$2"
  unshare "--$1=$NSDIR/$2" true
}

# join TYPE PATH: the config's TYPE entry joins PATH
join() {
  bundle_edit "$B" '.linux.namespaces |= map(if .type == $t then .path = $p else . end)' \
    --arg t "$1" --arg p "$2"
}

# host_unchanged: the host's hostname, domainname and sysctls are as in setup
host_unchanged() {
  [ "$(cat /proc/sys/kernel/hostname)" = "$HOST_HOSTNAME" ]
  [ "$(cat /proc/sys/kernel/domainname)" = "$HOST_DOMAINNAME" ]
  [ "$(cat /proc/sys/net/ipv4/tcp_keepalive_time)" = "$HOST_KEEPALIVE" ]
  [ "$(cat /proc/sys/kernel/msgmax)" = "$HOST_MSGMAX" ]
}

@test "hostname and domainname are set in a UTS namespace joined by path, as runc does" {
  new_ns uts uts1
  join uts "$NSDIR/uts1"
  bundle_edit "$B" '.hostname = "joined-box" | .domainname = "joined.example"
    | .process.args = ["sh", "-c", "hostname; cat /proc/sys/kernel/domainname; readlink /proc/self/ns/uts"]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = joined-box ]
  [ "${lines[1]}" = joined.example ]
  [ "${lines[2]}" = "uts:[$(stat -L -c %i "$NSDIR/uts1")]" ]
  # set in the joined namespace itself, which outlives the container
  [ "$(nsenter --uts="$NSDIR/uts1" hostname)" = joined-box ]
  host_unchanged
  assert_no_leftovers "$ID"

  # runc 1.1.5 sets it there too
  new_ns uts uts2
  join uts "$NSDIR/uts2"
  bundle_edit "$B" '.hostname = "runc-box"'
  run oracle_runc run --bundle "$B" "r$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = runc-box ]
  [ "$(nsenter --uts="$NSDIR/uts2" hostname)" = runc-box ]
  host_unchanged
}

@test "net.* sysctls are set in a network namespace joined by path (ip netns, as Podman passes)" {
  NETNS="berth-test-$ID"
  ip netns add "$NETNS"
  local want=$((HOST_KEEPALIVE + 17))
  join network "/run/netns/$NETNS"
  bundle_edit "$B" '.linux.sysctl = {"net.ipv4.tcp_keepalive_time": $v, "net.ipv4.ip_forward": "1"}
    | .process.args = ["cat", "/proc/sys/net/ipv4/tcp_keepalive_time", "/proc/sys/net/ipv4/ip_forward"]' \
    --arg v "$want"
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$want" ]
  [ "${lines[1]}" = 1 ]
  [ "$(nsenter --net="/run/netns/$NETNS" cat /proc/sys/net/ipv4/tcp_keepalive_time)" = "$want" ]
  host_unchanged
  assert_no_leftovers "$ID"
}

@test "IPC sysctls are set in an IPC namespace joined by path" {
  new_ns ipc ipc1
  join ipc "$NSDIR/ipc1"
  bundle_edit "$B" '.linux.sysctl = {"kernel.msgmax": "4096", "kernel.shmmni": "1234", "fs.mqueue.msg_max": "17"}
    | .process.args = ["cat", "/proc/sys/kernel/msgmax", "/proc/sys/kernel/shmmni", "/proc/sys/fs/mqueue/msg_max"]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "4096 1234 17" ]
  [ "$(nsenter --ipc="$NSDIR/ipc1" cat /proc/sys/kernel/msgmax)" = 4096 ]
  host_unchanged
  assert_no_leftovers "$ID"
}

@test "a path naming the host's network, IPC or UTS namespace does not let the sysctls or the hostname in" {
  # a bind of the host's namespaces under another name: the same nsfs inode
  touch "$NSDIR/hostnet" "$NSDIR/hostipc" "$NSDIR/hostuts"
  mount --bind /proc/self/ns/net "$NSDIR/hostnet"
  mount --bind /proc/self/ns/ipc "$NSDIR/hostipc"
  mount --bind /proc/self/ns/uts "$NSDIR/hostuts"
  # pid 1's where this host lets root see it (a sandbox may not)
  local p init=()
  stat -L /proc/1/ns/net >/dev/null 2>&1 && init=(/proc/1/ns/net /proc/1/ns/ipc)
  for p in /proc/self/ns/net "${init[@]:0:1}" "$NSDIR/hostnet"; do
    make_bundle "$B" '.linux.sysctl = {"net.ipv4.tcp_keepalive_time": $v}' --arg v "$((HOST_KEEPALIVE + 17))"
    join network "$p"
    detached create --bundle "$B" "$ID"
    echo "$p: $output"
    [ "$status" -eq 1 ]
    [[ "$output" == *'sysctl "net.ipv4.tcp_keepalive_time" is not allowed: the container does not have its own network namespace (its path names the host'* ]]
    assert_no_leftovers "$ID"
    host_unchanged
  done
  for p in /proc/self/ns/ipc "${init[@]:1:1}" "$NSDIR/hostipc"; do
    make_bundle "$B" '.linux.sysctl = {"kernel.msgmax": "4096"}'
    join ipc "$p"
    detached create --bundle "$B" "$ID"
    echo "$p: $output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"own IPC namespace (its path names the host"* ]]
    assert_no_leftovers "$ID"
    host_unchanged
  done
  for p in /proc/self/ns/uts "$NSDIR/hostuts"; do
    make_bundle "$B" '.hostname = "pwned-host" | .domainname = "pwned.example"'
    join uts "$p"
    detached create --bundle "$B" "$ID"
    echo "$p: $output"
    [ "$status" -eq 1 ]
    [[ "$output" == *".hostname: cannot set a hostname without a UTS namespace of the container's own (its path names the host"* ]]
    assert_no_leftovers "$ID"
    host_unchanged
    make_bundle "$B" '.linux.sysctl = {"kernel.domainname": "pwned.example"} | del(.hostname)'
    join uts "$p"
    detached create --bundle "$B" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"own UTS namespace (its path names the host"* ]]
    assert_no_leftovers "$ID"
    host_unchanged
  done
  # no entry at all: the host's too
  make_bundle "$B" '.hostname = "pwned-host" | .linux.namespaces |= map(select(.type != "uts"))'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"without a UTS namespace of the container's own (no entry of that type in .linux.namespaces)"* ]]
  assert_no_leftovers "$ID"
  host_unchanged
}
