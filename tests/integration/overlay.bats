#!/usr/bin/env bats
# Overlay root filesystems from layer directories (run.berth.storage.*
# annotations, berth-config(5)): where writes land, what delete removes,
# persistent and read-only uppers, many layers, mounts on top, user
# namespaces, and bad input that must fail create leaving nothing behind.

load ../helpers

setup() {
  ID="$(unique_id ovl)"
  T="$BATS_TEST_TMPDIR"
  B="$T/b"
  BASE="$T/layers/base"
  mkdir -p "$T/layers" "$B"
  make_busybox_rootfs "$BASE"
  mkdir -p "$T/layers/app/etc"
  echo app >"$T/layers/app/etc/app"
  echo app >"$T/layers/app/etc/who"
  echo base >"$BASE/etc/who"
}

teardown() {
  cleanup_containers
}

# wait_stopped ID: until the container's process has exited
wait_stopped() {
  local _
  for _ in $(seq 100); do
    [ "$(berth state "$1" | jq -r .status)" = stopped ] && return 0
    sleep 0.1
  done
  return 1
}

# layer_bundle [berth spec options...]: $B/config.json from `berth spec`
# with the options given (no rootfs directory in the bundle at all)
layer_bundle() {
  rm -f "$B/config.json"
  "$BERTH" spec --bundle "$B" "$@"
  bundle_edit "$B" '.process.terminal = false | .root.readonly = false'
}

# a checksum of a tree: names, modes, contents
tree_sum() {
  (cd "$1" && find . -printf '%p %m %s\n' | sort && find . -type f -exec cat {} + ) | md5sum
}

@test "spec: --layer, --upper and --annotation write the annotations" {
  cd "$T"
  run "$BERTH" spec --bundle "$B" --layer "$BASE" --layer layers/app --upper none --annotation x.y=1 --annotation x.y=2
  [ "$status" -eq 0 ]
  jq -e --arg l "$BASE:$T/layers/app" '.annotations["run.berth.storage.layers"] == $l' "$B/config.json"
  jq -e '.annotations["run.berth.storage.upper"] == "none"' "$B/config.json"
  jq -e '.annotations["x.y"] == "2"' "$B/config.json"
  jq -e '.root.path == "rootfs"' "$B/config.json"
  rm "$B/config.json"
  run "$BERTH" spec --bundle "$B" --layer /a:b
  [ "$status" -ne 0 ]
  [[ "$output" == *'run.berth.storage.layers'*'"b" is not an absolute path'* ]]
  run "$BERTH" spec --bundle "$B" --upper none
  [ "$status" -ne 0 ]
  [[ "$output" == *"--upper needs at least one --layer"* ]]
  run "$BERTH" spec --bundle "$B" --annotation novalue
  [ "$status" -ne 0 ]
  [[ "$output" == *"must be KEY=VALUE"* ]]
  [ ! -e "$B/config.json" ]
}

@test "ephemeral upper: writes land in it, layers untouched, delete removes it" {
  layer_bundle --layer "$BASE" --layer "$T/layers/app"
  bundle_edit "$B" '.process.args = ["sh", "-c", "cat /etc/app /etc/who; echo new > /new; echo changed > /etc/who; rm /etc/app; sleep 1000"]'
  local before_base before_app
  before_base="$(tree_sum "$BASE")"
  before_app="$(tree_sum "$T/layers/app")"
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local up="$BERTH_ROOT/$ID/upper"
  for _ in $(seq 50); do [ -e "$up/etc/app" ] && break; sleep 0.1; done
  [ "$(cat "$up/new")" = new ]
  [ "$(cat "$up/etc/who")" = changed ]
  [ -c "$up/etc/app" ] # a whiteout
  [ "$(berth state "$ID" | jq -r .rootfs)" = "$(realpath "$BERTH_ROOT")/$ID/rootfs" ]
  [ "$before_base" = "$(tree_sum "$BASE")" ]
  [ "$before_app" = "$(tree_sum "$T/layers/app")" ]
  [ "$(cat "$T/layers/app/etc/who")" = app ]
  berth delete --force "$ID"
  [ ! -e "$BERTH_ROOT/$ID" ]
  assert_no_leftovers "$ID"
}

@test "the overlay is only in the container's mount namespace" {
  layer_bundle --layer "$BASE" --layer "$T/layers/app"
  bundle_edit "$B" '.process.args = ["sleep", "1000"]'
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local pid
  pid="$(berth state "$ID" | jq -r .pid)"
  # in the container: / is the overlay
  awk '$5 == "/" { for (i = 7; i <= NF; i++) if ($i == "-") { print $(i+1); exit } }' "/proc/$pid/mountinfo" >"$T/roottype"
  [ "$(cat "$T/roottype")" = overlay ]
  # on the host: no overlay at all under this test's tmpdir, nor any mount on the mount point
  run grep -F "$T" /proc/self/mountinfo
  [ "$status" -ne 0 ]
  run grep -F "$ID" /proc/self/mountinfo
  [ "$status" -ne 0 ]
  berth delete --force "$ID"
  assert_no_leftovers "$ID"
}

@test "persistent upper: kept by delete, seen by the next container" {
  local keep="$T/keep"
  layer_bundle --layer "$BASE" --layer "$T/layers/app" --upper "$keep"
  bundle_edit "$B" '.process.args = ["sh", "-c", "echo persisted > /data.txt"]'
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  wait_stopped "$ID"
  [ "$(cat "$keep/upper/data.txt")" = persisted ]
  [ -d "$keep/work" ]
  berth delete "$ID"
  [ ! -e "$BERTH_ROOT/$ID" ]
  [ "$(cat "$keep/upper/data.txt")" = persisted ]
  [ ! -e "$BASE/data.txt" ] && [ ! -e "$T/layers/app/data.txt" ]
  # `run` in the foreground deletes the container when it exits: the upper stays too
  bundle_edit "$B" '.process.args = ["sh", "-c", "cat /data.txt; echo second >> /data.txt"]'
  run berth run --bundle "$B" "$ID-2"
  [ "$status" -eq 0 ]
  [ "$output" = persisted ]
  [ "$(cat "$keep/upper/data.txt")" = "$(printf 'persisted\nsecond')" ]
  assert_no_leftovers "$ID"
  assert_no_leftovers "$ID-2"
}

@test "upper none: a read-only root from the layers" {
  layer_bundle --layer "$BASE" --layer "$T/layers/app" --upper none
  bundle_edit "$B" '.process.args = ["sh", "-c", "cat /etc/who; touch /x 2>&1; echo rc=$?"]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [[ "$output" == *"app"* ]]
  [[ "$output" == *"Read-only file system"* ]]
  [[ "$output" == *"rc=1"* ]]
  assert_no_leftovers "$ID"
}

@test "one layer and no upper; root.readonly with an upper" {
  layer_bundle --layer "$BASE" --upper none
  bundle_edit "$B" '.process.args = ["sh", "-c", "cat /etc/who; touch /x 2>&1; echo rc=$?"]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [[ "$output" == *"base"*"Read-only file system"*"rc=1"* ]]
  assert_no_leftovers "$ID"
  layer_bundle --layer "$BASE"
  bundle_edit "$B" '.root.readonly = true | .process.args = ["sh", "-c", "touch /x 2>&1; echo rc=$?; echo ok > /tmp/x 2>&1; echo tmp=$?"]
    | .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs"}]'
  run berth run --bundle "$B" "$ID-ro"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Read-only file system"*"rc=1"*"tmp=0"* ]]
  assert_no_leftovers "$ID-ro"
}

@test "40 layers: all visible, the top one wins" {
  local args=(--layer "$BASE") i
  for i in $(seq 1 40); do
    mkdir -p "$T/layers/l$i/layers"
    echo "$i" >"$T/layers/l$i/layers/f$i"
    if ((i % 10 == 0)); then echo "$i" >"$T/layers/l$i/etc-who"; fi
    echo "$i" >"$T/layers/l$i/top"
    args+=(--layer "$T/layers/l$i")
  done
  layer_bundle "${args[@]}"
  jq -e '.annotations["run.berth.storage.layers"] | split(":") | length == 41' "$B/config.json"
  bundle_edit "$B" '.process.args = ["sh", "-c", "ls /layers | wc -l; cat /top /etc-who; cat /layers/f1 /layers/f40"]'
  run berth run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 40 ]
  [ "${lines[1]}" = 40 ]
  [ "${lines[2]}" = 40 ]
  [ "${lines[3]}" = 1 ]
  [ "${lines[4]}" = 40 ]
  assert_no_leftovers "$ID"
}

@test "mounts on top of the overlay root" {
  mkdir -p "$T/hostdir"
  echo from-host >"$T/hostdir/f"
  layer_bundle --layer "$BASE" --layer "$T/layers/app"
  bundle_edit "$B" '.mounts += [{destination: "/data", type: "bind", source: $h, options: ["rbind", "rw"]},
                                {destination: "/scratch", type: "tmpfs", source: "tmpfs"}]
    | .process.args = ["sh", "-c", "cat /data/f > /out; echo back > /data/g; echo s > /scratch/s; cat /scratch/s >> /out; sleep 1000"]' \
    --arg h "$T/hostdir"
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local up="$BERTH_ROOT/$ID/upper"
  for _ in $(seq 50); do [ -s "$up/out" ] && grep -q s "$up/out" && break; sleep 0.1; done
  [ "$(cat "$up/out")" = "$(printf 'from-host\ns')" ]
  [ "$(cat "$T/hostdir/g")" = back ]
  # the mount targets were made in the upper, not in a layer
  [ -d "$up/data" ] && [ -d "$up/scratch" ]
  [ ! -e "$up/scratch/s" ]
  [ ! -e "$BASE/data" ] && [ ! -e "$T/layers/app/data" ]
  berth delete --force "$ID"
  assert_no_leftovers "$ID"
}

@test "a failed create removes the ephemeral upper" {
  layer_bundle --layer "$BASE"
  bundle_edit "$B" '.process.args = ["/no/such/program"]'
  detached create --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"/no/such/program"* ]]
  [ ! -e "$BERTH_ROOT/$ID" ]
  assert_no_leftovers "$ID"
}

@test "bad layers fail create, name the key and leave nothing behind" {
  local bad
  for bad in "$T/missing" "layers/base" "$BASE:relative" "$BASE:$BASE" "$BASE:$T/layers/app/etc/app" ""; do
    layer_bundle --layer "$BASE"
    bundle_edit "$B" '.annotations["run.berth.storage.layers"] = $l' --arg l "$bad"
    detached create --bundle "$B" "$ID"
    echo "layers \"$bad\": $output"
    [ "$status" -ne 0 ]
    [[ "$output" == *'config.json: .annotations["run.berth.storage.layers"]: '* ]]
    [ ! -e "$BERTH_ROOT/$ID" ]
    assert_no_leftovers "$ID"
  done
  layer_bundle --layer "$BASE"
  bundle_edit "$B" '.annotations["run.berth.storage.layers"] = $l' --arg l "$T/missing"
  detached create --bundle "$B" "$ID"
  [[ "$output" == *"$T/missing: no such directory"* ]]
  bundle_edit "$B" '.annotations["run.berth.storage.layers"] = $l' --arg l "$BASE:relative"
  detached create --bundle "$B" "$ID"
  [[ "$output" == *'layer "relative" is not an absolute path'* ]]
  bundle_edit "$B" '.annotations["run.berth.storage.layers"] = $l' --arg l "$T/layers/app/etc/app"
  detached create --bundle "$B" "$ID"
  [[ "$output" == *"not a directory"* ]]
  # a bad upper, and an upper on overlayfs
  bundle_edit "$B" '.annotations["run.berth.storage.layers"] = $l | .annotations["run.berth.storage.upper"] = "relative/dir"' --arg l "$BASE"
  detached create --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *'config.json: .annotations["run.berth.storage.upper"]: "relative/dir": must be'* ]]
  [ ! -e "$BERTH_ROOT/$ID" ]
  # no mount namespace: the overlay would land on the host
  bundle_edit "$B" 'del(.annotations["run.berth.storage.upper"]) | .linux.namespaces |= map(select(.type != "mount"))'
  detached create --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"needs a new mount namespace"* ]]
  assert_no_leftovers "$ID"
}

@test "an upper on an overlay filesystem is refused" {
  layer_bundle --layer "$BASE" --upper none
  bundle_edit "$B" '.process.args = ["sleep", "1000"]'
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local pid
  pid="$(berth state "$ID" | jq -r .pid)"
  # the running container's root is an overlay: use it as the "host" path of an upper
  layer_bundle --layer "$T/layers/app" --upper "/proc/$pid/root/tmp/upper"
  detached create --bundle "$B" "$ID-2"
  [ "$status" -ne 0 ]
  [[ "$output" == *'.annotations["run.berth.storage.upper"]: '*"overlay filesystem"* ]]
  [ ! -e "$BERTH_ROOT/$ID-2" ]
  berth delete --force "$ID"
  assert_no_leftovers "$ID"
}

USERNS='.linux.namespaces += [{type: "user"}]
  | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
  | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'

@test "user namespace: the overlay is mounted inside it, the upper belongs to the container's root" {
  layer_bundle --layer "$BASE" --layer "$T/layers/app"
  bundle_edit "$B" "$USERNS"' | .process.args = ["sh", "-c", "(id -u; cat /etc/who; stat -c %u /) > /out; echo u > /u"]'
  # first with a state root the mapped root cannot reach: a clear error
  detached create --bundle "$B" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"cannot reach"*"chmod o+x"* ]]
  [ ! -e "$BERTH_ROOT/$ID" ]
  local d
  d="$T"
  while [[ "$d" != / ]]; do chmod o+x "$d"; d="$(dirname "$d")"; done
  chmod o+x "$BERTH_ROOT" "$T/layers"
  bundle_edit "$B" '.process.args[2] += "; sleep 1000"'
  detached run -d --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  local up="$BERTH_ROOT/$ID/upper"
  for _ in $(seq 50); do [ -e "$up/u" ] && break; sleep 0.1; done
  [ "$(cat "$up/out")" = "$(printf '0\napp\n0')" ]
  [ "$(stat -c %u "$up/u")" = 100000 ]
  [ "$(stat -c %u "$up")" = 100000 ]
  local pid
  pid="$(berth state "$ID" | jq -r .pid)"
  [ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]
  berth delete --force "$ID"
  assert_no_leftovers "$ID"
}
