/* `events` and `ps --format json` output (see events.h). Field names and
 * presence follow runc's event types: counters tagged omitempty there are
 * left out when 0, the others are always written. */
#include "spec/events.h"

#include <stdlib.h>
#include <string.h>

#include "spec/internal.h"
#include "util/util.h"

static void blkio_list_clear(struct spec_blkio_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i].op);
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

void spec_stats_clear(struct spec_stats *s)
{
  free(s->cpu.percpu);
  for (size_t i = 0; i < s->memory.n_raw; i++)
    free(s->memory.raw[i].key);
  free(s->memory.raw);
  blkio_list_clear(&s->blkio.service_bytes);
  blkio_list_clear(&s->blkio.serviced);
  for (size_t i = 0; i < s->n_hugetlb; i++)
    free(s->hugetlb[i].page_size);
  free(s->hugetlb);
  memset(s, 0, sizeof *s);
}

void spec_blkio_list_add(struct spec_blkio_list *l, uint64_t major, uint64_t minor, const char *op,
                         uint64_t value)
{
  l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
  l->v[l->n++] = (struct spec_blkio_entry) { major, minor, xstrdup(op), value };
}

void spec_stats_raw_add(struct spec_stats *s, const char *key, uint64_t value)
{
  s->memory.raw = xreallocarray(s->memory.raw, s->memory.n_raw + 1, sizeof *s->memory.raw);
  s->memory.raw[s->memory.n_raw++] = (struct spec_u64_kv) { xstrdup(key), value };
}

struct spec_hugetlb_stats *spec_stats_hugetlb_add(struct spec_stats *s, const char *page_size)
{
  s->hugetlb = xreallocarray(s->hugetlb, s->n_hugetlb + 1, sizeof *s->hugetlb);
  struct spec_hugetlb_stats *h = &s->hugetlb[s->n_hugetlb++];
  *h = (struct spec_hugetlb_stats) { .page_size = xstrdup(page_size) };
  return h;
}

/* ------------------------------------------------------------ stats */

/* "key": v, left out when 0 (Go's omitempty) */
static void kuint_nz(struct jgen *w, const char *key, uint64_t v)
{
  if (v)
    jg_kuint(w, key, v);
}

static void emit_cpu(struct jgen *w, const struct spec_stats *s)
{
  jg_key(w, "cpu");
  jg_open(w);
  jg_key(w, "usage");
  jg_open(w);
  kuint_nz(w, "total", s->cpu.total);
  if (s->cpu.n_percpu)
    {
      jg_key(w, "percpu");
      jg_aopen(w);
      for (size_t i = 0; i < s->cpu.n_percpu; i++)
        jg_uint(w, s->cpu.percpu[i]);
      jg_aclose(w);
    }
  jg_kuint(w, "kernel", s->cpu.kernel);
  jg_kuint(w, "user", s->cpu.user);
  jg_close(w);
  jg_key(w, "throttling");
  jg_open(w);
  kuint_nz(w, "periods", s->cpu.periods);
  kuint_nz(w, "throttledPeriods", s->cpu.throttled_periods);
  kuint_nz(w, "throttledTime", s->cpu.throttled_time);
  jg_close(w);
  jg_close(w);
}

static void emit_memory_entry(struct jgen *w, const char *key, const struct spec_memory_entry *e)
{
  jg_key(w, key);
  jg_open(w);
  jg_kuint(w, "limit", e->limit);
  kuint_nz(w, "usage", e->usage);
  kuint_nz(w, "max", e->max);
  jg_kuint(w, "failcnt", e->failcnt);
  jg_close(w);
}

static int cmp_raw(const void *a, const void *b)
{
  return strcmp(((const struct spec_u64_kv *) a)->key, ((const struct spec_u64_kv *) b)->key);
}

static void emit_memory(struct jgen *w, const struct spec_stats *s)
{
  jg_key(w, "memory");
  jg_open(w);
  kuint_nz(w, "cache", s->memory.cache);
  emit_memory_entry(w, "usage", &s->memory.usage);
  emit_memory_entry(w, "swap", &s->memory.swap);
  emit_memory_entry(w, "kernel", &s->memory.kernel);
  emit_memory_entry(w, "kernelTCP", &s->memory.kernel_tcp);
  if (s->memory.n_raw)
    {
      /* a Go map: keys sorted */
      _cleanup_free_ struct spec_u64_kv *sorted = xreallocarray(NULL, s->memory.n_raw, sizeof *sorted);
      memcpy(sorted, s->memory.raw, s->memory.n_raw * sizeof *sorted);
      qsort(sorted, s->memory.n_raw, sizeof *sorted, cmp_raw);
      jg_key(w, "raw");
      jg_open(w);
      for (size_t i = 0; i < s->memory.n_raw; i++)
        jg_kuint(w, sorted[i].key, sorted[i].value);
      jg_close(w);
    }
  jg_close(w);
}

static void emit_blkio_list(struct jgen *w, const char *key, const struct spec_blkio_list *l)
{
  if (l->n == 0)
    return;
  jg_key(w, key);
  jg_aopen(w);
  for (size_t i = 0; i < l->n; i++)
    {
      jg_open(w);
      kuint_nz(w, "major", l->v[i].major);
      kuint_nz(w, "minor", l->v[i].minor);
      if (l->v[i].op && l->v[i].op[0])
        jg_kstr(w, "op", l->v[i].op);
      kuint_nz(w, "value", l->v[i].value);
      jg_close(w);
    }
  jg_aclose(w);
}

static int cmp_hugetlb(const void *a, const void *b)
{
  return strcmp(((const struct spec_hugetlb_stats *) a)->page_size,
                ((const struct spec_hugetlb_stats *) b)->page_size);
}

static void emit_hugetlb(struct jgen *w, const struct spec_stats *s)
{
  jg_key(w, "hugetlb");
  jg_open(w);
  _cleanup_free_ struct spec_hugetlb_stats *sorted = NULL;
  if (s->n_hugetlb)
    {
      sorted = xreallocarray(NULL, s->n_hugetlb, sizeof *sorted);
      memcpy(sorted, s->hugetlb, s->n_hugetlb * sizeof *sorted);
      qsort(sorted, s->n_hugetlb, sizeof *sorted, cmp_hugetlb);
    }
  for (size_t i = 0; i < s->n_hugetlb; i++)
    {
      jg_key(w, sorted[i].page_size);
      jg_open(w);
      kuint_nz(w, "usage", sorted[i].usage);
      kuint_nz(w, "max", sorted[i].max);
      jg_kuint(w, "failcnt", sorted[i].failcnt);
      jg_close(w);
    }
  jg_close(w);
}

static void emit_stats(struct jgen *w, const struct spec_stats *s)
{
  jg_open(w);
  emit_cpu(w, s);
  emit_memory(w, s);
  jg_key(w, "pids");
  jg_open(w);
  kuint_nz(w, "current", s->pids.current);
  kuint_nz(w, "limit", s->pids.limit);
  jg_close(w);
  jg_key(w, "blkio");
  jg_open(w);
  emit_blkio_list(w, "ioServiceBytesRecursive", &s->blkio.service_bytes);
  emit_blkio_list(w, "ioServicedRecursive", &s->blkio.serviced);
  jg_close(w);
  emit_hugetlb(w, s);
  jg_close(w);
}

int spec_event_emit(const char *type, const char *id, const struct spec_stats *stats, char **out,
                    size_t *out_len, berth_error_t *err)
{
  struct jgen w;
  if (jgen_init(&w, NULL, err) < 0)
    return -1;
  jg_open(&w);
  jg_kstr(&w, "type", type);
  jg_kstr(&w, "id", id);
  if (stats)
    {
      jg_key(&w, "data");
      emit_stats(&w, stats);
    }
  jg_close(&w);
  return jgen_finish(&w, "event", out, out_len, err);
}

int spec_pids_emit(const pid_t *pids, size_t n, char **out, size_t *out_len, berth_error_t *err)
{
  struct jgen w;
  if (jgen_init(&w, NULL, err) < 0)
    return -1;
  jg_aopen(&w);
  for (size_t i = 0; i < n; i++)
    jg_int(&w, pids[i]);
  jg_aclose(&w);
  return jgen_finish(&w, "pid list", out, out_len, err);
}
