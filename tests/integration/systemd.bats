#!/usr/bin/env bats
# The systemd cgroup driver (issue 15): --systemd-cgroup / --cgroup-manager
# systemd. Where systemd does not run (the hybrid dev host) only the clear
# error is tested, and that an attacker's cgroupsPath is refused before
# anything is made; where it is PID 1 (tests/vm/run --systemd) the scope,
# its properties, the files in it and that nothing stays after delete.

load ../helpers

setup() {
  ID="$(unique_id sd)"
  B="$BATS_TEST_TMPDIR/b"
  SYSTEMD=false
  [[ -d /run/systemd/system ]] && SYSTEMD=true
  UNITS=()
}

teardown() {
  cleanup_containers
  local u
  if $SYSTEMD; then
    for u in "${UNITS[@]}"; do
      systemctl stop "$u" >/dev/null 2>&1 || true
      systemctl reset-failed "$u" >/dev/null 2>&1 || true
    done
  fi
  return 0
}

# like bats' run, with the output in a file: a container started with -d
# inherits it, so a pipe to bats would never see EOF

needs_systemd() {
  $SYSTEMD || skip "systemd is not PID 1 here (tests/vm/run --systemd runs this)"
}

# nothing of the container under any hierarchy (path relative to the mount)
assert_no_cgroup() {
  local path=$1 mnt
  while read -r mnt; do
    if [[ -e "$mnt$path" ]]; then
      echo "leftover cgroup $mnt$path" >&2
      return 1
    fi
  done < <(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) ~ /^cgroup2?$/) print $5; break } }' \
    /proc/self/mountinfo | sort -u)
}

assert_unit_gone() {
  local u=$1 state
  state="$(systemctl show -p LoadState --value "$u" 2>&1)"
  [[ "$state" == not-found ]] || { echo "unit $u is still $state" >&2; systemctl status "$u" >&2 || true; return 1; }
}

@test "systemd driver: without systemd a clear error naming the cgroupsPath, nothing made" {
  $SYSTEMD && skip "systemd runs here"
  make_bundle "$B" '.process.args = ["true"]'
  for opts in --systemd-cgroup "--cgroup-manager systemd"; do
    # shellcheck disable=SC2086
    run berth $opts run --bundle "$B" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cgroupsPath \"system.slice:berth:$ID\""* ]]
    [[ "$output" == *'systemd is not running on this host'* ]]
    assert_no_leftovers "$ID"
    assert_no_cgroup "/system.slice/berth-$ID.scope"
  done
  bundle_edit "$B" '.linux.cgroupsPath = "machine.slice:libpod:'"$ID"'"'
  run berth --systemd-cgroup create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cgroupsPath \"machine.slice:libpod:$ID\""* ]]
  [[ "$output" == *'use --cgroup-manager cgroupfs'* ]]
  assert_no_leftovers "$ID"
  assert_no_cgroup "/machine.slice/libpod-$ID.scope"
}

@test "systemd driver: a cgroupsPath that is not slice:prefix:name or escapes is refused before anything is made" {
  make_bundle "$B" '.process.args = ["true"]'
  local p want
  while IFS='|' read -r p want; do
    bundle_edit "$B" ".linux.cgroupsPath = \"$p\""
    run berth --systemd-cgroup run --bundle "$B" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"cgroupsPath \"$p\""* ]] || { echo "no cgroupsPath in: $output" >&2; return 1; }
    [[ "$output" == *"$want"* ]] || { echo "want '$want' in: $output" >&2; return 1; }
    assert_no_leftovers "$ID"
  done <<'EOF'
/berth-test/sd|expects "slice:prefix:name"
system.slice:berth|expects "slice:prefix:name"
system.slice:berth:|the unit name
system.slice:p:../../../../berth-escape|may hold only
system.slice:../..:x|may hold only
../../berth-escape.slice:p:x|not a valid unit name
a--b.slice:p:x|a dash may not
notaslice:p:x|not a slice name
b.slice::a-b.slice|sits in a.slice
EOF
  assert_no_cgroup /berth-escape
  assert_no_cgroup /berth-escape.scope
  assert_no_cgroup /../berth-escape
}

@test "systemd driver: the scope holds the init, with Delegate=yes; delete stops it and leaves nothing" {
  needs_systemd
  UNITS+=("berth-$ID.scope")
  make_bundle "$B" '.process.args = ["sleep", "1000"]'
  detached --systemd-cgroup run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local pid
  pid="$(berth state "$ID" | jq -r .pid)"
  grep -qx "0::/system.slice/berth-$ID.scope" "/proc/$pid/cgroup"
  [ "$(systemctl show -p ActiveState --value "berth-$ID.scope")" = active ]
  [ "$(systemctl show -p Delegate --value "berth-$ID.scope")" = yes ]
  [ "$(systemctl show -p Slice --value "berth-$ID.scope")" = system.slice ]
  # kill --all, ps, pause, resume work on the scope as with cgroupfs
  run berth ps "$ID"
  [ "$status" -eq 0 ]
  [[ "$output" == *"$pid"* ]]
  run berth pause "$ID"
  [ "$status" -eq 0 ]
  [ "$(berth state "$ID" | jq -r .status)" = paused ]
  run berth resume "$ID"
  [ "$status" -eq 0 ]
  run berth kill --all "$ID" KILL
  [ "$status" -eq 0 ]
  run berth delete --force "$ID"
  [ "$status" -eq 0 ]
  assert_unit_gone "berth-$ID.scope"
  assert_no_cgroup "/system.slice/berth-$ID.scope"
  assert_no_leftovers "$ID"
}

@test "systemd driver: resources become unit properties and land in the scope's files; update changes both" {
  needs_systemd
  UNITS+=("berth-$ID.scope")
  make_bundle "$B" '.process.args = ["sleep", "1000"] | .linux.resources += {
      "memory": {"limit": 67108864, "reservation": 33554432},
      "cpu": {"shares": 512, "quota": 50000, "period": 100000},
      "pids": {"limit": 99}}'
  detached --cgroup-manager systemd run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local u="berth-$ID.scope" d="/sys/fs/cgroup/system.slice/berth-$ID.scope"
  [ "$(systemctl show -p MemoryMax --value "$u")" = 67108864 ]
  [ "$(systemctl show -p MemoryLow --value "$u")" = 33554432 ]
  [ "$(systemctl show -p TasksMax --value "$u")" = 99 ]
  [ "$(systemctl show -p CPUQuotaPerSecUSec --value "$u")" = 500ms ]
  [ "$(cat "$d/memory.max")" = 67108864 ]
  [ "$(cat "$d/memory.low")" = 33554432 ]
  [ "$(cat "$d/pids.max")" = 99 ]
  [ "$(cat "$d/cpu.max")" = "50000 100000" ]
  # the device filter: /dev/null works, /dev/sda-like nodes do not
  run berth exec "$ID" sh -c 'echo x >/dev/null && echo ok'
  [ "$status" -eq 0 ]
  [[ "$output" == ok ]]
  run berth update --memory 134217728 --pids-limit 50 "$ID"
  [ "$status" -eq 0 ]
  [ "$(systemctl show -p MemoryMax --value "$u")" = 134217728 ]
  [ "$(systemctl show -p TasksMax --value "$u")" = 50 ]
  [ "$(cat "$d/memory.max")" = 134217728 ]
  [ "$(cat "$d/pids.max")" = 50 ]
  run berth delete --force "$ID"
  [ "$status" -eq 0 ]
  assert_unit_gone "$u"
  assert_no_cgroup "/system.slice/$u"
}

@test "systemd driver: a nested slice a-b.slice sits in a.slice; annotations set properties" {
  needs_systemd
  local u="berthtest-$ID.scope"
  UNITS+=("$u")
  make_bundle "$B" '.process.args = ["sleep", "1000"]
    | .linux.cgroupsPath = "berthtest-nested.slice:berthtest:'"$ID"'"
    | .annotations["org.systemd.property.TimeoutStopSec"] = "17"
    | .annotations["org.systemd.property.CollectMode"] = "'"'inactive-or-failed'"'"'
  detached --systemd-cgroup run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local pid
  pid="$(berth state "$ID" | jq -r .pid)"
  grep -qx "0::/berthtest.slice/berthtest-nested.slice/$u" "/proc/$pid/cgroup"
  [ "$(systemctl show -p TimeoutStopUSec --value "$u")" = 17s ]
  run berth delete --force "$ID"
  [ "$status" -eq 0 ]
  assert_unit_gone "$u"
  assert_no_cgroup "/berthtest.slice/berthtest-nested.slice/$u"
}

@test "systemd driver: a unit that exists already is a clear error and stays the other container's" {
  needs_systemd
  local other="$ID-2" u="berth-$ID.scope"
  UNITS+=("$u")
  make_bundle "$B" '.process.args = ["sleep", "1000"] | .linux.cgroupsPath = "system.slice:berth:'"$ID"'"'
  detached --systemd-cgroup run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  detached --systemd-cgroup run -d --bundle "$B" "$other"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cgroupsPath \"system.slice:berth:$ID\""* ]]
  [[ "$output" == *UnitExists* ]]
  assert_no_leftovers "$other"
  [ "$(systemctl show -p ActiveState --value "$u")" = active ]
  [ "$(berth state "$ID" | jq -r .status)" = running ]
}

@test "systemd driver: berth killed with SIGKILL in the middle of create; delete --force leaves no unit" {
  needs_systemd
  local u="berth-$ID.scope"
  UNITS+=("$u")
  # the createContainer hook runs once the init sits in its scope: berth
  # is killed while it waits for the hook
  make_bundle "$B" '.process.args = ["sleep", "1000"]
    | .hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "echo $$ >'"$BATS_TEST_TMPDIR"'/hook; exec sleep 60"]}]'
  berth --systemd-cgroup create --bundle "$B" "$ID" </dev/null >/dev/null 2>&1 &
  local bpid=$! i
  for i in $(seq 100); do
    [[ -s "$BATS_TEST_TMPDIR/hook" ]] && break
    sleep 0.1
  done
  [[ -s "$BATS_TEST_TMPDIR/hook" ]]
  [ "$(systemctl show -p ActiveState --value "$u")" = active ]
  kill -9 "$bpid"
  wait "$bpid" || true
  kill -9 "$(cat "$BATS_TEST_TMPDIR/hook")" 2>/dev/null || true
  run berth delete --force "$ID"
  [ "$status" -eq 0 ]
  assert_unit_gone "$u"
  assert_no_cgroup "/system.slice/$u"
  assert_no_leftovers "$ID"
}

# assert_devices 42=allowed 43=denied ...: in the container (one exec), mknod
# c MAJOR:1 and open it read-write. "No such device or address" (ENXIO): the
# device filters let the open through to a major without a driver;
# "Operation not permitted": a filter denied it
assert_devices() {
  local want=("$@") majors=() w out
  for w in "${want[@]}"; do majors+=("${w%=*}"); done
  # shellcheck disable=SC2016 # expanded by the container's sh
  out="$(berth exec "$ID" sh -c 'for m; do rm -f /dev/berth-probe; mknod /dev/berth-probe c $m 1 || exit 1
      if (exec 3<>/dev/berth-probe) 2>/dev/berth-err || grep -q "No such device or address" /dev/berth-err; then echo $m=allowed
      elif grep -q "Operation not permitted" /dev/berth-err; then echo $m=denied; else cat /dev/berth-err; fi; done' sh "${majors[@]}" 2>&1)"
  [[ "$(tr '\n' ' ' <<<"$out")" == "${want[*]} " ]] || { echo "want ${want[*]}, got: $out" >&2; return 1; }
}

@test "systemd driver: device rules are exact next to systemd's filter (a major not in /proc/devices; allow all but some), also after daemon-reload" {
  needs_systemd
  local u="berth-$ID.scope" m
  # majors without a driver: open gives ENXIO once the filters allow it
  for m in 42 43 44; do
    if sed -n '/^Character/,/^$/p' /proc/devices | grep -qE "^ *$m "; then
      skip "char major $m has a driver here"
    fi
  done
  UNITS+=("$u")
  # allow all but c 43: systemd has no form for it (and gets an empty DeviceAllow)
  make_bundle "$B" '.process.args = ["sleep", "1000"]
    | .process.capabilities |= with_entries(.value += ["CAP_MKNOD"])
    | .linux.resources.devices = [{"allow": true, "access": "rwm"},
        {"allow": false, "type": "c", "major": 43, "access": "rw"}]'
  detached --systemd-cgroup run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$(systemctl show -p DevicePolicy --value "$u")" = auto ]
  assert_devices 44=allowed 43=denied
  # systemd attaches its filter again, as at any reload
  systemctl daemon-reload
  assert_devices 44=allowed 43=denied

  # deny all but c 42 (and the defaults): 42 is not in /proc/devices, so
  # systemd cannot name it
  echo '{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 42, "access": "rw"}]}' \
    >"$BATS_TEST_TMPDIR/res.json"
  run berth update --resources "$BATS_TEST_TMPDIR/res.json" "$ID"
  [ "$status" -eq 0 ]
  [ "$(systemctl show -p DevicePolicy --value "$u")" = strict ]
  assert_devices 42=allowed 43=denied 44=denied
  run berth exec "$ID" sh -c 'echo x >/dev/null && echo ok'
  [[ "$output" == ok ]]
  systemctl daemon-reload
  assert_devices 42=allowed 43=denied 44=denied

  run berth delete --force "$ID"
  [ "$status" -eq 0 ]
  assert_unit_gone "$u"
  assert_no_cgroup "/system.slice/$u"
}
