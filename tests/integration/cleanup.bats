#!/usr/bin/env bats
# The harness checks itself: the bundle helpers make something that runs,
# the leftover checks really fail on a leftover, and a deleted container
# leaves nothing behind.

load ../helpers

setup() {
  ID="$(unique_id cleanup)"
  PLANTED=() # cgroup dirs and mounts a test made on purpose
  PARENTS=() # cgroup parents a test made; removed when empty
}

teardown() {
  local p
  for p in "${PLANTED[@]}"; do
    if [[ -d "$p" && "$p" == /sys/fs/cgroup/* ]]; then rmdir "$p"; fi
    if mountpoint -q "$p"; then umount "$p"; fi
  done
  for p in "${PARENTS[@]}"; do
    rmdir "$p" 2>/dev/null || true
  done
  cleanup_containers
}

# has_command NAME: is NAME a registered berth command?
has_command() {
  "$BERTH" "$1" --help >/dev/null 2>&1
}

@test "make_busybox_rootfs: a static busybox that runs in a chroot, with root and nobody" {
  local r="$BATS_TEST_TMPDIR/rootfs"
  make_busybox_rootfs "$r"
  for d in proc sys dev tmp; do
    [ -d "$r/$d" ]
    [ -z "$(ls -A "$r/$d")" ]
  done
  [ "$(readlink "$r/bin/sh")" = busybox ]
  [ "$(stat -c %a "$r/tmp")" = 1777 ]
  run chroot "$r" /bin/sh -c 'echo hi from $(id -un) in $(pwd); grep -c . /etc/passwd; cut -d: -f1 /etc/group'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "hi from root in /" ]
  [ "${lines[1]}" = 2 ]
  [ "${lines[2]}" = root ]
  [ "${lines[3]}" = nobody ]
  # a second rootfs comes from the cached template and is the same
  make_busybox_rootfs "$BATS_TEST_TMPDIR/rootfs2"
  diff -r --no-dereference "$r" "$BATS_TEST_TMPDIR/rootfs2"
}

@test "make_bundle: berth spec + terminal=false + the jq filter" {
  local b="$BATS_TEST_TMPDIR/bundle"
  make_bundle "$b" '.process.args = ["echo", $w] | .hostname = "box"' --arg w hello
  [ -x "$b/rootfs/bin/busybox" ]
  run jq -c '[.process.terminal, .process.args, .hostname, .root.path]' "$b/config.json"
  [ "$status" -eq 0 ]
  [ "$output" = '[false,["echo","hello"],"box","rootfs"]' ]
  bundle_edit "$b" '.process.cwd = "/tmp"'
  [ "$(jq -r .process.cwd "$b/config.json")" = /tmp ]
  # a bad filter fails and leaves config.json as it was
  run bundle_edit "$b" '.process.args = ['
  [ "$status" -ne 0 ]
  [ "$(jq -r .process.cwd "$b/config.json")" = /tmp ]
}

@test "assert_no_leftovers fails on a cgroup dir of the container" {
  local cg
  assert_no_leftovers "$ID"
  cg="$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) ~ /^cgroup2?$/) { print $5; exit } break } }' /proc/self/mountinfo)"
  [ -n "$cg" ]
  [ -d "$cg/berth" ] || PARENTS+=("$cg/berth")
  mkdir -p "$cg/berth"
  mkdir "$cg/berth/$ID"
  PLANTED+=("$cg/berth/$ID")
  run assert_no_leftovers "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cgroup $cg/berth/$ID"* ]]
  # and on a custom cgroupsPath
  [ -d "$cg$BERTH_TEST_CGROUP_PREFIX" ] || PARENTS+=("$cg$BERTH_TEST_CGROUP_PREFIX")
  mkdir -p "$cg$BERTH_TEST_CGROUP_PREFIX"
  mkdir "$cg$BERTH_TEST_CGROUP_PREFIX/$ID"
  PLANTED+=("$cg$BERTH_TEST_CGROUP_PREFIX/$ID")
  run assert_no_leftovers "$ID" "$BERTH_TEST_CGROUP_PREFIX/$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"cgroup $cg$BERTH_TEST_CGROUP_PREFIX/$ID"* ]]
  rmdir "$cg/berth/$ID" "$cg$BERTH_TEST_CGROUP_PREFIX/$ID"
  assert_no_leftovers "$ID"
  assert_no_leftovers "$ID" "$BERTH_TEST_CGROUP_PREFIX/$ID"
}

@test "assert_no_leftovers fails on a state dir and on a mount under the test's tmpdir" {
  mkdir -p "$BERTH_ROOT/$ID"
  run assert_no_leftovers "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"state dir $BERTH_ROOT/$ID"* ]]
  rmdir "$BERTH_ROOT/$ID"

  mkdir "$BATS_TEST_TMPDIR/m"
  mount -t tmpfs leftover-check "$BATS_TEST_TMPDIR/m"
  PLANTED+=("$BATS_TEST_TMPDIR/m")
  run assert_no_leftovers "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"mount $BATS_TEST_TMPDIR/m"* ]]
  umount "$BATS_TEST_TMPDIR/m"
  assert_no_leftovers "$ID"
}

@test "delete --force of a running container leaves no process, cgroup, mount or state" {
  has_command create && has_command start || skip "create/start not registered yet"
  local b="$BATS_TEST_TMPDIR/bundle"
  make_bundle "$b" '.process.args = ["sleep", "1000"]'
  berth create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  berth start "$ID"
  local pid
  pid="$(cat "$BATS_TEST_TMPDIR/pid")"
  kill -0 "$pid"
  [ -n "$(berth_cgroup_dirs "$ID")" ]
  berth delete --force "$ID"
  assert_no_leftovers "$ID"
  # the init is gone (a zombie would still answer kill -0, so look at its state)
  for _ in $(seq 50); do
    [[ ! -e /proc/$pid || "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == Z ]] && break
    sleep 0.1
  done
  [[ ! -e /proc/$pid || "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == Z ]]
}

@test "cleanup_containers deletes every container in the private root" {
  has_command create || skip "create not registered yet"
  local b="$BATS_TEST_TMPDIR/bundle" ids=("$ID-a" "$ID-b")
  make_bundle "$b" '.process.args = ["true"]'
  for id in "${ids[@]}"; do
    berth create --bundle "$b" "$id"
  done
  [ "$(ls "$BERTH_ROOT" | wc -l)" -eq 2 ]
  cleanup_containers
  for id in "${ids[@]}"; do
    assert_no_leftovers "$id"
  done
}

@test "a failed create leaves nothing behind" {
  has_command create || skip "create not registered yet"
  local b="$BATS_TEST_TMPDIR/bundle"
  make_bundle "$b" '.process.args = ["/no/such/program"] | .root.path = "missing-rootfs"'
  run berth create --bundle "$b" "$ID"
  [ "$status" -ne 0 ]
  assert_no_leftovers "$ID"
}
