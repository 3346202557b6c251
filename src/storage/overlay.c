/* Overlay root filesystems from layer directories (see overlay.h). */
#include "storage/overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "storage/storage.h"
#include "util/util.h"

#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif

/* "config.json: .annotations["KEY"]: " */
#define ANN_FMT "%s: .annotations[\"%s\"]: "

/* ------------------------------------------------------------------ parse (pure) */

void storage_overlay_free(struct storage_overlay *o)
{
  if (!o)
    return;
  strv_free(o->layers);
  free(o->upper_base);
  free(o->mountpoint);
  free(o->upperdir);
  free(o->workdir);
  free(o->empty_layer);
  free(o);
}

/* a directory overlayfs is given by name: absolute, no ',' (the option
 * separator) and no ':' (the lowerdir separator) */
static int check_dir_path(const char *path, const char *label, const char *key, const char *what,
                          berth_error_t *err)
{
  if (path[0] != '/')
    return berth_fail(err, 0, ANN_FMT "%s \"%s\" is not an absolute path", label, key, what, path);
  if (strchr(path, ','))
    return berth_fail(err, 0, ANN_FMT "%s \"%s\": ',' is not allowed in a path (overlayfs separates options with it)",
                      label, key, what, path);
  if (strchr(path, ':'))
    return berth_fail(err, 0, ANN_FMT "%s \"%s\": ':' is not allowed in a path (overlayfs separates layers with it)",
                      label, key, what, path);
  return 0;
}

/* a is b or below it (both cleaned) */
static bool path_within(const char *a, const char *b)
{
  size_t n = strlen(b);
  if (str_eq(b, "/"))
    return true;
  return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

static int parse_layers(struct storage_overlay *o, const char *value, const char *label,
                        berth_error_t *err)
{
  size_t cap = 1;
  for (const char *p = value; *p; p++)
    cap += *p == ':';
  if (cap > STORAGE_OVERLAY_MAX_LAYERS)
    return berth_fail(err, 0, ANN_FMT "%zu layers: overlayfs stacks at most %d", label,
                      STORAGE_ANN_LAYERS, cap, STORAGE_OVERLAY_MAX_LAYERS);
  o->layers = xcalloc(cap + 1, sizeof *o->layers);
  const char *start = value;
  for (;;)
    {
      const char *end = strchrnul(start, ':');
      _cleanup_free_ char *raw = xstrndup(start, (size_t) (end - start));
      if (*raw == '\0')
        return berth_fail(err, 0, ANN_FMT "empty layer path (layers are absolute paths separated by ':')",
                          label, STORAGE_ANN_LAYERS);
      if (check_dir_path(raw, label, STORAGE_ANN_LAYERS, "layer", err) < 0)
        return -1;
      char *clean = storage_path_clean(raw);
      for (size_t i = 0; i < o->n_layers; i++)
        if (str_eq(o->layers[i], clean))
          {
            int r = berth_fail(err, 0, ANN_FMT "%s is named twice (layers %zu and %zu)", label,
                               STORAGE_ANN_LAYERS, clean, i + 1, o->n_layers + 1);
            free(clean);
            return r;
          }
      o->layers[o->n_layers++] = clean;
      if (*end == '\0')
        break;
      start = end + 1;
    }
  return 0;
}

static int parse_upper(struct storage_overlay *o, const char *value, const char *label,
                       berth_error_t *err)
{
  if (!value || str_eq(value, "ephemeral"))
    {
      o->upper_kind = STORAGE_UPPER_EPHEMERAL;
      return 0;
    }
  if (str_eq(value, "none"))
    {
      o->upper_kind = STORAGE_UPPER_NONE;
      return 0;
    }
  if (value[0] != '/')
    return berth_fail(err, 0, ANN_FMT "\"%s\": must be \"ephemeral\", \"none\" or an absolute directory path",
                      label, STORAGE_ANN_UPPER, value);
  if (check_dir_path(value, label, STORAGE_ANN_UPPER, "upper", err) < 0)
    return -1;
  o->upper_kind = STORAGE_UPPER_PERSISTENT;
  o->upper_base = storage_path_clean(value);
  if (str_eq(o->upper_base, "/"))
    return berth_fail(err, 0, ANN_FMT "the upper directory must not be /", label, STORAGE_ANN_UPPER);
  for (size_t i = 0; i < o->n_layers; i++)
    if (path_within(o->upper_base, o->layers[i]) || path_within(o->layers[i], o->upper_base))
      return berth_fail(err, 0, ANN_FMT "%s overlaps the layer %s", label, STORAGE_ANN_UPPER,
                        o->upper_base, o->layers[i]);
  return 0;
}

int storage_overlay_parse(const char *layers, const char *upper, const char *label,
                          struct storage_overlay **out, berth_error_t *err)
{
  *out = NULL;
  if (!layers)
    {
      if (upper)
        return berth_fail(err, 0, ANN_FMT "needs the layers in \"%s\"", label, STORAGE_ANN_UPPER,
                          STORAGE_ANN_LAYERS);
      return 0;
    }
  _cleanup_(storage_overlay_freep) struct storage_overlay *o = xcalloc(1, sizeof *o);
  if (*layers == '\0')
    return berth_fail(err, 0, ANN_FMT "must name at least one layer directory", label,
                      STORAGE_ANN_LAYERS);
  if (parse_layers(o, layers, label, err) < 0 || parse_upper(o, upper, label, err) < 0)
    return -1;
  *out = steal_pointer(&o);
  return 0;
}

char *storage_overlay_lowerdir(char *const *layers_bottom_first, size_t n)
{
  size_t len = 1;
  for (size_t i = 0; i < n; i++)
    len += strlen(layers_bottom_first[i]) + 1;
  char *s = xmalloc(len), *w = s;
  for (size_t i = n; i-- > 0;)
    {
      size_t l = strlen(layers_bottom_first[i]);
      memcpy(w, layers_bottom_first[i], l);
      w += l;
      if (i > 0)
        *w++ = ':';
    }
  *w = '\0';
  return s;
}

void storage_overlay_set_paths(struct storage_overlay *o, const char *dir)
{
  free(o->mountpoint);
  free(o->upperdir);
  free(o->workdir);
  free(o->empty_layer);
  o->mountpoint = xasprintf("%s/rootfs", dir);
  o->upperdir = o->workdir = o->empty_layer = NULL;
  if (o->upper_kind == STORAGE_UPPER_NONE && o->n_layers == 1)
    o->empty_layer = xasprintf("%s/empty", dir);
  if (o->upper_kind == STORAGE_UPPER_EPHEMERAL)
    {
      o->upperdir = xasprintf("%s/upper", dir);
      o->workdir = xasprintf("%s/work", dir);
    }
  else if (o->upper_kind == STORAGE_UPPER_PERSISTENT)
    {
      o->upperdir = xasprintf("%s/upper", o->upper_base);
      o->workdir = xasprintf("%s/work", o->upper_base);
    }
}

/* ------------------------------------------------------------------ host checks */

static int check_layer(const struct storage_overlay *o, size_t i, const char *label, struct stat *st,
                       berth_error_t *err)
{
  const char *path = o->layers[i];
  if (stat(path, st) < 0)
    {
      if (errno == ENOENT)
        return berth_fail(err, 0, ANN_FMT "%s: no such directory", label, STORAGE_ANN_LAYERS, path);
      return berth_fail_sys(err, ANN_FMT "%s", label, STORAGE_ANN_LAYERS, path);
    }
  if (!S_ISDIR(st->st_mode))
    return berth_fail(err, 0, ANN_FMT "%s: not a directory", label, STORAGE_ANN_LAYERS, path);
  return 0;
}

/* upper and work must be on a filesystem overlayfs can write to: not an
 * overlay (no d_type/xattr guarantees, and overlayfs refuses it) */
static int check_upper_fs(const char *path, const char *label, const char *what, berth_error_t *err)
{
  struct statfs sf;
  if (statfs(path, &sf) < 0)
    {
      if (errno == ENOENT && str_eq(what, "state root"))
        return 0; /* made by create, checked by the kernel then */
      return berth_fail_sys(err, ANN_FMT "%s %s", label, STORAGE_ANN_UPPER, what, path);
    }
  if (sf.f_type == OVERLAYFS_SUPER_MAGIC)
    return berth_fail(err, 0, ANN_FMT "%s %s is on an overlay filesystem, which cannot hold an upper layer%s",
                      label, STORAGE_ANN_UPPER, what, path,
                      str_eq(what, "state root") ? " (name a persistent upper directory on another filesystem)" : "");
  return 0;
}

/* the directory that will hold BASE: BASE itself when it exists, else its parent */
static int check_persistent_base(const struct storage_overlay *o, const char *label, berth_error_t *err)
{
  struct stat st;
  if (stat(o->upper_base, &st) == 0)
    {
      if (!S_ISDIR(st.st_mode))
        return berth_fail(err, 0, ANN_FMT "%s: not a directory", label, STORAGE_ANN_UPPER, o->upper_base);
      return check_upper_fs(o->upper_base, label, "upper directory", err);
    }
  if (errno != ENOENT)
    return berth_fail_sys(err, ANN_FMT "%s", label, STORAGE_ANN_UPPER, o->upper_base);
  _cleanup_free_ char *parent = storage_path_dir(o->upper_base);
  if (stat(parent, &st) < 0 || !S_ISDIR(st.st_mode))
    return berth_fail(err, 0, ANN_FMT "%s: the parent directory %s does not exist", label,
                      STORAGE_ANN_UPPER, o->upper_base, parent);
  return check_upper_fs(parent, label, "upper directory", err);
}

int storage_overlay_check(const struct storage_overlay *o, const char *label, const char *state_root,
                          berth_error_t *err)
{
  _cleanup_free_ struct stat *st = xcalloc(o->n_layers, sizeof *st);
  for (size_t i = 0; i < o->n_layers; i++)
    {
      if (check_layer(o, i, label, &st[i], err) < 0)
        return -1;
      for (size_t j = 0; j < i; j++)
        if (st[j].st_dev == st[i].st_dev && st[j].st_ino == st[i].st_ino)
          return berth_fail(err, 0, ANN_FMT "%s and %s are the same directory", label,
                            STORAGE_ANN_LAYERS, o->layers[j], o->layers[i]);
    }
  if (o->upper_kind == STORAGE_UPPER_PERSISTENT)
    return check_persistent_base(o, label, err);
  if (o->upper_kind == STORAGE_UPPER_EPHEMERAL && state_root)
    return check_upper_fs(state_root, label, "state root", err);
  return 0;
}

/* Every directory from / down to path can be searched by uid/gid (by its
 * mode bits; ACLs are not looked at): the init of a container with a new
 * user namespace walks these paths as the container's root. */
static int check_searchable(const char *path, uid_t uid, gid_t gid, const char *label, const char *key,
                            const char *what, berth_error_t *err)
{
  _cleanup_free_ char *d = storage_path_clean(path);
  for (;;)
    {
      struct stat st;
      if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
        {
          bool ok = st.st_uid == uid ? (st.st_mode & S_IXUSR) : st.st_gid == gid ? (st.st_mode & S_IXGRP)
                                                                               : (st.st_mode & S_IXOTH);
          if (!ok)
            return berth_fail(err, EACCES, ANN_FMT "the container's root (host uid %u) cannot reach the %s %s: %s is not searchable (chmod o+x it)",
                              label, key, (unsigned) uid, what, path, d);
        }
      if (str_eq(d, "/"))
        return 0;
      char *parent = storage_path_dir(d);
      free(d);
      d = parent;
    }
}

int storage_overlay_check_userns(const struct storage_overlay *o, const char *label, const char *state_dir,
                                 uid_t uid, gid_t gid, berth_error_t *err)
{
  for (size_t i = 0; i < o->n_layers; i++)
    if (check_searchable(o->layers[i], uid, gid, label, STORAGE_ANN_LAYERS, "layer", err) < 0)
      return -1;
  if (o->upper_kind == STORAGE_UPPER_PERSISTENT
      && check_searchable(o->upper_base, uid, gid, label, STORAGE_ANN_UPPER, "upper directory", err) < 0)
    return -1;
  return check_searchable(state_dir, uid, gid, label, STORAGE_ANN_LAYERS, "state directory", err);
}

/* ------------------------------------------------------------------ directories */

/* mkdir that tells whether it created; chown what it created */
static int make_dir(const char *path, mode_t mode, uid_t uid, gid_t gid, const char *label,
                    berth_error_t *err)
{
  if (mkdir(path, mode) < 0)
    {
      if (errno != EEXIST)
        return berth_fail_sys(err, ANN_FMT "create %s", label, STORAGE_ANN_UPPER, path);
      struct stat st;
      if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return berth_fail(err, ENOTDIR, ANN_FMT "%s", label, STORAGE_ANN_UPPER, path);
      return 0;
    }
  if (chmod(path, mode) < 0) /* past the umask */
    return berth_fail_sys(err, ANN_FMT "chmod %s", label, STORAGE_ANN_UPPER, path);
  if (uid != (uid_t) -1 && chown(path, uid, gid) < 0)
    return berth_fail_sys(err, ANN_FMT "chown %s to %u:%u", label, STORAGE_ANN_UPPER, path,
                          (unsigned) uid, (unsigned) gid);
  return 0;
}

int storage_overlay_prepare_dirs(struct storage_overlay *o, const char *label, const char *dir,
                                 uid_t uid, gid_t gid, berth_error_t *err)
{
  storage_overlay_set_paths(o, dir);
  if (mkdir(o->mountpoint, 0755) < 0 && errno != EEXIST)
    return berth_fail_sys(err, "create the overlay mount point %s", o->mountpoint);
  if (o->empty_layer && mkdir(o->empty_layer, 0755) < 0 && errno != EEXIST)
    return berth_fail_sys(err, "create the empty bottom layer %s", o->empty_layer);
  if (o->upper_kind == STORAGE_UPPER_NONE)
    return 0;
  if (o->upper_kind == STORAGE_UPPER_PERSISTENT && make_dir(o->upper_base, 0755, uid, gid, label, err) < 0)
    return -1;
  /* the upper's root is the container's "/" */
  if (make_dir(o->upperdir, 0755, uid, gid, label, err) < 0)
    return -1;
  return make_dir(o->workdir, 0700, uid, gid, label, err);
}

/* ------------------------------------------------------------------ mount (in the init) */

/* What the kernel logged on the fs context ("e overlay: ..."), joined. */
static char *fs_context_log(int fsfd)
{
  _cleanup_free_ char *all = xstrdup("");
  char buf[1024];
  for (int i = 0; i < 16; i++)
    {
      ssize_t n = read(fsfd, buf, sizeof buf - 1);
      if (n <= 0)
        break;
      buf[n] = '\0';
      if (n > 0 && buf[n - 1] == '\n')
        buf[n - 1] = '\0';
      const char *msg = (buf[0] == 'e' || buf[0] == 'w' || buf[0] == 'i') && buf[1] == ' ' ? buf + 2 : buf;
      char *next = xasprintf("%s%s%s", all, *all ? "; " : "", msg);
      free(all);
      all = next;
    }
  return *all ? steal_pointer(&all) : NULL;
}

static int fail_fs(int fsfd, berth_error_t *err, int errnum, const char *label, const char *key,
                   const char *what)
{
  _cleanup_free_ char *log = fs_context_log(fsfd);
  if (log)
    return berth_fail(err, errnum, ANN_FMT "%s: %s", label, key, what, log);
  return berth_fail(err, errnum, ANN_FMT "%s", label, key, what);
}

/* O_PATH fds of the directories, opened here in the container's mount
 * namespace (overlayfs takes private clones of its layers, which must
 * belong to the mounter's namespace), named by short /proc/self/fd paths */
struct ovl_fds
{
  int *layer; /* bottom first, the empty layer (if any) at 0 */
  size_t n;
  int upper, work;
};

static void ovl_fds_close(struct ovl_fds *f)
{
  for (size_t i = 0; f->layer && i < f->n; i++)
    if (f->layer[i] >= 0)
      close(f->layer[i]);
  free(f->layer);
  if (f->upper >= 0)
    close(f->upper);
  if (f->work >= 0)
    close(f->work);
}

static int open_dir(const char *path, const char *label, const char *key, berth_error_t *err)
{
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == EACCES)
        return berth_fail_sys(err, ANN_FMT "%s (in a user namespace the container's root must be able to reach it)",
                              label, key, path);
      return berth_fail_sys(err, ANN_FMT "%s", label, key, path);
    }
  return fd;
}

static int ovl_fds_open(const struct storage_overlay *o, const char *label, struct ovl_fds *f,
                        berth_error_t *err)
{
  size_t base = o->empty_layer ? 1 : 0;
  f->n = o->n_layers + base;
  f->layer = xcalloc(f->n, sizeof *f->layer);
  for (size_t i = 0; i < f->n; i++)
    f->layer[i] = -1;
  if (base && (f->layer[0] = open_dir(o->empty_layer, label, STORAGE_ANN_LAYERS, err)) < 0)
    return -1;
  for (size_t i = 0; i < o->n_layers; i++)
    if ((f->layer[base + i] = open_dir(o->layers[i], label, STORAGE_ANN_LAYERS, err)) < 0)
      return -1;
  if (!o->upperdir)
    return 0;
  if ((f->upper = open_dir(o->upperdir, label, STORAGE_ANN_UPPER, err)) < 0)
    return -1;
  if ((f->work = open_dir(o->workdir, label, STORAGE_ANN_UPPER, err)) < 0)
    return -1;
  return 0;
}

static const char *layer_name(const struct storage_overlay *o, const struct ovl_fds *f, size_t i)
{
  size_t base = f->n - o->n_layers;
  return i < base ? o->empty_layer : o->layers[i - base];
}

static char *fd_path(int fd)
{
  return xasprintf("/proc/self/fd/%d", fd);
}

/* the new API: one fsconfig per layer, top layer first. Returns the
 * fs context fd ready for fsmount; -1 with *legacy set when the kernel has
 * no fsopen or no "lowerdir+" (then err is not set). */
static int configure_fs(const struct storage_overlay *o, const struct ovl_fds *f, const char *label,
                        bool in_userns, bool *legacy, berth_error_t *err)
{
  *legacy = false;
  _cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
  if (fs < 0)
    {
      if (errno == ENODEV)
        return berth_fail(err, ENODEV, ANN_FMT "the kernel has no overlay filesystem (modprobe overlay)",
                          label, STORAGE_ANN_LAYERS);
      if (errno == ENOSYS)
        {
          *legacy = true;
          return -1;
        }
      return berth_fail_sys(err, ANN_FMT "fsopen overlay", label, STORAGE_ANN_LAYERS);
    }
  for (size_t i = f->n; i-- > 0;)
    {
      _cleanup_free_ char *p = fd_path(f->layer[i]);
      if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", p, 0) == 0)
        continue;
      const char *name = layer_name(o, f, i);
      if (errno == EINVAL && i == f->n - 1)
        {
          _cleanup_free_ char *log = fs_context_log(fs);
          if (!log || strstr(log, "nknown parameter"))
            {
              *legacy = true;
              return -1;
            }
          return berth_fail(err, EINVAL, ANN_FMT "layer %s: %s", label, STORAGE_ANN_LAYERS,
                            name, log);
        }
      _cleanup_free_ char *what = xasprintf("layer %s", name);
      return fail_fs(fs, err, errno, label, STORAGE_ANN_LAYERS, what);
    }
  if (f->upper >= 0)
    {
      _cleanup_free_ char *up = fd_path(f->upper), *wk = fd_path(f->work);
      if (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", up, 0) < 0)
        {
          _cleanup_free_ char *what = xasprintf("upper directory %s", o->upperdir);
          return fail_fs(fs, err, errno, label, STORAGE_ANN_UPPER, what);
        }
      if (fsconfig(fs, FSCONFIG_SET_STRING, "workdir", wk, 0) < 0)
        {
          _cleanup_free_ char *what = xasprintf("work directory %s", o->workdir);
          return fail_fs(fs, err, errno, label, STORAGE_ANN_UPPER, what);
        }
    }
  if (in_userns && fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0)
    return fail_fs(fs, err, errno, label, STORAGE_ANN_LAYERS, "option userxattr");
  if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    {
      int e = errno;
      const char *key = f->upper >= 0 ? STORAGE_ANN_UPPER : STORAGE_ANN_LAYERS;
      _cleanup_free_ char *log = fs_context_log(fs);
      /* before Linux 6.5 overlayfs has no fs_context of its own: the VFS
       * takes every parameter ("lowerdir+" too) into an option string that
       * overlayfs then refuses at create, with EINVAL and no log message */
      if (e == EINVAL && !log)
        {
          *legacy = true;
          return -1;
        }
      const char *hint = e == EPERM && in_userns ? " (overlay mounts in a user namespace need Linux 5.11)" : "";
      if (log)
        return berth_fail(err, e, ANN_FMT "create the overlay filesystem%s: %s", label, key, hint, log);
      return berth_fail(err, e, ANN_FMT "create the overlay filesystem%s", label, key, hint);
    }
  return steal_fd(&fs);
}

static int mount_new_api(const struct storage_overlay *o, int fs, const char *label, berth_error_t *err)
{
  _cleanup_close_ int mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
  if (mnt < 0)
    return fail_fs(fs, err, errno, label, STORAGE_ANN_LAYERS, "fsmount overlay");
  if (move_mount(mnt, "", AT_FDCWD, o->mountpoint, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return berth_fail_sys(err, ANN_FMT "mount the overlay on %s", label, STORAGE_ANN_LAYERS,
                          o->mountpoint);
  return 0;
}

/* kernels before 6.8: one option string, at most a page; the short fd
 * paths keep a few hundred layers within it */
static int mount_legacy(const struct storage_overlay *o, const struct ovl_fds *f, const char *label,
                        bool in_userns, berth_error_t *err)
{
  char **paths = xcalloc(f->n + 1, sizeof *paths);
  for (size_t i = 0; i < f->n; i++)
    paths[i] = fd_path(f->layer[i]);
  _cleanup_free_ char *lower = storage_overlay_lowerdir(paths, f->n);
  strv_free(paths);
  _cleanup_free_ char *data = NULL;
  if (f->upper >= 0)
    data = xasprintf("lowerdir=%s,upperdir=/proc/self/fd/%d,workdir=/proc/self/fd/%d%s", lower,
                     f->upper, f->work, in_userns ? ",userxattr" : "");
  else
    data = xasprintf("lowerdir=%s%s", lower, in_userns ? ",userxattr" : "");
  long page = sysconf(_SC_PAGESIZE);
  if (strlen(data) >= (size_t) (page > 0 ? page : 4096))
    return berth_fail(err, E2BIG, ANN_FMT "%zu layers do not fit in this kernel's mount options (Linux 6.8 takes them one by one)",
                      label, STORAGE_ANN_LAYERS, o->n_layers);
  if (mount("overlay", o->mountpoint, "overlay", 0, data) < 0)
    return berth_fail_sys(err, ANN_FMT "mount overlayfs on %s", label, STORAGE_ANN_LAYERS, o->mountpoint);
  return 0;
}

/* the initial user namespace maps every id to itself (a child mapping all
 * of them 1:1 counts as initial: trusted.* xattrs then fail loudly) */
static bool in_initial_userns(void)
{
  _cleanup_free_ char *map = NULL;
  size_t len;
  _cleanup_error_ berth_error_t ignored = NULL;
  if (read_file_at(AT_FDCWD, "/proc/self/uid_map", 4096, &map, &len, &ignored) < 0)
    return true;
  unsigned long a, b, n;
  return sscanf(map, "%lu %lu %lu", &a, &b, &n) == 3 && a == 0 && b == 0 && n == 4294967295UL;
}

int storage_overlay_mount(const struct storage_overlay *o, const char *label, berth_error_t *err)
{
  bool in_userns = !in_initial_userns();
  struct ovl_fds f = { .upper = -1, .work = -1 };
  int r = ovl_fds_open(o, label, &f, err);
  if (r == 0)
    {
      bool legacy;
      int fs = configure_fs(o, &f, label, in_userns, &legacy, err);
      if (fs < 0 && legacy)
        r = mount_legacy(o, &f, label, in_userns, err);
      else if (fs < 0)
        r = -1;
      else
        {
          r = mount_new_api(o, fs, label, err);
          close(fs);
        }
    }
  ovl_fds_close(&f);
  return r;
}
