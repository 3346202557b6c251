/* Detached mount trees made on the host side for the init: hosttrees.h. */
#include "runtime/hosttrees.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/linux.h"
#include "storage/mountinfo.h"
#include "storage/procfs.h"
#include "util/log.h"
#include "util/util.h"

bool host_trees_is_idmapped(const struct spec_mount *m, const struct storage_mount_opts *o)
{
  return o->idmap || m->n_uid_mappings || m->n_gid_mappings;
}

static bool is_bind_mount(const struct spec_mount *m, const struct storage_mount_opts *o)
{
  return o->bind || str_eq(m->type, "bind") || str_eq(m->type, "rbind");
}

static char *source_path(const char *bundle, const char *source)
{
  return source[0] == '/' ? xstrdup(source) : xasprintf("%s/%s", bundle, source);
}

/* ------------------------------------------------------------ host restrictions */

static bool has_submounts(const char *dir)
{
  _cleanup_(storage_mount_table_free) struct storage_mount_table t = { 0 };
  _cleanup_error_ berth_error_t ignored = NULL;
  if (storage_mountinfo_read(-1, &t, &ignored) < 0)
    return true; /* unknown: assume the worst */
  return storage_mounts_below(&t, dir);
}

/* Why a copy of src made here would give the container more than a bind
 * made in its user namespace (NULL: it would not). */
static const char *lost_host_restriction(const char *src, bool recursive)
{
  struct statvfs sv;
  if (statvfs(src, &sv) < 0)
    return "its mount cannot be inspected";
  if (sv.f_flag & (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC))
    return "its host mount is ro, nosuid, nodev or noexec";
  if (!recursive)
    return NULL;
  _cleanup_free_ char *real = realpath(src, NULL);
  if (!real || has_submounts(real))
    return "it has submounts";
  return NULL;
}

/* ------------------------------------------------------------ id maps */

static int write_map(int proc, pid_t pid, const char *file, const struct spec_id_mapping *m,
                     size_t n, berth_error_t *err)
{
  _cleanup_free_ char *text = spec_id_mappings_text(m, n);
  _cleanup_free_ char *path = xasprintf("%d/%s", (int) pid, file);
  return procfs_write(proc, path, text, strlen(text), err);
}

static int map_and_open_userns(pid_t pid, const struct spec_id_mapping *u, size_t nu,
                               const struct spec_id_mapping *g, size_t ng, berth_error_t *err)
{
  _cleanup_close_ int proc = procfs_open(PROCFS_PIDS, err);
  if (proc < 0)
    return -1;
  if (write_map(proc, pid, "uid_map", u, nu, err) < 0
      || write_map(proc, pid, "gid_map", g, ng, err) < 0)
    return -1;
  _cleanup_free_ char *path = xasprintf("%d/ns/user", (int) pid);
  int fd = openat(proc, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "open /proc/%d/ns/user", (int) pid);
  return fd;
}

/* A user namespace with these maps, as an fd: a child made in it waits
 * on a pipe while its maps are written and the namespace is opened. */
static int idmap_userns_open(const struct spec_id_mapping *u, size_t nu,
                             const struct spec_id_mapping *g, size_t ng, berth_error_t *err)
{
  int hold[2];
  if (pipe2(hold, O_CLOEXEC) < 0)
    return berth_fail_sys(err, "pipe");
  pid_t pid = (pid_t) syscall(SYS_clone, (unsigned long) (CLONE_NEWUSER | SIGCHLD), NULL, NULL,
                              NULL, 0UL);
  if (pid == 0)
    {
      char b;
      close(hold[1]);
      while (read(hold[0], &b, 1) < 0 && errno == EINTR)
        ;
      _exit(0);
    }
  int saved = errno;
  close(hold[0]);
  if (pid < 0)
    {
      close(hold[1]);
      return berth_fail(err, saved, "create a user namespace for the id map");
    }
  int fd = map_and_open_userns(pid, u, nu, g, ng, err);
  close(hold[1]);
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return fd;
}

/* The mount's own mappings, else the container's. */
static int idmap_mappings(const struct spec_config *c, const struct spec_mount *m, size_t i,
                          const struct spec_id_mapping **u, size_t *nu,
                          const struct spec_id_mapping **g, size_t *ng, berth_error_t *err)
{
  if (m->n_uid_mappings || m->n_gid_mappings)
    {
      if (!m->n_uid_mappings || !m->n_gid_mappings)
        return berth_fail(err, 0, ".mounts[%zu].%s: an id-mapped mount needs both uidMappings "
                                  "and gidMappings",
                          i, m->n_uid_mappings ? "gidMappings" : "uidMappings");
      *u = m->uid_mappings, *nu = m->n_uid_mappings;
      *g = m->gid_mappings, *ng = m->n_gid_mappings;
      return 0;
    }
  const struct spec_linux *lx = c->linux_;
  if (!lx || !lx->n_uid_mappings || !lx->n_gid_mappings)
    return berth_fail(err, 0, ".mounts[%zu].uidMappings: option idmap without mappings of the "
                              "mount's own needs the container's .linux.uidMappings and "
                              ".linux.gidMappings",
                      i);
  *u = lx->uid_mappings, *nu = lx->n_uid_mappings;
  *g = lx->gid_mappings, *ng = lx->n_gid_mappings;
  return 0;
}

static int set_idmap(const struct spec_config *c, const struct spec_mount *m, size_t i, int tree,
                     bool recursive, berth_error_t *err)
{
  const struct spec_id_mapping *u = NULL, *g = NULL;
  size_t nu = 0, ng = 0;
  if (idmap_mappings(c, m, i, &u, &nu, &g, &ng, err) < 0)
    return -1;
  _cleanup_close_ int userns = idmap_userns_open(u, nu, g, ng, err);
  if (userns < 0)
    return berth_wrap(err, ".mounts[%zu]: id map", i);
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
  if (mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr)
      < 0)
    return berth_fail_sys(err, ".mounts[%zu]: id-map the mount of %s (the filesystem may not "
                               "support id-mapped mounts)",
                          i, m->source);
  return 0;
}

/* ------------------------------------------------------------ per mount */

static int prepare_mount(const struct spec_config *c, size_t i, const char *bundle, bool userns,
                         int *out, berth_error_t *err)
{
  const struct spec_mount *m = &c->mounts[i];
  struct storage_mount_opts o;
  _cleanup_error_ berth_error_t ignored = NULL;
  if (storage_mount_opts_parse(m->options, &o, &ignored) < 0)
    return 0; /* the init reports it, in its place */
  bool idmapped = host_trees_is_idmapped(m, &o);
  bool bind = is_bind_mount(m, &o);
  bool recursive = o.recursive || str_eq(m->type, "rbind");
  bool idmap_recursive = o.idmap_recursive;
  unsigned long flags = o.flags & ~(unsigned long) (MS_BIND | MS_REC | MS_REMOUNT);
  storage_mount_opts_free(&o);
  if (idmapped && !bind)
    return berth_fail(err, 0, ".mounts[%zu]: id-mapped mounts (idmap, ridmap, uidMappings) are "
                              "bind mounts only, not %s",
                      i, m->type ? m->type : "an untyped mount");
  if (!bind || (!idmapped && !userns) || !m->source || !*m->source)
    return 0;
  _cleanup_free_ char *src = source_path(bundle, m->source);
  const char *why = userns ? lost_host_restriction(src, recursive) : NULL;
  if (!idmapped)
    {
      if (why)
        {
          berth_log_debug(".mounts[%zu]: no host-side copy of %s: %s", i, src, why);
          return 0;
        }
      berth_error_t e = NULL;
      *out = storage_open_bind_tree(src, recursive, flags, &e);
      if (*out < 0)
        {
          /* the init binds by path then, and reports what fails */
          berth_log_debug(".mounts[%zu]: no host-side copy: %s", i, berth_error_msg(e));
          berth_error_free(&e);
        }
      return 0;
    }
  if (why)
    return berth_fail(err, 0, ".mounts[%zu]: id-mapped bind of %s in a user namespace: %s, "
                              "and the container could lift that on a mount made on the host "
                              "side",
                      i, src, why);
  _cleanup_close_ int tree = storage_open_bind_tree(src, recursive, flags, err);
  if (tree < 0)
    return berth_wrap(err, ".mounts[%zu]", i);
  if (set_idmap(c, m, i, tree, idmap_recursive, err) < 0)
    return -1;
  *out = steal_fd(&tree);
  return 0;
}

static int *fd_array(size_t n)
{
  int *a = xcalloc(n ? n : 1, sizeof *a);
  for (size_t i = 0; i < n; i++)
    a[i] = -1;
  return a;
}

int host_trees_prepare(const struct spec_config *c, const char *bundle, int state_dir_fd,
                       struct host_trees *t, berth_error_t *err)
{
  const struct spec_namespace *user = spec_find_namespace(c, SPEC_NS_USER);
  const struct spec_linux *lx = c->linux_;
  t->n_mounts = c->n_mounts;
  t->mounts = fd_array(t->n_mounts);
  t->n_devices = lx ? lx->n_devices : 0;
  t->devices = fd_array(t->n_devices);
  for (size_t i = 0; i < c->n_mounts; i++)
    if (prepare_mount(c, i, bundle, user != NULL, &t->mounts[i], err) < 0)
      return -1;
  /* real root only: mknod in the host's user namespace */
  if (user && !user->path && t->n_devices && geteuid() == 0
      && devices_make_host_nodes(c, state_dir_fd, t->devices, err) < 0)
    return -1;
  return 0;
}

bool host_trees_holds(const struct host_trees *t, int fd)
{
  for (size_t i = 0; t && i < t->n_mounts; i++)
    if (t->mounts[i] == fd)
      return true;
  for (size_t i = 0; t && i < t->n_devices; i++)
    if (t->devices[i] == fd)
      return true;
  return false;
}

void host_trees_close(struct host_trees *t)
{
  if (!t)
    return;
  for (size_t i = 0; t->mounts && i < t->n_mounts; i++)
    if (t->mounts[i] >= 0)
      close(t->mounts[i]);
  for (size_t i = 0; t->devices && i < t->n_devices; i++)
    if (t->devices[i] >= 0)
      close(t->devices[i]);
  free(t->mounts);
  free(t->devices);
  *t = (struct host_trees){ 0 };
}
