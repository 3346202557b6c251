/* linux.resources back to JSON, and the merge `update` does (events.h).
 * The emitter writes exactly what spec_resources_parse reads, so a stored
 * copy reads back to the same struct. */
#include "spec/events.h"

#include <stdlib.h>
#include <string.h>

#include "spec/internal.h"
#include "util/util.h"

/* ------------------------------------------------------------ emit */

static void k_opt_i64(struct jgen *w, const char *key, spec_opt_i64 v)
{
  if (v.set)
    jg_kint(w, key, v.value);
}

static void k_opt_u64(struct jgen *w, const char *key, spec_opt_u64 v)
{
  if (v.set)
    jg_kuint(w, key, v.value);
}

static void k_opt_bool(struct jgen *w, const char *key, spec_opt_bool v)
{
  if (v.set)
    jg_kbool(w, key, v.value);
}

static void emit_devices(struct jgen *w, const struct spec_resources *r)
{
  if (!r->devices)
    return;
  jg_key(w, "devices");
  jg_aopen(w);
  for (size_t i = 0; i < r->n_devices; i++)
    {
      const struct spec_device_cgroup *d = &r->devices[i];
      jg_open(w);
      jg_kbool(w, "allow", d->allow);
      jg_kstr(w, "type", d->type);
      k_opt_i64(w, "major", d->major);
      k_opt_i64(w, "minor", d->minor);
      jg_kstr(w, "access", d->access);
      jg_close(w);
    }
  jg_aclose(w);
}

static void emit_memory(struct jgen *w, const struct spec_memory *m)
{
  if (!m)
    return;
  jg_key(w, "memory");
  jg_open(w);
  k_opt_i64(w, "limit", m->limit);
  k_opt_i64(w, "reservation", m->reservation);
  k_opt_i64(w, "swap", m->swap);
  k_opt_i64(w, "kernel", m->kernel);
  k_opt_i64(w, "kernelTCP", m->kernel_tcp);
  k_opt_u64(w, "swappiness", m->swappiness);
  k_opt_bool(w, "disableOOMKiller", m->disable_oom_killer);
  k_opt_bool(w, "useHierarchy", m->use_hierarchy);
  k_opt_bool(w, "checkBeforeUpdate", m->check_before_update);
  jg_close(w);
}

static void emit_cpu(struct jgen *w, const struct spec_cpu *c)
{
  if (!c)
    return;
  jg_key(w, "cpu");
  jg_open(w);
  k_opt_u64(w, "shares", c->shares);
  k_opt_i64(w, "quota", c->quota);
  k_opt_u64(w, "burst", c->burst);
  k_opt_u64(w, "period", c->period);
  k_opt_i64(w, "realtimeRuntime", c->realtime_runtime);
  k_opt_u64(w, "realtimePeriod", c->realtime_period);
  jg_kstr(w, "cpus", c->cpus);
  jg_kstr(w, "mems", c->mems);
  if (c->idle.set)
    jg_kint(w, "idle", c->idle.value ? 1 : 0);
  jg_close(w);
}

static void emit_throttle(struct jgen *w, const char *key, const struct spec_throttle_list *l)
{
  if (!l->devices)
    return;
  jg_key(w, key);
  jg_aopen(w);
  for (size_t i = 0; i < l->n; i++)
    {
      jg_open(w);
      jg_kint(w, "major", l->devices[i].major);
      jg_kint(w, "minor", l->devices[i].minor);
      jg_kuint(w, "rate", l->devices[i].rate);
      jg_close(w);
    }
  jg_aclose(w);
}

static void emit_block_io(struct jgen *w, const struct spec_block_io *b)
{
  if (!b)
    return;
  jg_key(w, "blockIO");
  jg_open(w);
  k_opt_u64(w, "weight", b->weight);
  k_opt_u64(w, "leafWeight", b->leaf_weight);
  if (b->weight_devices)
    {
      jg_key(w, "weightDevice");
      jg_aopen(w);
      for (size_t i = 0; i < b->n_weight_devices; i++)
        {
          jg_open(w);
          jg_kint(w, "major", b->weight_devices[i].major);
          jg_kint(w, "minor", b->weight_devices[i].minor);
          k_opt_u64(w, "weight", b->weight_devices[i].weight);
          k_opt_u64(w, "leafWeight", b->weight_devices[i].leaf_weight);
          jg_close(w);
        }
      jg_aclose(w);
    }
  emit_throttle(w, "throttleReadBpsDevice", &b->throttle_read_bps);
  emit_throttle(w, "throttleWriteBpsDevice", &b->throttle_write_bps);
  emit_throttle(w, "throttleReadIOPSDevice", &b->throttle_read_iops);
  emit_throttle(w, "throttleWriteIOPSDevice", &b->throttle_write_iops);
  jg_close(w);
}

static void emit_rest(struct jgen *w, const struct spec_resources *r)
{
  if (r->hugepage_limits)
    {
      jg_key(w, "hugepageLimits");
      jg_aopen(w);
      for (size_t i = 0; i < r->n_hugepage_limits; i++)
        {
          jg_open(w);
          jg_kstr(w, "pageSize", r->hugepage_limits[i].page_size);
          jg_kuint(w, "limit", r->hugepage_limits[i].limit);
          jg_close(w);
        }
      jg_aclose(w);
    }
  if (r->pids_limit.set)
    {
      jg_key(w, "pids");
      jg_open(w);
      jg_kint(w, "limit", r->pids_limit.value);
      jg_close(w);
    }
  if (r->network)
    {
      jg_key(w, "network");
      jg_open(w);
      k_opt_u64(w, "classID", r->network->class_id);
      if (r->network->priorities)
        {
          jg_key(w, "priorities");
          jg_aopen(w);
          for (size_t i = 0; i < r->network->n_priorities; i++)
            {
              jg_open(w);
              jg_kstr(w, "name", r->network->priorities[i].name);
              jg_kuint(w, "priority", r->network->priorities[i].priority);
              jg_close(w);
            }
          jg_aclose(w);
        }
      jg_close(w);
    }
  if (r->rdma)
    {
      jg_key(w, "rdma");
      jg_open(w);
      for (size_t i = 0; i < r->n_rdma; i++)
        {
          jg_key(w, r->rdma[i].device);
          jg_open(w);
          k_opt_u64(w, "hcaHandles", r->rdma[i].hca_handles);
          k_opt_u64(w, "hcaObjects", r->rdma[i].hca_objects);
          jg_close(w);
        }
      jg_close(w);
    }
  if (r->unified)
    jg_kkv(w, "unified", r->unified, r->n_unified);
}

void jg_resources(struct jgen *w, const struct spec_resources *r)
{
  jg_open(w);
  emit_devices(w, r);
  emit_memory(w, r->memory);
  emit_cpu(w, r->cpu);
  emit_block_io(w, r->block_io);
  emit_rest(w, r);
  jg_close(w);
}

int spec_resources_emit(const struct spec_resources *r, char **out, size_t *out_len, berth_error_t *err)
{
  struct jgen w;
  if (jgen_init(&w, NULL, err) < 0)
    return -1;
  jg_resources(&w, r);
  return jgen_finish(&w, "linux.resources", out, out_len, err);
}

/* ------------------------------------------------------------ merge */

#define TAKE_OPT(dst, src, field)                                                                  \
  do                                                                                               \
    {                                                                                              \
      if ((src)->field.set)                                                                        \
        (dst)->field = (src)->field;                                                               \
    }                                                                                              \
  while (0)

/* a string src has replaces dst's */
static void take_str(char **dst, char **src)
{
  if (*src)
    {
      free(*dst);
      *dst = steal_pointer(src);
    }
}

/* a sub-object: dst has none -> move src's; both -> field by field */
#define TAKE_OBJ(dst, src, merge_fn)                                                               \
  do                                                                                               \
    {                                                                                              \
      if ((src) && !(dst))                                                                         \
        (dst) = steal_pointer(&(src));                                                             \
      else if ((src))                                                                              \
        merge_fn((dst), (src));                                                                    \
    }                                                                                              \
  while (0)

static void merge_memory(struct spec_memory *d, struct spec_memory *s)
{
  TAKE_OPT(d, s, limit);
  TAKE_OPT(d, s, reservation);
  TAKE_OPT(d, s, swap);
  TAKE_OPT(d, s, kernel);
  TAKE_OPT(d, s, kernel_tcp);
  TAKE_OPT(d, s, swappiness);
  TAKE_OPT(d, s, disable_oom_killer);
  TAKE_OPT(d, s, use_hierarchy);
  TAKE_OPT(d, s, check_before_update);
}

static void merge_cpu(struct spec_cpu *d, struct spec_cpu *s)
{
  TAKE_OPT(d, s, shares);
  TAKE_OPT(d, s, quota);
  TAKE_OPT(d, s, burst);
  TAKE_OPT(d, s, period);
  TAKE_OPT(d, s, realtime_runtime);
  TAKE_OPT(d, s, realtime_period);
  take_str(&d->cpus, &s->cpus);
  take_str(&d->mems, &s->mems);
  TAKE_OPT(d, s, idle);
}

static void swap_throttle(struct spec_throttle_list *d, struct spec_throttle_list *s)
{
  if (!s->devices)
    return;
  struct spec_throttle_list tmp = *d;
  *d = *s;
  *s = tmp; /* src's free releases the old list */
}

static void merge_block_io(struct spec_block_io *d, struct spec_block_io *s)
{
  TAKE_OPT(d, s, weight);
  TAKE_OPT(d, s, leaf_weight);
  if (s->weight_devices)
    {
      struct spec_weight_device *tmp = d->weight_devices;
      size_t n = d->n_weight_devices;
      d->weight_devices = s->weight_devices;
      d->n_weight_devices = s->n_weight_devices;
      s->weight_devices = tmp;
      s->n_weight_devices = n;
    }
  swap_throttle(&d->throttle_read_bps, &s->throttle_read_bps);
  swap_throttle(&d->throttle_write_bps, &s->throttle_write_bps);
  swap_throttle(&d->throttle_read_iops, &s->throttle_read_iops);
  swap_throttle(&d->throttle_write_iops, &s->throttle_write_iops);
}

static void merge_network(struct spec_network_resources *d, struct spec_network_resources *s)
{
  TAKE_OPT(d, s, class_id);
  if (s->priorities)
    {
      struct spec_net_priority *tmp = d->priorities;
      size_t n = d->n_priorities;
      d->priorities = s->priorities;
      d->n_priorities = s->n_priorities;
      s->priorities = tmp;
      s->n_priorities = n;
    }
}

/* swap whole (pointer, count) lists when src has one */
#define SWAP_LIST(d, s, ptr, count)                                                                \
  do                                                                                               \
    {                                                                                              \
      if ((s)->ptr)                                                                                \
        {                                                                                          \
          __typeof__((d)->ptr) tp = (d)->ptr;                                                      \
          size_t tn = (d)->count;                                                                  \
          (d)->ptr = (s)->ptr;                                                                     \
          (d)->count = (s)->count;                                                                 \
          (s)->ptr = tp;                                                                           \
          (s)->count = tn;                                                                         \
        }                                                                                          \
    }                                                                                              \
  while (0)

void spec_resources_merge(struct spec_resources *dst, struct spec_resources *src)
{
  SWAP_LIST(dst, src, devices, n_devices);
  TAKE_OBJ(dst->memory, src->memory, merge_memory);
  TAKE_OBJ(dst->cpu, src->cpu, merge_cpu);
  TAKE_OBJ(dst->block_io, src->block_io, merge_block_io);
  SWAP_LIST(dst, src, hugepage_limits, n_hugepage_limits);
  TAKE_OPT(dst, src, pids_limit);
  TAKE_OBJ(dst->network, src->network, merge_network);
  SWAP_LIST(dst, src, rdma, n_rdma);
  SWAP_LIST(dst, src, unified, n_unified);
}
