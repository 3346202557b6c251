/* Realtime budget on cgroup v1 (CONFIG_RT_GROUP_SCHED). The kernel gives a
 * cgroup cpu.rt_runtime_us only when its parent has room for it (the
 * children's runtime/period may not add up to more than the parent's), and
 * a new cgroup starts with 0: under berth's /berth a container asking for
 * realtimeRuntime, or running SCHED_FIFO/SCHED_RR, would always fail.
 *
 * So before a container's own value is written, every intermediate cgroup
 * that is berth's (at or under /berth, or made by this create) is raised,
 * top-down, to what its children need: the sum of its other children's
 * ratios plus what the next level on the way to the container needs.
 * Cgroups above those (the host's, an engine's slice) are the
 * administrator's and are never written: when they have too little, the
 * kernel's refusal is reported with what they have. When a container goes,
 * its levels under /berth are lowered again to what their remaining
 * children need, so berth keeps no realtime budget nobody uses. */
#include <dirent.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroups/resources.h"
#include "util/util.h"

#define RT_RUNTIME "cpu.rt_runtime_us"
#define RT_PERIOD "cpu.rt_period_us"
/* lowering a parent: tries, 1 ms apart (see lower_runtime) */
#define RT_LOWER_TRIES 50

struct rt_value
{
  int64_t runtime_us;
  uint64_t period_us;
};

static int read_rt(const char *dir, struct rt_value *v, berth_error_t *err)
{
  int64_t period;
  if (cgroup_res_read_i64(dir, RT_RUNTIME, &v->runtime_us, err) < 0
      || cgroup_res_read_i64(dir, RT_PERIOD, &period, err) < 0)
    return -1;
  v->period_us = period < 0 ? 0 : (uint64_t) period;
  return 0;
}

static uint64_t rt_value_ratio(const struct rt_value *v)
{
  return cgroup_rt_ratio(v->runtime_us, v->period_us);
}

/* The sum of the ratios of dir's child cgroups, the one named skip (may be
 * NULL) left out. A child that goes away while we read it counts 0. */
static int children_ratio(const char *dir, const char *skip, uint64_t *sum, berth_error_t *err)
{
  *sum = 0;
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (d == NULL)
    return berth_fail_sys(err, "open %s", dir);
  struct dirent *de;
  while ((de = readdir(d)))
    {
      if (de->d_type != DT_DIR || str_eq(de->d_name, ".") || str_eq(de->d_name, "..")
          || (skip && str_eq(de->d_name, skip)))
        continue;
      _cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
      struct rt_value v;
      _cleanup_error_ berth_error_t e = NULL;
      if (read_rt(sub, &v, &e) < 0)
        {
          if (e->errnum == ENOENT || e->errnum == ENODEV)
            continue;
          *err = steal_pointer(&e);
          return berth_error_ret(*err);
        }
      *sum += rt_value_ratio(&v);
    }
  return 0;
}

/* The directories from the first level below the mount point down to the
 * container's (the last), NULL-terminated. */
static char **level_dirs(const struct cgroup_dir *d, const char *cg_path, size_t *n)
{
  char **v = xcalloc(1, sizeof(char *));
  *n = 0;
  _cleanup_free_ char *cur = xstrdup(str_eq(d->mount_point, "/") ? "" : d->mount_point);
  for (const char *s = cg_path; *s;)
    {
      while (*s == '/')
        s++;
      size_t len = strcspn(s, "/");
      if (len == 0)
        break;
      char *next = xasprintf("%s/%.*s", cur, (int) len, s);
      free(cur);
      cur = next;
      s += len;
      v = xreallocarray(v, *n + 2, sizeof(char *));
      v[(*n)++] = xstrdup(cur);
      v[*n] = NULL;
    }
  return v;
}

static bool under_berth_parent(const char *cg_path)
{
  return str_has_prefix(cg_path, BERTH_CGROUP_PARENT "/");
}

/* The index of the first intermediate level berth may raise: all of them
 * under /berth, else only those this create made. */
static size_t first_managed_level(const struct cgroup_dir *d, const char *cg_path, size_t n)
{
  if (under_berth_parent(cg_path))
    return 0;
  return (size_t) d->made_depth >= n ? 0 : n - (size_t) d->made_depth;
}

static const char *base_name(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* What the cgroup above levels[i] has, for an error message. */
static char *parent_budget(const char *dir)
{
  _cleanup_free_ char *parent = xstrdup(dir);
  char *slash = strrchr(parent, '/');
  if (slash == NULL || slash == parent)
    return xstrdup("");
  *slash = '\0';
  struct rt_value v;
  _cleanup_error_ berth_error_t e = NULL;
  if (read_rt(parent, &v, &e) < 0)
    return xstrdup("");
  return xasprintf(" (%s has %s %" PRId64 " per %s %" PRIu64 " for all its children)", parent,
                   RT_RUNTIME, v.runtime_us, RT_PERIOD, v.period_us);
}

static int write_runtime(const char *dir, uint64_t runtime_us, berth_error_t *err)
{
  _cleanup_free_ char *s = xasprintf("%" PRIu64, runtime_us);
  return cgroup_fs_write(dir, RT_RUNTIME, s, err);
}

int cgroup_v1_rt_reserve(const struct cgroup_dir *d, const char *cg_path, const struct spec_cpu *c,
                         berth_error_t *err)
{
  size_t n;
  _cleanup_strv_ char **levels = level_dirs(d, cg_path, &n);
  size_t first = first_managed_level(d, cg_path, n);
  if (n < 2 || first > n - 2)
    return 0;
  if (!cgroup_res_has(levels[n - 1], RT_RUNTIME))
    return berth_fail(err, ENOTSUP,
                      ".linux.resources.cpu.realtimeRuntime: %s has no %s: this kernel has no realtime "
                      "group scheduling (CONFIG_RT_GROUP_SCHED)", levels[n - 1], RT_RUNTIME);
  /* what the container will have once its values are written */
  struct rt_value leaf;
  if (read_rt(levels[n - 1], &leaf, err) < 0)
    return berth_wrap(err, ".linux.resources.cpu.realtimeRuntime");
  if (c->realtime_runtime.set && c->realtime_runtime.value != 0)
    leaf.runtime_us = c->realtime_runtime.value;
  if (c->realtime_period.set && c->realtime_period.value != 0)
    leaf.period_us = c->realtime_period.value;
  if (leaf.runtime_us <= 0)
    return 0; /* 0 needs nothing; -1 (no limit) only the root can give */

  /* bottom-up: the runtime each level needs (-1: it has enough) */
  _cleanup_free_ int64_t *set = xcalloc(n, sizeof(int64_t));
  uint64_t need_below = rt_value_ratio(&leaf);
  for (size_t i = n - 1; i-- > first;)
    {
      uint64_t others;
      struct rt_value cur;
      if (children_ratio(levels[i], base_name(levels[i + 1]), &others, err) < 0
          || read_rt(levels[i], &cur, err) < 0)
        return berth_wrap(err, ".linux.resources.cpu.realtimeRuntime");
      uint64_t need = others + need_below;
      if (rt_value_ratio(&cur) >= need)
        {
          set[i] = -1;
          need_below = rt_value_ratio(&cur);
          continue;
        }
      uint64_t runtime = cgroup_rt_runtime_for_ratio(need, cur.period_us);
      if (runtime > cur.period_us)
        return berth_fail(err, EINVAL,
                          ".linux.resources.cpu.realtimeRuntime: %s would need %s %" PRIu64
                          " for its child cgroups, more than its %s %" PRIu64,
                          levels[i], RT_RUNTIME, runtime, RT_PERIOD, cur.period_us);
      set[i] = (int64_t) runtime;
      need_below = cgroup_rt_ratio(set[i], cur.period_us);
    }
  /* top-down: a level gets its runtime only once its parent has room */
  for (size_t i = first; i + 1 < n; i++)
    {
      if (set[i] < 0)
        continue;
      if (write_runtime(levels[i], (uint64_t) set[i], err) < 0)
        {
          berth_wrap(err, ".linux.resources.cpu.realtimeRuntime: give the parent cgroup %s the realtime "
                          "runtime its children need", levels[i]);
          cgroup_v1_rt_explain(err, levels[i]);
          return berth_error_ret(*err);
        }
    }
  return 0;
}

/* The kernel takes a removed cgroup off its parent's list only once no
 * task refers to it any more: a few ms after rmdir when every process of
 * the container has been reaped (run, or an engine's shim, reaps the init
 * at once), later when an exited init waits for a slow reaper. Until then
 * it still counts and lowering the parent is refused with EINVAL: after a
 * short wait the level keeps what it has, and a later delete under /berth
 * gives it back. Refused for good when the level runs realtime tasks of
 * its own (EBUSY), or a create raised a child meanwhile. */
static void lower_runtime(const char *dir, uint64_t runtime_us)
{
  for (int i = 0; i < RT_LOWER_TRIES; i++)
    {
      _cleanup_error_ berth_error_t e = NULL;
      if (write_runtime(dir, runtime_us, &e) == 0 || e->errnum != EINVAL)
        return;
      struct timespec ts = { .tv_sec = 0, .tv_nsec = 1000000 };
      nanosleep(&ts, NULL);
    }
}

void cgroup_v1_rt_release(const struct cgroup_dir *d, const char *cg_path)
{
  if (!under_berth_parent(cg_path))
    return;
  size_t n;
  _cleanup_strv_ char **levels = level_dirs(d, cg_path, &n);
  if (n < 2)
    return;
  /* the common case costs one read: the container's parent has no budget */
  struct rt_value cur;
  _cleanup_error_ berth_error_t e = NULL;
  if (read_rt(levels[n - 2], &cur, &e) < 0 || cur.runtime_us <= 0)
    return;
  for (size_t i = n - 1; i-- > 0;)
    {
      uint64_t need;
      if (read_rt(levels[i], &cur, &e) < 0 || children_ratio(levels[i], NULL, &need, &e) < 0)
        return;
      if (cur.runtime_us <= 0 || rt_value_ratio(&cur) <= need)
        continue;
      lower_runtime(levels[i], cgroup_rt_runtime_for_ratio(need, cur.period_us));
    }
}

void cgroup_v1_rt_explain(berth_error_t *err, const char *dir)
{
  _cleanup_free_ char *why = parent_budget(dir);
  if (*err == NULL || why[0] == '\0')
    return;
  char *msg = xasprintf("%s%s", (*err)->msg, why);
  free((*err)->msg);
  (*err)->msg = msg;
}
