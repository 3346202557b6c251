/* Pure conversions from linux.resources values to what cgroupfs takes. No
 * I/O: tests/unit/test_cgroups_convert.c covers them. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/resources.h"
#include "util/util.h"

#define CPU_SHARES_MIN 2
#define CPU_SHARES_MAX 262144
#define CPU_WEIGHT_MAX 10000
#define BLKIO_WEIGHT_MIN 10
#define BLKIO_WEIGHT_MAX 1000

uint64_t cgroup_cpu_shares_to_weight(uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares <= CPU_SHARES_MIN)
    return 1;
  if (shares >= CPU_SHARES_MAX)
    return CPU_WEIGHT_MAX;
  return 1 + (shares - CPU_SHARES_MIN) * (CPU_WEIGHT_MAX - 1) / (CPU_SHARES_MAX - CPU_SHARES_MIN);
}

uint64_t cgroup_blkio_weight_to_io_weight(uint64_t weight)
{
  if (weight == 0)
    return 0;
  if (weight <= BLKIO_WEIGHT_MIN)
    return 1;
  if (weight >= BLKIO_WEIGHT_MAX)
    return CPU_WEIGHT_MAX;
  return 1 + (weight - BLKIO_WEIGHT_MIN) * (CPU_WEIGHT_MAX - 1) / (BLKIO_WEIGHT_MAX - BLKIO_WEIGHT_MIN);
}

#define RT_RATIO_SHIFT 20
#define NS_PER_US 1000u

uint64_t cgroup_rt_ratio(int64_t runtime_us, uint64_t period_us)
{
  if (runtime_us < 0)
    return (uint64_t) 1 << RT_RATIO_SHIFT;
  if (period_us == 0)
    return 0;
  unsigned __int128 runtime_ns = (unsigned __int128) runtime_us * NS_PER_US;
  return (uint64_t) ((runtime_ns << RT_RATIO_SHIFT) / ((unsigned __int128) period_us * NS_PER_US));
}

uint64_t cgroup_rt_runtime_for_ratio(uint64_t ratio, uint64_t period_us)
{
  /* ceil(ceil(ratio * period_ns / 2^20) / 1000): rounding up twice keeps
   * the kernel's rounded-down ratio of the result at least ratio */
  unsigned __int128 unit = (unsigned __int128) 1 << RT_RATIO_SHIFT;
  unsigned __int128 runtime_ns = ((unsigned __int128) ratio * period_us * NS_PER_US + unit - 1) / unit;
  return (uint64_t) ((runtime_ns + NS_PER_US - 1) / NS_PER_US);
}

int cgroup_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, berth_error_t *err)
{
  if (swap < -1)
    return berth_fail(err, EINVAL, ".linux.resources.memory.swap: %" PRId64 " is not a limit", swap);
  if (swap == -1)
    {
      *out = -1;
      return 0;
    }
  if (limit == 0)
    return berth_fail(err, EINVAL,
                      ".linux.resources.memory.swap: cgroup v2 needs a memory limit to convert "
                      "memory+swap into memory.swap.max");
  if (limit < 0)
    return berth_fail(err, EINVAL,
                      ".linux.resources.memory.swap: %" PRId64 " (memory+swap) cannot be kept with "
                      "an unlimited memory.limit on cgroup v2", swap);
  if (swap < limit)
    return berth_fail(err, EINVAL,
                      ".linux.resources.memory.swap: %" PRId64 " is below memory.limit %" PRId64
                      " (swap counts memory+swap)", swap, limit);
  *out = swap - limit;
  return 0;
}

char *cgroup_v2_cpu_max(const struct spec_cpu *cpu, const char *current)
{
  bool quota = cpu->quota.set && cpu->quota.value != 0;
  bool period = cpu->period.set && cpu->period.value != 0;
  if (!quota && !period)
    return NULL;
  _cleanup_free_ char *q = NULL;
  if (quota)
    q = cpu->quota.value < 0 ? xstrdup("max") : xasprintf("%" PRId64, cpu->quota.value);
  else if (current && *current && strcspn(current, " \n") > 0)
    q = xstrndup(current, strcspn(current, " \n"));
  else
    q = xstrdup("max");
  if (!period)
    return steal_pointer(&q);
  return xasprintf("%s %" PRIu64, q, cpu->period.value);
}

int cgroup_hugepage_name(const char *page_size, char **out, berth_error_t *err)
{
  const char *s = page_size ? page_size : "";
  size_t digits = strspn(s, "0123456789");
  static const struct
  {
    const char *suffix;
    uint64_t mult;
  } units[] = { { "KB", 1ull << 10 }, { "kB", 1ull << 10 }, { "MB", 1ull << 20 }, { "GB", 1ull << 30 } };
  uint64_t mult = 0;
  for (size_t i = 0; i < ARRAY_SIZE(units) && digits > 0; i++)
    if (str_eq(s + digits, units[i].suffix))
      mult = units[i].mult;
  _cleanup_free_ char *num = xstrndup(s, digits);
  unsigned long long n = 0;
  if (mult == 0 || parse_uint64(num, &n) < 0 || n == 0 || n > (UINT64_MAX >> 30))
    return berth_fail(err, EINVAL,
                      "\"%s\" is not a page size like 2MB, 1GB or 64KB", s);
  uint64_t bytes = n * mult;
  /* the kernel names its hugetlb files like this (mm/hugetlb_cgroup.c) */
  if (bytes >= (1ull << 30))
    *out = xasprintf("%" PRIu64 "GB", bytes >> 30);
  else if (bytes >= (1ull << 20))
    *out = xasprintf("%" PRIu64 "MB", bytes >> 20);
  else
    *out = xasprintf("%" PRIu64 "KB", bytes >> 10);
  return 0;
}

struct io_max_entry
{
  int64_t major, minor;
  char *parts[4]; /* rbps wbps riops wiops, NULL when not given */
};

static struct io_max_entry *io_max_entry_for(struct io_max_entry **v, size_t *n, int64_t major,
                                             int64_t minor)
{
  for (size_t i = 0; i < *n; i++)
    if ((*v)[i].major == major && (*v)[i].minor == minor)
      return &(*v)[i];
  *v = xreallocarray(*v, *n + 1, sizeof(**v));
  struct io_max_entry *e = &(*v)[(*n)++];
  *e = (struct io_max_entry) { .major = major, .minor = minor };
  return e;
}

char **cgroup_v2_io_max_lines(const struct spec_block_io *b)
{
  static const char *const keys[] = { "rbps", "wbps", "riops", "wiops" };
  const struct spec_throttle_list *lists[] = { &b->throttle_read_bps, &b->throttle_write_bps,
                                               &b->throttle_read_iops, &b->throttle_write_iops };
  struct io_max_entry *v = NULL;
  size_t n = 0;
  for (size_t k = 0; k < ARRAY_SIZE(lists); k++)
    for (size_t i = 0; i < lists[k]->n; i++)
      {
        const struct spec_throttle_device *d = &lists[k]->devices[i];
        struct io_max_entry *e = io_max_entry_for(&v, &n, d->major, d->minor);
        free(e->parts[k]);
        e->parts[k] = d->rate == 0 ? xasprintf("%s=max", keys[k])
                                   : xasprintf("%s=%" PRIu64, keys[k], d->rate);
      }
  if (n == 0)
    return NULL;
  char **lines = xcalloc(n + 1, sizeof(char *));
  for (size_t i = 0; i < n; i++)
    {
      char *line = xasprintf("%" PRId64 ":%" PRId64, v[i].major, v[i].minor);
      for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
        if (v[i].parts[k])
          {
            char *next = xasprintf("%s %s", line, v[i].parts[k]);
            free(line);
            free(v[i].parts[k]);
            line = next;
          }
      lines[i] = line;
    }
  free(v);
  return lines;
}

char *cgroup_weight_device_line(int64_t major, int64_t minor, uint64_t weight)
{
  return xasprintf("%" PRId64 ":%" PRId64 " %" PRIu64, major, minor, weight);
}

char *cgroup_rdma_line(const struct spec_rdma *r)
{
  if (!r->hca_handles.set && !r->hca_objects.set)
    return NULL;
  _cleanup_free_ char *handles = r->hca_handles.set
                                     ? xasprintf(" hca_handle=%" PRIu64, r->hca_handles.value)
                                     : xstrdup("");
  _cleanup_free_ char *objects = r->hca_objects.set
                                     ? xasprintf(" hca_object=%" PRIu64, r->hca_objects.value)
                                     : xstrdup("");
  return xasprintf("%s%s%s", r->device ? r->device : "", handles, objects);
}

int cgroup_unified_key_check(const char *key, berth_error_t *err)
{
  if (key == NULL || key[0] == '\0' || strchr(key, '/') || str_eq(key, ".") || str_eq(key, ".."))
    return berth_fail(err, EINVAL, ".linux.resources.unified: \"%s\" is not a cgroup file name",
                      key ? key : "");
  return 0;
}
