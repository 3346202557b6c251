#!/usr/bin/env bats
# linux.rootfsPropagation (issue 11): every value, with the rootfs a plain
# directory, a bind of itself and an overlay mounted on it (as containerd
# mounts its snapshot on <bundle>/rootfs), and what crosses between the
# host and a volume bind-mounted from a shared host dir, both ways.
# Each case runs in a throw-away mount namespace whose / is made rshared
# first (a systemd host): it stands for the host, and what it mounts (or
# what a broken berth propagates into it) goes away with it.

load ../helpers

setup() {
  ID="$(unique_id prop)"
  T="$BATS_TEST_TMPDIR"
  B="$T/b"
  make_bundle "$B" '.process.args = ["sleep", "1000"]
      | .mounts += [{"destination": "/data", "type": "bind", "source": $v, "options": ["rbind"]}]' \
    --arg v "$T/vol"
  mkdir -p "$T/vol" "$B/rootfs/data"
  NO_PIVOT=""
  export T B ID BERTH BERTH_ROOT RUNC_ROOT NO_PIVOT
}

teardown() {
  cleanup_containers
}

# prop_case RUNTIME KIND PROP [VOLUME-OPTIONS-JSON]: ($NO_PIVOT set: run
# --no-pivot) in a throw-away
# namespace, mount the volume (a tmpfs, shared) and the rootfs (KIND:
# plain, self or overlay), start the container, mount a tmpfs below the
# volume on the host (h2c) and one below /data and one on /root in the
# container (c2h, leak); prints
#   root=<optional fields of the container's />  h2c=yes|no  c2h=yes|no
#   leak=<host mounts below the rootfs not made by the test>  same=yes|no
# (same: the host's mounts under the test's tmpdir, after delete and the
# test's own umounts, are those before the run; other tests' mounts
# elsewhere may come and go meanwhile)
prop_case() {
  local rt=$1 kind=$2 prop=$3 volopts=${4:-'["rbind"]'}
  bundle_edit "$B" '.linux.rootfsPropagation = $p
      | (.mounts[] | select(.destination == "/data") | .options) = $o' \
    --arg p "$prop" --argjson o "$volopts"
  export RT="$rt" KIND="$kind"
  run unshare -m bash -c '
    rtc() { if [ "$RT" = berth ]; then "$BERTH" --root "$BERTH_ROOT" "$@"; else runc --root "$RUNC_ROOT" "$@"; fi; }
    mount --make-rshared / || exit 99
    mount -t tmpfs berth-test-vol "$T/vol" || exit 98
    mkdir "$T/vol/h2c" "$T/vol/c2h"
    case $KIND in
      self) mount --bind "$B/rootfs" "$B/rootfs" || exit 97 ;;
      overlay)
        rm -rf "$T/lower" "$T/up" "$T/work"
        mkdir -p "$T/up" "$T/work" && cp -a "$B/rootfs" "$T/lower" || exit 96
        mount -t overlay berth-test-ovl -o "lowerdir=$T/lower,upperdir=$T/up,workdir=$T/work" \
          "$B/rootfs" || exit 96 ;;
    esac
    mounts_here() { awk -v t="$T/" "index(\$5, t) == 1 { print \$5 }" /proc/self/mountinfo; }
    mounts_here >"$T/mp_before"
    rtc run ${NO_PIVOT:+--no-pivot} -d --bundle "$B" "$ID" </dev/null >"$T/run.out" 2>&1 || { cat "$T/run.out"; exit 1; }
    pid="$(rtc state "$ID" | jq -r .pid)"
    mount -t tmpfs berth-test-h2c "$T/vol/h2c"
    nsenter -t "$pid" -m mount -t tmpfs berth-test-c2h /data/c2h || echo "nsenter c2h failed"
    nsenter -t "$pid" -m mount -t tmpfs berth-test-leak /root || echo "nsenter leak failed"
    awk "\$5 == \"/\" { o = \"\"; for (i = 7; \$i != \"-\"; i++) o = o \" \" \$i; print \"root=\" o }" \
      "/proc/$pid/mountinfo"
    grep -q " /data/h2c " "/proc/$pid/mountinfo" && echo h2c=yes || echo h2c=no
    grep -q " $T/vol/c2h " /proc/self/mountinfo && echo c2h=yes || echo c2h=no
    echo "leak=$(awk -v r="$B/rootfs/" "index(\$5, r) == 1 { print \$5 }" /proc/self/mountinfo)"
    rtc delete --force "$ID" || echo "delete failed"
    umount "$T/vol/h2c"
    if mountpoint -q "$T/vol/c2h"; then umount "$T/vol/c2h"; fi
    mounts_here >"$T/mp_after"
    diff "$T/mp_before" "$T/mp_after" && echo same=yes || echo same=no
    exit 0'
  echo "$rt $kind $prop: $output"
}

# expect ROOT H2C C2H: the last prop_case printed these, and left nothing
expect() {
  [ "$status" -eq 0 ]
  [[ "$output" != *failed* ]]
  case $1 in
    shared) [[ "$output" == *"root= shared:"* ]] ;;
    master) [[ "$output" == *"root= master:"* ]] ;;
    unbindable) [[ "$output" == *"root= unbindable"* ]] ;;
    private) [[ "$output" == *"root="$'\n'* ]] ;;
  esac
  [[ "$output" == *"h2c=$2"* ]]
  [[ "$output" == *"c2h=$3"* ]]
  [[ "$output" == *"leak="$'\n'* ]] # the container's /root stayed in the container
  [[ "$output" == *"same=yes"* ]]
  assert_no_leftovers "$ID"
}

# every value: the propagation of the container's / and of a volume bind-
# mounted from a shared host dir (a non-recursive value leaves the volume
# shared, as runc does)
all_values() {
  prop_case berth "$1" rshared
  expect shared yes yes
  prop_case berth "$1" shared
  expect shared yes yes
  prop_case berth "$1" rslave
  expect master yes no
  prop_case berth "$1" slave
  expect master yes yes
  prop_case berth "$1" rprivate
  expect private no no
  prop_case berth "$1" private
  expect private yes yes
  prop_case berth "$1" runbindable
  expect unbindable no no
  prop_case berth "$1" unbindable
  expect unbindable yes yes
}

@test "rootfsPropagation, rootfs a plain directory: every value; rshared and rslave propagate host to container, rshared back" {
  all_values plain
}

@test "rootfsPropagation, rootfs a bind of itself: every value; rshared and rslave propagate host to container, rshared back" {
  all_values self
}

@test "rootfsPropagation, rootfs an overlay mount point (containerd): every value; rshared and rslave propagate host to container, rshared back" {
  all_values overlay
}

@test "rootfsPropagation rshared with an rshared volume on an overlay rootfs (the CRI Bidirectional case)" {
  prop_case berth overlay rshared '["rbind", "rshared"]'
  expect shared yes yes
  prop_case berth overlay rslave '["rbind", "rslave"]'
  expect master yes no
}

@test "rootfsPropagation: the volume behaves as with runc 1.1.5 (rshared, rslave, rprivate, overlay rootfs)" {
  command -v runc >/dev/null || skip "runc not installed"
  local prop
  for prop in rshared rslave rprivate; do
    prop_case runc overlay "$prop"
    [ "$status" -eq 0 ]
    local want_h2c want_c2h
    want_h2c="$(grep -o 'h2c=[a-z]*' <<<"$output")"
    want_c2h="$(grep -o 'c2h=[a-z]*' <<<"$output")"
    prop_case berth overlay "$prop"
    [ "$status" -eq 0 ]
    [[ "$output" == *"$want_h2c"* ]]
    [[ "$output" == *"$want_c2h"* ]]
    [[ "$output" == *"same=yes"* ]]
  done
}

@test "rootfsPropagation shared/rshared with the rootfs a mount point: none of the container's mounts reaches the host" {
  # the old berth bound the rootfs as a peer of the host's rootfs mount:
  # its /proc, /dev, /sys... showed up (and stayed) below the host's rootfs
  bundle_edit "$B" '.process.args = ["true"]'
  local kind prop
  for kind in self overlay; do
    for prop in rshared shared; do
      bundle_edit "$B" '.linux.rootfsPropagation = $p' --arg p "$prop"
      export KIND="$kind"
      run unshare -m bash -c '
        mount --make-rshared / || exit 99
        case $KIND in
          self) mount --bind "$B/rootfs" "$B/rootfs" || exit 97 ;;
          overlay)
            rm -rf "$T/lower" "$T/up" "$T/work"
            mkdir -p "$T/up" "$T/work" && cp -a "$B/rootfs" "$T/lower" || exit 96
            mount -t overlay berth-test-ovl -o "lowerdir=$T/lower,upperdir=$T/up,workdir=$T/work" \
              "$B/rootfs" || exit 96 ;;
        esac
        "$BERTH" --root "$BERTH_ROOT" run --bundle "$B" "$ID"
        rc=$?
        echo "below the rootfs: $(awk -v r="$B/rootfs/" "index(\$5, r) == 1" /proc/self/mountinfo | wc -l)"
        for m in /proc /sys /dev /sys/fs/cgroup; do mountpoint -q "$m" || echo "$m UNMOUNTED"; done
        exit $rc'
      echo "$kind $prop: $output"
      [ "$status" -eq 0 ]
      [[ "$output" == *"below the rootfs: 0"* ]]
      [[ "$output" != *UNMOUNTED* ]] # detaching the old root unmounted none of the host's
      assert_no_leftovers "$ID"
    done
  done
}

@test "rootfsPropagation with --no-pivot: every value runs on an overlay rootfs, / gets it, nothing reaches the host" {
  # the old root is made a slave before its mounts are detached when
  # anything outside the rootfs is shared: a volume then no longer sends
  # its mounts to the host (berth-create(8), --no-pivot)
  NO_PIVOT=1
  local prop root h2c
  for prop in rshared shared rslave slave rprivate private runbindable unbindable; do
    prop_case berth overlay "$prop"
    h2c=yes
    case $prop in
      *shared) root=shared ;;
      *slave) root=master ;;
      rprivate) root=private h2c=no ;;
      private) root=private ;;
      runbindable) root=unbindable h2c=no ;;
      unbindable) root=unbindable ;;
    esac
    expect "$root" "$h2c" no
  done
}
