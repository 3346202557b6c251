#!/usr/bin/env bats
# Issue 14: a rootless caller with a delegated cgroup v2 subtree (what
# systemd's Delegate=yes gives a user, made here by hand): the container's
# cgroup goes inside it and every limit works. Pure cgroup v2 only: it runs
# in tests/vm/run and skips on hybrid hosts. The rest of rootless mode is
# rootless.bats.

load ../helpers
load ../lib/rootless

pure_v2() {
  [[ "$(stat -f -c %T /sys/fs/cgroup)" == cgroup2fs ]]
}

setup_file() {
  if pure_v2; then rl_setup_file; fi
}

setup() {
  pure_v2 || skip "needs a pure cgroup v2 host (tests/vm/run)"
  rl_setup
}

teardown() {
  if pure_v2; then rl_teardown; fi
}

# deleg_berth ARGS...: berth as the user from $DELEG/runner (root moves the
# shell there first): a cgroup v2 migration needs write access to the
# common ancestor's cgroup.procs, the delegated subtree's for the user
deleg_berth() {
  _runtime sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$DELEG/runner" \
    runuser -u "$RL_USER" -- env -i PATH=/usr/bin:/bin HOME="$RL_HOME" XDG_RUNTIME_DIR="$XDG" "$RL_BIN" "$@"
}

@test "rootless with a delegated cgroup v2 subtree: the container's cgroup inside it, limits, ps, pause, update, exec, nothing left" {
  local name="${BERTH_TEST_CGROUP_PREFIX#/}-rl-$$"
  DELEG="/sys/fs/cgroup/$name"
  grep -qw memory /sys/fs/cgroup/cgroup.controllers || skip "no memory controller"
  echo "+memory +pids" >/sys/fs/cgroup/cgroup.subtree_control
  # what systemd's Delegate=yes does: the directory and its delegation
  # files belong to the user
  mkdir "$DELEG" "$DELEG/runner"
  chown "$RL_USER:" "$DELEG" "$DELEG/cgroup.procs" "$DELEG/cgroup.subtree_control" "$DELEG/cgroup.threads"
  chown -R "$RL_USER:" "$DELEG/runner"
  rl_bundle '.process.args = ["sleep", "1000"] | .linux.cgroupsPath = $p
    | .linux.resources = {memory: {limit: 67108864}, pids: {limit: 20}}' --arg p "/$name/$ID"
  deleg_berth run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1
  [ "$(cat "$DELEG/$ID/memory.max")" = 67108864 ]
  [ "$(cat "$DELEG/$ID/pids.max")" = 20 ]
  local init
  init="$(deleg_berth state "$ID" | jq -r .pid)"
  grep -qx "$init" "$DELEG/$ID/cgroup.procs"
  run deleg_berth ps "$ID"
  [ "$status" -eq 0 ]
  [[ "$output" == *"$init"* ]]
  deleg_berth pause "$ID"
  [ "$(deleg_berth state "$ID" | jq -r .status)" = paused ]
  deleg_berth resume "$ID"
  deleg_berth update --memory 134217728 "$ID"
  [ "$(cat "$DELEG/$ID/memory.max")" = 134217728 ]
  run deleg_berth exec "$ID" sh -c 'cat /proc/self/cgroup'
  echo "$output"
  [ "$status" -eq 0 ]
  deleg_berth delete --force "$ID"
  [ ! -d "$DELEG/$ID" ]
  assert_rl_clean
}
