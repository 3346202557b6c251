#!/usr/bin/env bats
# Podman and containerd checkpoint/restore a running container on the berth
# under test (issue 16): `podman container checkpoint --export` + `restore
# --import`, and containerd's `ctr task checkpoint` + `ctr containers
# restore --live` (after `ctr containers checkpoint --task`). Runs where `criu check` passes (the pure-v2 VM:
# BERTH_VM_SUITES=tests/clients/checkpoint-engines.bats tests/vm/run);
# skipped elsewhere (tests/integration/checkpoint.bats tests the errors).
#
# The counter writes "TOKEN N" to /count: TOKEN is drawn once in the
# process's memory, so a restored counter shows the same TOKEN and a larger
# N, a restarted one a new TOKEN. Its stdio is the container's /dev/null
# (the engines' pipes and fifos are not the point here).

bats_require_minimum_version 1.5.0
load ../helpers
load clients

IMAGE=localhost/busybox:berth
COUNTER='exec </dev/null >/dev/null 2>&1; read t </proc/sys/kernel/random/uuid; i=0; while :; do i=$((i+1)); echo "$t $i" >/count; sleep 0.1; done'

pod() {
  in_time 120 podman --root "$PODMAN_DIR/storage" --runroot "$PODMAN_RUNROOT" \
    --tmpdir "$PODMAN_DIR/tmp" --network-config-dir "$PODMAN_DIR/cni" \
    --runtime "$BERTH" --cgroup-manager=cgroupfs "$@"
}

c() {
  in_time 120 ctr --address "$CTRD_DIR/containerd.sock" "$@"
}

# (bats 1.8 reports a skip in setup_file as a failure: the tests skip in setup)
setup_file() {
  if ! criu check >/dev/null 2>&1; then
    CRIU_FAILS="criu check fails here: $(criu check 2>&1 | grep -m1 Error || true)"
    export CRIU_FAILS
    return 0
  fi
  clients_require_packages podman conmon golang-github-containers-common containerd umoci
  export PODMAN_DIR="$BATS_FILE_TMPDIR/podman" CTRD_DIR="$BATS_FILE_TMPDIR/ctrd"
  mkdir -p "$PODMAN_DIR"/{cni,tmp} "$CTRD_DIR"/{fifo,runc-root}
  # Podman refuses a runroot longer than 50 characters
  PODMAN_RUNROOT="$(mktemp -d /tmp/berth-podman.XXXXXX)"
  export PODMAN_RUNROOT
  sed -e "s|\"/usr/local/sbin/berth\"|\"$BERTH\"|" "$REPO/contrib/podman/containers.conf" \
    >"$PODMAN_DIR/containers.conf"
  export CONTAINERS_CONF="$PODMAN_DIR/containers.conf"
  clients_image_rootfs "$PODMAN_DIR/rootfs"
  tar -C "$PODMAN_DIR/rootfs" -cf "$PODMAN_DIR/busybox.tar" .
  pod import --change CMD=/bin/sh "$PODMAN_DIR/busybox.tar" "$IMAGE" >/dev/null

  export CTRD_RUN_EXISTED=0 CTRD_S_EXISTED=0 CTRD_FIFO_EXISTED=0
  [[ -d /run/containerd ]] && CTRD_RUN_EXISTED=1
  [[ -d /run/containerd/s ]] && CTRD_S_EXISTED=1
  [[ -d /run/containerd/fifo ]] && CTRD_FIFO_EXISTED=1
  clients_start_containerd "$CTRD_DIR"
  make_oci_image "$CTRD_DIR/busybox-oci.tar"
  c images import --base-name localhost/busybox "$CTRD_DIR/busybox-oci.tar" >/dev/null
}

setup() {
  [[ -z "${CRIU_FAILS:-}" ]] || skip "$CRIU_FAILS"
}

teardown() {
  [[ -n "${PODMAN_DIR:-}" ]] && { pod rm -af -t 0 >/dev/null 2>&1 || true; }
  [[ -n "${CTRD_DIR:-}" ]] && ctrd_remove_all
  if [[ -n "${RESTORE_PID:-}" ]]; then
    kill "$RESTORE_PID" 2>/dev/null || true
    wait "$RESTORE_PID" 2>/dev/null || true
  fi
  return 0
}

teardown_file() {
  if [[ -n "${PODMAN_DIR:-}" && -d "$PODMAN_DIR" ]]; then
    pod rm -af -t 0 >/dev/null 2>&1 || true
    pod rmi -af >/dev/null 2>&1 || true
    umount_under "$PODMAN_DIR"
    if [[ -n "${PODMAN_RUNROOT:-}" ]]; then
      umount_under "$PODMAN_RUNROOT"
      rm -rf --one-file-system "$PODMAN_RUNROOT"
    fi
    rmdir_cgroup /libpod_parent/conmon
    rmdir_cgroup /libpod_parent
    rm -rf --one-file-system "$PODMAN_DIR"
  fi
  [[ -n "${CTRD_DIR:-}" && -d "$CTRD_DIR" ]] || return 0
  ctrd_remove_all
  c images rm "$IMAGE" >/dev/null 2>&1
  local pid i
  pid="$(cat "$CTRD_DIR/containerd.pid" 2>/dev/null)"
  if [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null; then
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  for i in $(seq 50); do [[ -z "$(our_shims)" ]] && break; sleep 0.1; done
  for pid in $(our_shims); do kill -KILL "$pid" 2>/dev/null; done
  umount_under "$CTRD_DIR"
  rmdir_cgroup /default
  ((CTRD_FIFO_EXISTED)) || rm -rf /run/containerd/fifo
  ((CTRD_S_EXISTED)) || rmdir /run/containerd/s 2>/dev/null
  ((CTRD_RUN_EXISTED)) || rmdir /run/containerd 2>/dev/null
  rm -rf --one-file-system "$CTRD_DIR"
  return 0
}

# wait_counter CMD...: CMD prints the counter's "TOKEN N"; waits until N >= $WANT
# (default 1), the line in $COUNT
wait_counter() {
  local i want=${WANT:-1}
  COUNT=
  for ((i = 0; i < 300; i++)); do
    COUNT="$("$@" 2>/dev/null)" || COUNT=
    [[ "$COUNT" =~ ^[0-9a-f-]+\ ([0-9]+)$ ]] && ((BASH_REMATCH[1] >= want)) && return 0
    sleep 0.2
  done
  echo "counter not at $want: '$COUNT'" >&2
  return 1
}

@test "podman container checkpoint --export, rm, restore --import: the counter continues" {
  local x="$BATS_TEST_TMPDIR/ck.tar.gz" before after cid
  run pod run -d --name ck --network none "$IMAGE" sh -c "$COUNTER"
  [ "$status" -eq 0 ]
  WANT=5 wait_counter pod exec ck cat /count
  before=$COUNT
  cid="$(pod inspect --format '{{.Id}}' ck)"
  run pod container checkpoint --export="$x" ck
  echo "$output"
  [ "$status" -eq 0 ]
  [ -s "$x" ]
  [ "$(pod inspect --format '{{.State.Status}}' ck)" = exited ]
  run pod rm ck
  [ "$status" -eq 0 ]
  run pod container restore --import="$x"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(pod inspect --format '{{.State.Status}}' ck)" = running ]
  WANT=$((${before##* } + 3)) wait_counter pod exec ck cat /count
  after=$COUNT
  # the same process: same token, larger count
  [ "${after% *}" = "${before% *}" ]
  run pod rm -f -t 0 ck
  [ "$status" -eq 0 ]
  [ ! -e "/run/berth/$cid" ]
  [[ -z "$(cgroup_dirs_of "/libpod_parent/libpod-$cid")" ]]
}

# ctr 1.6 restores only from a checkpoint image, and `ctr containers
# restore` reads the image name from an annotation that `ctr task
# checkpoint` does not write ("image name not found in index"): the task
# command is tested with --image-path (berth's dump in a directory), the
# restore through `ctr containers checkpoint --task`.
@test "ctr task checkpoint --image-path --exit; ctr containers checkpoint --task, restore --live: the counter continues" {
  local ref before after d="$BATS_TEST_TMPDIR/ctr-img"
  ctr_run() {
    c run -d --runc-binary "$BERTH" --runc-root "$CTRD_DIR/runc-root" --fifo-dir "$CTRD_DIR/fifo" "$IMAGE" "$1" sh -c "$COUNTER"
  }
  cnt() { c task exec --fifo-dir "$CTRD_DIR/fifo" --exec-id "e$RANDOM$RANDOM" "$CT" cat /count; }

  run ctr_run k1
  [ "$status" -eq 0 ]
  CT=k1 WANT=3 wait_counter cnt
  run c task checkpoint --exit --image-path "$d" k1
  echo "$output"
  [ "$status" -eq 0 ]
  [ -s "$d/inventory.img" ]
  ls "$d"/pages-*.img >/dev/null
  run c task ls
  [[ ! "$output" =~ k1\ +[0-9]+\ +RUNNING ]]

  run ctr_run k2
  [ "$status" -eq 0 ]
  CT=k2 WANT=5 wait_counter cnt
  ref=localhost/checkpoint-k2:1
  run c containers checkpoint --task k2 "$ref"
  echo "$output"
  [ "$status" -eq 0 ]
  before=$COUNT
  c task kill -s SIGKILL k2
  for ((i = 0; i < 100; i++)); do c task delete k2 >/dev/null 2>&1 && break; sleep 0.2; done
  c containers delete k2
  # ctr waits for the restored task: it runs in the background
  in_time 120 ctr --address "$CTRD_DIR/containerd.sock" containers restore --live k2 "$ref" \
    </dev/null >"$BATS_TEST_TMPDIR/restore.out" 2>&1 &
  RESTORE_PID=$!
  local i
  for ((i = 0; i < 300; i++)); do
    c task ls 2>/dev/null | grep -Eq '^k2 +[0-9]+ +RUNNING' && break
    kill -0 "$RESTORE_PID" 2>/dev/null || { cat "$BATS_TEST_TMPDIR/restore.out"; false; }
    sleep 0.2
  done
  CT=k2 WANT=$((${before##* } + 3)) wait_counter cnt
  after=$COUNT
  [ "${after% *}" = "${before% *}" ]
  [ -f "$CTRD_DIR/runc-root/default/k2/state.json" ]
  c images rm "$ref" >/dev/null
}
