/* linux.resources on cgroup v1 (legacy and hybrid hosts): each controller
 * in its own hierarchy; on a hybrid host a controller that only the
 * unified hierarchy has (hugetlb here) is written there, the v2 way. Only
 * the fields that are set are written (update passes partial resources). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroups/resources.h"
#include "util/log.h"
#include "util/util.h"

/* where a controller's files are: a v1 hierarchy, or the unified one */
struct target
{
  const char *dir;
  bool v2;
};

static const struct cgroup_dir *unified_dir(const struct berth_cgroup *cg)
{
  return cg->n_dirs > 0 && cg->dirs[0].v2 ? &cg->dirs[0] : NULL;
}

static bool target_for(const struct berth_cgroup *cg, const char *v1_name, const char *v2_name,
                       struct target *t)
{
  const struct cgroup_dir *d = cgroup_v1_dir_for(cg, v1_name);
  if (d)
    {
      *t = (struct target) { d->path, false };
      return true;
    }
  const struct cgroup_dir *u = unified_dir(cg);
  if (u && v2_name && cgroup_v2_has_controller(u->path, v2_name))
    {
      *t = (struct target) { u->path, true };
      return true;
    }
  return false;
}

static int need_target(const struct berth_cgroup *cg, const char *v1_name, const char *v2_name,
                       const char *field, struct target *t, berth_error_t *err)
{
  if (target_for(cg, v1_name, v2_name, t))
    return 0;
  return berth_fail(err, ENOTSUP, ".linux.resources.%s: the %s cgroup controller is not mounted",
                    field, v1_name);
}

static bool set_nonzero(spec_opt_i64 v)
{
  return v.set && v.value != 0;
}

static int write_i64(const char *dir, const char *file, int64_t v, const char *field, berth_error_t *err)
{
  _cleanup_free_ char *s = xasprintf("%" PRId64, v < 0 ? (int64_t) -1 : v);
  return cgroup_res_write(dir, file, s, field, err);
}

static int write_u64(const char *dir, const char *file, uint64_t v, const char *field, berth_error_t *err)
{
  _cleanup_free_ char *s = xasprintf("%" PRIu64, v);
  return cgroup_res_write(dir, file, s, field, err);
}

/* ---------------------------------------------------------------- memory */

/* memory.memsw.limit_in_bytes (memory+swap) must never be below
 * memory.limit_in_bytes: raising both writes memsw first, lowering writes
 * the limit first */
static int memory_limits_v1(const char *dir, const struct spec_memory *m, berth_error_t *err)
{
  bool limit = set_nonzero(m->limit), swap = set_nonzero(m->swap);
  bool has_memsw = cgroup_res_has(dir, "memory.memsw.limit_in_bytes");
  if (swap && !has_memsw)
    return berth_fail(err, ENOTSUP, ".linux.resources.memory.swap: %s/memory.memsw.limit_in_bytes "
                      "does not exist (no swap accounting in this kernel)", dir);
  if (!limit)
    return swap ? write_i64(dir, "memory.memsw.limit_in_bytes", m->swap.value, "memory.swap", err) : 0;
  /* unlimited memory and no swap given: unlimited memory+swap too */
  int64_t memsw = swap ? m->swap.value : m->limit.value < 0 && has_memsw ? -1 : 0;
  bool raise = true;
  if (memsw != 0)
    {
      int64_t cur;
      if (cgroup_res_read_i64(dir, "memory.limit_in_bytes", &cur, err) < 0)
        return berth_wrap(err, ".linux.resources.memory.limit");
      raise = m->limit.value < 0 || m->limit.value > cur;
    }
  if (memsw != 0 && raise && write_i64(dir, "memory.memsw.limit_in_bytes", memsw, "memory.swap", err) < 0)
    return -1;
  if (write_i64(dir, "memory.limit_in_bytes", m->limit.value, "memory.limit", err) < 0)
    return -1;
  if (memsw != 0 && !raise && write_i64(dir, "memory.memsw.limit_in_bytes", memsw, "memory.swap", err) < 0)
    return -1;
  return 0;
}

/* kmem limits went away in the kernel (5.16 deprecated, 6.x removed):
 * a missing or refusing file is not an error */
static int memory_kernel_v1(const char *dir, const char *file, int64_t v, const char *field,
                            berth_error_t *err)
{
  if (!cgroup_res_has(dir, file))
    {
      berth_log_debug(".linux.resources.%s: %s/%s does not exist, ignored", field, dir, file);
      return 0;
    }
  _cleanup_error_ berth_error_t e = NULL;
  if (write_i64(dir, file, v, field, &e) == 0)
    return 0;
  if (e->errnum == EOPNOTSUPP || e->errnum == 524 /* ENOTSUPP */)
    {
      berth_log_debug("%s, ignored", berth_error_msg(e));
      return 0;
    }
  *err = steal_pointer(&e);
  return berth_error_ret(*err);
}

static int apply_memory_v1(const char *dir, const struct spec_memory *m, berth_error_t *err)
{
  if (m->check_before_update.set && m->check_before_update.value && set_nonzero(m->limit)
      && cgroup_check_memory_usage(dir, "memory.usage_in_bytes", m->limit.value, err) < 0)
    return -1;
  if (memory_limits_v1(dir, m, err) < 0)
    return -1;
  if (set_nonzero(m->reservation)
      && write_i64(dir, "memory.soft_limit_in_bytes", m->reservation.value, "memory.reservation", err) < 0)
    return -1;
  if (set_nonzero(m->kernel)
      && memory_kernel_v1(dir, "memory.kmem.limit_in_bytes", m->kernel.value, "memory.kernel", err) < 0)
    return -1;
  if (set_nonzero(m->kernel_tcp)
      && memory_kernel_v1(dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp.value, "memory.kernelTCP",
                          err) < 0)
    return -1;
  if (m->swappiness.set)
    {
      if (m->swappiness.value > 100)
        return berth_fail(err, EINVAL, ".linux.resources.memory.swappiness: %" PRIu64 " is not 0..100",
                          m->swappiness.value);
      if (write_u64(dir, "memory.swappiness", m->swappiness.value, "memory.swappiness", err) < 0)
        return -1;
    }
  if (m->disable_oom_killer.set
      && cgroup_res_write(dir, "memory.oom_control", m->disable_oom_killer.value ? "1" : "0",
                          "memory.disableOOMKiller", err) < 0)
    return -1;
  if (m->use_hierarchy.set
      && cgroup_res_write(dir, "memory.use_hierarchy", m->use_hierarchy.value ? "1" : "0",
                          "memory.useHierarchy", err) < 0)
    return -1;
  return 0;
}

/* ---------------------------------------------------------------- cpu */

/* Two values the kernel checks against each other (quota/period against
 * the parent's bandwidth, rt runtime <= period): write in the usual order
 * and, if the kernel refuses, in the other. */
static int write_pair(const char *dir, const char *f1, uint64_t *v1, const char *field1,
                      const char *f2, int64_t *v2, const char *field2, berth_error_t *err)
{
  _cleanup_error_ berth_error_t first = NULL;
  if ((v1 == NULL || write_u64(dir, f1, *v1, field1, &first) == 0)
      && (v2 == NULL || write_i64(dir, f2, *v2, field2, &first) == 0))
    return 0;
  if (v1 == NULL || v2 == NULL)
    {
      *err = steal_pointer(&first);
      return berth_error_ret(*err);
    }
  _cleanup_error_ berth_error_t second = NULL;
  if (write_i64(dir, f2, *v2, field2, &second) == 0 && write_u64(dir, f1, *v1, field1, &second) == 0)
    return 0;
  *err = steal_pointer(&first);
  return berth_error_ret(*err);
}

/* how often the realtime values are tried, and how far apart, when a
 * concurrent create or destroy changed the parents' budget between reserve
 * and write, or a removed sibling still counts (the kernel takes it off
 * once its processes are reaped, see rt_v1.c) */
#define RT_WRITE_TRIES 3
#define RT_WRITE_PAUSE_NS 10000000L

static int apply_rt_v1(const struct berth_cgroup *cg, const struct cgroup_dir *d, const struct spec_cpu *c,
                       berth_error_t *err)
{
  uint64_t rt_period = c->realtime_period.value;
  int64_t rt_runtime = c->realtime_runtime.value;
  bool has_rt_period = c->realtime_period.set && rt_period != 0, has_rt_runtime = set_nonzero(c->realtime_runtime);
  if (!has_rt_period && !has_rt_runtime)
    return 0;
  for (int attempt = 1;; attempt++)
    {
      if (cgroup_v1_rt_reserve(d, cg->path, c, err) < 0)
        return -1;
      if (write_pair(d->path, "cpu.rt_period_us", has_rt_period ? &rt_period : NULL, "cpu.realtimePeriod",
                     "cpu.rt_runtime_us", has_rt_runtime ? &rt_runtime : NULL, "cpu.realtimeRuntime", err) == 0)
        return 0;
      if ((*err)->errnum != EINVAL && (*err)->errnum != EBUSY)
        return -1;
      if (attempt == RT_WRITE_TRIES)
        {
          cgroup_v1_rt_explain(err, d->path);
          return -1;
        }
      berth_error_free(err);
      struct timespec pause = { .tv_sec = 0, .tv_nsec = RT_WRITE_PAUSE_NS };
      nanosleep(&pause, NULL);
    }
}

static int apply_cpu_v1(const struct berth_cgroup *cg, const struct cgroup_dir *d, const struct spec_cpu *c,
                        berth_error_t *err)
{
  const char *dir = d->path;
  if (c->shares.set && c->shares.value != 0
      && write_u64(dir, "cpu.shares", c->shares.value, "cpu.shares", err) < 0)
    return -1;
  uint64_t period = c->period.value;
  int64_t quota = c->quota.value;
  bool has_period = c->period.set && period != 0, has_quota = set_nonzero(c->quota);
  if ((has_period || has_quota)
      && write_pair(dir, "cpu.cfs_period_us", has_period ? &period : NULL, "cpu.period", "cpu.cfs_quota_us",
                    has_quota ? &quota : NULL, "cpu.quota", err) < 0)
    return -1;
  if (c->burst.set && write_u64(dir, "cpu.cfs_burst_us", c->burst.value, "cpu.burst", err) < 0)
    return -1;
  if (apply_rt_v1(cg, d, c, err) < 0)
    return -1;
  if (c->idle.set && cgroup_res_write(dir, "cpu.idle", c->idle.value ? "1" : "0", "cpu.idle", err) < 0)
    return -1;
  return 0;
}

static bool cpu_has_cpu_fields(const struct spec_cpu *c)
{
  return (c->shares.set && c->shares.value) || set_nonzero(c->quota) || (c->period.set && c->period.value)
         || c->burst.set || set_nonzero(c->realtime_runtime) || (c->realtime_period.set && c->realtime_period.value)
         || c->idle.set;
}

/* ---------------------------------------------------------------- blkio */

static int throttle_v1(const char *dir, const char *file, const struct spec_throttle_list *l,
                       const char *field, berth_error_t *err)
{
  for (size_t i = 0; i < l->n; i++)
    {
      const struct spec_throttle_device *d = &l->devices[i];
      _cleanup_free_ char *line = cgroup_weight_device_line(d->major, d->minor, d->rate);
      _cleanup_free_ char *f = xasprintf("blockIO.%s[%zu]", field, i);
      if (cgroup_res_write(dir, file, line, f, err) < 0)
        return -1;
    }
  return 0;
}

static int apply_blkio_v1(const char *dir, const struct spec_block_io *b, berth_error_t *err)
{
  /* blkio.weight is CFQ's (gone since 5.0); BFQ has blkio.bfq.weight */
  const char *weight = cgroup_res_has(dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
  const char *weight_dev = cgroup_res_has(dir, "blkio.weight_device") ? "blkio.weight_device"
                                                                      : "blkio.bfq.weight_device";
  bool any_weight = (b->weight.set && b->weight.value != 0) || b->n_weight_devices > 0;
  if (any_weight && !cgroup_res_has(dir, weight))
    return berth_fail(err, ENOTSUP, ".linux.resources.blockIO.weight: %s has neither blkio.weight nor "
                      "blkio.bfq.weight (no CFQ or BFQ scheduler)", dir);
  if (b->weight.set && b->weight.value != 0
      && write_u64(dir, weight, b->weight.value, "blockIO.weight", err) < 0)
    return -1;
  if (b->leaf_weight.set && b->leaf_weight.value != 0
      && write_u64(dir, "blkio.leaf_weight", b->leaf_weight.value, "blockIO.leafWeight", err) < 0)
    return -1;
  for (size_t i = 0; i < b->n_weight_devices; i++)
    {
      const struct spec_weight_device *d = &b->weight_devices[i];
      _cleanup_free_ char *field = xasprintf("blockIO.weightDevice[%zu]", i);
      if (d->weight.set)
        {
          _cleanup_free_ char *line = cgroup_weight_device_line(d->major, d->minor, d->weight.value);
          if (cgroup_res_write(dir, weight_dev, line, field, err) < 0)
            return -1;
        }
      if (d->leaf_weight.set)
        {
          _cleanup_free_ char *line = cgroup_weight_device_line(d->major, d->minor, d->leaf_weight.value);
          if (cgroup_res_write(dir, "blkio.leaf_weight_device", line, field, err) < 0)
            return -1;
        }
    }
  const struct
  {
    const char *file;
    const struct spec_throttle_list *list;
    const char *field;
  } throttles[] = {
    { "blkio.throttle.read_bps_device", &b->throttle_read_bps, "throttleReadBpsDevice" },
    { "blkio.throttle.write_bps_device", &b->throttle_write_bps, "throttleWriteBpsDevice" },
    { "blkio.throttle.read_iops_device", &b->throttle_read_iops, "throttleReadIOPSDevice" },
    { "blkio.throttle.write_iops_device", &b->throttle_write_iops, "throttleWriteIOPSDevice" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(throttles); i++)
    if (throttle_v1(dir, throttles[i].file, throttles[i].list, throttles[i].field, err) < 0)
      return -1;
  return 0;
}

/* ---------------------------------------------------------------- the rest */

static int apply_network_v1(const struct berth_cgroup *cg, const struct spec_network_resources *n,
                            berth_error_t *err)
{
  struct target t;
  if (n->class_id.set)
    {
      if (need_target(cg, "net_cls", NULL, "network.classID", &t, err) < 0
          || write_u64(t.dir, "net_cls.classid", n->class_id.value, "network.classID", err) < 0)
        return -1;
    }
  for (size_t i = 0; i < n->n_priorities; i++)
    {
      _cleanup_free_ char *field = xasprintf("network.priorities[%zu]", i);
      _cleanup_free_ char *line = xasprintf("%s %" PRIu32, n->priorities[i].name, n->priorities[i].priority);
      if (need_target(cg, "net_prio", NULL, field, &t, err) < 0
          || cgroup_res_write(t.dir, "net_prio.ifpriomap", line, field, err) < 0)
        return -1;
    }
  return 0;
}

static bool have_rdma(const struct spec_resources *r)
{
  for (size_t i = 0; i < r->n_rdma; i++)
    if (r->rdma[i].hca_handles.set || r->rdma[i].hca_objects.set)
      return true;
  return false;
}

static int apply_devices_v1(const struct berth_cgroup *cg, const struct spec_resources *r,
                            const struct cgroup_apply_options *o, berth_error_t *err)
{
  struct cgroup_dev_state s = { 0 };
  bool applies;
  if (cgroup_dev_state_for(r, o, &s, &applies, err) < 0)
    return -1;
  int ret = 0;
  struct target t;
  if (applies)
    {
      if (need_target(cg, "devices", NULL, "devices", &t, err) == 0)
        ret = cgroup_v1_devices_write(t.dir, &s, err);
      else if (unified_dir(cg)) /* no v1 devices controller: the v2 filter works on hybrid too */
        {
          berth_error_free(err);
          ret = cgroup_v2_devices_apply(unified_dir(cg)->path, &s, o && o->dev_filter_shared, err);
        }
      else
        ret = -1;
    }
  cgroup_dev_state_clear(&s);
  return ret;
}

static int apply_cpu_all(const struct berth_cgroup *cg, const struct spec_cpu *c, berth_error_t *err)
{
  struct target t;
  if (cpu_has_cpu_fields(c))
    {
      if (need_target(cg, "cpu", "cpu", "cpu", &t, err) < 0)
        return -1;
      if (t.v2 ? cgroup_v2_apply_cpu(t.dir, c, err) < 0 : apply_cpu_v1(cg, cgroup_v1_dir_for(cg, "cpu"), c, err) < 0)
        return -1;
    }
  if ((c->cpus && *c->cpus) || (c->mems && *c->mems))
    {
      if (need_target(cg, "cpuset", "cpuset", c->cpus && *c->cpus ? "cpu.cpus" : "cpu.mems", &t, err) < 0
          || cgroup_apply_cpuset(t.dir, c, err) < 0)
        return -1;
    }
  return 0;
}

int cgroup_v1_apply_resources_with(const struct berth_cgroup *cg, const struct spec_resources *r,
                                   const struct cgroup_apply_options *o, berth_error_t *err)
{
  struct target t;
  if (r && r->memory)
    {
      if (need_target(cg, "memory", "memory", "memory", &t, err) < 0
          || (t.v2 ? cgroup_v2_apply_memory(t.dir, r->memory, err) : apply_memory_v1(t.dir, r->memory, err)) < 0)
        return -1;
    }
  if (r && r->cpu && apply_cpu_all(cg, r->cpu, err) < 0)
    return -1;
  if (r && r->block_io)
    {
      if (need_target(cg, "blkio", "io", "blockIO", &t, err) < 0
          || (t.v2 ? cgroup_v2_apply_io(t.dir, r->block_io, err) : apply_blkio_v1(t.dir, r->block_io, err)) < 0)
        return -1;
    }
  if (r && r->n_hugepage_limits > 0)
    {
      if (need_target(cg, "hugetlb", "hugetlb", "hugepageLimits", &t, err) < 0
          || (t.v2 ? cgroup_v2_apply_hugetlb(t.dir, r, err) : cgroup_apply_hugetlb(t.dir, r, "limit_in_bytes", err)) < 0)
        return -1;
    }
  if (r && r->network && apply_network_v1(cg, r->network, err) < 0)
    return -1;
  /* rdma.max and pids.max are named the same on v1 and v2 */
  if (r && have_rdma(r)
      && (need_target(cg, "rdma", "rdma", "rdma", &t, err) < 0 || cgroup_v2_apply_rdma(t.dir, r, err) < 0))
    return -1;
  if (r && r->pids_limit.set && r->pids_limit.value != 0
      && (need_target(cg, "pids", "pids", "pids.limit", &t, err) < 0 || cgroup_v2_apply_pids(t.dir, r, err) < 0))
    return -1;
  if (r && r->n_unified > 0)
    {
      const struct cgroup_dir *u = unified_dir(cg);
      if (u == NULL)
        return berth_fail(err, ENOTSUP, ".linux.resources.unified: needs cgroup v2, and this host has "
                          "cgroup v1 only");
      if (cgroup_v2_apply_unified(u->path, r, true, err) < 0)
        return -1;
    }
  return apply_devices_v1(cg, r, o, err);
}

int cgroup_v1_apply_resources(const struct berth_cgroup *cg, const struct spec_resources *r,
                              berth_error_t *err)
{
  return cgroup_v1_apply_resources_with(cg, r, NULL, err);
}
