#!/usr/bin/env bats
# The hardening a container runtime owes its users (issue 5): each test
# tries the attack and shows that it fails.

load ../helpers

setup() {
  ID="$(unique_id hard)"
  B="$BATS_TEST_TMPDIR/b"
  T="$BATS_TEST_TMPDIR"
  make_bundle "$B" '.process.args = ["sleep", "1000"] | .root.readonly = false'
  HOSTDIR="$T/hostdir"
  mkdir -p "$HOSTDIR"
  echo host-secret >"$HOSTDIR/secret"
}

teardown() {
  if [[ -n "${BG_PID:-}" ]]; then kill "$BG_PID" 2>/dev/null || true; wait "$BG_PID" 2>/dev/null || true; fi
  if [[ -n "${PAUSED:-}" ]]; then berth resume "$PAUSED" 2>/dev/null || true; fi
  cleanup_containers
}

# leaky CMD...: berth with fds 3..10 open on host files and directories
leaky() {
  run bash -c 'b=$1; r=$2; shift 2; "$b" --root "$r" "$@" 3</etc/passwd 4</ 5<"$HOSTDIR" 6</dev/null 7<"$HOSTDIR" 8</ 9</etc 10</' \
    _ "$BERTH" "$BERTH_ROOT" "$@"
}
export HOSTDIR

# what the process finds open above stdio: "open N" lines, "none" when nothing
FD_PROBE='for n in 3 4 5 6 7 8 9 10 11 12; do [ -e /proc/$$/fd/$n ] && echo "open $n"; done; echo end'

@test "the user program never gets a host fd: run, create+start and exec with fds 3..10 leaked into berth" {
  bundle_edit "$B" '.process.args = ["sh", "-c", $p]' --arg p "$FD_PROBE"
  leaky run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = end ]

  bundle_edit "$B" '.process.args = ["sh", "-c", $p + " > /tmp/fds"]' --arg p "$FD_PROBE"
  run bash -c '"$1" --root "$2" create --bundle "$3" "$4" 3</etc/passwd 4</ 5</ 7</ 9</ </dev/null >/dev/null 2>&1' \
    _ "$BERTH" "$BERTH_ROOT" "$B" "$ID"
  [ "$status" -eq 0 ]
  berth start "$ID"
  for _ in $(seq 100); do grep -q end "$B/rootfs/tmp/fds" 2>/dev/null && break; sleep 0.05; done
  [ "$(cat "$B/rootfs/tmp/fds")" = end ]
  berth delete --force "$ID"

  bundle_edit "$B" '.process.args = ["sleep", "1000"]'
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  leaky exec "$ID" sh -c "$FD_PROBE"
  [ "$status" -eq 0 ]
  [ "$output" = end ]
  # preserved fds are the only exception
  leaky exec --preserve-fds 2 "$ID" sh -c "$FD_PROBE"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'open 3\nopen 4\nend')" ]
}

@test "berth's own log file is never passed on as a preserved fd (run and exec)" {
  local probe='for n in 3 4 5 6; do readlink /proc/$$/fd/$n; done; echo end'
  bundle_edit "$B" '.process.args = ["sh", "-c", $p]' --arg p "$probe"
  # only fd 3 comes from the caller (bats' own fds closed): main opens the
  # log file in the next free slot, 4, inside the range to pass on. The gap
  # is refused (naming the fd) instead of being filled with the log.
  run bash -c '"$1" --root "$2" --log "$3" run --preserve-fds 3 --bundle "$4" "$5" 3</dev/null 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-' \
    _ "$BERTH" "$BERTH_ROOT" "$T/log.json" "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"--preserve-fds 3: fd 4 is not open"* ]]
  [[ "$output" != *end* ]]
  assert_no_leftovers "$ID"
  # every slot the caller's: exactly those are passed on, the log is not
  run bash -c '"$1" --root "$2" --log "$3" run --preserve-fds 3 --bundle "$4" "$5" 3</dev/null 4</dev/null 5</dev/null 6>&- 7>&- 8>&- 9>&-' \
    _ "$BERTH" "$BERTH_ROOT" "$T/log.json" "$B" "$ID"
  [ "$status" -eq 0 ]
  [[ "$output" != *log.json* ]]
  [ "$(echo "$output" | grep -c '^/dev/null$')" -eq 3 ]
  bundle_edit "$B" '.process.args = ["sleep", "1000"]'
  detached run -d --bundle "$B" "$ID"
  run bash -c '"$1" --root "$2" --log "$3" exec --preserve-fds 3 "$4" sh -c "$5" 3</dev/null 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-' \
    _ "$BERTH" "$BERTH_ROOT" "$T/log.json" "$ID" "$probe"
  [ "$status" -eq 255 ]
  [[ "$output" == *"--preserve-fds 3: fd 4 is not open"* ]]
  run bash -c '"$1" --root "$2" --log "$3" exec --preserve-fds 3 "$4" sh -c "$5" 3</dev/null 4</dev/null 5</dev/null 6>&- 7>&- 8>&- 9>&-' \
    _ "$BERTH" "$BERTH_ROOT" "$T/log.json" "$ID" "$probe"
  [ "$status" -eq 0 ]
  [[ "$output" != *log.json* ]]
  [ "$(echo "$output" | grep -c '^/dev/null$')" -eq 3 ]
}

@test "cwd through /proc/self/fd/N cannot reach the host (run and exec)" {
  bundle_edit "$B" '.process.args = ["sh", "-c", "touch escaped; cat secret; pwd"] | .process.cwd = "/proc/self/fd/7"'
  leaky run --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" != *host-secret* ]]
  [ ! -e "$HOSTDIR/escaped" ]
  assert_no_leftovers "$ID"

  bundle_edit "$B" '.process.args = ["sleep", "1000"] | .process.cwd = "/"'
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  leaky exec --cwd /proc/self/fd/7 "$ID" sh -c 'touch escaped; cat secret'
  [ "$status" -ne 0 ]
  [[ "$output" != *host-secret* ]]
  [ ! -e "$HOSTDIR/escaped" ]
  # the same through a directory fd preserved on purpose: still refused,
  # a magic link is never followed for cwd
  leaky exec --preserve-fds 8 --cwd /proc/self/fd/7 "$ID" sh -c 'touch escaped; cat secret'
  [ "$status" -ne 0 ]
  [ ! -e "$HOSTDIR/escaped" ]
}

@test "args[0] through /proc/self/fd/N cannot run a host file (run and exec)" {
  printf '#!/bin/sh\necho HOST-PROGRAM-RAN\n' >"$T/hostprog"
  chmod 755 "$T/hostprog"
  bundle_edit "$B" '.process.args = ["/proc/self/fd/7"]'
  run bash -c '"$1" --root "$2" run --bundle "$3" "$4" 7<"$5"' _ "$BERTH" "$BERTH_ROOT" "$B" "$ID" "$T/hostprog"
  [ "$status" -ne 0 ]
  [[ "$output" != *HOST-PROGRAM-RAN* ]]
  assert_no_leftovers "$ID"

  bundle_edit "$B" '.process.args = ["sleep", "1000"]'
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  run bash -c '"$1" --root "$2" exec "$3" /proc/self/fd/7 7<"$4"' _ "$BERTH" "$BERTH_ROOT" "$ID" "$T/hostprog"
  [ "$status" -ne 0 ]
  [[ "$output" != *HOST-PROGRAM-RAN* ]]
}

@test "a cwd symlink pointing out of the rootfs stays inside it; getcwd is inside the container" {
  ln -s "../../../../../../../../../../$HOSTDIR" "$B/rootfs/escape"
  bundle_edit "$B" '.process.args = ["sh", "-c", "touch marker; pwd; cat secret 2>/dev/null; true"] | .process.cwd = "/escape"'
  run berth run --bundle "$B" "$ID"
  [[ "$output" != *host-secret* ]]
  [ ! -e "$HOSTDIR/marker" ]
  if [ "$status" -eq 0 ]; then
    # it ran in the rootfs' own copy of that path
    [ -e "$B/rootfs$HOSTDIR/marker" ]
    [[ "$output" == /* ]]
  fi
  assert_no_leftovers "$ID"
  # exec --cwd through the same symlink
  bundle_edit "$B" '.process.args = ["sleep", "1000"] | .process.cwd = "/"'
  detached run -d --bundle "$B" "$ID"
  run berth exec --cwd /escape "$ID" sh -c 'touch marker2; cat secret 2>/dev/null; true'
  [[ "$output" != *host-secret* ]]
  [ ! -e "$HOSTDIR/marker2" ]
}

@test "/proc/self/exe of an exec'd process is the container's binary" {
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  run berth exec "$ID" readlink /proc/self/exe
  [ "$status" -eq 0 ]
  [ "$output" = /bin/busybox ]
}

@test "berth's binary cannot be reached through /proc/1 of a created container (the init is berth until start)" {
  local before
  before="$(sha256sum "$BERTH" | cut -d' ' -f1)"
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local init
  init="$(berth state "$ID" | jq -r .pid)"
  # a clone of berth running from a read-only clone of its binary's mount,
  # attached nowhere (escape-exe.bats): the link names its root
  [ "$(readlink "/proc/$init/exe")" = / ]
  run berth exec "$ID" sh -c '
    cat /proc/1/comm
    readlink /proc/1/exe && echo EXE-READABLE
    (echo x > /proc/1/exe) 2>/dev/null && echo EXE-WRITTEN
    (head -c 4 /proc/1/exe >/dev/null) 2>/dev/null && echo EXE-OPENED
    ls /proc/1/root/ >/dev/null 2>&1 && echo ROOT-READABLE
    readlink /proc/1/cwd && echo CWD-READABLE
    for f in /proc/1/fd/*; do readlink "$f" && echo FD-READABLE; done 2>/dev/null
    true'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = berth ]
  [[ "$output" != *READABLE* ]]
  [[ "$output" != *WRITTEN* ]]
  [[ "$output" != *OPENED* ]]
  [ "$(sha256sum "$BERTH" | cut -d' ' -f1)" = "$before" ]
}

# pid of the process with comm berth in the container's pid namespace that
# is not its init (an exec child before its execve), or nothing
exec_child_of() {
  local init=$1 p ns
  ns="$(readlink "/proc/$init/ns/pid")"
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = "$init" ] && continue
    [ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = berth ] && echo "$p"
  done
  return 0
}

@test "an exec'd process is not dumpable before its execve: container root cannot reach berth's exe, fds or root" {
  if ! "$BERTH" --help 2>&1 | grep -qw pause; then
    skip "berth pause does not exist yet"
  fi
  local before
  before="$(sha256sum "$BERTH" | cut -d' ' -f1)"
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local init child
  init="$(berth state "$ID" | jq -r .pid)"
  # a paused container freezes the exec process before its execve: the
  # window held open
  berth pause "$ID"
  PAUSED=$ID
  "$BERTH" --root "$BERTH_ROOT" exec --ignore-paused -d "$ID" true </dev/null >/dev/null 2>&1 &
  BG_PID=$!
  for _ in $(seq 100); do child="$(exec_child_of "$init")"; [ -n "$child" ] && break; sleep 0.05; done
  [ -n "$child" ]
  [ "$(awk '/^NSpid:/ { print $NF }' "/proc/$child/status")" -gt 1 ]
  # the attacker: root with a container's default capabilities (no
  # CAP_SYS_PTRACE), outside the frozen cgroup; the kernel's check is on
  # the credentials and the target's dumpable flag, the namespaces we see
  # it from do not matter
  run setpriv --bounding-set -all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap \
    -- /bin/sh -c '
      p=$1
      cat /proc/$p/comm
      readlink /proc/$p/exe && echo EXE-READABLE
      (echo x > /proc/$p/exe) 2>/dev/null && echo EXE-WRITTEN
      (head -c 4 /proc/$p/exe >/dev/null) 2>/dev/null && echo EXE-OPENED
      ls /proc/$p/root/ >/dev/null 2>&1 && echo ROOT-READABLE
      readlink /proc/$p/cwd && echo CWD-READABLE
      for f in /proc/$p/fd/*; do readlink "$f" && echo FD-READABLE; done 2>/dev/null
      true' _ "$child"
  berth resume "$ID"
  PAUSED=
  wait "$BG_PID" || true
  BG_PID=
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = berth ]
  [[ "$output" != *READABLE* ]]
  [[ "$output" != *WRITTEN* ]]
  [[ "$output" != *OPENED* ]]
  [ "$(sha256sum "$BERTH" | cut -d' ' -f1)" = "$before" ]
}

@test "CVE-2019-5736 class: a container watching for berth processes cannot overwrite berth during exec" {
  local before
  before="$(sha256sum "$BERTH" | cut -d' ' -f1)"
  # the container's process hunts for any process whose exe is not
  # busybox and tries to read and write it through /proc/PID/exe
  bundle_edit "$B" '.process.args = ["sh", "-c", "
    while :; do
      for d in /proc/[0-9]*; do
        c=$(cat $d/comm 2>/dev/null)
        [ \"$c\" = berth ] || continue
        echo seen >> /tmp/seen
        (echo x > $d/exe) 2>/dev/null && echo WROTE >> /tmp/result
        l=$(readlink $d/exe 2>/dev/null) && [ \"$l\" != /bin/busybox ] && echo \"READLINK $l\" >> /tmp/result
        r=$(ls $d/root/ 2>/dev/null) && [ -n \"$r\" ] && [ \"$r\" != \"$(ls /)\" ] && echo ROOT >> /tmp/result
      done
    done"]'
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local i
  for i in $(seq 30); do
    berth exec "$ID" true
  done
  berth kill "$ID" KILL
  [ ! -e "$B/rootfs/tmp/result" ] || { cat "$B/rootfs/tmp/result"; false; }
  [ "$(sha256sum "$BERTH" | cut -d' ' -f1)" = "$before" ]
  # how often the hunter saw an exec process before its execve (informative)
  echo "# berth processes seen by the container: $(wc -l <"$B/rootfs/tmp/seen" 2>/dev/null || echo 0)" >&3
}

@test "/dev nodes are created inside the rootfs even when /dev is a symlink pointing out" {
  rm -rf "$B/rootfs/dev"
  ln -s "../../../../../../../../../../$HOSTDIR" "$B/rootfs/dev"
  bundle_edit "$B" '.process.args = ["sh", "-c", "test -c /dev/null && test -c /dev/zero && echo nodes"]
    | .mounts |= map(select(.destination != "/dev"))'
  run berth run --bundle "$B" "$ID"
  [ "$(ls "$HOSTDIR")" = secret ]
  [ "$(cat "$HOSTDIR/secret")" = host-secret ]
  if [ "$status" -eq 0 ]; then
    [ "$output" = nodes ]
  fi
  assert_no_leftovers "$ID"
}

@test "/dev/console for a terminal is created inside the rootfs even through a symlink pointing out" {
  touch "$HOSTDIR/console"
  ln -s "../../../../../../../../../../$HOSTDIR/console" "$B/rootfs/dev/console"
  bundle_edit "$B" '.process.terminal = true | .process.args = ["sh", "-c", "tty"]
    | .mounts |= map(select(.destination != "/dev"))'
  run berth run --bundle "$B" "$ID" </dev/null
  [ ! -s "$HOSTDIR/console" ]
  [ -f "$HOSTDIR/console" ]
  ! grep -q " $HOSTDIR/console " /proc/self/mountinfo
  [ "$status" -eq 0 ]
  [[ "$output" == /dev/pts/* ]]
  assert_no_leftovers "$ID"
}

@test "masking uses the real /dev/null (1:3), whatever the rootfs put there" {
  echo host-file >"$T/hostnull"
  echo container-hostname >"$B/rootfs/etc/hostname"
  bundle_edit "$B" '.process.args = ["sh", "-c", "stat -c %t:%T /dev/null; wc -c < /etc/hostname"]
    | .linux.maskedPaths += ["/etc/hostname"] | .mounts |= map(select(.destination != "/dev"))'
  local variant
  for variant in regular symlink zero; do
    rm -f "$B/rootfs/dev/null"
    case $variant in
      regular) echo not-null >"$B/rootfs/dev/null" ;;
      symlink) ln -s "../../../../../../../../../../$T/hostnull" "$B/rootfs/dev/null" ;;
      zero) mknod "$B/rootfs/dev/null" c 1 5 ;;
    esac
    run berth run --bundle "$B" "$ID"
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 1:3 ]
    [ "$(echo ${lines[1]})" = 0 ]
    [ "$(cat "$T/hostnull")" = host-file ]
  done
  # a file bind-mounted over /dev/null by the config: a clear error
  bundle_edit "$B" '.mounts += [{destination: "/dev/null", type: "bind", source: $s, options: ["bind"]}]' \
    --arg s "$T/hostnull"
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"/dev/null"* ]]
  [ "$(cat "$T/hostnull")" = host-file ]
  assert_no_leftovers "$ID"
}

@test "sysctl keys are validated: host keys, '..', net.* without a netns, smuggled second keys" {
  local core
  core="$(cat /proc/sys/kernel/core_pattern)"
  bundle_edit "$B" '.process.args = ["true"]'
  local sysctl
  for sysctl in '{"kernel.core_pattern": "|/tmp/x"}' '{"net..ipv4.ip_forward": "1"}' \
    '{"net/../../kernel/core_pattern": "x"}' '{"kernel.shmmni": "4096\nkernel.core_pattern=|/tmp/x"}' \
    '{"net.ipv4.ip_forward": "1\nkernel.core_pattern=x"}' '{"fs.file-max": "1"}' '{"vm.overcommit_memory": "1"}'; do
    bundle_edit "$B" '.linux.sysctl = $s' --argjson s "$sysctl"
    run berth run --bundle "$B" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *sysctl* ]]
    assert_no_leftovers "$ID"
  done
  # net.* needs the container's own network namespace
  bundle_edit "$B" '.linux.sysctl = {"net.ipv4.ip_forward": "1"} | .linux.namespaces |= map(select(.type != "network"))'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"network namespace"* ]]
  [ "$(cat /proc/sys/kernel/core_pattern)" = "$core" ]
  assert_no_leftovers "$ID"
}

@test "bad container ids are refused by every command before anything is created" {
  local id
  mkdir -p "$BERTH_ROOT"
  for id in .. . a/b ../../etc "$(printf 'a\nb')" "$(printf 'a\tb')" '' "$(head -c 2000 /dev/zero | tr '\0' a)"; do
    run berth run --bundle "$B" "$id"
    [ "$status" -eq 1 ]
    [[ "$output" == *"invalid container id"* ]]
    run berth exec "$id" true
    [ "$status" -eq 255 ]
    run berth delete --force "$id"
    [[ "$output" != *"no such"* ]] || true
  done
  [ -z "$(ls -A "$BERTH_ROOT")" ]
  [ ! -e "$BATS_TEST_TMPDIR/etc" ]
}

@test "NUL bytes in config strings end in a clear error" {
  local filter
  for filter in '.process.args = ["sh\u0000x"]' '.process.env += ["A=1\u0000B=2"]' '.hostname = "a\u0000b"' \
    '.process.cwd = "/\u0000tmp"' '.mounts[0].destination = "/pr\u0000oc"' '.linux.maskedPaths = ["/a\u0000b"]'; do
    bundle_edit "$B" "$filter"
    run timeout 20 "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID"
    [ "$status" -eq 1 ]
    [[ "$output" == *"NUL byte"* ]]
    assert_no_leftovers "$ID"
    make_bundle "$B" '.process.args = ["sleep", "1000"] | .root.readonly = false'
  done
  # and in a process.json for exec
  detached run -d --bundle "$B" "$ID"
  printf '{"args": ["tr\\u0000ue"], "cwd": "/"}' >"$T/process.json"
  run berth exec --process "$T/process.json" "$ID"
  [ "$status" -eq 255 ]
  [[ "$output" == *"NUL byte"* ]]
}

# run_bounded CMD...: like run, under `timeout 20` and a 1 GiB address space limit
run_bounded() {
  run bash -c 'ulimit -v 1048576; timeout 20 "$@"' _ "$@"
}

@test "absurd sizes end in a correct run or a clear error, in bounded time and memory" {
  # 100k masked paths (most missing)
  echo container-hostname >"$B/rootfs/etc/hostname"
  bundle_edit "$B" '.process.args = ["sh", "-c", "cat /etc/hostname | wc -c"]
    | .linux.maskedPaths += [range(100000) | "/nonexistent/p\(.)"] + ["/etc/hostname"]'
  run_bounded "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$(echo $output)" = 0 ]
  assert_no_leftovers "$ID"
  # 1 MB of environment in 1000 variables: runs
  B="$T/b2"
  make_bundle "$B" '.process.args = ["sh", "-c", "env | grep -c ^V"] | .process.env += [range(1000) | "V\(.)=\("x" * 1000)"]'
  run_bounded "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = 1000 ]
  assert_no_leftovers "$ID"
  # one 1 MB variable: more than the kernel takes for one string, a clear error
  B="$T/b3"
  make_bundle "$B" '.process.args = ["true"] | .process.env += ["BIG=\("x" * 1048576)"]'
  run_bounded "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"argument list too long"* ]]
  assert_no_leftovers "$ID"
  # 1 MB of environment given to exec with -e
  B="$T/b4"
  make_bundle "$B" '.process.args = ["sleep", "1000"]'
  detached run -d --bundle "$B" "$ID"
  local args=() i
  for i in $(seq 1000); do args+=(-e "E$i=$(head -c 1000 /dev/zero | tr '\0' y)"); done
  run_bounded "$BERTH" --root "$BERTH_ROOT" exec "${args[@]}" "$ID" sh -c 'env | grep -c ^E'
  [ "$status" -eq 0 ]
  [ "$output" = 1000 ]
  # a config.json over the size limit (16 MiB)
  B="$T/b5"
  make_bundle "$B" '.process.args = ["true"]'
  bundle_edit "$B" '.annotations = {"big": ("x" * 17000000)}'
  run_bounded "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID-big"
  [ "$status" -eq 1 ]
  [[ "$output" == *"EFBIG"* || "$output" == *"too large"* || "$output" == *"too big"* ]]
  assert_no_leftovers "$ID-big"
}

@test "the init that waits for start holds none of the caller's fds (a pipe the caller reads reaches EOF)" {
  # A caller that reads berth's output until EOF (bats, the containerd
  # shim) must not wait for `start`: the waiting init closes what it inherited.
  local pipe="$T/pipe"
  mkfifo "$pipe"
  ( "$BERTH" --root "$BERTH_ROOT" create --bundle "$B" "$ID" </dev/null 9>"$pipe" >/dev/null 2>&1 ) &
  run timeout 10 cat "$pipe"
  [ "$status" -eq 0 ]
  pid="$(berth state "$ID" | jq -r .pid)"
  [ "$(berth state "$ID" | jq -r .status)" = created ]
  # only berth's own close-on-exec fds remain above stdio in the waiting init
  for fd in /proc/"$pid"/fd/*; do
    n="${fd##*/}"
    [ "$n" -le 2 ] && continue
    flags="$(awk '/^flags:/ {print $2}' /proc/"$pid"/fdinfo/"$n")"
    (( (8#$flags & 8#2000000) != 0 )) || { echo "fd $n without O_CLOEXEC: $(readlink "$fd")"; false; }
  done
}
