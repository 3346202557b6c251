/* Lexical path helpers and resolution beneath a root directory fd. */
#include "storage/storage.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/util.h"

/* same limit as the kernel's path walk */
#define MAX_SYMLINKS 40

/* ------------------------------------------------------------ pure helpers */

struct comp_list
{
  char **v;
  size_t n, cap;
};

static void comps_push(struct comp_list *l, const char *s, size_t len)
{
  if (l->n == l->cap)
    {
      l->cap = l->cap ? l->cap * 2 : 8;
      l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
    }
  l->v[l->n++] = xstrndup(s, len);
}

static void comps_pop(struct comp_list *l)
{
  free(l->v[--l->n]);
}

static void comps_free(struct comp_list *l)
{
  while (l->n)
    comps_pop(l);
  free(l->v);
}

char *storage_path_clean(const char *path)
{
  bool absolute = path[0] == '/';
  struct comp_list l = { 0 };
  size_t leading_dotdot = 0;

  for (const char *p = path; *p;)
    {
      while (*p == '/')
        p++;
      const char *end = strchrnul(p, '/');
      size_t len = end - p;
      if (len == 0 || (len == 1 && p[0] == '.'))
        ;
      else if (len == 2 && p[0] == '.' && p[1] == '.')
        {
          if (l.n > leading_dotdot)
            comps_pop(&l);
          else if (!absolute)
            {
              comps_push(&l, p, len);
              leading_dotdot++;
            }
        }
      else
        comps_push(&l, p, len);
      p = end;
    }

  size_t total = 2;
  for (size_t i = 0; i < l.n; i++)
    total += strlen(l.v[i]) + 1;
  char *out = xmalloc(total);
  char *w = out;
  if (absolute)
    *w++ = '/';
  for (size_t i = 0; i < l.n; i++)
    {
      if (i > 0)
        *w++ = '/';
      w = stpcpy(w, l.v[i]);
    }
  if (w == out)
    *w++ = '.';
  *w = '\0';
  comps_free(&l);
  return out;
}

char *storage_path_join(const char *a, const char *b)
{
  /* clean b as an absolute path first so its ".." cannot climb above a */
  _cleanup_free_ char *rel_abs = xasprintf("/%s", b);
  _cleanup_free_ char *rel = storage_path_clean(rel_abs);
  _cleanup_free_ char *joined = xasprintf("%s%s", a, str_eq(rel, "/") ? "" : rel);
  return storage_path_clean(joined);
}

char *storage_path_base(const char *path)
{
  _cleanup_free_ char *c = storage_path_clean(path);
  if (str_eq(c, "/"))
    return xstrdup("/");
  const char *slash = strrchr(c, '/');
  return xstrdup(slash ? slash + 1 : c);
}

char *storage_path_dir(const char *path)
{
  _cleanup_free_ char *c = storage_path_clean(path);
  char *slash = strrchr(c, '/');
  if (!slash)
    return xstrdup(".");
  if (slash == c)
    return xstrdup("/");
  return xstrndup(c, slash - c);
}

char *storage_fd_path(int fd)
{
  return xasprintf("/proc/self/fd/%d", fd);
}

/* ------------------------------------------------------------ openat2 */

static int try_openat2(int root_fd, const char *path, int open_flags, unsigned resolve_flags)
{
  struct open_how how = {
    .flags = (uint64_t) (open_flags | O_CLOEXEC),
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  if (resolve_flags & STORAGE_NOFOLLOW)
    how.flags |= O_NOFOLLOW;
  if (resolve_flags & STORAGE_NO_SYMLINKS)
    how.resolve |= RESOLVE_NO_SYMLINKS;
  /* EAGAIN: a concurrent rename/mount raced the RESOLVE_IN_ROOT walk */
  for (int attempt = 0; attempt < 32; attempt++)
    {
      int fd = (int) syscall(SYS_openat2, root_fd, path, &how, sizeof how);
      if (fd >= 0 || errno != EAGAIN)
        return fd;
    }
  return -1;
}

/* ------------------------------------------------------------ manual walk
 * A stack of O_PATH fds, one per resolved directory, root at index 0: ".."
 * pops (never past the root), an absolute symlink unwinds to the root and
 * a symlink's target is spliced in front of the components still to walk. */

struct fd_stack
{
  int *fds;
  size_t n, cap;
};

static void fds_push(struct fd_stack *s, int fd)
{
  if (s->n == s->cap)
    {
      s->cap = s->cap ? s->cap * 2 : 16;
      s->fds = xreallocarray(s->fds, s->cap, sizeof *s->fds);
    }
  s->fds[s->n++] = fd;
}

static void fds_pop(struct fd_stack *s)
{
  close(s->fds[--s->n]);
}

static void fds_free(struct fd_stack *s)
{
  while (s->n)
    fds_pop(s);
  free(s->fds);
}

/* the components still to walk, kept as one string: "a/b/c" */
static char *splice_link(const char *target, const char *rest)
{
  if (*rest)
    return xasprintf("%s/%s", target, rest);
  return xstrdup(target);
}

static int read_link_at(int fd, char **out)
{
  size_t size = 256;
  for (;;)
    {
      _cleanup_free_ char *buf = xmalloc(size);
      ssize_t n = readlinkat(fd, "", buf, size);
      if (n < 0)
        return -1;
      if ((size_t) n < size)
        {
          buf[n] = '\0';
          *out = steal_pointer(&buf);
          return 0;
        }
      size *= 2;
    }
}

static int walk_fallback(int root_fd, const char *path, int open_flags, unsigned resolve_flags)
{
  struct fd_stack _cleanup_(fds_free) stack = { 0 };
  int start = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
  if (start < 0)
    return -1;
  fds_push(&stack, start);

  _cleanup_free_ char *todo = xstrdup(path);
  int links = 0;
  for (;;)
    {
      char *p = todo;
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      char *end = strchrnul(p, '/');
      bool last = true;
      for (char *q = end; *q; q++)
        if (*q != '/')
          {
            last = false;
            break;
          }
      _cleanup_free_ char *name = xstrndup(p, end - p);
      _cleanup_free_ char *rest = xstrdup(end);

      if (str_eq(name, "."))
        ;
      else if (str_eq(name, ".."))
        {
          if (stack.n > 1)
            fds_pop(&stack);
        }
      else
        {
          int cur = stack.fds[stack.n - 1];
          int fd = openat(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
          if (fd < 0)
            return -1;
          struct stat st;
          if (fstat(fd, &st) < 0)
            {
              close(fd);
              return -1;
            }
          if (S_ISLNK(st.st_mode) && !(last && (resolve_flags & STORAGE_NOFOLLOW)))
            {
              _cleanup_free_ char *target = NULL;
              int r = read_link_at(fd, &target);
              close(fd);
              if (r < 0)
                return -1;
              if ((resolve_flags & STORAGE_NO_SYMLINKS) || ++links > MAX_SYMLINKS)
                {
                  errno = ELOOP;
                  return -1;
                }
              if (target[0] == '/')
                while (stack.n > 1)
                  fds_pop(&stack);
              free(todo);
              todo = splice_link(target, rest);
              continue;
            }
          if (!last && !S_ISDIR(st.st_mode))
            {
              close(fd);
              errno = ENOTDIR;
              return -1;
            }
          fds_push(&stack, fd);
        }
      free(todo);
      todo = steal_pointer(&rest);
    }

  /* reopen what the walk reached with the caller's flags: through the
   * O_PATH fd, so nothing is looked up by name again */
  int fd_last = stack.fds[stack.n - 1];
  struct stat st;
  if (fstat(fd_last, &st) < 0)
    return -1;
  if ((open_flags & O_DIRECTORY) && !S_ISDIR(st.st_mode))
    {
      errno = ENOTDIR;
      return -1;
    }
  if (open_flags & O_PATH)
    return fcntl(fd_last, F_DUPFD_CLOEXEC, 3);
  if (S_ISLNK(st.st_mode))
    {
      errno = ELOOP;
      return -1;
    }
  _cleanup_free_ char *proc = storage_fd_path(fd_last);
  return open(proc, (open_flags & ~O_NOFOLLOW) | O_CLOEXEC);
}

int storage_open_in_root(int root_fd, const char *path, int open_flags, unsigned resolve_flags,
                         berth_error_t *err)
{
  if (open_flags & O_CREAT)
    return berth_fail(err, EINVAL, "open %s in the rootfs: O_CREAT is not supported", path);
  int fd = -1;
  if (!(resolve_flags & STORAGE_FORCE_FALLBACK))
    {
      fd = try_openat2(root_fd, path, open_flags, resolve_flags);
      if (fd >= 0)
        return fd;
      if (errno != ENOSYS)
        return berth_fail_sys(err, "open %s in the rootfs", path);
    }
  fd = walk_fallback(root_fd, path, open_flags, resolve_flags);
  if (fd < 0)
    return berth_fail_sys(err, "open %s in the rootfs", path);
  return fd;
}

/* ------------------------------------------------------------ creation */

static int mkdir_depth(int root_fd, const char *path, mode_t mode, int depth, berth_error_t *err);

/* mkdirat found something: when it is a dangling symlink, create what it
 * points to (inside the root), as mkdir -p through securejoin would */
static int mkdir_through_link(int root_fd, int parent, const char *dir, const char *prefix,
                              const char *name, mode_t mode, int depth, berth_error_t *err)
{
  _cleanup_close_ int link = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (link < 0)
    return berth_fail_sys(err, "mkdir %s in the rootfs", prefix);
  struct stat st;
  if (fstat(link, &st) < 0)
    return berth_fail_sys(err, "mkdir %s in the rootfs", prefix);
  if (!S_ISLNK(st.st_mode))
    return 0; /* someone else made it: fine */
  if (depth >= MAX_SYMLINKS)
    return berth_fail(err, ELOOP, "mkdir %s in the rootfs", prefix);
  _cleanup_free_ char *target = NULL;
  if (read_link_at(link, &target) < 0)
    return berth_fail_sys(err, "readlink %s in the rootfs", prefix);
  _cleanup_free_ char *next = target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", dir, target);
  int fd = mkdir_depth(root_fd, next, mode, depth + 1, err);
  if (fd < 0)
    return berth_wrap(err, "follow %s", prefix);
  close(fd);
  return 0;
}

static int mkdir_one(int root_fd, const char *dir, const char *prefix, const char *name,
                     mode_t mode, int depth, berth_error_t *err)
{
  _cleanup_close_ int parent = storage_open_in_root(root_fd, dir, O_PATH | O_DIRECTORY, 0, err);
  if (parent < 0)
    return berth_error_ret(*err);
  if (mkdirat(parent, name, mode) == 0)
    return 0;
  if (errno != EEXIST)
    return berth_fail_sys(err, "mkdir %s in the rootfs", prefix);
  return mkdir_through_link(root_fd, parent, dir, prefix, name, mode, depth, err);
}

static int mkdir_depth(int root_fd, const char *path, mode_t mode, int depth, berth_error_t *err)
{
  _cleanup_free_ char *abs = xasprintf("/%s", path);
  _cleanup_free_ char *clean = storage_path_clean(abs);

  /* fast path: it exists */
  berth_error_t probe = NULL;
  int fd = storage_open_in_root(root_fd, clean, O_PATH | O_DIRECTORY, 0, &probe);
  if (fd >= 0)
    return fd;
  int probe_ret = berth_error_ret(probe);
  berth_error_free(&probe);
  if (probe_ret != -ENOENT)
    return storage_open_in_root(root_fd, clean, O_PATH | O_DIRECTORY, 0, err);

  /* walk prefix by prefix; each prefix is resolved in the root, so a
   * symlink on the way is followed inside it */
  for (char *p = clean + 1; *p;)
    {
      char *end = strchrnul(p, '/');
      _cleanup_free_ char *prefix = xstrndup(clean, end - clean);
      _cleanup_free_ char *dir = storage_path_dir(prefix);
      _cleanup_free_ char *name = xstrndup(p, end - p);

      berth_error_t e = NULL;
      int probe_fd = storage_open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY, 0, &e);
      if (probe_fd >= 0)
        close(probe_fd);
      else if (berth_error_ret(e) == -ENOENT)
        {
          berth_error_free(&e);
          if (mkdir_one(root_fd, dir, prefix, name, mode, depth, err) < 0)
            return berth_error_ret(*err);
        }
      else
        {
          *err = e;
          return berth_error_ret(*err);
        }
      p = *end ? end + 1 : end;
    }
  return storage_open_in_root(root_fd, clean, O_PATH | O_DIRECTORY, 0, err);
}

int storage_mkdir_in_root(int root_fd, const char *path, mode_t mode, berth_error_t *err)
{
  return mkdir_depth(root_fd, path, mode, 0, err);
}

static int create_target_depth(int root_fd, const char *path, bool directory, int depth,
                               berth_error_t *err);

/* the last component is a dangling symlink: create what it points to,
 * inside the root (as securejoin-based runtimes do) */
static int create_link_target(int root_fd, int parent, const char *dir, const char *name,
                              const char *clean, bool directory, int depth, berth_error_t *err)
{
  _cleanup_close_ int link = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  if (link < 0 || fstat(link, &st) < 0)
    return berth_fail_sys(err, "create %s in the rootfs", clean);
  if (!S_ISLNK(st.st_mode))
    return berth_fail(err, ENOENT, "create %s in the rootfs", clean);
  if (depth >= MAX_SYMLINKS)
    return berth_fail(err, ELOOP, "create %s in the rootfs", clean);
  _cleanup_free_ char *target = NULL;
  if (read_link_at(link, &target) < 0)
    return berth_fail_sys(err, "readlink %s in the rootfs", clean);
  _cleanup_free_ char *next = target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", dir, target);
  int fd = create_target_depth(root_fd, next, directory, depth + 1, err);
  if (fd < 0)
    return berth_wrap(err, "follow %s", clean);
  close(fd);
  return storage_open_in_root(root_fd, clean, O_PATH, 0, err);
}

int storage_create_target(int root_fd, const char *path, bool directory, berth_error_t *err)
{
  return create_target_depth(root_fd, path, directory, 0, err);
}

static int create_target_depth(int root_fd, const char *path, bool directory, int depth,
                               berth_error_t *err)
{
  _cleanup_free_ char *abs = xasprintf("/%s", path);
  _cleanup_free_ char *clean = storage_path_clean(abs);

  berth_error_t probe = NULL;
  int fd = storage_open_in_root(root_fd, clean, O_PATH, 0, &probe);
  if (fd >= 0)
    return fd;
  int probe_ret = berth_error_ret(probe);
  berth_error_free(&probe);
  if (probe_ret != -ENOENT)
    return storage_open_in_root(root_fd, clean, O_PATH, 0, err);

  if (directory)
    return mkdir_depth(root_fd, clean, 0755, depth, err);

  _cleanup_free_ char *dir = storage_path_dir(clean);
  _cleanup_free_ char *name = storage_path_base(clean);
  _cleanup_close_ int parent = storage_mkdir_in_root(root_fd, dir, 0755, err);
  if (parent < 0)
    return berth_error_ret(*err);
  /* mknodat never follows a symlink in the last component */
  if (mknodat(parent, name, S_IFREG | 0644, 0) == 0)
    return storage_open_in_root(root_fd, clean, O_PATH, 0, err);
  if (errno != EEXIST)
    return berth_fail_sys(err, "create %s in the rootfs", clean);
  berth_error_t again = NULL;
  fd = storage_open_in_root(root_fd, clean, O_PATH, 0, &again);
  if (fd >= 0 || berth_error_ret(again) != -ENOENT)
    {
      *err = again;
      return fd;
    }
  berth_error_free(&again);
  return create_link_target(root_fd, parent, dir, name, clean, directory, depth, err);
}
