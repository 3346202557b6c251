/* The cgroups interface: host discovery, the per-hierarchy directories of
 * a container's cgroup, and dispatch to the v2 and v1 drivers. Measured
 * cost and why libcgroup is not used: cgroups_internal.h. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroups_internal.h"
#include "cgroups/resources.h"
#include "util/log.h"
#include "cgroups/systemd.h"
#include "util/util.h"

#define CGROUP_FS_ROOT "/sys/fs/cgroup"
#define CGROUP_FILE_MAX (1 << 20)
#define CGROUP_PROCS_MAX (64 << 20)
/* how long destroy waits for killed processes to leave */
#define CGROUP_DESTROY_WAIT_MS 5000
/* ... or this many tries in a row with no process left (about 0.1 s) */
#define CGROUP_DESTROY_EMPTY_ROUNDS 10

/* --------------------------------------------------------- discovery */

static struct cgroup_mounts host_mounts;
static enum cgroup_mode host_mode;
static bool host_discovered;

/* A pure v2 host is recognised by one statfs; only other hosts pay for
 * reading /proc/self/mountinfo, and only once per process. */
static int discover_host(berth_error_t *err)
{
  if (host_discovered)
    return 0;
  struct statfs sfs;
  if (statfs(CGROUP_FS_ROOT, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    {
      host_mounts.h = xcalloc(1, sizeof(*host_mounts.h));
      host_mounts.h[0] = (struct cgroup_hierarchy) {
        .mount_point = xstrdup(CGROUP_FS_ROOT), .root = xstrdup("/"), .v2 = true
      };
      host_mounts.n = 1;
      host_mode = CGROUP_MODE_UNIFIED;
      host_discovered = true;
      return 0;
    }
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", CGROUP_PROCS_MAX, &text, &len, err) < 0)
    return berth_wrap(err, "find cgroup mounts");
  struct cgroup_mounts m = { 0 };
  if (cgroup_parse_mountinfo(text, &m, err) < 0 || cgroup_mode_from_mounts(&m, &host_mode, err) < 0)
    {
      cgroup_mounts_clear(&m);
      return berth_wrap(err, "find cgroup mounts");
    }
  host_mounts = m;
  host_discovered = true;
  return 0;
}

int cgroup_detect_mode(enum cgroup_mode *out, berth_error_t *err)
{
  if (discover_host(err) < 0)
    return berth_error_ret(*err);
  *out = host_mode;
  return 0;
}

int cgroup_host_has_controller(const char *controller, bool *has, berth_error_t *err)
{
  *has = false;
  if (discover_host(err) < 0)
    return berth_error_ret(*err);
  for (size_t i = 0; i < host_mounts.n && !*has; i++)
    {
      const struct cgroup_hierarchy *h = &host_mounts.h[i];
      if (!h->v2)
        {
          *has = cgroup_controllers_have(h->controllers, controller);
          continue;
        }
      _cleanup_free_ char *text = NULL;
      size_t len;
      _cleanup_error_ berth_error_t ignored = NULL;
      _cleanup_free_ char *file = xasprintf("%s/cgroup.controllers", h->mount_point);
      if (read_file_at(AT_FDCWD, file, CGROUP_FILE_MAX, &text, &len, &ignored) == 0)
        *has = cgroup_controllers_text_has(text, controller);
    }
  return 0;
}

/* --------------------------------------------------------- cgroupfs helpers */

int cgroup_fs_write(const char *dir, const char *file, const char *value, berth_error_t *err)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
  return write_file_at(AT_FDCWD, p, value, strlen(value), err);
}

int cgroup_fs_read(const char *dir, const char *file, char **out, berth_error_t *err)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
  size_t len;
  return read_file_at(AT_FDCWD, p, CGROUP_FILE_MAX, out, &len, err);
}

static void pids_append(pid_t **pids, size_t *n, pid_t pid)
{
  *pids = xreallocarray(*pids, *n + 1, sizeof(pid_t));
  (*pids)[(*n)++] = pid;
}

/* cgroup.procs of dir (appended to *pids); a missing dir adds nothing */
static int read_procs_file(const char *dir, pid_t **pids, size_t *n, berth_error_t *err)
{
  _cleanup_free_ char *p = xasprintf("%s/cgroup.procs", dir);
  _cleanup_free_ char *text = NULL;
  size_t len;
  _cleanup_error_ berth_error_t e = NULL;
  if (read_file_at(AT_FDCWD, p, CGROUP_PROCS_MAX, &text, &len, &e) < 0)
    {
      if (e->errnum == ENOENT || e->errnum == ENODEV)
        return 0;
      *err = steal_pointer(&e);
      return berth_error_ret(*err);
    }
  for (char *line = text, *next; *line; line = next)
    {
      next = strchrnul(line, '\n');
      if (*next)
        *next++ = '\0';
      long long v;
      if (line[0] == '\0')
        continue;
      if (parse_int64(line, &v) < 0 || v <= 0)
        return berth_fail(err, EINVAL, "%s: bad pid \"%s\"", p, line);
      pids_append(pids, n, (pid_t) v);
    }
  return 0;
}

/* Every process of dir and of the cgroups below it (a container may make
 * sub-cgroups of its own). */
int cgroup_fs_read_pids(const char *dir, pid_t **pids, size_t *n, berth_error_t *err)
{
  if (read_procs_file(dir, pids, n, err) < 0)
    return -1;
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : berth_fail_sys(err, "open %s", dir);
  struct dirent *de;
  while ((de = readdir(d)))
    {
      if (de->d_type != DT_DIR || str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
        continue;
      _cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
      if (cgroup_fs_read_pids(sub, pids, n, err) < 0)
        return -1;
    }
  return 0;
}

static int mkdir_levels_once(struct cgroup_dir *dir, const char *cg_path,
                             const struct cgroup_level_hooks *hooks, berth_error_t *err)
{
  _cleanup_free_ char *cur = xstrdup(dir->mount_point);
  for (const char *s = cg_path; *s;)
    {
      while (*s == '/')
        s++;
      size_t len = strcspn(s, "/");
      if (len == 0)
        break;
      if (hooks->before_child && hooks->before_child(cur, err) < 0)
        return -1;
      char *child = xasprintf("%s/%.*s", str_eq(cur, "/") ? "" : cur, (int) len, s);
      s += len;
      free(cur);
      cur = child;
      if (mkdir(cur, 0755) < 0)
        {
          if (errno == EEXIST && dir->made_depth == 0)
            continue;
          return berth_fail_sys(err, "mkdir %s", cur);
        }
      dir->made_depth++;
    }
  return 0;
}

int cgroup_fs_mkdir_levels(struct cgroup_dir *dir, const char *cg_path,
                           const struct cgroup_level_hooks *hooks, berth_error_t *err)
{
  /* a shared parent (/berth) we found can vanish under us when the last
   * container in it is destroyed at that moment: start over */
  for (int attempt = 0;; attempt++)
    {
      int r = mkdir_levels_once(dir, cg_path, hooks, err);
      if (r == 0 || attempt == 3 || dir->made_depth > 0 || (*err)->errnum != ENOENT)
        return r;
      berth_error_free(err);
    }
}

void cgroup_fs_undo_create(struct cgroup_dir *dir)
{
  _cleanup_free_ char *p = xstrdup(dir->path);
  for (; dir->made_depth > 0; dir->made_depth--)
    {
      rmdir(p);
      char *slash = strrchr(p, '/');
      if (slash == NULL || slash == p)
        break;
      *slash = '\0';
    }
  dir->made_depth = 0;
}

/* --------------------------------------------------------- handles */

static struct berth_cgroup *cgroup_new(const char *path)
{
  struct berth_cgroup *cg = xcalloc(1, sizeof(*cg));
  cg->mode = host_mode;
  cg->path = xstrdup(path);
  cg->clone_fd = -1;
  for (size_t i = 0; i < host_mounts.n; i++)
    {
      const struct cgroup_hierarchy *h = &host_mounts.h[i];
      if (host_mode == CGROUP_MODE_UNIFIED && !h->v2)
        continue; /* a leftover named v1 hierarchy */
      if (h->v2 && cg->n_dirs > 0 && cg->dirs[0].v2)
        continue; /* a second cgroup2 mount */
      cg->dirs = xreallocarray(cg->dirs, cg->n_dirs + 1, sizeof(*cg->dirs));
      struct cgroup_dir *d = &cg->dirs[cg->n_dirs++];
      *d = (struct cgroup_dir) {
        .path = xasprintf("%s%s", str_eq(h->mount_point, "/") ? "" : h->mount_point, path),
        .mount_point = xstrdup(h->mount_point),
        .v2 = h->v2,
        .controllers = NULL,
      };
      if (!h->v2)
        {
          size_t n = strv_len(h->controllers);
          d->controllers = xcalloc(n + 1, sizeof(char *));
          for (size_t j = 0; j < n; j++)
            d->controllers[j] = xstrdup(h->controllers[j]);
        }
      /* keep the v2 dir first: on unified it is the only one, on hybrid
       * the v1 lookups skip it */
      if (d->v2 && cg->n_dirs > 1)
        {
          struct cgroup_dir tmp = *d;
          memmove(&cg->dirs[1], &cg->dirs[0], (cg->n_dirs - 1) * sizeof(*cg->dirs));
          cg->dirs[0] = tmp;
        }
    }
  return cg;
}

void cgroup_free(struct berth_cgroup *cg)
{
  if (cg == NULL)
    return;
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      free(cg->dirs[i].path);
      free(cg->dirs[i].mount_point);
      strv_free(cg->dirs[i].controllers);
    }
  free(cg->dirs);
  free(cg->path);
  if (cg->clone_fd >= 0)
    close(cg->clone_fd);
  cgroup_sd_free(cg->sd);
  free(cg);
}

static void cgroup_freep(struct berth_cgroup **cg)
{
  cgroup_free(*cg);
}
#define _cleanup_cgroup_ _cleanup_(cgroup_freep)

const struct cgroup_dir *cgroup_v1_dir_for(const struct berth_cgroup *cg, const char *controller)
{
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (!cg->dirs[i].v2 && cgroup_controllers_have(cg->dirs[i].controllers, controller))
      return &cg->dirs[i];
  return NULL;
}

const struct cgroup_dir *cgroup_procs_dir(const struct berth_cgroup *cg)
{
  if (cg->mode == CGROUP_MODE_UNIFIED)
    return &cg->dirs[0];
  const struct cgroup_dir *d = cgroup_v1_dir_for(cg, "pids");
  if (d)
    return d;
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (!cg->dirs[i].v2)
      return &cg->dirs[i];
  return &cg->dirs[0];
}

static void undo_create(struct berth_cgroup *cg)
{
  for (size_t i = cg->n_dirs; i-- > 0;)
    cgroup_fs_undo_create(&cg->dirs[i]);
}

static int check_reusable(struct berth_cgroup *cg, berth_error_t *err)
{
  const struct cgroup_dir *d = cgroup_procs_dir(cg);
  if (d->made_depth > 0)
    return 0;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (cgroup_fs_read_pids(d->path, &pids, &n, err) < 0)
    return -1;
  if (n > 0)
    return berth_fail(err, EBUSY, "%s already exists and has %zu process%s in it", d->path, n,
                      n == 1 ? "" : "es");
  return 0;
}

int cgroup_create(const char *path, struct berth_cgroup **out, berth_error_t *err)
{
  if (discover_host(err) < 0)
    return berth_wrap(err, "create cgroup %s", path);
  if (path == NULL || path[0] != '/' || path[1] == '\0')
    return berth_fail(err, EINVAL, "create cgroup \"%s\": not an absolute non-root cgroup path",
                      path ? path : "");
  _cleanup_cgroup_ struct berth_cgroup *cg = cgroup_new(path);
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      struct cgroup_dir *d = &cg->dirs[i];
      int r = d->v2 ? cgroup_v2_create_dir(d, path, err)
                    : cgroup_v1_create_dir(d, path, err);
      if (r < 0)
        {
          undo_create(cg);
          return berth_wrap(err, "create cgroup %s", path);
        }
    }
  if (check_reusable(cg, err) < 0 || cgroup_check_not_frozen(cg, err) < 0)
    {
      undo_create(cg);
      return berth_wrap(err, "create cgroup %s", path);
    }
  *out = steal_pointer(&cg);
  return 0;
}

int cgroup_open(const char *path, struct berth_cgroup **out, berth_error_t *err)
{
  if (discover_host(err) < 0)
    return berth_wrap(err, "open cgroup %s", path);
  if (path == NULL || path[0] != '/' || path[1] == '\0')
    return berth_fail(err, EINVAL, "open cgroup \"%s\": not an absolute non-root cgroup path",
                      path ? path : "");
  *out = cgroup_new(path);
  return 0;
}

const char *cgroup_get_path(const struct berth_cgroup *cg)
{
  return cg->path;
}

enum cgroup_mode cgroup_get_mode(const struct berth_cgroup *cg)
{
  return cg->mode;
}

void cgroup_log_dirs(const struct berth_cgroup *cg)
{
  if (!berth_log_enabled(BERTH_LOG_DEBUG))
    return;
  static const char *const modes[] = {"unified (v2)", "hybrid (v1 + v2)", "legacy (v1)"};
  berth_log_debug("cgroup %s: %s, %zu director%s", cg->path, modes[cg->mode], cg->n_dirs,
                  cg->n_dirs == 1 ? "y" : "ies");
  for (size_t i = 0; i < cg->n_dirs; i++)
    berth_log_debug("cgroup dir %s (%s)", cg->dirs[i].path, cg->dirs[i].v2 ? "v2" : "v1");
}

int cgroup_clone_fd(struct berth_cgroup *cg)
{
  if (cg->mode != CGROUP_MODE_UNIFIED || (cg->sd && cgroup_sd_made_nothing(cg)))
    return -1;
  if (cg->clone_fd < 0)
    cg->clone_fd = open(cg->dirs[0].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return cg->clone_fd;
}

int cgroup_enter(struct berth_cgroup *cg, pid_t pid, berth_error_t *err)
{
  char buf[32];
  snprintf(buf, sizeof(buf), "%d", (int) pid);
  if (cg->sd && cgroup_sd_start(cg, pid, err) < 0)
    return -1;
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (cgroup_fs_write(cg->dirs[i].path, "cgroup.procs", buf, err) < 0)
      return berth_wrap(err, "move pid %d into cgroup %s", (int) pid, cg->path);
  if (cg->sd && cgroup_sd_apply_pending(cg, err) < 0)
    return -1;
  return 0;
}

int cgroup_pids(struct berth_cgroup *cg, pid_t **pids, size_t *n, berth_error_t *err)
{
  _cleanup_free_ pid_t *v = NULL;
  size_t count = 0;
  if (cgroup_fs_read_pids(cgroup_procs_dir(cg)->path, &v, &count, err) < 0)
    return berth_wrap(err, "list processes of cgroup %s", cg->path);
  *pids = steal_pointer(&v);
  *n = count;
  return 0;
}

int cgroup_kill_all(struct berth_cgroup *cg, int sig, berth_error_t *err)
{
  int r = cg->mode == CGROUP_MODE_UNIFIED ? cgroup_v2_kill_all(&cg->dirs[0], sig, err)
                                          : cgroup_v1_kill_all(cg, sig, err);
  return r < 0 ? berth_wrap(err, "signal %d to cgroup %s", sig, cg->path) : 0;
}

int cgroup_signal_pids(const char *dir, int sig, size_t *n_signalled, berth_error_t *err)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (cgroup_fs_read_pids(dir, &pids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill(pids[i], sig) < 0 && errno != ESRCH)
      return berth_fail_sys(err, "kill %d (in %s)", (int) pids[i], dir);
  if (n_signalled)
    *n_signalled = n;
  return 0;
}

/* rmdir dir and the cgroups a container made below it; ENOENT is fine */
static int rmdir_tree(const char *dir)
{
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : -1;
  struct dirent *de;
  while ((de = readdir(d)))
    {
      if (de->d_type != DT_DIR || str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
        continue;
      _cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
      if (rmdir_tree(sub) < 0)
        return -1;
    }
  if (rmdir(dir) < 0 && errno != ENOENT)
    return -1;
  return 0;
}

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* rmdir every hierarchy's leaf that is still there; 0 when all are gone,
 * else the errno of the last failure and its path in *busy */
static int remove_leaves(struct berth_cgroup *cg, bool with_children, const char **busy)
{
  int e = 0;
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      int r = with_children ? rmdir_tree(cg->dirs[i].path) : rmdir(cg->dirs[i].path);
      if (r < 0 && errno != ENOENT)
        {
          e = errno;
          *busy = cg->dirs[i].path;
        }
    }
  return e;
}

/* A handle from cgroup_create also removes the parents that create made
 * (a failed create leaves nothing behind); one another container still
 * uses refuses rmdir and stays. A handle from cgroup_open made nothing. */
static void remove_made_parents(struct berth_cgroup *cg)
{
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      struct cgroup_dir *d = &cg->dirs[i];
      _cleanup_free_ char *p = xstrdup(d->path);
      for (; d->made_depth > 1; d->made_depth--)
        {
          char *slash = strrchr(p, '/');
          if (slash == NULL || slash == p)
            break;
          *slash = '\0';
          if (rmdir(p) < 0)
            break;
        }
      d->made_depth = 0;
    }
}

static void removed(struct berth_cgroup *cg)
{
  if (cg->mode != CGROUP_MODE_UNIFIED)
    {
      const struct cgroup_dir *cpu = cgroup_v1_dir_for(cg, "cpu");
      if (cpu)
        cgroup_v1_rt_release(cpu, cg->path);
    }
  remove_made_parents(cg);
}

static size_t pids_left(struct berth_cgroup *cg)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  _cleanup_error_ berth_error_t ignored = NULL;
  if (cgroup_fs_read_pids(cgroup_procs_dir(cg)->path, &pids, &n, &ignored) < 0)
    return 1;
  return n;
}

static int destroy_cgroupfs(struct berth_cgroup *cg, berth_error_t *err)
{
  const char *busy = NULL;
  /* the common case (the container is gone) costs one rmdir per hierarchy:
   * the kernel refuses to remove a cgroup with processes or children */
  int e = remove_leaves(cg, false, &busy);
  if (e == 0)
    {
      removed(cg);
      return 0;
    }
  long long deadline = now_ms() + CGROUP_DESTROY_WAIT_MS;
  useconds_t pause_us = 500;
  int empty_rounds = 0;
  for (int round = 1; e == EBUSY || e == ENOTEMPTY; round++)
    {
      /* killed processes leave asynchronously: kill, then try to remove;
       * EBUSY means someone is still there, so kill again and retry. A
       * frozen process (a paused container, a sub-cgroup the container
       * froze) acts on SIGKILL only once thawed. */
      cgroup_thaw_tree(cg);
      if (cgroup_kill_all(cg, SIGKILL, err) < 0)
        return berth_wrap(err, "destroy cgroup %s", cg->path);
      e = remove_leaves(cg, true, &busy);
      if (e == 0)
        {
          removed(cg);
          return 0;
        }
      /* no process left and still busy (something mounted on a sub-cgroup,
       * say): waiting does not help */
      empty_rounds = pids_left(cg) == 0 ? empty_rounds + 1 : 0;
      if (empty_rounds >= CGROUP_DESTROY_EMPTY_ROUNDS)
        return berth_fail(err, e, "destroy cgroup %s: rmdir %s (no process is left in it)", cg->path, busy);
      if (now_ms() > deadline)
        return berth_fail(err, e, "destroy cgroup %s: rmdir %s (still busy after %d tries)", cg->path,
                          busy, round);
      usleep(pause_us);
      if (pause_us < 20000)
        pause_us *= 2;
    }
  return berth_fail(err, e, "destroy cgroup %s: rmdir %s", cg->path, busy);
}

/* the systemd driver kills through cgroupfs first: stopping a unit with
 * processes in it would wait for their SIGTERM */
int cgroup_destroy(struct berth_cgroup *cg, berth_error_t *err)
{
  if (cg->sd && cgroup_sd_made_nothing(cg))
    return 0;
  if (destroy_cgroupfs(cg, err) < 0)
    return -1;
  return cg->sd ? cgroup_sd_stop(cg, err) : 0;
}

int cgroup_apply_resources_with(struct berth_cgroup *cg, const struct spec_resources *r,
                                const struct cgroup_apply_options *o, berth_error_t *err)
{
  if (r == NULL && !(o && o->devices_always))
    return 0;
  if (cg->sd)
    {
      int sd = cgroup_sd_apply(cg, r, o, err);
      if (sd <= 0)
        return sd < 0 ? berth_wrap(err, "cgroup %s", cg->path) : 0;
    }
  return cgroup_apply_files(cg, r, o, err);
}

int cgroup_apply_files(struct berth_cgroup *cg, const struct spec_resources *r,
                       const struct cgroup_apply_options *o, berth_error_t *err)
{
  struct cgroup_apply_options opts = o ? *o : (struct cgroup_apply_options) { 0 };
  opts.dev_filter_shared = cg->sd != NULL;
  int ret = cg->mode == CGROUP_MODE_UNIFIED ? cgroup_v2_apply_resources_with(&cg->dirs[0], r, &opts, err)
                                            : cgroup_v1_apply_resources_with(cg, r, &opts, err);
  return ret < 0 ? berth_wrap(err, "cgroup %s", cg->path) : 0;
}

int cgroup_apply_resources(struct berth_cgroup *cg, const struct spec_resources *r, berth_error_t *err)
{
  return cgroup_apply_resources_with(cg, r, NULL, err);
}

bool cgroup_is_frozen(struct berth_cgroup *cg)
{
  return cg->mode == CGROUP_MODE_UNIFIED ? cgroup_v2_is_frozen(&cg->dirs[0]) : cgroup_v1_is_frozen(cg);
}

/* the cgroupsPath as errors name it: an empty one is the default it stands for */
static char *systemd_what(const char *cgroups_path, const char *id)
{
  if (cgroups_path && cgroups_path[0])
    return xstrdup(cgroups_path);
  return xasprintf("%s:%s:%s", BERTH_SYSTEMD_SLICE, BERTH_SYSTEMD_PREFIX, id ? id : "");
}

int cgroup_systemd_check(const char *cgroups_path, const char *id, berth_error_t *err)
{
  _cleanup_free_ char *path = NULL;
  if (cgroup_systemd_resolve_path(cgroups_path, id, &path, err) < 0)
    return -1;
  if (cgroup_systemd_available(err) < 0)
    {
      _cleanup_free_ char *what = systemd_what(cgroups_path, id);
      return berth_wrap(err, "cgroupsPath \"%s\"", what);
    }
  return 0;
}

int cgroup_systemd_resolve_path(const char *cgroups_path, const char *id, char **out, berth_error_t *err)
{
  struct cgroup_systemd_unit u;
  if (cgroup_systemd_parse_path(cgroups_path, id, &u, err) < 0)
    return -1;
  *out = steal_pointer(&u.cg_path);
  cgroup_systemd_unit_clear(&u);
  return 0;
}

int cgroup_systemd_create(const char *cgroups_path, const char *id, const struct spec_kv *annotations,
                          size_t n_annotations, struct berth_cgroup **out, berth_error_t *err)
{
  _cleanup_free_ char *what = systemd_what(cgroups_path, id);
  if (discover_host(err) < 0)
    return berth_wrap(err, "cgroupsPath \"%s\"", what);
  struct cgroup_systemd_unit u;
  if (cgroup_systemd_parse_path(cgroups_path, id, &u, err) < 0)
    return -1;
  struct sd_props extra = { 0 };
  if (cgroup_systemd_annotation_props(annotations, n_annotations, &extra, err) < 0)
    {
      cgroup_systemd_unit_clear(&u);
      return -1;
    }
  struct berth_cgroup *cg = cgroup_new(u.cg_path);
  cg->sd = cgroup_sd_new_for_create(&u, what, &extra);
  *out = cg;
  return 0;
}

int cgroup_open_managed(const char *path, const char *manager, struct berth_cgroup **out, berth_error_t *err)
{
  if (!str_eq(manager, "systemd"))
    return cgroup_open(path, out, err);
  struct cgroup_systemd_unit u;
  if (cgroup_systemd_unit_from_cg_path(path, &u, err) < 0)
    return berth_wrap(err, "open cgroup %s", path);
  _cleanup_cgroup_ struct berth_cgroup *cg = NULL;
  if (cgroup_open(path, &cg, err) < 0)
    {
      cgroup_systemd_unit_clear(&u);
      return -1;
    }
  cg->sd = cgroup_sd_new_for_open(&u);
  *out = steal_pointer(&cg);
  return 0;
}

/* --------------------------------------------------------- exec --cgroup */

/* the sub path for dir: a plain PATH applies everywhere; CTRL:PATH to the
 * v1 hierarchy that has CTRL, and to the one hierarchy of a unified host.
 * NULL: dir stays the container's cgroup. */
static int sub_path_for(const struct berth_cgroup *cg, const struct cgroup_dir *d, const struct cgroup_sub_spec *s,
                        size_t n, const char **out, berth_error_t *err)
{
  *out = NULL;
  for (size_t i = 0; i < n; i++)
    {
      bool applies = s[i].controller == NULL || cg->mode == CGROUP_MODE_UNIFIED
                     || (!d->v2 && cgroup_controllers_have(d->controllers, s[i].controller));
      if (!applies)
        continue;
      if (*out && !str_eq(*out, s[i].path))
        return berth_fail(err, EINVAL, "--cgroup: %s gets two sub-cgroups (\"%s\" and \"%s\")", d->mount_point,
                          *out + (**out == '/'), s[i].path + (s[i].path[0] == '/'));
      *out = s[i].path;
    }
  return 0;
}

static int check_controllers_known(const struct berth_cgroup *cg, const struct cgroup_sub_spec *s, size_t n,
                                   berth_error_t *err)
{
  if (cg->mode == CGROUP_MODE_UNIFIED)
    return 0; /* one hierarchy: the controllers make no difference */
  for (size_t i = 0; i < n; i++)
    if (s[i].controller && cgroup_v1_dir_for(cg, s[i].controller) == NULL)
      return berth_fail(err, ENOENT, "--cgroup %s:%s: no cgroup v1 hierarchy has the controller %s",
                        s[i].controller, s[i].path + (s[i].path[0] == '/'), s[i].controller);
  return 0;
}

/* The sub-cgroup must be a directory below the container's cgroup: no
 * symlink, no other mount on the way ("..": refused by the parser). */
static int open_sub_dir(const struct cgroup_dir *d, const char *sub, berth_error_t *err)
{
  _cleanup_close_ int base = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (base < 0)
    return berth_fail_sys(err, "open %s", d->path);
  struct open_how how = {
    .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  int fd = (int) syscall(SYS_openat2, base, sub, &how, sizeof how);
  if (fd < 0 && errno == ENOENT)
    return berth_fail(err, ENOENT, "--cgroup: the sub-cgroup %s/%s does not exist (make it first)", d->path, sub);
  if (fd < 0)
    return berth_fail_sys(err, "--cgroup: open the sub-cgroup %s/%s", d->path, sub);
  return fd;
}

int cgroup_open_sub(const struct berth_cgroup *cg, char *const *specs, struct berth_cgroup **out,
                    berth_error_t *err)
{
  struct cgroup_sub_spec *s = NULL;
  size_t n = 0;
  if (cgroup_parse_sub_specs(specs, &s, &n, err) < 0)
    return -1;
  _cleanup_cgroup_ struct berth_cgroup *sub = cgroup_new(cg->path);
  int r = check_controllers_known(cg, s, n, err);
  for (size_t i = 0; r == 0 && i < sub->n_dirs; i++)
    {
      struct cgroup_dir *d = &sub->dirs[i];
      const char *rel = NULL;
      r = sub_path_for(sub, d, s, n, &rel, err);
      if (r < 0 || rel == NULL || rel[0] == '\0')
        continue;
      int fd = open_sub_dir(d, rel + 1, err);
      if (fd < 0)
        {
          r = -1;
          break;
        }
      char *p = xasprintf("%s%s", d->path, rel);
      free(d->path);
      d->path = p;
      if (d->v2 && sub->mode == CGROUP_MODE_UNIFIED)
        sub->clone_fd = fd;
      else
        close(fd);
      if (!d->v2 && cgroup_controllers_have(d->controllers, "cpuset"))
        r = cgroup_v1_fill_cpuset(d, err);
    }
  cgroup_sub_specs_free(s, n);
  if (r < 0)
    return -1;
  *out = steal_pointer(&sub);
  return 0;
}
