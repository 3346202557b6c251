#!/usr/bin/env bats
# Podman 4.3 + conmon 2.1 (Debian 12) run their containers on the berth
# under test: `podman --runtime $BERTH --cgroup-manager=cgroupfs`, a local
# image imported from a busybox rootfs, a private storage root in this
# file's tmpdir. Containers get Podman's default cgroup parent
# (/libpod_parent/libpod-<id>), and their state is in berth's default root
# (/run/berth): conmon and Podman call berth without --root, as they call
# runc. The commands are the ones README.md shows.

bats_require_minimum_version 1.5.0
load ../helpers
load clients

IMAGE=localhost/busybox:berth

# pod ARGS...: podman with the private storage, berth by absolute path
pod() {
  in_time 90 podman --root "$PODMAN_DIR/storage" --runroot "$PODMAN_RUNROOT" \
    --tmpdir "$PODMAN_DIR/tmp" --network-config-dir "$PODMAN_DIR/cni" \
    --runtime "$BERTH" --cgroup-manager=cgroupfs "$@"
}

# podj ARGS...: the same through the runtime table of containers.conf
# (`--runtime berth`), the name listed in runtime_supports_json
podj() {
  in_time 90 podman --root "$PODMAN_DIR/storage" --runroot "$PODMAN_RUNROOT" \
    --tmpdir "$PODMAN_DIR/tmp" --network-config-dir "$PODMAN_DIR/cni" \
    --runtime berth --cgroup-manager=cgroupfs "$@"
}

setup_file() {
  clients_require_packages podman conmon golang-github-containers-common
  [[ -f /etc/containers/policy.json ]] || skip "/etc/containers/policy.json missing (golang-github-containers-common)"
  export PODMAN_DIR="$BATS_FILE_TMPDIR/podman"
  mkdir -p "$PODMAN_DIR"/{cni,tmp}
  # Podman refuses a runroot longer than 50 characters
  PODMAN_RUNROOT="$(mktemp -d /tmp/berth-podman.XXXXXX)"
  export PODMAN_RUNROOT
  # contrib/podman/containers.conf with the runtime pointed at this build
  sed -e "s|\"/usr/local/sbin/berth\"|\"$BERTH\"|" "$REPO/contrib/podman/containers.conf" \
    >"$PODMAN_DIR/containers.conf"
  export CONTAINERS_CONF="$PODMAN_DIR/containers.conf"
  export PODMAN_NETNS="berth-test-podman-$$"
  clients_image_rootfs "$PODMAN_DIR/rootfs"
  tar -C "$PODMAN_DIR/rootfs" -cf "$PODMAN_DIR/busybox.tar" .
  pod import --change CMD=/bin/sh "$PODMAN_DIR/busybox.tar" "$IMAGE" >/dev/null
}

teardown() {
  pod rm -af -t 0 >/dev/null 2>&1 || true
  pod pod rm -af -t 0 >/dev/null 2>&1 || true
  # Podman leaves a pod's cgroup in the named and unified hierarchies
  if [[ -n "${POD_ID:-}" ]]; then rmdir_cgroup "/libpod_parent/$POD_ID"; fi
  if [[ -e "/run/netns/$PODMAN_NETNS" ]]; then ip netns del "$PODMAN_NETNS"; fi
  rm -f "$PODMAN_DIR/cni/87-podman-bridge.conflist"
}

teardown_file() {
  [[ -n "${PODMAN_DIR:-}" && -d "$PODMAN_DIR" ]] || return 0
  pod rm -af -t 0 >/dev/null 2>&1 || true
  pod pod rm -af -t 0 >/dev/null 2>&1 || true
  pod rmi -af >/dev/null 2>&1 || true
  umount_under "$PODMAN_DIR"
  if [[ -n "${PODMAN_RUNROOT:-}" ]]; then
    umount_under "$PODMAN_RUNROOT"
    rm -rf --one-file-system "$PODMAN_RUNROOT"
  fi
  # conmon's cgroup (Podman's, left by every conmon) and the parent
  rmdir_cgroup /libpod_parent/conmon
  rmdir_cgroup /libpod_parent
  if [[ -e "/run/netns/${PODMAN_NETNS:-}" ]]; then ip netns del "$PODMAN_NETNS"; fi
  rm -rf --one-file-system "$PODMAN_DIR"
}

# run_d NAME ARGS...: podman run -d, the container id in $CID
run_d() {
  local name=$1
  shift
  CID="$(pod run -d --name "$name" --network none "$@" </dev/null)"
  [[ "$CID" =~ ^[0-9a-f]{64}$ ]]
}

# cgroup_gone CID: berth removed the container's cgroup in every hierarchy
cgroup_gone() {
  [[ -z "$(cgroup_dirs_of "/libpod_parent/libpod-$1")" ]]
}

@test "podman run --rm: output and exit codes passed through" {
  run pod run --rm --network none "$IMAGE" sh -c 'echo hello from berth; exit 0'
  [ "$status" -eq 0 ]
  [ "$output" = "hello from berth" ]
  run pod run --rm --network none "$IMAGE" sh -c 'exit 3'
  [ "$status" -eq 3 ]
  # a child killed by a signal: the shell's 128+N comes back
  run pod run --rm --network none "$IMAGE" sh -c 'sh -c "kill -TERM \$\$"; exit $?'
  [ "$status" -eq 143 ]
}

@test "podman run: a missing command is 127, a non-executable file 126" {
  run -127 pod run --rm --network none "$IMAGE" no-such-command
  [ "$status" -eq 127 ]
  [[ "$output" == *"executable file not found"* ]]
  run pod run --rm --network none "$IMAGE" /etc/passwd
  [ "$status" -eq 126 ]
  [[ "$output" == *"permission denied"* ]]
  [ -z "$(pod ps -aq)" ]
}

@test "podman run -i: stdin piped through" {
  run in_time 60 bash -c 'printf "piped in\n" | "$0" "$@"' podman --root "$PODMAN_DIR/storage" \
    --runroot "$PODMAN_RUNROOT" --tmpdir "$PODMAN_DIR/tmp" --network-config-dir "$PODMAN_DIR/cni" \
    --runtime "$BERTH" --cgroup-manager=cgroupfs run --rm -i --network none "$IMAGE" sh -c 'tr a-z A-Z'
  [ "$status" -eq 0 ]
  [ "$output" = "PIPED IN" ]
}

@test "podman run -t: a terminal inside, exit code passed through" {
  command -v script >/dev/null || skip "script (bsdutils) missing"
  local cmd
  printf -v cmd '%q ' podman --root "$PODMAN_DIR/storage" --runroot "$PODMAN_RUNROOT" \
    --tmpdir "$PODMAN_DIR/tmp" --network-config-dir "$PODMAN_DIR/cni" \
    --runtime "$BERTH" --cgroup-manager=cgroupfs run --rm -t --network none "$IMAGE" \
    sh -c 'tty; test -t 0 && test -t 1 && echo both-tty; exit 5'
  run in_time 60 script -qec "$cmd" /dev/null </dev/null
  [ "$status" -eq 5 ]
  [[ "$output" == *"/dev/pts/0"* ]]
  [[ "$output" == *"both-tty"* ]]
}

@test "podman run -d, logs, top, stop, rm: cgroup and state gone" {
  run_d det "$IMAGE" sh -c 'echo started; trap "echo got-term; exit 7" TERM; while :; do sleep 0.1; done'
  local i
  for i in $(seq 50); do [[ "$(pod logs det)" == *started* ]] && break; sleep 0.1; done
  run pod logs det
  [ "$output" = started ]
  [ "$(pod inspect --format '{{.State.Status}}' det)" = running ]
  # the container is berth's, in its default root, in Podman's cgroup
  [ -f "/run/berth/$CID/state.json" ]
  [ -n "$(cgroup_dirs_of "/libpod_parent/libpod-$CID")" ]
  run pod top det
  [ "$status" -eq 0 ]
  [[ "$output" == *"sleep 0.1"* || "$output" == *"while"* ]]
  run pod stop -t 10 det
  [ "$status" -eq 0 ]
  [ "$(pod inspect --format '{{.State.Status}} {{.State.ExitCode}}' det)" = "exited 7" ]
  [[ "$(pod logs det)" == *got-term* ]]
  run pod rm det
  [ "$status" -eq 0 ]
  [ ! -e "/run/berth/$CID" ]
  cgroup_gone "$CID"
}

@test "podman exec and exec -t" {
  run_d ex "$IMAGE" sleep 1000
  run pod exec ex sh -c 'echo in-exec $$; exit 4'
  [ "$status" -eq 4 ]
  [[ "$output" == in-exec* ]]
  run pod exec ex cat /proc/1/cmdline
  [ "$status" -eq 0 ]
  [[ "$output" == sleep* ]]
  # a missing command in exec: 127, as for run
  run -127 pod exec ex no-such-command
  [ "$status" -eq 127 ]
  command -v script >/dev/null || skip "script (bsdutils) missing"
  local cmd
  printf -v cmd '%q ' podman --root "$PODMAN_DIR/storage" --runroot "$PODMAN_RUNROOT" \
    --tmpdir "$PODMAN_DIR/tmp" --network-config-dir "$PODMAN_DIR/cni" \
    --runtime "$BERTH" --cgroup-manager=cgroupfs exec -t ex sh -c 'tty; exit 6'
  run in_time 60 script -qec "$cmd" /dev/null </dev/null
  [ "$status" -eq 6 ]
  [[ "$output" == *"/dev/pts/"* ]]
}

@test "podman pause and unpause: the freezer cgroup" {
  run_d pz "$IMAGE" sleep 1000
  run pod pause pz
  [ "$status" -eq 0 ]
  [ "$(pod inspect --format '{{.State.Status}}' pz)" = paused ]
  local f
  f="$(cgroup_dirs_of "/libpod_parent/libpod-$CID" | grep /freezer/ || true)"
  if [[ -n "$f" ]]; then
    [ "$(cat "$f/freezer.state")" = FROZEN ]
  fi
  run pod unpause pz
  [ "$status" -eq 0 ]
  [ "$(pod inspect --format '{{.State.Status}}' pz)" = running ]
  if [[ -n "$f" ]]; then
    [ "$(cat "$f/freezer.state")" = THAWED ]
  fi
  run pod exec pz echo alive
  [ "$output" = alive ]
}

@test "podman update --memory changes the running container's limit" {
  run_d up --memory 64m "$IMAGE" sleep 1000
  run pod exec up cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max
  [[ "$output" == *67108864* ]]
  run pod update --memory 96m up
  [ "$status" -eq 0 ]
  run pod exec up cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max
  [[ "$output" == *100663296* ]]
}

@test "podman kill and rm -f" {
  run_d kl "$IMAGE" sleep 1000
  run pod kill --signal KILL kl
  [ "$status" -eq 0 ]
  local i
  for i in $(seq 50); do [ "$(pod inspect --format '{{.State.Status}}' kl)" = exited ] && break; sleep 0.1; done
  [ "$(pod inspect --format '{{.State.Status}} {{.State.ExitCode}}' kl)" = "exited 137" ]
  run pod rm kl
  [ "$status" -eq 0 ]
  cgroup_gone "$CID"

  run_d rf "$IMAGE" sleep 1000
  run pod rm -f -t 0 rf
  [ "$status" -eq 0 ]
  [ -z "$(pod ps -aq)" ]
  [ ! -e "/run/berth/$CID" ]
  cgroup_gone "$CID"
}

@test "podman --memory --cpus --pids-limit: limits visible inside" {
  run pod run --rm --network none --memory 64m --cpus 0.5 --pids-limit 42 "$IMAGE" sh -c '
    cd /sys/fs/cgroup
    if [ -f memory.max ]; then cat memory.max cpu.max pids.max
    else cat memory/memory.limit_in_bytes cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us pids/pids.max; fi'
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "67108864 50000 100000 42" ]
}

@test "berth state/kill/delete as Podman calls them: no --root, empty XDG_RUNTIME_DIR, quiet" {
  run_d st "$IMAGE" sleep 1000
  local err="$BATS_TEST_TMPDIR/state.err"
  run env -i XDG_RUNTIME_DIR= "$BERTH" state "$CID" 2>"$err"
  [ "$status" -eq 0 ]
  [ ! -s "$err" ]
  [ "$(jq -r .id <<<"$output")" = "$CID" ]
  [ "$(jq -r .status <<<"$output")" = running ]
  # kill with the signal number, as Podman sends it
  run env -i XDG_RUNTIME_DIR= "$BERTH" kill "$CID" 9
  [ "$status" -eq 0 ]
  local i
  for i in $(seq 50); do [ "$(pod inspect --format '{{.State.Status}}' st)" = exited ] && break; sleep 0.1; done
  [ "$(pod inspect --format '{{.State.Status}} {{.State.ExitCode}}' st)" = "exited 137" ]
  # (Podman's cleanup has deleted the stopped container by now, or will)
  run pod rm st
  [ "$status" -eq 0 ]
  # gone: state says so on stderr with a non-zero status, as runc does
  run env -i XDG_RUNTIME_DIR= "$BERTH" state "$CID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"does not exist"* ]]
}

@test "runtime_supports_json: Podman shows berth's message from the JSON --log" {
  grep -q '"berth"' <<<"$(grep runtime_supports_json "$CONTAINERS_CONF")"
  run podj create --name js --network none "$IMAGE" no-such-command
  [ "$status" -eq 0 ]
  local cid="$output"
  run podj start js
  [ "$status" -ne 0 ]
  [[ "$output" == *"executable file not found"* ]]
  # conmon gave berth --log-format=json --log <userdata>/oci-log: one JSON
  # object, level error, and its msg is what Podman printed
  local log="$PODMAN_RUNROOT/overlay-containers/$cid/userdata/oci-log"
  [ -s "$log" ]
  [ "$(jq -s length "$log")" -eq 1 ]
  [ "$(jq -r .level "$log")" = error ]
  local msg
  msg="$(jq -r .msg "$log")"
  [[ "$msg" == *"executable file not found"* ]]
  [[ "$output" == *"$msg"* ]]
}

@test "podman run options: user, workdir, env, hostname, read-only, tmpfs, volume, caps, uidmap" {
  run pod run --rm --network none --user 65534:65534 --workdir /tmp -e FOO=bar --hostname boxy \
    "$IMAGE" sh -c 'id -u; id -g; pwd; echo $FOO; hostname'
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "65534 65534 /tmp bar boxy" ]
  mkdir -p "$BATS_TEST_TMPDIR/vol"
  echo volfile >"$BATS_TEST_TMPDIR/vol/f"
  run pod run --rm --network none --read-only --tmpfs /scratch -v "$BATS_TEST_TMPDIR/vol:/vol:ro" \
    "$IMAGE" sh -c 'cat /vol/f; touch /x || echo ro-root; touch /scratch/y && echo tmpfs-ok; touch /vol/z || echo ro-vol'
  [ "$status" -eq 0 ]
  [[ "$output" == *volfile*ro-root*tmpfs-ok*ro-vol* ]]
  run pod run --rm --network none --cap-drop all "$IMAGE" grep CapEff /proc/self/status
  [ "$(echo $output)" = "CapEff: 0000000000000000" ]
  run pod run --rm --network none --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$IMAGE" \
    sh -c 'cat /proc/self/uid_map; id -u'
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "0 100000 65536 0" ]
}

@test "podman start -a of an exited container, restart, exec options" {
  run pod run --name again --network none "$IMAGE" sh -c 'echo ran; exit 2'
  [ "$status" -eq 2 ]
  # the same id again: berth creates it anew after Podman deleted it
  run pod start -a again
  [ "$status" -eq 2 ]
  [ "$output" = ran ]
  run_d rs "$IMAGE" sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done'
  run pod restart -t 10 rs
  [ "$status" -eq 0 ]
  [ "$(pod inspect --format '{{.State.Status}}' rs)" = running ]
  run pod exec --user 65534 --workdir /tmp -e FOO=bar rs sh -c 'id -u; pwd; echo $FOO'
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "65534 /tmp bar" ]
}

@test "podman --network none: only lo" {
  run pod run --rm --network none "$IMAGE" sh -c 'ls /sys/class/net'
  [ "$status" -eq 0 ]
  [ "$output" = lo ]
}

@test "podman default network (CNI bridge) inside a private netns" {
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local ]] ||
    skip "CNI plugins missing (containernetworking-plugins)"
  command -v iptables >/dev/null || skip "iptables missing (the CNI bridge plugin needs it)"
  # Podman's bridge, its iptables rules and addresses go into a netns of
  # this suite, never the host's; the IPAM data into the tmpdir.
  ip netns add "$PODMAN_NETNS"
  ip netns exec "$PODMAN_NETNS" ip link set lo up
  cat >"$PODMAN_DIR/cni/87-podman-bridge.conflist" <<EOF
{ "cniVersion": "0.4.0", "name": "podman",
  "plugins": [
    { "type": "bridge", "bridge": "cni-podman0", "isGateway": true, "ipMasq": true,
      "ipam": { "type": "host-local", "dataDir": "$PODMAN_DIR/cni-ipam",
        "routes": [{ "dst": "0.0.0.0/0" }],
        "ranges": [[{ "subnet": "10.88.0.0/16", "gateway": "10.88.0.1" }]] } },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "firewall" } ] }
EOF
  # libcni keeps its cache in /var/lib/cni whatever the config: remove what
  # this test made there (empty dirs only)
  local cni_existed=0
  [[ -d /var/lib/cni ]] && cni_existed=1
  # nsenter, not `ip netns exec`: that one remounts /sys without cgroups
  run in_time 90 nsenter --net="/run/netns/$PODMAN_NETNS" podman --root "$PODMAN_DIR/storage" \
    --runroot "$PODMAN_RUNROOT" --tmpdir "$PODMAN_DIR/tmp" --network-config-dir "$PODMAN_DIR/cni" \
    --runtime "$BERTH" --cgroup-manager=cgroupfs run --rm "$IMAGE" \
    sh -c 'ip -4 -o addr show eth0; ping -c 1 -W 2 10.88.0.1 >/dev/null && echo ping-ok'
  if ((!cni_existed)); then
    rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null || true
  fi
  [ "$status" -eq 0 ]
  [[ "$output" == *"inet 10.88."* ]]
  [[ "$output" == *ping-ok* ]]
}

@test "podman --device LOOP:/dev/xloop:r: the container reads the device and cannot write it (issue 10)" {
  local disk="$BATS_TEST_TMPDIR/disk" loop sum
  truncate -s 1M "$disk"
  printf 'host-canary' | dd of="$disk" conv=notrunc status=none
  loop="$(losetup -f --show "$disk" 2>/dev/null)" || skip "no loop devices here"
  sum="$(sha256sum <"$disk")"
  run pod run --rm --network none --device "$loop:/dev/xloop:r" "$IMAGE" sh -c \
    'head -c 11 /dev/xloop; echo; printf pwned | dd of=/dev/xloop conv=notrunc 2>/dev/null && echo wrote || echo denied'
  losetup -d "$loop"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = host-canary ]
  [ "${lines[1]}" = denied ]
  [ "$(sha256sum <"$disk")" = "$sum" ]
}

# pod_in_bridge_netns ARGS...: podman with Podman's default network (a CNI
# bridge) set up inside the suite's netns, never the host's (see "podman
# default network" above); skips without the CNI plugins
pod_in_bridge_netns() {
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local ]] ||
    skip "CNI plugins missing (containernetworking-plugins)"
  command -v iptables >/dev/null || skip "iptables missing (the CNI bridge plugin needs it)"
  if [[ ! -e "/run/netns/$PODMAN_NETNS" ]]; then
    ip netns add "$PODMAN_NETNS"
    ip netns exec "$PODMAN_NETNS" ip link set lo up
  fi
  cat >"$PODMAN_DIR/cni/87-podman-bridge.conflist" <<EOF
{ "cniVersion": "0.4.0", "name": "podman",
  "plugins": [
    { "type": "bridge", "bridge": "cni-podman0", "isGateway": true, "ipMasq": true,
      "ipam": { "type": "host-local", "dataDir": "$PODMAN_DIR/cni-ipam",
        "routes": [{ "dst": "0.0.0.0/0" }],
        "ranges": [[{ "subnet": "10.88.0.0/16", "gateway": "10.88.0.1" }]] } },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "firewall" } ] }
EOF
  local cni_existed=0 rc=0
  [[ -d /var/lib/cni ]] && cni_existed=1
  in_time 90 nsenter --net="/run/netns/$PODMAN_NETNS" podman --root "$PODMAN_DIR/storage" \
    --runroot "$PODMAN_RUNROOT" --tmpdir "$PODMAN_DIR/tmp" --network-config-dir "$PODMAN_DIR/cni" \
    --runtime "$BERTH" --cgroup-manager=cgroupfs "$@" || rc=$?
  if ((!cni_existed)); then
    rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null || true
  fi
  return "$rc"
}

@test "podman run --sysctl net.ipv4.ip_forward=1 on the default network (a netns joined by path) (issue 11)" {
  local host_fwd host_msgmax
  host_fwd="$(cat /proc/sys/net/ipv4/ip_forward)"
  host_msgmax="$(cat /proc/sys/kernel/msgmax)"
  run pod_in_bridge_netns run --rm --sysctl net.ipv4.ip_forward=1 --sysctl kernel.msgmax=4096 "$IMAGE" \
    sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax; ip -4 -o addr show eth0 | grep -c "inet 10.88."'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "1 4096 1" ]
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_fwd" ]
  [ "$(cat /proc/sys/kernel/msgmax)" = "$host_msgmax" ]
}

@test "podman pod create, then --pod P --sysctl net.ipv4.tcp_syncookies=0 --sysctl kernel.msgmax=4096 (issue 11)" {
  local host_cookies host_msgmax
  host_cookies="$(cat /proc/sys/net/ipv4/tcp_syncookies)"
  host_msgmax="$(cat /proc/sys/kernel/msgmax)"
  # the infra container from the local busybox image (no pause image
  # offline); Podman 4.3 splits --infra-command at spaces
  POD_ID="$(pod pod create --name jp --network none --infra-image "$IMAGE" --infra-command 'sleep 1000000')"
  [[ "$POD_ID" =~ ^[0-9a-f]{64}$ ]]
  # pod members join the infra's net, ipc and uts namespaces by path
  run pod run --rm --pod jp --sysctl net.ipv4.tcp_syncookies=0 --sysctl kernel.msgmax=4096 "$IMAGE" \
    sh -c 'cat /proc/sys/net/ipv4/tcp_syncookies /proc/sys/kernel/msgmax; readlink /proc/self/ns/net'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = 4096 ]
  # the infra's namespaces took them: a second member sees them
  local infra_net="${lines[2]}"
  run pod run --rm --pod jp "$IMAGE" sh -c 'cat /proc/sys/net/ipv4/tcp_syncookies /proc/sys/kernel/msgmax; readlink /proc/self/ns/net'
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = "0 4096 $infra_net" ]
  [ "$infra_net" != "$(readlink /proc/self/ns/net)" ]
  [ "$(cat /proc/sys/net/ipv4/tcp_syncookies)" = "$host_cookies" ]
  [ "$(cat /proc/sys/kernel/msgmax)" = "$host_msgmax" ]
  run pod pod rm -f -t 0 jp
  [ "$status" -eq 0 ]
}

@test "podman --uidmap: a volume below a root:root 0000 directory binds (berth opens it on the host side)" {
  # the container's root (host 100000) cannot search the directory: berth
  # hands the init a copy of the volume made with its own credentials
  local d="$BATS_TEST_TMPDIR/locked/vol"
  mkdir -p "$d"
  echo from-the-host >"$d/f"
  chmod 644 "$d/f"
  chmod 0000 "$BATS_TEST_TMPDIR/locked"
  run pod run --rm --network none --uidmap 0:100000:65536 --gidmap 0:100000:65536 \
    -v "$d:/vol" "$IMAGE" cat /vol/f
  chmod 755 "$BATS_TEST_TMPDIR/locked"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = from-the-host ]
}

@test "podman --uidmap with an :idmap volume: the host's root files are the container root's" {
  local d="$BATS_TEST_TMPDIR/idm"
  # tmpfs (the VM's /tmp) has id-mapped mounts only since Linux 6.3
  if [ "$(stat -f -c %T "$BATS_TEST_TMPDIR")" = tmpfs ] \
    && (($(uname -r | awk -F. '{ printf "%d%03d", $1, $2 }') < 6003)); then
    skip "tmpfs has no id-mapped mounts before Linux 6.3"
  fi
  mkdir "$d"
  echo x >"$d/f"
  run pod run --rm --network none --uidmap 0:100000:65536 --gidmap 0:100000:65536 \
    -v "$d:/idm:idmap" "$IMAGE" sh -c 'stat -c %u:%g /idm/f; echo y >/idm/new && echo written'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0:0 ]
  [ "${lines[1]}" = written ]
  [ "$(stat -c %u:%g "$d/new")" = 0:0 ]
}

@test "podman run --sdnotify=container: the container's READY=1 reaches NOTIFY_SOCKET (issue 11)" {
  # Podman 4.3 proxies the socket itself (its own /run/notify mount and
  # NOTIFY_SOCKET in the spec; the runtime is not given NOTIFY_SOCKET):
  # berth must leave that working. tests/integration/notify.bats tests
  # berth's own relay.
  # the role of systemd: a host socket that records what it is sent
  local sock="$BATS_TEST_TMPDIR/notify.sock" got="$BATS_TEST_TMPDIR/got" bin="$BATS_TEST_TMPDIR/sdnotify"
  printf '%s\n' '#include <stdlib.h>' '#include <string.h>' '#include <sys/socket.h>' '#include <sys/un.h>' \
    'int main(int c, char **v) { struct sockaddr_un a = {.sun_family = AF_UNIX}; const char *p = getenv("NOTIFY_SOCKET");' \
    '  if (c != 2 || !p) return 2; strncpy(a.sun_path, p, sizeof a.sun_path - 1); int fd = socket(AF_UNIX, SOCK_DGRAM, 0);' \
    '  return sendto(fd, v[1], strlen(v[1]), 0, (struct sockaddr *) &a, sizeof a) < 0; }' > "$bin.c"
  gcc -static -O1 -o "$bin" "$bin.c"
  python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2], "wb").close()
while True:
    d = s.recv(65536)
    with open(sys.argv[2], "ab") as f:
        f.write(d + b"--\n")
' "$sock" "$got" </dev/null >/dev/null 2>&1 &
  local lpid=$!
  for _ in $(seq 100); do [ -S "$sock" ] && [ -e "$got" ] && break; sleep 0.05; done
  local rc=0
  NOTIFY_SOCKET="$sock" pod run -d --name notify --network none --sdnotify=container -v "$bin:/sdnotify:ro" \
    "$IMAGE" sh -c 'sleep 1; /sdnotify READY=1; exec sleep 1000' </dev/null || rc=$?
  for _ in $(seq 100); do grep -q '^READY=1' "$got" && break; sleep 0.1; done
  kill "$lpid" 2>/dev/null || true
  [ "$rc" -eq 0 ]
  grep -q '^READY=1' "$got"
  grep -q '^MAINPID=[1-9][0-9]*' "$got"
}
