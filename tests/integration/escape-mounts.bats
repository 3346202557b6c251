#!/usr/bin/env bats
# A hostile config or image against the mount table (issue 10, items 3, 4
# and 6): each test performs the attack for real and checks the host.
#   --no-pivot: no host procfs/sysfs left in the container's mount namespace
#   no "mount" namespace: the caller's mounts untouched, chroot only
#   rbind + ro: every submount read-only too
# Anything that could touch the caller's mount table on a broken berth runs
# in a throw-away mount namespace (unshare -m: private, nothing propagates
# back to this machine).

load ../helpers

setup() {
  ID="$(unique_id escm)"
  T="$BATS_TEST_TMPDIR"
  B="$T/b"
  CORE_PATTERN_SAVED="$(cat /proc/sys/kernel/core_pattern)"
}

teardown() {
  cleanup_containers
  if [[ "$(cat /proc/sys/kernel/core_pattern)" != "$CORE_PATTERN_SAVED" ]]; then
    printf '%s\n' "$CORE_PATTERN_SAVED" >/proc/sys/kernel/core_pattern
  fi
  if mountpoint -q "$T/hostdir/sub" 2>/dev/null; then umount "$T/hostdir/sub"; fi
  if [[ -n "${USERNS_DIR:-}" ]]; then rm -rf "$USERNS_DIR"; fi
}

# the attack of item 3: a nested user+mount+pid namespace (CAP_SETFCAP
# lets it map uid 0) mounts a fresh procfs, which the kernel allows only
# when a procfs is "fully visible" somewhere in the mount namespace, and
# writes core_pattern's current value back through it (never a new one)
PROC_ATTACK='unshare -mrpf sh -c '\''mount -t proc proc /tmp && echo MOUNTED && v="$(cat /tmp/sys/kernel/core_pattern)" && printf "%s\n" "$v" >/tmp/sys/kernel/core_pattern && echo WROTE'\'''
SYSFS_ATTACK='unshare -mrpfn sh -c '\''mount -t sysfs sysfs /tmp && echo MOUNTED'\'''

attack_bundle() {
  make_bundle "$B" '.process.args = ["sh", "-c", $cmd]
      | .process.capabilities |= with_entries(.value += ["CAP_SETFCAP"])' --arg cmd "$1"
}

@test "--no-pivot: a nested user namespace cannot mount a fresh procfs or sysfs (host procfs detached)" {
  attack_bundle "$PROC_ATTACK"
  run berth run --no-pivot --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" != *MOUNTED* ]]
  [[ "$output" == *"permission denied"* ]]
  [ "$(cat /proc/sys/kernel/core_pattern)" = "$CORE_PATTERN_SAVED" ]
  assert_no_leftovers "$ID"

  attack_bundle "$SYSFS_ATTACK"
  run berth run --no-pivot --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" != *MOUNTED* ]]
  assert_no_leftovers "$ID"

  # runc 1.1.5, the oracle, refuses the same on the same bundle
  attack_bundle "$PROC_ATTACK"
  run oracle_runc run --no-pivot --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" != *MOUNTED* ]]
}

@test "--no-pivot with a user namespace: the locked host mounts are covered, the attack still fails" {
  # the bats tmpdir is 0700: the container's root (uid 100000) needs a way in
  USERNS_DIR="$(mktemp -d /tmp/berth-test-escm.XXXXXX)"
  chmod 755 "$USERNS_DIR"
  B="$USERNS_DIR/b"
  attack_bundle "$PROC_ATTACK"
  bundle_edit "$B" '.linux.namespaces += [{"type": "user"}]
      | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
      | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  chown -R 100000:100000 "$B/rootfs"
  run berth run --no-pivot --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" != *MOUNTED* ]]
  [[ "$output" == *"permission denied"* ]]
  [ "$(cat /proc/sys/kernel/core_pattern)" = "$CORE_PATTERN_SAVED" ]
  assert_no_leftovers "$ID"
  [ "$(grep -c "$USERNS_DIR" /proc/self/mountinfo)" = 0 ]
}

@test "--no-pivot with a shared rootfsPropagation: detaching the old root unmounts nothing of the caller's" {
  # the throw-away namespace stands for a host whose mounts are all shared
  attack_bundle "$PROC_ATTACK"
  export ID B
  local prop
  for prop in shared rshared; do
    bundle_edit "$B" '.linux.rootfsPropagation = $p' --arg p "$prop"
    run unshare -m bash -c '
      mount --make-rshared / || exit 99
      cut -d" " -f5 /proc/self/mountinfo >"$T/mp_before"
      "$BERTH" --root "$BERTH_ROOT" run --no-pivot --bundle "$B" "$ID"
      rc=$?
      cut -d" " -f5 /proc/self/mountinfo >"$T/mp_after"
      exit $rc'
    echo "$prop: $output"
    [ "$status" -eq 1 ]
    [[ "$output" != *MOUNTED* ]]
    [[ "$output" == *"permission denied"* ]]
    cmp "$T/mp_before" "$T/mp_after"
    grep -qx /proc "$T/mp_after"
    assert_no_leftovers "$ID"
  done
}

@test "--no-pivot: the container still gets its own /proc, /sys and /dev" {
  make_bundle "$B" '.process.args = ["sh", "-c", "cat /proc/self/mountinfo; ls /dev/null /sys/kernel >/dev/null && echo OK"]'
  run berth run --no-pivot --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [[ "$output" == *OK* ]]
  assert_no_leftovers "$ID"
}

# in_throwaway_ns SCRIPT: bash -c SCRIPT in a new private mount namespace
# whose / is made rshared first (so a propagation change would show), with
# $mi_before/$mi_after files holding its mountinfo around the script
in_throwaway_ns() {
  run unshare -m bash -c '
    mount --make-rshared / || exit 99
    cat /proc/self/mountinfo >"$T/mi_before"
    rc=0
    eval "$1" || rc=$?
    cat /proc/self/mountinfo >"$T/mi_after" 2>&1 || echo "mountinfo unreadable" >"$T/mi_after"
    exit $rc' _ "$1"
}
export T BERTH BERTH_ROOT

no_mountns_bundle() {
  make_bundle "$B" '.process.args = ["sh", "-c", $cmd]
      | .linux.namespaces |= map(select(.type != "mount"))
      | .mounts = [] | .linux.maskedPaths = [] | .linux.readonlyPaths = []
      | .root.readonly = false' --arg cmd "$1"
}

@test "no mount namespace: the caller's mountinfo is byte-identical, the process runs chrooted in root.path" {
  no_mountns_bundle 'cat /where; echo chrooted >/marker; [ -e /old_root ] || [ -e /proc/1 ] || echo NO_HOST'
  echo in-the-rootfs >"$B/rootfs/where"
  B2="$T/b2"
  cp -a "$B" "$B2"
  bundle_edit "$B2" '.process.args = ["sleep", "1000"]'
  export ID B B2
  in_throwaway_ns '
    "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID" || exit 1
    "$BERTH" --root "$BERTH_ROOT" run -d --bundle "$B2" "$ID-d" </dev/null >/dev/null 2>&1 || exit 2
    "$BERTH" --root "$BERTH_ROOT" exec "$ID-d" cat /where || exit 3
    "$BERTH" --root "$BERTH_ROOT" delete --force "$ID-d" || exit 4'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = in-the-rootfs ]
  [ "${lines[1]}" = NO_HOST ]
  [ "${lines[2]}" = in-the-rootfs ] # exec gets the chroot too
  [ "$(cat "$B/rootfs/marker")" = chrooted ]
  cmp "$T/mi_before" "$T/mi_after"
  assert_no_leftovers "$ID"
  assert_no_leftovers "$ID-d"
}

@test "no mount namespace: what needs a mount is refused naming the field, nothing is left, nothing is mounted" {
  no_mountns_bundle 'echo RAN'
  local filters=(
    '.mounts = [{"destination": "/proc", "type": "proc", "source": "proc"}]'
    '.root.readonly = true'
    '.linux.maskedPaths = ["/proc/kcore"]'
    '.linux.readonlyPaths = ["/proc/sys"]'
    '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]'
    '.linux.rootfsPropagation = "rslave"'
    '.linux.sysctl = {"kernel.shmmax": "1000000"}'
  )
  local fields=(.mounts .root.readonly .linux.maskedPaths .linux.readonlyPaths .linux.devices
    .linux.rootfsPropagation .linux.sysctl)
  cp "$B/config.json" "$T/base.json"
  export ID B
  for i in "${!filters[@]}"; do
    jq "${filters[$i]}" "$T/base.json" >"$B/config.json"
    in_throwaway_ns '"$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID"'
    echo "${fields[$i]}: $output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"${fields[$i]}: needs a mount namespace"* ]]
    [[ "$output" != *RAN* ]]
    cmp "$T/mi_before" "$T/mi_after"
    assert_no_leftovers "$ID"
  done
}

@test "rbind with ro: every submount is read-only (and nosuid) too, the host dir untouched" {
  mkdir -p "$T/hostdir/sub"
  mount -t tmpfs berth-test-sub "$T/hostdir/sub"
  local type
  for type in bind rbind; do
    make_bundle "$B" '.process.args = ["sh", "-c",
          "cat /proc/self/mountinfo; touch /data/top; touch /data/sub/x; mkdir /data/sub/d; echo END"]
        | .mounts += [{"destination": "/data", "type": $t, "source": $s,
                       "options": ["rbind", "ro", "nosuid"]}]' \
      --arg s "$T/hostdir" --arg t "$type"
    run berth run --bundle "$B" "$ID"
    echo "$type: $output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"/data/sub/x: Read-only file system"* ]]
    [[ "$output" == *"/data/top: Read-only file system"* ]]
    local opts
    opts="$(awk '$5 == "/data/sub" { print $6 }' <<<"$output")"
    [[ ",$opts," == *,ro,* ]]
    [[ ",$opts," == *,nosuid,* ]]
    [ -z "$(ls -A "$T/hostdir/sub")" ]
    [ ! -e "$T/hostdir/top" ]
  done
  # the host's own submount kept its options, and is the only mount left
  [[ ",$(findmnt -no OPTIONS "$T/hostdir/sub")," == *,rw,* ]]
  umount "$T/hostdir/sub"
  assert_no_leftovers "$ID"
}

@test "sysfs bound from the host (user namespace, host network): the cgroup mounts below are read-only too" {
  USERNS_DIR="$(mktemp -d /tmp/berth-test-escm.XXXXXX)"
  chmod 755 "$USERNS_DIR"
  B="$USERNS_DIR/b"
  make_bundle "$B" '.process.args = ["cat", "/proc/self/mountinfo"]
      | .linux.namespaces |= map(select(.type != "network"))
      | .linux.namespaces += [{"type": "user"}]
      | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
      | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  chown -R 100000:100000 "$B/rootfs"
  run berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  # every mount at or below /sys (the host's, bound rbind with ro) is ro
  local below
  below="$(awk '$5 == "/sys" || index($5, "/sys/") == 1 { print $5, $6 }' <<<"$output")"
  [ "$(wc -l <<<"$below")" -gt 2 ]
  ! grep -v ' ro,' <<<"$below" || false
  assert_no_leftovers "$ID"
  [ "$(grep -c "$USERNS_DIR" /proc/self/mountinfo)" = 0 ]
}

@test "a mount namespace path naming the caller's own namespace is refused, the caller's mounts untouched" {
  # never /proc/1/ns/mnt here: on a broken berth that would be this machine's
  no_mountns_bundle 'echo RAN'
  bundle_edit "$B" '.linux.namespaces += [{"type": "mount", "path": "/proc/self/ns/mnt"}]'
  export ID B
  in_throwaway_ns '"$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID"'
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"mount namespace path /proc/self/ns/mnt is the caller's own"* ]]
  [[ "$output" != *RAN* ]]
  cmp "$T/mi_before" "$T/mi_after"
  assert_no_leftovers "$ID"
}
