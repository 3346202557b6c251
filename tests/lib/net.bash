# tests/lib/net.bash: what the bridge-network suites (net.bats, net-vlan.bats)
# load after ../helpers: a network namespace, bridge name and lease
# directory of the test's own (removed in teardown), a bundle $B asking for
# the bridge network, and berth run inside that namespace.
setup() {
  NS="berthtest-$$-${BATS_TEST_NUMBER}"
  BR="bt$$x${BATS_TEST_NUMBER}"
  BR="${BR:0:15}"
  LEASES="/var/lib/berth/net/$BR"
  KMARK="$(kernel_log_mark)"
  rm -rf "$LEASES"
  ip netns add "$NS"
  B="$BATS_TEST_TMPDIR/b"
  # busybox ping needs CAP_NET_RAW, which the default config lacks
  make_bundle "$B" '.process.args = ["sleep", "1000"]
    | .annotations["run.berth.net.mode"] = "bridge"
    | .annotations["run.berth.net.bridge"] = $br
    | .process.capabilities.bounding += ["CAP_NET_RAW"]
    | .process.capabilities.effective += ["CAP_NET_RAW"]
    | .process.capabilities.permitted += ["CAP_NET_RAW"]' --arg br "$BR"
}

teardown() {
  local dir
  for dir in "$BERTH_ROOT"/*/; do
    [[ -d "$dir" ]] && nsberth delete --force "$(basename "$dir")"
  done
  cleanup_containers
  for pidfile in "$BATS_TEST_TMPDIR"/*.pid; do
    [[ -f "$pidfile" ]] && kill -9 "$(cat "$pidfile")" 2>/dev/null
  done
  ip netns del "$NS" 2>/dev/null
  rm -rf "$LEASES"
  [[ -n "${USERNS_DIR:-}" ]] && rm -rf "$USERNS_DIR"
  true
}

# berth with its --root, in the test's network namespace
nsberth() {
  nsenter --net="/run/netns/$NS" "$BERTH" --root "$BERTH_ROOT" "$@"
}

# like bats' run, for create/run -d: stdio on a file (the init inherits it)
ns_detached() {
  local rc=0
  nsberth "$@" </dev/null >"$BATS_TEST_TMPDIR/detached.out" 2>&1 || rc=$?
  status=$rc
  output="$(cat "$BATS_TEST_TMPDIR/detached.out")"
}

# bundle DIR [JQ-FILTER [JQ-OPTIONS...]]: a copy of $B with more edits
bundle() {
  local dir=$1
  shift
  mkdir -p "$dir"
  cp "$B/config.json" "$dir/config.json"
  ln -sfn "$B/rootfs" "$dir/rootfs"
  if (($#)); then
    bundle_edit "$dir" "$@"
  fi
}

# start a sleeping container ID from bundle DIR (default $B)
start_sleeper() {
  ns_detached run -d --bundle "${2:-$B}" "$1"
  [ "$status" -eq 0 ] || { echo "run -d $1: $output" >&2; return 1; }
}

pid_of() {
  nsberth state "$1" | jq -r .pid
}

# the IPv4 address/prefix of the container's interface (default eth0)
addr_of() {
  nsenter -t "$(pid_of "$1")" -n ip -4 -o addr show dev "${2:-eth0}" | awk '{ print $4 }'
}

# the bridge's ports (host ends of the veths)
ports() {
  ip -n "$NS" -o link show master "$BR" 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
}

lease_files() {
  find "$LEASES" -mindepth 1 -maxdepth 1 ! -name lock -printf '%f\n' 2>/dev/null | sort
}
