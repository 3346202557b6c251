#!/usr/bin/env bash
# Cost of the sealed re-exec (berth.8 SECURITY): `run` and `exec` of builds
# of berth side by side with crun, each in one hyperfine run.
#   sudo contrib/bench/sealed.sh [RUNS] NAME=BERTH_BINARY...
# e.g. contrib/bench/sealed.sh 100 base=/tmp/base/build/berth sealed=build/berth
# crun 1.8 refuses hybrid cgroup hosts: there it runs in a private mount
# namespace with the v2 mount hidden (the wrapper's unshare+sh is in its time).
set -euo pipefail
RUNS="${1:-100}"
shift
work="$(mktemp -d /tmp/berth-bench.XXXXXX)"
names=() bins=()
cleanup() {
  local i
  for i in "${!names[@]}"; do
    "${bins[$i]}" --root "$work/root-${names[$i]}" delete --force "sleeper-${names[$i]}" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

CRUN=crun
if grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then
  printf '#!/bin/sh\nexec unshare -m sh -c '\''umount /sys/fs/cgroup/unified && exec crun "$@"'\'' crun "$@"\n' >"$work/crun"
  chmod +x "$work/crun"
  CRUN="$work/crun"
fi
for arg in "$@"; do
  names+=("${arg%%=*}")
  bins+=("$(realpath "${arg#*=}")")
done
names+=(crun)
bins+=("$CRUN")

mkdir -p "$work/bundle/rootfs/bin" "$work/bundle/rootfs/"{proc,sys,dev,tmp}
cp /bin/busybox "$work/bundle/rootfs/bin/"
for a in true sleep; do ln -s busybox "$work/bundle/rootfs/bin/$a"; done
(cd "$work/bundle" && "${bins[0]}" spec)
jq '.ociVersion="1.0.2" | .process.terminal=false | .process.args=["/bin/true"]' "$work/bundle/config.json" >"$work/c" \
  && mv "$work/c" "$work/bundle/config.json"
mkdir "$work/sleeper"
jq --arg r "$work/bundle/rootfs" '.process.args=["/bin/sleep", "100000"] | .root.path=$r' \
  "$work/bundle/config.json" >"$work/sleeper/config.json"

run_args=() exec_args=()
for i in "${!names[@]}"; do
  n=${names[$i]} b=${bins[$i]}
  run_args+=(-n "$n run" "sh -c 'cd $work/bundle && $b --root $work/root-$n run bench-$n'")
  (cd "$work/sleeper" && "$b" --root "$work/root-$n" run -d "sleeper-$n" </dev/null >/dev/null)
  exec_args+=(-n "$n exec" "sh -c '$b --root $work/root-$n exec sleeper-$n /bin/true'")
done
echo "== run (create+start+wait+delete), $RUNS runs each, kernel $(uname -r), $(nproc) cpus"
hyperfine -N --warmup 10 --runs "$RUNS" --style basic "${run_args[@]}"
echo "== exec into a running container"
hyperfine -N --warmup 10 --runs "$RUNS" --style basic "${exec_args[@]}"
echo "== peak RSS (kB, /usr/bin/time -v) of one run / one exec"
for i in "${!names[@]}"; do
  n=${names[$i]} b=${bins[$i]}
  r=$(cd "$work/bundle" && /usr/bin/time -v "$b" --root "$work/root-$n" run "rss-$n" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}')
  e=$(/usr/bin/time -v "$b" --root "$work/root-$n" exec "sleeper-$n" /bin/true 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}')
  printf '%-16s run %6s  exec %6s\n' "$n" "$r" "$e"
done
