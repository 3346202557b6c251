#!/usr/bin/env bash
# Install the Debian packages listed in tests/packages.txt that are missing.
# Idempotent and fast: dpkg is asked first; apt-get (and its update) only
# runs when something is missing. Used by tests/run and contrib/demo.sh.
#   tests/install-deps.sh [-q]    (-q: say nothing when all is installed)
set -euo pipefail

list="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/packages.txt"
quiet=0
[[ "${1:-}" == -q ]] && quiet=1

packages=()
while read -r line; do
  line="${line%%#*}"
  for p in $line; do packages+=("$p"); done
done <"$list"

missing=()
for p in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  ((quiet)) || echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if ((EUID != 0)); then
  echo "install-deps: must run as root to install: ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
