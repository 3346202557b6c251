#!/usr/bin/env bats
# linux.seccomp: actions, errnoRet, argument filters, flags, NOTIFY with a
# seccomp agent, warnings and errors, a Podman-sized allow list; observed
# from inside a busybox container.

load ../helpers

setup() {
  ID="$(unique_id seccomp)"
  B="$BATS_TEST_TMPDIR/b"
  AGENT_PID=
}

teardown() {
  if [[ -n "$AGENT_PID" ]]; then
    kill "$AGENT_PID" 2>/dev/null || true
    wait "$AGENT_PID" 2>/dev/null || true
  fi
  cleanup_containers
}

# json_strings ARGS...: a JSON array of the arguments (jq would parse
# `-c` after --args as its own option)
json_strings() {
  local a
  for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -s -c .
}

# bundle PROFILE-JSON ARGS...: a busybox bundle running ARGS under PROFILE
bundle() {
  local profile=$1
  shift
  make_bundle "$B" '.process.args = $args | .linux.seccomp = $sc | .root.readonly = false' \
    --argjson sc "$profile" --argjson args "$(json_strings "$@")"
}

# deny NAMES-JSON ACTION [EXTRA-JSON]: a profile allowing everything but
# one rule {"names": NAMES, "action": ACTION} + EXTRA
deny() {
  jq -n --argjson names "$1" --arg action "$2" --argjson extra "${3:-{\}}" \
    '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: $names, action: $action} + $extra]}'
}

# like lifecycle.bats: create/run -d with stdio on a file

# every syscall name of this architecture the kernel headers know, minus
# what a container engine's default profile leaves out
podman_like_names() {
  local hdr
  for hdr in /usr/include/x86_64-linux-gnu/asm/unistd_64.h /usr/include/asm/unistd_64.h; do
    [[ -r "$hdr" ]] && break
  done
  [[ -r "$hdr" ]] || return 1
  awk '$1 == "#define" && $2 ~ /^__NR_/ { print substr($2, 6) }' "$hdr" |
    grep -vxE 'acct|add_key|bpf|clock_adjtime|clock_settime|create_module|delete_module|finit_module|get_kernel_syms|get_mempolicy|init_module|ioperm|iopl|kcmp|kexec_file_load|kexec_load|keyctl|lookup_dcookie|mbind|mount|move_pages|nfsservctl|open_by_handle_at|perf_event_open|pivot_root|process_vm_readv|process_vm_writev|ptrace|query_module|quotactl|reboot|request_key|set_mempolicy|setns|settimeofday|swapon|swapoff|sysfs|_sysctl|umount2|unshare|uselib|userfaultfd|ustat|vm86|vm86old|personality|clone3|'"${1:-}"
}

# podman_like_profile [EXCLUDED-REGEX]: default ERRNO (EPERM), the names above
# allowed on x86_64/x86/x32, personality and clone3 as Podman has them
podman_like_profile() {
  podman_like_names "${1:-}" | jq -R . | jq -s '{
    defaultAction: "SCMP_ACT_ERRNO",
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    syscalls: [
      {names: ., action: "SCMP_ACT_ALLOW"},
      {names: ["personality"], action: "SCMP_ACT_ALLOW",
       args: [{index: 0, value: 0, op: "SCMP_CMP_EQ"}, {index: 0, value: 8, op: "SCMP_CMP_EQ"},
              {index: 0, value: 4294967295, op: "SCMP_CMP_EQ"}]},
      {names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38}
    ]}'
}

agent_bin() {
  local bin
  bin="$(dirname "$BERTH")/tests/helpers/seccomp_listener"
  if [[ ! -x "$bin" ]]; then
    bin="$BATS_TEST_TMPDIR/seccomp_listener"
    cc -o "$bin" "$REPO/tests/helpers/seccomp_listener.c" || return 1
  fi
  echo "$bin"
}

# start_agent ERRNO: the seccomp agent on $BATS_TEST_TMPDIR/agent.sock,
# writing to $BATS_TEST_TMPDIR/agent.out
start_agent() {
  local bin
  bin="$(agent_bin)"
  AGENT_SOCK="$BATS_TEST_TMPDIR/agent.sock"
  AGENT_OUT="$BATS_TEST_TMPDIR/agent.out"
  "$bin" "$AGENT_SOCK" "$AGENT_OUT" "$1" </dev/null >/dev/null 2>&1 &
  AGENT_PID=$!
  for _ in $(seq 100); do grep -qx listening "$AGENT_OUT" 2>/dev/null && return 0; sleep 0.05; done
  echo "the seccomp agent did not start" >&2
  return 1
}

wait_for_file_line() {
  local file=$1 pattern=$2
  for _ in $(seq 100); do grep -q -- "$pattern" "$file" 2>/dev/null && return 0; sleep 0.05; done
  echo "no line matching $pattern in $file:" >&2
  cat "$file" >&2
  return 1
}

@test "a denied syscall returns its errnoRet" {
  bundle "$(deny '["mkdir","mkdirat"]' SCMP_ACT_ERRNO '{"errnoRet": 38}')" mkdir /tmp/x
  run berth run --bundle "$B" "$ID"
  echo "status $status: $output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"can't create directory '/tmp/x': Function not implemented"* ]]
  assert_no_leftovers "$ID"
}

@test "errnoRet defaults to EPERM; other syscalls are untouched" {
  bundle "$(deny '["mkdir","mkdirat"]' SCMP_ACT_ERRNO)" sh -c 'mkdir /tmp/x; echo hi > /tmp/f && cat /tmp/f'
  run berth run --bundle "$B" "$ID"
  echo "status $status: $output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"'/tmp/x': Operation not permitted"* ]]
  [[ "$output" == *hi* ]]
}

@test "the filter is in place once, and no_new_privs stays off when not asked for" {
  # not root, no capabilities, no noNewPrivileges: loaded before the
  # identity switch (the kernel would refuse it after)
  bundle "$(deny '["mkdir","mkdirat"]' SCMP_ACT_ERRNO '{"errnoRet": 38}')" \
    sh -c 'grep -E "^(Seccomp|Seccomp_filters|NoNewPrivs|Uid):" /proc/self/status; mkdir /tmp/y'
  bundle_edit "$B" '.process.noNewPrivileges = false | .process.user = {uid: 65534, gid: 65534}
                    | .process.capabilities = {}'
  run berth run --bundle "$B" "$ID"
  echo "status $status: $output"
  [ "$status" -eq 1 ]
  [[ "$output" == *$'Seccomp:\t2'* ]]
  [[ "$output" == *$'Seccomp_filters:\t1'* ]]
  [[ "$output" == *$'NoNewPrivs:\t0'* ]]
  [[ "$output" == *$'Uid:\t65534'* ]]
  [[ "$output" == *"'/tmp/y': Function not implemented"* ]]
}

@test "with noNewPrivileges the filter is loaded after the identity switch" {
  # setresuid denied: loaded before the switch, the init would fail
  bundle "$(deny '["setresuid","setresgid","setgroups","capset"]' SCMP_ACT_ERRNO)" \
    sh -c 'grep -E "^(Seccomp|NoNewPrivs|Uid):" /proc/self/status'
  bundle_edit "$B" '.process.noNewPrivileges = true | .process.user = {uid: 65534, gid: 65534}'
  run berth run --bundle "$B" "$ID"
  echo "status $status: $output"
  [ "$status" -eq 0 ]
  [[ "$output" == *$'Seccomp:\t2'* ]]
  [[ "$output" == *$'NoNewPrivs:\t1'* ]]
  [[ "$output" == *$'Uid:\t65534'* ]]
}

@test "defaultAction ERRNO with defaultErrnoRet behind a Podman-sized allow list" {
  local profile
  profile="$(podman_like_profile 'mkdir|mkdirat' | jq '.defaultErrnoRet = 38')"
  [ "$(jq '.syscalls[0].names | length' <<<"$profile")" -gt 250 ]
  bundle "$profile" sh -c 'mkdir /tmp/x; echo done'
  run berth run --bundle "$B" "$ID"
  echo "status $status: $output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"'/tmp/x': Function not implemented"* ]]
  [[ "$output" == *done* ]]
}

@test "a Podman-like default profile runs sh -c true" {
  bundle "$(podman_like_profile)" sh -c true
  run berth run --bundle "$B" "$ID"
  echo "status $status: $output"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  bundle_edit "$B" '.process.args = ["sh", "-c", "linux32 true && echo personality-8-ok; ls / > /dev/null && echo ls-ok"]'
  run berth run --bundle "$B" "$ID-2"
  [ "$status" -eq 0 ]
  [[ "$output" == *personality-8-ok* ]]
  [[ "$output" == *ls-ok* ]]
}

@test "KILL, KILL_THREAD and KILL_PROCESS kill with SIGSYS (159)" {
  local action
  for action in SCMP_ACT_KILL SCMP_ACT_KILL_THREAD SCMP_ACT_KILL_PROCESS; do
    bundle "$(deny '["mkdir","mkdirat"]' "$action")" mkdir /tmp/x
    run berth run --bundle "$B" "$ID-${action,,}"
    echo "$action: $status $output"
    [ "$status" -eq 159 ]
    assert_no_leftovers "$ID-${action,,}"
  done
}

@test "TRAP sends SIGSYS" {
  bundle "$(deny '["mkdir","mkdirat"]' SCMP_ACT_TRAP)" mkdir /tmp/x
  run berth run --bundle "$B" "$ID"
  echo "status $status: $output"
  [ "$status" -eq 159 ]
}

@test "LOG does not block" {
  bundle "$(deny '["mkdir","mkdirat"]' SCMP_ACT_LOG)" sh -c 'mkdir /tmp/x && echo made'
  bundle_edit "$B" '.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]'
  run berth run --bundle "$B" "$ID"
  echo "status $status: $output"
  [ "$status" -eq 0 ]
  [ "$output" = made ]
}

@test "an argument filter matches only the given value" {
  # personality(PER_LINUX32 = 8) denied, personality(PER_LINUX = 0) allowed
  bundle "$(deny '["personality"]' SCMP_ACT_ERRNO '{"args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}')" \
    sh -c 'linux64 true && echo linux64-ok; linux32 true || echo linux32-denied'
  run berth run --bundle "$B" "$ID"
  echo "status $status: $output"
  [ "$status" -eq 0 ]
  [[ "$output" == *linux64-ok* ]]
  [[ "$output" == *linux32-denied* ]]
}

@test "two args on the same index: either matches" {
  bundle "$(deny '["personality"]' SCMP_ACT_ERRNO '{"args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                                                              {"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}')" \
    sh -c 'linux64 true || echo linux64-denied; linux32 true || echo linux32-denied'
  run berth run --bundle "$B" "$ID"
  echo "status $status: $output"
  [ "$status" -eq 0 ]
  [[ "$output" == *linux64-denied* ]]
  [[ "$output" == *linux32-denied* ]]
}

@test "MASKED_EQ: value is the mask, valueTwo the expected value" {
  # (mode & 0007) == 0002 on chmod(path, mode): "others" may write but
  # nothing else; value is the mask, valueTwo the expected value. busybox
  # chmod calls chmod(2)
  bundle "$(deny '["chmod"]' SCMP_ACT_ERRNO '{"args": [{"index": 1, "value": 7, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}]}')" \
    sh -c 'touch /tmp/f; chmod 755 /tmp/f && echo 755-ok; chmod 752 /tmp/f || echo 752-denied; chmod 1002 /tmp/f || echo 1002-denied; chmod 757 /tmp/f && echo 757-ok'
  run berth run --bundle "$B" "$ID"
  echo "status $status: $output"
  [ "$status" -eq 0 ]
  [[ "$output" == *755-ok* ]]
  [[ "$output" == *752-denied* ]]
  [[ "$output" == *1002-denied* ]]
  [[ "$output" == *757-ok* ]]
}

@test "arguments on different indexes are ANDed" {
  # chmod(path, mode): mode == 0777 AND path != NULL (always true)
  bundle "$(deny '["chmod"]' SCMP_ACT_ERRNO '{"args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"},
                                                         {"index": 0, "value": 0, "op": "SCMP_CMP_NE"}]}')" \
    sh -c 'touch /tmp/f; chmod 700 /tmp/f && echo 700-ok; chmod 777 /tmp/f || echo 777-denied'
  run berth run --bundle "$B" "$ID"
  echo "status $status: $output"
  [ "$status" -eq 0 ]
  [[ "$output" == *700-ok* ]]
  [[ "$output" == *777-denied* ]]
  # and with a second condition that never holds, nothing is denied
  bundle_edit "$B" '.linux.seccomp.syscalls[0].args[1].op = "SCMP_CMP_EQ"'
  run berth run --bundle "$B" "$ID-2"
  [ "$status" -eq 0 ]
  [[ "$output" == *700-ok* ]]
  [[ "$output" != *777-denied* ]]
}

@test "NOTIFY: the agent gets the fd and the state, and answers for the container" {
  start_agent 38
  local profile
  profile="$(deny '["mkdir","mkdirat"]' SCMP_ACT_NOTIFY | jq --arg p "$AGENT_SOCK" \
    '.listenerPath = $p | .listenerMetadata = "MKNOD=/dev/null"')"
  bundle "$profile" sh -c 'mkdir /tmp/x; echo done'
  detached create --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local pid
  pid="$(berth state "$ID" | jq -r .pid)"
  run berth start "$ID"
  [ "$status" -eq 0 ]
  wait_for_file_line "$BATS_TEST_TMPDIR/detached.out" done
  wait_for_file_line "$AGENT_OUT" '^notify nr='
  [[ "$(cat "$BATS_TEST_TMPDIR/detached.out")" == *"'/tmp/x': Function not implemented"* ]]
  grep -q '^fds=1 state=' "$AGENT_OUT"
  local state
  state="$(sed -n 's/^fds=1 state=//p' "$AGENT_OUT")"
  echo "$state"
  jq -e --argjson pid "$pid" --arg id "$ID" --arg bundle "$B" '
    .ociVersion == "1.2.0" and .fds == ["seccompFd"] and .pid == $pid
    and .metadata == "MKNOD=/dev/null" and .state.id == $id and .state.pid == $pid
    and .state.status == "created" and .state.bundle == $bundle' <<<"$state"
  # mkdir (83) or mkdirat (258) on x86_64
  grep -qE '^notify nr=(83|258) ' "$AGENT_OUT"
}

@test "NOTIFY needs a listener that is there; nothing is left behind" {
  bundle "$(deny '["mkdir"]' SCMP_ACT_NOTIFY | jq --arg p "$BATS_TEST_TMPDIR/nobody.sock" '.listenerPath = $p')" true
  detached create --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *".linux.seccomp.listenerPath: connect to $BATS_TEST_TMPDIR/nobody.sock"* ]]
  assert_no_leftovers "$ID"

  bundle "$(deny '["mkdir"]' SCMP_ACT_NOTIFY)" true
  detached create --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *".linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY"* ]]
  assert_no_leftovers "$ID"
}

@test "an unknown syscall name is only a warning in the log" {
  bundle "$(deny '["mkdir","mkdirat","berth_no_such_syscall"]' SCMP_ACT_ERRNO '{"errnoRet": 38}')" mkdir /tmp/x
  run "$BERTH" --root "$BERTH_ROOT" --log "$BATS_TEST_TMPDIR/log" --log-format json run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  [[ "$output" == *"Function not implemented"* ]]
  grep '"level":"warning"' "$BATS_TEST_TMPDIR/log" | grep -q 'unknown syscall \\"berth_no_such_syscall\\" skipped'
}

@test "bad names fail create early, naming the field, and leave nothing behind" {
  local cases=(
    '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"},{"names":["mkdir"],"action":"SCMP_ACT_FOO"}]}'
    '.linux.seccomp.syscalls[1].action: unknown action "SCMP_ACT_FOO"'
    '{"defaultAction":"SCMP_ACT_BAR"}'
    '.linux.seccomp.defaultAction: unknown action "SCMP_ACT_BAR"'
    '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_VAX"]}'
    '.linux.seccomp.architectures[0]: unknown architecture "SCMP_ARCH_VAX"'
    '{"defaultAction":"SCMP_ACT_ALLOW","flags":["SECCOMP_FILTER_FLAG_NOPE"]}'
    '.linux.seccomp.flags[0]: unknown flag "SECCOMP_FILTER_FLAG_NOPE"'
    '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":1,"op":"SCMP_CMP_SOMETIMES"}]}]}'
    '.linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_SOMETIMES"'
    '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_KILL","errnoRet":1}]}'
    '.linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_KILL takes no errno'
  )
  local i
  for ((i = 0; i < ${#cases[@]}; i += 2)); do
    bundle "${cases[i]}" true
    detached create --bundle "$B" "$ID"
    echo "case $i: $status $output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"${cases[i + 1]}"* ]]
    assert_no_leftovers "$ID"
  done
}

@test "features: seccomp is enabled with every action, operator and flag" {
  run berth features
  [ "$status" -eq 0 ]
  jq -e '.linux.seccomp.enabled == true
         and (.linux.seccomp.actions | length) == 9
         and (.linux.seccomp.operators | length) == 7
         and (.linux.seccomp.archs | index("SCMP_ARCH_X86_64"))
         and (.linux.seccomp.knownFlags | length) == 4
         and (.linux.seccomp.supportedFlags | index("SECCOMP_FILTER_FLAG_LOG"))' <<<"$output"
}

# cache_run NAME: `berth run` of $B with the debug log in $BATS_TEST_TMPDIR/NAME.log
cache_run() {
  run "$BERTH" --root "$BERTH_ROOT" --log "$BATS_TEST_TMPDIR/$1.log" --debug run --bundle "$B" "$ID-$1"
  echo "$1: status $status: $output"
  grep -o 'BPF instructions in [0-9]* us ([a-z ]*)' "$BATS_TEST_TMPDIR/$1.log" || true
}

@test "the filter cache: a hit on the second run is enforced; tampered entries and unsafe dirs are not used" {
  export BERTH_SECCOMP_CACHE_DIR="$BATS_TEST_TMPDIR/cache"
  # an allow-all profile's entry, to plant under the deny profile's name
  bundle '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]}' true
  BERTH_SECCOMP_CACHE_DIR="$BATS_TEST_TMPDIR/other" cache_run allow
  [ "$status" -eq 0 ]
  local allow_entry
  allow_entry="$(echo "$BATS_TEST_TMPDIR"/other/*)"

  bundle "$(deny '["mkdir","mkdirat"]' SCMP_ACT_ERRNO '{"errnoRet": 38}')" mkdir /tmp/x
  cache_run miss
  [ "$status" -eq 1 ] && [[ "$output" == *"Function not implemented"* ]]
  grep -q '(cache miss)' "$BATS_TEST_TMPDIR/miss.log"
  [ "$(stat -c %a "$BERTH_SECCOMP_CACHE_DIR")" = 700 ]
  local entry
  entry="$(echo "$BERTH_SECCOMP_CACHE_DIR"/*)"
  [ -f "$entry" ] && [ "$(stat -c %a "$entry")" = 600 ]
  cp "$entry" "$BATS_TEST_TMPDIR/good"

  cache_run hit
  [ "$status" -eq 1 ] && [[ "$output" == *"Function not implemented"* ]]
  grep -q '(cache hit)' "$BATS_TEST_TMPDIR/hit.log"

  # another profile's valid entry under this name: a miss, enforced, replaced
  cp "$allow_entry" "$entry"
  cache_run planted
  [ "$status" -eq 1 ] && [[ "$output" == *"Function not implemented"* ]]
  grep -q '(cache miss)' "$BATS_TEST_TMPDIR/planted.log"
  cmp "$entry" "$BATS_TEST_TMPDIR/good"

  head -c 100 "$BATS_TEST_TMPDIR/good" > "$entry"
  cache_run garbage
  [ "$status" -eq 1 ] && [[ "$output" == *"Function not implemented"* ]]
  grep -q '(cache miss)' "$BATS_TEST_TMPDIR/garbage.log"
  cmp "$entry" "$BATS_TEST_TMPDIR/good"

  # a directory others can write, or owned by another uid: not used at all
  cp "$allow_entry" "$entry"
  chmod 0777 "$BERTH_SECCOMP_CACHE_DIR"
  cache_run open
  [ "$status" -eq 1 ] && [[ "$output" == *"Function not implemented"* ]]
  grep -q '(no cache)' "$BATS_TEST_TMPDIR/open.log"
  chmod 0700 "$BERTH_SECCOMP_CACHE_DIR"
  chown 65534 "$BERTH_SECCOMP_CACHE_DIR"
  cache_run foreign
  [ "$status" -eq 1 ] && [[ "$output" == *"Function not implemented"* ]]
  grep -q '(no cache)' "$BATS_TEST_TMPDIR/foreign.log"
  cmp "$entry" "$allow_entry"

  BERTH_SECCOMP_CACHE=0 cache_run off
  grep -q '(no cache)' "$BATS_TEST_TMPDIR/off.log"
  for n in allow miss hit planted garbage open foreign off; do berth delete -f "$ID-$n" 2>/dev/null || true; done
}
