#!/usr/bin/env bats
# contrib/gitlab-runner: the custom executor's scripts driven exactly as
# GitLab Runner calls them (config, prepare, run SCRIPT STAGE per stage,
# cleanup; CUSTOM_ENV_* and the failure exit codes in the environment),
# with a sample job: fetch the sources, build and test them, a failing
# stage, and nothing left afterwards.

load ../helpers

EXE="$REPO/contrib/gitlab-runner"

setup() {
  export BERTH_CI_DIR="$BATS_TEST_TMPDIR/ci" BERTH_CI_STATE="$BERTH_ROOT"
  export CUSTOM_ENV_CI_JOB_ID="$((RANDOM * 100 + $$ % 100))" BUILD_FAILURE_EXIT_CODE=77 SYSTEM_FAILURE_EXIT_CODE=78
  export BERTH_CI_MEMORY=256m BERTH_CI_PIDS=256 BERTH_CI_TIMEOUT=60s BERTH_CI_NETWORK=none
  JOB="$BERTH_CI_DIR/job-$CUSTOM_ENV_CI_JOB_ID"
  S="$BATS_TEST_TMPDIR/scripts"
  mkdir -p "$S" "$BATS_TEST_TMPDIR/upstream"
  printf '#include <stdio.h>\nint main(void) { puts("built by berth"); return 0; }\n' >"$BATS_TEST_TMPDIR/upstream/main.c"
  # what the runner writes for each stage: a bash script
  cat >"$S/get_sources" <<SH
#!/usr/bin/env bash
set -eo pipefail
mkdir -p /builds/group/project && cd /builds/group/project
cat > main.c <<'C'
$(cat "$BATS_TEST_TMPDIR/upstream/main.c")
C
echo "Fetched sources"
SH
  cat >"$S/build_script" <<'SH'
#!/usr/bin/env bash
set -eo pipefail
cd /builds/group/project
gcc -o app main.c
./app | tee app.out
echo scratch > /usr/local/should-vanish
SH
  printf '#!/usr/bin/env bash\necho failing on purpose; exit 3\n' >"$S/after_script"
}

teardown() {
  "$EXE/cleanup" >/dev/null 2>&1 || true
  cleanup_containers
  rm -rf "$BERTH_ROOT-sandbox"
}

@test "gitlab-runner executor: config, prepare, the stages, a failing stage, cleanup" {
  run "$EXE/config"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.builds_dir == "/builds" and .cache_dir == "/cache" and .driver.name == "berth sandbox"'
  run "$EXE/prepare"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -d "$JOB/builds" ]
  run "$EXE/run" "$S/get_sources" get_sources
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Fetched sources"* ]]
  run "$EXE/run" "$S/build_script" build_script
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"built by berth"* ]]
  # the stages share /builds; the rest of what they wrote is gone
  [ "$(cat "$JOB/builds/group/project/app.out")" = "built by berth" ]
  [ ! -e /usr/local/should-vanish ]
  jq -e '.exitStatus == 0 and .peakMemoryBytes > 0' "$JOB/reports/build_script.json"
  run "$EXE/run" "$S/after_script" after_script
  [ "$status" -eq 77 ]
  [[ "$output" == *"failing on purpose"* ]]
  # a stage whose sandbox cannot be made is the executor's failure
  BERTH_CI_MEMORY=lots run "$EXE/run" "$S/build_script" build_script
  [ "$status" -eq 78 ]
  run "$EXE/cleanup"
  [ "$status" -eq 0 ]
  [ ! -e "$JOB" ]
  for st in get_sources build_script after_script; do
    assert_no_leftovers "ci-$CUSTOM_ENV_CI_JOB_ID-$st"
  done
  [ ! -e "$BERTH_ROOT-sandbox" ]
}

@test "gitlab-runner executor: cleanup after a cancelled job removes its sandbox" {
  "$EXE/prepare" >/dev/null
  printf '#!/usr/bin/env bash\nsleep 300\n' >"$S/build_script"
  BERTH="$BERTH" "$EXE/run" "$S/build_script" build_script 3>&- &
  local pid=$!
  local id="ci-$CUSTOM_ENV_CI_JOB_ID-build_script"
  for _ in $(seq 100); do [ "$(berth state "$id" 2>/dev/null | jq -r .status)" = running ] && break; sleep 0.1; done
  # the runner kills its executor process group when a job is cancelled
  local c
  for c in $(pgrep -P "$pid"); do kill -9 "$c"; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" || true
  "$EXE/cleanup"
  assert_no_leftovers "$id"
  [ ! -e "$JOB" ]
  [ ! -e "$BERTH_ROOT-sandbox" ]
}

@test "gitlab-runner executor: run without the runner's variables is refused" {
  run env -u CUSTOM_ENV_CI_JOB_ID "$EXE/run" "$S/build_script" build_script
  [ "$status" -ne 0 ]
  [[ "$output" == *"CUSTOM_ENV_CI_JOB_ID"* ]]
}
