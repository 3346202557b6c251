#!/usr/bin/env bash
# contrib/bench/net.sh: time berth's bridge networking against Debian's CNI
# plugins (containernetworking-plugins: /usr/lib/cni/bridge + host-local)
# doing the same work: a bridge with the gateway address, a veth pair with
# one end in the container's network namespace, an address from a
# file-based allocator, the default route; and undoing it.
#
#   contrib/bench/net.sh            N=50 rounds of each, side by side
#   N=200 contrib/bench/net.sh
#   BERTH=/path/to/berth contrib/bench/net.sh
#
# A benchmark, not a test: run as root. Everything happens in a private
# network namespace (berthbench-PID) that is deleted at the end, with its
# own bridge names and lease/IPAM directories.
#
# What is timed, per round:
#   berth  `berth create` + `berth delete` of a container with
#          run.berth.net.mode=bridge. berth times its network work itself
#          (debug log, CLOCK_MONOTONIC): on create the annotations, the
#          lease and the files ("leased ... in N us") plus the netlink part
#          ("set up in N us": bridge check, veth, VLAN, address, route), on
#          delete the veth and the lease ("removed in N us"). These are the
#          figures compared. As a cross-check the script also times whole
#          creates and deletes against an identical container without
#          network (mode none); those differences carry the noise of
#          everything else a create does and of the kernel's deferred
#          namespace cleanup, so they are shown but not used for the ratio.
#   CNI    the bridge plugin's ADD and DEL as a runtime calls them (exec of
#          bridge, which execs host-local), for a fresh network namespace
#          made by `ip netns add` outside the timing.
set -euo pipefail

N="${N:-50}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
BERTH="${BERTH:-}"
if [[ -z "$BERTH" ]]; then
  for b in "$repo/build/berth" "$repo"/build-*/berth; do
    [[ -x "$b" ]] && { BERTH="$b"; break; }
  done
fi
CNI_PATH="${CNI_PATH:-/usr/lib/cni}"
export CNI_PATH

die() { echo "bench-net: $*" >&2; exit 1; }
[[ $EUID -eq 0 ]] || die "run as root"
[[ -x "$BERTH" ]] || die "no berth binary (set BERTH)"
[[ -x "$CNI_PATH/bridge" && -x "$CNI_PATH/host-local" ]] ||
  die "$CNI_PATH/bridge and host-local missing (apt-get install containernetworking-plugins)"
command -v jq >/dev/null || die "jq missing"

# shellcheck source=tests/lib/bundle.bash
source "$repo/tests/lib/bundle.bash"

NS="berthbench-$$"
TMP="$(mktemp -d /tmp/bench-net.XXXXXX)"
ROOT="$TMP/root"
BERTH_BR="bbr$$"
BERTH_BR="${BERTH_BR:0:15}"
CNI_BR="cbr$$"
CNI_BR="${CNI_BR:0:15}"
CNI_NS_PREFIX="berthbench-cni-$$"

cleanup() {
  set +e
  for d in "$ROOT"/*/; do
    [[ -d "$d" ]] && nsenter --net="/run/netns/$NS" "$BERTH" --root "$ROOT" delete --force "$(basename "$d")"
  done
  for ns in $(ip netns list | awk -v p="$CNI_NS_PREFIX" 'index($1, p) == 1 { print $1 }'); do
    ip netns del "$ns"
  done
  ip netns del "$NS" 2>/dev/null
  rm -rf "/var/lib/berth/net/$BERTH_BR" "$TMP"
}
trap cleanup EXIT
ip netns add "$NS"

inns() { nsenter --net="/run/netns/$NS" "$@"; }

# ---------------------------------------------------------------- berth bundles

make_busybox_rootfs "$TMP/rootfs"
mkbundle() {
  local dir=$1 mode=$2
  mkdir -p "$dir"
  ln -s "$TMP/rootfs" "$dir/rootfs"
  "$BERTH" spec --bundle "$dir"
  jq --arg m "$mode" --arg br "$BERTH_BR" '.process.terminal = false | .process.args = ["true"]
     | .annotations = {"run.berth.net.mode": $m, "run.berth.net.bridge": $br,
                       "run.berth.net.subnet": "10.77.0.0/16"}' \
    "$dir/config.json" >"$dir/c" && mv "$dir/c" "$dir/config.json"
}
mkbundle "$TMP/net" bridge
mkbundle "$TMP/nonet" none

# microseconds since the epoch, without a fork
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

berth_pair() { # BUNDLE ID: create, delete; prints both times in microseconds
  local t0 t1 t2
  t0=$(now_us)
  inns "$BERTH" --root "$ROOT" --log "$TMP/berth.log" --log-level debug create --bundle "$1" "$2" \
    </dev/null >/dev/null 2>&1
  t1=$(now_us)
  inns "$BERTH" --root "$ROOT" --log "$TMP/berth.log" --log-level debug delete "$2" 2>/dev/null
  t2=$(now_us)
  echo $((t1 - t0)) $((t2 - t1))
}

# ---------------------------------------------------------------- CNI

cat >"$TMP/cni.conf" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "berthbench",
  "type": "bridge",
  "bridge": "$CNI_BR",
  "isDefaultGateway": true,
  "ipMasq": false,
  "ipam": {
    "type": "host-local",
    "ranges": [[{"subnet": "10.78.0.0/16"}]],
    "dataDir": "$TMP/cni-ipam"
  }
}
EOF

cni() { # COMMAND ID NETNS
  CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=$3 CNI_IFNAME=eth0 \
    inns "$CNI_PATH/bridge" <"$TMP/cni.conf" >"$TMP/cni.out" ||
    die "CNI $1 failed: $(cat "$TMP/cni.out")"
}

# ---------------------------------------------------------------- rounds

bn_create=0 bn_delete=0 bx_create=0 bx_delete=0 cni_add=0 cni_del=0
# one warm-up of each (page cache, bridge creation), not counted
berth_pair "$TMP/net" warm >/dev/null
berth_pair "$TMP/nonet" warm >/dev/null
ip netns add "$CNI_NS_PREFIX-warm"
cni ADD warm "/run/netns/$CNI_NS_PREFIX-warm"
cni DEL warm "/run/netns/$CNI_NS_PREFIX-warm"
ip netns del "$CNI_NS_PREFIX-warm"
: >"$TMP/berth.log"

for i in $(seq 1 "$N"); do
  read -r c d < <(berth_pair "$TMP/net" "n$i")
  bn_create=$((bn_create + c)) bn_delete=$((bn_delete + d))
  read -r c d < <(berth_pair "$TMP/nonet" "x$i")
  bx_create=$((bx_create + c)) bx_delete=$((bx_delete + d))

  ns="$CNI_NS_PREFIX-$i"
  ip netns add "$ns"
  t0=$(now_us)
  cni ADD "c$i" "/run/netns/$ns"
  t1=$(now_us)
  cni DEL "c$i" "/run/netns/$ns"
  t2=$(now_us)
  ip netns del "$ns"
  cni_add=$((cni_add + t1 - t0))
  cni_del=$((cni_del + t2 - t1))
done

# sanity: both really did the work (addresses handed out and given back)
! compgen -G "/var/lib/berth/net/$BERTH_BR/[0-9]*" >/dev/null || die "berth left leases behind"
inns ip -4 -o addr show dev "$BERTH_BR" | grep -q 'inet 10.77.0.1/16' || die "berth's bridge has no gateway"
inns ip -4 -o addr show dev "$CNI_BR" | grep -q 'inet 10.78.0.1/16' || die "CNI's bridge has no gateway"

# sum and count of the "... in N us" figures of one kind in berth's log
logged() {
  sed -n "s/.*$1 in \\([0-9]*\\) us.*/\\1/p" "$TMP/berth.log" | awk '{ s += $1; n++ } END { print s + 0, n + 0 }'
}
read -r lease_us lease_n < <(logged 'network: leased .*')
read -r attach_us attach_n < <(logged 'set up')
read -r remove_us remove_n < <(logged 'removed')
[[ $lease_n -eq $N && $attach_n -eq $N && $remove_n -eq $N ]] ||
  die "berth's log has $lease_n/$attach_n/$remove_n timings, expected $N each"

awk -v n="$N" -v nc="$bn_create" -v nd="$bn_delete" -v xc="$bx_create" -v xd="$bx_delete" \
  -v ca="$cni_add" -v cd="$cni_del" -v lu="$lease_us" -v au="$attach_us" -v ru="$remove_us" 'BEGIN {
  ms = 1000.0 * n
  setup = (lu + au) / ms; teardown = ru / ms
  printf "rounds: %d, berth and CNI interleaved in one private network namespace (means, ms)\n", n
  printf "setup     berth %7.2f (lease %.2f + netlink %.2f)   CNI ADD %7.2f   ratio %5.1fx\n",
         setup, lu / ms, au / ms, ca / ms, ca / ms / setup
  printf "teardown  berth %7.2f (veth + lease)                CNI DEL %7.2f   ratio %5.1fx\n",
         teardown, cd / ms, cd / ms / teardown
  printf "total     berth %7.2f                               CNI     %7.2f   ratio %5.1fx\n",
         setup + teardown, (ca + cd) / ms, (ca + cd) / ms / (setup + teardown)
  printf "cross-check, whole commands: create %.2f with network / %.2f without, delete %.2f / %.2f\n",
         nc / ms, xc / ms, nd / ms, xd / ms
}'
