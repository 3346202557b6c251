/* Checked procfs handles and writes below them (procfs.h). */
#include "storage/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"
#include "util/util.h"

#define PROC_ROOT_INO 1

bool procfs_fd_is_procfs(int fd)
{
  struct statfs sf;
  return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

bool procfs_fd_is_root(int fd)
{
  struct stat st;
  return procfs_fd_is_procfs(fd) && fstat(fd, &st) == 0 && st.st_ino == PROC_ROOT_INO;
}

/* -errno when the kernel, a seccomp filter or the namespaces refuse
 * (no CAP_SYS_ADMIN over the pid namespace's owner, /proc not fully
 * visible in a user namespace...) */
static int open_private_instance(bool pids_only)
{
  _cleanup_close_ int fs = fsopen("proc", FSOPEN_CLOEXEC);
  if (fs < 0)
    return -errno;
  /* subset=pid is Linux 5.8; a full instance serves as well */
  if (pids_only)
    (void) fsconfig(fs, FSCONFIG_SET_STRING, "subset", "pid", 0);
  if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -errno;
  int mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (mnt < 0)
    return -errno;
  if (!procfs_fd_is_root(mnt))
    {
      close(mnt);
      return -EXDEV;
    }
  return mnt;
}

static int open_mounted(berth_error_t *err)
{
  _cleanup_close_ int fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "open /proc");
  if (!procfs_fd_is_root(fd))
    return berth_fail(err, 0, "/proc is not the root of a procfs (something else is mounted there)");
  return steal_fd(&fd);
}

int procfs_open(enum procfs_kind kind, berth_error_t *err)
{
  if (kind != PROCFS_MOUNTED)
    {
      int fd = open_private_instance(kind == PROCFS_PIDS);
      if (fd >= 0)
        return fd;
      berth_log_debug("a private procfs instance: %s, using /proc", strerror(-fd));
    }
  return open_mounted(err);
}

/* berth's own constant paths and validated sysctl keys: a '/' or ".."
 * here is a bug or an attack */
static int check_relative(const char *path, berth_error_t *err)
{
  if (!*path || path[0] == '/')
    return berth_fail(err, EINVAL, "/proc/%s: not a path below /proc", path);
  for (const char *p = path; p; p = strchr(p, '/'))
    {
      if (*p == '/')
        p++;
      if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
        return berth_fail(err, EINVAL, "/proc/%s: \"..\" is not allowed", path);
    }
  return 0;
}

static int fail_open(const char *path, int errnum, berth_error_t *err)
{
  if (errnum == EXDEV)
    return berth_fail(err, EXDEV,
                      "open /proc/%s: something is mounted over procfs on the way (refused)", path);
  if (errnum == ELOOP)
    return berth_fail(err, ELOOP, "open /proc/%s: a magic link or symlink loop on the way", path);
  return berth_fail(err, errnum, "open /proc/%s", path);
}

/* the mnt_id line of /proc/self/fdinfo/FD, read through the handle */
static int mount_id_of(int proc_fd, int fd)
{
  _cleanup_free_ char *info = xasprintf("self/fdinfo/%d", fd);
  _cleanup_close_ int ifd = openat(proc_fd, info, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (ifd < 0)
    return -1;
  _cleanup_free_ char *text = NULL;
  size_t len;
  _cleanup_error_ berth_error_t ignored = NULL;
  if (read_all_fd(ifd, 4096, &text, &len, &ignored) < 0)
    return -1;
  const char *line = strstr(text, "mnt_id:");
  if (!line)
    return -1;
  long long id;
  char *end;
  id = strtoll(line + strlen("mnt_id:"), &end, 10);
  return end == line + strlen("mnt_id:") || id < 0 ? -1 : (int) id;
}

int procfs_open_file_legacy(int proc_fd, const char *path, int open_flags, berth_error_t *err)
{
  if (check_relative(path, err) < 0)
    return berth_error_ret(*err);
  _cleanup_close_ int fd = openat(proc_fd, path, open_flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return fail_open(path, errno, err);
  if (!procfs_fd_is_procfs(fd))
    return fail_open(path, EXDEV, err);
  int root_mnt = mount_id_of(proc_fd, proc_fd);
  int file_mnt = mount_id_of(proc_fd, fd);
  if (root_mnt < 0 || file_mnt < 0)
    return berth_fail(err, 0, "open /proc/%s: cannot tell which mount it is on", path);
  if (root_mnt != file_mnt)
    return fail_open(path, EXDEV, err);
  return steal_fd(&fd);
}

int procfs_open_file(int proc_fd, const char *path, int open_flags, berth_error_t *err)
{
  if (check_relative(path, err) < 0)
    return berth_error_ret(*err);
  /* openat2 refuses O_PATH with any flag it ignores */
  int extra = (open_flags & O_PATH) ? 0 : O_NOCTTY;
  struct open_how how = {
    .flags = (uint64_t) (open_flags | extra | O_CLOEXEC),
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  int fd;
  do
    fd = (int) syscall(SYS_openat2, proc_fd, path, &how, sizeof how);
  while (fd < 0 && errno == EAGAIN);
  if (fd >= 0)
    return fd;
  if (errno == ENOSYS || errno == EPERM)
    return procfs_open_file_legacy(proc_fd, path, open_flags, err);
  return fail_open(path, errno, err);
}

int procfs_write(int proc_fd, const char *path, const char *data, size_t len, berth_error_t *err)
{
  _cleanup_close_ int fd = procfs_open_file(proc_fd, path, O_WRONLY, err);
  if (fd < 0)
    return berth_error_ret(*err);
  ssize_t w;
  do
    w = write(fd, data, len);
  while (w < 0 && errno == EINTR);
  if (w < 0)
    return berth_fail_sys(err, "write /proc/%s", path);
  if ((size_t) w != len)
    return berth_fail(err, EIO, "write /proc/%s: short write", path);
  return 0;
}

int procfs_write_once(enum procfs_kind kind, const char *path, const char *data, size_t len,
                      berth_error_t *err)
{
  _cleanup_close_ int proc = procfs_open(kind, err);
  if (proc < 0)
    return berth_error_ret(*err);
  return procfs_write(proc, path, data, len, err);
}

bool procfs_exists(int proc_fd, const char *path)
{
  _cleanup_error_ berth_error_t ignored = NULL;
  _cleanup_close_ int fd = procfs_open_file(proc_fd, path, O_PATH, &ignored);
  return fd >= 0;
}
