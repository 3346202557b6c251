# Bundle helpers shared by tests/helpers.bash (bats) and contrib/demo.sh.
# Plain bash functions, no bats needed. They expect $BERTH (the binary) to
# be set before make_bundle is called.

# The static busybox (busybox-static): the rootfs has no libc.
BUSYBOX_STATIC="${BUSYBOX_STATIC:-/bin/busybox}"

# _busybox_template: a rootfs built once and copied after that (about 270
# applet symlinks cost ~300 forks; cp -a is one). Cached in
# $BERTH_ROOTFS_CACHE, else in bats' per-run tmpdir, else built each time.
_busybox_template_build() {
  local dir=$1 applet
  mkdir -p "$dir"/{bin,etc,proc,sys,dev,tmp,root}
  chmod 1777 "$dir/tmp"
  chmod 0700 "$dir/root"
  cp "$BUSYBOX_STATIC" "$dir/bin/busybox" || return 1
  for applet in $("$BUSYBOX_STATIC" --list); do
    [[ "$applet" == busybox ]] || ln -s busybox "$dir/bin/$applet" || return 1
  done
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$dir/etc/passwd"
  printf '%s\n' 'root:x:0:' 'nobody:x:65534:' >"$dir/etc/group"
}

# make_busybox_rootfs DIR: a minimal rootfs in DIR (created if missing):
# /bin/busybox + one symlink per applet in /bin, /etc/passwd and /etc/group
# with root and nobody, empty /proc /sys /dev /tmp /root.
make_busybox_rootfs() {
  local dir=${1:?make_busybox_rootfs: DIR missing}
  local cache=${BERTH_ROOTFS_CACHE:-${BATS_RUN_TMPDIR:+$BATS_RUN_TMPDIR/busybox-rootfs}}
  if [[ ! -x "$BUSYBOX_STATIC" ]]; then
    echo "make_busybox_rootfs: $BUSYBOX_STATIC missing (apt-get install busybox-static)" >&2
    return 1
  fi
  if [[ -z "$cache" ]]; then
    _busybox_template_build "$dir"
    return
  fi
  if [[ ! -d "$cache" ]]; then
    local tmp
    tmp="$(mktemp -d "${cache}.XXXXXX")" || return 1
    _busybox_template_build "$tmp/rootfs" || return 1
    # the rename is atomic; when another test won the race, keep its copy
    mv -T "$tmp/rootfs" "$cache" 2>/dev/null || true
    rm -rf "$tmp"
  fi
  mkdir -p "$dir" && cp -a "$cache/." "$dir/"
}

# bundle_edit DIR FILTER [jq options...]: rewrite DIR/config.json with a jq
# filter, e.g. bundle_edit "$b" '.process.env += [$e]' --arg e FOO=1
bundle_edit() {
  local dir=${1:?bundle_edit: DIR missing} filter=${2:?bundle_edit: FILTER missing}
  shift 2
  local tmp
  tmp="$(mktemp "$dir/.config.json.XXXXXX")" || return 1
  if ! jq "$@" "$filter" "$dir/config.json" >"$tmp"; then
    rm -f "$tmp"
    echo "bundle_edit: jq filter failed: $filter" >&2
    return 1
  fi
  mv "$tmp" "$dir/config.json"
}

# make_bundle DIR [FILTER [jq options...]]: DIR/rootfs (busybox) and
# DIR/config.json from `berth spec` with process.terminal=false, then FILTER
# applied with jq (set .process.args there), e.g.
#   make_bundle "$b" '.process.args = ["hostname"] | .hostname = "box"'
make_bundle() {
  local dir=${1:?make_bundle: DIR missing}
  shift
  mkdir -p "$dir" || return 1
  make_busybox_rootfs "$dir/rootfs" || return 1
  rm -f "$dir/config.json"
  local out
  if ! out="$("${BERTH:?make_bundle: BERTH not set}" spec --bundle "$dir" 2>&1)"; then
    echo "make_bundle: $BERTH spec --bundle $dir failed: $out" >&2
    return 1
  fi
  bundle_edit "$dir" '.process.terminal = false' || return 1
  if (($# > 0)); then
    bundle_edit "$dir" "$@" || return 1
  fi
}
