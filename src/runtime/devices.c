/* /dev inside the container: the default nodes, linux.devices, the
 * symlinks every container expects and /dev/ptmx. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/hosttrees.h"
#include "runtime/linux.h"
#include "storage/procfs.h"
#include "storage/storage.h"
#include "util/log.h"
#include "util/util.h"

struct dev_node
{
  const char *path; /* cleaned, absolute */
  mode_t type;      /* S_IFCHR, S_IFBLK, S_IFIFO */
  unsigned major, minor;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

static const struct dev_node default_devices[] = {
  { "/dev/null", S_IFCHR, 1, 3, 0666, 0, 0 },    { "/dev/zero", S_IFCHR, 1, 5, 0666, 0, 0 },
  { "/dev/full", S_IFCHR, 1, 7, 0666, 0, 0 },    { "/dev/random", S_IFCHR, 1, 8, 0666, 0, 0 },
  { "/dev/urandom", S_IFCHR, 1, 9, 0666, 0, 0 }, { "/dev/tty", S_IFCHR, 5, 0, 0666, 0, 0 },
};

static int node_type(const char *t, mode_t *out)
{
  if (str_eq(t, "c") || str_eq(t, "u"))
    *out = S_IFCHR;
  else if (str_eq(t, "b"))
    *out = S_IFBLK;
  else if (str_eq(t, "p"))
    *out = S_IFIFO;
  else
    return -1;
  return 0;
}

static int set_owner_mode(int parent, const char *name, const struct dev_node *d,
                          berth_error_t *err)
{
  _cleanup_close_ int fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "open %s", d->path);
  /* mknod is subject to the umask; chmod through the fd, never by name */
  _cleanup_free_ char *proc = storage_fd_path(fd);
  if (chmod(proc, d->mode) < 0)
    return berth_fail_sys(err, "chmod %s", d->path);
  if (fchownat(fd, "", d->uid, d->gid, AT_EMPTY_PATH) < 0)
    return berth_fail_sys(err, "chown %s to %u:%u", d->path, d->uid, d->gid);
  return 0;
}

static int mknod_device(int root_fd, const struct dev_node *d, berth_error_t *err)
{
  _cleanup_free_ char *dir = storage_path_dir(d->path);
  _cleanup_free_ char *name = storage_path_base(d->path);
  _cleanup_close_ int parent = storage_mkdir_in_root(root_fd, dir, 0755, err);
  if (parent < 0)
    return berth_error_ret(*err);
  dev_t dev = d->type == S_IFIFO ? 0 : makedev(d->major, d->minor);
  if (mknodat(parent, name, d->type | (d->mode & 07777), dev) < 0)
    {
      if (errno != EEXIST)
        return berth_fail_sys(err, "mknod %s", d->path);
      /* an image's /dev may already hold it (or a symlink): replace it */
      if (unlinkat(parent, name, 0) < 0)
        return berth_fail_sys(err, "replace %s", d->path);
      if (mknodat(parent, name, d->type | (d->mode & 07777), dev) < 0)
        return berth_fail_sys(err, "mknod %s", d->path);
    }
  return set_owner_mode(parent, name, d, err);
}

/* in a user namespace mknod is not allowed: bind the host's node */
static int bind_device(int root_fd, const struct dev_node *d, berth_error_t *err)
{
  _cleanup_close_ int target = storage_create_target(root_fd, d->path, false, err);
  if (target < 0)
    return berth_error_ret(*err);
  /* a symlinked /dev must not send the node into procfs */
  if (procfs_fd_is_procfs(target))
    return berth_fail(err, 0, "device %s is inside /proc", d->path);
  if (storage_bind_fd(d->path, -1, target, d->path, false, 0, err) < 0)
    return berth_error_ret(*err);
  return 0;
}

/* a copy of the node berth made on the host side (hosttrees.h) */
static int attach_host_node(int root_fd, const struct dev_node *d, int tree, berth_error_t *err)
{
  _cleanup_close_ int target = storage_create_target(root_fd, d->path, false, err);
  if (target < 0)
    return berth_error_ret(*err);
  if (procfs_fd_is_procfs(target))
    return berth_fail(err, 0, "device %s is inside /proc", d->path);
  return storage_attach_tree(tree, target, d->path, err);
}

/* --log-level debug: each device made, and how; passes r through */
static int log_device(const struct dev_node *d, const char *how, int r)
{
  if (r == 0)
    berth_log_debug("device %s %c %u:%u mode %04o uid %u gid %u: %s", d->path,
                    d->type == S_IFBLK ? 'b' : d->type == S_IFIFO ? 'p' : 'c', d->major, d->minor,
                    (unsigned) (d->mode & 07777), (unsigned) d->uid, (unsigned) d->gid, how);
  return r;
}

static int create_device(const struct init_ctx *ctx, int root_fd, const struct dev_node *d,
                         int host_tree, berth_error_t *err)
{
  if (host_tree >= 0)
    return log_device(d, "the node made on the host side", attach_host_node(root_fd, d, host_tree, err));
  if (!ctx->new_userns)
    {
      berth_error_t e = NULL;
      if (mknod_device(root_fd, d, &e) == 0)
        return log_device(d, "mknod", 0);
      if (berth_error_ret(e) != -EPERM)
        {
          *err = e;
          return berth_error_ret(*err);
        }
      berth_error_free(&e);
    }
  return log_device(d, "bind of the host's node", bind_device(root_fd, d, err));
}

static int config_device(const struct spec_device *sd, size_t i, struct dev_node *out,
                         char **path_out, berth_error_t *err)
{
  if (!sd->path || !*sd->path)
    return berth_fail(err, 0, ".linux.devices[%zu].path: must not be empty", i);
  if (node_type(sd->type, &out->type) < 0)
    return berth_fail(err, 0, ".linux.devices[%zu].type: unknown type \"%s\"", i,
                      sd->type ? sd->type : "");
  if (sd->major < 0 || sd->minor < 0 || sd->major > 0xfff || sd->minor > 0xfffff)
    return berth_fail(err, 0, ".linux.devices[%zu]: major/minor %lld:%lld out of range", i,
                      (long long) sd->major, (long long) sd->minor);
  _cleanup_free_ char *abs = xasprintf("/%s", sd->path);
  *path_out = storage_path_clean(abs);
  out->path = *path_out;
  out->major = (unsigned) sd->major;
  out->minor = (unsigned) sd->minor;
  out->mode = sd->file_mode.set ? (mode_t) (sd->file_mode.value & 07777) : 0666;
  out->uid = sd->uid.set ? (uid_t) sd->uid.value : 0;
  out->gid = sd->gid.set ? (gid_t) sd->gid.value : 0;
  return 0;
}

static bool configured(const struct spec_linux *l, const char *path)
{
  for (size_t i = 0; l && i < l->n_devices; i++)
    {
      _cleanup_free_ char *abs = xasprintf("/%s", l->devices[i].path ? l->devices[i].path : "");
      _cleanup_free_ char *clean = storage_path_clean(abs);
      if (str_eq(clean, path))
        return true;
    }
  return false;
}

static int dev_symlinks(int root_fd, berth_error_t *err)
{
  static const char *const links[][2] = {
    { "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" },
    { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
  };
  _cleanup_close_ int dev = storage_mkdir_in_root(root_fd, "/dev", 0755, err);
  if (dev < 0)
    return berth_error_ret(*err);
  for (size_t i = 0; i < ARRAY_SIZE(links); i++)
    if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
      return berth_fail_sys(err, "symlink /dev/%s -> %s", links[i][1], links[i][0]);
  struct stat st;
  if (stat("/proc/kcore", &st) == 0 && symlinkat("/proc/kcore", dev, "core") < 0
      && errno != EEXIST)
    return berth_fail_sys(err, "symlink /dev/core -> /proc/kcore");
  if (unlinkat(dev, "ptmx", 0) < 0 && errno != ENOENT)
    return berth_fail_sys(err, "remove /dev/ptmx");
  if (symlinkat("pts/ptmx", dev, "ptmx") < 0)
    return berth_fail_sys(err, "symlink /dev/ptmx -> pts/ptmx");
  return 0;
}

int devices_setup(const struct init_ctx *ctx, int root_fd, berth_error_t *err)
{
  const struct spec_linux *l = ctx->config->linux_;
  for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++)
    if (!configured(l, default_devices[i].path)
        && create_device(ctx, root_fd, &default_devices[i], -1, err) < 0)
      return berth_wrap(err, "default device %s", default_devices[i].path);
  for (size_t i = 0; l && i < l->n_devices; i++)
    {
      struct dev_node d;
      _cleanup_free_ char *path = NULL;
      if (config_device(&l->devices[i], i, &d, &path, err) < 0)
        return berth_error_ret(*err);
      const struct host_trees *t = ctx->host_trees;
      int tree = t && i < t->n_devices ? t->devices[i] : -1;
      if (create_device(ctx, root_fd, &d, tree, err) < 0)
        return berth_wrap(err, ".linux.devices[%zu] %s", i, path);
    }
  return dev_symlinks(root_fd, err);
}

/* ------------------------------------------------------------ host side */

static int host_id(const struct spec_id_mapping *m, size_t n, uint32_t id, uint32_t *out)
{
  for (size_t i = 0; i < n; i++)
    if (id >= m[i].container_id && id - m[i].container_id < m[i].size)
      {
        *out = m[i].host_id + (id - m[i].container_id);
        return 0;
      }
  return -1;
}

static int host_owner(const struct spec_linux *l, const struct dev_node *d, size_t i, uid_t *uid,
                      gid_t *gid, berth_error_t *err)
{
  uint32_t u, g;
  if (host_id(l->uid_mappings, l->n_uid_mappings, d->uid, &u) < 0)
    return berth_fail(err, 0, ".linux.devices[%zu].uid: %u is not mapped in .linux.uidMappings", i,
                      (unsigned) d->uid);
  if (host_id(l->gid_mappings, l->n_gid_mappings, d->gid, &g) < 0)
    return berth_fail(err, 0, ".linux.devices[%zu].gid: %u is not mapped in .linux.gidMappings", i,
                      (unsigned) d->gid);
  *uid = (uid_t) u;
  *gid = (gid_t) g;
  return 0;
}

/* The node's copy may carry dev: the state dir's mount (/run) is nodev */
static int open_node_tree(int dir, const char *name, const struct dev_node *d, berth_error_t *err)
{
  _cleanup_close_ int tree = open_tree(dir, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return berth_fail_sys(err, "open_tree of the node for %s", d->path);
  struct mount_attr attr = { .attr_clr = MOUNT_ATTR_NODEV };
  if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return berth_fail_sys(err, "allow the device on the mount of %s", d->path);
  return steal_fd(&tree);
}

static int make_host_node(const struct spec_linux *l, int dir, size_t i, int *fd,
                          berth_error_t *err)
{
  struct dev_node d;
  _cleanup_free_ char *path = NULL;
  if (config_device(&l->devices[i], i, &d, &path, err) < 0)
    return -1;
  struct dev_node host = d;
  if (host_owner(l, &d, i, &host.uid, &host.gid, err) < 0)
    return -1;
  _cleanup_free_ char *name = xasprintf("%zu", i);
  dev_t dev = d.type == S_IFIFO ? 0 : makedev(d.major, d.minor);
  if (mknodat(dir, name, d.type | (d.mode & 07777), dev) < 0)
    return berth_fail_sys(err, ".linux.devices[%zu] %s: mknod on the host side", i, path);
  if (set_owner_mode(dir, name, &host, err) < 0 || (*fd = open_node_tree(dir, name, &d, err)) < 0)
    return berth_wrap(err, ".linux.devices[%zu]", i);
  return 0;
}

int devices_make_host_nodes(const struct spec_config *c, int state_dir_fd, int *fds,
                            berth_error_t *err)
{
  const struct spec_linux *l = c->linux_;
  if (!l || !l->n_devices)
    return 0;
  if (mkdirat(state_dir_fd, "devices", 0700) < 0)
    return berth_fail_sys(err, "create the devices directory in the state directory");
  _cleanup_close_ int dir = openat(state_dir_fd, "devices", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0)
    return berth_fail_sys(err, "open the devices directory in the state directory");
  for (size_t i = 0; i < l->n_devices; i++)
    if (make_host_node(l, dir, i, &fds[i], err) < 0)
      return -1;
  return 0;
}
