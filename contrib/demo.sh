#!/usr/bin/env bash
# contrib/demo.sh: from a fresh checkout to a running container, as root:
#   sudo contrib/demo.sh
# Installs the Debian packages berth needs (tests/install-deps.sh), builds it
# in build/, makes a busybox-static bundle in a temporary directory, runs a
# container from it with `berth run` (it prints what it sees from inside)
# and removes every trace again.
set -euo pipefail
exec </dev/null

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
if ((EUID != 0)); then
  echo "contrib/demo.sh: run it as root (sudo contrib/demo.sh)" >&2
  exit 1
fi

say() {
  if [[ -t 1 ]]; then printf '\n\033[1m%s\033[0m\n' "$*"; else printf '\n%s\n' "$*"; fi
}

say "1. packages (tests/packages.txt)"
tests/install-deps.sh

say "2. build (build/)"
[[ -x configure && ! configure.ac -nt configure ]] || ./autogen.sh >/dev/null
build="${BERTH_DEMO_BUILD:-$REPO/build}"
mkdir -p "$build"
[[ -x "$build/config.status" ]] || (cd "$build" && "$REPO/configure" -q)
make -C "$build" -j"$(nproc)" -s >/dev/null
BERTH="$build/berth"
"$BERTH" --version

say "3. a bundle made on the spot: busybox-static rootfs + berth spec"
tmp="$(mktemp -d /tmp/berth-demo.XXXXXX)"
id="demo-$$"
state="$tmp/state"
cleanup() {
  "$BERTH" --root "$state" delete --force "$id" >/dev/null 2>&1 || true
  rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
# shellcheck source=tests/lib/bundle.bash
source "$REPO/tests/lib/bundle.bash"
make_bundle "$tmp/bundle" '.process.args = ["sh", "/hello.sh"] | .hostname = "berth-demo"'
cat >"$tmp/bundle/rootfs/hello.sh" <<'EOF'
echo "hello from inside a berth container"
echo "hostname: $(hostname)"
echo "id:       $(id)"
echo "pid:      $$"
echo "rootfs:   $(echo $(ls /))"
echo "mounts:   $(echo $(awk '{ print $5 }' /proc/self/mountinfo))"
echo "ps:"
ps
EOF
echo "bundle $tmp/bundle: $(ls "$tmp/bundle" | tr "\n" " ")args $(jq -c .process.args "$tmp/bundle/config.json")"

say "4. berth run $id"
rc=0
"$BERTH" --root "$state" run --bundle "$tmp/bundle" "$id" || rc=$?
echo "(exit status $rc)"

say "5. clean up"
cleanup
trap - EXIT
left="$(ls -d /sys/fs/cgroup/berth/"$id" /sys/fs/cgroup/*/berth/"$id" 2>/dev/null; grep -F "$tmp" /proc/self/mountinfo || true)"
if [[ -n "$left" ]]; then
  echo "left behind:"
  echo "$left"
  exit 1
fi
echo "no cgroup, mount, state or bundle of $id is left"
exit "$rc"
