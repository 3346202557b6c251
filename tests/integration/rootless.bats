#!/usr/bin/env bats
# Issue 14: berth run by an ordinary user. The suite creates its own user
# (with a home, /etc/subuid and /etc/subgid ranges) and removes it in
# teardown_file; every berth command here runs as that user through
# runuser, with a copy of berth the user owns (~/berth) and its state under
# $XDG_RUNTIME_DIR/berth (~/xdg). Bundles live in the user's home.

load ../helpers
load ../lib/rootless

@test "rootless run as an ordinary user: root inside, its own uid mapped, state under \$XDG_RUNTIME_DIR/berth, no cgroup left" {
  rl_bundle '.process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map /proc/self/gid_map"]'
  run rl_berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "$(echo "${lines[1]}" | awk '{ print $1, $2, $3 }')" = "0 $RL_UID 1" ]
  [ "$(echo "${lines[2]}" | awk '{ print $1, $2, $3 }')" = "0 $RL_GID 1" ]
  [ -d "$XDG/berth" ]
  [ "$(stat -c %U:%a "$XDG/berth")" = "$RL_USER:700" ]
  assert_rl_clean
}

@test "rootless lifecycle: create, start, state, list, exec, ps, kill, delete; pause and update say there is no cgroup" {
  rl_bundle '.process.args = ["sleep", "1000"]'
  rl_berth create --bundle "$B" "$ID"
  [ "$(rl_berth state "$ID" | jq -r .status)" = created ]
  rl_berth start "$ID"
  [ "$(rl_berth state "$ID" | jq -r .status)" = running ]
  run rl_berth list
  [[ "$output" == *"$ID"*running*"$RL_USER"* ]]
  run rl_berth exec "$ID" sh -c 'id -u; ps -o pid,comm'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [[ "$output" == *"1 sleep"* ]]
  # no cgroup: ps lists the processes of the container's pid namespace
  local init
  init="$(rl_berth state "$ID" | jq -r .pid)"
  rl_berth exec -d "$ID" sleep 999 </dev/null >/dev/null 2>&1
  run rl_berth ps --format json "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq length)" = 2 ]
  [ "$(echo "$output" | jq ".[0] == $init or .[1] == $init")" = true ]
  run rl_berth ps "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == UID*PID* ]]
  [[ "$output" == *"sleep 999"* ]]
  run rl_berth pause "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"no cgroup"* ]]
  run rl_berth update --memory 100M "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"no cgroup"* ]]
  rl_berth kill "$ID" KILL
  for _ in $(seq 50); do
    [ "$(rl_berth state "$ID" | jq -r .status)" = stopped ] && break
    sleep 0.1
  done
  [ "$(rl_berth state "$ID" | jq -r .status)" = stopped ]
  rl_berth delete "$ID"
  assert_rl_clean
}

@test "rootless without XDG_RUNTIME_DIR nor /run/user/UID: an error naming --root; --root DIR works; spec needs no state dir" {
  rl_bundle '.process.args = ["true"]'
  [ ! -e "/run/user/$RL_UID" ]
  run _runtime runuser -u "$RL_USER" -- env -i PATH=/usr/bin:/bin HOME="$RL_HOME" "$RL_BIN" run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"XDG_RUNTIME_DIR is unset and /run/user/$RL_UID does not exist"*"--root"* ]]
  run _runtime runuser -u "$RL_USER" -- env -i PATH=/usr/bin:/bin HOME="$RL_HOME" "$RL_BIN" list
  [ "$status" -eq 1 ]
  [[ "$output" == *"--root"* ]]
  mkdir -p "$RL_HOME/root" && chown "$RL_USER:" "$RL_HOME/root"
  _runtime runuser -u "$RL_USER" -- env -i PATH=/usr/bin:/bin HOME="$RL_HOME" "$RL_BIN" --root "$RL_HOME/root" \
    run --bundle "$B" "$ID"
  [ -z "$(ls -A "$RL_HOME/root")" ]
  run _runtime runuser -u "$RL_USER" -- env -i PATH=/usr/bin:/bin HOME="$RL_HOME" sh -c "cd '$RL_HOME/root' && '$RL_BIN' spec --rootless"
  [ "$status" -eq 0 ]
}

@test "--rootless: false as a user fails on the cgroup with nothing left; a bad value is an error; auto detects a non-host user namespace" {
  rl_bundle '.process.args = ["true"]'
  run rl_berth --rootless false run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"create cgroup"* ]]
  assert_rl_clean
  run rl_berth --rootless maybe list
  [ "$status" -eq 1 ]
  [[ "$output" == *'invalid --rootless "maybe": expected true, false or auto'* ]]
  rl_berth --rootless true run --bundle "$B" "$ID"
  # root of a user namespace of the user's own (unshare -r): uid 0, yet
  # rootless; the container's root maps to that namespace's root
  rl_edit '.linux.uidMappings[0].hostID = 0 | .linux.gidMappings[0].hostID = 0
    | .process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map"]'
  run as_user unshare -r "$RL_BIN" run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  # seen from inside, the outer namespace's root
  [ "$(echo "${lines[1]}" | awk '{ print $1, $2, $3 }')" = "0 0 1" ]
  assert_rl_clean
}

@test "rootless with linux.resources limits and no cgroup to write: create fails naming the field, nothing left" {
  rl_bundle '.process.args = ["true"] | .linux.resources = {memory: {limit: 104857600}}'
  run rl_berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *".linux.resources.memory: a limit needs a cgroup"*"delegate a cgroup v2 subtree"* ]]
  assert_rl_clean
  # device rules alone ask for no cgroup (a user namespace binds its nodes)
  rl_edit '.linux.resources = {devices: [{allow: false, access: "rwm"}]}'
  rl_berth run --bundle "$B" "$ID"
  assert_rl_clean
}

@test "rootless id mappings wider than the user's own id go through newuidmap/newgidmap within /etc/subuid" {
  command -v newuidmap >/dev/null || skip "newuidmap (package uidmap) is not installed"
  rl_bundle '.process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; touch /owned; chown 1000:1000 /owned; id"]
    | .process.capabilities |= map_values(. + ["CAP_CHOWN"])
    | .linux.uidMappings = [{containerID: 0, hostID: $uid, size: 1}, {containerID: 1, hostID: $sub, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: $gid, size: 1}, {containerID: 1, hostID: $sub, size: 65536}]
    | .root.readonly = false' --argjson uid "$RL_UID" --argjson gid "$RL_GID" --argjson sub "$RL_SUB"
  run rl_berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo "${lines[1]}" | awk '{ print $1, $2, $3 }')" = "1 $RL_SUB 65536" ]
  [ "$(echo "${lines[3]}" | awk '{ print $1, $2, $3 }')" = "1 $RL_SUB 65536" ]
  # newgidmap leaves setgroups allowed: root keeps no supplementary group
  [[ "${lines[4]}" == "uid=0(root) gid=0(root)"* ]]
  [ "$(stat -c %u:%g "$B/rootfs/owned")" = "$((RL_SUB + 999)):$((RL_SUB + 999))" ]
  assert_rl_clean
}

@test "rootless id mappings the user may not use fail naming the field, before anything is made" {
  rl_bundle '.process.args = ["true"]
    | .linux.uidMappings = [{containerID: 0, hostID: $uid, size: 1}, {containerID: 1, hostID: 0, size: 1}]' \
    --argjson uid "$RL_UID"
  run rl_berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *".linux.uidMappings[1]: host ids 0-0 are neither uid $RL_UID nor in its /etc/subuid ranges ($RL_SUB-$((RL_SUB + 65535)))"* ]]
  assert_rl_clean
  rl_edit '.linux.uidMappings = [{containerID: 0, hostID: $uid, size: 1}]
    | .linux.gidMappings = [{containerID: 0, hostID: $sub, size: 65537}]' --argjson uid "$RL_UID" --argjson sub "$RL_SUB"
  run rl_berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *".linux.gidMappings[0]: host ids $RL_SUB-$((RL_SUB + 65536)) are neither gid $RL_GID"* ]]
  assert_rl_clean
  rl_edit '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings, .linux.gidMappings)'
  run rl_berth run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *".linux.namespaces: an unprivileged caller needs a user namespace"* ]]
  assert_rl_clean
}

@test "rootless: run.berth.net bridge annotations are a clear error naming the annotation" {
  rl_bundle '.process.args = ["true"] | .linux.namespaces += [{type: "network"}]
    | .annotations["run.berth.net.mode"] = "bridge"'
  run rl_berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *'.annotations["run.berth.net.mode"]: bridge networking needs root'* ]]
  assert_rl_clean
}

@test "rootless overlay from layers: writes land in the upper dir, the layer is untouched, delete removes everything" {
  # tests/vm/run's guest root is itself an overlay: no upper dir on it
  [[ "$(stat -f -c %T "$XDG")" != overlayfs ]] || skip "the state dir is on overlayfs (tests/vm)"
  rl_bundle '.process.args = ["true"]'
  mkdir -p "$RL_HOME/ov"
  chown "$RL_USER:" "$RL_HOME/ov"
  (cd "$RL_HOME/ov" && as_user "$RL_BIN" spec --rootless --layer "$B/rootfs" --upper ephemeral)
  jq '.process.terminal = false | .root.readonly = false
    | .process.args = ["sh", "-c", "echo written > /new; cat /new; grep -c \" / overlay \" /proc/self/mounts"]' \
    "$RL_HOME/ov/config.json" >"$RL_HOME/ov/c" && mv "$RL_HOME/ov/c" "$RL_HOME/ov/config.json"
  chown "$RL_USER:" "$RL_HOME/ov/config.json"
  run rl_berth run --bundle "$RL_HOME/ov" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = written ]
  [ "${lines[1]}" = 1 ]
  [ ! -e "$B/rootfs/new" ]
  assert_rl_clean
}

@test "rootless mounts: /sys is a read-only rbind without a network namespace (sysfs asked or not), /dev nodes are the host's, cgroups read-only" {
  rl_bundle '.process.args = ["sh", "-c", "
      (echo x > /sys/kernel/berth-test) 2>/dev/null && echo SYS-WRITABLE
      grep -q \" /sys \" /proc/self/mounts && echo sys-mounted
      mkdir /sys/fs/cgroup/berth-test 2>/dev/null && echo CGROUP-WRITABLE
      grep \" /sys/fs/cgroup\" /proc/self/mounts | grep -v -c \" ro,\"
      stat -c %t:%T /dev/null
      echo data > /dev/null && echo null-works"]'
  run rl_berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" != *WRITABLE* ]]
  [ "${lines[0]}" = sys-mounted ]
  [ "${lines[1]}" = 0 ]
  [ "${lines[2]}" = 1:3 ]
  [ "${lines[3]}" = null-works ]
  # the root config's sysfs mount: a user namespace without its own network
  # namespace may not mount sysfs, so it is bound from the host, read-only
  rl_edit '.mounts |= map(if .destination == "/sys"
    then {destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]} else . end)'
  run rl_berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" != *WRITABLE* ]]
  [ "${lines[0]}" = sys-mounted ]
  assert_rl_clean
}

@test "rootless attack: a mount destination symlinked out of the rootfs lands inside it; the user's files are untouched" {
  mkdir -p "$RL_HOME/canary"
  echo canary >"$RL_HOME/canary/file"
  chown -R "$RL_USER:" "$RL_HOME/canary"
  rl_bundle '.process.args = ["sh", "-c", "echo evil > /escape/file; ls /escape"]
    | .root.readonly = false
    | .mounts += [{destination: "/escape", type: "tmpfs", source: "tmpfs", options: ["nosuid"]}]'
  ln -s "$RL_HOME/canary" "$B/rootfs/escape"
  chown -h "$RL_USER:" "$B/rootfs/escape"
  run rl_berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat "$RL_HOME/canary/file")" = canary ]
  ! grep -q " $RL_HOME/canary " /proc/self/mountinfo
  assert_rl_clean
}

@test "rootless attack: /dev symlinked out of the rootfs: the bound nodes land inside it, the user's directory is untouched" {
  mkdir -p "$RL_HOME/canary"
  echo canary >"$RL_HOME/canary/secret"
  chown -R "$RL_USER:" "$RL_HOME/canary"
  rl_bundle '.process.args = ["sh", "-c", "test -c /dev/null && test -c /dev/zero && echo nodes"]
    | .mounts |= map(select(.destination != "/dev"))'
  rm -rf "$B/rootfs/dev"
  ln -s "../../../../../../../../../..$RL_HOME/canary" "$B/rootfs/dev"
  chown -h "$RL_USER:" "$B/rootfs/dev"
  run rl_berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$(ls "$RL_HOME/canary")" = secret ]
  [ "$(cat "$RL_HOME/canary/secret")" = canary ]
  [ "$status" -eq 0 ]
  [ "$output" = nodes ]
  assert_rl_clean
}

@test "rootless attack: a #!/proc/self/exe entrypoint with LD_PRELOAD cannot overwrite the user's own berth binary" {
  command -v gcc >/dev/null || skip "gcc is needed to build the attack"
  rl_bundle '.process.args = ["/entry"] | .process.env += ["LD_PRELOAD=/grab.so"] | .root.readonly = false'
  local lib T="$BATS_TEST_TMPDIR"
  for lib in $(ldd "$RL_BIN" | grep -o '/[^ ]*'); do
    mkdir -p "$B/rootfs$(dirname "$lib")"
    cp -L "$lib" "$B/rootfs$lib"
  done
  cat >"$T/grab.c" <<'C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
/* inside berth's executable: try to write it, as the container's root
 * (the user's own uid on the host) */
__attribute__((constructor)) static void grab(void)
{
  unsetenv("LD_PRELOAD");
  int fd = open("/proc/self/exe", O_PATH);
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  const char *verdict = "refused";
  for (int i = 0; i < 100; i++)
    {
      int w = open(path, O_WRONLY);
      if (w >= 0 && pwrite(w, "EVIL", 4, 0) == 4)
        {
          verdict = "WRITTEN";
          break;
        }
      if (w >= 0)
        close(w);
      usleep(20000);
    }
  FILE *f = fopen("/attack-result", "w");
  if (f)
    fprintf(f, "%s\n", verdict), fclose(f);
  _exit(0);
}
C
  gcc -shared -fPIC -o "$B/rootfs/grab.so" "$T/grab.c"
  printf '#!/proc/self/exe\n' >"$B/rootfs/entry"
  chmod 0755 "$B/rootfs/entry"
  chown -R "$RL_USER:" "$B/rootfs"
  local before
  before="$(sha256sum <"$RL_BIN")"
  rl_berth run -d --bundle "$B" "$ID"
  for _ in $(seq 100); do
    [[ -s "$B/rootfs/attack-result" ]] && break
    sleep 0.05
  done
  cat "$B/rootfs/attack-result"
  [ "$(cat "$B/rootfs/attack-result")" = refused ]
  [ "$(sha256sum <"$RL_BIN")" = "$before" ]
  rl_berth delete --force "$ID"
  assert_rl_clean
}

@test "rootless exec into a created container works (as runc); its init (berth) stays out of reach of the user and of the exec'd process; start then runs the program" {
  rl_bundle '.process.args = ["sh", "-c", "echo started >/tmp/started; exec sleep 1000"] | .root.readonly = false'
  local before init probe
  before="$(sha256sum <"$RL_BIN")"
  rl_berth create --bundle "$B" "$ID" </dev/null >/dev/null 2>&1
  probe='readlink /proc/1/exe && echo EXE-READABLE; ls /proc/1/fd/ && echo FD-READABLE
    ls /proc/1/root/ && echo ROOT-READABLE; cat /proc/1/environ && echo ENV-READABLE
    (echo x >/proc/1/exe) && echo EXE-WRITTEN; true'
  run rl_berth exec "$ID" sh -c "id -u; cat /proc/self/uid_map; ps -o pid,comm; $probe"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "$(echo "${lines[1]}" | awk '{ print $1, $2, $3 }')" = "0 $RL_UID 1" ]
  [[ "$output" == *"1 berth"* ]] # the init, still waiting
  [[ "$output" != *READABLE* && "$output" != *WRITTEN* ]]
  [ "$(rl_berth state "$ID" | jq -r .status)" = created ]
  [ ! -e "$B/rootfs/tmp/started" ]
  # a process exec'd before start outlives it
  rl_berth exec -d "$ID" sleep 999 </dev/null >/dev/null 2>&1
  # the user itself cannot open the init's exe, fds or root either
  init="$(rl_berth state "$ID" | jq -r .pid)"
  run as_user sh -c "readlink /proc/$init/exe && echo EXE-READABLE
    ls /proc/$init/fd/ && echo FD-READABLE
    ls /proc/$init/root/ && echo ROOT-READABLE; true"
  echo "$output"
  [[ "$output" != *READABLE* ]]
  rl_berth start "$ID"
  [ "$(rl_berth state "$ID" | jq -r .status)" = running ]
  # started: the init runs the container's program; berth is gone from it
  run rl_berth exec "$ID" sh -c 'cat /proc/1/comm /tmp/started; (echo x >/proc/1/exe) 2>/dev/null && echo EXE-WRITTEN; true'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = sleep ]
  [ "${lines[1]}" = started ]
  [[ "$output" != *WRITTEN* ]]
  run rl_berth exec "$ID" ps -o args
  [[ "$output" == *"sleep 999"* ]]
  [ ! -e "$XDG/berth/$ID/ns.sock" ]
  [ "$(sha256sum <"$RL_BIN")" = "$before" ]
  rl_berth delete --force "$ID"
  assert_rl_clean
}

@test "rootless attack: the created init hands its namespaces to their owner only (not to host root, not after start)" {
  rl_bundle '.process.args = ["sleep", "1000"]'
  rl_berth create --bundle "$B" "$ID" </dev/null >/dev/null 2>&1
  local sock="$XDG/berth/$ID/ns.sock" ask
  [ "$(stat -c %U:%a "$sock")" = "$RL_USER:600" ]
  # prints: bytes of the answer, fds received
  ask='import array, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
msg, anc, _, _ = s.recvmsg(16, 4096)
fds = array.array("i")
for _, _, data in anc:
    fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
print(len(msg), len(fds))'
  run as_user python3 -c "$ask" "$sock"
  echo "$output"
  [ "$output" != "0 0" ] && [[ "$output" == "4 "* ]]
  # host root is no owner of the user namespace (it is not even mapped)
  run python3 -c "$ask" "$sock"
  echo "$output"
  [ "$output" = "0 0" ]
  rl_berth start "$ID"
  [ ! -e "$sock" ]
  rl_berth delete --force "$ID"
  assert_rl_clean
}

@test "rootless attack: a cwd symlinked out of the rootfs stays inside it (run and exec); the user's files are untouched" {
  mkdir -p "$RL_HOME/canary"
  echo user-secret >"$RL_HOME/canary/secret"
  chown -R "$RL_USER:" "$RL_HOME/canary"
  rl_bundle '.process.args = ["sh", "-c", "touch marker; pwd; cat secret 2>/dev/null; true"]
    | .process.cwd = "/escape" | .root.readonly = false'
  ln -s "../../../../../../../../../..$RL_HOME/canary" "$B/rootfs/escape"
  chown -h "$RL_USER:" "$B/rootfs/escape"
  run rl_berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$RL_HOME/canary" ]
  [ ! -e "$RL_HOME/canary/marker" ]
  [ -e "$B/rootfs$RL_HOME/canary/marker" ]
  rl_edit '.process.args = ["sleep", "1000"] | .process.cwd = "/"'
  rl_berth run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1
  run rl_berth exec --cwd /escape "$ID" sh -c 'touch marker2; cat secret 2>/dev/null; true'
  [ "$status" -eq 0 ]
  [[ "$output" != *user-secret* ]]
  [ ! -e "$RL_HOME/canary/marker2" ]
  rl_berth delete --force "$ID"
  assert_rl_clean
}

@test "rootless attack: the user program never gets one of the user's fds leaked into berth (run and exec)" {
  local probe='for n in 3 4 5 6 7 8 9 10 11 12; do [ -e /proc/$$/fd/$n ] && echo "open $n"; done; echo end'
  rl_bundle '.process.args = ["sh", "-c", $p]' --arg p "$probe"
  run as_user sh -c 'exec "$0" "$@" 3<"$HOME" 4</ 5<"$HOME/berth" 7</etc 9</' "$RL_BIN" run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = end ]
  rl_edit '.process.args = ["sleep", "1000"]'
  rl_berth run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1
  run as_user sh -c 'exec "$0" "$@" 3<"$HOME" 4</ 5<"$HOME/berth" 7</etc 9</' "$RL_BIN" exec "$ID" sh -c "$probe"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = end ]
  rl_berth delete --force "$ID"
  assert_rl_clean
}
