#!/usr/bin/env bats
# Faults an operator meets: berth killed with SIGKILL at many points of
# create, start, delete and exec (a loop over delays and over hooks that
# hold a stage), a damaged, missing or oversized state.json, a ghost
# directory, a full state filesystem. After each: `list` shows what is
# there, `delete --force` removes it, and nothing is left (processes,
# cgroups in every hierarchy, mounts, state). No berth the test starts may
# die of a signal other than the test's own SIGKILL, and the kernel log
# gets no berth segfault.
#
# Hook processes that outlive a killed berth are issue 13 item 6, checked
# in hooks.bats; the hooks here end by themselves.
#
# BERTH_FAULTS_POINTS=all (the default) or few (the default in the pure-v2
# VM of tests/vm/run, where TCG makes every process start tens of times
# slower): every kind of fault still, at one or two delays, hook stages
# and damages each, and after a fault `list -q` without `list --format json`.
# The helpers here start as few processes as they can for the same reason.

load ../helpers

FAULTS_POINTS="${BERTH_FAULTS_POINTS:-$([[ -n "${BERTH_VM:-}" ]] && echo few || echo all)}"

# points ALL... -- FEW...: the words before "--", or with
# BERTH_FAULTS_POINTS=few those after it
points() {
  local w after=0 few=0 out=()
  [[ "$FAULTS_POINTS" == few ]] && few=1
  for w in "$@"; do
    if [[ "$w" == -- ]]; then
      after=1
    elif ((after == few)); then
      out+=("$w")
    fi
  done
  echo "${out[@]}"
}

setup_file() {
  [[ "$FAULTS_POINTS" == all || "$FAULTS_POINTS" == few ]] || {
    echo "BERTH_FAULTS_POINTS=$FAULTS_POINTS: expected all or few" >&2
    return 1
  }
  make_bundle "$BATS_FILE_TMPDIR/bundle"
}

setup() {
  ID="$(unique_id fault)"
  # the sleep of every process of this test's containers: found by pgrep
  MARK="$((RANDOM * 32768 + RANDOM + 1000000))"
  B="$BATS_TEST_TMPDIR/b"
  cp -a "$BATS_FILE_TMPDIR/bundle" "$B"
  jq --arg m "$MARK" '.process.args = ["sleep", $m]' "$BATS_FILE_TMPDIR/bundle/config.json" >"$B/config.json"
  KILLED_LOG="$BATS_TEST_TMPDIR/killed.log"
  KLOG_MARK="$(klog_mark)"
  TINY=""
  NS="" # net_setup
}

teardown() {
  cleanup_containers || true
  if [[ -d "$BATS_TEST_TMPDIR/other-root/$ID" ]]; then
    "$BERTH" --root "$BATS_TEST_TMPDIR/other-root" delete --force "$ID" 3>&- || true
  fi
  local pid
  for pid in $(marked_pids); do kill -9 "$pid" 2>/dev/null || true; done
  if [[ -n "$TINY" ]] && mountpoint -q "$TINY"; then umount "$TINY"; fi
  if [[ -n "$NS" ]]; then
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$LEASES"
  fi
  local crashes
  crashes="$(berth_crashes_since "$KLOG_MARK")"
  if [[ -n "$crashes" ]]; then
    echo "the kernel logged a berth crash during this test:" >&2
    echo "$crashes" | tail -n 3 >&2
    return 1
  fi
}

# the time stamp of the kernel log's last line (0 when it cannot be read)
klog_mark() {
  dmesg 2>/dev/null | awk 'match($0, /^\[ *[0-9]+\.[0-9]+\]/) { t = substr($0, 2, RLENGTH - 2) } END { print (t == "" ? 0 : t) }'
}

# berth processes killed by a fault after MARK
berth_crashes_since() {
  dmesg 2>/dev/null | awk -v m="$1" 'match($0, /^\[ *[0-9]+\.[0-9]+\]/) {
      t = substr($0, 2, RLENGTH - 2) + 0
      if (t > m + 0 && $0 ~ /berth\[[0-9]+\]: (segfault|trap|general protection)/) print
    }'
}

# Processes of this test's containers: the program (sleep MARK) and inits
# that still wait for start (a clone of `berth --root BERTH_ROOT create`).
marked_pids() {
  pgrep -f -- "^sleep $MARK\$|--root $BERTH_ROOT " || true
}

# fault_berth ARGS...: berth ARGS, bats' fd 3 closed (no test here passes
# an fd 3 of its own: the helpers' readlink check is not needed)
fault_berth() {
  "$BERTH" --root "$BERTH_ROOT" "${BERTH_CGROUP_ARGS[@]}" "$@" 3>&-
}

# bb ARGS...: berth ARGS with its status in RC and its output in OUT; fails
# only when berth died of a signal.
# (A file, not a pipe: a created container keeps create's stdout.)
bb() {
  RC=0
  fault_berth "$@" >"$BATS_TEST_TMPDIR/bb.out" 2>&1 || RC=$?
  OUT="$(<"$BATS_TEST_TMPDIR/bb.out")"
  if ((RC > 128)); then
    echo "berth $* died of signal $((RC - 128)): $OUT" >&2
    return 1
  fi
}

# must_bb ARGS...: bb, and the status must be 0
must_bb() {
  bb "$@" || return 1
  if ((RC != 0)); then
    echo "berth $* exited $RC: $OUT" >&2
    return 1
  fi
}

# start_bg ARGS...: berth ARGS in the background, its pid in BG
start_bg() {
  (exec "$BERTH" --root "$BERTH_ROOT" "$@" >"$KILLED_LOG" 2>&1 3>&-) &
  BG=$!
}

# reap_bg DESCRIPTION: SIGKILL BG (when it still runs) and wait for it; it
# may have finished (0, 1) or been killed (137), nothing else
reap_bg() {
  kill -9 "$BG" 2>/dev/null || true
  local rc=0
  wait "$BG" || rc=$?
  case "$rc" in
    0 | 1 | 137) ;;
    *)
      echo "berth ($1) exited $rc:" >&2
      cat "$KILLED_LOG" >&2
      return 1
      ;;
  esac
}

# kill9_after DELAY ARGS...: SIGKILL berth ARGS DELAY seconds after it started
kill9_after() {
  local delay=$1
  shift
  start_bg "$@"
  [[ "$delay" == 0 ]] || sleep "$delay"
  reap_bg "$* after ${delay}s"
}

# kill9_at FILE ARGS...: SIGKILL berth ARGS once FILE exists (a hook made it)
kill9_at() {
  local file=$1 i
  shift
  rm -f "$file"
  start_bg "$@"
  for ((i = 0; i < 500; i++)); do
    [[ -e "$file" ]] && break
    if ! kill -0 "$BG" 2>/dev/null; then
      wait "$BG" || true
      echo "berth $* ended before $file appeared:" >&2
      cat "$KILLED_LOG" >&2
      return 1
    fi
    sleep 0.01
  done
  [[ -e "$file" ]] || {
    echo "$file never appeared" >&2
    return 1
  }
  reap_bg "$* at $file"
}

# no_marked_processes: none left (a killed process may take a moment to go)
no_marked_processes() {
  local i left
  for ((i = 0; i < 40; i++)); do
    left="$(marked_pids)"
    [[ -z "$left" ]] && return 0
    sleep 0.05
  done
  echo "processes of the container are still alive:" >&2
  ps -o pid,stat,args -p "$(tr '\n' , <<<"$left")" >&2 || true
  return 1
}

# after_fault ID: list shows ID while its directory exists (state says
# something, never crashes), delete --force removes everything.
after_fault() {
  local id=$1
  must_bb list -q || return 1
  if [[ -d "$BERTH_ROOT/$id" ]]; then
    if ! grep -qxF "$id" <<<"$OUT"; then
      echo "list hides $id, whose directory exists: $(ls -A "$BERTH_ROOT/$id")" >&2
      return 1
    fi
    if [[ "$FAULTS_POINTS" == all ]]; then
      must_bb list --format json || return 1
      jq -e --arg id "$id" 'map(select(.id == $id)) | length == 1' <<<"$OUT" >/dev/null || {
        echo "list --format json: $OUT" >&2
        return 1
      }
    fi
    bb state "$id" || return 1
  fi
  must_bb delete --force "$id" || return 1
  assert_clean "$id"
}

assert_clean() {
  assert_no_leftovers "$1" || return 1
  no_marked_processes
}

@test "faults: kill -9 of create at many points, then list, delete --force, no leftovers; the id works again" {
  local d
  for d in $(points 0 0.001 0.002 0.003 0.005 0.007 0.01 0.013 0.016 0.02 0.025 0.03 0.04 0.06 -- 0.05); do
    kill9_after "$d" create --bundle "$B" "$ID"
    after_fault "$ID"
  done
  must_bb create --bundle "$B" "$ID"
  must_bb start "$ID"
  after_fault "$ID"
}

@test "faults: kill -9 of create while a prestart, createRuntime or createContainer hook runs" {
  local stage f="$BATS_TEST_TMPDIR/reached"
  for stage in $(points prestart createRuntime createContainer -- createContainer); do
    bundle_edit "$B" 'del(.hooks) | .hooks[$s] = [{path: "/bin/sh", args: ["sh", "-c", "touch \"$F\"; sleep 1"], env: ["F=" + $f]}]' \
      --arg s "$stage" --arg f "$f"
    kill9_at "$f" create --bundle "$B" "$ID"
    after_fault "$ID"
  done
}

@test "faults: kill -9 of start at many points and in startContainer and poststart hooks" {
  local d stage f="$BATS_TEST_TMPDIR/mk/reached"
  mkdir -p "$BATS_TEST_TMPDIR/mk"
  for d in $(points 0 0.001 0.002 0.004 0.007 0.01 0.02 -- 0.01); do
    must_bb create --bundle "$B" "$ID"
    kill9_after "$d" start "$ID"
    after_fault "$ID"
  done
  # startContainer runs in the container: it sees the directory at /mk
  bundle_edit "$B" '.mounts += [{destination: "/mk", type: "bind", source: $d, options: ["rbind"]}]' \
    --arg d "$BATS_TEST_TMPDIR/mk"
  for stage in $(points startContainer poststart -- startContainer); do
    local where="$f"
    [[ "$stage" == startContainer ]] && where=/mk/reached
    bundle_edit "$B" 'del(.hooks) | .hooks[$s] = [{path: "/bin/sh", args: ["sh", "-c", "touch \"$F\"; sleep 1"], env: ["F=" + $f]}]' \
      --arg s "$stage" --arg f "$where"
    must_bb create --bundle "$B" "$ID"
    kill9_at "$f" start "$ID"
    after_fault "$ID"
  done
}

@test "faults: kill -9 of delete at many points and in a poststop hook" {
  local d f="$BATS_TEST_TMPDIR/reached"
  for d in $(points 0 0.001 0.002 0.004 0.007 0.01 0.02 -- 0.01); do
    must_bb run -d --bundle "$B" "$ID"
    kill9_after "$d" delete --force "$ID"
    after_fault "$ID"
  done
  # a stopped container, deleted without --force
  bundle_edit "$B" '.process.args = ["true"]'
  for d in $(points 0 0.002 0.005 -- 0.005); do
    must_bb run -d --bundle "$B" "$ID"
    kill9_after "$d" delete "$ID"
    after_fault "$ID"
  done
  bundle_edit "$B" '.process.args = ["sleep", $m] | .hooks.poststop = [{path: "/bin/sh", args: ["sh", "-c", "touch \"$F\"; sleep 1"], env: ["F=" + $f]}]' \
    --arg m "$MARK" --arg f "$f"
  must_bb run -d --bundle "$B" "$ID"
  kill9_at "$f" delete --force "$ID"
  after_fault "$ID"
}

@test "faults: kill -9 of exec at many points" {
  local d
  must_bb run -d --bundle "$B" "$ID"
  for d in $(points 0 0.001 0.002 0.004 0.007 0.01 0.02 0.04 -- 0.02); do
    kill9_after "$d" exec "$ID" sleep "$MARK"
    must_bb list -q
    grep -qxF "$ID" <<<"$OUT"
  done
  # the container still works
  must_bb exec "$ID" true
  after_fault "$ID"
}

# damage_state HOW: break the running container's state.json
damage_state() {
  local s="$BERTH_ROOT/$ID/state.json"
  case "$1" in
    truncated) truncate -s 37 "$s" ;;
    corrupt) printf '{"ociVersion": "1.2.0", "id": 42, \x01\xff}' >"$s" ;;
    empty) : >"$s" ;;
    oversize) truncate -s 40M "$s" ;;
    missing) rm "$s" ;;
    directory) rm "$s" && mkdir "$s" ;;
  esac
}

@test "faults: delete --force of a running container whose state.json is truncated, corrupt, empty, oversize, missing or a directory kills it" {
  local how
  for how in $(points truncated corrupt empty oversize missing directory -- corrupt missing); do
    must_bb run -d --bundle "$B" "$ID"
    [ -n "$(pgrep -f "^sleep $MARK\$")" ]
    damage_state "$how"
    must_bb list
    [[ "$OUT" == *"$ID"*unknown* ]] || {
      echo "$how: list: $OUT" >&2
      false
    }
    # state and a plain delete say what is wrong and how to get rid of it
    bb state "$ID"
    [ "$RC" -eq 1 ]
    [[ "$OUT" == *"no readable state"*"delete --force $ID"* ]] || {
      echo "$how: state: $OUT" >&2
      false
    }
    bb delete "$ID"
    [ "$RC" -eq 1 ]
    [ -n "$(pgrep -f "^sleep $MARK\$")" ]
    must_bb delete --force "$ID"
    assert_clean "$ID"
  done
}

@test "faults: with state.json and the config copy both unreadable, delete --force finds the init and the default cgroup" {
  must_bb run -d --bundle "$B" "$ID"
  printf 'garbage' >"$BERTH_ROOT/$ID/state.json"
  printf 'garbage' >"$BERTH_ROOT/$ID/config.json"
  must_bb delete --force "$ID"
  assert_clean "$ID"
}

@test "faults: delete --force without state.json finds a cgroupsPath of the config copy" {
  local cg="$BERTH_TEST_CGROUP_PREFIX/$ID"
  bundle_edit "$B" '.linux.cgroupsPath = $p' --arg p "$cg"
  must_bb run -d --bundle "$B" "$ID"
  # a second process in the cgroup that is not the init
  must_bb exec -d "$ID" sleep "$MARK"
  rm "$BERTH_ROOT/$ID/state.json" "$BERTH_ROOT/$ID/init"
  must_bb delete --force "$ID"
  assert_clean "$ID" "$cg"
  [ -z "$(berth_cgroup_dirs "$ID" "$cg")" ]
}

@test "faults: ghost directories are listed, explained by state, removed by delete --force; the id works again" {
  local g
  for g in $(points empty-dir lock-only creating-dead -- creating-dead); do
    mkdir -m 0711 "$BERTH_ROOT" 2>/dev/null || true
    mkdir "$BERTH_ROOT/$ID"
    case "$g" in
      lock-only) : >"$BERTH_ROOT/$ID/lock" ;;
      creating-dead)
        # a create that died after its first state.json
        : >"$BERTH_ROOT/$ID/lock"
        jq -n --arg id "$ID" '{ociVersion: "1.2.0", id: $id, status: "creating", pid: 0, bundle: "/nonexistent", created: "2026-01-01T00:00:00Z", owner: ""}' \
          >"$BERTH_ROOT/$ID/state.json"
        ;;
    esac
    must_bb list
    [[ "$OUT" == *"$ID"*unknown* ]] || {
      echo "$g: list: $OUT" >&2
      false
    }
    bb state "$ID"
    if [[ "$g" != creating-dead ]]; then
      [ "$RC" -eq 1 ]
      [[ "$OUT" == *"no readable state"* ]]
    fi
    must_bb delete --force "$ID"
    [ ! -e "$BERTH_ROOT/$ID" ]
    must_bb create --bundle "$B" "$ID"
    must_bb delete --force "$ID"
    assert_clean "$ID"
  done
}

@test "faults: delete --force of a ghost without a config copy leaves the same id's container of another root alone" {
  # cgroups are global: /berth/ID is the live container of another root
  local other="$BATS_TEST_TMPDIR/other-root"
  "$BERTH" --root "$other" run -d --bundle "$B" "$ID" >/dev/null 2>&1 3>&-
  local pid
  pid="$("$BERTH" --root "$other" state "$ID" | jq -r .pid)"
  [ "$pid" -gt 0 ]
  mkdir -p "$BERTH_ROOT/$ID"
  : >"$BERTH_ROOT/$ID/lock"
  must_bb delete --force "$ID"
  [ ! -e "$BERTH_ROOT/$ID" ]
  kill -0 "$pid"
  [ -n "$(berth_cgroup_dirs "$ID")" ]
  "$BERTH" --root "$other" delete --force "$ID" 3>&-
  assert_clean "$ID"
}

@test "faults: a container whose create is at work is listed as creating" {
  mkdir -p "$BERTH_ROOT/$ID"
  : >"$BERTH_ROOT/$ID/lock"
  # the creator: holds the lock while it works (the sleep itself: killing
  # it lets go of the lock, and no orphan keeps the test's output open)
  (
    exec 9>"$BERTH_ROOT/$ID/lock" 3>&-
    flock 9
    exec sleep 30
  ) &
  local holder=$!
  local i
  for ((i = 0; i < 100; i++)); do
    flock -n -s "$BERTH_ROOT/$ID/lock" true || break
    sleep 0.02
  done
  must_bb list
  kill "$holder"
  wait "$holder" || true
  [[ "$OUT" == *"$ID"*creating* ]] || {
    echo "list: $OUT" >&2
    false
  }
  must_bb delete --force "$ID"
  [ ! -e "$BERTH_ROOT/$ID" ]
}

@test "faults: a 5 MiB annotation: create, state, list and delete all work" {
  local big="$BATS_TEST_TMPDIR/big"
  head -c $((5 << 20)) /dev/zero | tr '\0' a >"$big"
  bundle_edit "$B" '.annotations.big = $big' --rawfile big "$big"
  must_bb create --bundle "$B" "$ID"
  must_bb state "$ID"
  [ "$(jq -r '.annotations.big | length' <<<"$OUT")" -eq $((5 << 20)) ]
  [ "$(jq -r .status <<<"$OUT")" = created ]
  must_bb list -q
  [ "$OUT" = "$ID" ]
  must_bb start "$ID"
  must_bb delete --force "$ID"
  assert_clean "$ID"
}

# tiny_root: a 256 KiB tmpfs as the state root
tiny_root() {
  TINY="$BATS_TEST_TMPDIR/tiny"
  mkdir -p "$TINY"
  mount -t tmpfs -o size=256k,mode=0700 tmpfs "$TINY"
  BERTH_ROOT="$TINY"
}

fill_tiny() {
  dd if=/dev/zero of="$TINY/filler" bs=4k 2>/dev/null || true
}

@test "faults: start on a full state filesystem fails before the program runs, or starts it and exits 0" {
  tiny_root
  must_bb create --bundle "$B" "$ID"
  fill_tiny
  bb start "$ID"
  if ((RC == 0)); then
    [ -n "$(pgrep -f "^sleep $MARK\$")" ]
  else
    [ "$RC" -eq 1 ]
    [[ "$OUT" == *"no space left on device"* ]]
    # not started, still created: a later start works
    [ -z "$(pgrep -f "^sleep $MARK\$")" ]
    must_bb state "$ID"
    [ "$(jq -r .status <<<"$OUT")" = created ]
    rm "$TINY/filler"
    must_bb start "$ID"
  fi
  must_bb state "$ID"
  [ "$(jq -r .status <<<"$OUT")" = running ]
  # create on the full filesystem fails and leaves nothing; delete works
  fill_tiny
  local id2="$ID-2"
  bb create --bundle "$B" "$id2"
  [ "$RC" -eq 1 ]
  [ ! -e "$TINY/$id2" ]
  [ -z "$(berth_cgroup_dirs "$id2")" ]
  must_bb delete --force "$ID"
  [ -z "$(ls -A "$TINY" | grep -vx filler)" ]
  umount "$TINY"
  assert_clean "$ID"
}

# --- with a bridge network: veths and leases too (in a private netns, as net.bats)

net_setup() {
  NS="berthfault-$$-${BATS_TEST_NUMBER}"
  BR="bf$$x${BATS_TEST_NUMBER}"
  BR="${BR:0:15}"
  LEASES="/var/lib/berth/net/$BR"
  rm -rf "$LEASES"
  ip netns add "$NS"
  bundle_edit "$B" '.annotations["run.berth.net.mode"] = "bridge" | .annotations["run.berth.net.bridge"] = $br' --arg br "$BR"
  # every berth of this test runs in the private netns
  berth() { _runtime nsenter --net="/run/netns/$NS" "$BERTH" --root "$BERTH_ROOT" "$@"; }
  fault_berth() { nsenter --net="/run/netns/$NS" "$BERTH" --root "$BERTH_ROOT" "$@" 3>&-; }
  start_bg() {
    (exec nsenter --net="/run/netns/$NS" "$BERTH" --root "$BERTH_ROOT" "$@" >"$KILLED_LOG" 2>&1 3>&-) &
    BG=$!
  }
}

# no veth on the bridge, no lease
assert_no_net_leftovers() {
  local veths leases
  veths="$(ip -n "$NS" -o link show type veth 2>/dev/null || true)"
  leases="$(find "$LEASES" -mindepth 1 -maxdepth 1 ! -name lock -printf '%f\n' 2>/dev/null || true)"
  if [[ -n "$veths$leases" ]]; then
    echo "network leftovers: veths: $veths; leases: $leases" >&2
    [[ -z "$leases" ]] || (cd "$LEASES" && head -c 200 $leases) >&2
    return 1
  fi
}

@test "faults: with a bridge network, kill -9 of create and a damaged state leave no veth and no lease" {
  net_setup
  local d
  for d in $(points 0 0.005 0.01 0.02 0.03 0.05 -- 0.02); do
    kill9_after "$d" create --bundle "$B" "$ID"
    after_fault "$ID"
    assert_no_net_leftovers
  done
  must_bb run -d --bundle "$B" "$ID"
  [ -n "$(ip -n "$NS" -o link show type veth)" ]
  printf 'garbage' >"$BERTH_ROOT/$ID/state.json"
  rm "$BERTH_ROOT/$ID/init"
  must_bb delete --force "$ID"
  assert_clean "$ID"
  assert_no_net_leftovers
}
