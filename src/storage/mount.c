/* Mount helpers on O_PATH targets: the new mount API (open_tree,
 * move_mount, mount_setattr) where the kernel has it, mount(2) through
 * /proc/self/fd/N otherwise. */
#include "storage/storage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "util/util.h"

#define ATTR_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NODIRATIME)
#define ATIME_FLAGS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)
/* the flags a bind remount may carry (MS_REMOUNT|MS_BIND changes only these) */
#define REMOUNT_KEEP (ATTR_FLAGS | ATIME_FLAGS)
/* what a recursive bind also gives every submount: only restrictions */
#define RECURSIVE_RESTRICT (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)

static void ms_to_attr(unsigned long flags, struct mount_attr *a)
{
  if (flags & MS_RDONLY)
    a->attr_set |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID)
    a->attr_set |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV)
    a->attr_set |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC)
    a->attr_set |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME)
    a->attr_set |= MOUNT_ATTR_NODIRATIME;
  if (flags & ATIME_FLAGS)
    {
      a->attr_clr |= MOUNT_ATTR__ATIME;
      if (flags & MS_NOATIME)
        a->attr_set |= MOUNT_ATTR_NOATIME;
      else if (flags & MS_STRICTATIME)
        a->attr_set |= MOUNT_ATTR_STRICTATIME;
      else
        a->attr_set |= MOUNT_ATTR_RELATIME;
    }
}

/* mount(2) on the directory target_fd names, reached as "." rather than
 * as /proc/self/fd/N: after pivot_root that path would be looked up in
 * the container's /proc, which may be the image's own directory */
static int mount_on_dir_fd(const char *source, int target_fd, const char *type,
                           unsigned long flags, const char *data)
{
  _cleanup_close_ int saved = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (saved < 0 || fchdir(target_fd) < 0)
    return -1;
  int r = mount(source, ".", type, flags, data);
  int saved_errno = errno;
  if (fchdir(saved) < 0)
    return -1;
  errno = saved_errno;
  return r;
}

int storage_mount_fs(const char *source, int target_fd, const char *type, unsigned long flags,
                     const char *data, berth_error_t *err)
{
  struct stat st;
  int r;
  if (fstat(target_fd, &st) == 0 && S_ISDIR(st.st_mode))
    r = mount_on_dir_fd(source, target_fd, type, flags, data);
  else
    {
      _cleanup_free_ char *target = storage_fd_path(target_fd);
      r = mount(source, target, type, flags, data);
    }
  if (r < 0)
    return berth_fail_sys(err, "mount %s (type %s, options %s)", source ? source : "none",
                          type ? type : "none", data ? data : "none");
  return 0;
}

/* current MS_* flags of the mount the fd is on */
static int mount_flags_of(int fd, unsigned long *out, berth_error_t *err)
{
  struct statvfs sv;
  if (fstatvfs(fd, &sv) < 0)
    return berth_fail_sys(err, "statvfs of a mount");
  static const struct
  {
    unsigned long st, ms;
  } map[] = {
    { ST_RDONLY, MS_RDONLY },     { ST_NOSUID, MS_NOSUID },         { ST_NODEV, MS_NODEV },
    { ST_NOEXEC, MS_NOEXEC },     { ST_NODIRATIME, MS_NODIRATIME }, { ST_NOATIME, MS_NOATIME },
    { ST_RELATIME, MS_RELATIME },
  };
  *out = 0;
  for (size_t i = 0; i < ARRAY_SIZE(map); i++)
    if (sv.f_flag & map[i].st)
      *out |= map[i].ms;
  return 0;
}

int storage_remount_flags(int target_fd, unsigned long flags, bool recursive, berth_error_t *err)
{
  struct mount_attr attr = { 0 };
  ms_to_attr(flags, &attr);
  if (mount_setattr(target_fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                    sizeof attr)
      == 0)
    return 0;
  if (errno != ENOSYS)
    return berth_fail_sys(err, "set mount attributes");
  if (recursive)
    return berth_fail(err, ENOSYS, "recursive mount attributes need mount_setattr (Linux 5.12)");

  unsigned long current = 0;
  if (mount_flags_of(target_fd, &current, err) < 0)
    return berth_error_ret(*err);
  if (flags & ATIME_FLAGS)
    current &= ~(unsigned long) ATIME_FLAGS;
  _cleanup_free_ char *target = storage_fd_path(target_fd);
  if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | current | (flags & REMOUNT_KEEP), NULL) < 0)
    return berth_fail_sys(err, "remount");
  return 0;
}

/* The new top mount at the place tfd names: the fd itself names what is
 * below it, so its path is opened again and must be the bind's source. */
static int reopen_bind_top(int tfd, const char *spath, const char *target, berth_error_t *err)
{
  _cleanup_free_ char *fdpath = storage_fd_path(tfd);
  _cleanup_free_ char *where = NULL;
  for (size_t size = 256; !where; size *= 2)
    {
      _cleanup_free_ char *buf = xmalloc(size);
      ssize_t n = readlink(fdpath, buf, size);
      if (n < 0)
        return berth_fail_sys(err, "bind on %s: where is the target", target);
      if ((size_t) n < size)
        {
          buf[n] = '\0';
          where = steal_pointer(&buf);
        }
    }
  _cleanup_close_ int top = open(where, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat want, got;
  if (top < 0 || stat(spath, &want) < 0 || fstat(top, &got) < 0)
    return berth_fail_sys(err, "bind on %s: reopen the new mount", target);
  if (want.st_dev != got.st_dev || want.st_ino != got.st_ino)
    return berth_fail(err, EXDEV, "bind on %s: the new mount moved away", target);
  return steal_fd(&top);
}

static int bind_legacy(const char *src_path, int src_fd, int tfd, const char *target,
                       bool recursive, unsigned long flags, berth_error_t *err)
{
  _cleanup_free_ char *tpath = storage_fd_path(tfd);
  _cleanup_free_ char *spath = src_path ? xstrdup(src_path) : storage_fd_path(src_fd);
  if (mount(spath, tpath, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0)
    return berth_fail_sys(err, "bind %s on %s", src_path ? src_path : "fd", target);
  if (!(flags & REMOUNT_KEEP))
    return 0;
  _cleanup_close_ int top = reopen_bind_top(tfd, spath, target, err);
  if (top < 0)
    return berth_error_ret(*err);
  if (storage_remount_flags(top, flags, false, err) < 0)
    return berth_wrap(err, "remount %s", target);
  if (recursive && (flags & RECURSIVE_RESTRICT)
      && storage_remount_flags(top, flags & RECURSIVE_RESTRICT, true, err) < 0)
    return berth_wrap(err, "remount the submounts of %s", target);
  return 0;
}

int storage_bind(const char *src_path, int src_fd, int root_fd, const char *target, bool recursive,
                 unsigned long flags, berth_error_t *err)
{
  _cleanup_close_ int tfd = storage_open_in_root(root_fd, target, O_PATH, 0, err);
  if (tfd < 0)
    return berth_error_ret(*err);
  return storage_bind_fd(src_path, src_fd, tfd, target, recursive, flags, err);
}

/* open_tree(OPEN_TREE_CLONE) with the bind's flags set on the copy; -1
 * with errno ENOSYS untouched (the caller falls back to mount(2)) */
static int open_bind_tree(const char *src_path, int src_fd, const char *target, bool recursive,
                          unsigned long flags, berth_error_t *err)
{
  unsigned tree_flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  _cleanup_close_ int tree = src_path ? open_tree(AT_FDCWD, src_path, tree_flags)
                                      : open_tree(src_fd, "", tree_flags | AT_EMPTY_PATH);
  if (tree < 0 && errno == ENOSYS)
    return -1;
  const char *what = src_path ? src_path : "fd";
  if (tree < 0)
    return berth_fail_sys(err, "bind %s on %s: open_tree", what, target);

  if (flags & REMOUNT_KEEP)
    {
      struct mount_attr attr = { 0 };
      ms_to_attr(flags, &attr);
      if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
        return berth_fail_sys(err, "bind %s on %s: set attributes", what, target);
    }
  if (recursive && (flags & RECURSIVE_RESTRICT))
    {
      /* a submount left writable (or suid, dev, exec) under a ro rbind
       * would be a way around the restriction */
      struct mount_attr attr = { 0 };
      ms_to_attr(flags & RECURSIVE_RESTRICT, &attr);
      if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        return berth_fail_sys(err, "bind %s on %s: set attributes on the submounts", what,
                              target);
    }
  return steal_fd(&tree);
}

int storage_open_bind_tree(const char *src_path, bool recursive, unsigned long flags,
                           berth_error_t *err)
{
  berth_error_t e = NULL;
  int tree = open_bind_tree(src_path, -1, src_path, recursive, flags, &e);
  if (tree < 0 && !e)
    return berth_fail(err, ENOSYS, "bind %s: open_tree needs Linux 5.2", src_path);
  if (tree < 0)
    *err = e;
  return tree;
}

int storage_attach_tree(int tree, int tfd, const char *target, berth_error_t *err)
{
  if (move_mount(tree, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return berth_fail_sys(err, "attach a mount tree on %s", target);
  /* a copy of a shared mount made in another mount namespace: whatever
   * the kernel made of its peer group, mounts made on it here must not
   * propagate back there (the tree's fd names its root, attached now) */
  _cleanup_free_ char *path = storage_fd_path(tree);
  if (mount(NULL, path, NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return berth_fail_sys(err, "make the mount on %s a slave", target);
  return 0;
}

int storage_bind_fd(const char *src_path, int src_fd, int tfd, const char *target, bool recursive,
                    unsigned long flags, berth_error_t *err)
{
  berth_error_t e = NULL;
  _cleanup_close_ int tree = open_bind_tree(src_path, src_fd, target, recursive, flags, &e);
  if (tree < 0 && !e)
    return bind_legacy(src_path, src_fd, tfd, target, recursive, flags, err);
  if (tree < 0)
    {
      *err = e;
      return berth_error_ret(*err);
    }
  if (move_mount(tree, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return berth_fail_sys(err, "bind %s on %s", src_path ? src_path : "fd", target);
  return 0;
}

int storage_set_recursive_attr(int target_fd, uint64_t attr_set, uint64_t attr_clr,
                               berth_error_t *err)
{
  struct mount_attr attr = { .attr_set = attr_set, .attr_clr = attr_clr };
  if (mount_setattr(target_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    return berth_fail_sys(err, "set recursive mount attributes");
  return 0;
}

int storage_set_propagation(int target_fd, enum storage_propagation p, berth_error_t *err)
{
  unsigned long flags = storage_propagation_flags(p);
  if (!flags)
    return 0;
  _cleanup_free_ char *target = storage_fd_path(target_fd);
  if (mount(NULL, target, NULL, flags, NULL) < 0)
    return berth_fail_sys(err, "set mount propagation");
  return 0;
}
