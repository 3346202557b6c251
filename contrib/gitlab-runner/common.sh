# Shared by the custom executor's scripts (sourced). The runner gives each
# script the job's variables as CUSTOM_ENV_*, and BUILD_FAILURE_EXIT_CODE /
# SYSTEM_FAILURE_EXIT_CODE to tell a failed job from a broken executor.
#
# Settings (the runner's environment, config.toml [[runners]] environment):
#   BERTH              the berth binary (default: berth in PATH)
#   BERTH_CI_STATE     berth's --root (default: berth's default)
#   BERTH_CI_DIR       where each job's directory lives (default /var/lib/berth-ci)
#   BERTH_CI_ROOTFS    a root directory for the jobs (default: the host's / read-only)
#   BERTH_CI_MEMORY, BERTH_CI_CPUS, BERTH_CI_PIDS, BERTH_CI_TIMEOUT, BERTH_CI_NETWORK
#                      berth sandbox's --memory, --cpus, --pids, --timeout, --network
set -euo pipefail

BERTH="${BERTH:-berth}"
BERTH_CI_DIR="${BERTH_CI_DIR:-/var/lib/berth-ci}"
JOB_ID="${CUSTOM_ENV_CI_JOB_ID:?CUSTOM_ENV_CI_JOB_ID is not set: not run by GitLab Runner}"
case "$JOB_ID" in
  *[!0-9]*) echo "berth executor: CUSTOM_ENV_CI_JOB_ID=$JOB_ID is not a number" >&2; exit "${SYSTEM_FAILURE_EXIT_CODE:-1}" ;;
esac
JOB_DIR="$BERTH_CI_DIR/job-$JOB_ID"

berth_cmd() {
  if [[ -n "${BERTH_CI_STATE:-}" ]]; then
    "$BERTH" --root "$BERTH_CI_STATE" "$@"
  else
    "$BERTH" "$@"
  fi
}

system_failure() {
  echo "berth executor: $*" >&2
  exit "${SYSTEM_FAILURE_EXIT_CODE:-1}"
}
