#!/usr/bin/env bats
# Issue 14: rootless Podman (4.3, conmon 2.1) on berth. The suite creates
# an ordinary user with a home and an /etc/subuid and /etc/subgid range,
# and runs `podman --runtime $BERTH_COPY` as that user through runuser:
# Podman's own user namespace (newuidmap), its rootless storage in the
# user's home and its rootless network (slirp4netns). runc is the oracle
# where behaviour is in doubt. Everything goes with the user in
# teardown_file.

bats_require_minimum_version 1.5.0
load ../helpers
load clients
load ../lib/rootless

IMAGE=localhost/busybox:berth

setup_file() {
  clients_require_packages podman conmon golang-github-containers-common uidmap slirp4netns
  [[ -f /etc/containers/policy.json ]] || skip "/etc/containers/policy.json missing (golang-github-containers-common)"
  rl_setup_file
  PR_USER=$RL_USER PR_UID=$RL_UID PR_HOME=$RL_HOME PR_SUB=$RL_SUB
  PR_XDG="$PR_HOME/xdg"
  mkdir -m 700 "$PR_XDG"
  chown "$PR_USER:" "$PR_XDG"
  # the user runs its own copy (the build tree may not be reachable)
  PR_BERTH=$RL_BIN
  # slirp4netns opens /dev/net/tun as the user: some hosts make it 0600
  PR_TUN_MODE=""
  if [[ -c /dev/net/tun ]]; then
    PR_TUN_MODE="$(stat -c %a /dev/net/tun)"
    chmod 666 /dev/net/tun
  fi
  export PR_USER PR_UID PR_HOME PR_SUB PR_XDG PR_BERTH PR_TUN_MODE
  clients_image_rootfs "$PR_HOME/rootfs"
  tar -C "$PR_HOME/rootfs" -cf "$PR_HOME/busybox.tar" .
  rm -rf "$PR_HOME/rootfs"
  chown "$PR_USER:" "$PR_HOME/busybox.tar"
  as_user podman import --change CMD=/bin/sh "$PR_HOME/busybox.tar" "$IMAGE" >/dev/null
}

teardown() {
  rpod rm -af -t 0 >/dev/null 2>&1 || true
  opod rm -af -t 0 >/dev/null 2>&1 || true
}

teardown_file() {
  [[ -n "${PR_USER:-}" ]] || return 0
  as_user podman rm -af -t 0 >/dev/null 2>&1 || true
  # podman's pause process and conmons go with the user
  rl_teardown_file
  [[ -d "$PR_HOME" ]] && rm -rf --one-file-system "$PR_HOME"
  if [[ -n "${PR_TUN_MODE:-}" ]]; then chmod "$PR_TUN_MODE" /dev/net/tun; fi
}

# as_user CMD...: CMD as the suite's user, in a clean environment, bounded
as_user() {
  in_time 120 runuser -u "$PR_USER" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$PR_HOME" \
    XDG_RUNTIME_DIR="$PR_XDG" sh -c 'cd "$HOME" && exec "$@"' sh "$@"
}

# rpod ARGS...: rootless podman on berth; opod: the same on runc (the oracle)
rpod() {
  as_user podman --runtime "$PR_BERTH" --cgroup-manager=cgroupfs --events-backend=file "$@"
}
opod() {
  as_user podman --runtime runc --cgroup-manager=cgroupfs --events-backend=file "$@"
}

@test "rootless podman run --rm on berth: root inside Podman's user namespace, exit codes, slirp4netns network" {
  run rpod run --rm "$IMAGE" sh -c 'id -u; cat /proc/self/uid_map; ip -4 addr show tap0 | grep -c inet'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "$(echo "${lines[1]}" | awk '{ print $1, $2, $3 }')" = "0 $PR_UID 1" ]
  [ "$(echo "${lines[2]}" | awk '{ print $1, $2, $3 }')" = "1 $PR_SUB 65536" ]
  [ "${lines[3]}" = 1 ]
  run rpod run --rm --network none "$IMAGE" sh -c 'exit 3'
  [ "$status" -eq 3 ]
  # berth kept its state in the user's runtime dir, and removed it
  [ -d "$PR_XDG/berth" ]
  [ -z "$(ls -A "$PR_XDG/berth")" ]
}

@test "rootless podman run -d, exec, stop, rm on berth" {
  run rpod run -d --name det --network none "$IMAGE" sh -c 'trap "exit 7" TERM; echo started; while :; do sleep 0.1; done'
  [ "$status" -eq 0 ]
  local cid=${lines[-1]} i
  [[ "$cid" =~ ^[0-9a-f]{64}$ ]]
  [ -f "$PR_XDG/berth/$cid/state.json" ]
  run rpod exec det sh -c 'id -u; cat /proc/1/cmdline | tr "\0" " "'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [[ "${lines[1]}" == "sh -c trap"* ]]
  run rpod exec det sh -c 'exit 4'
  [ "$status" -eq 4 ]
  rpod stop -t 5 det
  [ "$(rpod inspect --format '{{.State.ExitCode}}' det)" = 7 ]
  rpod rm det
  [ ! -e "$PR_XDG/berth/$cid" ]
}

@test "rootless podman --memory: berth does what runc does (Podman ignores it without a delegated cgroup v2)" {
  run opod run --rm --network none --memory 64m "$IMAGE" true
  local oracle_status=$status oracle_output=$output
  run rpod run --rm --network none --memory 64m "$IMAGE" true
  echo "runc: $oracle_status $oracle_output"
  echo "berth: $status $output"
  [ "$status" -eq "$oracle_status" ]
  [ "$output" = "$oracle_output" ]
}
