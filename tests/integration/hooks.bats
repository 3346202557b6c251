#!/usr/bin/env bats
# OCI hooks: each stage at its point, with the state JSON on stdin, its own
# args (args[0] is argv[0]) and env, its timeout, and failures handled as
# the runtime-spec says.

load ../helpers

setup() {
  ID="$(unique_id hooks)"
  B="$BATS_TEST_TMPDIR/b"
  LOG="$BATS_TEST_TMPDIR/hooks.log"
  make_bundle "$B" '.process.args = ["sleep", "1000"] | .root.readonly = false'
}

teardown() {
  cleanup_containers
}

# host_hook STAGE: a hook (run on the host side) that logs "STAGE status pid-ok"
host_hook() {
  jq -n --arg stage "$1" --arg log "$LOG" '{
    path: "/bin/sh",
    args: ["sh", "-c", "s=$(cat); echo \"$0 $(echo \"$s\" | jq -r .status) $(echo \"$s\" | jq -r .id)\" >> \"$LOG\"", $stage],
    env: ["LOG=" + $log]
  }'
}

@test "every stage runs at its point with the state on stdin" {
  local h
  bundle_edit "$B" '.hooks = {
      prestart: [$pre], createRuntime: [$cr], createContainer: [$cc], poststart: [$ps], poststop: [$pst],
      startContainer: [{path: "/bin/sh", args: ["sh", "-c", "cat > /start-state; echo $X > /start-env", "x"], env: ["X=inside"]}]
    }' \
    --argjson pre "$(host_hook prestart)" --argjson cr "$(host_hook createRuntime)" \
    --argjson cc "$(host_hook createContainer)" --argjson ps "$(host_hook poststart)" \
    --argjson pst "$(host_hook poststop)"
  # createContainer runs in the container's namespaces, before pivot_root
  # (the host's /bin/sh and jq are still reachable)
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  # "created": the runtime-spec's lifecycle, as runc and crun
  [ "$(cat "$LOG")" = "prestart created $ID
createRuntime created $ID
createContainer created $ID" ]
  [ ! -e "$B/rootfs/start-state" ]
  run berth start "$ID"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  # startContainer ran inside the container (its /bin/sh, its root)
  [ "$(jq -r .id "$B/rootfs/start-state")" = "$ID" ]
  [ "$(jq -r .pid "$B/rootfs/start-state")" = "$(berth state "$ID" | jq -r .pid)" ]
  [ "$(cat "$B/rootfs/start-env")" = inside ]
  [ "$(tail -n 1 "$LOG")" = "poststart running $ID" ]
  berth delete --force "$ID"
  [ "$(tail -n 1 "$LOG")" = "poststop stopped $ID" ]
  [ "$(wc -l < "$LOG")" -eq 5 ]
  assert_no_leftovers "$ID"
}

@test "hooks get their args (args[0] is argv[0]) and only their env" {
  bundle_edit "$B" '.hooks.prestart = [{path: "/bin/sh", args: ["myname", "-c", "head -c 6 /proc/$$/cmdline > \"$OUT.argv0\"; echo \"$0|$FOO|${HOME:-nohome}\" > \"$OUT\"", "a1"], env: ["FOO=bar", "OUT=" + $out]}]' \
    --arg out "$BATS_TEST_TMPDIR/args"
  HOME=/root detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "$(cat "$BATS_TEST_TMPDIR/args.argv0")" = "myname" ]
  [ "$(cat "$BATS_TEST_TMPDIR/args")" = "a1|bar|nohome" ]
}

@test "the state JSON a createRuntime hook sees: pid of the init, bundle, and 'state' says creating" {
  bundle_edit "$B" '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "cat > \"$D/stdin\"; \"$BERTH\" --root \"$ROOT\" state \"$ID\" > \"$D/state\""], env: ["D=" + $d, "BERTH=" + $berth, "ROOT=" + $root, "ID=" + $id]}]' \
    --arg d "$BATS_TEST_TMPDIR" --arg berth "$BERTH" --arg root "$BERTH_ROOT" --arg id "$ID"
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local pid
  pid="$(berth state "$ID" | jq -r .pid)"
  [ "$(jq -r .pid "$BATS_TEST_TMPDIR/stdin")" = "$pid" ]
  [ "$(jq -r .bundle "$BATS_TEST_TMPDIR/stdin")" = "$B" ]
  [ "$(jq -r .ociVersion "$BATS_TEST_TMPDIR/stdin")" != null ]
  # berth's private record never reaches a hook
  [ "$(jq -r 'has("berth")' "$BATS_TEST_TMPDIR/stdin")" = false ]
  [ "$(jq -r .status "$BATS_TEST_TMPDIR/state")" = creating ]
  # the hook's own state: "created", the runtime-spec's lifecycle
  [ "$(jq -r .status "$BATS_TEST_TMPDIR/stdin")" = created ]
}

@test "a failing prestart hook fails create with its output and leaves nothing" {
  bundle_edit "$B" '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "echo hook-said-no >&2; exit 4"]}]'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"prestart hook /bin/sh exited with status 4"*"hook-said-no"* ]]
  assert_no_leftovers "$ID"
}

@test "failing createRuntime / createContainer hooks fail create" {
  bundle_edit "$B" '.hooks.createRuntime = [{path: "/bin/false"}]'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"createRuntime hook /bin/false exited with status 1"* ]]
  assert_no_leftovers "$ID"
  bundle_edit "$B" 'del(.hooks) | .hooks.createContainer = [{path: "/nonexistent/hook"}]'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"createContainer hook /nonexistent/hook"* ]]
  assert_no_leftovers "$ID"
}

@test "a hook past its timeout is killed and fails create" {
  bundle_edit "$B" '.hooks.prestart = [{path: "/bin/sleep", args: ["sleep", "30"], timeout: 1}]'
  local t0=$SECONDS
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"prestart hook /bin/sleep timed out"* ]]
  [ $((SECONDS - t0)) -lt 10 ]
  ! pgrep -f "^sleep 30$" >/dev/null
  assert_no_leftovers "$ID"
}

@test "a failing startContainer hook fails start; the container stops" {
  bundle_edit "$B" '.hooks.startContainer = [{path: "/bin/sh", args: ["sh", "-c", "exit 9"]}]'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  run berth start "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"startContainer hook /bin/sh exited with status 9"* ]]
  for _ in $(seq 50); do [ "$(berth state "$ID" | jq -r .status)" = stopped ] && break; sleep 0.1; done
  [ "$(berth state "$ID" | jq -r .status)" = stopped ]
}

@test "poststart and poststop failures are only warnings" {
  bundle_edit "$B" '.hooks.poststart = [{path: "/bin/false"}] | .hooks.poststop = [{path: "/bin/false"}]'
  detached create --bundle "$B" "$ID"
  run berth start "$ID"
  [ "$status" -eq 0 ]
  [[ "$output" == *"poststart hook /bin/false exited with status 1"* ]]
  [ "$(berth state "$ID" | jq -r .status)" = running ]
  run berth delete --force "$ID"
  [ "$status" -eq 0 ]
  [[ "$output" == *"poststop hook /bin/false"* ]]
  assert_no_leftovers "$ID"
}

@test "hooks see none of berth's fds" {
  bundle_edit "$B" '.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "exec ls /proc/self/fd > \"$OUT\""], env: ["OUT=" + $out]}]' \
    --arg out "$BATS_TEST_TMPDIR/fds"
  berth create --bundle "$B" "$ID" 3</dev/null 7</dev/null </dev/null >/dev/null 2>&1
  # ls's own directory fd is 3
  [ "$(echo $(cat "$BATS_TEST_TMPDIR/fds"))" = "0 1 2 3" ]
}

# env_hook STAGE [ENV-JSON]: a hook that writes its environment, sorted, to
# $BATS_TEST_TMPDIR/env.STAGE (sh's exported one, as cat inherits it,
# less the PWD sh adds itself)
env_hook() {
  jq -n --arg out "$BATS_TEST_TMPDIR/env.$1" --argjson env "${2:-null}" '{
    path: "/bin/sh",
    args: ["sh", "-c", "cat /proc/self/environ | tr \"\\0\" \"\\n\" | grep -v ^PWD= | sort > \"$0\"", $out]
  } + (if $env == null then {} else {env: $env} end)'
}

@test "a hook without env inherits berth's environment; with env it gets exactly that" {
  bundle_edit "$B" '.hooks = {prestart: [$pre], createRuntime: [$cr], createContainer: [$cc], poststop: [$pst]}' \
    --argjson pre "$(env_hook prestart)" --argjson cr "$(env_hook createRuntime '["ONLY=this", "PATH=/usr/bin:/bin"]')" \
    --argjson cc "$(env_hook createContainer)" --argjson pst "$(env_hook poststop '["PATH=/usr/bin:/bin"]')"
  BERTH_HOOK_MARK=inherited PATH=/usr/sbin:/usr/bin:/sbin:/bin detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  # without env: berth's own (nvidia-container-runtime-hook and CNI need PATH)
  grep -qx "BERTH_HOOK_MARK=inherited" "$BATS_TEST_TMPDIR/env.prestart"
  grep -qx "PATH=/usr/sbin:/usr/bin:/sbin:/bin" "$BATS_TEST_TMPDIR/env.prestart"
  # createContainer runs from the container's init: the same environment
  grep -qx "BERTH_HOOK_MARK=inherited" "$BATS_TEST_TMPDIR/env.createContainer"
  # with env: that, and nothing of berth's
  [ "$(cat "$BATS_TEST_TMPDIR/env.createRuntime")" = "ONLY=this
PATH=/usr/bin:/bin" ]
  berth delete --force "$ID"
  [ "$(cat "$BATS_TEST_TMPDIR/env.poststop")" = "PATH=/usr/bin:/bin" ]
  assert_no_leftovers "$ID"
}

# cwd_hook STAGE LOG: a hook that logs "STAGE <its working directory>"
cwd_hook() {
  jq -n --arg stage "$1" --arg log "$2" '{path: "/bin/sh", args: ["sh", "-c", "echo \"$0 $(pwd)\" >> \"$1\"", $stage, $log]}'
}

@test "hooks' working directory: the bundle, the rootfs for createContainer, process.cwd for startContainer (runc)" {
  mkdir -p "$B/rootfs/work"
  bundle_edit "$B" '.process.cwd = "/work" | .hooks = {
      prestart: [$pre], createRuntime: [$cr], createContainer: [$cc], poststart: [$ps], poststop: [$pst],
      startContainer: [{path: "/bin/sh", args: ["sh", "-c", "echo \"startContainer $(pwd)\" > /work/start-cwd"]}]
    }' \
    --argjson pre "$(cwd_hook prestart "$LOG")" --argjson cr "$(cwd_hook createRuntime "$LOG")" \
    --argjson cc "$(cwd_hook createContainer "$LOG")" --argjson ps "$(cwd_hook poststart "$LOG")" \
    --argjson pst "$(cwd_hook poststop "$LOG")"
  # berth itself runs elsewhere, and gets its own directory back
  mkdir -p "$BATS_TEST_TMPDIR/elsewhere"
  cd "$BATS_TEST_TMPDIR/elsewhere"
  detached create --pid-file pid --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ -s "$BATS_TEST_TMPDIR/elsewhere/pid" ]
  berth start "$ID"
  berth delete --force "$ID"
  cd /
  local b
  b="$(realpath "$B")"
  [ "$(cat "$LOG")" = "prestart $b
createRuntime $b
createContainer $b/rootfs
poststart $b
poststop $b" ]
  [ "$(cat "$B/rootfs/work/start-cwd")" = "startContainer /work" ]
}

# a startContainer hook that records whether uname(2) works (busybox uname
# prints nothing when it fails), and a profile that refuses uname
seccomp_uname_bundle() {
  bundle_edit "$B" '.process.noNewPrivileges = $nnp
    | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
        syscalls: [{names: ["uname"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}
    | .hooks = {startContainer: [{path: "/bin/sh",
        args: ["sh", "-c", "if [ -n \"$(uname -s 2>/dev/null)\" ]; then echo allowed; else echo refused; fi > /uname"]}],
      createContainer: [{path: "/bin/sh",
        args: ["sh", "-c", "if [ -n \"$(uname -s 2>/dev/null)\" ]; then echo allowed; else echo refused; fi > \"$0\"", $cc]}]}' \
    --argjson nnp "$1" --arg cc "$BATS_TEST_TMPDIR/cc-uname"
}

@test "startContainer hooks run under the container's seccomp filter, with and without noNewPrivileges" {
  local nnp
  for nnp in false true; do
    seccomp_uname_bundle "$nnp"
    rm -f "$B/rootfs/uname" "$BATS_TEST_TMPDIR/cc-uname"
    detached create --bundle "$B" "$ID"
    [ "$status" -eq 0 ]
    berth start "$ID"
    echo "nnp=$nnp: $(cat "$B/rootfs/uname")"
    [ "$(cat "$B/rootfs/uname")" = refused ]
    # createContainer runs before the filter exists
    [ "$(cat "$BATS_TEST_TMPDIR/cc-uname")" = allowed ]
    # the container's process is still filtered as before
    run berth exec "$ID" uname -s
    [ -z "$output" ]
    berth delete --force "$ID"
  done
}
