/* Counters `berth sandbox` reports besides cgroup_read_stats(): OOM kills
 * and the task count (current and, where the kernel keeps it, the peak). */
#ifndef BERTH_CGROUPS_USAGE_H
#define BERTH_CGROUPS_USAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroups/cgroups.h"

struct cgroup_job_usage
{
  uint64_t oom_kills;   /* v2 memory.events oom_kill; v1 memory.oom_control oom_kill */
  uint64_t tasks;       /* pids.current */
  uint64_t tasks_peak;  /* pids.peak (kernel 6.1+ on v2), else 0 */
};

/* Counters the host lacks stay 0; never fails. */
void cgroup_read_job_usage(struct berth_cgroup *cg, struct cgroup_job_usage *u);

#endif
