#!/usr/bin/env bats
# berth sandbox (issue 18): a CI job in one command, with limits, a clean
# exit whatever happens, and a usage report.

load ../helpers

setup() {
  ID="$(unique_id sbx)"
  SBASE="$BERTH_ROOT-sandbox"
  W="$BATS_TEST_TMPDIR/w"
  mkdir -p "$W"
  BG=()
}

teardown() {
  local p
  for p in "${BG[@]}"; do
    kill -9 "$p" 2>/dev/null || true
  done
  cleanup_containers
  if [[ -d "$SBASE" ]]; then
    for p in "$SBASE"/* "$SBASE"/.new-*; do
      [[ -e "$p" ]] && berth delete --force "$(basename "$p")" || true
    done
    rm -rf "$SBASE"
  fi
}

# report FILE KEY: one field of a --report
field() {
  jq -r ".$2" "$1"
}

# nothing of sandbox ID: no process, cgroup, state, mount, sandbox directory
assert_sandbox_gone() {
  assert_no_leftovers "$1"
  if [[ -e "$SBASE/$1" ]]; then
    echo "sandbox directory $SBASE/$1 left" >&2
    return 1
  fi
  if grep -q "$SBASE" /proc/self/mountinfo; then
    echo "mounts under $SBASE left" >&2
    return 1
  fi
}

@test "sandbox: a real build job: host gcc as the lower layer, the checkout copy-on-write, artifacts to a bind" {
  local co="$W/checkout" out="$W/artifacts"
  mkdir -p "$co" "$out"
  printf '#include <stdio.h>\nint add(int a, int b) { return a + b; }\nint main(void) { if (add(2, 3) != 5) return 1; puts("tests passed"); return 0; }\n' >"$co/calc.c"
  printf 'all: calc\n\t./calc\n\tcp calc /artifacts/\ncalc: calc.c\n\tgcc -O2 -o calc calc.c\n' >"$co/Makefile"
  local before
  before="$(cd "$co" && find . -printf '%p %s %T@\n' | sort | sha256sum)"
  run berth sandbox --id "$ID" --scratch "$co:/src" --bind "$out:/artifacts" --report "$W/r.json" \
    -- sh -c 'make && touch /usr/sandbox-canary /src/junk'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"tests passed"* ]]
  [[ "$output" == *"berth sandbox $ID: exit 0, status 0"* ]]
  [ -x "$out/calc" ]
  "$out/calc"
  # the checkout and the host's / untouched
  [ "$(cd "$co" && find . -printf '%p %s %T@\n' | sort | sha256sum)" = "$before" ]
  [ ! -e "$co/calc" ] && [ ! -e "$co/junk" ] && [ ! -e /usr/sandbox-canary ]
  [ "$(field "$W/r.json" exitStatus)" = 0 ]
  [ "$(field "$W/r.json" id)" = "$ID" ]
  [ "$(field "$W/r.json" timedOut)" = false ]
  [ "$(field "$W/r.json" signal)" = null ]
  jq -e '.wallSeconds > 0 and .peakMemoryBytes > 0 and .peakTasks >= 1 and .oomKills == 0 and (.userSeconds + .systemSeconds) > 0' "$W/r.json"
  assert_sandbox_gone "$ID"
}

@test "sandbox: the job sees neither berth's state nor a writable host" {
  berth run --help >/dev/null
  run berth sandbox --id "$ID" -- sh -c "ls -A '$BERTH_ROOT' | wc -l; ls -A '$SBASE' | wc -l; cat /proc/self/status | grep -E '^(NoNewPrivs|Seccomp):'; echo x > /etc/sandbox-canary && cat /etc/sandbox-canary"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ] && [ "${lines[1]}" = 0 ]
  [[ "$output" == *"NoNewPrivs:"*1* ]]
  [[ "$output" == *"Seccomp:"*2* ]]
  [ ! -e /etc/sandbox-canary ]
  run berth sandbox -q -- sh -c 'mount -t tmpfs none /mnt || echo refused'
  [[ "$output" == *refused* ]]
  assert_sandbox_gone "$ID"
}

@test "sandbox: --memory: an OOM kill exits 137 with a message and oomKills in the report" {
  run berth sandbox --id "$ID" --memory 32m --report "$W/r.json" -- sh -c 'x=$(head -c 300000000 /dev/zero | tr "\0" a); echo ${#x}'
  echo "$output"
  [ "$status" -eq 137 ]
  [[ "$output" == *"out of memory"* ]]
  jq -e '.oomKills >= 1 and .exitStatus == 137 and .peakMemoryBytes <= 33554432 and .peakMemoryBytes > 16000000' "$W/r.json"
  assert_sandbox_gone "$ID"
}

@test "sandbox: --pids caps the tasks; --cpus the CPU time" {
  run berth sandbox --id "$ID" --pids 8 --report "$W/r.json" -- sh -c 'for i in $(seq 30); do sleep 1 & done; wait'
  echo "$output"
  [ "$status" -ne 0 ]
  jq -e '.peakTasks >= 2 and .peakTasks <= 8' "$W/r.json"
  assert_sandbox_gone "$ID"
  # a busy loop for 1.5 s of wall time at 0.2 CPUs
  run berth sandbox --id "$ID" --cpus 0.2 --timeout 1500ms --grace 100ms --report "$W/c.json" -- sh -c 'while :; do :; done'
  echo "$output"
  [ "$status" -eq 124 ]
  jq -e '(.userSeconds + .systemSeconds) < 0.6 and (.userSeconds + .systemSeconds) > 0.05' "$W/c.json"
  assert_sandbox_gone "$ID"
}

@test "sandbox: --io-bps lands in the job's cgroup" {
  local dev
  dev="$(ls /sys/block | grep -vE '^(loop|ram|zram|nbd)' | head -n1 || true)"
  [[ -n "$dev" && -b "/dev/$dev" ]] || skip "no block device"
  local majmin
  majmin="$(cat "/sys/block/$dev/dev")"
  run berth sandbox --id "$ID" --io-bps "/dev/$dev:2m" -- sh -c \
    'cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device 2>/dev/null || cat /sys/fs/cgroup/io.max'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"$majmin 2097152"* || "$output" == *"$majmin rbps=2097152 wbps=2097152"* ]]
  assert_sandbox_gone "$ID"
}

@test "sandbox: --timeout: SIGTERM to the job, SIGKILL after --grace, exit 124" {
  # a job that handles SIGTERM stops at once
  SECONDS=0
  run berth sandbox --id "$ID" --timeout 300ms --report "$W/r.json" -- sh -c 'trap "echo got TERM; exit 3" TERM; sleep 30 & wait'
  echo "$output"
  [ "$status" -eq 124 ]
  [[ "$output" == *"got TERM"* ]]
  [[ "$output" == *"timed out"* ]]
  jq -e '.timedOut == true and .exitCode == 3 and .exitStatus == 124' "$W/r.json"
  # one that ignores it is killed when the grace is over
  run berth sandbox --id "$ID" --timeout 300ms --grace 300ms --report "$W/r.json" -- sh -c 'trap "" TERM; sleep 30'
  [ "$status" -eq 124 ]
  jq -e '.timedOut == true and .signal == "KILL"' "$W/r.json"
  [ "$SECONDS" -lt 10 ]
  assert_sandbox_gone "$ID"
}

@test "sandbox: a job that crashes: 128+signal, the signal in the report, nothing left" {
  printf 'int main(void) { return *(volatile int *) 0; }\n' >"$W/crash.c"
  gcc -o "$W/crash" "$W/crash.c"
  run berth sandbox --id "$ID" --bind "$W:/w:ro" --report "$W/r.json" -- /w/crash
  echo "$output"
  [ "$status" -eq 139 ]
  [[ "$output" == *"killed by SIGSEGV"* ]]
  jq -e '.signal == "SEGV" and .exitCode == null and .exitStatus == 139' "$W/r.json"
  assert_sandbox_gone "$ID"
}

@test "sandbox: SIGINT to berth stops the whole job and cleans up" {
  # berth itself in the background ($! is its pid), not the helper's subshell
  "$BERTH" --root "$BERTH_ROOT" sandbox --id "$ID" --grace 500ms --report "$W/r.json" -- sh -c 'sleep 60 & sleep 60 & wait' 3>&- &
  local pid=$!
  BG+=("$pid")
  for _ in $(seq 100); do [ -n "$(berth_cgroup_dirs "$ID")" ] && [ "$(berth state "$ID" 2>/dev/null | jq -r .status)" = running ] && break; sleep 0.1; done
  sleep 0.2
  kill -INT "$pid"
  local st=0
  wait "$pid" || st=$?
  [ "$st" -eq 130 ]
  jq -e '.interruptedBy == "INT" and .exitStatus == 130' "$W/r.json"
  assert_sandbox_gone "$ID"
}

@test "sandbox: berth killed with SIGKILL: the next sandbox or delete --force removes everything" {
  local id2
  id2="$(unique_id sbx)"
  for victim in "$ID" "$id2"; do
    "$BERTH" --root "$BERTH_ROOT" sandbox -q --id "$victim" --scratch "$W:/w" -- sleep 301 3>&- &
    local pid=$!
    BG+=("$pid")
    for _ in $(seq 100); do [ "$(berth state "$victim" 2>/dev/null | jq -r .status)" = running ] && break; sleep 0.1; done
    kill -9 "$pid"
    wait "$pid" || true
    [ -d "$SBASE/$victim" ]
  done
  # delete --force of one; the sweep of the next sandbox for the other
  berth delete --force "$ID"
  assert_sandbox_gone "$ID"
  [ -d "$SBASE/$id2" ]
  berth sandbox -q -- true
  assert_sandbox_gone "$id2"
  [ ! -e "$SBASE" ]
  ! pgrep -x -f "sleep 301"
}

@test "sandbox: parallel sandboxes get their own ids and leave nothing" {
  local pids=() i
  for i in 1 2 3 4; do
    berth sandbox -q --report "$W/r$i.json" -- sh -c "echo job $i > /tmp/x; cat /tmp/x" >"$W/out$i" 3>&- &
    pids+=($!)
  done
  for i in 0 1 2 3; do
    wait "${pids[$i]}"
  done
  for i in 1 2 3 4; do
    [ "$(cat "$W/out$i")" = "job $i" ]
  done
  [ "$(jq -r .id "$W"/r*.json | sort -u | wc -l)" -eq 4 ]
  for id in $(jq -r .id "$W"/r*.json); do
    assert_sandbox_gone "$id"
  done
  [ ! -e "$SBASE" ]
}

@test "sandbox: bad options fail with a clear error, exit 1, and make nothing" {
  local bad=(
    "--memory 12x|--memory: \"12x\" is not a size"
    "--timeout soon|--timeout: \"soon\" is not a duration"
    "--cpus 0|--cpus: 0 is out of range"
    "--bind /nonexistent-sbx:/x|--bind /nonexistent-sbx: ENOENT"
    "--bind relative:/x|SRC \"relative\" must be an absolute path"
    "--scratch /tmp:/x:ro|want SRC:DST"
    "--user bob|--user bob: want UID[:GID]"
    "--network slirp|--network slirp: want none, host or bridge"
    "--env =x|--env =x: want NAME=VALUE"
    "--io-bps /dev/null:1m|--io-bps /dev/null: not a block device"
    "--rootfs /tmp --layer /tmp|exclude each other"
    "--pids -3|--pids -3: out of range"
    "--id a/b|invalid container id"
  )
  local b
  for b in "${bad[@]}"; do
    # shellcheck disable=SC2086
    run berth sandbox ${b%%|*} -- true
    echo "$b -> $status: $output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"${b#*|}"* ]]
  done
  run berth sandbox --memory 1g
  [ "$status" -eq 1 ]
  [[ "$output" == *"a command"* ]]
  [ -z "$(ls -A "$BERTH_ROOT" 2>/dev/null)" ]
  [ ! -e "$SBASE" ]
}

@test "sandbox: --image runs an OCI image from the layer store; the store and the image stay unwritten" {
  local base="$W/base" img="$W/img" store="$W/store"
  make_busybox_rootfs "$base"
  echo from-image >"$base/marker"
  tar -C "$base" -cf "$W/base.tar" .
  python3 "$REPO/tests/lib/mkimage.py" build "$img" v1 --cmd /bin/sh "$W/base.tar:gzip"
  run berth --storage-root "$store" sandbox -q --id "$ID" --image "$img:v1" \
    -- sh -c 'cat /marker; echo changed >/marker; cat /marker'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = from-image ]
  [ "${lines[1]}" = changed ]
  # the job wrote to its throw-away upper: the unpacked layer is as it was
  [ "$(cat "$store"/sha256/*/marker)" = from-image ]
  assert_sandbox_gone "$ID"
  # a tag the image does not have: a clear error, exit 1, nothing made
  run berth --storage-root "$store" sandbox -q --id "$ID" --image "$img:nope" -- true
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *nope* ]]
  assert_sandbox_gone "$ID"
}
