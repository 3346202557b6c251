/* tmpcopyup: a detached tmpfs filled with a copy of the directory it is
 * about to cover, then attached. */
#include "storage/storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

#define COPY_MAX_DEPTH 128

static int copy_tree(int src_dir, int dst_dir, const char *where, int depth, berth_error_t *err);

static int copy_regular(int src_dir, int dst_dir, const char *name, const struct stat *st,
                        const char *where, berth_error_t *err)
{
  _cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    return berth_fail_sys(err, "tmpcopyup: open %s/%s", where, name);
  _cleanup_close_ int out
      = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    return berth_fail_sys(err, "tmpcopyup: create %s/%s", where, name);
  for (off_t left = st->st_size; left > 0;)
    {
      ssize_t n = sendfile(out, in, NULL, left > (1 << 30) ? (1 << 30) : (size_t) left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_fail_sys(err, "tmpcopyup: copy %s/%s", where, name);
      if (n == 0)
        break; /* the file shrank */
      left -= n;
    }
  return 0;
}

static int copy_entry(int src_dir, int dst_dir, const char *name, const char *where, int depth,
                      berth_error_t *err)
{
  struct stat st;
  if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return berth_fail_sys(err, "tmpcopyup: stat %s/%s", where, name);
  int r = 0;
  if (S_ISDIR(st.st_mode))
    {
      if (mkdirat(dst_dir, name, 0700) < 0)
        return berth_fail_sys(err, "tmpcopyup: mkdir %s/%s", where, name);
      const int dflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
      _cleanup_close_ int s = openat(src_dir, name, dflags);
      _cleanup_close_ int d = openat(dst_dir, name, dflags);
      if (s < 0 || d < 0)
        return berth_fail_sys(err, "tmpcopyup: open %s/%s", where, name);
      _cleanup_free_ char *sub = xasprintf("%s/%s", where, name);
      r = copy_tree(s, d, sub, depth + 1, err);
    }
  else if (S_ISREG(st.st_mode))
    r = copy_regular(src_dir, dst_dir, name, &st, where, err);
  else if (S_ISLNK(st.st_mode))
    {
      _cleanup_free_ char *target = xmalloc(st.st_size + 1);
      ssize_t n = readlinkat(src_dir, name, target, st.st_size + 1);
      if (n < 0 || n > st.st_size)
        return berth_fail(err, n < 0 ? errno : EIO, "tmpcopyup: readlink %s/%s", where, name);
      target[n] = '\0';
      if (symlinkat(target, dst_dir, name) < 0)
        return berth_fail_sys(err, "tmpcopyup: symlink %s/%s", where, name);
    }
  else if (mknodat(dst_dir, name, st.st_mode, st.st_rdev) < 0)
    return berth_fail_sys(err, "tmpcopyup: mknod %s/%s", where, name);
  if (r < 0)
    return r;
  if (fchownat(dst_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return berth_fail_sys(err, "tmpcopyup: chown %s/%s", where, name);
  if (!S_ISLNK(st.st_mode) && fchmodat(dst_dir, name, st.st_mode & 07777, 0) < 0)
    return berth_fail_sys(err, "tmpcopyup: chmod %s/%s", where, name);
  return 0;
}

static int copy_tree(int src_dir, int dst_dir, const char *where, int depth, berth_error_t *err)
{
  if (depth > COPY_MAX_DEPTH)
    return berth_fail(err, ELOOP, "tmpcopyup: %s is nested too deep", where);
  int dup_fd = fcntl(src_dir, F_DUPFD_CLOEXEC, 3);
  if (dup_fd < 0)
    return berth_fail_sys(err, "tmpcopyup: dup");
  _cleanup_closedir_ DIR *d = fdopendir(dup_fd);
  if (!d)
    {
      close(dup_fd);
      return berth_fail_sys(err, "tmpcopyup: read %s", where);
    }
  struct dirent *e;
  while ((errno = 0, e = readdir(d)))
    {
      if (str_eq(e->d_name, ".") || str_eq(e->d_name, ".."))
        continue;
      if (copy_entry(src_dir, dst_dir, e->d_name, where, depth, err) < 0)
        return berth_error_ret(*err);
    }
  if (errno)
    return berth_fail_sys(err, "tmpcopyup: read %s", where);
  return 0;
}

static int configure_tmpfs(int fs, const char *source, const char *data, berth_error_t *err)
{
  if (source && fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0) < 0)
    return berth_fail_sys(err, "tmpfs source \"%s\"", source);
  if (data)
    {
      _cleanup_free_ char *copy = xstrdup(data);
      char *save = NULL;
      for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save))
        {
          char *eq = strchr(o, '=');
          if (eq)
            *eq = '\0';
          int r = eq ? fsconfig(fs, FSCONFIG_SET_STRING, o, eq + 1, 0)
                     : fsconfig(fs, FSCONFIG_SET_FLAG, o, NULL, 0);
          if (r < 0)
            return berth_fail_sys(err, "tmpfs option %s", o);
        }
    }
  if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return berth_fail_sys(err, "create a tmpfs");
  return 0;
}

static unsigned ms_to_attr_flags(unsigned long flags)
{
  unsigned a = 0;
  if (flags & MS_NOSUID)
    a |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV)
    a |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC)
    a |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME)
    a |= MOUNT_ATTR_NODIRATIME;
  if (flags & MS_NOATIME)
    a |= MOUNT_ATTR_NOATIME;
  else if (flags & MS_STRICTATIME)
    a |= MOUNT_ATTR_STRICTATIME;
  return a;
}

int storage_mount_tmpfs_copyup(int target_fd, const char *source, unsigned long flags, const char *data,
                               berth_error_t *err)
{
  _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0)
    return berth_fail_sys(err, "tmpcopyup: fsopen tmpfs");
  if (configure_tmpfs(fs, source, data, err) < 0)
    return berth_error_ret(*err);
  /* writable while it is filled; read-only (if asked) just before attaching */
  _cleanup_close_ int mnt = fsmount(fs, FSMOUNT_CLOEXEC, ms_to_attr_flags(flags));
  if (mnt < 0)
    return berth_fail_sys(err, "tmpcopyup: fsmount");

  _cleanup_free_ char *proc = storage_fd_path(target_fd);
  _cleanup_close_ int src = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src < 0)
    return berth_fail_sys(err, "tmpcopyup: open the directory to copy");
  if (copy_tree(src, mnt, ".", 0, err) < 0)
    return berth_error_ret(*err);

  if (flags & MS_RDONLY)
    {
      struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
      if (mount_setattr(mnt, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
        return berth_fail_sys(err, "tmpcopyup: make the tmpfs read-only");
    }
  if (move_mount(mnt, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return berth_fail_sys(err, "tmpcopyup: attach the tmpfs");
  return 0;
}
