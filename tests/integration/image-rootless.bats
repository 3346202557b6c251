#!/usr/bin/env bats
# OCI images for an unprivileged user: the layer store in
# ~/.local/share/berth/layers, owned by the user; overlay whiteouts (char
# 0/0, which the kernel lets anyone make) and opaque dirs as
# user.overlay.opaque (the overlay is mounted with userxattr in the
# container's user namespace); device nodes skipped with a warning.

load ../helpers
load ../lib/rootless

MKIMAGE="$REPO/tests/lib/mkimage.py"

setup_file() { rl_setup_file; }
teardown_file() { rl_teardown_file; }
setup() { rl_setup; }
teardown() {
  rl_teardown
  rm -rf "$RL_HOME/img" "$RL_HOME/.local"
}

@test "image rootless: a store of the user's own, whiteouts and an opaque dir, device nodes skipped" {
  T="$BATS_TEST_TMPDIR"
  make_busybox_rootfs "$T/base"
  mkdir -p "$T/base/data"
  echo old >"$T/base/data/old"
  echo gone >"$T/base/gone"
  tar -C "$T/base" -cf "$T/base.tar" .
  python3 "$MKIMAGE" tar "$T/wh.tar" whiteouts
  python3 "$MKIMAGE" tar "$T/dev.tar" device
  python3 "$MKIMAGE" build "$RL_HOME/img" t --cmd /bin/sh --cmd -c \
    --cmd 'id -u; ls /data; test -e /gone || echo no-gone; test -e /dev-null || echo no-dev; stat -c %F /fifo' \
    "$T/base.tar" "$T/wh.tar:zstd" "$T/dev.tar:none"
  chown -R "$RL_USER:" "$RL_HOME/img"
  mkdir -p "$B"
  chown "$RL_USER:" "$B"
  (cd "$B" && as_user "$RL_BIN" spec --rootless --image "$RL_HOME/img:t")
  run as_user sh -c "cd $B && $RL_BIN run $ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"dev-null: device node skipped (a rootless store cannot make one)"* ]]
  [[ "$output" == *$'\n0\nnew\nno-gone\nno-dev\nfifo'* ]]
  store="$RL_HOME/.local/share/berth/layers"
  [ "$(stat -c %U "$store/sha256")" = "$RL_USER" ]
  run as_user "$RL_BIN" storage prune
  [ "$output" = "3 layers removed" ]
  assert_rl_clean
}
