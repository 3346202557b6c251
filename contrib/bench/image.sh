#!/usr/bin/env bash
# OCI images (issue 17): a 5-layer image built with umoci (busybox, then
# zoneinfo, perl, python and man pages: ~150 MiB unpacked, gzip layers).
#   sudo contrib/bench/image.sh [RUNS] [BERTH]
# 1. first run: `berth run` of the image with an empty layer store
#    (unpack + verify + run) vs `umoci unpack` of the same image;
# 2. cached run: `berth run` of the image, layers in the store, vs
#    `berth run` of a plain rootfs directory bundle.
# Prints hyperfine's markdown tables.
set -euo pipefail
RUNS="${1:-10}"
BERTH="$(realpath "${2:-build/berth}")"
work="$(mktemp -d /tmp/berth-bench-image.XXXXXX)"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
cd "$work"

umoci init --layout img >/dev/null
umoci new --image img:b >/dev/null
umoci unpack --image img:b u >/dev/null
mkdir -p u/rootfs/bin u/rootfs/{proc,sys,dev,tmp}
cp /bin/busybox u/rootfs/bin/
ln -s busybox u/rootfs/bin/true
umoci repack --refresh-bundle --image img:b u
for src in /usr/share/zoneinfo /usr/share/perl /usr/lib/python3* /usr/share/man/man1; do
  [ -d "$src" ] || continue
  mkdir -p "u/rootfs$(dirname "$src")"
  cp -a "$src" "u/rootfs$src"
  umoci repack --refresh-bundle --image img:b u
done
umoci config --image img:b --config.cmd /bin/true >/dev/null
echo "layers: $(jq '.layers | length' "img/blobs/sha256/$(jq -r '.manifests[0].digest' img/index.json | cut -d: -f2)"), unpacked: $(du -sh u/rootfs | cut -f1)"

mkdir -p ib pb
(cd ib && "$BERTH" spec --image "$work/img:b")
jq '.process.args = ["/bin/true"]' ib/config.json >c && mv c ib/config.json
cp -a u/rootfs pb/rootfs
(cd pb && "$BERTH" spec)
jq '.process.terminal = false | .process.args = ["/bin/true"]' pb/config.json >c && mv c pb/config.json

store="$work/store"
hyperfine -N -r "$RUNS" --export-markdown first.md \
  --prepare "$BERTH --storage-root $store storage prune --all" \
  -n "berth run (empty store)" "$BERTH --root $work/run --storage-root $store run --bundle $work/ib first" \
  --prepare "rm -rf $work/unp" \
  -n "umoci unpack" "umoci unpack --image $work/img:b $work/unp" >&2
"$BERTH" --root "$work/run" --storage-root "$store" run --bundle "$work/ib" warm
hyperfine -N -w 3 -r "$((RUNS * 5))" --export-markdown cached.md \
  -n "berth run (image, cached layers)" "$BERTH --root $work/run --storage-root $store run --bundle $work/ib c" \
  -n "berth run (plain rootfs)" "$BERTH --root $work/run run --bundle $work/pb p" >&2
cat first.md cached.md
