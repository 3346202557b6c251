/* linux.resources on cgroup v2: the unified hierarchy of a pure v2 host,
 * and the controllers a hybrid host has only there (hugetlb here). Only
 * the fields that are set are written (update passes partial resources);
 * 0 means "not set" for the numbers runc reads that way. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/resources.h"
#include "util/log.h"
#include "util/util.h"

/* ---------------------------------------------------------------- helpers */

int cgroup_res_write(const char *dir, const char *file, const char *value, const char *field,
                     berth_error_t *err)
{
  if (cgroup_fs_write(dir, file, value, err) < 0)
    return berth_wrap(err, ".linux.resources.%s: set %s to %s", field, file, value);
  return 0;
}

bool cgroup_res_has(const char *dir, const char *file)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", dir, file);
  return access(p, F_OK) == 0;
}

int cgroup_res_read_i64(const char *dir, const char *file, int64_t *out, berth_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  if (cgroup_fs_read(dir, file, &text, err) < 0)
    return -1;
  text[strcspn(text, " \n")] = '\0';
  if (str_eq(text, "max"))
    {
      *out = -1;
      return 0;
    }
  long long v;
  if (parse_int64(text, &v) < 0)
    return berth_fail(err, EINVAL, "%s/%s: \"%s\" is not a number", dir, file, text);
  *out = v;
  return 0;
}

bool cgroup_v2_has_controller(const char *dir, const char *controller)
{
  _cleanup_free_ char *text = NULL;
  _cleanup_error_ berth_error_t e = NULL;
  if (cgroup_fs_read(dir, "cgroup.controllers", &text, &e) < 0)
    return false;
  char *save = NULL;
  for (char *c = strtok_r(text, " \n", &save); c; c = strtok_r(NULL, " \n", &save))
    if (str_eq(c, controller))
      return true;
  return false;
}

static char *limit_value(int64_t v)
{
  return v < 0 ? xstrdup("max") : xasprintf("%" PRId64, v);
}

static int write_limit(const char *dir, const char *file, int64_t v, const char *field, berth_error_t *err)
{
  _cleanup_free_ char *s = limit_value(v);
  return cgroup_res_write(dir, file, s, field, err);
}

static int write_u64(const char *dir, const char *file, uint64_t v, const char *field, berth_error_t *err)
{
  _cleanup_free_ char *s = xasprintf("%" PRIu64, v);
  return cgroup_res_write(dir, file, s, field, err);
}

static bool set_nonzero(spec_opt_i64 v)
{
  return v.set && v.value != 0;
}

/* ---------------------------------------------------------------- memory */

/* checkBeforeUpdate: refuse a limit below what the cgroup uses now (v2
 * would otherwise reclaim and OOM-kill to get there) */
int cgroup_check_memory_usage(const char *dir, const char *usage_file, int64_t limit, berth_error_t *err)
{
  if (limit <= 0)
    return 0;
  int64_t usage;
  if (cgroup_res_read_i64(dir, usage_file, &usage, err) < 0)
    return berth_wrap(err, ".linux.resources.memory.checkBeforeUpdate");
  if (limit < usage)
    return berth_fail(err, EBUSY,
                      ".linux.resources.memory.limit: %" PRId64 " is below the current usage %" PRId64
                      " (checkBeforeUpdate)", limit, usage);
  return 0;
}

static void warn_v1_only(bool set, const char *field)
{
  if (set)
    berth_log_warning(".linux.resources.%s: not supported on cgroup v2, ignored", field);
}

static int apply_swap_v2(const char *dir, const struct spec_memory *m, berth_error_t *err)
{
  int64_t swap_max;
  if (set_nonzero(m->swap))
    {
      int64_t limit = set_nonzero(m->limit) ? m->limit.value : 0;
      if (limit == 0 && cgroup_res_read_i64(dir, "memory.max", &limit, err) < 0)
        return berth_wrap(err, ".linux.resources.memory.swap");
      if (cgroup_swap_to_v2(m->swap.value, limit, &swap_max, err) < 0)
        return -1;
    }
  else if (set_nonzero(m->limit) && m->limit.value < 0)
    swap_max = -1; /* unlimited memory: unlimited swap too, as on v1 */
  else
    return 0;
  if (!cgroup_res_has(dir, "memory.swap.max"))
    {
      if (swap_max == 0 || !set_nonzero(m->swap))
        return 0; /* no swap accounting here, and none asked for */
      return berth_fail(err, ENOTSUP, ".linux.resources.memory.swap: %s/memory.swap.max does not exist "
                        "(no swap accounting in this kernel)", dir);
    }
  return write_limit(dir, "memory.swap.max", swap_max, "memory.swap", err);
}

int cgroup_v2_apply_memory(const char *dir, const struct spec_memory *m, berth_error_t *err)
{
  if (m->check_before_update.set && m->check_before_update.value && set_nonzero(m->limit)
      && cgroup_check_memory_usage(dir, "memory.current", m->limit.value, err) < 0)
    return -1;
  if (set_nonzero(m->limit) && write_limit(dir, "memory.max", m->limit.value, "memory.limit", err) < 0)
    return -1;
  if (apply_swap_v2(dir, m, err) < 0)
    return -1;
  if (set_nonzero(m->reservation)
      && write_limit(dir, "memory.low", m->reservation.value, "memory.reservation", err) < 0)
    return -1;
  warn_v1_only(set_nonzero(m->kernel), "memory.kernel");
  warn_v1_only(set_nonzero(m->kernel_tcp), "memory.kernelTCP");
  warn_v1_only(m->swappiness.set, "memory.swappiness");
  warn_v1_only(m->disable_oom_killer.set && m->disable_oom_killer.value, "memory.disableOOMKiller");
  return 0;
}

/* ---------------------------------------------------------------- cpu */

int cgroup_v2_apply_cpu(const char *dir, const struct spec_cpu *c, berth_error_t *err)
{
  if (c->shares.set && c->shares.value != 0
      && write_u64(dir, "cpu.weight", cgroup_cpu_shares_to_weight(c->shares.value), "cpu.shares", err) < 0)
    return -1;
  _cleanup_free_ char *current = NULL;
  bool period_only = !set_nonzero(c->quota) && c->period.set && c->period.value != 0;
  if (period_only && cgroup_fs_read(dir, "cpu.max", &current, err) < 0)
    return berth_wrap(err, ".linux.resources.cpu.period");
  _cleanup_free_ char *max = cgroup_v2_cpu_max(c, current);
  if (max && cgroup_res_write(dir, "cpu.max", max, set_nonzero(c->quota) ? "cpu.quota" : "cpu.period", err) < 0)
    return -1;
  if (c->burst.set && write_u64(dir, "cpu.max.burst", c->burst.value, "cpu.burst", err) < 0)
    return -1;
  if (set_nonzero(c->realtime_runtime) || (c->realtime_period.set && c->realtime_period.value != 0))
    return berth_fail(err, ENOTSUP, ".linux.resources.cpu.realtimeRuntime/realtimePeriod: cgroup v2 has no "
                      "realtime budget per cgroup");
  if (c->idle.set && cgroup_res_write(dir, "cpu.idle", c->idle.value ? "1" : "0", "cpu.idle", err) < 0)
    return -1;
  return 0;
}

/* cpus and mems: same file names on v1 and v2 */
int cgroup_apply_cpuset(const char *dir, const struct spec_cpu *c, berth_error_t *err)
{
  if (c->cpus && *c->cpus && cgroup_res_write(dir, "cpuset.cpus", c->cpus, "cpu.cpus", err) < 0)
    return -1;
  if (c->mems && *c->mems && cgroup_res_write(dir, "cpuset.mems", c->mems, "cpu.mems", err) < 0)
    return -1;
  return 0;
}

/* ---------------------------------------------------------------- io */

static int write_lines(const char *dir, const char *file, char **lines, const char *field,
                       berth_error_t *err)
{
  for (size_t i = 0; lines && lines[i]; i++)
    if (cgroup_res_write(dir, file, lines[i], field, err) < 0)
      return -1;
  return 0;
}

int cgroup_v2_apply_io(const char *dir, const struct spec_block_io *b, berth_error_t *err)
{
  /* BFQ takes blkio's 1..1000 weights as they are; iocost's io.weight is 1..10000 */
  bool bfq = cgroup_res_has(dir, "io.bfq.weight");
  bool any_weight = (b->weight.set && b->weight.value != 0) || b->n_weight_devices > 0;
  if (any_weight && !bfq && !cgroup_res_has(dir, "io.weight"))
    return berth_fail(err, ENOTSUP, ".linux.resources.blockIO.weight: %s has neither io.bfq.weight nor "
                      "io.weight (no BFQ scheduler, no io.cost)", dir);
  if (b->weight.set && b->weight.value != 0)
    {
      _cleanup_free_ char *v = bfq ? xasprintf("%" PRIu64, b->weight.value)
                                   : xasprintf("default %" PRIu64, cgroup_blkio_weight_to_io_weight(b->weight.value));
      if (cgroup_res_write(dir, bfq ? "io.bfq.weight" : "io.weight", v, "blockIO.weight", err) < 0)
        return -1;
    }
  warn_v1_only(b->leaf_weight.set && b->leaf_weight.value != 0, "blockIO.leafWeight");
  for (size_t i = 0; i < b->n_weight_devices; i++)
    {
      const struct spec_weight_device *d = &b->weight_devices[i];
      warn_v1_only(d->leaf_weight.set, "blockIO.weightDevice[].leafWeight");
      if (!d->weight.set)
        continue;
      uint64_t w = bfq ? d->weight.value : cgroup_blkio_weight_to_io_weight(d->weight.value);
      _cleanup_free_ char *line = cgroup_weight_device_line(d->major, d->minor, w);
      _cleanup_free_ char *field = xasprintf("blockIO.weightDevice[%zu]", i);
      if (cgroup_res_write(dir, bfq ? "io.bfq.weight" : "io.weight", line, field, err) < 0)
        return -1;
    }
  _cleanup_strv_ char **lines = cgroup_v2_io_max_lines(b);
  return write_lines(dir, "io.max", lines, "blockIO.throttle", err);
}

/* ---------------------------------------------------------------- the rest */

int cgroup_apply_hugetlb(const char *dir, const struct spec_resources *r, const char *limit_suffix,
                         berth_error_t *err)
{
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      const struct spec_hugepage_limit *h = &r->hugepage_limits[i];
      _cleanup_free_ char *name = NULL;
      if (cgroup_hugepage_name(h->page_size, &name, err) < 0)
        return berth_wrap(err, ".linux.resources.hugepageLimits[%zu].pageSize", i);
      _cleanup_free_ char *file = xasprintf("hugetlb.%s.%s", name, limit_suffix);
      _cleanup_free_ char *field = xasprintf("hugepageLimits[%zu]", i);
      if (!cgroup_res_has(dir, file))
        return berth_fail(err, ENOTSUP, ".linux.resources.%s: page size %s is not supported here (no %s/%s)",
                          field, h->page_size, dir, file);
      if (write_u64(dir, file, h->limit, field, err) < 0)
        return -1;
    }
  return 0;
}

int cgroup_v2_apply_hugetlb(const char *dir, const struct spec_resources *r, berth_error_t *err)
{
  return cgroup_apply_hugetlb(dir, r, "max", err);
}

int cgroup_v2_apply_rdma(const char *dir, const struct spec_resources *r, berth_error_t *err)
{
  for (size_t i = 0; i < r->n_rdma; i++)
    {
      _cleanup_free_ char *line = cgroup_rdma_line(&r->rdma[i]);
      _cleanup_free_ char *field = xasprintf("rdma.%s", r->rdma[i].device ? r->rdma[i].device : "");
      if (line && cgroup_res_write(dir, "rdma.max", line, field, err) < 0)
        return -1;
    }
  return 0;
}

int cgroup_v2_apply_pids(const char *dir, const struct spec_resources *r, berth_error_t *err)
{
  if (set_nonzero(r->pids_limit))
    return write_limit(dir, "pids.max", r->pids_limit.value, "pids.limit", err);
  return 0;
}

/* on a hybrid host only files of the controllers in the unified
 * hierarchy (and cgroup.* core files) are there to be written */
static int unified_key_allowed(const char *dir, const char *key, berth_error_t *err)
{
  size_t len = strcspn(key, ".");
  _cleanup_free_ char *controller = xstrndup(key, len);
  if (key[len] != '.' || (!str_eq(controller, "cgroup") && !cgroup_v2_has_controller(dir, controller)))
    return berth_fail(err, ENOTSUP,
                      ".linux.resources.unified.%s: this host is hybrid and \"%s\" is not a controller "
                      "of its cgroup v2 hierarchy (%s)", key, controller, dir);
  return 0;
}

int cgroup_v2_apply_unified(const char *dir, const struct spec_resources *r, bool hybrid,
                            berth_error_t *err)
{
  for (size_t i = 0; i < r->n_unified; i++)
    {
      const struct spec_kv *kv = &r->unified[i];
      if (cgroup_unified_key_check(kv->key, err) < 0)
        return -1;
      if (hybrid && unified_key_allowed(dir, kv->key, err) < 0)
        return -1;
      _cleanup_free_ char *field = xasprintf("unified.%s", kv->key);
      if (cgroup_res_write(dir, kv->key, kv->value ? kv->value : "", field, err) < 0)
        return -1;
    }
  return 0;
}

static int check_v2_network(const struct spec_resources *r, berth_error_t *err)
{
  const struct spec_network_resources *n = r->network;
  if (n && (n->class_id.set || n->n_priorities > 0))
    return berth_fail(err, ENOTSUP, ".linux.resources.network: net_cls and net_prio are cgroup v1 "
                      "controllers, this host has cgroup v2 only");
  return 0;
}

int cgroup_v2_apply_resources_with(const struct cgroup_dir *dir, const struct spec_resources *r,
                                   const struct cgroup_apply_options *o, berth_error_t *err)
{
  const char *d = dir->path;
  if (r)
    {
      if (check_v2_network(r, err) < 0
          || (r->memory && cgroup_v2_apply_memory(d, r->memory, err) < 0)
          || (r->cpu && (cgroup_v2_apply_cpu(d, r->cpu, err) < 0 || cgroup_apply_cpuset(d, r->cpu, err) < 0))
          || (r->block_io && cgroup_v2_apply_io(d, r->block_io, err) < 0)
          || cgroup_v2_apply_hugetlb(d, r, err) < 0 || cgroup_v2_apply_rdma(d, r, err) < 0
          || cgroup_v2_apply_pids(d, r, err) < 0
          /* last, so a raw value wins over a converted one, as in runc */
          || cgroup_v2_apply_unified(d, r, false, err) < 0)
        return -1;
    }
  struct cgroup_dev_state s = { 0 };
  bool applies;
  if (cgroup_dev_state_for(r, o, &s, &applies, err) < 0)
    return -1;
  int ret = applies ? cgroup_v2_devices_apply(d, &s, o && o->dev_filter_shared, err) : 0;
  cgroup_dev_state_clear(&s);
  return ret;
}

int cgroup_v2_apply_resources(const struct cgroup_dir *dir, const struct spec_resources *r,
                              berth_error_t *err)
{
  return cgroup_v2_apply_resources_with(dir, r, NULL, err);
}
