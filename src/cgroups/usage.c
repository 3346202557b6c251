/* cgroups/usage.h */
#include "cgroups/usage.h"

#include <stdlib.h>

#include "cgroups/cgroups_internal.h"
#include "cgroups/stats.h"
#include "util/util.h"

static const char *dir_for(const struct berth_cgroup *cg, const char *controller, bool *v2)
{
  const struct cgroup_dir *d = cgroup_v1_dir_for(cg, controller);
  if (d)
    {
      *v2 = false;
      return d->path;
    }
  *v2 = cg->n_dirs > 0 && cg->dirs[0].v2;
  return *v2 ? cg->dirs[0].path : NULL;
}

static char *read_opt(const char *dir, const char *file)
{
  char *text = NULL;
  _cleanup_error_ berth_error_t e = NULL;
  if (!dir || cgroup_fs_read(dir, file, &text, &e) < 0)
    return NULL;
  return text;
}

void cgroup_read_job_usage(struct berth_cgroup *cg, struct cgroup_job_usage *u)
{
  *u = (struct cgroup_job_usage){0};
  bool v2;
  const char *mem = dir_for(cg, "memory", &v2);
  _cleanup_free_ char *events = read_opt(mem, v2 ? "memory.events" : "memory.oom_control");
  if (events)
    cgroup_stat_lookup(events, "oom_kill", &u->oom_kills);
  const char *pids = dir_for(cg, "pids", &v2);
  _cleanup_free_ char *cur = read_opt(pids, "pids.current");
  if (cur)
    cgroup_stat_parse_value(cur, &u->tasks);
  _cleanup_free_ char *peak = read_opt(pids, "pids.peak");
  if (peak)
    cgroup_stat_parse_value(peak, &u->tasks_peak);
}
