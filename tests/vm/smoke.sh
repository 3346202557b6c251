#!/bin/sh
# Smoke test of the VM that tests/vm/run boots (run it with
# `tests/vm/run --smoke`): the guest must be pure cgroup v2, its root
# writable, and a pids limit enforced by the kernel. Prints TAP; fails on
# a hybrid host like the CI machine itself, which is the point.
n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do printf '%s\n' "$line" | sed 's/^/# /'; done
}

cg=/sys/fs/cgroup
echo "1..7"

# 1: the only cgroup filesystem mounted is cgroup2 at /sys/fs/cgroup
fstype=$(stat -f -c %T "$cg" 2>&1)
v1=$(awk '$3 == "cgroup"' /proc/mounts)
if [ "$fstype" = cgroup2fs ] && [ -z "$v1" ]; then
	ok "$cg is cgroup2 and no v1 hierarchy is mounted"
else
	not_ok "$cg is cgroup2 and no v1 hierarchy is mounted" "fstype: $fstype" "v1 mounts: $v1"
	# the rest would write into a v1/tmpfs tree
	echo "Bail out! not a pure cgroup v2 system (run this through tests/vm/run --smoke)"
	exit 1
fi

# 2: the kernel refuses v1 hierarchies (cgroup_no_v1=all)
mnt=$(mktemp -d)
if mount -t cgroup -o pids none "$mnt" 2>/dev/null; then
	umount "$mnt"
	not_ok "mounting a v1 pids hierarchy fails"
else
	ok "mounting a v1 pids hierarchy fails"
fi
rmdir "$mnt"

# 3: every controller the tests need is available and enabled for children
want="cpuset cpu io memory hugetlb pids"
have=$(cat "$cg/cgroup.controllers")
enabled=$(cat "$cg/cgroup.subtree_control")
missing=
for c in $want; do
	case " $enabled " in *" $c "*) ;; *) missing="$missing $c" ;; esac
done
if [ -z "$missing" ]; then
	ok "controllers $want enabled in the root subtree_control"
else
	not_ok "controllers $want enabled in the root subtree_control" \
		"cgroup.controllers: $have" "subtree_control: $enabled" "missing:$missing"
fi

# 4: the root is writable (overlay over the host's read-only /), also
# inside the repository the tests run from
probe="/etc/berth-vm-smoke.$$"
repo_probe="$PWD/.berth-vm-smoke.$$"
if echo x >"$probe" && echo x >"$repo_probe" && [ "$(cat "$probe")" = x ]; then
	ok "the root is writable (/etc and $PWD)"
else
	not_ok "the root is writable (/etc and $PWD)" "$(grep ' / ' /proc/mounts)"
fi
rm -f "$probe" "$repo_probe"

# 5-6: a cgroup with pids.max=4: the 5th task cannot be forked
child="$cg/vm-smoke.$$"
cleanup() {
	[ -d "$child" ] || return 0
	echo 1 >"$child/cgroup.kill" 2>/dev/null
	i=0
	while [ -s "$child/cgroup.procs" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	rmdir "$child"
}
trap cleanup EXIT
if mkdir "$child" && echo 4 >"$child/pids.max"; then
	ok "create $child with pids.max 4"
else
	not_ok "create $child with pids.max 4"
fi
# A shell joins the cgroup and starts 8 sleepers; with 4 pids at most (the
# shell counts) some forks must fail.
sh -c 'echo $$ >"$1/cgroup.procs" || exit 1
	for i in 1 2 3 4 5 6 7 8; do sleep 30 & done 2>/dev/null
	exit 0' sh "$child" 2>/dev/null
current=$(cat "$child/pids.current" 2>/dev/null)
events=$(awk '$1 == "max" { print $2 }' "$child/pids.events" 2>/dev/null)
if [ -n "$current" ] && [ "$current" -le 4 ] && [ "${events:-0}" -gt 0 ]; then
	ok "pids.max is enforced (pids.current=$current, pids.events max=$events)"
else
	not_ok "pids.max is enforced" "pids.current=$current" "pids.events max=$events"
fi

# 7: the cgroup can be emptied with cgroup.kill and removed
cleanup
if [ ! -d "$child" ]; then
	ok "cgroup.kill empties $child and rmdir removes it"
else
	not_ok "cgroup.kill empties $child and rmdir removes it" "procs: $(cat "$child/cgroup.procs")"
fi
trap - EXIT

[ "$failed" -eq 0 ]
