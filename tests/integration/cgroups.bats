#!/usr/bin/env bats
# Cgroup placement (issue 3) and the first resources (issue 4 brings the
# rest): the container is in its cgroup in every hierarchy, limits reach the
# kernel, kill --all and delete reach every process, nothing is left.

load ../helpers

setup() {
  ID="$(unique_id cg)"
  B="$BATS_TEST_TMPDIR/b"
  PARENT="$BERTH_TEST_CGROUP_PREFIX-$ID"
}

teardown() {
  cleanup_containers
  # parents an absolute cgroupsPath made (berth leaves parents, as runc does)
  local mnt
  while read -r mnt; do
    [[ -d "$mnt$PARENT" ]] && find "$mnt$PARENT" -depth -type d -exec rmdir {} + 2>/dev/null
  done < <(_cgroup_mounts)
  return 0
}

# hierarchy mount point that holds a v1 controller, or the v2 mount
controller_dir() {
  local c=$1
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    echo /sys/fs/cgroup
  else
    awk -v c="$c" '{ for (i = 7; i <= NF; i++) if ($i == "-") {
        if ($(i+1) == "cgroup") { n = split($(i+3), o, ","); for (j = 1; j <= n; j++) if (o[j] == c) print $5 }
        break } }' /proc/self/mountinfo | head -n1
  fi
}

# every line of /proc/PID/cgroup names PATH (v1 lines and the v2 "0::" line)
assert_pid_in_cgroup() {
  local pid=$1 path=$2 line n=0
  while IFS= read -r line; do
    n=$((n + 1))
    if [[ "${line#*:*:}" != "$path" ]]; then
      echo "pid $pid: $line, want $path" >&2
      return 1
    fi
  done <"/proc/$pid/cgroup"
  ((n > 0))
}

pid_of() {
  berth state "$1" | jq -r .pid
}

@test "cgroups: the default path /berth/ID, in every hierarchy (name=systemd and unified too)" {
  make_bundle "$B" '.process.args = ["sleep", "1000"]'
  berth create --bundle "$B" "$ID"
  local pid
  pid="$(pid_of "$ID")"
  assert_pid_in_cgroup "$pid" "/berth/$ID"
  # one dir per mounted hierarchy
  [ "$(berth_cgroup_dirs "$ID" | wc -l)" -eq "$(_cgroup_mounts | wc -l)" ]
  [ "$(berth state "$ID" | jq -r .status)" = created ]
  berth delete --force "$ID"
  assert_no_leftovers "$ID"
}

@test "cgroups: absolute and relative cgroupsPath, with parents made as needed" {
  make_bundle "$B" '.process.args = ["sleep", "1000"] | .linux.cgroupsPath = $p' --arg p "$PARENT//sub/./leaf/"
  berth create --bundle "$B" "$ID"
  assert_pid_in_cgroup "$(pid_of "$ID")" "$PARENT/sub/leaf"
  berth delete --force "$ID"
  assert_no_leftovers "$ID" "$PARENT/sub/leaf"

  local id2="$ID-rel"
  make_bundle "$BATS_TEST_TMPDIR/b2" '.process.args = ["sleep", "1000"] | .linux.cgroupsPath = $p' --arg p "rel-$id2"
  berth create --bundle "$BATS_TEST_TMPDIR/b2" "$id2"
  assert_pid_in_cgroup "$(pid_of "$id2")" "/berth/rel-$id2"
  berth delete --force "$id2"
  assert_no_leftovers "$id2" "rel-$id2"
}

@test "cgroups: a cgroupsPath with .. is refused and leaves nothing" {
  make_bundle "$B" '.process.args = ["true"] | .linux.cgroupsPath = "/berth-test/../escape"'
  run berth run --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *'".." is not allowed'* ]]
  [ ! -e "$BERTH_ROOT/$ID" ]
  [ -z "$(berth_cgroup_dirs "$ID" /escape)" ]
}

@test "cgroups: a value the kernel rejects fails create, names the field, and leaves no cgroup" {
  # pids.max takes at most PID_MAX_LIMIT; the cgroup and its parents are
  # made before the value is written, so this checks the undo
  make_bundle "$B" '.process.args = ["true"] | .linux.resources = {"pids": {"limit": 99999999999}} | .linux.cgroupsPath = $p' \
    --arg p "$PARENT/leaf"
  run berth create --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"linux.resources.pids.limit"* ]]
  assert_no_leftovers "$ID" "$PARENT/leaf"
  # the parent it made is gone too (teardown would hide that)
  local mnt
  while read -r mnt; do
    [ ! -d "$mnt$PARENT" ]
  done < <(_cgroup_mounts)
}

@test "cgroups: pids.limit and memory.limit reach the kernel" {
  make_bundle "$B" '.process.args = ["sleep", "1000"] | .linux.resources = {"pids": {"limit": 16}, "memory": {"limit": 33554432}}'
  berth create --bundle "$B" "$ID"
  local pids_dir mem_dir
  pids_dir="$(controller_dir pids)/berth/$ID"
  mem_dir="$(controller_dir memory)/berth/$ID"
  [ "$(cat "$pids_dir/pids.max")" = 16 ]
  if [[ -f "$mem_dir/memory.max" ]]; then
    [ "$(cat "$mem_dir/memory.max")" = 33554432 ]
  else
    [ "$(cat "$mem_dir/memory.limit_in_bytes")" = 33554432 ]
  fi
  berth delete --force "$ID"
  assert_no_leftovers "$ID"
}

@test "cgroups: the pids limit stops the 17th process" {
  # sh + 15 sleeps = 16; the next fork must fail with EAGAIN
  make_bundle "$B" '.process.args = ["sh", "-c", "i=0; while [ $i -lt 15 ]; do sleep 100 & i=$((i+1)); done; sleep 100 & echo forked=$?; sleep 0.1; kill $(jobs -p) 2>/dev/null; true"] | .linux.resources = {"pids": {"limit": 16}}'
  run berth run --bundle "$B" "$ID"
  echo "$output"
  # busybox sh: "can't fork: Resource temporarily unavailable" (with a limit of 64 it prints forked=0)
  [[ "$output" == *"can't fork"* ]]
  [[ "$output" != *"forked=0"* ]]
  assert_no_leftovers "$ID"
}

@test "cgroups: kill --all reaches every process of the container" {
  make_bundle "$B" '.process.args = ["sh", "-c", "sleep 1000 & sleep 1000 & exec sleep 1000"]'
  berth run -d --bundle "$B" "$ID"
  local dir
  dir="$(controller_dir pids)/berth/$ID"
  # wait for the two background sleeps
  for _ in $(seq 100); do
    [ "$(wc -l <"$dir/cgroup.procs")" -eq 3 ] && break
    sleep 0.05
  done
  [ "$(wc -l <"$dir/cgroup.procs")" -eq 3 ]
  berth kill --all "$ID" KILL
  for _ in $(seq 100); do
    [ ! -s "$dir/cgroup.procs" ] && break
    sleep 0.05
  done
  [ ! -s "$dir/cgroup.procs" ]
  berth delete "$ID"
  assert_no_leftovers "$ID"
}

@test "cgroups: delete --force removes a cgroup that still has processes" {
  make_bundle "$B" '.process.args = ["sh", "-c", "sleep 1000 & exec sleep 1000"]'
  berth run -d --bundle "$B" "$ID"
  [ -n "$(berth_cgroup_dirs "$ID")" ]
  berth delete --force "$ID"
  assert_no_leftovers "$ID"
}

@test "cgroups: --cgroup-manager disabled makes no cgroup" {
  make_bundle "$B" '.process.args = ["sleep", "1000"]'
  "$BERTH" --root "$BERTH_ROOT" --cgroup-manager disabled create --bundle "$B" "$ID"
  [ -z "$(berth_cgroup_dirs "$ID")" ]
  "$BERTH" --root "$BERTH_ROOT" --cgroup-manager disabled delete --force "$ID"
  assert_no_leftovers "$ID"
}

@test "cgroups: the container is in its cgroup before its cgroup namespace is made" {
  # entered first, unshared second: the namespace root is the container's
  # cgroup, so every line reads "/" inside (it would show ../.. otherwise)
  make_bundle "$B" '.process.args = ["cat", "/proc/self/cgroup"] | .linux.namespaces |= (map(select(.type != "cgroup")) + [{"type": "cgroup"}])'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ -n "$output" ]
  while IFS= read -r line; do
    [ "${line#*:*:}" = / ]
  done <<<"$output"
  # without one the host path shows
  make_bundle "$BATS_TEST_TMPDIR/b2" '.process.args = ["cat", "/proc/self/cgroup"] | .linux.namespaces |= map(select(.type != "cgroup"))'
  run berth run --bundle "$BATS_TEST_TMPDIR/b2" "$ID-2"
  [ "$status" -eq 0 ]
  [[ "$output" == *":/berth/$ID-2"* ]]
  assert_no_leftovers "$ID"
  assert_no_leftovers "$ID-2"
}
