#!/usr/bin/env bats
# Soak (issue 13): many containers in a row and at once leave nothing
# behind, and a long-lived berth does not gain fds. Bounded for tests/run
# (about a minute here); more with BERTH_SOAK_RUNS / BERTH_SOAK_PARALLEL /
# BERTH_SOAK_EXECS.

load ../helpers

RUNS="${BERTH_SOAK_RUNS:-300}"
PARALLEL="${BERTH_SOAK_PARALLEL:-50}"
EXECS="${BERTH_SOAK_EXECS:-100}"

setup() {
  PREFIX="$(unique_id soak)"
  B="$BATS_TEST_TMPDIR/b"
  make_bundle "$B" '.process.args = ["true"]'
}

teardown() {
  [[ -n "${FG_PID:-}" ]] && kill -9 "$FG_PID" 2>/dev/null
  cleanup_containers
}

# no_traces: nothing of a container named $PREFIX-* anywhere: state dirs,
# cgroup dirs in any hierarchy, mounts under this test's tmpdir, and
# no process of this test's bundle still running
no_traces() {
  local left=() d
  for d in "$BERTH_ROOT"/*; do [[ -e "$d" ]] && left+=("state $d"); done
  while read -r d; do
    for c in "$d"/berth/"$PREFIX"-*; do [[ -e "$c" ]] && left+=("cgroup $c"); done
  done < <(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup" || $(i+1) == "cgroup2") print $5; break } }' \
    /proc/self/mountinfo | sort -u)
  while read -r d; do left+=("mount $d"); done < <(awk -v t="$BATS_TEST_TMPDIR" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo)
  if ((${#left[@]})); then
    printf 'left behind: %s\n' "${left[@]}" >&2
    return 1
  fi
}

fd_count() {
  find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l
}

@test "soak: $RUNS sequential runs of true leave nothing" {
  local i
  for ((i = 0; i < RUNS; i++)); do
    berth run --bundle "$B" "$PREFIX-$i" </dev/null >/dev/null || { echo "run $i failed" >&2; return 1; }
  done
  no_traces
}

@test "soak: $PARALLEL parallel run -d, then delete, leave nothing" {
  bundle_edit "$B" '.process.args = ["sleep", "1000"]'
  local i pids=() rc=0
  for ((i = 0; i < PARALLEL; i++)); do
    berth run -d --bundle "$B" "$PREFIX-$i" </dev/null >/dev/null 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  [ "$rc" -eq 0 ]
  [ "$(berth list -q | grep -c "^$PREFIX-")" -eq "$PARALLEL" ]
  pids=()
  for ((i = 0; i < PARALLEL; i++)); do
    berth delete --force "$PREFIX-$i" </dev/null >/dev/null 2>&1 &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  [ "$rc" -eq 0 ]
  no_traces
}

@test "soak: a foreground run keeps its fd count over $EXECS execs" {
  bundle_edit "$B" '.process.args = ["sleep", "1000"]'
  local id="$PREFIX-fg" i before after
  "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$id" </dev/null >/dev/null 2>&1 3>&- &
  FG_PID=$!
  for ((i = 0; i < 100; i++)); do
    [[ "$(berth state "$id" 2>/dev/null | jq -r .status)" == running ]] && break
    sleep 0.1
  done
  berth exec "$id" true
  before="$(fd_count "$FG_PID")"
  for ((i = 0; i < EXECS; i++)); do
    berth exec "$id" true || { echo "exec $i failed" >&2; return 1; }
  done
  berth exec -d "$id" true
  after="$(fd_count "$FG_PID")"
  echo "fds of the foreground berth: $before before, $after after"
  [ "$after" -eq "$before" ]
  # the init got no fd from the execs either
  local init
  init="$(berth state "$id" | jq -r .pid)"
  [ "$(fd_count "$init")" -le 3 ]
  # sleep as pid 1 ignores SIGTERM
  berth kill "$id" KILL
  wait "$FG_PID" || true
  FG_PID=
  no_traces
}
