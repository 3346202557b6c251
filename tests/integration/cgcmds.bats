#!/usr/bin/env bats
# pause / resume / update / ps / events (issue 4): what the kernel does
# after each command, on this hybrid host and on pure v2 (tests/vm/run
# with BERTH_VM_SUITES=tests/integration/cgcmds.bats).

load ../helpers

bats_require_minimum_version 1.5.0

setup() {
  ID="$(unique_id cgc)"
  B="$BATS_TEST_TMPDIR/b"
  OUT="$BATS_TEST_TMPDIR/out"
  mkdir -p "$OUT"
}

teardown() {
  # events/ps started in the background by a test, if still there
  if [[ -n "${BG_PID:-}" ]]; then
    kill "$BG_PID" 2>/dev/null || true
    wait "$BG_PID" 2>/dev/null || true
  fi
  cleanup_containers
}

# make_script_bundle SCRIPT [JQ-FILTER]: a bundle running SCRIPT with $OUT
# bind-mounted at /out, then the filter
make_script_bundle() {
  local script=$1 more=${2:-.}
  make_bundle "$B" '.process.args = ["sh", "-c", $s]
    | .mounts += [{"destination": "/out", "type": "bind", "source": $o, "options": ["rbind", "rw"]}]
    | '"$more" --arg s "$script" --arg o "$OUT"
}

start_container() {
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ] || { echo "run -d: $output" >&2; return 1; }
}

status_of() {
  berth state "$1" | jq -r .status
}

# the container's cgroup dir holding CONTROLLER's files (v2: the one dir)
cgdir() {
  local c=$1 mnt
  if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
    echo "/sys/fs/cgroup$(berth_cgroup_of "$ID")"
    return
  fi
  mnt="$(awk -v c="$c" '{ for (i = 7; i <= NF; i++) if ($i == "-") {
      if ($(i+1) == "cgroup") { n = split($(i+3), o, ","); for (j = 1; j <= n; j++) if (o[j] == c) print $5 }
      break } }' /proc/self/mountinfo | head -n1)"
  echo "$mnt$(berth_cgroup_of "$ID")"
}

memory_limit_file() {
  local d
  d="$(cgdir memory)"
  if [[ -f "$d/memory.max" ]]; then echo "$d/memory.max"; else echo "$d/memory.limit_in_bytes"; fi
}

# wait_for 'SHELL CODE': up to 10 s for it to succeed (evaluated each time)
wait_for() {
  local i
  for i in $(seq 100); do
    eval "$1" && return 0
    sleep 0.1
  done
  return 1
}

counter() {
  cat "$OUT/c" 2>/dev/null || echo 0
}

counter_above() {
  [ "$(counter)" -gt "$1" ]
}

COUNTER='i=0; while true; do i=$((i+1)); echo $i >/out/c.tmp; mv /out/c.tmp /out/c; sleep 0.05; done'

@test "cgcmds: pause stops a counter, state says paused, resume restarts it" {
  make_script_bundle "$COUNTER"
  start_container
  wait_for 'counter_above 2'

  run berth pause "$ID"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ "$(status_of "$ID")" = paused ]
  local v1 v2
  v1="$(counter)"
  sleep 1
  v2="$(counter)"
  [ "$v1" = "$v2" ]

  run berth resume "$ID"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ "$(status_of "$ID")" = running ]
  wait_for 'counter_above "$v2"'

  # a paused container still goes away at once with delete --force
  berth pause "$ID"
  local t0=$SECONDS
  berth delete --force "$ID"
  [ $((SECONDS - t0)) -lt 5 ]
  assert_no_leftovers "$ID"
}

@test "cgcmds: pause and resume in the wrong state fail with runc's messages" {
  make_bundle "$B" '.process.args = ["sleep", "1000"]'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  run berth pause "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"container not running"* ]]

  berth start "$ID"
  run berth resume "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"container not paused"* ]]

  berth pause "$ID"
  run berth pause "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"container not running"* ]]
  berth resume "$ID"

  berth kill "$ID" KILL
  wait_for '[ "$(status_of "$ID")" = stopped ]'
  run berth pause "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"container not running"* ]]
  run berth resume "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"container not paused"* ]]
  run berth pause nosuch-"$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"does not exist"* ]]
}

@test "cgcmds: update lowers the pids limit of a live container and the next fork fails" {
  # after /out/go: an inner sh forks sleeps until the limit stops it
  make_script_bundle 'while [ ! -e /out/go ]; do sleep 0.05; done
    sh -c "for i in 1 2 3 4 5 6 7 8; do sleep 100 & echo \$i >/out/forked; done; echo all >/out/forked" 2>/out/err
    echo $? >/out/rc; exec sleep 1000'
  start_container
  local pids
  pids="$(cgdir pids)"
  # systemd gives a scope its DefaultTasksMax when the spec sets no limit (as with runc)
  [[ "${BERTH_TEST_CGROUP_MANAGER:-}" == systemd ]] || [ "$(cat "$pids/pids.max")" = max ]

  run berth update --pids-limit 4 "$ID"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ "$(cat "$pids/pids.max")" = 4 ]

  touch "$OUT/go"
  wait_for '[ -e "$OUT/rc" ]'
  cat "$OUT/err" "$OUT/forked" "$OUT/rc"
  # outer sh + inner sh + 2 sleeps = 4: the third sleep's fork fails
  [[ "$(cat "$OUT/err")" == *"can't fork"* ]]
  [ "$(cat "$OUT/forked")" = 2 ]
  [ "$(cat "$OUT/rc")" -ne 0 ]
  [ "$(cat "$pids/pids.current")" -le 4 ]
}

@test "cgcmds: update --memory and friends change the live limit files" {
  make_bundle "$B" '.process.args = ["sleep", "1000"] | .linux.resources.memory = {"limit": 134217728}'
  start_container
  local f
  f="$(memory_limit_file)"
  [ "$(cat "$f")" = 134217728 ]
  run berth update --memory 64m "$ID"
  [ "$status" -eq 0 ]
  [ "$(cat "$f")" = 67108864 ]
  berth update --memory 96MiB "$ID"
  [ "$(cat "$f")" = 100663296 ]
  berth update --memory -1 "$ID"
  [[ "$(cat "$f")" == max || "$(cat "$f")" -gt 1000000000000 ]]
  # cpu: quota/period reach cpu.max (v2) or cpu.cfs_quota_us (v1)
  berth update --cpu-period 100000 --cpu-quota 50000 "$ID"
  local cpu
  cpu="$(cgdir cpu)"
  if [[ -f "$cpu/cpu.max" ]]; then
    [ "$(cat "$cpu/cpu.max")" = "50000 100000" ]
  else
    [ "$(cat "$cpu/cpu.cfs_quota_us")" = 50000 ]
  fi
}

@test "cgcmds: update --resources from stdin (containerd) and from a file (Podman); flags win; values are kept" {
  make_bundle "$B" '.process.args = ["sleep", "1000"]'
  start_container
  local pids mem
  pids="$(cgdir pids)"
  mem="$(memory_limit_file)"

  run berth update --resources - "$ID" <<<'{"pids": {"limit": 42}}'
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ "$(cat "$pids/pids.max")" = 42 ]

  echo '{"memory": {"limit": 67108864}, "pids": {"limit": 8}}' >"$BATS_TEST_TMPDIR/r.json"
  run berth update --resources="$BATS_TEST_TMPDIR/r.json" --pids-limit 7 "$ID"
  [ "$status" -eq 0 ]
  [ "$(cat "$mem")" = 67108864 ]
  [ "$(cat "$pids/pids.max")" = 7 ]

  # a later update starts from the stored values: memory and pids stay
  berth update -r - "$ID" <<<'{"cpu": {"shares": 512}}'
  [ "$(cat "$mem")" = 67108864 ]
  [ "$(cat "$pids/pids.max")" = 7 ]
  [ "$(jq -c .pids "$BERTH_ROOT/$ID/resources.json")" = '{"limit":7}' ]
}

@test "cgcmds: update with device rules (containerd sends them) keeps the container's devices usable" {
  make_script_bundle 'while [ ! -e /out/go ]; do sleep 0.05; done
    echo x >/dev/null; echo null=$? >/out/r; exec sleep 1000'
  start_container
  run berth update -r - "$ID" <<<'{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"}], "pids": {"limit": 30}}'
  [ "$status" -eq 0 ]
  [ "$(cat "$(cgdir pids)/pids.max")" = 30 ]
  touch "$OUT/go"
  wait_for '[ -s "$OUT/r" ]'
  [ "$(cat "$OUT/r")" = null=0 ]
  [ "$(jq -c '.devices | length' "$BERTH_ROOT/$ID/resources.json")" = 2 ]
}

@test "cgcmds: update with bad input or on a stopped container fails clearly" {
  make_bundle "$B" '.process.args = ["sleep", "1000"]'
  start_container
  run berth update --memory 12q "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *'--memory: invalid size "12q"'* ]]
  run berth update --pids-limit lots "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"--pids-limit"* ]]
  run berth update --resources - "$ID" <<<'{"memory": '
  [ "$status" -eq 1 ]
  [[ "$output" == *"--resources"*"invalid JSON"* ]]
  run berth update --resources - "$ID" <<<'{"memory": {"limit": "lots"}}'
  [ "$status" -eq 1 ]
  [[ "$output" == *".memory.limit"* ]]
  run berth update --resources "$BATS_TEST_TMPDIR/missing.json" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"missing.json"* ]]
  run berth update --l3-cache-schema L3:0=f "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"not supported"* ]]
  run berth update --no-such-flag 1 "$ID"
  [ "$status" -eq 1 ]

  berth kill "$ID" KILL
  wait_for '[ "$(status_of "$ID")" = stopped ]'
  run berth update --memory 64m "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cannot update a container that is stopped"* ]]
}

@test "cgcmds: ps --format json prints exactly the container's host pids" {
  make_bundle "$B" '.process.args = ["sh", "-c", "sleep 1000 & sleep 1000 & exec sleep 1000"]'
  start_container
  local procs
  procs="$(cgdir pids)/cgroup.procs"
  wait_for '[ "$(wc -l <"$procs")" -eq 3 ]'
  run --separate-stderr berth ps --format json "$ID"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [[ "$output" =~ ^\[[0-9]+(,[0-9]+)*\]$ ]]
  [ "$(jq -c 'sort' <<<"$output")" = "$(sort -n "$procs" | jq -cs .)" ]
  # the init is one of them
  jq -e --argjson p "$(berth state "$ID" | jq .pid)" 'index($p) != null' <<<"$output"
  run berth ps -f json "$ID"
  [ "$status" -eq 0 ]
  [ "$(jq length <<<"$output")" -eq 3 ]
}

@test "cgcmds: ps prints ps's table filtered to the container, with the given ps arguments" {
  make_bundle "$B" '.process.args = ["sh", "-c", "sleep 1001 & exec sleep 1002"]'
  start_container
  wait_for '[ "$(berth ps -f json "$ID" | jq length)" -eq 2 ]'
  run berth ps "$ID"
  [ "$status" -eq 0 ]
  echo "$output"
  [[ "${lines[0]}" == *PID*CMD* ]]
  [ "${#lines[@]}" -eq 3 ]
  [[ "$output" == *"sleep 1001"* && "$output" == *"sleep 1002"* ]]
  run berth ps "$ID" -- -o pid,args
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *PID*COMMAND* ]]
  [ "${#lines[@]}" -eq 3 ]
  run berth ps --format xml "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *'unknown format "xml"'* ]]
}

@test "cgcmds: events --stats prints one stats object in runc's field names" {
  make_bundle "$B" '.process.args = ["sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 1000"] | .linux.resources = {"pids": {"limit": 50}, "memory": {"limit": 67108864}}'
  start_container
  sleep 0.5
  run --separate-stderr berth events --stats "$ID"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [ "${#lines[@]}" -eq 1 ]
  echo "$output" | jq .
  jq -e --arg id "$ID" '.type == "stats" and .id == $id' <<<"$output"
  jq -e '.data.cpu.usage.total > 0 and (.data.cpu.usage | has("kernel") and has("user"))' <<<"$output"
  jq -e '.data.cpu | has("throttling")' <<<"$output"
  jq -e '.data.memory.usage.usage > 0 and .data.memory.usage.limit == 67108864' <<<"$output"
  jq -e '.data.memory | has("swap") and has("kernel") and has("kernelTCP") and (.raw | length > 0)' <<<"$output"
  jq -e '.data.pids.current >= 1 and .data.pids.limit == 50' <<<"$output"
  jq -e '.data | has("blkio") and has("hugetlb")' <<<"$output"
}

@test "cgcmds: events prints stats every interval and exits when the container does" {
  make_bundle "$B" '.process.args = ["sleep", "1000"]'
  start_container
  timeout 20 "$BERTH" --root "$BERTH_ROOT" events --interval 200ms "$ID" >"$BATS_TEST_TMPDIR/ev" 2>&1 &
  BG_PID=$!
  wait_for '[ "$(wc -l <"$BATS_TEST_TMPDIR/ev")" -ge 2 ]'
  berth kill "$ID" KILL
  local rc=0
  wait "$BG_PID" || rc=$?
  BG_PID=
  cat "$BATS_TEST_TMPDIR/ev"
  [ "$rc" -eq 0 ]
  jq -se 'all(.type == "stats")' "$BATS_TEST_TMPDIR/ev"

  run berth events "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"container not running"* ]]
  run berth events --interval 5 "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"invalid duration"* ]]
}

@test "cgcmds: a memory hog over a 32 MiB limit is OOM-killed and events reports it" {
  make_script_bundle 'while [ ! -e /out/go ]; do sleep 0.05; done
    dd if=/dev/zero of=/dev/null bs=64M count=1; echo $? >/out/rc; exec sleep 1000' \
    '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
  start_container
  timeout 30 "$BERTH" --root "$BERTH_ROOT" events --interval 10s "$ID" >"$BATS_TEST_TMPDIR/ev" 2>&1 &
  BG_PID=$!
  sleep 0.5
  touch "$OUT/go"
  wait_for '[ -e "$OUT/rc" ]'
  # dd was killed by SIGKILL (137)
  [ "$(cat "$OUT/rc")" -eq 137 ]
  wait_for 'grep -q oom "$BATS_TEST_TMPDIR/ev"'
  cat "$BATS_TEST_TMPDIR/ev"
  grep -qxF "{\"type\":\"oom\",\"id\":\"$ID\"}" "$BATS_TEST_TMPDIR/ev"
}

@test "cgcmds: the container sees its own cgroup, through a cgroup namespace, read-only" {
  make_bundle "$B" '.process.args = ["sh", "-c", "cat /proc/self/cgroup; echo ---; if [ -f /sys/fs/cgroup/cgroup.controllers ]; then cat /sys/fs/cgroup/memory.max; mkdir /sys/fs/cgroup/x; else cat /sys/fs/cgroup/memory/memory.limit_in_bytes; mkdir /sys/fs/cgroup/memory/x; fi; echo mkdir=$?; ls /sys/fs/cgroup"] | .linux.resources.memory = {"limit": 67108864}'
  jq -e '.linux.namespaces | any(.type == "cgroup")' "$B/config.json"
  run berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  # every hierarchy's path is "/": the namespace's root is the container's cgroup
  local part="${output%%---*}"
  [ -z "$(grep -v ':/$' <<<"$part" | grep .)" ]
  grep -q ':/$' <<<"$part"
  # the limit file it sees is its own cgroup's, not the host root's
  [[ "$output" == *$'\n67108864\n'* ]]
  [[ "$output" == *"Read-only file system"* ]]
  [[ "$output" != *mkdir=0* ]]
  [[ "$output" != *berth* ]]
  assert_no_leftovers "$ID"
}

@test "cgcmds: pause, update, ps and events need a cgroup: clear error with --cgroup-manager disabled" {
  make_bundle "$B" '.process.args = ["sleep", "1000"]'
  local BERTH_CGROUP_ARGS=() # not --systemd-cgroup (tests/vm/run --systemd): it conflicts with disabled
  detached --cgroup-manager disabled run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$(status_of "$ID")" = running ]
  run berth pause "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"no cgroup"* ]]
  run berth update --memory 1g "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"no cgroup"* ]]
  run berth ps -f json "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"no cgroup"* ]]
  run berth events --stats "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"no cgroup"* ]]
}
