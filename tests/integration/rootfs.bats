#!/usr/bin/env bats
# The container's filesystem seen from inside: mounts and their options,
# read-only root, masked and read-only paths, devices, /dev symlinks, and
# the bad inputs (symlinks pointing out of the rootfs, /proc as a symlink,
# a missing rootfs).

load ../helpers

setup() {
  ID="$(unique_id rootfs)"
  B="$BATS_TEST_TMPDIR/b"
  HOST="$BATS_TEST_TMPDIR/host" # stands for the host's filesystem
  mkdir -p "$HOST"
}

teardown() {
  cleanup_containers
  if [[ -n "${USERNS_DIR:-}" ]]; then rm -rf "$USERNS_DIR"; fi
  if mountpoint -q "$HOST/src/sub" 2>/dev/null; then umount "$HOST/src/sub"; fi
}

# in_container SHELL-COMMAND [FILTER [JQ-OPTIONS...]]: a bundle running
# sh -c SHELL-COMMAND, edited by FILTER, run in the foreground
in_container() {
  local cmd=$1
  shift
  make_bundle "$B" '.process.args = ["sh", "-c", $cmd]' --arg cmd "$cmd"
  if (($# > 0)); then bundle_edit "$B" "$@"; fi
  run berth run --bundle "$B" "$ID"
}

# mount_opts MOUNTPOINT: the per-mount options (field 6) of the last
# mountinfo line for MOUNTPOINT in $output
mount_opts() {
  awk -v m="$1" '$5 == m { o = $6 } END { print o }' <<<"$output"
}

@test "default config: root read-only, proc/dev/sys mounted with runc's options" {
  in_container 'cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [[ "$(mount_opts /)" == ro,* ]]
  [[ "$(mount_opts /proc)" == rw,* ]]
  [[ "$(mount_opts /dev)" == *nosuid* ]]
  [[ "$(mount_opts /dev/pts)" == *noexec* ]]
  [[ "$(mount_opts /dev/shm)" == *nodev* ]]
  [[ "$(mount_opts /dev/mqueue)" == *nosuid* ]]
  [[ "$(mount_opts /sys)" == ro,* ]]
  [[ "$(mount_opts /sys/fs/cgroup)" == ro,* ]]
  grep -q ' /dev/pts .* - devpts ' <<<"$output"
  grep -q ' /proc .* - proc ' <<<"$output"
  assert_no_leftovers "$ID"
}

@test "the same mount points as runc for the default config" {
  make_bundle "$B" '.process.args = ["cat", "/proc/self/mountinfo"]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local ours theirs
  ours="$(awk '{ print $5 }' <<<"$output" | sort)"
  bundle_edit "$B" '.root.path = $r' --arg r "$B/rootfs"
  run oracle_runc run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  theirs="$(awk '{ print $5 }' <<<"$output" | sort)"
  diff <(echo "$ours") <(echo "$theirs")
}

@test "maskedPaths: files show /dev/null, directories an empty read-only tmpfs, missing ones skipped" {
  in_container 'wc -c </proc/keys; ls -A /proc/acpi | wc -l; touch /proc/acpi/x 2>&1; cat /proc/self/mountinfo' \
    '.linux.maskedPaths += ["/does/not/exist"]'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = 0 ]
  [[ "${lines[2]}" == *"Read-only file system"* ]]
  grep -q ' /proc/keys ' <<<"$output"
  grep -q ' /proc/acpi ro,.* - tmpfs ' <<<"$output"
  grep -q ' /sys/firmware ro,.* - tmpfs ' <<<"$output"
}

@test "readonlyPaths: bound read-only, recursively" {
  in_container 'echo 1 >/proc/sys/kernel/ns_last_pid 2>&1; cat /proc/self/mountinfo' \
    '.linux.readonlyPaths += ["/not/there"]'
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *"Read-only file system"* ]]
  [[ "$(mount_opts /proc/sys)" == ro,* ]]
  [[ "$(mount_opts /proc/bus)" == ro,* ]]
}

@test "root.readonly false: the root is writable" {
  in_container 'touch /written && echo yes; cat /proc/self/mountinfo' '.root.readonly = false'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = yes ]
  [[ "$(mount_opts /)" == rw,* ]]
  [ -e "$B/rootfs/written" ]
}

@test "default devices with their major:minor, /dev symlinks, ptmx" {
  in_container 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done
    for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "/dev/null character special file 1:3 666" ]
  [ "${lines[1]}" = "/dev/zero character special file 1:5 666" ]
  [ "${lines[2]}" = "/dev/full character special file 1:7 666" ]
  [ "${lines[3]}" = "/dev/random character special file 1:8 666" ]
  [ "${lines[4]}" = "/dev/urandom character special file 1:9 666" ]
  [ "${lines[5]}" = "/dev/tty character special file 5:0 666" ]
  [ "${lines[6]}" = "fd -> /proc/self/fd" ]
  [ "${lines[7]}" = "stdin -> /proc/self/fd/0" ]
  [ "${lines[8]}" = "stdout -> /proc/self/fd/1" ]
  [ "${lines[9]}" = "stderr -> /proc/self/fd/2" ]
  [ "${lines[10]}" = "ptmx -> pts/ptmx" ]
}

@test "linux.devices: type, major:minor, fileMode, uid, gid; nested path created" {
  in_container 'stat -c "%n %F %t:%T %a %u:%g" /dev/mynull /dev/sub/blk /dev/fifo' \
    '.linux.devices = [
       {path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 432, uid: 1000, gid: 1001},
       {path: "/dev/sub/blk", type: "b", major: 7, minor: 200},
       {path: "/dev/fifo", type: "p"}]'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "/dev/mynull character special file 1:3 660 1000:1001" ]
  [ "${lines[1]}" = "/dev/sub/blk block special file 7:c8 666 0:0" ]
  [ "${lines[2]}" = "/dev/fifo fifo 0:0 666 0:0" ]
}

@test "bind mounts: file and dir sources, ro, rro (recursive), rbind, propagation" {
  mkdir -p "$HOST/src/sub"
  echo data >"$HOST/src/file"
  mount -t tmpfs berth-test-sub "$HOST/src/sub"
  in_container 'cat /mnt/file; cat /etc/bound; cat /proc/self/mountinfo' \
    '.mounts += [
       {destination: "/mnt", type: "bind", source: $s, options: ["rbind", "ro", "nosuid"]},
       {destination: "/rro", type: "bind", source: $s, options: ["rbind", "rro"]},
       {destination: "/plain", type: "bind", source: $s, options: ["bind", "rprivate"]},
       {destination: "/etc/bound", type: "none", source: $f, options: ["bind", "ro"]}]' \
    --arg s "$HOST/src" --arg f "$HOST/src/file"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = data ]
  [ "${lines[1]}" = data ]
  [[ "$(mount_opts /mnt)" == ro,nosuid,* ]]
  [[ "$(mount_opts /mnt/sub)" == ro,nosuid,* ]]   # an rbind's ro/nosuid/nodev/noexec reach every submount
  [[ "$(mount_opts /rro)" == ro,* ]]
  [[ "$(mount_opts /rro/sub)" == ro,* ]]   # rro is
  [[ "$(mount_opts /etc/bound)" == ro,* ]]
  grep -q ' /mnt/sub ' <<<"$output"
  [[ "$output" != *" /plain/sub "* ]]      # bind is not recursive
  [ -f "$B/rootfs/etc/bound" ]              # a file target for a file source
}

@test "tmpfs with data options, mode and size" {
  in_container 'stat -c %a /scratch; cat /proc/self/mountinfo' \
    '.mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["nosuid", "noexec", "mode=1770", "size=1m"]}]'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1770 ]
  grep -q ' /scratch rw,nosuid,.*noexec.* - tmpfs tmpfs .*size=1024k' <<<"$output"
}

@test "a mount onto a symlink pointing out of the rootfs stays inside the rootfs" {
  mkdir -p "$HOST/target"
  make_bundle "$B" '.process.args = ["sh", "-c", "grep -c berth-test-evil /proc/self/mountinfo"]
    | .mounts += [{destination: "/evil/x", type: "tmpfs", source: "berth-test-evil"},
                  {destination: "/rel/y", type: "tmpfs", source: "berth-test-evil"}]'
  ln -s "$HOST/target" "$B/rootfs/evil"
  ln -s "../../../../../../../../../../..$HOST/target" "$B/rootfs/rel"
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = 2 ]
  # nothing appeared on the host side; the targets were made in the rootfs
  [ -z "$(ls -A "$HOST/target")" ]
  [ -d "$B/rootfs$HOST/target/x" ]
  [ -d "$B/rootfs$HOST/target/y" ]
  [ "$(grep -c berth-test-evil /proc/self/mountinfo)" = 0 ]
  assert_no_leftovers "$ID"
}

@test "a bind mount onto a symlink to a host file does not touch the host file" {
  echo host-secret >"$HOST/secret"
  echo replaced >"$BATS_TEST_TMPDIR/src"
  make_bundle "$B" '.process.args = ["cat", "/etc/link"]
    | .mounts += [{destination: "/etc/link", type: "bind", source: $s, options: ["bind"]}]' \
    --arg s "$BATS_TEST_TMPDIR/src"
  ln -s "$HOST/secret" "$B/rootfs/etc/link"
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = replaced ]
  [ "$(cat "$HOST/secret")" = host-secret ]
  [ -f "$B/rootfs$HOST/secret" ]
}

@test "/proc as a symlink in the image is refused" {
  make_bundle "$B" '.process.args = ["true"]'
  rmdir "$B/rootfs/proc"
  ln -s /tmp "$B/rootfs/proc"
  run berth run --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"/proc must be a real directory"* ]]
  [ -z "$(ls -A "$B/rootfs/tmp")" ]
  assert_no_leftovers "$ID"
}

@test "mounts over /proc files other than the lxcfs ones are refused" {
  make_bundle "$B" '.process.args = ["true"]
    | .mounts += [{destination: "/proc/sysrq-trigger", type: "bind", source: "/dev/null", options: ["bind"]}]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"/proc/sysrq-trigger"* ]]
  assert_no_leftovers "$ID"
}

@test "a missing rootfs fails and names it" {
  make_bundle "$B" '.process.args = ["true"] | .root.path = "nothere"'
  run berth run --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *nothere* ]]
  assert_no_leftovers "$ID"
}

@test "a bind source that does not exist fails and names it" {
  make_bundle "$B" '.process.args = ["true"]
    | .mounts += [{destination: "/x", type: "bind", source: "/nonexistent-berth-src", options: ["bind"]}]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"/nonexistent-berth-src"* ]]
  assert_no_leftovers "$ID"
}

@test "idmap mount option without any mappings is refused with a clear error" {
  make_bundle "$B" '.process.args = ["true"]
    | .mounts += [{destination: "/x", type: "bind", source: "/tmp", options: ["bind", "idmap"]}]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *".mounts[7].uidMappings: option idmap without mappings of the mount's own needs the container's .linux.uidMappings"* ]]
  assert_no_leftovers "$ID"
}

@test "--no-pivot: MS_MOVE + chroot gives the same view" {
  make_bundle "$B" '.process.args = ["sh", "-c", "cat /etc/passwd >/dev/null && cat /proc/self/mountinfo"]'
  run berth run --no-pivot --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [[ "$(mount_opts /)" == ro,* ]]
  [[ "$(mount_opts /proc/sys)" == ro,* ]]
  assert_no_leftovers "$ID"
}

@test "rootfsPropagation: shared and private both run; an unknown value is refused" {
  in_container 'true' '.linux.rootfsPropagation = "rshared"'
  [ "$status" -eq 0 ]
  in_container 'true' '.linux.rootfsPropagation = "private"'
  [ "$status" -eq 0 ]
  in_container 'true' '.linux.rootfsPropagation = "sideways"'
  [ "$status" -ne 0 ]
  [[ "$output" == *sideways* ]]
}

@test "a read-only /dev mount still gets its devices" {
  in_container 'stat -c "%t:%T" /dev/null; cat /proc/self/mountinfo' \
    '(.mounts[] | select(.destination == "/dev") | .options) += ["ro"]'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "1:3" ]
  [[ "$(mount_opts /dev)" == ro,* ]]
}

@test "cgroup mount is read-only and shows the hierarchies" {
  in_container 'ls /sys/fs/cgroup; cat /proc/self/mountinfo'
  [ "$status" -eq 0 ]
  [[ "$(mount_opts /sys/fs/cgroup)" == ro,* ]]
  if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    grep -q ' /sys/fs/cgroup .* - cgroup2 ' <<<"$output"
  else
    grep -q ' /sys/fs/cgroup/memory ro,.* - cgroup ' <<<"$output"
  fi
}

@test "user namespace: devices are bind mounts of the host's nodes" {
  # the container's root (host uid 100000) must reach the rootfs: bats's
  # tmpdir is 0700, so this bundle lives in a world-searchable dir
  USERNS_DIR="$(mktemp -d /tmp/berth-test-userns.XXXXXX)"
  chmod 755 "$USERNS_DIR"
  B="$USERNS_DIR/b"
  make_bundle "$B" '.process.args = ["sh", "-c", "stat -c \"%t:%T\" /dev/null /dev/zero; echo x >/dev/null && echo written; cat /proc/self/mountinfo"]
    | .linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
  chown -R 100000:100000 "$B/rootfs"
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1:3 ]
  [ "${lines[1]}" = 1:5 ]
  [ "${lines[2]}" = written ]
  grep -q ' /dev/null .* - devtmpfs ' <<<"$output"
  grep -q ' /dev/zero .* - devtmpfs ' <<<"$output"
  [[ "$(mount_opts /)" == ro,* ]]
  assert_no_leftovers "$ID"
  [ "$(grep -c "$USERNS_DIR" /proc/self/mountinfo)" = 0 ]
}

@test "tmpcopyup: the tmpfs starts with a copy of what it covers" {
  mkdir -p "$B/rootfs/data/sub"
  make_bundle "$B" '.process.args = ["sh", "-c", "cat /data/sub/f; readlink /data/link; stat -c \"%a %u:%g\" /data/sub /data/sub/f; echo new >/data/new && echo wrote; cat /proc/self/mountinfo"]
    | .root.readonly = false
    | .mounts += [{destination: "/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", "nosuid", "size=1m"]}]'
  echo content >"$B/rootfs/data/sub/f"
  ln -s sub/f "$B/rootfs/data/link"
  chmod 750 "$B/rootfs/data/sub"
  chown 12:34 "$B/rootfs/data/sub/f"
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = content ]
  [ "${lines[1]}" = sub/f ]
  [ "${lines[2]}" = "750 0:0" ]
  [ "${lines[3]}" = "644 12:34" ]
  [ "${lines[4]}" = wrote ]
  grep -q ' /data rw,nosuid.* - tmpfs .*size=1024k' <<<"$output"
  [ ! -e "$B/rootfs/data/new" ]
}

@test "without a network namespace sysfs is the host's, bound read-only" {
  in_container 'ls /sys/class/net | grep -c .; cat /proc/self/mountinfo' \
    '.linux.namespaces |= map(select(.type != "network"))'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$(ls /sys/class/net | grep -c .)" ]
  [[ "$(mount_opts /sys)" == ro,* ]]
}

@test "without a cgroup namespace the container sees its own cgroup dirs" {
  in_container 'cat /proc/self/cgroup; cat /proc/self/mountinfo; ls /sys/fs/cgroup/' \
    '.linux.namespaces |= map(select(.type != "cgroup"))'
  [ "$status" -eq 0 ]
  [[ "$(mount_opts /sys/fs/cgroup)" == ro,* ]]
  if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
    # the memory hierarchy is the host's dir of this container's cgroup
    local path
    path="$(awk -F: '$2 == "memory" { print $3 }' <<<"$output")"
    [ -n "$path" ]
    grep -q " $path /sys/fs/cgroup/memory ro,.* - cgroup " <<<"$output"
  fi
}

@test "tmpcopyup: the tmpfs keeps its source in /proc/mounts (as Podman's tmpfs mounts)" {
  mkdir -p "$B/rootfs/data"
  echo kept >"$B/rootfs/data/f"
  make_bundle "$B" '.process.args = ["sh", "-c", "cat /data/f; grep \" /data \" /proc/mounts"]
    | .mounts += [{destination: "/data", type: "tmpfs", source: "podman-tmpfs", options: ["tmpcopyup", "nosuid", "size=1m"]}]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = kept ]
  [[ "${lines[1]}" == "podman-tmpfs /data tmpfs rw,nosuid"* ]]
  # no source: "tmpfs", as for a tmpfs without tmpcopyup
  bundle_edit "$B" '.mounts |= map(if .destination == "/data" then del(.source) else . end)'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [[ "${lines[1]}" == "tmpfs /data tmpfs "* ]]
  assert_no_leftovers "$ID"
}
