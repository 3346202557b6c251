#!/usr/bin/env bats
# Cgroup behaviours runc 1.1.5's users meet (issue 19): a frozen target
# cgroup is refused instead of hanging, v1 cpusets under empty (mkdir'd)
# parents are filled, update orders memory and memory+swap, exec --cgroup
# runs in a sub-cgroup and cannot leave the container's cgroup. Hybrid and
# pure v2 (tests/vm/run).

load ../helpers

setup() {
  ID="$(unique_id cg19)"
  B="$BATS_TEST_TMPDIR/b"
  PARENT="$BERTH_TEST_CGROUP_PREFIX-$ID"
  CGPATH="$PARENT/ctr"
  MOUNTED=()
}

teardown() {
  local m mnt
  for m in "${MOUNTED[@]}"; do umount "$m" 2>/dev/null || true; done
  while read -r mnt; do
    [[ -d "$mnt$PARENT" ]] || continue
    [[ -e "$mnt$PARENT/freezer.state" ]] && echo THAWED >"$mnt$PARENT/freezer.state"
    [[ -e "$mnt$PARENT/cgroup.freeze" ]] && echo 0 >"$mnt$PARENT/cgroup.freeze"
  done < <(_cgroup_mounts)
  cleanup_containers
  while read -r mnt; do
    [[ -d "$mnt$PARENT" ]] && find "$mnt$PARENT" -depth -type d -exec rmdir {} + 2>/dev/null
    true
  done < <(_cgroup_mounts)
}

fstype() { stat -f -c %T "$1" 2>/dev/null; }

# the v1 hierarchy of a controller, or nothing (pure v2)
v1_mount() {
  local d=/sys/fs/cgroup/$1
  [[ "$(fstype /sys/fs/cgroup)" != cgroup2fs && -d "$d" && "$(fstype "$d")" == cgroupfs ]] && echo "$d"
  return 0
}

# the cgroup v2 mount: /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified (hybrid)
v2_mount() {
  local d
  for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
    [[ "$(fstype "$d")" == cgroup2fs ]] && { echo "$d"; return 0; }
  done
  return 0
}

sleeper_bundle() {
  make_bundle "$B" '.process.args = ["sleep", "1000"] | .linux.cgroupsPath = $p' --arg p "$CGPATH" "$@"
}

# berth with a limit: a hang fails the test (124) instead of the suite
berth_bounded() {
  local rc=0
  timeout 30 "$BERTH" --root "$BERTH_ROOT" "$@" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- || rc=$?
  status=$rc
  output="$(cat "$BATS_TEST_TMPDIR/out")"
}

# ------------------------------------------------------------ frozen

@test "cgroups-runc19: run -d under a frozen v1 freezer parent fails at once, saying so, leaving nothing" {
  local fz
  fz="$(v1_mount freezer)"
  [[ -n "$fz" ]] || skip "no v1 freezer hierarchy"
  mkdir "$fz$PARENT"
  echo FROZEN >"$fz$PARENT/freezer.state"
  sleeper_bundle
  berth_bounded run -d --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cgroup $CGPATH is frozen"* ]]
  [[ "$output" == *"frozen by $fz$PARENT"* ]]
  assert_no_leftovers "$ID" "$CGPATH"
  # thawed, the same bundle runs
  echo THAWED >"$fz$PARENT/freezer.state"
  berth_bounded run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
}

@test "cgroups-runc19: create under a frozen v2 parent (cgroup.freeze 1) fails at once, saying so, leaving nothing" {
  local v2
  v2="$(v2_mount)"
  [[ -n "$v2" ]] || skip "no cgroup v2 mount"
  mkdir "$v2$PARENT"
  [[ -e "$v2$PARENT/cgroup.freeze" ]] || skip "no cgroup.freeze (kernel < 5.2)"
  echo 1 >"$v2$PARENT/cgroup.freeze"
  sleeper_bundle
  berth_bounded create --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cgroup $CGPATH is frozen ($v2$PARENT/cgroup.freeze is 1)"* ]]
  assert_no_leftovers "$ID" "$CGPATH"
}

@test "cgroups-runc19: a cgroup frozen while create waits on the init (a createRuntime hook freezes it) fails create, leaving nothing" {
  local f
  f="$(v1_mount freezer)"
  if [[ -n "$f" ]]; then
    f="$f$CGPATH/freezer.state"
    printf '#!/bin/sh\necho FROZEN > %s\n' "$f" >"$BATS_TEST_TMPDIR/freeze"
  else
    f="$(v2_mount)$CGPATH/cgroup.freeze"
    printf '#!/bin/sh\necho 1 > %s\n' "$f" >"$BATS_TEST_TMPDIR/freeze"
  fi
  chmod +x "$BATS_TEST_TMPDIR/freeze"
  sleeper_bundle
  bundle_edit "$B" '.hooks.createRuntime = [{path: $h}]' --arg h "$BATS_TEST_TMPDIR/freeze"
  berth_bounded create --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cgroup $CGPATH is frozen"* ]]
  assert_no_leftovers "$ID" "$CGPATH"
}

# ------------------------------------------------------------ cpuset

@test "cgroups-runc19: a cgroupsPath under mkdir'd parents with empty cpusets gets cpus and mems copied down" {
  local cs
  cs="$(v1_mount cpuset)"
  sleeper_bundle
  if [[ -n "$cs" ]]; then
    mkdir -p "$cs$PARENT/pod"
    [ -z "$(tr -d '\n' <"$cs$PARENT/pod/cpuset.cpus")" ]
    [ -z "$(tr -d '\n' <"$cs$PARENT/pod/cpuset.mems")" ]
    bundle_edit "$B" '.linux.cgroupsPath = $p' --arg p "$PARENT/pod/ctr"
  else
    mkdir -p "$(v2_mount)$PARENT/pod" # pure v2: no empty-cpuset problem, it must just work
    bundle_edit "$B" '.linux.cgroupsPath = $p' --arg p "$PARENT/pod/ctr"
  fi
  berth_bounded run -d --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  if [[ -n "$cs" ]]; then
    [ "$(cat "$cs$PARENT/pod/ctr/cpuset.cpus")" = "$(cat "$cs/cpuset.cpus")" ]
    [ "$(cat "$cs$PARENT/pod/ctr/cpuset.mems")" = "$(cat "$cs/cpuset.mems")" ]
    [ -n "$(cat "$cs$PARENT/pod/ctr/cgroup.procs")" ]
  fi
  berth delete --force "$ID"
  assert_no_leftovers "$ID" "$PARENT/pod/ctr"
}

# ------------------------------------------------------------ update memory + swap

# prints "LIMIT SWAP" of a cgroup as the kernel shows them (v1: limit and
# memory+swap; v2: memory.max and memory.swap.max)
mem_of() {
  local path=$1 mem
  mem="$(v1_mount memory)"
  if [[ -n "$mem" ]]; then
    echo "$(cat "$mem$path/memory.limit_in_bytes") $(cat "$mem$path/memory.memsw.limit_in_bytes")"
  else
    echo "$(cat "$(v2_mount)$path/memory.max") $(cat "$(v2_mount)$path/memory.swap.max")"
  fi
}

have_swap_accounting() {
  local mem
  mem="$(v1_mount memory)"
  if [[ -n "$mem" ]]; then
    [[ -e "$mem/memory.memsw.limit_in_bytes" ]]
  else
    [[ -n "$(find "$(v2_mount)" -maxdepth 2 -name memory.swap.max -print -quit)" ]]
  fi
}

# update_steps RUNTIME ID PATH: raise, lower, remove; prints mem_of after each
update_steps() {
  local rt=$1 id=$2 path=$3
  "$rt" update --memory 256m --memory-swap 512m "$id" || return 1
  mem_of "$path"
  "$rt" update --memory 32m --memory-swap 64m "$id" || return 1
  mem_of "$path"
  "$rt" update --memory -1 "$id" || return 1
  mem_of "$path"
  "$rt" update --memory 16m "$id" || return 1
  mem_of "$path"
}

@test "cgroups-runc19: update raises, lowers and removes memory with a memory+swap limit set, as runc does" {
  have_swap_accounting || skip "no swap accounting"
  sleeper_bundle
  bundle_edit "$B" '.linux.resources.memory = {limit: 67108864, swap: 134217728}'
  berth_bounded run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  run update_steps berth "$ID" "$CGPATH"
  echo "berth: $output"
  [ "$status" -eq 0 ]
  local ours=$output
  [ "${#lines[@]}" -eq 4 ]
  [[ "${lines[0]}" == "268435456 "* ]]
  [[ "${lines[1]}" == "33554432 "* ]]
  [[ "${lines[2]}" != *" 134217728" && "${lines[2]}" != *" 67108864" ]]
  [[ "${lines[3]}" == "16777216 "* ]]

  command -v "$RUNC" >/dev/null || skip "no runc to compare with"
  bundle_edit "$B" '.linux.cgroupsPath = $p' --arg p "$PARENT/runc"
  oracle_runc run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1
  run update_steps oracle_runc "$ID" "$PARENT/runc"
  echo "runc: $output"
  [ "$status" -eq 0 ]
  [ "$output" = "$ours" ]
}

# ------------------------------------------------------------ exec --cgroup

# mkdir_sub NAME: NAME below the container's cgroup in every hierarchy
mkdir_sub() {
  local mnt
  while read -r mnt; do
    [[ -d "$mnt$CGPATH" ]] && mkdir -p "$mnt$CGPATH/$1"
  done < <(_cgroup_mounts)
}

@test "cgroups-runc19: exec --cgroup PATH and CTRL:PATH run the process in the container's sub-cgroup" {
  sleeper_bundle
  berth_bounded run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  mkdir_sub sub
  run berth exec --cgroup sub "$ID" cat /proc/self/cgroup
  echo "$output"
  [ "$status" -eq 0 ]
  # a cgroup namespace rooted at the container's cgroup: every line is /sub
  [ -z "$(grep -v ':/sub$' <<<"$output")" ]

  run berth exec --cgroup /sub "$ID" cat /proc/self/cgroup
  [ "$status" -eq 0 ]
  [ -z "$(grep -v ':/sub$' <<<"$output")" ]

  if [[ -n "$(v1_mount memory)" ]]; then
    run berth exec --cgroup memory,pids:sub --cgroup cpuset:/ "$ID" cat /proc/self/cgroup
    echo "$output"
    [ "$status" -eq 0 ]
    grep -q ':memory:/sub$' <<<"$output"
    grep -q ':pids:/sub$' <<<"$output"
    grep -q ':cpuset:/$' <<<"$output"
    grep -q '^0::/$' <<<"$output"
  fi
  # the exec'd processes were there, nothing else moved
  berth exec --cgroup sub -d "$ID" sleep 100
  local procs
  procs="$(cat "$(v2_mount)$CGPATH/sub/cgroup.procs")"
  [ -n "$procs" ]
  berth delete --force "$ID"
  assert_no_leftovers "$ID" "$CGPATH"
}

@test "cgroups-runc19: exec --cgroup refuses .., missing sub-cgroups, unknown controllers and a mount that leads elsewhere" {
  sleeper_bundle
  berth_bounded run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local mnt v2
  v2="$(v2_mount)"
  # a sibling the process must not reach
  while read -r mnt; do
    [[ -d "$mnt$PARENT" ]] && mkdir -p "$mnt$PARENT/outside"
  done < <(_cgroup_mounts)

  run berth exec --cgroup ../outside "$ID" true
  [ "$status" -eq 255 ]
  [[ "$output" == *'".." is not allowed'* ]]
  run berth exec --cgroup nosuch "$ID" true
  [ "$status" -eq 255 ]
  [[ "$output" == *"sub-cgroup"*"/nosuch does not exist"* ]]
  if [[ -n "$(v1_mount memory)" ]]; then
    run berth exec --cgroup nosuchctrl:x "$ID" true
    [ "$status" -eq 255 ]
    [[ "$output" == *"no cgroup v1 hierarchy has the controller nosuchctrl"* ]]
  fi
  run berth exec --cgroup a --cgroup b "$ID" true
  [ "$status" -eq 255 ]

  # the attack: the sub-cgroup is a bind mount of a cgroup outside the
  # container's (what a path walk that follows mounts would enter)
  mkdir_sub evil
  mount --bind "$v2$PARENT/outside" "$v2$CGPATH/evil"
  MOUNTED+=("$v2$CGPATH/evil")
  run berth exec --cgroup evil "$ID" true
  echo "$output"
  [ "$status" -eq 255 ]
  [[ "$output" == *"sub-cgroup $v2$CGPATH/evil"* ]]
  [ -z "$(cat "$v2$PARENT/outside/cgroup.procs")" ]
}
