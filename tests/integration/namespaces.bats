#!/usr/bin/env bats
# Namespaces: new ones really are new (and owned by the container's user
# namespace), joined ones really are joined, id maps and time offsets are
# what the config says, bad paths fail cleanly.

load ../helpers

setup() {
  ID="$(unique_id ns)"
  B="$BATS_TEST_TMPDIR/b"
  NETNS=""
  make_bundle "$B" '.root.readonly = false'
}

teardown() {
  cleanup_containers
  if [[ -n "$NETNS" ]]; then ip netns del "$NETNS" 2>/dev/null || true; fi
}

# userns_reachable DIR: the mapped root (uid 100000) must be able to walk
# to the rootfs; bats' tmpdirs are 0700. Adds o+x up to /.
userns_reachable() {
  local d
  d="$(realpath "$1")"
  while [[ "$d" != / ]]; do
    chmod o+x "$d"
    d="$(dirname "$d")"
  done
}

USERNS='.linux.namespaces += [{type: "user"}]
  | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
  | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'

@test "every new namespace differs from the host's" {
  userns_reachable "$B/rootfs"
  bundle_edit "$B" "$USERNS"' | .linux.namespaces += [{type: "time"}]
    | .process.args = ["sh", "-c", "for n in pid net ipc uts mnt cgroup user time; do echo $n $(readlink /proc/self/ns/$n); done"]'
  jq -e '[.linux.namespaces[].type] | sort == ["cgroup","ipc","mount","network","pid","time","user","uts"]' "$B/config.json"
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | wc -l)" -eq 8 ]
  local n inside
  while read -r n inside; do
    [ -n "$inside" ]
    [ "$inside" != "$(readlink "/proc/self/ns/$n")" ] || { echo "$n not new: $inside"; false; }
  done <<<"$output"
  assert_no_leftovers "$ID"
}

@test "without a namespace entry the host's is kept" {
  bundle_edit "$B" 'del(.hostname) | .linux.namespaces |= map(select(.type != "network" and .type != "uts"))
    | .process.args = ["sh", "-c", "readlink /proc/self/ns/net; readlink /proc/self/ns/uts"]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = "$(readlink /proc/self/ns/net /proc/self/ns/uts)" ]
}

@test "a network namespace joined by path (ip netns)" {
  NETNS="berth-test-$ID"
  ip netns add "$NETNS"
  local want
  want="net:[$(stat -L -c %i "/run/netns/$NETNS")]"
  bundle_edit "$B" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)
    | .process.args = ["readlink", "/proc/self/ns/net"]' --arg p "/run/netns/$NETNS"
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = "$want" ]
  # and runc agrees on what joining means
  run oracle_runc run --bundle "$B" "r$ID"
  [ "$output" = "$want" ]
}

@test "a pid namespace joined by path sees the other container's processes" {
  local B2="$BATS_TEST_TMPDIR/b2"
  bundle_edit "$B" '.process.args = ["sleep", "1000"]'
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local pid
  pid="$(berth state "$ID" | jq -r .pid)"
  make_bundle "$B2" '.linux.namespaces |= map(if .type == "pid" then .path = $p else . end)
    | .process.args = ["sh", "-c", "cat /proc/1/comm; readlink /proc/self/ns/pid; [ $$ != 1 ] && echo not-init"]' \
    --arg p "/proc/$pid/ns/pid"
  run berth run --bundle "$B2" "$ID-2"
  [ "$status" -eq 0 ]
  [ "$(sed -n 1p <<<"$output")" = sleep ]
  [ "$(sed -n 2p <<<"$output")" = "$(readlink "/proc/$pid/ns/pid")" ]
  [ "$(sed -n 3p <<<"$output")" = not-init ]
  # berth itself is back in its own pid namespace: the next container is new again
  [ "$(readlink /proc/self/ns/pid)" != "$(readlink "/proc/$pid/ns/pid")" ]
  assert_no_leftovers "$ID-2"
}

@test "user namespace: uid_map/gid_map as configured, root inside, files owned by the mapped id" {
  userns_reachable "$B/rootfs"
  bundle_edit "$B" "$USERNS"' | .process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /tmp/made-inside"]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$(sed -n 1p <<<"$output" | tr -s ' ')" = " 0 100000 65536" ]
  [ "$(sed -n 2p <<<"$output" | tr -s ' ')" = " 0 100000 65536" ]
  [ "$(sed -n 3p <<<"$output")" = 0 ]
  [ "$(stat -c %u:%g "$B/rootfs/tmp/made-inside")" = 100000:100000 ]
}

@test "the init is not dumpable while it waits inside the container's namespaces" {
  userns_reachable "$B/rootfs"
  bundle_edit "$B" "$USERNS"' | .process.args = ["sleep", "1000"]'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local pid
  pid="$(berth state "$ID" | jq -r .pid)"
  # it runs as the mapped root (100000) but its /proc entries belong to the
  # host's root: that is what PR_SET_DUMPABLE=0 does
  [ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = 100000 ]
  [ "$(stat -c %u "/proc/$pid/fd")" = 0 ]
  berth start "$ID"
  # after exec the user program is dumpable again
  [ "$(stat -c %u "/proc/$pid/fd")" = 100000 ]
}

@test "time namespace offsets" {
  userns_reachable "$B/rootfs"
  bundle_edit "$B" "$USERNS"' | .linux.namespaces += [{type: "time"}]
    | .linux.timeOffsets = {monotonic: {secs: 1000, nanosecs: 0}, boottime: {secs: 86400, nanosecs: 5}}
    | .process.args = ["sh", "-c", "cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime"]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$(sed -n 1p <<<"$output" | tr -s ' ')" = "monotonic 1000 0" ]
  [ "$(sed -n 2p <<<"$output" | tr -s ' ')" = "boottime 86400 5" ]
  local host_up
  host_up="$(cut -d. -f1 /proc/uptime)"
  local inside_up
  inside_up="$(sed -n 3p <<<"$output")"
  [ $((inside_up - host_up)) -ge 86390 ]
  [ $((inside_up - host_up)) -le 86410 ]
}

@test "the cgroup namespace is rooted at the container's cgroup" {
  bundle_edit "$B" '.process.args = ["cat", "/proc/self/cgroup"]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  # every hierarchy shows / (the container's own cgroup is the root)
  ! grep -v ':/$' <<<"$output"
}

@test "bad namespace paths fail create and leave nothing" {
  bundle_edit "$B" '.linux.namespaces |= map(if .type == "network" then .path = "/nonexistent/netns" else . end)'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"network namespace path /nonexistent/netns"*"ENOENT"* ]]
  assert_no_leftovers "$ID"

  bundle_edit "$B" '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/uts" else . end)'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"/proc/self/ns/uts is not a network namespace"* ]]
  assert_no_leftovers "$ID"

  bundle_edit "$B" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "$B/config.json"
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"is not a namespace"* ]]
  assert_no_leftovers "$ID"
}

@test "a user namespace joined by path, with a new pid namespace owned by it" {
  userns_reachable "$B/rootfs"
  bundle_edit "$B" "$USERNS"' | .process.args = ["sleep", "1000"]'
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local pid B2="$BATS_TEST_TMPDIR/b2"
  pid="$(berth state "$ID" | jq -r .pid)"
  make_bundle "$B2" '.linux.namespaces += [{type: "user", path: $p}]
    | .process.args = ["sh", "-c", "readlink /proc/self/ns/user; cat /proc/self/uid_map; id -u; echo $$"]' \
    --arg p "/proc/$pid/ns/user"
  userns_reachable "$B2/rootfs"
  run berth run --bundle "$B2" "$ID-2"
  [ "$status" -eq 0 ]
  [ "$(sed -n 1p <<<"$output")" = "$(readlink "/proc/$pid/ns/user")" ]
  [ "$(sed -n 2p <<<"$output" | tr -s ' ')" = " 0 100000 65536" ]
  [ "$(sed -n 3p <<<"$output")" = 0 ]
  # pid 1 of a new pid namespace (with /proc mounted: the user namespace owns it)
  [ "$(sed -n 4p <<<"$output")" = 1 ]
  assert_no_leftovers "$ID-2"
}

@test "a new user namespace with a host network namespace joined by path" {
  NETNS="berth-test-$ID"
  ip netns add "$NETNS"
  userns_reachable "$B/rootfs"
  bundle_edit "$B" "$USERNS"' | .linux.namespaces |= map(if .type == "network" then .path = $p else . end)
    | del(.mounts[] | select(.destination | startswith("/sys"))) # sysfs needs a netns of its own userns
    | .process.args = ["sh", "-c", "readlink /proc/self/ns/net; readlink /proc/self/ns/user; id -u"]' \
    --arg p "/run/netns/$NETNS"
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$(sed -n 1p <<<"$output")" = "net:[$(stat -L -c %i "/run/netns/$NETNS")]" ]
  [ "$(sed -n 2p <<<"$output")" != "$(readlink /proc/self/ns/user)" ]
  [ "$(sed -n 3p <<<"$output")" = 0 ]
  assert_no_leftovers "$ID"
}

@test "a new user namespace without uidMappings or gidMappings is refused at create, naming the field" {
  bundle_edit "$B" '.linux.namespaces += [{type: "user"}] | .process.args = ["true"]'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *".linux.uidMappings: a new user namespace needs at least one uid mapping"* ]]
  assert_no_leftovers "$ID"
  bundle_edit "$B" '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *".linux.gidMappings: a new user namespace needs at least one gid mapping"* ]]
  assert_no_leftovers "$ID"
}

@test "lo is up in a new network namespace owned by a new user namespace" {
  userns_reachable "$B/rootfs"
  bundle_edit "$B" "$USERNS"' | .process.args = ["sh", "-c", "cat /sys/class/net/lo/flags; ip -o addr show lo | grep -c \"inet 127.0.0.1/8\" || true"]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0x9 ]
  [ "${lines[1]}" = 1 ]
  assert_no_leftovers "$ID"
}
