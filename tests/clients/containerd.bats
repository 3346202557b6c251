#!/usr/bin/env bats
# containerd 1.6 + ctr (Debian 12) run their containers on the berth under
# test through the runc v2 shim. containerd is started here (no systemd)
# from contrib/containerd/config.toml plus a private root, state and socket
# in this file's tmpdir, and stopped in teardown_file. Containers use ctr's
# default cgroup (/default/<id>); berth's state goes to a private
# --runc-root. The commands are the ones README.md shows.

bats_require_minimum_version 1.5.0
load ../helpers
load clients

IMAGE=localhost/busybox:berth

# c ARGS...: ctr on this suite's containerd
c() {
  in_time 60 ctr --address "$CTRD_DIR/containerd.sock" "$@"
}

# crun ARGS...: ctr run with berth as the runc binary
crun() {
  c run --runc-binary "$BERTH" --runc-root "$CTRD_DIR/runc-root" --fifo-dir "$CTRD_DIR/fifo" "$@"
}

# ctr_cmdline ARGS...: the same ctr command line, quoted for script -c
ctr_cmdline() {
  printf '%q ' ctr --address "$CTRD_DIR/containerd.sock" "$@"
}

start_containerd() {
  clients_start_containerd "$CTRD_DIR"
}

setup_file() {
  clients_require_packages containerd umoci
  export CTRD_DIR="$BATS_FILE_TMPDIR/ctrd"
  mkdir -p "$CTRD_DIR"/{fifo,runc-root}
  # the shims put their sockets in /run/containerd/s whatever the state dir:
  # remove what this suite made, nothing that was there before
  export CTRD_RUN_EXISTED=0 CTRD_S_EXISTED=0
  [[ -d /run/containerd ]] && CTRD_RUN_EXISTED=1
  [[ -d /run/containerd/s ]] && CTRD_S_EXISTED=1
  start_containerd
  clients_image_rootfs "$CTRD_DIR/rootfs"
  make_oci_image "$CTRD_DIR/busybox-oci.tar"
  c images import --base-name localhost/busybox "$CTRD_DIR/busybox-oci.tar" >/dev/null
}

teardown() {
  [[ -n "${CTRD_DIR:-}" ]] && ctrd_remove_all
}

teardown_file() {
  [[ -n "${CTRD_DIR:-}" && -d "$CTRD_DIR" ]] || return 0
  ctrd_remove_all
  c images rm "$IMAGE" >/dev/null 2>&1
  local pid i
  pid="$(cat "$CTRD_DIR/containerd.pid" 2>/dev/null)"
  if [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null; then
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  # shims of this containerd exit after it; kill those that do not
  local shims
  for i in $(seq 50); do
    shims="$(our_shims)"
    [[ -z "$shims" ]] && break
    sleep 0.1
  done
  for pid in $(our_shims); do kill -KILL "$pid" 2>/dev/null; done
  umount_under "$CTRD_DIR"
  rmdir_cgroup /default
  ((CTRD_S_EXISTED)) || rmdir /run/containerd/s 2>/dev/null
  ((CTRD_RUN_EXISTED)) || rmdir /run/containerd 2>/dev/null
  rm -rf --one-file-system "$CTRD_DIR"
  return 0
}

# gone ID: berth's state and the container's cgroup are gone
gone() {
  [[ ! -e "$CTRD_DIR/runc-root/default/$1" ]] && [[ -z "$(cgroup_dirs_of "/default/$1")" ]]
}

@test "ctr run --rm --rootfs: output and exit codes passed through" {
  run crun --rm --rootfs "$CTRD_DIR/rootfs" r0 echo hello from berth
  [ "$status" -eq 0 ]
  [ "$output" = "hello from berth" ]
  run crun --rm --rootfs "$CTRD_DIR/rootfs" r3 sh -c 'exit 3'
  [ "$status" -eq 3 ]
  gone r0
  gone r3
}

@test "ctr run: a missing command fails with berth's message" {
  run crun --rm --rootfs "$CTRD_DIR/rootfs" rm1 no-such-command
  [ "$status" -ne 0 ]
  # the shim took it from berth's --log JSON file
  [[ "$output" == *'exec: "no-such-command": executable file not found'* ]]
  [ -z "$(c containers ls -q)" ]
  gone rm1
}

@test "ctr run from an imported OCI image (umoci)" {
  run c images ls -q
  [[ "$output" == *"$IMAGE"* ]]
  run crun --rm "$IMAGE" i1 sh -c 'echo "$PATH"; exit 7'
  [ "$status" -eq 7 ]
  [ "$output" = /bin:/usr/bin ]
  gone i1
}

@test "ctr run -t: a terminal inside, exit code passed through" {
  command -v script >/dev/null || skip "script (bsdutils) missing"
  local cmd
  cmd="$(ctr_cmdline run --rm -t --runc-binary "$BERTH" --runc-root "$CTRD_DIR/runc-root" \
    --fifo-dir "$CTRD_DIR/fifo" --rootfs "$CTRD_DIR/rootfs" t1 \
    sh -c 'tty; test -t 0 && test -t 1 && echo both-tty; exit 4')"
  run in_time 60 script -qec "$cmd" /dev/null </dev/null
  [ "$status" -eq 4 ]
  [[ "$output" == *"/dev/pts/0"* ]]
  [[ "$output" == *both-tty* ]]
  gone t1
}

@test "ctr run -d, task exec (with and without -t), task ps, kill, delete" {
  run crun -d --rootfs "$CTRD_DIR/rootfs" d1 sleep 1000
  [ "$status" -eq 0 ]
  run c task ls
  [[ "$output" =~ d1\ +[0-9]+\ +RUNNING ]]
  [ -f "$CTRD_DIR/runc-root/default/d1/state.json" ]
  [ -n "$(cgroup_dirs_of /default/d1)" ]

  run c task exec --fifo-dir "$CTRD_DIR/fifo" --exec-id e1 d1 sh -c 'echo in-exec; cat /proc/1/cmdline; exit 6'
  [ "$status" -eq 6 ]
  [[ "$output" == in-exec*sleep* ]]

  if command -v script >/dev/null; then
    local cmd
    cmd="$(ctr_cmdline task exec -t --fifo-dir "$CTRD_DIR/fifo" --exec-id e2 d1 sh -c 'tty; exit 5')"
    run in_time 60 script -qec "$cmd" /dev/null </dev/null
    [ "$status" -eq 5 ]
    [[ "$output" == *"/dev/pts/"* ]]
  fi

  # task ps: containerd parsed berth's `ps --format json`
  local pid
  pid="$(c task ls | awk '$1 == "d1" { print $2 }')"
  run c task ps d1
  [ "$status" -eq 0 ]
  [[ "$output" == *"$pid"* ]]

  run c task kill -s SIGKILL d1
  [ "$status" -eq 0 ]
  local i
  for i in $(seq 50); do [[ "$(c task ls)" =~ d1\ +[0-9]+\ +STOPPED ]] && break; sleep 0.1; done
  [[ "$(c task ls)" =~ d1\ +[0-9]+\ +STOPPED ]]
  # containerd answers a second kill itself ("process already finished");
  # what the shim would get from berth for a finished container must be
  # one of the texts it maps to not-found (checkKillError in the shim)
  run c task kill -s SIGTERM d1
  [ "$status" -ne 0 ]
  [[ "$output" == *"not found"* ]]
  run "$BERTH" --root "$CTRD_DIR/runc-root/default" --log "$BATS_TEST_TMPDIR/log.json" \
    --log-format json kill d1 15
  [ "$status" -ne 0 ]
  [[ "$output" == *"container not running"* || "$output" == *"no such process"* || "$output" == *"does not exist"* ]]
  [ "$(jq -r .level "$BATS_TEST_TMPDIR/log.json")" = error ]
  run c task delete d1
  [ "$status" -eq 0 ]
  run c containers delete d1
  [ "$status" -eq 0 ]
  gone d1
}

@test "ctr task pause and resume: the freezer cgroup" {
  run crun -d --rootfs "$CTRD_DIR/rootfs" p1 sleep 1000
  [ "$status" -eq 0 ]
  run c task pause p1
  [ "$status" -eq 0 ]
  [[ "$(c task ls)" =~ p1\ +[0-9]+\ +PAUSED ]]
  local f
  f="$(cgroup_dirs_of /default/p1 | grep /freezer/ || true)"
  [[ -z "$f" ]] || [ "$(cat "$f/freezer.state")" = FROZEN ]
  run c task resume p1
  [ "$status" -eq 0 ]
  [[ "$(c task ls)" =~ p1\ +[0-9]+\ +RUNNING ]]
  [[ -z "$f" ]] || [ "$(cat "$f/freezer.state")" = THAWED ]
  run c task exec --fifo-dir "$CTRD_DIR/fifo" --exec-id e1 p1 echo alive
  [ "$output" = alive ]
}

@test "ctr run --memory-limit: the container's memory cgroup" {
  run crun -d --memory-limit 67108864 "$IMAGE" m1 sleep 1000
  [ "$status" -eq 0 ]
  local dir
  dir="$(cgroup_dirs_of /default/m1 | grep -E '/memory/|/unified/' | head -n 1)"
  [ -n "$dir" ]
  if [[ -f "$dir/memory.limit_in_bytes" ]]; then
    [ "$(cat "$dir/memory.limit_in_bytes")" = 67108864 ]
  else
    [ "$(cat "$dir/memory.max")" = 67108864 ]
  fi
  # the task's init is in it
  local pid
  pid="$(c task ls | awk '$1 == "m1" { print $2 }')"
  grep -qx "$pid" "$dir/cgroup.procs"
  # the shim reads the container's cgroups itself for metrics
  run c task metrics m1
  [ "$status" -eq 0 ]
  [[ "$output" =~ memory.limit_in_bytes[[:space:]]+67108864 ]]
}

@test "contrib/containerd/config.toml: the CRI handler berth and its runtime options" {
  # containerd loaded the file this suite runs on: the CRI plugin is up and
  # its runtime handler berth is runc v2 with BinaryName = this berth
  run c plugins ls
  [[ "$output" =~ io.containerd.grpc.v1[[:space:]]+cri[[:space:]]+[^[:space:]]+[[:space:]]+ok ]]
  local dump
  dump="$(containerd --config "$CTRD_DIR/config.toml" config dump 2>/dev/null)"
  local handler
  handler="$(awk '/^ *\[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.berth\]/ { on = 1; next }
    on && /runtime_type/ { print; exit }' <<<"$dump")"
  [[ "$handler" == *'"io.containerd.runc.v2"'* ]]
  local bin
  bin="$(awk '/^ *\[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.berth.options\]/ { on = 1; next }
    on && /BinaryName/ { gsub(/.*= *"|"$/, ""); print; exit }' <<<"$dump")"
  [ "$bin" = "$BERTH" ]
  grep -qx 'handler: berth' "$REPO/contrib/containerd/runtimeclass.yaml"
  # no crictl in Debian 12: the same shim and options as the CRI handler,
  # given by ctr (runtime io.containerd.runc.v2, options.BinaryName)
  run c run --rm --runtime io.containerd.runc.v2 --runc-binary "$bin" \
    --runc-root "$CTRD_DIR/runc-root" --fifo-dir "$CTRD_DIR/fifo" "$IMAGE" k1 \
    sh -c 'echo via handler; exit 9'
  [ "$status" -eq 9 ]
  [ "$output" = "via handler" ]
  gone k1
}
