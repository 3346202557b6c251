#!/usr/bin/env bats
# User namespaces and what berth prepares for them on the host side: bind
# sources the mapped root cannot reach, linux.devices the host does not
# have, id-mapped bind mounts (mounts[].uidMappings/gidMappings, idmap,
# ridmap), and the refusal of a user namespace without mappings.

load ../helpers

USERNS='.linux.namespaces += [{type: "user"}]
  | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
  | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'

setup() {
  ID="$(unique_id userns)"
  # the container's root (host uid 100000) must reach the rootfs: bats's
  # tmpdirs are 0700, so the bundle lives in a world-searchable dir
  USERNS_DIR="$(mktemp -d /tmp/berth-test-userns.XXXXXX)"
  chmod 755 "$USERNS_DIR"
  B="$USERNS_DIR/b"
  RO_MOUNT=""
}

teardown() {
  cleanup_containers
  if [[ -n "$RO_MOUNT" ]]; then
    chmod 755 "$USERNS_DIR/locked" 2>/dev/null || true
    if mountpoint -q "$RO_MOUNT/sub" 2>/dev/null; then umount "$RO_MOUNT/sub"; fi
    if mountpoint -q "$RO_MOUNT"; then umount "$RO_MOUNT"; fi
  fi
  if [[ -n "${USERNS_DIR:-}" ]]; then
    chmod -R u+rwx "$USERNS_DIR" 2>/dev/null || true
    rm -rf "$USERNS_DIR"
  fi
}

# userns_bundle SHELL-COMMAND [FILTER [JQ-OPTIONS...]]: $B runs sh -c
# SHELL-COMMAND in a new user namespace (root = host 100000)
userns_bundle() {
  local cmd=$1
  shift
  make_bundle "$B" '.process.args = ["sh", "-c", $cmd] | '"$USERNS" --arg cmd "$cmd"
  chown -R 100000:100000 "$B/rootfs"
  if (($# > 0)); then bundle_edit "$B" "$@"; fi
}

# skip_without_idmap_fs: id-mapped mounts need the filesystem's support
# (tmpfs only since Linux 6.3: the VM's /tmp on 6.1 has none)
skip_without_idmap_fs() {
  local fs kver
  fs="$(stat -f -c %T "$USERNS_DIR")"
  kver="$(uname -r | awk -F. '{ printf "%d%03d", $1, $2 }')"
  case "$fs" in
  ext2/ext3 | xfs | btrfs) ;;
  tmpfs) ((kver >= 6003)) || skip "tmpfs has no id-mapped mounts before Linux 6.3" ;;
  *) skip "no id-mapped mounts known on $fs" ;;
  esac
}

no_mounts_left() {
  assert_no_leftovers "$ID"
  [ "$(grep -c "$USERNS_DIR" /proc/self/mountinfo)" = 0 ]
}

@test "user namespace: a bind source under a root:root 0000 directory binds and reads" {
  mkdir -p "$USERNS_DIR/locked/src"
  echo secret-for-the-container >"$USERNS_DIR/locked/src/f"
  chmod 755 "$USERNS_DIR/locked/src"
  chmod 644 "$USERNS_DIR/locked/src/f"
  chown root:root "$USERNS_DIR/locked"
  chmod 0000 "$USERNS_DIR/locked"
  userns_bundle 'cat /data/f; ls /data' \
    '.mounts += [{destination: "/data", type: "bind", source: $s, options: ["rbind", "ro"]}]' \
    --arg s "$USERNS_DIR/locked/src"
  run berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = secret-for-the-container ]
  no_mounts_left
  [ "$(stat -c %a "$USERNS_DIR/locked")" = 0 ]
}

@test "user namespace: a source the mapped root can reach is still bound from inside (the host's locks stay)" {
  # a read-only host mount bound into the container: made inside the
  # user namespace, the kernel locks its read-only flag, so the
  # container's root cannot remount it read-write
  mkdir -p "$USERNS_DIR/rosrc"
  echo canary >"$USERNS_DIR/rosrc/f"
  chmod 666 "$USERNS_DIR/rosrc/f"
  RO_MOUNT="$USERNS_DIR/rosrc"
  mount --bind "$RO_MOUNT" "$RO_MOUNT"
  mount -o remount,bind,ro "$RO_MOUNT"
  userns_bundle 'mount -o remount,bind,rw /data && echo REMOUNTED; echo attack >/data/f; cat /data/f' \
    '.mounts += [{destination: "/data", type: "bind", source: $s, options: ["bind"]}]
     | .process.capabilities = {bounding: ["CAP_SYS_ADMIN"], effective: ["CAP_SYS_ADMIN"], permitted: ["CAP_SYS_ADMIN"]}' \
    --arg s "$RO_MOUNT"
  run berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" != *REMOUNTED* ]]
  [ "$(cat "$RO_MOUNT/f")" = canary ]
}

@test "user namespace: a read-only host mount under a 0000 directory is not handed over unlocked" {
  mkdir -p "$USERNS_DIR/locked/rosrc"
  echo canary >"$USERNS_DIR/locked/rosrc/f"
  chmod 755 "$USERNS_DIR/locked/rosrc"
  chmod 666 "$USERNS_DIR/locked/rosrc/f"
  RO_MOUNT="$USERNS_DIR/locked/rosrc"
  mount --bind "$RO_MOUNT" "$RO_MOUNT"
  mount -o remount,bind,ro "$RO_MOUNT"
  chmod 0000 "$USERNS_DIR/locked"
  userns_bundle 'mount -o remount,bind,rw /data; echo attack >/data/f' \
    '.mounts += [{destination: "/data", type: "bind", source: $s, options: ["bind"]}]
     | .process.capabilities = {bounding: ["CAP_SYS_ADMIN"], effective: ["CAP_SYS_ADMIN"], permitted: ["CAP_SYS_ADMIN"]}' \
    --arg s "$RO_MOUNT"
  run berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"bind source $RO_MOUNT"*EACCES* ]]
  chmod 755 "$USERNS_DIR/locked"
  [ "$(cat "$RO_MOUNT/f")" = canary ]
  assert_no_leftovers "$ID"
}

@test "user namespace: a linux.devices node the host does not have is made and works" {
  [ ! -e /dev/berthtest-null ]
  userns_bundle 'stat -c "%t:%T %a %u:%g" /dev/berthtest-null; echo x >/dev/berthtest-null && echo written; head -c 3 /dev/berthtest-null | wc -c' \
    '.linux.devices = [{path: "/dev/berthtest-null", type: "c", major: 1, minor: 3, fileMode: 432, uid: 0, gid: 5}]'
  run berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "1:3 660 0:5" ]
  [ "${lines[1]}" = written ]
  [ "${lines[2]}" = 0 ]
  [ ! -e /dev/berthtest-null ]
  no_mounts_left
}

@test "user namespace: a linux.devices uid outside the mappings is refused, naming the field" {
  userns_bundle 'true' \
    '.linux.devices = [{path: "/dev/berthtest-null", type: "c", major: 1, minor: 3, uid: 70000}]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *".linux.devices[0].uid: 70000 is not mapped in .linux.uidMappings"* ]]
  assert_no_leftovers "$ID"
}

@test "a new user namespace without gidMappings is refused at create, naming the field" {
  userns_bundle 'true' 'del(.linux.gidMappings)'
  run berth create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *".linux.gidMappings: a new user namespace needs at least one gid mapping"* ]]
  [[ "$output" != *setresgid* ]]
  assert_no_leftovers "$ID"
}

@test "id-mapped bind: files of host uid 1000 are the container's root's, and its new files are 1000's" {
  skip_without_idmap_fs
  mkdir -p "$USERNS_DIR/idm"
  echo hello >"$USERNS_DIR/idm/f"
  chown -R 1000:1000 "$USERNS_DIR/idm"
  chmod 755 "$USERNS_DIR/idm"
  userns_bundle 'stat -c "%u:%g" /idm /idm/f; echo new >/idm/new && echo written; grep " /idm " /proc/self/mountinfo' \
    '.mounts += [{destination: "/idm", type: "bind", source: $s, options: ["bind"],
                  uidMappings: [{containerID: 1000, hostID: 100000, size: 1}],
                  gidMappings: [{containerID: 1000, hostID: 100000, size: 1}]}]' \
    --arg s "$USERNS_DIR/idm"
  run berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0:0 ]
  [ "${lines[1]}" = 0:0 ]
  [ "${lines[2]}" = written ]
  [[ "${lines[3]}" == *idmapped* ]]
  [ "$(stat -c %u:%g "$USERNS_DIR/idm/new")" = 1000:1000 ]
  [ "$(stat -c %u:%g "$USERNS_DIR/idm/f")" = 1000:1000 ]
  no_mounts_left
}

@test "id-mapped bind: option idmap takes the container's mappings; without a user namespace too" {
  skip_without_idmap_fs
  mkdir -p "$USERNS_DIR/idm"
  chown 100000:100000 "$USERNS_DIR/idm"
  echo x >"$USERNS_DIR/idm/f"
  chown 0:0 "$USERNS_DIR/idm/f"
  # the container's mappings (0 -> 100000): the host's root file is the
  # container's root's, seen through a user namespace as 0
  userns_bundle 'stat -c "%u:%g" /idm/f' \
    '.mounts += [{destination: "/idm", type: "bind", source: $s, options: ["bind", "idmap"]}]' \
    --arg s "$USERNS_DIR/idm"
  run berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0:0 ]
  berth delete --force "$ID"
  # no user namespace: the mapping alone (disk uid 0 -> 4242)
  make_bundle "$B" '.process.args = ["stat", "-c", "%u:%g", "/idm/f"]
    | .mounts += [{destination: "/idm", type: "bind", source: $s, options: ["rbind", "ridmap"],
                   uidMappings: [{containerID: 0, hostID: 4242, size: 1}],
                   gidMappings: [{containerID: 0, hostID: 4243, size: 1}]}]' --arg s "$USERNS_DIR/idm"
  run berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 4242:4243 ]
  no_mounts_left
}

@test "id-mapped mounts: bad ones are refused at create, naming the field" {
  userns_bundle 'true' '.mounts += [{destination: "/t", type: "tmpfs", source: "tmpfs", options: ["idmap"]}]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *".mounts["*"]: id-mapped mounts (idmap, ridmap, uidMappings) are bind mounts only, not tmpfs"* ]]
  assert_no_leftovers "$ID"
  make_bundle "$B" '.mounts += [{destination: "/t", type: "bind", source: "/tmp", options: ["bind", "idmap"]}]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"idmap without mappings of the mount's own needs the container's .linux.uidMappings"* ]]
  make_bundle "$B" '.mounts += [{destination: "/t", type: "bind", source: "/tmp", options: ["bind"],
                                 uidMappings: [{containerID: 0, hostID: 1, size: 1}]}]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *".gidMappings: an id-mapped mount needs both uidMappings and gidMappings"* ]]
  assert_no_leftovers "$ID"
}

@test "features: id-mapped mounts are supported" {
  run berth features
  [ "$status" -eq 0 ]
  [ "$(jq -r '.linux.mountExtensions.idmap.enabled' <<<"$output")" = true ]
  jq -e '.mountOptions | index("idmap") and index("ridmap")' <<<"$output"
}

@test "user namespace: a mount the container makes on a host-side copy of a shared source does not reach the host" {
  mkdir -p "$USERNS_DIR/locked/shared/sub"
  chmod 755 "$USERNS_DIR/locked/shared" "$USERNS_DIR/locked/shared/sub"
  RO_MOUNT="$USERNS_DIR/locked/shared"
  mount --bind "$RO_MOUNT" "$RO_MOUNT"
  mount --make-shared "$RO_MOUNT"
  chmod 0000 "$USERNS_DIR/locked"
  userns_bundle 'mount -t tmpfs none /data/sub && echo mounted; grep " /data" /proc/self/mountinfo' \
    '.mounts += [{destination: "/data", type: "bind", source: $s, options: ["bind"]}]
     | .process.capabilities = {bounding: ["CAP_SYS_ADMIN"], effective: ["CAP_SYS_ADMIN"], permitted: ["CAP_SYS_ADMIN"]}' \
    --arg s "$RO_MOUNT"
  run berth run --bundle "$B" "$ID"
  echo "$output"
  chmod 755 "$USERNS_DIR/locked"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = mounted ]
  ! mountpoint -q "$RO_MOUNT/sub"
  ! grep -q "$RO_MOUNT/sub" /proc/self/mountinfo
}
