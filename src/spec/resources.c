/* config.json .linux.resources (also what `update --resources` reads, via
 * the same parser once someone needs it). */
#include "spec/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static const char *const cgroup_device_types[] = { "a", "c", "b" };

/* -1 means "unlimited" for the signed limits of the spec; anything lower is
 * nonsense and rejected. */
#define LIMIT_MIN (-1)

/* ------------------------------------------------------------ free */

void spec_resources_free(struct spec_resources *r)
{
  if (!r)
    return;
  for (size_t i = 0; r->devices && i < r->n_devices; i++)
    {
      free(r->devices[i].type);
      free(r->devices[i].access);
    }
  free(r->devices);
  free(r->memory);
  if (r->cpu)
    {
      free(r->cpu->cpus);
      free(r->cpu->mems);
      free(r->cpu);
    }
  if (r->block_io)
    {
      free(r->block_io->weight_devices);
      free(r->block_io->throttle_read_bps.devices);
      free(r->block_io->throttle_write_bps.devices);
      free(r->block_io->throttle_read_iops.devices);
      free(r->block_io->throttle_write_iops.devices);
      free(r->block_io);
    }
  for (size_t i = 0; r->hugepage_limits && i < r->n_hugepage_limits; i++)
    free(r->hugepage_limits[i].page_size);
  free(r->hugepage_limits);
  if (r->network)
    {
      for (size_t i = 0; r->network->priorities && i < r->network->n_priorities; i++)
        free(r->network->priorities[i].name);
      free(r->network->priorities);
      free(r->network);
    }
  for (size_t i = 0; r->rdma && i < r->n_rdma; i++)
    free(r->rdma[i].device);
  free(r->rdma);
  spec_kv_free(r->unified, r->n_unified);
  free(r);
}

/* ------------------------------------------------------------ devices */

/* major/minor: -1 (the Go runtimes' "*") is the same as leaving it out */
static int parse_wildcard(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
                          spec_opt_i64 *out)
{
  if (jf_opt_i64(c, obj, p, key, -1, INT64_MAX, out) < 0)
    return -1;
  if (out->set && out->value == -1)
    out->set = false;
  return 0;
}

static int parse_device_rule(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_device_cgroup *d = elem;
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jrequire(c, n, p, "allow") < 0
      || jf_bool(c, n, p, "allow", &d->allow) < 0 || jf_str(c, n, p, "type", &d->type) < 0
      || (d->type && spec_check_enum(c, JP_KEY(p, "type"), "device type", d->type, cgroup_device_types,
                                     ARRAY_SIZE(cgroup_device_types)) < 0)
      || parse_wildcard(c, n, p, "major", &d->major) < 0 || parse_wildcard(c, n, p, "minor", &d->minor) < 0
      || jf_str(c, n, p, "access", &d->access) < 0)
    return -1;
  if (d->access && strspn(d->access, "rwm") != strlen(d->access))
    return jfail(c, JP_KEY(p, "access"), "\"%.64s\" is not a subset of \"rwm\"", d->access);
  return 0;
}

/* ------------------------------------------------------------ memory, cpu */

static int parse_memory(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_memory *m = elem;
  if (jf_opt_i64(c, n, p, "limit", LIMIT_MIN, INT64_MAX, &m->limit) < 0
      || jf_opt_i64(c, n, p, "reservation", LIMIT_MIN, INT64_MAX, &m->reservation) < 0
      || jf_opt_i64(c, n, p, "swap", LIMIT_MIN, INT64_MAX, &m->swap) < 0
      || jf_opt_i64(c, n, p, "kernel", LIMIT_MIN, INT64_MAX, &m->kernel) < 0
      || jf_opt_i64(c, n, p, "kernelTCP", LIMIT_MIN, INT64_MAX, &m->kernel_tcp) < 0
      || jf_opt_u64(c, n, p, "swappiness", 100, &m->swappiness) < 0
      || jf_opt_bool(c, n, p, "disableOOMKiller", &m->disable_oom_killer) < 0
      || jf_opt_bool(c, n, p, "useHierarchy", &m->use_hierarchy) < 0
      || jf_opt_bool(c, n, p, "checkBeforeUpdate", &m->check_before_update) < 0)
    return -1;
  return 0;
}

static int parse_idle(struct jctx *c, const struct jnode *obj, const struct jpath *p, spec_opt_bool *out)
{
  spec_opt_i64 v = { 0 };
  if (jf_opt_i64(c, obj, p, "idle", 0, 1, &v) < 0)
    return -1;
  out->set = v.set;
  out->value = v.value == 1;
  return 0;
}

static int parse_cpu(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_cpu *cpu = elem;
  if (jf_opt_u64(c, n, p, "shares", UINT64_MAX, &cpu->shares) < 0
      || jf_opt_i64(c, n, p, "quota", LIMIT_MIN, INT64_MAX, &cpu->quota) < 0
      || jf_opt_u64(c, n, p, "burst", UINT64_MAX, &cpu->burst) < 0
      || jf_opt_u64(c, n, p, "period", UINT64_MAX, &cpu->period) < 0
      || jf_opt_i64(c, n, p, "realtimeRuntime", LIMIT_MIN, INT64_MAX, &cpu->realtime_runtime) < 0
      || jf_opt_u64(c, n, p, "realtimePeriod", UINT64_MAX, &cpu->realtime_period) < 0
      || jf_str(c, n, p, "cpus", &cpu->cpus) < 0 || jf_str(c, n, p, "mems", &cpu->mems) < 0
      || parse_idle(c, n, p, &cpu->idle) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------ block io */

static int parse_major_minor(struct jctx *c, const struct jnode *n, const struct jpath *p, int64_t *major,
                             int64_t *minor)
{
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jrequire(c, n, p, "major") < 0 || jrequire(c, n, p, "minor") < 0
      || jf_i64(c, n, p, "major", 0, INT64_MAX, major) < 0 || jf_i64(c, n, p, "minor", 0, INT64_MAX, minor) < 0)
    return -1;
  return 0;
}

static int parse_weight_device(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_weight_device *d = elem;
  if (parse_major_minor(c, n, p, &d->major, &d->minor) < 0
      || jf_opt_u64(c, n, p, "weight", UINT16_MAX, &d->weight) < 0
      || jf_opt_u64(c, n, p, "leafWeight", UINT16_MAX, &d->leaf_weight) < 0)
    return -1;
  return 0;
}

static int parse_throttle_device(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_throttle_device *d = elem;
  if (parse_major_minor(c, n, p, &d->major, &d->minor) < 0 || jrequire(c, n, p, "rate") < 0
      || jf_u64(c, n, p, "rate", UINT64_MAX, &d->rate) < 0)
    return -1;
  return 0;
}

static int parse_throttle(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
                          struct spec_throttle_list *l)
{
  return jf_array(c, obj, p, key, sizeof *l->devices, parse_throttle_device, &l->devices, &l->n);
}

static int parse_block_io(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_block_io *b = elem;
  if (jf_opt_u64(c, n, p, "weight", UINT16_MAX, &b->weight) < 0
      || jf_opt_u64(c, n, p, "leafWeight", UINT16_MAX, &b->leaf_weight) < 0
      || jf_array(c, n, p, "weightDevice", sizeof *b->weight_devices, parse_weight_device, &b->weight_devices,
                  &b->n_weight_devices) < 0
      || parse_throttle(c, n, p, "throttleReadBpsDevice", &b->throttle_read_bps) < 0
      || parse_throttle(c, n, p, "throttleWriteBpsDevice", &b->throttle_write_bps) < 0
      || parse_throttle(c, n, p, "throttleReadIOPSDevice", &b->throttle_read_iops) < 0
      || parse_throttle(c, n, p, "throttleWriteIOPSDevice", &b->throttle_write_iops) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------ the rest */

static int parse_hugepage_limit(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_hugepage_limit *h = elem;
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jrequire(c, n, p, "pageSize") < 0 || jrequire(c, n, p, "limit") < 0
      || jf_str(c, n, p, "pageSize", &h->page_size) < 0 || jf_u64(c, n, p, "limit", UINT64_MAX, &h->limit) < 0)
    return -1;
  return 0;
}

static int parse_pids(struct jctx *c, const struct jnode *obj, const struct jpath *p, struct spec_resources *r)
{
  const struct jnode *n = jget(obj, "pids");
  if (!n)
    return 0;
  p = JP_KEY(p, "pids");
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jrequire(c, n, p, "limit") < 0
      || jf_opt_i64(c, n, p, "limit", LIMIT_MIN, INT64_MAX, &r->pids_limit) < 0)
    return -1;
  return 0;
}

static int parse_net_priority(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_net_priority *np = elem;
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jrequire(c, n, p, "name") < 0 || jrequire(c, n, p, "priority") < 0
      || jf_str(c, n, p, "name", &np->name) < 0 || jf_u32(c, n, p, "priority", UINT32_MAX, &np->priority) < 0)
    return -1;
  return 0;
}

static int parse_network(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_network_resources *net = elem;
  if (jf_opt_u64(c, n, p, "classID", UINT32_MAX, &net->class_id) < 0
      || jf_array(c, n, p, "priorities", sizeof *net->priorities, parse_net_priority, &net->priorities,
                  &net->n_priorities) < 0)
    return -1;
  return 0;
}

static int parse_rdma_entry(struct jctx *c, const char *key, const struct jnode *n, const struct jpath *p,
                            void *elem)
{
  struct spec_rdma *r = elem;
  r->device = xstrdup(key);
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jf_opt_u64(c, n, p, "hcaHandles", UINT32_MAX, &r->hca_handles) < 0
      || jf_opt_u64(c, n, p, "hcaObjects", UINT32_MAX, &r->hca_objects) < 0)
    return -1;
  return 0;
}

int spec_parse_resources(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_resources *r = elem;
  const struct jnode *rdma = jget(n, "rdma");
  if (jf_array(c, n, p, "devices", sizeof *r->devices, parse_device_rule, &r->devices, &r->n_devices) < 0
      || jf_object(c, n, p, "memory", sizeof *r->memory, parse_memory, &r->memory) < 0
      || jf_object(c, n, p, "cpu", sizeof *r->cpu, parse_cpu, &r->cpu) < 0
      || jf_object(c, n, p, "blockIO", sizeof *r->block_io, parse_block_io, &r->block_io) < 0
      || jf_array(c, n, p, "hugepageLimits", sizeof *r->hugepage_limits, parse_hugepage_limit,
                  &r->hugepage_limits, &r->n_hugepage_limits) < 0
      || parse_pids(c, n, p, r) < 0
      || jf_object(c, n, p, "network", sizeof *r->network, parse_network, &r->network) < 0
      || (rdma && jmap(c, rdma, JP_KEY(p, "rdma"), sizeof *r->rdma, parse_rdma_entry, &r->rdma, &r->n_rdma) < 0)
      || jf_kv(c, n, p, "unified", &r->unified, &r->n_unified) < 0)
    return -1;
  return 0;
}

static void resources_freep(struct spec_resources **r)
{
  spec_resources_free(*r);
}

int spec_resources_parse(const char *json, size_t len, const char *label, struct spec_resources **out,
                         berth_error_t *err)
{
  _cleanup_(json_freep) struct jnode *root = NULL;
  if (json_parse(json, len, label, &root, err) < 0)
    return -1;
  struct jctx c = { label, err };
  _cleanup_(resources_freep) struct spec_resources *r = xcalloc(1, sizeof *r);
  if (jexpect(&c, root, NULL, JSON_OBJECT) < 0 || spec_parse_resources(&c, root, NULL, r) < 0)
    return -1;
  *out = steal_pointer(&r);
  return 0;
}
