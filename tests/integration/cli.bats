#!/usr/bin/env bats
# The command line: global options in every spelling, --version/--help,
# errors and the log file, and the commands spec, features, state and list.

bats_require_minimum_version 1.5.0

load ../helpers

setup() {
  mkdir -p "$BATS_TEST_TMPDIR/outside"
}

teardown() {
  cleanup_containers
}

# the names `berth --help` lists under "Commands:"
registered_commands() {
  "$BERTH" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }'
}

has_command() {
  registered_commands | grep -qx "$1"
}

# everything in the test's tmpdir except the state root and its content
outside_root() {
  (cd "$BATS_TEST_TMPDIR" && find . -path ./root -prune -o -print | sort)
}

@test "--version: version, commit, spec and feature lines" {
  run --separate-stderr "$BERTH" --version
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [ "${#lines[@]}" -eq 4 ]
  [[ "${lines[0]}" =~ ^berth\ version\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
  [[ "${lines[1]}" =~ ^commit:\ ([0-9a-f]{40}|unknown)$ ]]
  [ "${lines[2]}" = "spec: 1.2.0" ]
  [[ "${lines[3]}" =~ ^\+SECCOMP\ \+CAP\ \+CGROUP\ \+YAJL\ \+MNL ]]
  # what Podman does with it: the version is the third word of line one
  [ "$(echo "${lines[0]}" | awk '{ print $3 }')" = 0.1.0 ]
  local full="$output"
  run "$BERTH" -v
  [ "$status" -eq 0 ]
  [ "$output" = "$full" ]
}

@test "--help lists the commands and every global option" {
  run --separate-stderr "$BERTH" --help
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [[ "$output" == *"Usage: berth"* ]]
  for c in spec features state list help; do
    grep -qE "^  $c " <<<"$output"
  done
  for o in --root --log --log-format --log-level --debug --systemd-cgroup --rootless --cgroup-manager --version --help; do
    grep -qE -- "$o( |$)" <<<"$output"
  done
  run "$BERTH" -h
  [ "$status" -eq 0 ]
  [[ "$output" == *"Usage: berth"* ]]
  run "$BERTH" help
  [ "$status" -eq 0 ]
  [[ "$output" == *"Commands:"* ]]
}

@test "every registered command has --help, and 'help CMD' shows it" {
  local n=0 c
  for c in $(registered_commands); do
    [ "$c" = help ] && continue
    run --separate-stderr "$BERTH" "$c" --help
    echo "$c --help: $status $output $stderr"
    [ "$status" -eq 0 ]
    [[ "$output" == "Usage: berth $c"* ]]
    [ -z "$stderr" ]
    local own="$output"
    run "$BERTH" help "$c"
    [ "$status" -eq 0 ]
    [ "$output" = "$own" ]
    run "$BERTH" "$c" -h
    [ "$output" = "$own" ]
    n=$((n + 1))
  done
  [ "$n" -ge 4 ]
}

@test "unknown commands and options: message and exit 1" {
  run --separate-stderr "$BERTH" frobnicate
  [ "$status" -eq 1 ]
  [[ "$stderr" == *'unknown command "frobnicate"'* ]]
  [ -z "$output" ]

  run --separate-stderr "$BERTH" --frobnicate list
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"unknown option --frobnicate"* ]]

  run --separate-stderr berth list --frobnicate
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"berth: list: unknown option --frobnicate"* ]]

  run --separate-stderr "$BERTH" help frobnicate
  [ "$status" -eq 1 ]
  [[ "$stderr" == *'unknown command "frobnicate"'* ]]

  run --separate-stderr "$BERTH" --root
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"option --root needs a value"* ]]

  run --separate-stderr berth list --format
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"option --format needs a value"* ]]

  run --separate-stderr berth state
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"berth: state: "* ]]

  run --separate-stderr berth state a b
  [ "$status" -eq 1 ]
}

@test "bad values of global options are refused" {
  local args
  for args in "--log-format xml" "--log-level loud" "--rootless maybe" "--cgroup-manager lxc" \
    "--debug=perhaps" "--systemd-cgroup --cgroup-manager cgroupfs"; do
    # shellcheck disable=SC2086
    run --separate-stderr "$BERTH" --root "$BERTH_ROOT" $args list
    echo "$args: $status $stderr"
    [ "$status" -eq 1 ]
    [[ "$stderr" == "berth: "* ]]
    [ -z "$output" ]
  done
}

@test "--root in every spelling" {
  # a file where the root should be: the error names the path we gave
  local f="$BATS_TEST_TMPDIR/not-a-dir"
  : >"$f"
  local spelling
  for spelling in "--root $f" "--root=$f" "-root $f" "-root=$f"; do
    # shellcheck disable=SC2086
    run --separate-stderr "$BERTH" $spelling list
    echo "$spelling: $status $stderr"
    [ "$status" -eq 1 ]
    [[ "$stderr" == *"$f"* ]]
  done
  # and a usable one, relative to the working directory
  mkdir -p "$BATS_TEST_TMPDIR/rel/root"
  cd "$BATS_TEST_TMPDIR/rel"
  run --separate-stderr "$BERTH" -root=root list -q
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "--log and --log-format in every spelling write one JSON error line" {
  # not "i": bats' run uses that name without declaring it local
  local nth=0 spelling log
  for spelling in "--log LOG --log-format json" "--log=LOG --log-format=json" \
    "-log LOG -log-format json" "-log=LOG -log-format=json"; do
    nth=$((nth + 1))
    log="$BATS_TEST_TMPDIR/log$nth.json"
    # shellcheck disable=SC2086
    run --separate-stderr "$BERTH" --root "$BERTH_ROOT" ${spelling//LOG/$log} state nope
    echo "$spelling: $status $stderr"
    [ "$status" -eq 1 ]
    [ "$(wc -l <"$log")" -eq 1 ]
    [ "$(jq -r .level "$log")" = error ]
    [ "$(jq -r .msg "$log")" = 'state nope: container "nope" does not exist' ]
    jq -e '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$")' "$log"
    [ "$(jq -c 'keys' "$log")" = '["level","msg","time"]' ]
  done
  # the log is appended to, one object per line
  run "$BERTH" --root "$BERTH_ROOT" --log "$log" --log-format json state other
  [ "$(wc -l <"$log")" -eq 2 ]
  [ "$(jq -rs '.[1].msg' "$log")" = 'state other: container "other" does not exist' ]
  # text format: the message is there too
  run "$BERTH" --root "$BERTH_ROOT" --log "$BATS_TEST_TMPDIR/t.log" state nope
  [ "$status" -eq 1 ]
  grep -q 'error: state nope: container "nope" does not exist' "$BATS_TEST_TMPDIR/t.log"
}

@test "boolean and enum global options accept the Go spellings" {
  local spelling
  for spelling in --debug --debug=true -debug --debug=false "--log-level debug" --log-level=error \
    "-log-level warn" -log-level=info --systemd-cgroup=false "--rootless true" --rootless=false \
    "-rootless auto" "--cgroup-manager cgroupfs" --cgroup-manager=disabled "-cgroup-manager systemd" \
    "--systemd-cgroup --cgroup-manager=systemd"; do
    # shellcheck disable=SC2086
    run --separate-stderr "$BERTH" --root "$BERTH_ROOT" $spelling list -q
    echo "$spelling: $status $stderr"
    [ "$status" -eq 0 ]
    [ -z "$output" ]
  done
}

@test "spec writes a runc-like config.json" {
  local b="$BATS_TEST_TMPDIR/bundle"
  mkdir -p "$b"
  run --separate-stderr "$BERTH" spec --bundle "$b"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ -z "$stderr" ]
  local c="$b/config.json"
  [ "$(jq -r .ociVersion "$c")" = 1.2.0 ]
  [ "$(jq -r .root.path "$c")" = rootfs ]
  [ "$(jq -r .root.readonly "$c")" = true ]
  [ "$(jq -r .process.noNewPrivileges "$c")" = true ]
  [ "$(jq -c '.process.capabilities.bounding | sort' "$c")" = '["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]' ]
  [ "$(jq -c '.process.capabilities.effective | sort' "$c")" = '["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]' ]
  [ "$(jq -c '.process.rlimits' "$c")" = '[{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}]' ]
  [ "$(jq -c '[.linux.namespaces[].type] | sort' "$c")" = '["cgroup","ipc","mount","network","pid","uts"]' ]
  [ "$(jq -c '[.mounts[].destination]' "$c")" = '["/proc","/dev","/dev/pts","/dev/shm","/dev/mqueue","/sys","/sys/fs/cgroup"]' ]
  jq -e '.linux.maskedPaths | index("/proc/kcore")' "$c"
  jq -e '.linux.readonlyPaths | index("/proc/sys")' "$c"
  # the other spellings, and the current directory by default
  for spelling in "-b" "--bundle=" "-bundle" "-b="; do
    rm "$c"
    if [[ "$spelling" == *= ]]; then
      "$BERTH" spec "$spelling$b"
    else
      "$BERTH" spec "$spelling" "$b"
    fi
    jq -e . "$c" >/dev/null
  done
  rm "$c"
  (cd "$b" && "$BERTH" spec)
  jq -e . "$c" >/dev/null
}

@test "spec refuses to overwrite config.json and needs an existing directory" {
  local b="$BATS_TEST_TMPDIR/bundle"
  mkdir -p "$b"
  echo '{"mine": true}' >"$b/config.json"
  run --separate-stderr "$BERTH" spec -b "$b"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"File $b/config.json exists. Remove it first"* ]]
  [ "$(cat "$b/config.json")" = '{"mine": true}' ]

  run --separate-stderr "$BERTH" spec -b "$BATS_TEST_TMPDIR/missing"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"$BATS_TEST_TMPDIR/missing/config.json"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/missing" ]

  run --separate-stderr "$BERTH" spec extra-argument
  [ "$status" -eq 1 ]
}

@test "spec --rootless maps the caller and has no network namespace" {
  local b="$BATS_TEST_TMPDIR/bundle"
  mkdir -p "$b"
  "$BERTH" spec --rootless -b "$b"
  local c="$b/config.json"
  [ "$(jq -c '[.linux.namespaces[].type] | sort' "$c")" = '["cgroup","ipc","mount","pid","user","uts"]' ]
  [ "$(jq -r '.linux.uidMappings[0].hostID' "$c")" = "$(id -u)" ]
  [ "$(jq -r '.linux.gidMappings[0].hostID' "$c")" = "$(id -g)" ]
  [ "$(jq -r '.linux.uidMappings[0].containerID' "$c")" = 0 ]
  [ "$(jq -r '.linux.resources // "none"' "$c")" = none ]
  # and --rootless=false is the ordinary config
  rm "$c"
  "$BERTH" spec --rootless=false -b "$b"
  jq -e '[.linux.namespaces[].type] | index("network")' "$c"
}

@test "features: the runtime-spec document with a linux object" {
  run --separate-stderr "$BERTH" features
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  local f="$BATS_TEST_TMPDIR/features.json"
  printf '%s\n' "$output" >"$f"
  [ "$(jq -r .ociVersionMin "$f")" = 1.0.0 ]
  [ "$(jq -r .ociVersionMax "$f")" = 1.2.0 ]
  [ "$(jq -r '.linux | type' "$f")" = object ]
  [ "$(jq -c '.hooks' "$f")" = '["prestart","createRuntime","createContainer","startContainer","poststart","poststop"]' ]
  [ "$(jq -c '.linux.namespaces | sort' "$f")" = '["cgroup","ipc","mount","network","pid","time","user","uts"]' ]
  jq -e '.linux.capabilities | index("CAP_SYS_ADMIN") and index("CAP_CHOWN")' "$f"
  jq -e '.linux.capabilities | all(test("^CAP_[A-Z_]+$"))' "$f"
  # as many capabilities as the kernel has
  local last_cap
  last_cap=$(cat /proc/sys/kernel/cap_last_cap)
  [ "$(jq '.linux.capabilities | length' "$f")" -eq $((last_cap + 1)) ]
  jq -e '.mountOptions | index("rbind") and index("ro") and index("rprivate")' "$f"
  # id-mapped bind mounts are supported (userns.bats)
  [ "$(jq -r '.linux.mountExtensions.idmap.enabled' "$f")" = true ]
  jq -e '.mountOptions | index("idmap") and index("ridmap")' "$f"
  # systemd: whether berth was built with libsystemd (the systemd cgroup driver)
  [ "$(jq -c '.linux.cgroup | del(.systemd)' "$f")" = '{"v1":true,"v2":true,"systemdUser":false,"rdma":false}' ]
  local sd=false
  "$BERTH" --version | grep -q -- '+SYSTEMD' && sd=true
  [ "$(jq -r '.linux.cgroup.systemd' "$f")" = "$sd" ]
  jq -e '.linux.seccomp.actions | index("SCMP_ACT_ERRNO") and index("SCMP_ACT_ALLOW")' "$f"
  jq -e '.linux.seccomp.operators | index("SCMP_CMP_MASKED_EQ")' "$f"
  jq -e '.linux.seccomp.archs | index("SCMP_ARCH_X86_64")' "$f"
  [ "$(jq -r '.linux.seccomp.enabled | type' "$f")" = boolean ]
}

@test "state of a missing container: exit 1, message, one JSON log line" {
  local log="$BATS_TEST_TMPDIR/log.json"
  run --separate-stderr "$BERTH" --root "$BERTH_ROOT" --log "$log" --log-format json state nope
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [ "$stderr" = 'berth: state nope: container "nope" does not exist' ]
  [ "$(wc -l <"$log")" -eq 1 ]
  jq -e '.level == "error" and (.msg | contains("does not exist"))' "$log"
  # the root is not created by a reader
  [ ! -e "$BERTH_ROOT" ]
}

@test "list on an empty or missing root" {
  run --separate-stderr berth list
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER$ ]]
  run berth list -q
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run berth list --format json
  [ "$status" -eq 0 ]
  [ "$output" = "[]" ]
  run berth list -f=json
  [ "$output" = "[]" ]
  run berth -root="$BERTH_ROOT" list -format=json
  [ "$output" = "[]" ]
  [ ! -e "$BERTH_ROOT" ]
  mkdir -p "$BERTH_ROOT"
  run berth list --quiet
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run --separate-stderr berth list --format yaml
  [ "$status" -eq 1 ]
  [[ "$stderr" == *'invalid --format "yaml"'* ]]
}

@test "list and state show a real container" {
  has_command create || skip "create is not registered yet"
  local b="$BATS_TEST_TMPDIR/b" id
  id=$(unique_id cli)
  make_bundle "$b" '.process.args = ["sleep", "1000"]'
  local kmark
  kmark="$(kernel_log_mark)"
  berth create --bundle "$b" "$id"

  run --separate-stderr berth state "$id"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  local s="$BATS_TEST_TMPDIR/state.json"
  printf '%s\n' "$output" >"$s"
  [ "$(jq -r .id "$s")" = "$id" ]
  [ "$(jq -r .status "$s")" = created ]
  [ "$(jq -r .bundle "$s")" = "$b" ]
  [ "$(jq -r .ociVersion "$s")" = 1.2.0 ]
  jq -e '.pid > 0' "$s"
  jq -e 'has("berth") | not' "$s"

  run berth list -q
  [ "$output" = "$id" ]
  run berth list
  [ "${#lines[@]}" -eq 2 ]
  [[ "${lines[1]}" =~ ^$id\ +[0-9]+\ +created\ +$b\ +[0-9T:.-]+Z\ +root$ ]]
  run berth list --format json
  [ "$(jq -r 'length' <<<"$output")" -eq 1 ]
  [ "$(jq -r '.[0].id' <<<"$output")" = "$id" ]
  [ "$(jq -r '.[0].status' <<<"$output")" = created ]
  [ "$(jq -r '.[0].owner' <<<"$output")" = root ]
  [ "$(jq -r '.[0].pid' <<<"$output")" = "$(jq -r .pid "$s")" ]

  # a stray file in the root is not a container
  : >"$BERTH_ROOT/not-a-container"
  run berth list -q
  [ "$output" = "$id" ]
  rm "$BERTH_ROOT/not-a-container"

  # the process dies: stopped, pid 0
  kill -9 "$(jq -r .pid "$s")"
  local try
  for try in $(seq 50); do
    [ "$(berth state "$id" | jq -r .status)" = stopped ] && break
    sleep 0.1
  done
  [ "$(berth state "$id" | jq -r .status)" = stopped ]
  [ "$(berth state "$id" | jq -r .pid)" = 0 ]
  # the waiting init was killed, it did not crash
  assert_no_berth_crash "$kmark"
}

@test "default root: /run/berth for root, also with an empty XDG_RUNTIME_DIR and no PATH" {
  [ "$(id -u)" -eq 0 ] || skip "needs root"
  run --separate-stderr env -i XDG_RUNTIME_DIR= "$BERTH" list -q
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  local via_env="$output"
  run "$BERTH" --root /run/berth list -q
  [ "$output" = "$via_env" ]
  run --separate-stderr env -i XDG_RUNTIME_DIR=/nonexistent/xdg "$BERTH" list -q
  [ "$status" -eq 0 ]
  [ "$output" = "$via_env" ]
  [ ! -e /nonexistent/xdg ]
  # Podman's state/kill/delete after a failed start
  run --separate-stderr env -i XDG_RUNTIME_DIR= "$BERTH" state "no-such-$(unique_id cli)"
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"does not exist"* ]]
}

@test "bad container ids are refused and nothing is created outside the root" {
  mkdir -p "$BERTH_ROOT"
  local before after id cmd
  local cmds=(state)
  for cmd in create delete kill start; do
    has_command "$cmd" && cmds+=("$cmd")
  done
  make_bundle "$BATS_TEST_TMPDIR/outside/b" '.process.args = ["true"]'
  before=$(outside_root | grep -v separate-stderr)
  for id in ../outside/x ../x a/b /berth-no-such-dir/x "" . .. "$(printf 'a\nb')"; do
    for cmd in "${cmds[@]}"; do
      case "$cmd" in
        create) run --separate-stderr berth create --bundle "$BATS_TEST_TMPDIR/outside/b" "$id" ;;
        kill) run --separate-stderr berth kill "$id" KILL ;;
        *) run --separate-stderr berth "$cmd" "$id" ;;
      esac
      echo "$cmd '$id': $status $stderr"
      [ "$status" -eq 1 ]
      [[ "$stderr" == *"invalid container id"* ]]
    done
  done
  after=$(outside_root | grep -v separate-stderr)
  [ "$before" = "$after" ]
  [ -z "$(ls -A "$BERTH_ROOT")" ]
  [ ! -e /berth-no-such-dir ]
}
