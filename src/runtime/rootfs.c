/* The container's filesystem view: propagation, the config mounts (all
 * resolved inside the rootfs), devices, pivot_root, masked and read-only
 * paths. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/hosttrees.h"
#include "runtime/init.h"
#include "runtime/linux.h"
#include "storage/mountinfo.h"
#include "storage/overlay.h"
#include "storage/procfs.h"
#include "storage/storage.h"
#include "util/log.h"
#include "util/util.h"

#define PROPAGATION_MASK (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)

struct mount_ctx
{
  const struct init_ctx *ctx;
  int root_fd;
  const struct spec_mount *m;
  const char *dest; /* cleaned, absolute */
  struct storage_mount_opts opts;
  bool procfs_target_ok; /* procfs at /proc, or a bind over an allow-listed /proc file */
};

/* ------------------------------------------------------------ propagation */

static int root_propagation(const struct init_ctx *ctx, enum storage_propagation *out,
                            berth_error_t *err)
{
  const struct spec_linux *l = ctx->config->linux_;
  const char *s = l ? l->rootfs_propagation : NULL;
  if (storage_propagation_parse(s, out) < 0)
    return berth_fail(err, 0, ".linux.rootfsPropagation: unknown value \"%s\"", s);
  if (*out == STORAGE_PROP_NONE)
    *out = STORAGE_PROP_RSLAVE;
  return 0;
}

/* The rootfs is bound on the mount holding it (the one mounted on the
 * rootfs itself when it is a mount point, as under containerd): when that
 * mount is shared, the bind would be its peer, the container's mounts
 * would propagate to the caller's, and pivot_root refuses a shared new
 * root or parent. Make it a slave (asked for "slave") or private. */
static int unshare_rootfs_mount(const char *rootfs, enum storage_propagation prop,
                                berth_error_t *err)
{
  _cleanup_(storage_mount_table_free) struct storage_mount_table t = { 0 };
  if (storage_mountinfo_read(-1, &t, err) < 0)
    return berth_error_ret(*err);
  const struct storage_mount_entry *holder = storage_mount_holding(&t, rootfs);
  if (!holder || !holder->shared)
    return 0;
  bool slave = prop == STORAGE_PROP_SLAVE;
  if (mount(NULL, holder->mountpoint, NULL, slave ? MS_SLAVE : MS_PRIVATE, NULL) < 0)
    return berth_fail_sys(err, "make the mount holding the rootfs (%s) %s", holder->mountpoint,
                          slave ? "a slave" : "private");
  return 0;
}

/* unbindable is applied to the new / only: an unbindable mount cannot be
 * bound (the rootfs on itself); until then it is private */
static enum storage_propagation propagation_before_bind(enum storage_propagation prop)
{
  if (prop == STORAGE_PROP_UNBINDABLE)
    return STORAGE_PROP_PRIVATE;
  if (prop == STORAGE_PROP_RUNBINDABLE)
    return STORAGE_PROP_RPRIVATE;
  return prop;
}

/* ------------------------------------------------------------ single mounts */

static int reopen_dest(struct mount_ctx *mc, berth_error_t *err)
{
  return storage_open_in_root(mc->root_fd, mc->dest, O_PATH, 0, err);
}

/* propagation and recursive attributes, on the mount just made */
static int apply_post_mount(struct mount_ctx *mc, berth_error_t *err)
{
  const struct storage_mount_opts *o = &mc->opts;
  if (o->propagation == STORAGE_PROP_NONE && !o->rec_attr_set && !o->rec_attr_clr)
    return 0;
  _cleanup_close_ int top = reopen_dest(mc, err);
  if (top < 0)
    return berth_error_ret(*err);
  if (storage_set_propagation(top, o->propagation, err) < 0)
    return berth_error_ret(*err);
  if ((o->rec_attr_set || o->rec_attr_clr)
      && storage_set_recursive_attr(top, o->rec_attr_set, o->rec_attr_clr, err) < 0)
    return berth_error_ret(*err);
  return 0;
}

/* the /proc files tools such as lxcfs replace with a bind (runc's list) */
static bool proc_file_bind_allowed(const char *dest)
{
  static const char *const allowed[] = {
    "/proc/cpuinfo",  "/proc/diskstats", "/proc/meminfo", "/proc/stat",
    "/proc/swaps",    "/proc/uptime",    "/proc/loadavg", "/proc/slabinfo",
    "/proc/net/dev",  "/proc/sys/kernel/ns_last_pid",
  };
  for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
    if (str_eq(dest, allowed[i]))
      return true;
  return false;
}

/* By the cleaned destination: /proc itself takes procfs only, and below
 * it only binds over the allow-listed files. */
static int check_proc_destination(struct mount_ctx *mc, bool bind, berth_error_t *err)
{
  const char *type = mc->m->type;
  if (str_eq(mc->dest, "/proc"))
    {
      /* a bind is checked on its source: only a procfs may go there (the
       * host's /proc for a container sharing the host's pid namespace) */
      if (!bind && !str_eq(type, "proc"))
        return berth_fail(err, 0, "/proc must be procfs, not %s", type && *type ? type : "an untyped mount");
      mc->procfs_target_ok = true;
      return 0;
    }
  if (!str_has_prefix(mc->dest, "/proc/"))
    return 0;
  if (bind && proc_file_bind_allowed(mc->dest))
    {
      mc->procfs_target_ok = true;
      return 0;
    }
  return berth_fail(err, 0,
                    "mount destination %s is inside /proc (only procfs at /proc, and binds over "
                    "/proc/cpuinfo, meminfo, stat, uptime, loadavg, diskstats, swaps, slabinfo, "
                    "net/dev, sys/kernel/ns_last_pid)",
                    mc->dest);
}

/* On the opened target, right before the mount: a symlink in the image
 * (/data -> /proc/sys) must not send a mount into procfs, where it would
 * cover or redirect what the kernel shows and berth writes. */
static int refuse_procfs_target(int target_fd, const char *dest, berth_error_t *err)
{
  if (!procfs_fd_is_procfs(target_fd))
    return 0;
  return berth_fail(err, 0, "mount destination %s is inside /proc", dest);
}

static int check_target(const struct mount_ctx *mc, int target_fd, const char *dest,
                        berth_error_t *err)
{
  return mc->procfs_target_ok ? 0 : refuse_procfs_target(target_fd, dest, err);
}

static char *bind_source(const struct init_ctx *ctx, const char *source)
{
  if (source[0] == '/')
    return xstrdup(source);
  return xasprintf("%s/%s", ctx->bundle, source);
}

/* berth's host-side copy of the source (hosttrees.h), or -1 */
static int host_tree(const struct mount_ctx *mc)
{
  const struct host_trees *t = mc->ctx->host_trees;
  const struct spec_config *c = mc->ctx->config;
  uintptr_t first = (uintptr_t) c->mounts, m = (uintptr_t) mc->m;
  /* a mount berth adds itself is not in the config's array */
  if (!t || m < first || m >= first + c->n_mounts * sizeof *c->mounts)
    return -1;
  size_t i = (m - first) / sizeof *c->mounts;
  return i < t->n_mounts ? t->mounts[i] : -1;
}

/* An id-mapped bind is always the host side's copy; another one only
 * when the source cannot be reached from here (a user namespace's root
 * under a 0000 directory): a bind made here keeps the host's locks. */
static int bind_source_tree(struct mount_ctx *mc, const char *src, struct stat *st,
                            berth_error_t *err)
{
  int tree = host_tree(mc);
  bool idmapped = host_trees_is_idmapped(mc->m, &mc->opts);
  if (idmapped && tree < 0)
    return berth_fail(err, EINVAL, "id-mapped bind of %s: no mount made on the host side", src);
  if (!idmapped)
    {
      if (stat(src, st) == 0)
        return -1; /* bind by path */
      if (errno != EACCES || tree < 0)
        return berth_fail_sys(err, "bind source %s", src);
    }
  if (fstat(tree, st) < 0)
    return berth_fail_sys(err, "bind source %s (made on the host side)", src);
  return tree;
}

/* A bind onto /proc: its source must be the root of a procfs (never a
 * host directory that berth's procfs writes would then land in). The
 * check is made on what is bound: the host-side copy when there is one,
 * else an fd of the source that the bind then uses. Returns that fd (or a
 * dup of the copy's, unused), -1 on error. */
static int open_procfs_bind_source(const char *src, int tree, berth_error_t *err)
{
  int fd = tree >= 0 ? fcntl(tree, F_DUPFD_CLOEXEC, 3)
                     : open(src, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "bind source %s", src);
  if (!procfs_fd_is_root(fd))
    {
      close(fd);
      return berth_fail(err, 0, "/proc must be procfs: the bind source %s is not the root of a procfs", src);
    }
  return fd;
}

static int mount_bind(struct mount_ctx *mc, berth_error_t *err)
{
  if (!mc->m->source || !*mc->m->source)
    return berth_fail(err, 0, "bind mount without a source");
  _cleanup_free_ char *src = bind_source(mc->ctx, mc->m->source);
  struct stat st;
  int tree = bind_source_tree(mc, src, &st, err);
  if (tree < 0 && *err)
    return berth_error_ret(*err);
  _cleanup_close_ int proc_src = -1;
  if (str_eq(mc->dest, "/proc") && (proc_src = open_procfs_bind_source(src, tree, err)) < 0)
    return berth_error_ret(*err);
  _cleanup_close_ int target
      = storage_create_target(mc->root_fd, mc->dest, S_ISDIR(st.st_mode), err);
  if (target < 0 || check_target(mc, target, mc->dest, err) < 0)
    return berth_error_ret(*err);
  unsigned long flags = mc->opts.flags & ~(unsigned long) (MS_BIND | MS_REC | MS_REMOUNT);
  if (tree >= 0 ? storage_attach_tree(tree, target, mc->dest, err) < 0
                : storage_bind_fd(proc_src >= 0 ? NULL : src, proc_src, target, mc->dest,
                                  mc->opts.recursive, flags, err) < 0)
    return berth_error_ret(*err);
  return apply_post_mount(mc, err);
}

/* /proc and /sys must be real directories: a symlink there could point
 * anywhere in the container once it runs */
static int real_dir_target(struct mount_ctx *mc, berth_error_t *err)
{
  berth_error_t e = NULL;
  const int flags = O_PATH | O_DIRECTORY;
  int fd = storage_open_in_root(mc->root_fd, mc->dest, flags, STORAGE_NO_SYMLINKS, &e);
  if (fd < 0 && berth_error_ret(e) == -ENOENT)
    {
      berth_error_free(&e);
      _cleanup_close_ int made = storage_mkdir_in_root(mc->root_fd, mc->dest, 0755, err);
      if (made < 0)
        return berth_error_ret(*err);
      fd = storage_open_in_root(mc->root_fd, mc->dest, flags, STORAGE_NO_SYMLINKS, &e);
    }
  if (fd < 0 && (berth_error_ret(e) == -ELOOP || berth_error_ret(e) == -ENOTDIR))
    {
      berth_error_free(&e);
      return berth_fail(err, 0, "%s must be a real directory in the rootfs, not a symlink or file",
                        mc->dest);
    }
  if (fd < 0)
    *err = e;
  return fd;
}

static int bind_host_fallback(struct mount_ctx *mc, int target, const char *host_path,
                              unsigned long flags, berth_error_t *err)
{
  berth_log_debug("mount %s: %s not permitted here, binding the host's %s", mc->dest,
                  mc->m->type, host_path);
  if (storage_bind_fd(host_path, -1, target, mc->dest, true, flags, err) < 0)
    return berth_error_ret(*err);
  return apply_post_mount(mc, err);
}

static int mount_filesystem(struct mount_ctx *mc, berth_error_t *err)
{
  const char *type = mc->m->type;
  bool special = str_eq(type, "proc") || str_eq(type, "sysfs");
  unsigned long flags = mc->opts.flags & ~(unsigned long) (MS_BIND | MS_REC);
  if (mc->opts.tmpcopyup && !str_eq(type, "tmpfs"))
    return berth_fail(err, EINVAL, "mount option tmpcopyup needs a tmpfs, not %s", type);

  _cleanup_close_ int target = special ? real_dir_target(mc, err)
                                       : storage_create_target(mc->root_fd, mc->dest, true, err);
  if (target < 0 || check_target(mc, target, mc->dest, err) < 0)
    return berth_error_ret(*err);
  const char *source = mc->m->source && *mc->m->source ? mc->m->source : type;

  if (mc->opts.tmpcopyup)
    {
      if (storage_mount_tmpfs_copyup(target, source, flags, mc->opts.data, err) < 0)
        return berth_error_ret(*err);
      return apply_post_mount(mc, err);
    }
  berth_error_t e = NULL;
  if (storage_mount_fs(source, target, type, flags, mc->opts.data, &e) == 0)
    return apply_post_mount(mc, err);
  int ret = berth_error_ret(e);
  unsigned long attr_flags = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  if (str_eq(type, "sysfs") && (ret == -EPERM || ret == -EBUSY) && !mc->ctx->new_netns)
    {
      berth_error_free(&e);
      return bind_host_fallback(mc, target, "/sys", attr_flags, err);
    }
  if (str_eq(type, "mqueue") && ret == -EPERM)
    {
      berth_error_free(&e);
      return bind_host_fallback(mc, target, "/dev/mqueue", attr_flags, err);
    }
  *err = e;
  return ret;
}

/* ------------------------------------------------------------ cgroup mounts */

static bool host_is_cgroup2(void)
{
  struct statfs sf;
  return statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

static int cgroup2_mount(struct mount_ctx *mc, const char *dest, unsigned long flags,
                         berth_error_t *err)
{
  _cleanup_close_ int target = storage_create_target(mc->root_fd, dest, true, err);
  if (target < 0 || refuse_procfs_target(target, dest, err) < 0)
    return berth_error_ret(*err);
  berth_error_t e = NULL;
  if (storage_mount_fs("cgroup2", target, "cgroup2", flags, NULL, &e) == 0)
    return 0;
  if (berth_error_ret(e) != -EPERM && berth_error_ret(e) != -EBUSY)
    {
      *err = e;
      return berth_error_ret(*err);
    }
  berth_error_free(&e);
  const char *host = host_is_cgroup2() ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  return storage_bind_fd(host, -1, target, dest, true, flags, err);
}

/* one v1 hierarchy (a /proc/self/cgroup line) under the tmpfs */
static int cgroup_v1_hierarchy(struct mount_ctx *mc, const char *controllers, const char *path,
                               unsigned long flags, berth_error_t *err)
{
  const char *name = str_has_prefix(controllers, "name=") ? controllers + 5 : controllers;
  _cleanup_free_ char *host_dir = xasprintf("/sys/fs/cgroup/%s", name);
  struct stat st;
  if (stat(host_dir, &st) < 0)
    {
      berth_log_debug("cgroup hierarchy %s is not mounted at %s, skipped", controllers, host_dir);
      return 0;
    }
  _cleanup_free_ char *dest = xasprintf("%s/%s", mc->dest, name);
  _cleanup_close_ int target = storage_create_target(mc->root_fd, dest, true, err);
  if (target < 0 || refuse_procfs_target(target, dest, err) < 0)
    return berth_error_ret(*err);
  if (mc->ctx->new_cgroupns)
    {
      _cleanup_free_ char *data = str_has_prefix(controllers, "name=")
                                      ? xasprintf("none,%s", controllers)
                                      : xstrdup(controllers);
      if (storage_mount_fs("cgroup", target, "cgroup", flags, data, err) < 0)
        return berth_error_ret(*err);
    }
  else
    {
      _cleanup_free_ char *src = xasprintf("%s%s", host_dir, path);
      if (storage_bind_fd(src, -1, target, dest, false, flags, err) < 0)
        return berth_error_ret(*err);
    }
  /* co-mounted controllers get a symlink each: cpu -> cpu,cpuacct */
  if (strchr(name, ','))
    {
      _cleanup_close_ int dir
          = storage_open_in_root(mc->root_fd, mc->dest, O_PATH | O_DIRECTORY, 0, err);
      if (dir < 0)
        return berth_error_ret(*err);
      _cleanup_free_ char *copy = xstrdup(name);
      char *save = NULL;
      for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save))
        if (symlinkat(name, dir, c) < 0 && errno != EEXIST)
          return berth_fail_sys(err, "symlink %s/%s -> %s", mc->dest, c, name);
    }
  return 0;
}

static int cgroup_v1_mount(struct mount_ctx *mc, unsigned long flags, berth_error_t *err)
{
  _cleanup_close_ int target = storage_create_target(mc->root_fd, mc->dest, true, err);
  if (target < 0 || refuse_procfs_target(target, mc->dest, err) < 0)
    return berth_error_ret(*err);
  unsigned long tmpfs_flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (storage_mount_fs("tmpfs", target, "tmpfs", tmpfs_flags, "mode=755", err) < 0)
    return berth_error_ret(*err);

  _cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
  if (!f)
    return berth_fail_sys(err, "open /proc/self/cgroup");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  unsigned long sub_flags = flags | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  while ((n = getline(&line, &cap, f)) > 0)
    {
      if (line[n - 1] == '\n')
        line[n - 1] = '\0';
      char *c1 = strchr(line, ':');
      char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
      if (!c2)
        continue;
      *c2 = '\0';
      const char *controllers = c1 + 1, *path = c2 + 1;
      /* the hybrid "0::" line: runc's v1 view has no unified mount either */
      if (*controllers == '\0')
        continue;
      if (cgroup_v1_hierarchy(mc, controllers, path, sub_flags, err) < 0)
        return berth_wrap(err, "cgroup hierarchy %s", controllers);
    }
  if (!(flags & MS_RDONLY))
    return 0;
  _cleanup_close_ int top = reopen_dest(mc, err);
  if (top < 0)
    return berth_error_ret(*err);
  return storage_remount_flags(top, MS_RDONLY, false, err);
}

static int mount_cgroup(struct mount_ctx *mc, berth_error_t *err)
{
  unsigned long flags = mc->opts.flags & ~(unsigned long) (MS_BIND | MS_REC | MS_REMOUNT);
  int r = host_is_cgroup2() ? cgroup2_mount(mc, mc->dest, flags, err)
                            : cgroup_v1_mount(mc, flags, err);
  if (r < 0)
    return r;
  return apply_post_mount(mc, err);
}

/* ------------------------------------------------------------ the mount list */

static bool is_bind(const struct spec_mount *m, const struct storage_mount_opts *o)
{
  return o->bind || str_eq(m->type, "bind") || str_eq(m->type, "rbind");
}

/* --log-level debug: one line per mount, as configured and as parsed */
static void log_mount(const struct spec_mount *m, const char *dest, const struct storage_mount_opts *o)
{
  if (!berth_log_enabled(BERTH_LOG_DEBUG))
    return;
  _cleanup_free_ char *options = xstrdup("");
  for (size_t i = 0; m->options && m->options[i]; i++)
    {
      char *more = xasprintf("%s%s%s", options, i ? "," : "", m->options[i]);
      free(options);
      options = more;
    }
  berth_log_debug("mount %s -> %s, type %s, flags 0x%lx, options \"%s\"", m->source ? m->source : "none", dest,
                  m->type ? m->type : "none", o->flags, options);
}

static int mount_one(const struct init_ctx *ctx, int root_fd, const struct spec_mount *m,
                     bool *dev_ro, berth_error_t *err)
{
  if (!m->destination || !*m->destination)
    return berth_fail(err, 0, "destination must not be empty");
  _cleanup_free_ char *abs = xasprintf("/%s", m->destination);
  _cleanup_free_ char *dest = storage_path_clean(abs);
  struct mount_ctx mc = { .ctx = ctx, .root_fd = root_fd, .m = m, .dest = dest };
  if (storage_mount_opts_parse(m->options, &mc.opts, err) < 0)
    return berth_error_ret(*err);
  if (str_eq(m->type, "rbind"))
    mc.opts.recursive = true;
  int r;
  bool bind = is_bind(m, &mc.opts);
  if (check_proc_destination(&mc, bind, err) < 0)
    r = -1;
  else if (bind)
    r = mount_bind(&mc, err);
  else if (!m->type || !*m->type)
    r = berth_fail(err, 0, "type must be set for a mount that is not a bind mount");
  else if (str_eq(m->type, "cgroup") || str_eq(m->type, "cgroup2"))
    r = mount_cgroup(&mc, err);
  else
    {
      /* /dev is filled with devices after the mounts: read-only at the end */
      if (str_eq(dest, "/dev") && (mc.opts.flags & MS_RDONLY))
        {
          mc.opts.flags &= ~(unsigned long) MS_RDONLY;
          *dev_ro = true;
        }
      r = mount_filesystem(&mc, err);
    }
  if (r == 0)
    log_mount(m, dest, &mc.opts);
  storage_mount_opts_free(&mc.opts);
  return r;
}

static bool dev_is_bind_mounted(const struct spec_config *c)
{
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      const struct spec_mount *m = &c->mounts[i];
      if (!m->destination)
        continue;
      _cleanup_free_ char *abs = xasprintf("/%s", m->destination);
      _cleanup_free_ char *dest = storage_path_clean(abs);
      if (!str_eq(dest, "/dev"))
        continue;
      if (str_eq(m->type, "bind") || str_eq(m->type, "rbind"))
        return true;
      for (size_t j = 0; m->options && m->options[j]; j++)
        if (str_eq(m->options[j], "bind") || str_eq(m->options[j], "rbind"))
          return true;
    }
  return false;
}

static int remount_dev_ro(int root_fd, berth_error_t *err)
{
  _cleanup_close_ int dev = storage_open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, 0, err);
  if (dev < 0)
    return berth_error_ret(*err);
  if (storage_remount_flags(dev, MS_RDONLY, false, err) < 0)
    return berth_wrap(err, "remount /dev read-only");
  return 0;
}

/* run.berth.storage.layers: the overlay root on ctx->rootfs (ROOT/ID/rootfs,
 * made by container.c), mounted in this mount namespace only */
static int mount_overlay_root(const struct init_ctx *ctx, berth_error_t *err)
{
  const struct spec_config *c = ctx->config;
  _cleanup_(storage_overlay_freep) struct storage_overlay *o = NULL;
  if (storage_overlay_parse(spec_annotation(c, STORAGE_ANN_LAYERS), spec_annotation(c, STORAGE_ANN_UPPER),
                            "config.json", &o, err) < 0)
    return berth_error_ret(*err);
  if (!o)
    return 0;
  _cleanup_free_ char *dir = storage_path_dir(ctx->rootfs);
  storage_overlay_set_paths(o, dir);
  return storage_overlay_mount(o, "config.json", err);
}

/* a missing cwd is created now, as runc does, before / may turn read-only */
static int create_cwd(const struct init_ctx *ctx, int root_fd, berth_error_t *err)
{
  const char *cwd = ctx->process ? ctx->process->cwd : NULL;
  if (!cwd || !*cwd)
    return 0;
  _cleanup_close_ int cwd_fd = storage_mkdir_in_root(root_fd, cwd, 0755, err);
  if (cwd_fd < 0)
    return berth_wrap(err, ".process.cwd %s", cwd);
  return 0;
}

/* ------------------------------------------------------------ no mount namespace */

int rootfs_check_without_mountns(const struct spec_config *c, berth_error_t *err)
{
  const struct spec_linux *l = c->linux_;
  const char *field = NULL;
  if (c->n_mounts)
    field = ".mounts";
  else if (c->root && c->root->readonly)
    field = ".root.readonly";
  else if (l && l->n_masked_paths)
    field = ".linux.maskedPaths";
  else if (l && l->n_readonly_paths)
    field = ".linux.readonlyPaths";
  else if (l && l->n_devices)
    field = ".linux.devices";
  else if (l && l->rootfs_propagation && *l->rootfs_propagation)
    field = ".linux.rootfsPropagation";
  else if (l && l->n_sysctl)
    field = ".linux.sysctl"; /* written through a /proc only a mount gives */
  if (!field)
    return 0;
  return berth_fail(err, 0,
                    "%s: needs a mount namespace of the container's own (.linux.namespaces has no "
                    "\"mount\" entry, so the container shares the caller's mounts and berth only "
                    "chroots into root.path)",
                    field);
}

/* The caller's mounts are everyone's: no propagation change, no bind, no
 * devices, no pivot_root later; only the cwd is made. */
static int prepare_without_mountns(const struct init_ctx *ctx, berth_error_t *err)
{
  if (rootfs_check_without_mountns(ctx->config, err) < 0)
    return berth_error_ret(*err);
  _cleanup_close_ int root_fd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return berth_fail_sys(err, "open rootfs %s", ctx->rootfs);
  return create_cwd(ctx, root_fd, err);
}

int rootfs_prepare(const struct init_ctx *ctx, berth_error_t *err)
{
  if (ctx->no_mountns)
    return prepare_without_mountns(ctx, err);
  enum storage_propagation prop;
  if (root_propagation(ctx, &prop, err) < 0)
    return berth_error_ret(*err);
  prop = propagation_before_bind(prop);
  if (mount(NULL, "/", NULL, storage_propagation_flags(prop), NULL) < 0)
    return berth_fail_sys(err, "set the propagation of / (.linux.rootfsPropagation)");

  struct stat st;
  if (stat(ctx->rootfs, &st) < 0)
    return berth_fail_sys(err, "rootfs %s", ctx->rootfs);
  if (!S_ISDIR(st.st_mode))
    return berth_fail(err, ENOTDIR, "rootfs %s", ctx->rootfs);
  /* before the overlay and the bind; after a recursive slave or private
   * change nothing can be shared */
  bool may_be_shared = prop != STORAGE_PROP_RSLAVE && prop != STORAGE_PROP_RPRIVATE;
  if (may_be_shared && unshare_rootfs_mount(ctx->rootfs, prop, err) < 0)
    return berth_error_ret(*err);
  if (mount_overlay_root(ctx, err) < 0)
    return berth_error_ret(*err);
  if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berth_fail_sys(err, "bind the rootfs %s on itself", ctx->rootfs);

  _cleanup_close_ int root_fd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return berth_fail_sys(err, "open rootfs %s", ctx->rootfs);

  const struct spec_config *c = ctx->config;
  bool dev_ro = false;
  for (size_t i = 0; i < c->n_mounts; i++)
    if (mount_one(ctx, root_fd, &c->mounts[i], &dev_ro, err) < 0)
      return berth_wrap(err, ".mounts[%zu] (%s on %s)", i,
                        c->mounts[i].type ? c->mounts[i].type : "bind",
                        c->mounts[i].destination ? c->mounts[i].destination : "");

  if (create_cwd(ctx, root_fd, err) < 0)
    return berth_error_ret(*err);

  if (!dev_is_bind_mounted(c) && devices_setup(ctx, root_fd, err) < 0)
    return berth_error_ret(*err);
  /* console_setup binds the pty here after / or /dev may be read-only */
  if (ctx->process && ctx->process->terminal)
    {
      _cleanup_close_ int console = storage_create_target(root_fd, "/dev/console", false, err);
      if (console < 0)
        return berth_wrap(err, "/dev/console");
    }
  if (dev_ro && remount_dev_ro(root_fd, err) < 0)
    return berth_error_ret(*err);
  return 0;
}

/* ------------------------------------------------------------ --no-pivot */

/* One round of detaching the top of each subtree outside the rootfs (one
 * unmount takes a whole subtree, and each costs an RCU grace period).
 * EINVAL: not (or no longer) a mount point at that path, or locked by a
 * user namespace. */
static int detach_round(int mountinfo_fd, const char *rootfs, bool *progress, berth_error_t *err)
{
  _cleanup_(storage_mount_table_free) struct storage_mount_table t = { 0 };
  if (storage_mountinfo_read(mountinfo_fd, &t, err) < 0)
    return berth_error_ret(*err);
  _cleanup_free_ size_t *idx = NULL;
  size_t n = storage_mounts_outside_tops(&t, rootfs, &idx);
  *progress = false;
  for (size_t i = 0; i < n; i++)
    {
      const char *mp = t.entries[idx[i]].mountpoint;
      if (umount2(mp, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
        *progress = true;
      else if (errno != EINVAL && errno != EPERM && errno != ENOENT)
        return berth_fail_sys(err, "detach %s (outside the rootfs, --no-pivot)", mp);
    }
  return 0;
}

static bool reveals_kernel_state(const char *fstype)
{
  return str_eq(fstype, "proc") || str_eq(fstype, "sysfs");
}

/* What a user namespace locked stays, under an empty read-only tmpfs; a
 * procfs or sysfs that can be neither detached nor covered is an error. */
static int cover_remaining(int mountinfo_fd, const char *rootfs, berth_error_t *err)
{
  _cleanup_(storage_mount_table_free) struct storage_mount_table t = { 0 };
  if (storage_mountinfo_read(mountinfo_fd, &t, err) < 0)
    return berth_error_ret(*err);
  _cleanup_free_ size_t *idx = NULL;
  size_t n = storage_mounts_outside(&t, rootfs, &idx);
  const unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  for (size_t i = 0; i < n; i++)
    {
      const struct storage_mount_entry *e = &t.entries[idx[i]];
      struct stat st;
      int why = 0;
      if (lstat(e->mountpoint, &st) < 0)
        why = errno;
      else if (!S_ISDIR(st.st_mode))
        why = ENOTDIR;
      else if (mount("tmpfs", e->mountpoint, "tmpfs", flags, "mode=0") < 0)
        why = errno;
      if (why == 0)
        continue;
      if (reveals_kernel_state(e->fstype))
        return berth_fail(err, why,
                          "%s on %s (outside the rootfs, --no-pivot): cannot detach or cover it",
                          e->fstype, e->mountpoint);
      berth_log_debug("--no-pivot: %s on %s left in place: %s", e->fstype, e->mountpoint,
                      strerror(why));
    }
  return 0;
}

/* An unmount propagates to the peers of the unmounted mount's parent: with
 * a shared rootfsPropagation the old root still shares mounts with the
 * caller, and detaching ours would unmount the caller's. Make it all a
 * slave first (only then: this makes the rootfs's mounts slaves too; the
 * propagation asked for is applied to the new / after the chroot). */
static int stop_umount_propagation(int mountinfo_fd, const char *rootfs, berth_error_t *err)
{
  _cleanup_(storage_mount_table_free) struct storage_mount_table t = { 0 };
  if (storage_mountinfo_read(mountinfo_fd, &t, err) < 0)
    return berth_error_ret(*err);
  if (!storage_mounts_shared_outside(&t, rootfs))
    return 0;
  if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return berth_fail_sys(err, "make the old root a slave (--no-pivot)");
  return 0;
}

/* MS_MOVE + chroot keeps the old root in this mount namespace. A host
 * procfs or sysfs left there makes a fresh procfs or sysfs "already
 * visible" to a user namespace the container creates (the kernel's
 * mount_too_revealing check), which could then mount one without the
 * masked and read-only paths. Detach everything the rootfs does not sit on. */
static int detach_outside_rootfs(const char *rootfs, berth_error_t *err)
{
  _cleanup_close_ int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "open /proc/self/mountinfo");
  if (stop_umount_propagation(fd, rootfs, err) < 0)
    return berth_error_ret(*err);
  /* umount2() on a path reaches the topmost of a stack of mounts: the one
   * below is detached in the next round; the cap is only a guard */
  bool progress = true;
  for (int round = 0; progress && round < 64; round++)
    if (detach_round(fd, rootfs, &progress, err) < 0)
      return berth_error_ret(*err);
  return cover_remaining(fd, rootfs, err);
}

/* ------------------------------------------------------------ finish */

/* No mount namespace of our own: only chroot (the mounts are the caller's) */
static int chroot_only(const struct init_ctx *ctx, berth_error_t *err)
{
  if (chroot(".") < 0)
    return berth_fail_sys(err, "chroot to the rootfs %s", ctx->rootfs);
  if (chdir("/") < 0)
    return berth_fail_sys(err, "chdir /");
  return 0;
}

/* pivot_root(".", ".") stacks the old root on the new one while "."
 * still names the new root: the old root is reached through an fd taken
 * before. It is made a slave so that detaching it unmounts nothing of the
 * caller's; the new root's own propagation (a volume shared with the host,
 * say) is left as it is. */
static int pivot_and_detach_old_root(const char *rootfs, berth_error_t *err)
{
  _cleanup_close_ int old_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (old_root < 0)
    return berth_fail_sys(err, "open the old root");
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return berth_fail_sys(err, "pivot_root to %s", rootfs);
  if (fchdir(old_root) < 0)
    return berth_fail_sys(err, "chdir to the old root");
  if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return berth_fail_sys(err, "make the old root a slave");
  if (umount2(".", MNT_DETACH) < 0)
    return berth_fail_sys(err, "detach the old root");
  return 0;
}

static int enter_root(const struct init_ctx *ctx, berth_error_t *err)
{
  berth_log_phase("pivot");
  _cleanup_close_ int new_root = open(ctx->rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (new_root < 0)
    return berth_fail_sys(err, "open rootfs %s", ctx->rootfs);
  if (fchdir(new_root) < 0)
    return berth_fail_sys(err, "chdir to the rootfs %s", ctx->rootfs);
  if (ctx->no_mountns)
    return chroot_only(ctx, err);
  if (ctx->no_pivot)
    {
      if (detach_outside_rootfs(ctx->rootfs, err) < 0)
        return berth_error_ret(*err);
      if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
        return berth_fail_sys(err, "move the rootfs %s to /", ctx->rootfs);
      if (chroot(".") < 0)
        return berth_fail_sys(err, "chroot to the rootfs");
    }
  else if (pivot_and_detach_old_root(ctx->rootfs, err) < 0)
    return berth_error_ret(*err);
  if (chdir("/") < 0)
    return berth_fail_sys(err, "chdir /");
  return 0;
}

/* A shared, private or unbindable root propagation is applied to the new
 * root last: on the rootfs before pivot_root, shared could reach the
 * caller's mounts and makes pivot_root fail; unbindable would fail the
 * bind of the rootfs on itself and those of the masked and read-only
 * paths. A slave one is in effect already. */
static int apply_root_propagation(const struct init_ctx *ctx, berth_error_t *err)
{
  enum storage_propagation prop;
  if (root_propagation(ctx, &prop, err) < 0)
    return berth_error_ret(*err);
  if (prop == STORAGE_PROP_RSLAVE || prop == STORAGE_PROP_SLAVE)
    return 0;
  if (mount(NULL, "/", NULL, storage_propagation_flags(prop), NULL) < 0)
    return berth_fail_sys(err,
                          "set the propagation of the container's / (.linux.rootfsPropagation)");
  return 0;
}

static int open_dev_null(int root_fd, berth_error_t *err)
{
  int fd = storage_open_in_root(root_fd, "/dev/null", O_PATH, 0, err);
  if (fd < 0)
    return berth_wrap(err, "maskedPaths need /dev/null");
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
    {
      close(fd);
      return berth_fail(err, 0, "maskedPaths: /dev/null in the container is not the null device");
    }
  return fd;
}

/* O_PATH fd of path inside the root; 0 with *fd = -1 when it does not
 * exist (masked and read-only paths skip what the image lacks) */
static int open_if_exists_in_root(int root_fd, const char *path, int *fd, berth_error_t *err)
{
  berth_error_t e = NULL;
  *fd = storage_open_in_root(root_fd, path, O_PATH, 0, &e);
  if (*fd >= 0)
    return 0;
  int r = berth_error_ret(e);
  if (r == -ENOENT)
    {
      berth_error_free(&e);
      return 0;
    }
  *err = e;
  return r;
}

/* masked and read-only paths go on procfs only when they name /proc/... */
static int check_path_target(int fd, const char *path, berth_error_t *err)
{
  _cleanup_free_ char *abs = xasprintf("/%s", path);
  _cleanup_free_ char *clean = storage_path_clean(abs);
  if (str_eq(clean, "/proc") || str_has_prefix(clean, "/proc/"))
    return 0;
  return refuse_procfs_target(fd, clean, err);
}

static int mask_path(int root_fd, int *dev_null, const char *path, berth_error_t *err)
{
  _cleanup_close_ int fd = -1;
  int r = open_if_exists_in_root(root_fd, path, &fd, err);
  if (r < 0 || fd < 0)
    return r;
  if (check_path_target(fd, path, err) < 0)
    return berth_error_ret(*err);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return berth_fail_sys(err, "stat %s", path);
  if (S_ISDIR(st.st_mode))
    return storage_mount_fs("tmpfs", fd, "tmpfs", MS_RDONLY, NULL, err);
  if (*dev_null < 0 && (*dev_null = open_dev_null(root_fd, err)) < 0)
    return berth_error_ret(*err);
  return storage_bind_fd(NULL, *dev_null, fd, path, false, 0, err);
}

static int readonly_path(int root_fd, const char *path, berth_error_t *err)
{
  _cleanup_close_ int fd = -1;
  int r = open_if_exists_in_root(root_fd, path, &fd, err);
  if (r < 0 || fd < 0)
    return r;
  if (check_path_target(fd, path, err) < 0 || storage_bind_fd(NULL, fd, fd, path, true, 0, err) < 0)
    return berth_error_ret(*err);
  _cleanup_close_ int top = storage_open_in_root(root_fd, path, O_PATH, 0, err);
  if (top < 0)
    return berth_error_ret(*err);
  berth_error_t e = NULL;
  if (storage_remount_flags(top, MS_RDONLY, true, &e) == 0)
    return 0;
  if (berth_error_ret(e) != -ENOSYS)
    {
      *err = e;
      return berth_error_ret(*err);
    }
  berth_error_free(&e);
  return storage_remount_flags(top, MS_RDONLY, false, err);
}

static bool any_under_proc(char *const *paths, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      _cleanup_free_ char *abs = xasprintf("/%s", paths[i]);
      _cleanup_free_ char *clean = storage_path_clean(abs);
      if (str_eq(clean, "/proc") || str_has_prefix(clean, "/proc/"))
        return true;
    }
  return false;
}

/* Without procfs at /proc (no proc mount in the config) the masks under
 * /proc have only the image's files to cover: never a silent skip. The
 * sysctls do not depend on it (a private procfs instance takes them). */
static void warn_if_proc_is_not_procfs(int root_fd, const struct spec_linux *l)
{
  if (!l || (!any_under_proc(l->masked_paths, l->n_masked_paths)
             && !any_under_proc(l->readonly_paths, l->n_readonly_paths)))
    return;
  _cleanup_error_ berth_error_t e = NULL;
  _cleanup_close_ int proc
      = storage_open_in_root(root_fd, "/proc", O_PATH | O_DIRECTORY, STORAGE_NO_SYMLINKS, &e);
  if (proc >= 0 && procfs_fd_is_procfs(proc))
    return;
  berth_log_warning("the container's /proc is not procfs: maskedPaths and readonlyPaths under "
                    "/proc apply to the rootfs's own files only");
}

int rootfs_finish(const struct init_ctx *ctx, berth_error_t *err)
{
  if (enter_root(ctx, err) < 0)
    return berth_error_ret(*err);
  _cleanup_close_ int root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return berth_fail_sys(err, "open /");

  if (process_apply_names(ctx, err) < 0 || sysctl_apply(ctx, err) < 0)
    return berth_error_ret(*err);

  const struct spec_linux *l = ctx->config->linux_;
  warn_if_proc_is_not_procfs(root_fd, l);
  for (size_t i = 0; l && i < l->n_readonly_paths; i++)
    if (readonly_path(root_fd, l->readonly_paths[i], err) < 0)
      return berth_wrap(err, ".linux.readonlyPaths[%zu] %s", i, l->readonly_paths[i]);

  _cleanup_close_ int dev_null = -1;
  for (size_t i = 0; l && i < l->n_masked_paths; i++)
    if (mask_path(root_fd, &dev_null, l->masked_paths[i], err) < 0)
      return berth_wrap(err, ".linux.maskedPaths[%zu] %s", i, l->masked_paths[i]);

  if (ctx->config->root && ctx->config->root->readonly)
    {
      _cleanup_close_ int top = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (top < 0)
        return berth_fail_sys(err, "open /");
      if (storage_remount_flags(top, MS_RDONLY, false, err) < 0)
        return berth_wrap(err, "remount / read-only (.root.readonly)");
    }
  if (!ctx->no_mountns && apply_root_propagation(ctx, err) < 0)
    return berth_error_ret(*err);
  if (chdir("/") < 0)
    return berth_fail_sys(err, "chdir /");
  return 0;
}
