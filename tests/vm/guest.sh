#!/bin/sh
# Stage 2 inside the VM, pid 1 after switch_root (the host's /bin/sh, root =
# overlay over the host's /). tests/vm/run copies this file into the results
# share, /run/vm-out, next to:
#   cmd     the test command (a shell script written by tests/vm/run)
# and this script leaves there:
#   stdout, stderr   the command's output (the host streams stdout live)
#   status           the command's exit status
#   guest.log        what this script did (also on the console)
#   hang.txt         processes and cgroups, written when the host creates
#                    dump-request (tests/vm/run does just before its timeout)
OUT=/run/vm-out
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root

log() { echo "vm-guest: $*" | tee -a "$OUT/guest.log"; }

mount_api() {
	mkdir -p /dev/pts /dev/shm /dev/mqueue
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
	[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
	# devtmpfs has no /dev/fd (bash process substitution needs it)
	ln -sfn /proc/self/fd /dev/fd
	ln -sf /proc/self/fd/0 /dev/stdin
	ln -sf /proc/self/fd/1 /dev/stdout
	ln -sf /proc/self/fd/2 /dev/stderr
	mount -t tmpfs -o mode=1777 tmpfs /dev/shm
	mount -t mqueue mqueue /dev/mqueue
	# Pure cgroup v2: nothing else may sit at /sys/fs/cgroup (the kernel
	# runs with cgroup_no_v1=all).
	mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup ||
		log "mount cgroup2 failed"
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null
	mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
}

# The guest's /tmp and /run are its own tmpfs: a repository or binary the
# host keeps there (a CI clone under /tmp, say) is bound in from the host's
# root, which init left at /run/vm-host. tests/vm/run lists them in $OUT/binds.
bind_host_paths() {
	[ -s "$OUT/binds" ] || return 0
	while read -r p; do
		[ -n "$p" ] || continue
		mkdir -p "$p" && mount --bind "/run/vm-host$p" "$p" || log "bind $p failed"
	done <"$OUT/binds"
}

enable_controllers() {
	ctl=
	for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
		ctl="$ctl +$c"
	done
	echo "$ctl" >/sys/fs/cgroup/cgroup.subtree_control ||
		log "enabling controllers ($ctl) failed"
	log "cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
	log "root subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
}

dump_state() {
	{
		echo "== uptime $(cut -d' ' -f1 /proc/uptime) s"
		echo "== processes"
		ps --ppid 2 -p 2 --deselect -o pid,ppid,stat,wchan:24,etimes,args 2>&1
		echo "== cgroups below the root (procs)"
		find /sys/fs/cgroup -mindepth 2 -name cgroup.procs 2>/dev/null | while read -r f; do
			procs=$(tr '\n' ' ' <"$f")
			[ -n "$procs" ] && echo "${f%/cgroup.procs}: $procs"
		done
		echo "== mounts"
		cat /proc/self/mountinfo
	} >"$OUT/hang.txt" 2>&1
}

# Polls the results share (9p, uncached: host writes are seen) for the host's
# request to dump the state of a hung guest.
watch_for_dump_request() {
	while sleep 2; do
		if [ -e "$OUT/dump-request" ]; then
			rm -f "$OUT/dump-request"
			dump_state
		fi
	done
}

shutdown() {
	sync
	if [ -x /bin/busybox ]; then
		/bin/busybox poweroff -f
	fi
	echo o >/proc/sysrq-trigger
	sleep 30
}

# --systemd (tests/vm/run): systemd becomes PID 1 and mounts the API file
# systems itself; a minimal default target runs the command in a unit
# (run_under_systemd) that writes the status and powers off. It is named with
# --unit (systemd takes the host's /.dockerenv for a container and then
# ignores the kernel command line), so nothing the host's default.target
# wants is started.
exec_systemd() {
	bind_host_paths
	mkdir -p /etc/systemd/system
	cat >/etc/systemd/system/berth-vm.target <<-EOT
	[Unit]
	Description=berth VM: the test command only
	Requires=berth-vm-cmd.service
	AllowIsolate=yes
	EOT
	cat >/etc/systemd/system/berth-vm-cmd.service <<-EOT
	[Unit]
	Description=berth VM test command
	DefaultDependencies=no
	Wants=local-fs.target
	After=local-fs.target systemd-tmpfiles-setup.service
	[Service]
	Type=simple
	Environment=HOME=/root PATH=$PATH
	ExecStart=/bin/sh $OUT/guest.sh --under-systemd
	TimeoutStartSec=infinity
	StandardOutput=journal+console
	StandardError=journal+console
	EOT
	log "exec /lib/systemd/systemd at uptime $(cut -d' ' -f1 /proc/uptime) s"
	exec /lib/systemd/systemd --unit=berth-vm.target --log-target=console --show-status=no
}

run_under_systemd() {
	ip link set lo up 2>/dev/null
	log "under systemd $(systemctl --version | head -n1) at uptime $(cut -d' ' -f1 /proc/uptime) s;" \
		"system state: $(systemctl is-system-running 2>&1)"
	/bin/sh "$OUT/cmd" </dev/null >"$OUT/stdout" 2>"$OUT/stderr"
	rc=$?
	echo "$rc" >"$OUT/status.tmp" && mv "$OUT/status.tmp" "$OUT/status"
	log "command exited with $rc at uptime $(cut -d' ' -f1 /proc/uptime) s"
	sync
	systemctl poweroff --force --force
	shutdown
}

if [ "${1:-}" = --under-systemd ]; then
	run_under_systemd
	exit 1
fi
if [ -e "$OUT/systemd" ]; then
	exec_systemd
	log "exec systemd failed"
	shutdown
fi

mount_api
bind_host_paths
enable_controllers
hostname berth-vm 2>/dev/null
ip link set lo up 2>/dev/null || /bin/busybox ip link set lo up 2>/dev/null
log "uptime at userspace: $(cut -d' ' -f1 /proc/uptime) s"

watch_for_dump_request </dev/null >/dev/null 2>&1 &

# Run the command as a child and wait for it: while this shell (pid 1)
# waits it also reaps the orphans reparented to it (containers whose
# runtime exited), so no zombie looks alive to a test.
/bin/sh "$OUT/cmd" </dev/null >"$OUT/stdout" 2>"$OUT/stderr" &
wait $!
rc=$?
echo "$rc" >"$OUT/status.tmp" && mv "$OUT/status.tmp" "$OUT/status"
log "command exited with $rc at uptime $(cut -d' ' -f1 /proc/uptime) s"
shutdown
