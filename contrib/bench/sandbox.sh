#!/usr/bin/env bash
# contrib/bench/sandbox.sh: `berth sandbox -- true` against bubblewrap doing
# the closest equivalent and against `podman run --rm` (issue 18's goals:
# at most 1.5x bwrap, at most 0.1x podman). A benchmark, not a test. As root:
#
#   sudo contrib/bench/sandbox.sh [--runs N] [--berth PATH] [--out FILE]
#
# The three, each running `true`:
#   berth    berth sandbox -q -- true: overlay of the host's / with an
#            ephemeral upper, /tmp tmpfs, new pid/mount/ipc/uts/cgroup/net
#            namespaces, a cgroup, seccomp, caps, the report read at the end
#   bwrap    bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp
#            --unshare-all --die-with-parent --new-session true: the same
#            namespaces and a read-only host root, but no cgroup, no
#            overlay, no seccomp
#   podman   podman run --rm --network none (runtime runc, cgroupfs, the
#            ulimits of contrib/podman/containers.conf) of a
#            busybox image imported into a private storage root
# Everything it makes is removed on exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$here/../.." && pwd)"
RUNS=30 BERTH="$REPO/build/berth" OUT=""
while (($#)); do
  case $1 in
    --runs) RUNS=${2:?}; shift ;;
    --berth) BERTH=${2:?}; shift ;;
    --out) OUT=${2:?}; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "sandbox.sh: unknown option $1" >&2; exit 1 ;;
  esac
  shift
done
((EUID == 0)) || { echo "sandbox.sh: run as root" >&2; exit 1; }
for t in hyperfine bwrap podman jq; do
  command -v "$t" >/dev/null || { echo "sandbox.sh: $t missing (apt-get install $t)" >&2; exit 1; }
done
W="$(mktemp -d /tmp/berth-bench-sandbox.XXXXXX)"
PODMAN_RUNROOT="$(mktemp -d /tmp/bbs-pod.XXXXXX)" # Podman wants a short runroot
pod() {
  podman --root "$W/storage" --runroot "$PODMAN_RUNROOT" --tmpdir "$W/tmp" --runtime runc \
    --cgroup-manager=cgroupfs "$@"
}
cleanup() {
  pod rm -af -t 0 >/dev/null 2>&1 || true
  pod system reset -f >/dev/null 2>&1 || true
  umount -R "$W/storage" 2>/dev/null || true
  rm -rf "$W" "$PODMAN_RUNROOT"
}
trap cleanup EXIT
mkdir -p "$W/tmp"
# Podman's default RLIMIT_NOFILE (1048576) is above what this host allows
printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n' >"$W/containers.conf"
export CONTAINERS_CONF="$W/containers.conf"
# shellcheck source=../../tests/lib/bundle.bash
source "$REPO/tests/lib/bundle.bash"
make_busybox_rootfs "$W/rootfs"
tar -C "$W/rootfs" -cf "$W/busybox.tar" .
pod import "$W/busybox.tar" localhost/bench-busybox:latest >/dev/null

hyperfine --style basic -N --warmup 3 --runs "$RUNS" --export-json "$W/h.json" \
  -n berth "$BERTH --root $W/berth-root sandbox -q -- true" \
  -n bwrap "bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --unshare-all --die-with-parent --new-session true" \
  -n podman "podman --root $W/storage --runroot $PODMAN_RUNROOT --tmpdir $W/tmp --runtime runc --cgroup-manager=cgroupfs run --rm --network none localhost/bench-busybox:latest true" \
  >&2
report="$(jq -r '
  (.results | map({(.command): .}) | add) as $r
  | "| command | median ms | mean ms | min ms |",
    "|---|---|---|---|",
    (.results[] | "| \(.command) | \(.median*1000*100|round/100) | \(.mean*1000*100|round/100) | \(.min*1000*100|round/100) |"),
    "",
    "berth / bwrap = \($r.berth.median / $r.bwrap.median * 100 | round / 100) (goal <= 1.5)",
    "berth / podman = \($r.berth.median / $r.podman.median * 1000 | round / 1000) (goal <= 0.1)"
  ' "$W/h.json")"
echo "$report"
[[ -z "$OUT" ]] || echo "$report" >"$OUT"
