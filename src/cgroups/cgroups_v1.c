/* cgroup v1 driver (legacy and hybrid hosts): one directory per mounted
 * hierarchy, name=systemd included. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroups_internal.h"
#include "util/util.h"

/* how long kill_all waits for the freezer to report FROZEN */
#define FREEZE_WAIT_MS 1000

/* A new v1 cpuset starts with empty cpus and mems, and the kernel refuses
 * to move a task into it (ENOSPC). Parents made by someone else with a
 * plain mkdir (kubelet's and engines' pod cgroups) are empty too, and a
 * child may only have what its parent has: fill dir and every empty
 * ancestor, top down, from the nearest ancestor that has the value. */
static int fill_cpuset_file(const char *dir, const char *mount_point, const char *file, berth_error_t *err)
{
  _cleanup_free_ char *value = NULL;
  if (cgroup_fs_read(dir, file, &value, err) < 0)
    return -1;
  value[strcspn(value, "\n")] = '\0';
  if (value[0] != '\0')
    return 0;
  _cleanup_free_ char *parent = xstrdup(dir);
  char *slash = strrchr(parent, '/');
  if (slash == NULL || (size_t) (slash - parent) < strlen(mount_point))
    return berth_fail(err, ENOSPC, "%s/%s is empty and no cgroup above it has %s to give it", dir, file, file);
  *slash = '\0';
  if (fill_cpuset_file(parent, mount_point, file, err) < 0)
    return -1;
  _cleanup_free_ char *from_parent = NULL;
  if (cgroup_fs_read(parent, file, &from_parent, err) < 0)
    return -1;
  from_parent[strcspn(from_parent, "\n")] = '\0';
  if (cgroup_fs_write(dir, file, from_parent, err) < 0)
    return berth_wrap(err, "give %s the %s of %s", dir, file, parent);
  return 0;
}

int cgroup_v1_fill_cpuset(const struct cgroup_dir *dir, berth_error_t *err)
{
  /* mems before cpus would do as well: each is checked on its own */
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  for (size_t i = 0; i < ARRAY_SIZE(files); i++)
    if (fill_cpuset_file(dir->path, dir->mount_point, files[i], err) < 0)
      return -1;
  return 0;
}

int cgroup_v1_create_dir(struct cgroup_dir *dir, const char *cg_path, berth_error_t *err)
{
  static const struct cgroup_level_hooks no_hooks = { 0 };
  if (cgroup_fs_mkdir_levels(dir, cg_path, &no_hooks, err) < 0)
    return -1;
  /* also a reused leaf and the parents that were already there */
  if (cgroup_controllers_have(dir->controllers, "cpuset"))
    return cgroup_v1_fill_cpuset(dir, err);
  return 0;
}

static void sleep_ms(long ms)
{
  struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

static int freezer_set(const struct cgroup_dir *freezer, const char *state, berth_error_t *err)
{
  if (cgroup_fs_write(freezer->path, "freezer.state", state, err) < 0)
    return -1;
  if (!str_eq(state, "FROZEN"))
    return 0;
  for (int waited = 0; waited < FREEZE_WAIT_MS; waited++)
    {
      _cleanup_free_ char *now = NULL;
      if (cgroup_fs_read(freezer->path, "freezer.state", &now, err) < 0)
        return -1;
      if (str_has_prefix(now, "FROZEN"))
        return 0;
      sleep_ms(1);
    }
  return berth_fail(err, ETIMEDOUT, "%s/freezer.state: not FROZEN after %d ms", freezer->path,
                    FREEZE_WAIT_MS);
}

/* SIGKILL: freeze first so nothing can fork away while we read the list,
 * kill, then thaw so the kills are delivered. Other signals go straight to
 * the processes (freezing would hold them back until thawed). A container
 * that is paused stays paused for those. */
int cgroup_v1_kill_all(struct berth_cgroup *cg, int sig, berth_error_t *err)
{
  const struct cgroup_dir *procs = cgroup_procs_dir(cg);
  const struct cgroup_dir *freezer = cgroup_v1_dir_for(cg, "freezer");
  if (sig != SIGKILL || freezer == NULL)
    return cgroup_signal_pids(procs->path, sig, NULL, err);

  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (cgroup_fs_read_pids(procs->path, &pids, &n, err) < 0)
    return -1;
  if (n == 0)
    return 0; /* empty or already gone: nothing to freeze */
  bool was_frozen = cgroup_v1_is_frozen(cg);
  _cleanup_error_ berth_error_t freeze_err = NULL;
  if (!was_frozen && freezer_set(freezer, "FROZEN", &freeze_err) < 0)
    {
      _cleanup_error_ berth_error_t ignored = NULL;
      (void) cgroup_fs_write(freezer->path, "freezer.state", "THAWED", &ignored);
      /* the freezer part is gone (a half-removed cgroup): kill unfrozen */
      if (freeze_err->errnum == ENOENT)
        return cgroup_signal_pids(procs->path, SIGKILL, NULL, err);
      *err = steal_pointer(&freeze_err);
      return berth_error_ret(*err);
    }
  int r = cgroup_signal_pids(procs->path, SIGKILL, NULL, err);
  _cleanup_error_ berth_error_t thaw_err = NULL;
  if (freezer_set(freezer, "THAWED", r < 0 ? &thaw_err : err) < 0 && r == 0)
    return -1;
  return r;
}

bool cgroup_v1_is_frozen(const struct berth_cgroup *cg)
{
  const struct cgroup_dir *freezer = cgroup_v1_dir_for(cg, "freezer");
  if (freezer == NULL)
    return false;
  _cleanup_free_ char *state = NULL;
  _cleanup_error_ berth_error_t e = NULL;
  if (cgroup_fs_read(freezer->path, "freezer.state", &state, &e) < 0)
    return false;
  return str_has_prefix(state, "FROZEN");
}

/* linux.resources: resources_v1.c */
