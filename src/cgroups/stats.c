/* Container statistics for `events`: the pure parsers of stats.h and
 * cgroup_read_stats(), which reads v2 files on a unified host and the v1
 * controllers' files elsewhere (hugetlb from whichever hierarchy has it:
 * on a hybrid host it can live in the unified one). Units as runc reports
 * them: nanoseconds for cpu, bytes for memory and io. */
#include "cgroups/stats.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/cgroups_internal.h"
#include "util/util.h"

/* ------------------------------------------------------------ pure parsers */

static bool parse_u64_token(const char *s, size_t len, uint64_t *out)
{
  if (len == 0 || len >= 32)
    return false;
  char buf[32];
  memcpy(buf, s, len);
  buf[len] = '\0';
  unsigned long long v;
  if (parse_uint64(buf, &v) < 0)
    return false;
  *out = v;
  return true;
}

bool cgroup_stat_parse_value(const char *text, uint64_t *out)
{
  size_t len = strcspn(text, "\n");
  if (len == 3 && strncmp(text, "max", 3) == 0)
    {
      *out = UINT64_MAX;
      return true;
    }
  return parse_u64_token(text, len, out);
}

bool cgroup_stat_lookup(const char *text, const char *key, uint64_t *out)
{
  size_t klen = strlen(key);
  for (const char *line = text; line && *line;)
    {
      const char *end = strchrnul(line, '\n');
      if ((size_t) (end - line) > klen && strncmp(line, key, klen) == 0 && line[klen] == ' ')
        return parse_u64_token(line + klen + 1, (size_t) (end - line) - klen - 1, out);
      line = *end ? end + 1 : NULL;
    }
  return false;
}

void cgroup_stat_parse_u64_list(const char *text, uint64_t **out, size_t *n)
{
  *out = NULL;
  *n = 0;
  for (const char *p = text; *p;)
    {
      p += strspn(p, " \t\n");
      size_t len = strcspn(p, " \t\n");
      if (len == 0)
        break;
      uint64_t v;
      if (parse_u64_token(p, len, &v))
        {
          *out = xreallocarray(*out, *n + 1, sizeof **out);
          (*out)[(*n)++] = v;
        }
      p += len;
    }
}

static uint64_t lookup_or_0(const char *text, const char *key)
{
  uint64_t v = 0;
  if (text)
    cgroup_stat_lookup(text, key, &v);
  return v;
}

void cgroup_stats_parse_cpu_v2(const char *t, struct spec_stats *s)
{
  s->cpu.total = lookup_or_0(t, "usage_usec") * 1000;
  s->cpu.user = lookup_or_0(t, "user_usec") * 1000;
  s->cpu.kernel = lookup_or_0(t, "system_usec") * 1000;
  s->cpu.periods = lookup_or_0(t, "nr_periods");
  s->cpu.throttled_periods = lookup_or_0(t, "nr_throttled");
  s->cpu.throttled_time = lookup_or_0(t, "throttled_usec") * 1000;
}

void cgroup_stats_parse_cpuacct_v1(const char *t, long tick_hz, struct spec_stats *s)
{
  uint64_t ns_per_tick = tick_hz > 0 ? 1000000000ull / (uint64_t) tick_hz : 10000000ull;
  s->cpu.user = lookup_or_0(t, "user") * ns_per_tick;
  s->cpu.kernel = lookup_or_0(t, "system") * ns_per_tick;
}

void cgroup_stats_parse_cpu_throttling_v1(const char *t, struct spec_stats *s)
{
  s->cpu.periods = lookup_or_0(t, "nr_periods");
  s->cpu.throttled_periods = lookup_or_0(t, "nr_throttled");
  s->cpu.throttled_time = lookup_or_0(t, "throttled_time");
}

void cgroup_stats_parse_memory_stat(const char *text, bool v2, struct spec_stats *s)
{
  for (const char *line = text; line && *line;)
    {
      const char *end = strchrnul(line, '\n');
      const char *sp = memchr(line, ' ', (size_t) (end - line));
      uint64_t v;
      if (sp && sp > line && parse_u64_token(sp + 1, (size_t) (end - sp - 1), &v))
        {
          _cleanup_free_ char *key = xstrndup(line, (size_t) (sp - line));
          spec_stats_raw_add(s, key, v);
          if (str_eq(key, v2 ? "file" : "cache"))
            s->memory.cache = v;
        }
      line = *end ? end + 1 : NULL;
    }
}

/* "MAJ:MIN" at the start of a line; returns the length consumed or 0 */
static size_t parse_dev(const char *line, size_t len, uint64_t *major, uint64_t *minor)
{
  const char *colon = memchr(line, ':', len);
  if (!colon)
    return 0;
  size_t dev_len = strcspn(line, " \n");
  if (dev_len > len || colon > line + dev_len)
    return 0;
  if (!parse_u64_token(line, (size_t) (colon - line), major)
      || !parse_u64_token(colon + 1, (size_t) (line + dev_len - colon - 1), minor))
    return 0;
  return dev_len;
}

void cgroup_stats_parse_blkio_v1(const char *text, struct spec_blkio_list *out)
{
  for (const char *line = text; line && *line;)
    {
      const char *end = strchrnul(line, '\n');
      size_t len = (size_t) (end - line);
      uint64_t major, minor, value;
      size_t dev = parse_dev(line, len, &major, &minor);
      if (dev > 0 && line[dev] == ' ')
        {
          const char *op = line + dev + 1;
          const char *sp = memchr(op, ' ', (size_t) (end - op));
          if (sp && sp > op && parse_u64_token(sp + 1, (size_t) (end - sp - 1), &value))
            {
              _cleanup_free_ char *name = xstrndup(op, (size_t) (sp - op));
              spec_blkio_list_add(out, major, minor, name, value);
            }
        }
      line = *end ? end + 1 : NULL;
    }
}

void cgroup_stats_parse_io_stat_v2(const char *text, struct spec_stats *s)
{
  static const struct
  {
    const char *key;
    const char *op;
    bool bytes;
  } map[] = {
    { "rbytes", "Read", true },
    { "wbytes", "Write", true },
    { "rios", "Read", false },
    { "wios", "Write", false },
  };
  for (const char *line = text; line && *line;)
    {
      const char *end = strchrnul(line, '\n');
      size_t len = (size_t) (end - line);
      uint64_t major, minor;
      size_t dev = parse_dev(line, len, &major, &minor);
      for (const char *p = line + dev; dev > 0 && p < end;)
        {
          p += strspn(p, " ");
          size_t tok = strcspn(p, " \n");
          if (tok == 0)
            break;
          const char *eq = memchr(p, '=', tok);
          uint64_t v;
          for (size_t i = 0; eq && i < ARRAY_SIZE(map); i++)
            if ((size_t) (eq - p) == strlen(map[i].key) && strncmp(p, map[i].key, (size_t) (eq - p)) == 0
                && parse_u64_token(eq + 1, (size_t) (p + tok - eq - 1), &v))
              spec_blkio_list_add(map[i].bytes ? &s->blkio.service_bytes : &s->blkio.serviced, major,
                                  minor, map[i].op, v);
          p += tok;
        }
      line = *end ? end + 1 : NULL;
    }
}

/* ------------------------------------------------------------ reading */

/* the file's text, or NULL when it cannot be read (missing on this
 * kernel or configuration: left out of the stats, as runc does) */
static char *read_opt(const char *dir, const char *file)
{
  if (dir == NULL)
    return NULL;
  char *text = NULL;
  _cleanup_error_ berth_error_t e = NULL;
  if (cgroup_fs_read(dir, file, &text, &e) < 0)
    return NULL;
  return text;
}

static uint64_t read_value(const char *dir, const char *file)
{
  _cleanup_free_ char *t = read_opt(dir, file);
  uint64_t v = 0;
  if (t)
    cgroup_stat_parse_value(t, &v);
  return v;
}

static const char *v1_dir(const struct berth_cgroup *cg, const char *controller)
{
  const struct cgroup_dir *d = cgroup_v1_dir_for(cg, controller);
  return d ? d->path : NULL;
}

/* the unified dir on unified and hybrid hosts, else NULL */
static const char *v2_dir(const struct berth_cgroup *cg)
{
  return cg->n_dirs > 0 && cg->dirs[0].v2 ? cg->dirs[0].path : NULL;
}

static void read_cpu_v1(const struct berth_cgroup *cg, struct spec_stats *s)
{
  const char *acct = v1_dir(cg, "cpuacct");
  s->cpu.total = read_value(acct, "cpuacct.usage");
  _cleanup_free_ char *percpu = read_opt(acct, "cpuacct.usage_percpu");
  if (percpu)
    cgroup_stat_parse_u64_list(percpu, &s->cpu.percpu, &s->cpu.n_percpu);
  _cleanup_free_ char *stat = read_opt(acct, "cpuacct.stat");
  if (stat)
    cgroup_stats_parse_cpuacct_v1(stat, sysconf(_SC_CLK_TCK), s);
  _cleanup_free_ char *cpu_stat = read_opt(v1_dir(cg, "cpu"), "cpu.stat");
  if (cpu_stat)
    cgroup_stats_parse_cpu_throttling_v1(cpu_stat, s);
}

static void read_memory_entry_v1(const char *dir, const char *prefix, struct spec_memory_entry *e)
{
  _cleanup_free_ char *usage = xasprintf("%susage_in_bytes", prefix);
  _cleanup_free_ char *max = xasprintf("%smax_usage_in_bytes", prefix);
  _cleanup_free_ char *limit = xasprintf("%slimit_in_bytes", prefix);
  _cleanup_free_ char *failcnt = xasprintf("%sfailcnt", prefix);
  e->usage = read_value(dir, usage);
  e->max = read_value(dir, max);
  e->limit = read_value(dir, limit);
  e->failcnt = read_value(dir, failcnt);
}

static void read_memory_v1(const struct berth_cgroup *cg, struct spec_stats *s)
{
  const char *dir = v1_dir(cg, "memory");
  if (!dir)
    return;
  read_memory_entry_v1(dir, "memory.", &s->memory.usage);
  read_memory_entry_v1(dir, "memory.memsw.", &s->memory.swap);
  read_memory_entry_v1(dir, "memory.kmem.", &s->memory.kernel);
  read_memory_entry_v1(dir, "memory.kmem.tcp.", &s->memory.kernel_tcp);
  _cleanup_free_ char *stat = read_opt(dir, "memory.stat");
  if (stat)
    cgroup_stats_parse_memory_stat(stat, false, s);
}

static void read_memory_v2(const char *dir, struct spec_stats *s)
{
  s->memory.usage.usage = read_value(dir, "memory.current");
  s->memory.usage.limit = read_value(dir, "memory.max");
  s->memory.usage.max = read_value(dir, "memory.peak");
  _cleanup_free_ char *events = read_opt(dir, "memory.events");
  s->memory.usage.failcnt = lookup_or_0(events, "max");
  /* v1 reports swap as memory + swap: do the same (runc does) */
  uint64_t swap = read_value(dir, "memory.swap.current");
  uint64_t swap_max = read_value(dir, "memory.swap.max");
  s->memory.swap.usage = swap + s->memory.usage.usage;
  s->memory.swap.limit = swap_max == UINT64_MAX || s->memory.usage.limit == UINT64_MAX
                             ? UINT64_MAX
                             : swap_max + s->memory.usage.limit;
  _cleanup_free_ char *swap_events = read_opt(dir, "memory.swap.events");
  s->memory.swap.failcnt = lookup_or_0(swap_events, "fail");
  _cleanup_free_ char *stat = read_opt(dir, "memory.stat");
  if (stat)
    cgroup_stats_parse_memory_stat(stat, true, s);
}

static void read_pids(const char *dir, struct spec_stats *s)
{
  s->pids.current = read_value(dir, "pids.current");
  uint64_t max = read_value(dir, "pids.max");
  s->pids.limit = max == UINT64_MAX ? 0 : max; /* 0: no limit, as runc */
}

static void read_blkio_v1(const char *dir, struct spec_stats *s)
{
  if (!dir)
    return;
  /* the throttle files count every bio, whatever the io scheduler */
  _cleanup_free_ char *bytes = read_opt(dir, "blkio.throttle.io_service_bytes_recursive");
  _cleanup_free_ char *ios = read_opt(dir, "blkio.throttle.io_serviced_recursive");
  if (bytes)
    cgroup_stats_parse_blkio_v1(bytes, &s->blkio.service_bytes);
  if (ios)
    cgroup_stats_parse_blkio_v1(ios, &s->blkio.serviced);
}

/* "hugetlb.<size>.<suffix>" -> size (no dots, so "2MB.rsvd" is skipped) */
static char *hugetlb_size_of(const char *name, const char *suffix)
{
  if (!str_has_prefix(name, "hugetlb."))
    return NULL;
  const char *size = name + strlen("hugetlb.");
  size_t len = strcspn(size, ".");
  if (len == 0 || !str_eq(size + len, suffix))
    return NULL;
  return xstrndup(size, len);
}

static void read_hugetlb(const char *dir, bool v2, struct spec_stats *s)
{
  if (!dir)
    return;
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d)))
    {
      _cleanup_free_ char *size = hugetlb_size_of(de->d_name, v2 ? ".current" : ".usage_in_bytes");
      if (!size)
        continue;
      struct spec_hugetlb_stats *h = spec_stats_hugetlb_add(s, size);
      if (v2)
        {
          h->usage = read_value(dir, de->d_name);
          _cleanup_free_ char *events_file = xasprintf("hugetlb.%s.events", size);
          _cleanup_free_ char *events = read_opt(dir, events_file);
          h->failcnt = lookup_or_0(events, "max");
        }
      else
        {
          _cleanup_free_ char *max = xasprintf("hugetlb.%s.max_usage_in_bytes", size);
          _cleanup_free_ char *failcnt = xasprintf("hugetlb.%s.failcnt", size);
          h->usage = read_value(dir, de->d_name);
          h->max = read_value(dir, max);
          h->failcnt = read_value(dir, failcnt);
        }
    }
}

int cgroup_read_stats(struct berth_cgroup *cg, struct spec_stats *s, berth_error_t *err)
{
  memset(s, 0, sizeof *s);
  const char *procs = cgroup_procs_dir(cg)->path;
  struct stat st;
  if (stat(procs, &st) < 0)
    return berth_fail_sys(err, "read statistics of cgroup %s: %s", cg->path, procs);
  if (cg->mode == CGROUP_MODE_UNIFIED)
    {
      const char *dir = cg->dirs[0].path;
      _cleanup_free_ char *cpu = read_opt(dir, "cpu.stat");
      if (cpu)
        cgroup_stats_parse_cpu_v2(cpu, s);
      read_memory_v2(dir, s);
      read_pids(dir, s);
      _cleanup_free_ char *io = read_opt(dir, "io.stat");
      if (io)
        cgroup_stats_parse_io_stat_v2(io, s);
      read_hugetlb(dir, true, s);
      return 0;
    }
  read_cpu_v1(cg, s);
  read_memory_v1(cg, s);
  const char *pids = v1_dir(cg, "pids");
  if (pids)
    read_pids(pids, s);
  read_blkio_v1(v1_dir(cg, "blkio"), s);
  const char *hugetlb = v1_dir(cg, "hugetlb");
  read_hugetlb(hugetlb ? hugetlb : v2_dir(cg), hugetlb == NULL, s);
  return 0;
}
