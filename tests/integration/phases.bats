#!/usr/bin/env bats
# Performance instrumentation and the hot path (issue 12). Phase timings
# (berth.8, PHASE TIMINGS): at --log-level debug one
# "phase=NAME t_us=N" line per phase, nothing below it.
load ../helpers

setup() {
  ID="$(unique_id phases)"
  B="$BATS_TEST_TMPDIR/b"
  LOG="$BATS_TEST_TMPDIR/berth.log"
  make_bundle "$B" '.process.args = ["true"]'
}

teardown() {
  cleanup_containers
}

# phases FILE: the phase names in FILE, in the order of their t_us
phases() {
  sed -n 's/.*phase=\([a-z-]*\) t_us=\([0-9]*\).*/\2 \1/p' "$1" | sort -n -s -k1,1 | cut -d' ' -f2 | tr '\n' ' '
}

@test "run --debug: every phase once, in order, times from berth's start; the container's only in --log" {
  berth --debug --log "$LOG" run --bundle "$B" "$ID" 2>"$BATS_TEST_TMPDIR/stderr"
  [ "$(phases "$LOG")" = "sealed-copy sealed-start parse cgroup clone mounts pivot created start seccomp exec delete exit " ]
  # stderr gets berth's own lines; the init's stderr is the container's
  [ "$(phases "$BATS_TEST_TMPDIR/stderr")" = "sealed-copy sealed-start parse cgroup clone created start delete exit " ]
  # counted from the first start: the sealed copy does not restart at 0
  t_parse="$(sed -n 's/.*phase=parse t_us=\([0-9]*\)$/\1/p' "$LOG")"
  t_copy="$(sed -n 's/.*phase=sealed-copy t_us=\([0-9]*\)$/\1/p' "$LOG")"
  [ "$t_parse" -gt "$t_copy" ]
  assert_no_leftovers "$ID"
}

@test "exec --debug logs its phases" {
  bundle_edit "$B" '.process.args = ["sleep", "60"]'
  berth run -d --bundle "$B" "$ID"
  berth --log-level debug --log "$LOG" exec "$ID" true
  [ "$(phases "$LOG")" = "sealed-copy sealed-start parse clone seccomp exec started exit " ]
}

@test "below debug: no phase lines" {
  berth --log-level info --log "$LOG" run --bundle "$B" "$ID" 2>"$BATS_TEST_TMPDIR/stderr"
  [ "$(cat "$LOG" "$BATS_TEST_TMPDIR/stderr" | grep -c 'phase=')" = 0 ]
}

@test "the start time passed to the sealed copy reaches no hook and no container process" {
  bundle_edit "$B" '.process.args = ["sh", "-c", "env >/proc/self/fd/1"]
    | .hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "env >\($d)/hook.env"]}]' \
    --arg d "$BATS_TEST_TMPDIR"
  run berth --debug --log "$LOG" run --bundle "$B" "$ID"
  [ "$status" -eq 0 ]
  [ -s "$BATS_TEST_TMPDIR/hook.env" ]
  [ "$(grep -c BERTH_PHASE_START_US "$BATS_TEST_TMPDIR/hook.env")" = 0 ]
  [[ "$output" != *BERTH_PHASE_START_US* ]]
  # a caller's own value is ignored below debug and never trusted above the clock
  BERTH_PHASE_START_US=99999999999999999 berth --debug --log "$LOG.2" run --bundle "$B" "$ID-2" >/dev/null 2>&1
  t="$(sed -n 's/.*phase=exit t_us=\([0-9]*\)$/\1/p' "$LOG.2")"
  [ "$t" -lt 10000000 ]
}

@test "run writes its state (atomic renames) without one fsync" {
  command -v strace >/dev/null || skip "strace missing"
  _runtime strace -f -qq -o "$BATS_TEST_TMPDIR/trace" -e trace=fsync,fdatasync,syncfs,sync_file_range,renameat,rename,renameat2 \
    "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID"
  grep -q 'state.json' "$BATS_TEST_TMPDIR/trace"
  [ "$(grep -Ec '^[0-9]+ +(fsync|fdatasync|syncfs|sync_file_range)\(' "$BATS_TEST_TMPDIR/trace")" = 0 ]
  assert_no_leftovers "$ID"
}
