/* procfs handles: the root checks, writes below a handle, and what the
 * resolution refuses (magic links, "..", absolute paths), with openat2 and
 * with the fallback without it (no root needed). */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
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

int main(void)
{
  test_handle(PROCFS_PIDS, "pids");
  test_handle(PROCFS_FULL, "full");
  test_handle(PROCFS_MOUNTED, "mounted");
  test_open(procfs_open_file, "openat2");
  test_open(procfs_open_file_legacy, "legacy");
  test_write();
  return tap_done();
}
