/* procfs handles: the root checks, writes below a handle, and what the
 * resolution refuses (magic links, "..", absolute paths), with openat2 and
 * with the fallback without it (no root needed). */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/procfs.h"
#include "tap.h"
#include "util/util.h"

typedef int (*open_fn)(int, const char *, int, berth_error_t *);

static void test_handle(enum procfs_kind kind, const char *name)
{
  _cleanup_error_ berth_error_t err = NULL;
  _cleanup_close_ int proc = procfs_open(kind, &err);
  ok(proc >= 0, "%s: procfs_open", name);
  struct stat st;
  ok(proc >= 0 && procfs_fd_is_procfs(proc) && fstat(proc, &st) == 0 && st.st_ino == 1,
     "%s: the handle is the root of a procfs", name);
}

static void test_open(open_fn fn, const char *name)
{
  _cleanup_error_ berth_error_t err = NULL;
  _cleanup_close_ int proc = procfs_open(PROCFS_PIDS, &err);
  _cleanup_close_ int status = fn(proc, "self/status", O_RDONLY, &err);
  ok(status >= 0, "%s: self/status opens", name);

  _cleanup_error_ berth_error_t e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
  is_err(fn(proc, "self/fd/0", O_RDONLY, &e1), e1, "/proc/self/fd/0", "%s: a magic link is refused",
         name);
  is_err(fn(proc, "../etc/passwd", O_RDONLY, &e2), e2, "\"..\"", "%s: .. is refused", name);
  is_err(fn(proc, "/etc/passwd", O_RDONLY, &e3), e3, "not a path below /proc",
         "%s: an absolute path is refused", name);
  is_err(fn(proc, "self/nothere", O_RDONLY, &e4), e4, "/proc/self/nothere", "%s: a miss names the file",
         name);
  ok(e4 && e4->errnum == ENOENT, "%s: a miss is ENOENT", name);
}

static void test_write(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  ok(procfs_write_once(PROCFS_PIDS, "self/comm", "tap-procfs", 10, &err) == 0, "write self/comm");
  _cleanup_free_ char *comm = NULL;
  size_t len;
  ok(read_file_at(AT_FDCWD, "/proc/self/comm", 64, &comm, &len, &err) == 0, "read /proc/self/comm");
  is_str(comm, "tap-procfs\n", "the write went into our own comm");
  _cleanup_close_ int proc = procfs_open(PROCFS_MOUNTED, &err);
  ok(procfs_exists(proc, "self/comm"), "self/comm exists");
  ok(!procfs_exists(proc, "self/nothere"), "self/nothere does not");
}

/* as root, in a private mount namespace of a child: a tmpfs over
 * /proc/sys/kernel must stop a write through the mounted /proc, with
 * openat2 and without; the child's exit status carries the verdicts */
static int overmounted_child(void)
{
  if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0
      || mount("tmpfs", "/proc/sys/kernel", "tmpfs", 0, NULL) < 0
      || write_all(open("/proc/sys/kernel/ostype", O_WRONLY | O_CREAT | O_CLOEXEC, 0644), "x", 1) < 0)
    return 100;
  int verdict = 0;
  berth_error_t e = NULL;
  int proc = procfs_open(PROCFS_MOUNTED, &e);
  if (proc < 0)
    return 101;
  if (procfs_open_file(proc, "sys/kernel/ostype", O_RDONLY, &e) >= 0 || e->errnum != EXDEV)
    verdict |= 1;
  berth_error_free(&e);
  if (procfs_open_file_legacy(proc, "sys/kernel/ostype", O_RDONLY, &e) >= 0 || e->errnum != EXDEV)
    verdict |= 2;
  berth_error_free(&e);
  /* a private instance does not see the mount at all */
  int priv = procfs_open(PROCFS_FULL, &e);
  if (priv < 0 || procfs_open_file(priv, "sys/kernel/ostype", O_RDONLY, &e) < 0)
    verdict |= 4;
  berth_error_free(&e);
  return verdict;
}

static void test_overmount(void)
{
  if (geteuid() != 0)
    {
      printf("ok %d # SKIP overmounted /proc: not root\n", ++tap_n);
      return;
    }
  pid_t pid = fork();
  if (pid == 0)
    _exit(overmounted_child());
  int status = 0;
  waitpid(pid, &status, 0);
  int v = WIFEXITED(status) ? WEXITSTATUS(status) : 200;
  ok(v < 100, "overmount set up in a child (status %d)", v);
  ok(v < 100 && !(v & 1), "openat2: a tmpfs over /proc/sys/kernel is refused (EXDEV)");
  ok(v < 100 && !(v & 2), "legacy: a tmpfs over /proc/sys/kernel is refused (EXDEV)");
  ok(v < 100 && !(v & 4), "a private instance reaches the real sys/kernel/ostype");
}

int main(void)
{
  test_handle(PROCFS_PIDS, "pids");
  test_handle(PROCFS_FULL, "full");
  test_handle(PROCFS_MOUNTED, "mounted");
  test_open(procfs_open_file, "openat2");
  test_open(procfs_open_file_legacy, "legacy");
  test_write();
  test_overmount();
  return tap_done();
}
