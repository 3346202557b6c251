#!/usr/bin/env bats
# --debug and --log-level debug: what berth does and decides, one line per
# step, in the log's own format (text on stderr, json or text in --log).

load ../helpers

setup() {
  ID="$(unique_id dbg)"
  B="$BATS_TEST_TMPDIR/b"
  LOGF="$BATS_TEST_TMPDIR/berth.log"
  mkdir -p "$BATS_TEST_TMPDIR/vol"
  make_bundle "$B" '.process.args = ["true"]
    | .mounts += [{destination: "/vol", source: $vol, type: "bind", options: ["rbind", "ro"]}]
    | .linux.devices = [{path: "/dev/fuse", type: "c", major: 10, minor: 229, fileMode: 438}]
    | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["uname"], action: "SCMP_ACT_ERRNO"}]}
    | .hooks = {prestart: [{path: "/bin/true"}], createRuntime: [{path: "/bin/false"}]}' \
    --arg vol "$BATS_TEST_TMPDIR/vol"
}

teardown() {
  cleanup_containers
}

# msgs: the "msg" of every debug line in the json log
msgs() {
  jq -r 'select(.level == "debug") | .msg' "$LOGF"
}

@test "--debug with --log-format json: config, namespaces, cgroup, mounts, devices, seccomp, hooks, phases" {
  # the createRuntime hook fails: its status is logged too
  run berth --debug --log "$LOGF" --log-format json run --bundle "$B" "$ID"
  [ "$status" -eq 1 ]
  # every line is one JSON object in the usual format
  jq -e 'select((.level | type) != "string" or (.msg | type) != "string" or (.time | test("^[0-9-]+T[0-9:.]+Z$") | not))' "$LOGF" >/dev/null && false
  [ "$(jq -s 'length' "$LOGF")" -eq "$(wc -l <"$LOGF")" ]
  run msgs
  echo "$output"
  grep -qx "config $(realpath "$B")/config.json (bundle $(realpath "$B"))" <<<"$output"
  grep -qx 'namespace pid: new' <<<"$output"
  grep -qx 'namespace user: berth.s own (no entry)' <<<"$output"
  grep -qx "cgroup driver cgroupfs, path /berth/$ID" <<<"$output"
  grep -q "^cgroup dir /sys/fs/cgroup/.*/berth/$ID (v[12])\$" <<<"$output"
  grep -qx 'mount proc -> /proc, type proc, flags 0x0, options ""' <<<"$output"
  grep -qx "mount $BATS_TEST_TMPDIR/vol -> /vol, type bind, flags 0x[0-9a-f]*, options \"rbind,ro\"" <<<"$output"
  grep -qx 'device /dev/null c 1:3 mode 0666 uid 0 gid 0: mknod' <<<"$output"
  grep -qx 'device /dev/fuse c 10:229 mode 0666 uid 0 gid 0: .*' <<<"$output"
  grep -q '^seccomp: 1 rules' <<<"$output"
  grep -qx 'prestart hook 0 /bin/true: exited with status 0' <<<"$output"
  grep -qx 'createRuntime hook 0 /bin/false: createRuntime hook /bin/false exited with status 1' <<<"$output"
  grep -q '^phase=parse t_us=[0-9]*$' <<<"$output"
  grep -q '^phase=clone t_us=[0-9]*$' <<<"$output"
  # the error itself is there too, at error level
  [ "$(jq -r 'select(.level == "error") | .msg' "$LOGF" | grep -c createRuntime)" -eq 1 ]
  assert_no_leftovers "$ID"
}

@test "--log-level debug in text: the same lines on stderr; exec logs the namespaces it joins" {
  bundle_edit "$B" 'del(.hooks) | .process.args = ["sleep", "1000"]'
  # stdio on a file: the container inherits it
  berth --log-level debug run -d --bundle "$B" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1
  output="$(cat "$BATS_TEST_TMPDIR/out")"
  [[ "$output" == *"berth: debug: config "* ]]
  [[ "$output" == *"berth: debug: cgroup driver cgroupfs, path /berth/$ID"* ]]
  [[ "$output" == *"berth: debug: phase=created"* ]]
  run berth --debug --log "$LOGF" exec "$ID" true
  [ "$status" -eq 0 ]
  grep -q ' debug: namespace mnt: join the container.s (/proc/[0-9]*/ns/mnt)$' "$LOGF"
  grep -q ' debug: namespace pid: join the container.s' "$LOGF"
}

@test "without --debug: no debug line, not on stderr, not in the log" {
  bundle_edit "$B" 'del(.hooks)'
  run berth --log "$LOGF" --log-format json run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ ! -s "$LOGF" ]
}
