#!/usr/bin/env bash
# tests/fuzz/build.sh [DIR]: the libFuzzer targets of tests/fuzz/*.c in
# DIR (default build-fuzz/ in the source tree): libberth.a configured with
# clang and -fsanitize=fuzzer-no-link,address,undefined, each target linked
# with -fsanitize=fuzzer,address,undefined. Prints the targets' paths.
# Needs clang (tests/packages.txt). See tests/fuzz/README.md.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="$(realpath -m "${1:-$REPO/build-fuzz}")"
CC="${FUZZ_CC:-clang}"
JOBS="${JOBS:-$(nproc)}"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-O1 -g $SAN -fsanitize=fuzzer-no-link"

command -v "$CC" >/dev/null || { echo "build.sh: $CC not found" >&2; exit 1; }
[[ -x "$REPO/configure" ]] || (cd "$REPO" && ./autogen.sh >/dev/null)
mkdir -p "$DIR"
# shared libraries: the static archives are not built with the sanitizers' runtime in mind
want="CC=$CC CFLAGS=$CFLAGS --with-static-libs=no"
if [[ ! -f "$DIR/Makefile" || "$(cat "$DIR/.fuzz-config" 2>/dev/null)" != "$want" ]]; then
  (cd "$DIR" && "$REPO/configure" -q CC="$CC" CFLAGS="$CFLAGS" --with-static-libs=no) >&2
  echo "$want" >"$DIR/.fuzz-config"
fi
make -C "$DIR" -s -j"$JOBS" libberth.a >&2
libs="$(make -C "$DIR" -s --no-print-directory -f Makefile -f - print-libs <<<$'print-libs:\n\t@echo $(BERTH_LIBS)')"
for src in "$REPO"/tests/fuzz/fuzz_*.c; do
  name="$(basename "$src" .c)"
  out="$DIR/$name"
  if [[ ! -x "$out" || "$src" -nt "$out" || "$DIR/libberth.a" -nt "$out" ]]; then
    # shellcheck disable=SC2086 # word splitting of the flag lists is meant
    "$CC" -O1 -g -Wall -Wextra -Werror $SAN -fsanitize=fuzzer -I"$REPO/src" -include "$DIR/config.h" \
      -o "$out" "$src" "$DIR/libberth.a" $libs -lpthread
  fi
  echo "$out"
done
