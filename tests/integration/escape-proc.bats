#!/usr/bin/env bats
# Issue 10 item 2: mounts that land in /proc, and berth's own procfs writes
# that a mount could redirect. Each test performs the attack for real and
# checks the host afterwards: the host sysctl and the host files are
# unchanged, nothing new is mounted under the host's /proc.

load ../helpers

setup() {
  ID="$(unique_id eproc)"
  B="$BATS_TEST_TMPDIR/b"
  T="$BATS_TEST_TMPDIR"
  make_bundle "$B" '.process.args = ["true"] | .root.readonly = false'
  cp "$B/config.json" "$T/base.json"
  # the host sysctl the attacks aim at: restored in teardown whatever happens
  SAVED_STAT_INTERVAL="$(cat /proc/sys/vm/stat_interval)"
  EVIL_STAT_INTERVAL=$((SAVED_STAT_INTERVAL + 6))
  HOST_PROC_MOUNTS="$(host_proc_mounts)"
}

teardown() {
  cleanup_containers
  if [[ -n "${SAVED_STAT_INTERVAL:-}" ]]; then
    echo "$SAVED_STAT_INTERVAL" >/proc/sys/vm/stat_interval
  fi
}

# the host's mounts at or under /proc
host_proc_mounts() {
  awk '$5 == "/proc" || $5 ~ "^/proc/" { print $5, $9 }' /proc/self/mountinfo | sort
}

reset_config() {
  cp "$T/base.json" "$B/config.json"
  bundle_edit "$B" "$@"
}

host_is_untouched() {
  [ "$(cat /proc/sys/vm/stat_interval)" = "$SAVED_STAT_INTERVAL" ]
  [ "$(host_proc_mounts)" = "$HOST_PROC_MOUNTS" ]
}

@test "a symlink in the image into /proc: mounts below it are refused for every mount kind, the host sysctl is unchanged" {
  ln -s /proc/sys "$B/rootfs/data"
  ln -s ../proc "$B/rootfs/p"
  mkdir -p "$B/rootfs/deep"
  ln -s ../../../proc/sys/. "$B/rootfs/deep/sys"
  local sysctl='{"net.stat_interval": $v}'
  local m
  for m in \
    '{destination: "/data/net", type: "bind", source: "/proc/sys/vm", options: ["rbind"]}' \
    '{destination: "/data/kernel", type: "tmpfs", source: "tmpfs"}' \
    '{destination: "/p/sys/net", type: "none", source: "/proc/sys/vm", options: ["bind"]}' \
    '{destination: "/deep/sys/net", type: "bind", source: "/proc/sys/vm", options: ["bind"]}' \
    '{destination: "/data/vm", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup"]}' \
    '{destination: "/data/kernel", type: "mqueue", source: "mqueue"}' \
    '{destination: "/data/fs", type: "cgroup", source: "cgroup"}' \
    '{destination: "/p/cpuinfo", type: "bind", source: "/proc/sys/vm/stat_interval", options: ["bind"]}' \
    '{destination: "/data/kernel/core_pattern", type: "bind", source: "/dev/null", options: ["bind"]}'; do
    reset_config ".mounts += [$m] | .linux.sysctl = $sysctl" --arg v "$EVIL_STAT_INTERVAL"
    run berth run --bundle "$B" "$ID"
    echo "mount $m: $output"
    host_is_untouched
    [ "$status" -eq 1 ]
    [[ "$output" == *"is inside /proc"* ]]
    assert_no_leftovers "$ID"
  done
  # masked and read-only paths are no way in either
  for m in '.linux.maskedPaths += ["/data/kernel"]' '.linux.readonlyPaths += ["/p/sys/net"]'; do
    reset_config "$m"
    run berth run --bundle "$B" "$ID"
    echo "$m: $output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"is inside /proc"* ]]
    host_is_untouched
    assert_no_leftovers "$ID"
  done
}

@test "a mount at /proc must be procfs: a host dir bound there does not take the sysctls" {
  local host="$T/hostproc"
  mkdir -p "$host/sys/net/ipv4"
  echo canary >"$host/sys/net/ipv4/ip_forward"
  local m
  for m in \
    '{destination: "/proc", type: "bind", source: $h, options: ["rbind"]}' \
    '{destination: "//proc/", type: "none", source: $h, options: ["bind"]}' \
    '{destination: "/tmp/../proc", type: "proc", source: $h, options: ["bind"]}' \
    '{destination: "/proc/.", type: "tmpfs", source: "tmpfs"}' \
    '{destination: "/proc", type: "sysfs", source: "sysfs"}'; do
    reset_config ".mounts |= map(select(.destination != \"/proc\")) | .mounts += [$m]
      | .linux.sysctl = {\"net.ipv4.ip_forward\": \"1\"}" --arg h "$host"
    run berth run --bundle "$B" "$ID"
    echo "mount $m: $output"
    [ "$(cat "$host/sys/net/ipv4/ip_forward")" = canary ]
    [ "$(ls -A "$host/sys/net/ipv4")" = ip_forward ]
    host_is_untouched
    [ "$status" -eq 1 ]
    [[ "$output" == *"/proc must be procfs"* ]]
    assert_no_leftovers "$ID"
  done
}

@test "a bind of a real procfs at /proc (host pid namespace, as runc's rootless setup makes it) works" {
  # the mount runc's tests use for a container sharing the host's pid
  # namespace; also through a symlink to /proc the source is still procfs
  ln -s /proc "$T/proclink"
  local src
  for src in /proc "$T/proclink"; do
    reset_config '.linux.namespaces |= map(select(.type != "pid"))
      | .mounts |= map(if .destination == "/proc" then {destination: "/proc", type: "none", source: $s,
          options: ["rbind", "nosuid", "nodev", "noexec"]} else . end)
      | .process.args = ["sh", "-c", "test -e /proc/1/status && cat /proc/sys/kernel/ostype"]' --arg s "$src"
    run berth run --bundle "$B" "$ID"
    echo "$src: $output"
    [ "$status" -eq 0 ]
    [ "$output" = Linux ]
    host_is_untouched
    assert_no_leftovers "$ID"
  done
}

@test "the lxcfs case still works: a file bound over an allow-listed /proc file, by its own name only" {
  echo "fake cpuinfo" >"$T/cpuinfo"
  reset_config '.process.args = ["cat", "/proc/cpuinfo"]
    | .mounts += [{destination: "/proc/cpuinfo", type: "bind", source: $s, options: ["bind", "ro"]}]' \
    --arg s "$T/cpuinfo"
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = "fake cpuinfo" ]
  assert_no_leftovers "$ID"
  # the same file reached through a symlink is a mount into /proc
  ln -s /proc "$B/rootfs/p"
  reset_config '.mounts += [{destination: "/p/cpuinfo", type: "bind", source: $s, options: ["bind"]}]' \
    --arg s "$T/cpuinfo"
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"mount destination /p/cpuinfo is inside /proc"* ]]
  host_is_untouched
  assert_no_leftovers "$ID"
}

@test "a mount over /proc/sys/... made before the sysctl write (a createContainer hook) does not take it" {
  # the hook runs in the container's mount namespace, before pivot_root,
  # and covers the sysctl file with a host file
  echo canary >"$T/hostfile"
  reset_config '.process.args = ["cat", "/proc/sys/net/ipv4/conf/all/forwarding"]
    | .linux.sysctl = {"net.ipv4.ip_forward": "1"}
    | .hooks.createContainer = [{path: "/bin/sh",
        args: ["sh", "-c", "mount --bind \"$0\" \"$1/proc/sys/net/ipv4/ip_forward\"", $f, $r]}]' \
    --arg f "$T/hostfile" --arg r "$B/rootfs"
  run berth run --bundle "$B" "$ID"
  echo "$output"
  # the host file under the mount was not written...
  [ "$(cat "$T/hostfile")" = canary ]
  # ...the container's own network namespace got the sysctl
  [ "$status" -eq 0 ]
  [ "$output" = 1 ]
  host_is_untouched
  assert_no_leftovers "$ID"
}

@test "exec: a container that fakes its /proc cannot take berth's oom_score_adj write" {
  # a container root with CAP_SYS_ADMIN replaces /proc with a tmpfs that
  # has a writable self/oom_score_adj (a plain file)
  reset_config '.process.args = ["sh", "-c", "mount -t tmpfs fake /proc && mkdir /proc/self && echo 0 >/proc/self/oom_score_adj && touch /ready && sleep 1000"]
    | .process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"]
    | .process.capabilities.permitted += ["CAP_SYS_ADMIN"]
    | .linux.maskedPaths = [] | .linux.readonlyPaths = []'
  berth run -d --bundle "$B" "$ID" </dev/null >"$T/run.out" 2>&1
  local i
  for i in $(seq 100); do [ -e "$B/rootfs/ready" ] && break; sleep 0.1; done
  [ -e "$B/rootfs/ready" ]
  jq '.process | .args = ["sleep", "1000"] | .oomScoreAdj = 567' "$B/config.json" >"$T/process.json"
  berth exec -d --pid-file "$T/exec.pid" --process "$T/process.json" "$ID" </dev/null >"$T/exec.out" 2>&1
  # the kernel's value for the exec'd process, read on the host
  [ "$(cat "/proc/$(cat "$T/exec.pid")/oom_score_adj")" = 567 ]
  berth delete --force "$ID"
  host_is_untouched
  assert_no_leftovers "$ID"
}

@test "without procfs at /proc: masks are applied, not skipped silently, and the image's /proc/self redirects no mount" {
  # the image's /proc holds a fake self/fd/N for every fd berth may use
  mkdir -p "$B/rootfs/victim/fd" "$B/rootfs/canarydir"
  echo canary >"$B/rootfs/canarydir/file"
  local n
  for n in $(seq 0 64); do ln -s /canarydir "$B/rootfs/victim/fd/$n"; done
  ln -s /victim "$B/rootfs/proc/self"
  reset_config '.mounts |= map(select(.destination != "/proc"))
    | .process.args = ["sh", "-c", "cat /canarydir/file; ls -A /sys/firmware | wc -l"]'
  run berth --log "$T/log" run --bundle "$B" "$ID"
  echo "$output"
  cat "$T/log"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = canary ]
  [ "$(echo ${lines[1]})" = 0 ]
  grep -q "warning: the container's /proc is not procfs" "$T/log"
  host_is_untouched
  assert_no_leftovers "$ID"
}
