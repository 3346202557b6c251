# tests/clients/clients.bash: what tests/clients/*.bats load after ../helpers.
# Real engines (Debian 12: podman 4.3 + conmon 2.1, containerd 1.6 + ctr,
# umoci) drive the berth under test ($BERTH). Everything they keep lives in
# the suite's $BATS_FILE_TMPDIR; what they put elsewhere (cgroups, shim
# sockets in /run/containerd/s) is removed in teardown_file.
#
#   clients_require_packages PKG...  installs missing Debian packages
#                          (dpkg first; apt-get only when one is missing and
#                          BERTH_TESTS_NO_INSTALL is not 1); skips the suite
#                          when they cannot be had
#   clients_image_rootfs DIR         busybox rootfs for images (tests/lib)
#   in_time SECONDS CMD...           CMD without bats' fd 3, killed after SECONDS
#   cgroup_dirs_of PATH              the v1/v2 dirs of PATH that exist
#   rmdir_cgroup PATH                rmdir PATH in every hierarchy (if empty)

# clients_require_packages PKG...: the engines come from Debian; tests/run's
# install-deps.sh installs them from tests/packages.txt, this covers a suite
# run on its own.
clients_require_packages() {
  local p missing=()
  for p in "$@"; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ "${BERTH_TESTS_NO_INSTALL:-0}" == 1 || $EUID -ne 0 ]]; then
    skip "packages missing: ${missing[*]} (apt-get install them)"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } ||
    skip "could not install ${missing[*]}"
}

# in_time SECONDS CMD...: a client command that cannot hang the suite: bats'
# TAP fd 3 closed (conmon and the containerd shims are daemons that would
# inherit it), killed after SECONDS.
in_time() {
  local secs=$1
  shift
  timeout -k 5 "$secs" "$@" 3>&-
}

_clients_cgroup_mounts() {
  awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i+1) == "cgroup" || $(i+1) == "cgroup2") print $5; break } }' \
    /proc/self/mountinfo | sort -u
}

# cgroup_dirs_of PATH: PATH (absolute cgroupsPath) in every hierarchy where it exists
cgroup_dirs_of() {
  local mnt
  while read -r mnt; do
    [[ -d "$mnt$1" ]] && echo "$mnt$1"
  done < <(_clients_cgroup_mounts)
  return 0
}

# rmdir_cgroup PATH: remove PATH (and nothing that still has tasks) everywhere
rmdir_cgroup() {
  local dir
  while read -r dir; do
    rmdir "$dir" 2>/dev/null || true
  done < <(cgroup_dirs_of "$1")
}

# umount_under DIR: lazily unmount whatever an engine left mounted below DIR
umount_under() {
  local mnt
  while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done < <(awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}

clients_image_rootfs() {
  make_busybox_rootfs "$1"
}

# clients_start_containerd DIR [SED-EXPR...]: containerd on contrib's config
# (BinaryName = $BERTH, then the SED-EXPR edits), its root, state and socket
# in DIR, its pid in DIR/containerd.pid; returns once it answers
clients_start_containerd() {
  local dir=$1 cfg="$1/config.toml" e
  shift
  local edits=(-e "s|^\( *BinaryName = \).*|\1\"$BERTH\"|")
  for e in "$@"; do edits+=(-e "$e"); done
  {
    echo "root = \"$dir/root\""
    echo "state = \"$dir/state\""
    sed "${edits[@]}" "$REPO/contrib/containerd/config.toml"
    echo
    echo "[grpc]"
    echo "  address = \"$dir/containerd.sock\""
  } >"$cfg"
  containerd --config "$cfg" </dev/null >"$dir/containerd.log" 2>&1 3>&- &
  echo $! >"$dir/containerd.pid"
  for _ in $(seq 300); do
    in_time 10 ctr --address "$dir/containerd.sock" version >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$dir/containerd.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "containerd did not start:" >&2
  tail -20 "$dir/containerd.log" >&2
  return 1
}

# ctrd_remove_all: every container of the suite's containerd (`c`, a
# function of the suite, is ctr on it): tasks killed and deleted, containers
# deleted, their /default/<id> cgroups removed
ctrd_remove_all() {
  local id
  for id in $(c containers ls -q 2>/dev/null); do
    c task kill -s SIGKILL "$id" >/dev/null 2>&1
    c task delete -f "$id" >/dev/null 2>&1
    c containers delete "$id" >/dev/null 2>&1
    rmdir_cgroup "/default/$id"
  done
  return 0
}

# our_shims: pids of the shims of the suite's containerd (by -address)
our_shims() {
  local p
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "-address $CTRD_DIR/containerd.sock "; then
      echo "${p#/proc/}"
    fi
  done
}

# make_oci_image TAR: an OCI image layout (umoci) of the busybox rootfs, as
# a tar; the work is done in image/ next to TAR and removed
make_oci_image() {
  local d
  d="$(dirname "$1")/image"
  clients_image_rootfs "$d/rootfs"
  umoci init --layout "$d/oci"
  umoci new --image "$d/oci:berth"
  umoci unpack --image "$d/oci:berth" "$d/bundle" >/dev/null
  cp -a "$d/rootfs/." "$d/bundle/rootfs/"
  umoci repack --image "$d/oci:berth" "$d/bundle" >/dev/null
  umoci config --image "$d/oci:berth" --config.env PATH=/bin:/usr/bin \
    --config.cmd sh --config.workingdir /
  tar -C "$d/oci" -cf "$1" .
  rm -rf "$d/bundle" "$d/rootfs"
}
