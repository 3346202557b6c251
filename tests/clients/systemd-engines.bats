#!/usr/bin/env bats
# The engines on berth's systemd cgroup driver (issue 15): Podman with
# cgroup_manager = "systemd" and containerd with the runc options
# SystemdCgroup = true (ctr: --runc-systemd-cgroup). Needs systemd as PID 1:
# tests/vm/run --systemd runs it (BERTH_VM_SYSTEMD_SUITES); elsewhere the
# whole file is skipped. Kept to the few commands that prove it: the engines
# are slow under TCG.

bats_require_minimum_version 1.5.0
load ../helpers
load clients

IMAGE=localhost/busybox:berth

# pod ARGS...: podman on the systemd cgroup manager, berth by absolute path
pod() {
  in_time 120 podman --root "$ENG_DIR/storage" --runroot "$PODMAN_RUNROOT" \
    --tmpdir "$ENG_DIR/tmp" --network-config-dir "$ENG_DIR/cni" \
    --runtime "$BERTH" --cgroup-manager systemd --events-backend file "$@"
}

# c ARGS...: ctr on this suite's containerd
c() {
  in_time 120 ctr --address "$ENG_DIR/containerd.sock" "$@"
}

start_containerd() {
  clients_start_containerd "$ENG_DIR" "s|^\( *SystemdCgroup = \).*|\1true|"
  grep -q 'SystemdCgroup = true' "$ENG_DIR/config.toml"
}

# an OCI image layout made with umoci from the busybox rootfs, as a tar
make_oci_image() {
  local d="$ENG_DIR/image"
  umoci init --layout "$d/oci"
  umoci new --image "$d/oci:berth"
  umoci unpack --image "$d/oci:berth" "$d/bundle" >/dev/null
  cp -a "$ENG_DIR/rootfs/." "$d/bundle/rootfs/"
  umoci repack --image "$d/oci:berth" "$d/bundle" >/dev/null
  umoci config --image "$d/oci:berth" --config.env PATH=/bin:/usr/bin --config.cmd sh --config.workingdir /
  tar -C "$d/oci" -cf "$1" .
  rm -rf "$d"
}

# (bats 1.8 cannot skip in setup_file: setup skips each test)
setup_file() {
  [[ -d /run/systemd/system ]] || return 0
  export ENG_DIR="$BATS_FILE_TMPDIR/eng"
  mkdir -p "$ENG_DIR"/{cni,tmp,fifo,runc-root}
  # Podman refuses a runroot longer than 50 characters
  PODMAN_RUNROOT="$(mktemp -d /tmp/berth-sdeng.XXXXXX)"
  export PODMAN_RUNROOT
  export CONTAINERS_CONF="$ENG_DIR/containers.conf"
  sed -e "s|\"/usr/local/sbin/berth\"|\"$BERTH\"|" -e 's|^cgroup_manager = .*|cgroup_manager = "systemd"|' \
    "$REPO/contrib/podman/containers.conf" >"$CONTAINERS_CONF"
  export CTRD_RUN_EXISTED=0 CTRD_S_EXISTED=0
  [[ -d /run/containerd ]] && CTRD_RUN_EXISTED=1
  [[ -d /run/containerd/s ]] && CTRD_S_EXISTED=1
  clients_image_rootfs "$ENG_DIR/rootfs"
}

setup() {
  [[ -n "${ENG_DIR:-}" ]] || skip "systemd is not PID 1 here (tests/vm/run --systemd runs this)"
  clients_require_packages podman conmon golang-github-containers-common containerd umoci
}

# unit_gone UNIT CGROUP: systemd forgot the unit and its cgroup is gone
unit_gone() {
  local state
  state="$(systemctl show -p LoadState --value "$1")"
  [[ "$state" == not-found ]] || { echo "unit $1 is still $state" >&2; return 1; }
  [[ ! -e "/sys/fs/cgroup$2" ]] || { echo "cgroup $2 is left" >&2; return 1; }
}

@test "podman --cgroup-manager systemd: the container is a scope in machine.slice with its memory limit; nothing left after rm" {
  tar -C "$ENG_DIR/rootfs" -cf "$ENG_DIR/busybox.tar" .
  pod import --change CMD=/bin/sh "$ENG_DIR/busybox.tar" "$IMAGE" >/dev/null
  local cid unit
  cid="$(pod run -d --network none --memory 64m "$IMAGE" sleep 1000 </dev/null)"
  [[ "$cid" =~ ^[0-9a-f]{64}$ ]]
  unit="libpod-$cid.scope"
  [ "$(cat "/sys/fs/cgroup/machine.slice/$unit/memory.max")" = 67108864 ]
  [ "$(systemctl show -p MemoryMax --value "$unit")" = 67108864 ]
  [ "$(systemctl show -p Slice --value "$unit")" = machine.slice ]
  [ "$(systemctl show -p ActiveState --value "$unit")" = active ]
  run systemd-cgls --no-pager /machine.slice
  [[ "$output" == *"$unit"* ]]
  [[ "$output" == *"sleep 1000"* ]]
  run systemctl status --no-pager "$unit"
  [[ "$output" == *"berth container"* ]]
  run pod rm -f -t 0 "$cid"
  [ "$status" -eq 0 ]
  unit_gone "$unit" "/machine.slice/$unit"

  # run --rm: the limit inside (the container's own cgroup), then gone
  run pod run --rm --network none --memory 64m --cidfile "$ENG_DIR/cid" "$IMAGE" cat /sys/fs/cgroup/memory.max
  [ "$status" -eq 0 ]
  [ "$output" = 67108864 ]
  cid="$(cat "$ENG_DIR/cid")"
  unit_gone "libpod-$cid.scope" "/machine.slice/libpod-$cid.scope"
  [ -z "$(pod ps -aq)" ]
  pod rmi -af >/dev/null
}

@test "containerd with SystemdCgroup = true: ctr run of a umoci image lands in a scope in system.slice; nothing left after delete" {
  start_containerd
  make_oci_image "$ENG_DIR/busybox-oci.tar"
  c images import --base-name localhost/busybox "$ENG_DIR/busybox-oci.tar" >/dev/null
  local unit=berth-ctr-sd1.scope
  run c run -d --runc-binary "$BERTH" --runc-root "$ENG_DIR/runc-root" --runc-systemd-cgroup \
    --cgroup system.slice:berth-ctr:sd1 --fifo-dir "$ENG_DIR/fifo" "$IMAGE" sd1 sleep 1000
  [ "$status" -eq 0 ]
  [ "$(systemctl show -p ActiveState --value "$unit")" = active ]
  [ "$(systemctl show -p Slice --value "$unit")" = system.slice ]
  local pid
  pid="$(c task ls | awk '$1 == "sd1" { print $2 }')"
  grep -qx "0::/system.slice/$unit" "/proc/$pid/cgroup"
  run systemd-cgls --no-pager /system.slice
  [[ "$output" == *"$unit"* ]]
  run c task kill -s SIGKILL sd1
  [ "$status" -eq 0 ]
  for _ in $(seq 100); do
    c task ls | grep -q '^sd1 .*STOPPED' && break
    sleep 0.1
  done
  run c task delete sd1
  [ "$status" -eq 0 ]
  run c containers delete sd1
  [ "$status" -eq 0 ]
  unit_gone "$unit" "/system.slice/$unit"
  [[ ! -e "$ENG_DIR/runc-root/default/sd1" ]]
}

teardown_file() {
  [[ -n "${ENG_DIR:-}" && -d "$ENG_DIR" ]] || return 0
  if [[ -n "${PODMAN_RUNROOT:-}" ]]; then
    pod rm -af -t 0 >/dev/null 2>&1 || true
    pod rmi -af >/dev/null 2>&1 || true
  fi
  local pid id
  if [[ -f "$ENG_DIR/containerd.pid" ]]; then
    for id in $(c containers ls -q 2>/dev/null); do
      c task kill -s SIGKILL "$id" >/dev/null 2>&1
      c task delete -f "$id" >/dev/null 2>&1
      c containers delete "$id" >/dev/null 2>&1
    done
    c images rm "$IMAGE" >/dev/null 2>&1
    pid="$(cat "$ENG_DIR/containerd.pid")"
    if kill -TERM "$pid" 2>/dev/null; then
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null
    fi
  fi
  systemctl stop berth-ctr-sd1.scope >/dev/null 2>&1 || true
  umount_under "$ENG_DIR"
  if [[ -n "${PODMAN_RUNROOT:-}" ]]; then
    umount_under "$PODMAN_RUNROOT"
    rm -rf --one-file-system "$PODMAN_RUNROOT"
  fi
  ((CTRD_S_EXISTED)) || rmdir /run/containerd/s 2>/dev/null
  ((CTRD_RUN_EXISTED)) || rmdir /run/containerd 2>/dev/null
  rm -rf --one-file-system "$ENG_DIR"
  return 0
}
