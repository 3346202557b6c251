# tests/helpers.bash: what every tests/integration/*.bats (and tests/clients/*.bats)
# loads first:    load ../helpers
#
# Variables (set on load; per test, or per file inside setup_file/teardown_file)
#   REPO         absolute path of the source tree
#   BERTH        absolute path of the binary under test ($BERTH from the
#                environment, made absolute; default $REPO/build/berth)
#   BERTH_ROOT   private state root: $BATS_TEST_TMPDIR/root
#                ($BATS_FILE_TMPDIR/root inside setup_file/teardown_file)
#   RUNC_ROOT    private state root for the runc oracle, next to BERTH_ROOT
#   BERTH_TEST_CGROUP_PREFIX  /berth-test: an absolute linux.cgroupsPath set by
#                a test must start with it (tests/run's leftovers check
#                looks under /berth* in every hierarchy; relative paths and
#                the default go under /berth/ anyway)
#
# Functions
#   berth ARGS...              "$BERTH" --root "$BERTH_ROOT" ARGS...
#   oracle_runc ARGS...        runc --root "$RUNC_ROOT" ARGS... (runc 1.1.5, the oracle)
#                              (both without bats' fd 3, its TAP pipe: a leaked
#                              container must not hang the suite; an fd 3 the
#                              test redirects itself is passed through)
#   unique_id [PREFIX]         prints an id no other test or suite uses
#                              (cgroups are global even though roots are private)
#   make_busybox_rootfs DIR    DIR/bin/busybox (static) + applet symlinks in /bin,
#                              /etc/passwd and /etc/group (root, nobody),
#                              empty /proc /sys /dev /tmp /root
#   make_bundle DIR [FILTER [JQ-OPTIONS...]]
#                              DIR/rootfs as above + DIR/config.json from
#                              `berth spec`, process.terminal=false, then the
#                              jq FILTER, e.g.
#                              make_bundle "$b" '.process.args = ["cat", "/etc/hostname"]'
#                              make_bundle "$b" '.process.env += [$e]' --arg e FOO=1
#   bundle_edit DIR FILTER [JQ-OPTIONS...]   more jq edits of DIR/config.json
#   cleanup_containers         teardown: `delete --force` every container in
#                              BERTH_ROOT (and RUNC_ROOT); returns 1 (and says
#                              why on stderr) when one could not be deleted
#   berth_cgroup_dirs ID [CGROUPS_PATH]
#                              prints the container's cgroup dirs that exist
#                              in any hierarchy (default path /berth/ID)
#   assert_no_leftovers ID [CGROUPS_PATH]
#                              fails, listing them, when anything of ID is
#                              left: cgroup dirs in any hierarchy, its state
#                              dir in BERTH_ROOT, mounts under this test's
#                              tmpdir (bundles and BERTH_ROOT live there)
#   kernel_log_mark            prints the time of the kernel log's last line
#   assert_no_berth_crash MARK fails, listing them, when the kernel logged a
#                              berth process killed by a fault (segfault, trap,
#                              general protection) after MARK: a fault test that
#                              passes while berth crashes is a defect of the test
#                              (any berth on the machine: suites run one at a time)
#
# Typical use:
#   load ../helpers
#   setup()    { ID=$(unique_id life); make_bundle "$BATS_TEST_TMPDIR/b" '.process.args = ["true"]'; }
#   teardown() { cleanup_containers; }
#   @test "run exits 0" { berth run --bundle "$BATS_TEST_TMPDIR/b" "$ID"; assert_no_leftovers "$ID"; }
#
# This interface is stable: add to it, do not change it.

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BERTH="${BERTH:-$REPO/build/berth}"
[[ "$BERTH" == /* ]] || BERTH="$PWD/$BERTH"
export BERTH REPO

# shellcheck source=lib/bundle.bash
source "$REPO/tests/lib/bundle.bash"

_berth_tmp="${BATS_TEST_TMPDIR:-${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}}"
BERTH_ROOT="$_berth_tmp/root"
RUNC_ROOT="$_berth_tmp/runc-root"
# compiled seccomp filters (berth.8, FILES): the suites' own cache, gone with
# bats' run directory, instead of filling the host's /var/cache/berth
export BERTH_SECCOMP_CACHE_DIR="${BERTH_SECCOMP_CACHE_DIR:-${BATS_RUN_TMPDIR:-$_berth_tmp}/seccomp-cache}"
# shellcheck disable=SC2034 # used by the suites
BERTH_TEST_CGROUP_PREFIX=/berth-test
RUNC="${RUNC:-runc}"

# bats' own fd 3 (its TAP stream): runtimes get it closed, so that a
# container a test leaks cannot hold the stream open and hang the suite.
# An fd 3 the test redirects itself (--preserve-fds) is passed through.
_bats_fd3="$(readlink /proc/$$/fd/3 2>/dev/null || true)"
_runtime() {
  if [[ -n "$_bats_fd3" && "$(readlink "/proc/$BASHPID/fd/3" 2>/dev/null)" == "$_bats_fd3" ]]; then
    "$@" 3>&-
  else
    "$@"
  fi
}

# BERTH_TEST_CGROUP_MANAGER=systemd (tests/vm/run --systemd): every berth
# call of a suite uses the systemd cgroup driver; a container's default
# cgroup is then its scope (berth_cgroup_of)
BERTH_CGROUP_ARGS=()
[[ "${BERTH_TEST_CGROUP_MANAGER:-}" == systemd ]] && BERTH_CGROUP_ARGS=(--systemd-cgroup)

berth() {
  _runtime "$BERTH" --root "$BERTH_ROOT" "${BERTH_CGROUP_ARGS[@]}" "$@"
}

# detached ARGS...: like bats' run for `berth ARGS...`, with stdio on a file:
# a process that outlives berth (run -d, exec -d) would hold bats' pipe open
detached() {
  local rc=0
  berth "$@" </dev/null >"$BATS_TEST_TMPDIR/detached.out" 2>&1 || rc=$?
  status=$rc
  output="$(cat "$BATS_TEST_TMPDIR/detached.out")"
}

# the cgroup of container ID without a cgroupsPath
berth_cgroup_of() {
  if [[ "${BERTH_TEST_CGROUP_MANAGER:-}" == systemd ]]; then
    echo "/system.slice/berth-$1.scope"
  else
    echo "/berth/$1"
  fi
}

oracle_runc() {
  _runtime "$RUNC" --root "$RUNC_ROOT" "$@"
}

unique_id() {
  printf '%s-%s-%s-%s\n' "${1:-t}" "$$" "${BATS_TEST_NUMBER:-0}" "$RANDOM"
}

# _delete_all RUNTIME-FUNCTION ROOT: delete --force every container in ROOT.
_delete_all() {
  local fn=$1 root=$2 dir id out rc=0
  [[ -d "$root" ]] || return 0
  for dir in "$root"/*/; do
    [[ -d "$dir" ]] || continue
    id="$(basename "$dir")"
    if ! out="$("$fn" delete --force "$id" 2>&1)"; then
      echo "cleanup_containers: $fn delete --force $id failed: $out" >&2
      rc=1
    fi
  done
  return "$rc"
}

cleanup_containers() {
  local rc=0
  _delete_all berth "$BERTH_ROOT" || rc=1
  _delete_all oracle_runc "$RUNC_ROOT" || rc=1
  return "$rc"
}

# cgroup hierarchies mounted here: /sys/fs/cgroup on pure v2; every v1
# controller dir plus unified on hybrid.
_cgroup_mounts() {
  awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup" || $(i+1) == "cgroup2") print $5; break } }' \
    /proc/self/mountinfo | sort -u
}

berth_cgroup_dirs() {
  local id=${1:?berth_cgroup_dirs: ID missing} path=${2:-} mnt
  case "$path" in
    "") path="$(berth_cgroup_of "$id")" ;;
    *:*) return 0 ;; # systemd slice:prefix:name: systemd.bats checks those
    /*) ;;
    *) path="/berth/$path" ;;
  esac
  while read -r mnt; do
    [[ -d "$mnt$path" ]] && echo "$mnt$path"
  done < <(_cgroup_mounts)
  return 0
}

assert_no_leftovers() {
  local id=${1:?assert_no_leftovers: ID missing} left=()
  local line
  while read -r line; do
    [[ -n "$line" ]] && left+=("cgroup $line")
  done < <(berth_cgroup_dirs "$id" "${2:-}")
  [[ -e "$BERTH_ROOT/$id" ]] && left+=("state dir $BERTH_ROOT/$id")
  while read -r line; do
    [[ -n "$line" ]] && left+=("mount $line")
  done < <(awk -v t="$_berth_tmp" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo)
  if ((${#left[@]})); then
    echo "leftovers of container $id:" >&2
    printf '  %s\n' "${left[@]}" >&2
    return 1
  fi
}

_kernel_log_times() {
  dmesg 2>/dev/null | sed -n 's/^\[ *\([0-9]*\.[0-9]*\)\].*/\1 &/p'
}

kernel_log_mark() {
  _kernel_log_times | awk 'END { print ($1 == "" ? 0 : $1) }'
}

assert_no_berth_crash() {
  local mark=${1:?assert_no_berth_crash: MARK missing} crashes
  crashes="$(_kernel_log_times | awk -v m="$mark" '$1 > m' | cut -d' ' -f2- |
    grep -E 'berth\[[0-9]+\]: (segfault|trap|general protection)' || true)"
  if [[ -n "$crashes" ]]; then
    echo "berth crashed (kernel log):" >&2
    echo "$crashes" >&2
    return 1
  fi
}
