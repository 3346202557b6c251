# tests/lib/rootless.bash: what tests/integration/rootless*.bats load after
# ../helpers: a user of the suite's own (with a home, /etc/subuid and
# /etc/subgid ranges) made in setup_file and removed in teardown_file, and
# berth run as that user:
#   RL_USER RL_UID RL_GID RL_HOME RL_SUB (its subordinate range, 65536 ids)
#   RL_BIN       a copy of berth the user owns (~/berth)
#   XDG          the user's XDG_RUNTIME_DIR (~/xdg), made per test
#   B            the bundle dir (~/b)
#   as_user CMD...          CMD as the user, clean environment
#   rl_berth ARGS...        berth as the user
#   rl_bundle FILTER [JQ-OPTIONS...]  $B from `berth spec --rootless`
#   rl_edit FILTER [JQ-OPTIONS...]    more jq edits, the config staying the user's
#   assert_rl_clean         nothing of $ID left: state dir, cgroup, mounts
# A suite defining setup_file/setup/teardown of its own calls the rl_ ones.
rl_setup_file() {
  RL_USER="brl$$"
  useradd -m -s /bin/sh "$RL_USER"
  RL_UID="$(id -u "$RL_USER")"
  RL_GID="$(id -g "$RL_USER")"
  RL_HOME="$(getent passwd "$RL_USER" | cut -d: -f6)"
  # a subordinate range of the suite's own (useradd may have given one)
  RL_SUB=$((2000000 + ($$ % 1000) * 65536))
  sed -i "/^$RL_USER:/d" /etc/subuid /etc/subgid
  echo "$RL_USER:$RL_SUB:65536" >>/etc/subuid
  echo "$RL_USER:$RL_SUB:65536" >>/etc/subgid
  RL_BIN="$RL_HOME/berth"
  cp "$BERTH" "$RL_BIN"
  chown "$RL_USER:" "$RL_BIN"
  chmod 755 "$RL_BIN"
  export RL_USER RL_UID RL_GID RL_HOME RL_SUB RL_BIN
}

rl_teardown_file() {
  local p
  if [[ -n "${RL_UID:-}" ]]; then
    for p in $(pgrep -u "$RL_UID"); do kill -KILL "$p" 2>/dev/null || true; done
    sleep 0.2
  fi
  if [[ -n "${RL_USER:-}" ]]; then
    userdel -r "$RL_USER" 2>/dev/null || true
    sed -i "/^$RL_USER:/d" /etc/subuid /etc/subgid
  fi
  return 0
}

rl_setup() {
  ID="$(unique_id rl)"
  XDG="$RL_HOME/xdg"
  mkdir -p "$XDG"
  chown "$RL_USER:" "$XDG"
  chmod 700 "$XDG"
  B="$RL_HOME/b"
}

rl_teardown() {
  local dir
  for dir in "$XDG"/berth/*/; do
    [[ -d "$dir" ]] && rl_berth delete --force "$(basename "$dir")"
  done
  rm -rf "$XDG" "$B" "$RL_HOME/ov" "$RL_HOME/canary" "$RL_HOME/root"
  if [[ -n "${DELEG:-}" && -d "$DELEG" ]]; then
    find "$DELEG" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
    rmdir "$DELEG"
  fi
}

# as_user CMD...: CMD as the suite's user, in a clean environment
as_user() {
  _runtime runuser -u "$RL_USER" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$RL_HOME" \
    XDG_RUNTIME_DIR="$XDG" "$@"
}

rl_berth() {
  as_user "$RL_BIN" "$@"
}

# rl_bundle FILTER [JQ-OPTIONS...]: $B from `berth spec --rootless` (run by
# the user), a busybox rootfs owned by the user, terminal off, then FILTER
rl_bundle() {
  local filter=${1:-.}
  shift || true
  mkdir -p "$B"
  make_busybox_rootfs "$B/rootfs"
  chown -R "$RL_USER:" "$B"
  (cd "$B" && as_user "$RL_BIN" spec --rootless)
  jq '.process.terminal = false | '"$filter" "$@" "$B/config.json" >"$B/config.json.new"
  mv "$B/config.json.new" "$B/config.json"
  chown "$RL_USER:" "$B/config.json"
}

# rl_edit FILTER [JQ-OPTIONS...]: bundle_edit, the config staying the user's
rl_edit() {
  bundle_edit "$B" "$@"
  chown "$RL_USER:" "$B/config.json"
}

# nothing of ID: no state dir, no cgroup, nothing mounted in the user's home
assert_rl_clean() {
  [ ! -e "$XDG/berth/$ID" ]
  [ -z "$(berth_cgroup_dirs "$ID")" ]
  ! grep -q " $RL_HOME" /proc/self/mountinfo
}

setup_file() { rl_setup_file; }
teardown_file() { rl_teardown_file; }
setup() { rl_setup; }
teardown() { rl_teardown; }
