#!/usr/bin/env bats
# OCI image layouts (run.berth.storage.image, berth spec --image) and the
# shared layer store (--storage-root, berth storage ls/prune): whiteouts,
# opaque dirs, hardlinks, zstd, tags, umoci-built images; hostile layers
# performed for real with the host checked afterwards; digest mismatches;
# concurrent creates unpacking each layer once; prune.

load ../helpers

MKIMAGE="$REPO/tests/lib/mkimage.py"

setup() {
  T="$BATS_TEST_TMPDIR"
  STORE="$T/store"
  IMG="$T/img"
  B="$T/b"
  export CANARY_DIR="$T/host"
  mkdir -p "$B" "$CANARY_DIR"
  echo canary >"$CANARY_DIR/canary"
  make_busybox_rootfs "$T/base"
  mkdir -p "$T/base/data"
  echo old >"$T/base/data/old"
  echo gone >"$T/base/gone"
  tar -C "$T/base" -cf "$T/base.tar" .
}

teardown() {
  cleanup_containers
}

berthi() {
  berth --storage-root "$STORE" "$@"
}

# image_bundle REF [jq filter]: $B/config.json from berth spec --image
image_bundle() {
  rm -f "$B/config.json"
  "$BERTH" spec --bundle "$B" --image "$1"
  bundle_edit "$B" "${2:-.}"
}

# nothing of a failed unpack is kept: no layer but the base, no temp dir
assert_store_clean() {
  run find "$STORE/tmp" -mindepth 1
  [ -z "$output" ]
  [ "$(ls "$STORE/sha256" | wc -l)" -le "${1:-1}" ]
}

assert_host_untouched() {
  [ "$(cat "$CANARY_DIR/canary")" = canary ]
  [ "$(ls "$CANARY_DIR")" = canary ]
  [ "$(stat -c %h "$CANARY_DIR/canary")" = 1 ]
}

@test "image: spec --image and run: whiteouts, opaque dir, hardlinks, a zstd layer, a second tag" {
  python3 "$MKIMAGE" tar "$T/wh.tar" whiteouts
  python3 "$MKIMAGE" build "$IMG" one --cmd /bin/sh --cmd -c \
    --cmd 'echo IMG=$IMG; ls /data; test ! -e /gone && echo no-gone; stat -c %i /linked-a /linked-b | uniq | wc -l' \
    "$T/base.tar:gzip" "$T/wh.tar:zstd"
  python3 "$MKIMAGE" build "$IMG" two --cmd /bin/cat --cmd /gone "$T/base.tar:none"
  image_bundle "$IMG:one"
  jq -e --arg i "$IMG:one" '.annotations["run.berth.storage.image"] == $i and .process.args[0] == "/bin/sh"' "$B/config.json"
  cd "$B"
  run berthi run "$(unique_id img)"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "IMG=1" ]
  [ "${lines[1]}" = "new" ]
  [ "${lines[2]}" = "no-gone" ]
  [ "${lines[3]}" = "1" ]
  # a multi-platform image (a nested index): linux/amd64 is picked on x86_64
  python3 "$MKIMAGE" nest "$IMG" two
  image_bundle "$IMG:two"
  run berthi run "$(unique_id img)"
  echo "$output"
  if [ "$(uname -m)" = x86_64 ]; then
    [ "$status" -eq 0 ]
    [ "$output" = gone ]
  fi
  # the base layer is shared (gzip or not, one diffID): two layers in the store
  [ "$(ls "$STORE/sha256" | wc -l)" -eq 2 ]
  # overlay whiteout and opaque dir in the unpacked layer
  wh="$STORE/sha256/$(sha256sum "$T/wh.tar" | cut -d' ' -f1)"
  [ "$(stat -c '%F %t %T' "$wh/gone")" = "character special file 0 0" ]
  [ "$(python3 -c "import os,sys; print(os.getxattr(sys.argv[1], 'trusted.overlay.opaque').decode())" "$wh/data")" = y ]
}

@test "image: an image umoci built (a deletion is a whiteout) and copied by skopeo, the tag picked by name" {
  command -v umoci >/dev/null || skip "umoci not installed"
  cd "$T"
  umoci init --layout u
  umoci new --image u:a
  umoci unpack --rootless --image u:a ub >/dev/null
  cp -a "$T/base/." ub/rootfs/
  umoci repack --image u:a ub
  rm ub/rootfs/gone
  umoci repack --image u:a ub
  umoci config --image u:a --config.cmd /bin/sh --config.cmd -c --config.cmd 'ls /gone 2>&1; cat /data/old'
  umoci tag --image u:a other
  if command -v skopeo >/dev/null; then
    skopeo copy --quiet oci:u:a oci:u2:copied
    image_bundle "$T/u2:copied"
  else
    image_bundle "$T/u:a"
  fi
  cd "$B"
  run berthi run "$(unique_id umo)"
  [ "$status" -eq 0 ]
  [[ "$output" == *"No such file"* ]]
  [[ "$output" == *old ]]
}

@test "image: hostile layers never write outside the layer directory" {
  for kind in dotdot hardlink-out hardlink-dotdot; do
    python3 "$MKIMAGE" tar "$T/$kind.tar" "$kind"
    python3 "$MKIMAGE" build "$IMG" "$kind" "$T/base.tar" "$T/$kind.tar"
    image_bundle "$IMG:$kind" '.process.args = ["/bin/true"]'
    cd "$B"
    run berthi run "$(unique_id bad)"
    echo "$kind: $output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"blob sha256:"* ]]
    assert_store_clean
    assert_host_untouched
  done
  # names that stay inside: an absolute name, writes through symlinks that point out
  for kind in absolute symlink-write; do
    python3 "$MKIMAGE" tar "$T/$kind.tar" "$kind"
    python3 "$MKIMAGE" build "$IMG" "$kind" "$T/base.tar" "$T/$kind.tar"
    image_bundle "$IMG:$kind" '.process.args = ["/bin/sh", "-c", "cat /'"${CANARY_DIR#/}"'/*"]'
    cd "$B"
    run berthi run "$(unique_id in)"
    echo "$kind: $output"
    [ "$status" -eq 0 ]
    [[ "$output" == *pwned* ]]
    assert_host_untouched
  done
  # nothing mounted on the host
  ! grep -q "$T" /proc/self/mountinfo
}

@test "image: the layout's own files: a symlink out of it is resolved inside it, a fifo blob does not hang" {
  python3 "$MKIMAGE" build "$IMG" t "$T/base.tar"
  image_bundle "$IMG:t" '.process.args = ["/bin/true"]'
  mv "$IMG/index.json" "$T/index.json"
  ln -s "$CANARY_DIR/canary" "$IMG/index.json"
  cd "$B"
  run berthi run "$(unique_id lnk)"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"index.json"*"ENOENT"* ]]
  [[ "$output" != *canary ]]
  rm "$IMG/index.json"
  mv "$T/index.json" "$IMG/index.json"
  l="$(find "$IMG/blobs/sha256" -size +100k | head -1)"
  rm "$l"
  mkfifo "$l"
  run timeout 20 "$BERTH" --root "$BERTH_ROOT" --storage-root "$STORE" run "$(unique_id fifo)"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ "$output" == *"is not a regular file"* ]]
  assert_store_clean 0
}

@test "image: a missing tag, a directory that is no layout, no mount namespace: clear errors, nothing made" {
  python3 "$MKIMAGE" build "$IMG" t "$T/base.tar"
  image_bundle "$IMG:t" '.process.args = ["/bin/true"]'
  cd "$B"
  bundle_edit "$B" '.annotations["run.berth.storage.image"] = $i' --arg i "$IMG:nope"
  run berthi create "$(unique_id tag)"
  [ "$status" -eq 1 ]
  [[ "$output" == *"index.json: no manifest has the tag \"nope\""* ]]
  bundle_edit "$B" '.annotations["run.berth.storage.image"] = $i' --arg i "$T/base"
  run berthi create "$(unique_id lay)"
  [ "$status" -eq 1 ]
  [[ "$output" == *"image $T/base (an OCI image layout): oci-layout"*ENOENT* ]]
  bundle_edit "$B" '.annotations["run.berth.storage.image"] = $i | .linux.namespaces |= map(select(.type != "mount"))' --arg i "$IMG:t"
  run berthi create "$(unique_id mnt)"
  [ "$status" -eq 1 ]
  [[ "$output" == *'.annotations["run.berth.storage.image"]: needs a new mount namespace'* ]]
  run "$BERTH" spec --bundle "$T" --image "$IMG:nope"
  [ "$status" -eq 1 ]
  [[ "$output" == *"--image: "*"no manifest has the tag"* ]]
  [ -z "$(berth list -q)" ]
  [ ! -e "$STORE/sha256" ] || [ -z "$(ls "$STORE/sha256")" ]
}

@test "image: a decompression bomb stops at --max-layer-size, nothing kept" {
  python3 "$MKIMAGE" tar "$T/bomb.tar" bomb
  python3 "$MKIMAGE" build "$IMG" bomb "$T/base.tar" "$T/bomb.tar:gzip"
  image_bundle "$IMG:bomb" '.process.args = ["/bin/true"]'
  cd "$B"
  run berthi --max-layer-size 8M run "$(unique_id bomb)"
  [ "$status" -eq 1 ]
  [[ "$output" == *"more than 8388608 bytes uncompressed (--max-layer-size)"* ]]
  assert_store_clean
}

@test "image: device nodes and fifos (root)" {
  python3 "$MKIMAGE" tar "$T/dev.tar" device
  python3 "$MKIMAGE" build "$IMG" dev "$T/base.tar" "$T/dev.tar:none"
  image_bundle "$IMG:dev" '.process.args = ["/bin/stat", "-c", "%F %t,%T", "/dev-null", "/fifo"]'
  cd "$B"
  run berthi run "$(unique_id dev)"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "character special file 1,3" ]
  [ "${lines[1]}" = "fifo 0,0" ]
}

@test "image: a digest mismatch names the blob and keeps nothing" {
  python3 "$MKIMAGE" tar "$T/wh.tar" whiteouts
  python3 "$MKIMAGE" build "$IMG" ok "$T/base.tar" "$T/wh.tar"
  python3 "$MKIMAGE" build "$IMG" baddiff --bad-diffid 1 "$T/base.tar" "$T/wh.tar:none"
  image_bundle "$IMG:baddiff" '.process.args = ["/bin/true"]'
  cd "$B"
  run berthi run "$(unique_id diff)"
  [ "$status" -eq 1 ]
  [[ "$output" == *"layer 1, blob sha256:"*"diffID (uncompressed digest) mismatch"* ]]
  assert_store_clean
  # a blob changed after the manifest was written
  m="$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "ok") | .digest' "$IMG/index.json" | cut -d: -f2)"
  l="$(jq -r '.layers[1].digest' "$IMG/blobs/sha256/$m" | cut -d: -f2)"
  python3 -c "import sys; d=bytearray(open(sys.argv[1],'rb').read()); d[-9]^=1; open(sys.argv[1],'wb').write(d)" "$IMG/blobs/sha256/$l"
  image_bundle "$IMG:ok" '.process.args = ["/bin/true"]'
  run berthi run "$(unique_id dig)"
  [ "$status" -eq 1 ]
  [[ "$output" == *"blob sha256:$l"* ]]
  assert_store_clean
}

@test "image: 10 concurrent creates of an uncached image unpack each layer once; prune keeps what is used" {
  python3 "$MKIMAGE" tar "$T/wh.tar" whiteouts
  python3 "$MKIMAGE" build "$IMG" c "$T/base.tar" "$T/wh.tar:zstd"
  image_bundle "$IMG:c" '.process.args = ["/bin/sleep", "60"]'
  cd "$B"
  pids=()
  for i in $(seq 10); do
    berthi --log-level info create "conc-$$-$i" >"$T/create.$i" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  cat "$T"/create.* >&2
  [ "$(cat "$T"/create.* | grep -c ' unpacked: ')" -eq 2 ]
  [ "$(berth list -q | grep -c "conc-$$-")" -eq 10 ]
  run berthi storage ls
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[1]}" == *"conc-$$-"* ]]
  run berthi storage prune
  echo "$output"
  [ "$output" = "0 layers removed" ]
  [ "$(ls "$STORE/sha256" | wc -l)" -eq 2 ]
  for i in $(seq 2 10); do berth delete --force "conc-$$-$i"; done
  run berthi storage prune
  echo "$output"
  [ "$output" = "0 layers removed" ]
  berth delete --force "conc-$$-1"
  run berthi storage prune --all
  [ "$output" = "2 layers removed" ]
  [ "$(ls "$STORE/sha256" | wc -l)" -eq 0 ]
}
