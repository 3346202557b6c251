#!/usr/bin/env bats
# linux.resources (issue 4): every value lands in the right file on v1/hybrid
# and on pure v2, and the kernel enforces them: a memory hog is OOM-killed,
# a cpu quota holds a busy loop near 10 %, an io throttle bounds a dd, device
# rules deny opens. Runs on this hybrid host and on the pure v2 VM
# (tests/vm/run).

load ../helpers

setup() {
  ID="$(unique_id res)"
  B="$BATS_TEST_TMPDIR/b"
  V2=false
  [[ -f /sys/fs/cgroup/cgroup.controllers ]] && V2=true
  LOOP=
}

teardown() {
  cleanup_containers
  [[ -n "$LOOP" ]] && losetup -d "$LOOP"
  return 0
}

# like bats' run, with the output in a file: a container started with -d
# inherits it, so a pipe to bats would never see EOF

# the container's directory for a controller: the v2 leaf; on v1 the
# hierarchy that has it, or (hybrid) the unified one when only it has it
cg_dir() {
  local c=$1 mnt
  if $V2; then
    echo "/sys/fs/cgroup$(berth_cgroup_of "$ID")"
    return
  fi
  mnt="$(awk -v c="$c" '{ for (i = 7; i <= NF; i++) if ($i == "-") {
      if ($(i+1) == "cgroup") { n = split($(i+3), o, ","); for (j = 1; j <= n; j++) if (o[j] == c) print $5 }
      break } }' /proc/self/mountinfo | head -n1)"
  if [[ -z "$mnt" ]]; then
    mnt="$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup2") print $5; break } }' \
      /proc/self/mountinfo | head -n1)"
  fi
  echo "$mnt$(berth_cgroup_of "$ID")"
}

# first word of a file (or the line that starts with KEY)
val() {
  head -n1 "$1" | awk '{ print $1 }'
}

@test "resources: memory, cpu, cpuset and pids values land in their files" {
  local extra='.'
  $V2 || extra='.linux.resources.memory += {"swappiness": 10, "disableOOMKiller": true}'
  make_bundle "$B" '.process.args = ["sleep", "1000"] | .linux.resources += {
      "memory": {"limit": 67108864, "reservation": 33554432, "swap": 100663296},
      "cpu": {"shares": 512, "quota": 20000, "period": 100000, "burst": 1000, "cpus": "0", "mems": "0"},
      "pids": {"limit": 20}} | '"$extra"
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  local mem cpu cpuset pids
  mem="$(cg_dir memory)" cpu="$(cg_dir cpu)" cpuset="$(cg_dir cpuset)" pids="$(cg_dir pids)"
  if $V2; then
    [ "$(cat "$mem/memory.max")" = 67108864 ]
    [ "$(cat "$mem/memory.low")" = 33554432 ]
    [ "$(cat "$mem/memory.swap.max")" = 33554432 ] # memory+swap - memory
    [ "$(cat "$cpu/cpu.weight")" = 20 ]            # 1 + (512 - 2) * 9999 / 262142
    [ "$(cat "$cpu/cpu.max")" = "20000 100000" ]
    [ "$(cat "$cpu/cpu.max.burst")" = 1000 ]
  else
    [ "$(cat "$mem/memory.limit_in_bytes")" = 67108864 ]
    [ "$(cat "$mem/memory.soft_limit_in_bytes")" = 33554432 ]
    [ "$(cat "$mem/memory.memsw.limit_in_bytes")" = 100663296 ]
    [ "$(cat "$mem/memory.swappiness")" = 10 ]
    grep -qx 'oom_kill_disable 1' "$mem/memory.oom_control"
    [ "$(cat "$cpu/cpu.shares")" = 512 ]
    [ "$(cat "$cpu/cpu.cfs_quota_us")" = 20000 ]
    [ "$(cat "$cpu/cpu.cfs_period_us")" = 100000 ]
    [ "$(cat "$cpu/cpu.cfs_burst_us")" = 1000 ]
  fi
  [ "$(cat "$cpuset/cpuset.cpus")" = 0 ]
  [ "$(cat "$cpuset/cpuset.mems")" = 0 ]
  [ "$(cat "$pids/pids.max")" = 20 ]
  berth delete --force "$ID"
  assert_no_leftovers "$ID"
}

@test "resources: a 32 MiB memory limit gets a memory hog OOM-killed, a smaller job runs" {
  # dd allocates its block: 64 MiB cannot fit, 4 MiB can (no swap: swap == limit)
  make_bundle "$B" '.process.args = ["sh", "-c", "dd if=/dev/zero of=/dev/null bs=4M count=2 2>/dev/null && echo small-ok; dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null && echo big-ok; echo end"]
    | .linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
  run berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *small-ok* ]]
  [[ "$output" != *big-ok* ]]
  [[ "$output" == *end* ]]
  assert_no_leftovers "$ID"
}

@test "resources: a cpu quota of 10 % keeps a busy loop near 10 % of one CPU" {
  make_bundle "$B" '.process.args = ["sh", "-c", "while :; do :; done"]
    | .linux.resources.cpu = {"quota": 10000, "period": 100000}'
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  # cpu time used, in microseconds
  usage() {
    if $V2; then
      awk '$1 == "usage_usec" { print $2 }' "$(cg_dir cpu)/cpu.stat"
    else
      echo $(($(cat "$(cg_dir cpuacct)/cpuacct.usage") / 1000))
    fi
  }
  local u0 u1 t0 t1
  sleep 0.3 # let it start
  u0="$(usage)" t0="$EPOCHREALTIME"
  sleep 3
  u1="$(usage)" t1="$EPOCHREALTIME"
  local share
  share="$(awk -v u="$((u1 - u0))" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", u / ((b - a) * 1e6) }')"
  echo "cpu share over $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s: $share"
  awk -v s="$share" 'BEGIN { exit !(s > 0.03 && s < 0.2) }'
}

@test "resources: an io throttle of 1 MiB/s bounds a direct dd to a loop device" {
  truncate -s 16M "$BATS_TEST_TMPDIR/disk"
  LOOP="$(losetup -f --show "$BATS_TEST_TMPDIR/disk" 2>/dev/null)" || skip "no loop devices here"
  local major minor
  major=$((0x$(stat -c %t "$LOOP"))) minor=$((0x$(stat -c %T "$LOOP")))
  make_bundle "$B" '.process.args = ["dd", "if=/dev/zero", "of=/dev/disk", "bs=64k", "count=48", "oflag=direct"]
    | .linux.devices = [{"path": "/dev/disk", "type": "b", "major": $ma, "minor": $mi}]
    | .linux.resources.devices += [{"allow": true, "type": "b", "major": $ma, "minor": $mi, "access": "rw"}]
    | .linux.resources.blockIO = {"throttleWriteBpsDevice": [{"major": $ma, "minor": $mi, "rate": 1048576}],
                                  "throttleReadIOPSDevice": [{"major": $ma, "minor": $mi, "rate": 1000}]}' \
    --argjson ma "$major" --argjson mi "$minor"
  # the values, read while it runs
  bundle_edit "$B" '.process.args = ["sh", "-c", "sleep 1000"]'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  if $V2; then
    grep -qx "$major:$minor rbps=max wbps=1048576 riops=1000 wiops=max" "$(cg_dir io)/io.max"
  else
    grep -qx "$major:$minor 1048576" "$(cg_dir blkio)/blkio.throttle.write_bps_device"
    grep -qx "$major:$minor 1000" "$(cg_dir blkio)/blkio.throttle.read_iops_device"
  fi
  berth delete --force "$ID"

  # 3 MiB at 1 MiB/s: about 3 s (the first slice may go faster)
  bundle_edit "$B" '.process.args = ["dd", "if=/dev/zero", "of=/dev/disk", "bs=64k", "count=48", "oflag=direct"]'
  local t0 t1
  t0="$EPOCHREALTIME"
  run berth run --bundle "$B" "$ID"
  t1="$EPOCHREALTIME"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"3145728 bytes"* || "$output" == *"48+0 records out"* ]]
  echo "took $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s"
  awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a > 1.8) }'
  assert_no_leftovers "$ID"
}

@test "resources: device rules deny what is not allowed, the last matching rule wins" {
  # 240-254 are local/experimental majors with no driver: an allowed open
  # fails with ENXIO, a denied one with EPERM before the driver is looked up
  make_bundle "$B" '.process.args = ["sh", "-c", "mknod /tmp/a c 240 0 && mknod /tmp/b c 240 1 && mknod /tmp/n c 1 3 || exit 9; cat /tmp/a; cat /tmp/b; echo x > /tmp/b; echo ok > /tmp/n && echo null-ok"]
    | .root.readonly = false | .process.capabilities |= with_entries(.value += ["CAP_MKNOD"])
    | .linux.resources.devices += [{"allow": true, "type": "c", "major": 240, "minor": 1, "access": "rwm"},
                                   {"allow": false, "type": "c", "major": 240, "minor": 1, "access": "w"}]'
  run berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -ne 9 ] # mknod of any node is allowed (opening it is not)
  [[ "$output" == *"/tmp/a"*"Operation not permitted"* ]]
  [[ "$output" == *"/tmp/b"*"No such device or address"* ]] # read: allowed
  [[ "$output" == *"can't create /tmp/b: Operation not permitted"* ]] # write: denied by the later rule
  [[ "$output" == *null-ok* ]] # a default device
  assert_no_leftovers "$ID"
}

@test "resources: hugepage limits and unified keys (a clear error for v1 controllers on hybrid)" {
  [[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ]] || skip "no 2 MiB huge pages"
  make_bundle "$B" '.process.args = ["sleep", "1000"]
    | .linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]
    | .linux.resources.unified = {"hugetlb.1GB.max": "0"}'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  local h
  h="$(cg_dir hugetlb)"
  if [[ -f "$h/hugetlb.2MB.max" ]]; then
    [ "$(cat "$h/hugetlb.2MB.max")" = 4194304 ]
  else
    [ "$(cat "$h/hugetlb.2MB.limit_in_bytes")" = 4194304 ]
  fi
  berth delete --force "$ID"

  bundle_edit "$B" '.linux.resources = {"unified": {"memory.high": "52428800"}}'
  detached create --bundle "$B" "$ID"
  if $V2; then
    [ "$status" -eq 0 ] || { echo "$output"; false; }
    [ "$(cat "$(cg_dir memory)/memory.high")" = 52428800 ]
    berth delete --force "$ID"
  else
    [ "$status" -ne 0 ]
    [[ "$output" == *'.linux.resources.unified.memory.high: this host is hybrid'* ]]
  fi
  assert_no_leftovers "$ID"
}

@test "resources: a value the kernel rejects names the field and leaves no cgroup" {
  make_bundle "$B" '.process.args = ["true"] | .linux.resources.cpu = {"cpus": "4095"}'
  detached create --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *'.linux.resources.cpu.cpus: set cpuset.cpus to 4095:'* ]]
  assert_no_leftovers "$ID"

  make_bundle "$B" '.process.args = ["true"] | .linux.resources.devices += [{"allow": true, "type": "x"}]'
  detached create --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *'.linux.resources.devices[1].type'* ]]
  assert_no_leftovers "$ID"
}
