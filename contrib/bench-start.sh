#!/usr/bin/env bash
# Container start benchmark: berth, crun and runc side by side in one run.
#   sudo contrib/bench-start.sh [BERTH_BINARY] [RUNS]
# Each runtime runs the same busybox-static bundle (`true` as the user
# program) with `run`, which covers create + start + wait + delete.
# Prints hyperfine's table and the peak RSS (/usr/bin/time -v) of one run.
# crun 1.8 refuses hybrid cgroup hosts, so on one it runs in a private
# mount namespace with the v2 mount hidden (as its docs suggest).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
BERTH="$(realpath "${1:-$REPO/build/berth}")"
RUNS="${2:-200}"
for p in hyperfine crun runc busybox-static time jq; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="${missing:-} $p"
done
if [ -n "${missing:-}" ]; then apt-get update -qq && apt-get install -y -qq $missing >/dev/null; fi

work="$(mktemp -d /tmp/berth-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/bundle/rootfs/bin" "$work/bundle/rootfs/"{proc,sys,dev,tmp}
cp /bin/busybox "$work/bundle/rootfs/bin/"
ln -s busybox "$work/bundle/rootfs/bin/true"
(cd "$work/bundle" && "$BERTH" spec)
jq '.ociVersion="1.0.2" | .process.terminal=false | .process.args=["/bin/true"]' "$work/bundle/config.json" >"$work/c" \
  && mv "$work/c" "$work/bundle/config.json"

# crun 1.8 refuses hybrid hosts: run it with the v2 mount hidden
CRUN=crun
if grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then
  printf '#!/bin/sh\nexec unshare -m sh -c '\''umount /sys/fs/cgroup/unified && exec crun "$@"'\'' crun "$@"\n' >"$work/crun"
  chmod +x "$work/crun"
  CRUN="$work/crun"
fi

run_cmd() { # NAME BINARY -> shell command doing one `run` of the bundle
  echo "cd $work/bundle && $2 --root $work/root-$1 run bench-$1"
}

echo "== create+start+wait+delete of a container ($RUNS runs each), kernel $(uname -r), $(nproc) cpus"
hyperfine -N --warmup 10 --runs "$RUNS" --style basic \
  -n berth "sh -c '$(run_cmd berth "$BERTH")'" \
  -n crun "sh -c '$(run_cmd crun "$CRUN")'" \
  -n runc "sh -c '$(run_cmd runc runc)'" \
  --export-json "$work/result.json"

echo
echo "== peak RSS of one run (kB, /usr/bin/time -v; for crun this includes its unshare wrapper)"
for rt in berth crun runc; do
  case $rt in berth) bin="$BERTH" ;; crun) bin="$CRUN" ;; runc) bin=runc ;; esac
  rss=$(cd "$work/bundle" && /usr/bin/time -v "$bin" --root "$work/root-$rt" run "rss-$rt" 2>&1 >/dev/null \
        | awk -F': ' '/Maximum resident/ {print $2}')
  printf '%-6s %s\n' "$rt" "$rss"
done
echo
jq -r '.results[] | "\(.command): mean \((.mean*100000 | round) / 100) ms ± \((.stddev*100000 | round) / 100) ms"' "$work/result.json"
