#!/usr/bin/env bats
# seccomp and syscalls newer than the profile (issue 19): with an errno
# defaultAction, a syscall no rule names and newer than every syscall the
# profile names (syscall(1000)), and clone3/faccessat2 when unnamed, fail
# with ENOSYS so that glibc falls back to the old call; explicit rules and
# older unnamed syscalls keep their errno. Compared with runc 1.1.5.

load ../helpers

setup() {
  ID="$(unique_id enosys)"
  B="$BATS_TEST_TMPDIR/b"
  command -v gcc >/dev/null || skip "gcc is needed to build the probe"
  cat >"$BATS_TEST_TMPDIR/probe.c" <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
static void probe(const char *name, long nr)
{
  errno = 0;
  long r = syscall(nr, 0, 0, 0);
  printf("%s=%s\n", name, r < 0 ? strerrorname_np(errno) : "ok");
}
int main(void)
{
  probe("sys1000", 1000);
  probe("clone3", SYS_clone3);
  probe("pidfd_getfd", SYS_pidfd_getfd);
  probe("sethostname", SYS_sethostname);
  fflush(stdout);
  return 0;
}
C
  gcc -static -O1 -o "$BATS_TEST_TMPDIR/probe" "$BATS_TEST_TMPDIR/probe.c"
}

teardown() {
  cleanup_containers
}

# an EPERM profile allowing what a static program and busybox need; it
# names pidfd_getfd (438, newer than clone3) with an explicit EPERM
profile() {
  jq -n '{
    defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1,
    architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    syscalls: [
      {names: ["read", "write", "writev", "openat", "open", "close", "fstat", "newfstatat", "stat",
               "lseek", "mmap", "munmap", "mprotect", "brk", "rt_sigaction", "rt_sigprocmask",
               "rt_sigreturn", "ioctl", "access", "execve", "exit", "exit_group", "arch_prctl",
               "set_tid_address", "set_robust_list", "rseq", "prlimit64", "getrandom", "uname",
               "readlink", "getpid", "gettid", "getuid", "geteuid", "getgid", "getegid", "fcntl",
               "futex", "clock_gettime", "nanosleep", "dup2", "dup3", "pipe2", "wait4", "kill",
               "fstatfs", "statfs", "sched_yield", "sigaltstack", "madvise", "clone", "getppid",
               "tgkill", "capget", "capset", "prctl", "setgroups", "setresuid", "setresgid",
               "sched_getaffinity", "close_range", "getdents64", "fchdir", "chdir", "umask",
               "epoll_create1", "epoll_ctl", "epoll_pwait", "mincore", "keyctl", "socket",
               "connect", "sendmsg", "getcwd", "fchown", "fchmod", "setsid", "mkdirat"],
       action: "SCMP_ACT_ALLOW"},
      {names: ["pidfd_getfd"], action: "SCMP_ACT_ERRNO", errnoRet: 1}
    ]}'
}

bundle() {
  make_bundle "$B" '.process.args = ["/probe"] | .linux.seccomp = $sc | .process.noNewPrivileges = true' \
    --argjson sc "$(profile)"
  cp "$BATS_TEST_TMPDIR/probe" "$B/rootfs/probe"
}

@test "seccomp: syscall(1000) and an unnamed clone3 get ENOSYS, explicit and older unnamed ones keep EPERM" {
  bundle
  run berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"sys1000=ENOSYS"* ]]
  [[ "$output" == *"clone3=ENOSYS"* ]]
  [[ "$output" == *"pidfd_getfd=EPERM"* ]]
  [[ "$output" == *"sethostname=EPERM"* ]]
}

@test "seccomp: runc 1.1.5 gives syscall(1000) ENOSYS too (the oracle)" {
  command -v "$RUNC" >/dev/null || skip "no runc"
  bundle
  bundle_edit "$B" '.linux.cgroupsPath = $p' --arg p "$BERTH_TEST_CGROUP_PREFIX/$ID"
  run oracle_runc run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"sys1000=ENOSYS"* ]]
  [[ "$output" == *"pidfd_getfd=EPERM"* ]]
  [[ "$output" == *"sethostname=EPERM"* ]]
}

@test "seccomp: a profile that names clone3 keeps its action; an ALLOW default adds nothing" {
  bundle
  bundle_edit "$B" '.linux.seccomp.syscalls += [{names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 13}]'
  run berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"clone3=EACCES"* ]]
  [[ "$output" == *"sys1000=ENOSYS"* ]]
  bundle_edit "$B" '.linux.seccomp.defaultAction = "SCMP_ACT_ALLOW" | del(.linux.seccomp.defaultErrnoRet)'
  run berth run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"pidfd_getfd=EPERM"* ]]
  [[ "$output" == *"sethostname=EPERM"* ]] # no CAP_SYS_ADMIN: the kernel says so
  [[ "$output" == *"clone3=EACCES"* ]]
}
