/* The pure half of the systemd cgroup driver: unit names and cgroup paths
 * from cgroupsPath, and the unit properties for linux.resources and the
 * org.systemd.property.* annotations. No I/O here. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/systemd.h"
#include "util/util.h"

#define UNIT_NAME_MAX 255
#define ANNOTATION_PREFIX "org.systemd.property."
#define USEC_PER_SEC 1000000ULL
/* systemd keeps a CPU quota as a percentage: round up to 1 % (10 ms/s) so
 * systemd's copy never limits below the cpu.max berth writes */
#define CPU_QUOTA_STEP_USEC 10000ULL

static bool str_has_suffix(const char *s, const char *suffix)
{
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

void cgroup_systemd_unit_clear(struct cgroup_systemd_unit *u)
{
  free(u->unit);
  free(u->slice);
  free(u->cg_path);
  memset(u, 0, sizeof(*u));
}

/* systemd's unit name characters, without '\' (berth never escapes) */
static bool unit_chars_ok(const char *s, bool allow_at)
{
  for (; *s; s++)
    if (!isalnum((unsigned char) *s) && !strchr(":_.-", *s) && !(allow_at && *s == '@'))
      return false;
  return true;
}

int cgroup_systemd_slice_path(const char *slice, char **out, berth_error_t *err)
{
  size_t len = strlen(slice);
  if (len <= strlen(".slice") || !str_has_suffix(slice, ".slice"))
    return berth_fail(err, EINVAL, "slice \"%s\": not a slice name (NAME.slice)", slice);
  if (str_eq(slice, "-.slice"))
    {
      *out = xstrdup("");
      return 0;
    }
  _cleanup_free_ char *prefix = xstrndup(slice, len - strlen(".slice"));
  if (len > UNIT_NAME_MAX || !unit_chars_ok(prefix, false))
    return berth_fail(err, EINVAL, "slice \"%s\": not a valid unit name", slice);
  if (prefix[0] == '-' || str_has_suffix(prefix, "-") || strstr(prefix, "--"))
    return berth_fail(err, EINVAL, "slice \"%s\": a dash may not start or end the name or follow another",
                      slice);
  _cleanup_free_ char *path = xstrdup("");
  for (const char *dash = prefix;; dash++)
    {
      dash = strchrnul(dash, '-');
      char *next = xasprintf("%s/%.*s.slice", path, (int) (dash - prefix), prefix);
      free(path);
      path = next;
      if (*dash == '\0')
        break;
    }
  *out = steal_pointer(&path);
  return 0;
}

/* the parent of a slice: "a-b.slice" -> "a.slice", "a.slice" -> "-.slice" */
static char *slice_parent(const char *slice)
{
  const char *dash = strrchr(slice, '-');
  if (dash == NULL || str_eq(slice, "-.slice"))
    return xstrdup("-.slice");
  return xasprintf("%.*s.slice", (int) (dash - slice), slice);
}

static int split_cgroups_path(const char *p, char **slice, char **prefix, char **name, berth_error_t *err)
{
  const char *c1 = strchr(p, ':');
  const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (c2 == NULL || strchr(c2 + 1, ':'))
    return berth_fail(err, EINVAL,
                      "cgroupsPath \"%s\": the systemd cgroup manager expects \"slice:prefix:name\" "
                      "(e.g. system.slice:berth:ID)",
                      p);
  *slice = xstrndup(p, (size_t) (c1 - p));
  *prefix = xstrndup(c1 + 1, (size_t) (c2 - c1 - 1));
  *name = xstrdup(c2 + 1);
  return 0;
}

static int make_slice_unit(const char *cgroups_path, const char *slice, const char *name,
                           struct cgroup_systemd_unit *out, berth_error_t *err)
{
  _cleanup_free_ char *path = NULL, *parent = slice_parent(name);
  if (cgroup_systemd_slice_path(name, &path, err) < 0)
    return berth_wrap(err, "cgroupsPath \"%s\"", cgroups_path);
  if (path[0] == '\0')
    return berth_fail(err, EINVAL, "cgroupsPath \"%s\": a container cannot use the root slice",
                      cgroups_path);
  if (slice[0] != '\0' && !str_eq(slice, parent))
    return berth_fail(err, EINVAL, "cgroupsPath \"%s\": the slice %s sits in %s, not in %s", cgroups_path,
                      name, parent, slice);
  out->unit = xstrdup(name);
  out->slice = steal_pointer(&parent);
  out->cg_path = steal_pointer(&path);
  return 0;
}

int cgroup_systemd_parse_path(const char *cgroups_path, const char *id, struct cgroup_systemd_unit *out,
                              berth_error_t *err)
{
  _cleanup_free_ char *slice = NULL, *prefix = NULL, *name = NULL;
  memset(out, 0, sizeof(*out));
  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    {
      slice = xstrdup(BERTH_SYSTEMD_SLICE);
      prefix = xstrdup(BERTH_SYSTEMD_PREFIX);
      name = xstrdup(id ? id : "");
      cgroups_path = "";
    }
  else if (split_cgroups_path(cgroups_path, &slice, &prefix, &name, err) < 0)
    return -1;
  if (name[0] == '\0')
    return berth_fail(err, EINVAL, "cgroupsPath \"%s\": the unit name (after the second ':') is empty",
                      cgroups_path);
  if (!unit_chars_ok(prefix, true) || !unit_chars_ok(name, true))
    return berth_fail(err, EINVAL,
                      "cgroupsPath \"%s\": prefix and name may hold only letters, digits and \":_.-@\"",
                      cgroups_path);
  if (str_has_suffix(name, ".slice"))
    return make_slice_unit(cgroups_path, slice, name, out, err);

  if (slice[0] == '\0')
    {
      free(slice);
      slice = xstrdup(BERTH_SYSTEMD_SLICE);
    }
  _cleanup_free_ char *slice_dir = NULL;
  if (cgroup_systemd_slice_path(slice, &slice_dir, err) < 0)
    return berth_wrap(err, "cgroupsPath \"%s\"", cgroups_path);
  _cleanup_free_ char *unit = prefix[0] ? xasprintf("%s-%s.scope", prefix, name)
                                        : xasprintf("%s.scope", name);
  if (strlen(unit) > UNIT_NAME_MAX)
    return berth_fail(err, EINVAL, "cgroupsPath \"%s\": the unit name %s is longer than %d characters",
                      cgroups_path, unit, UNIT_NAME_MAX);
  out->cg_path = xasprintf("%s/%s", slice_dir, unit);
  out->unit = steal_pointer(&unit);
  out->slice = steal_pointer(&slice);
  return 0;
}

int cgroup_systemd_unit_from_cg_path(const char *cg_path, struct cgroup_systemd_unit *out,
                                     berth_error_t *err)
{
  memset(out, 0, sizeof(*out));
  const char *last = strrchr(cg_path, '/');
  if (last == NULL || last[1] == '\0'
      || !(str_has_suffix(last + 1, ".scope") || str_has_suffix(last + 1, ".slice")))
    return berth_fail(err, EINVAL, "cgroup %s is not a systemd scope or slice", cg_path);
  const char *prev = last;
  while (prev > cg_path && prev[-1] != '/')
    prev--;
  out->unit = xstrdup(last + 1);
  out->slice = prev == cg_path ? xstrdup("-.slice") : xstrndup(prev, (size_t) (last - prev));
  out->cg_path = xstrdup(cg_path);
  return 0;
}

/* ------------------------------------------------------------ properties */

void sd_props_clear(struct sd_props *p)
{
  for (size_t i = 0; i < p->n; i++)
    {
      struct sd_prop *q = &p->v[i];
      free(q->name);
      free(q->s);
      free(q->bytes);
      for (size_t j = 0; j < q->n_devs; j++)
        {
          free(q->devs[j].path);
          free(q->devs[j].access);
        }
      free(q->devs);
      free(q->u32s);
    }
  free(p->v);
  p->v = NULL;
  p->n = 0;
}

static struct sd_prop *props_add(struct sd_props *p, const char *name, enum sd_prop_type type)
{
  p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
  struct sd_prop *q = &p->v[p->n++];
  memset(q, 0, sizeof(*q));
  q->name = xstrdup(name);
  q->type = type;
  return q;
}

void sd_props_add_u64(struct sd_props *p, const char *name, uint64_t v)
{
  props_add(p, name, SD_PROP_U64)->u64 = v;
}

void sd_props_add_bool(struct sd_props *p, const char *name, bool v)
{
  props_add(p, name, SD_PROP_BOOL)->b = v;
}

void sd_props_add_str(struct sd_props *p, const char *name, const char *v)
{
  props_add(p, name, SD_PROP_STR)->s = xstrdup(v);
}

void sd_props_add_pid(struct sd_props *p, const char *name, uint32_t pid)
{
  struct sd_prop *q = props_add(p, name, SD_PROP_U32S);
  q->u32s = xmalloc(sizeof(uint32_t));
  q->u32s[0] = pid;
  q->n_u32s = 1;
}

const struct sd_prop *sd_props_find(const struct sd_props *p, const char *name)
{
  for (size_t i = 0; i < p->n; i++)
    if (str_eq(p->v[i].name, name))
      return &p->v[i];
  return NULL;
}

/* -1 (or any negative) is systemd's "infinity" */
static uint64_t limit_value(int64_t v)
{
  return v < 0 ? UINT64_MAX : (uint64_t) v;
}

static int parse_cpu_number(const char **s, unsigned long *out)
{
  if (!isdigit((unsigned char) **s))
    return -1;
  char *end;
  errno = 0;
  *out = strtoul(*s, &end, 10);
  if (errno || *out > 65535)
    return -1;
  *s = end;
  return 0;
}

int cgroup_systemd_cpu_mask(const char *list, const char *field, uint8_t **bytes, size_t *n,
                            berth_error_t *err)
{
  _cleanup_free_ uint8_t *mask = NULL;
  size_t len = 0;
  for (const char *s = list; *s;)
    {
      unsigned long lo, hi;
      if (parse_cpu_number(&s, &lo) < 0)
        return berth_fail(err, EINVAL, "%s: \"%s\" is not a list like 0-3,8", field, list);
      hi = lo;
      if (*s == '-')
        {
          s++;
          if (parse_cpu_number(&s, &hi) < 0 || hi < lo)
            return berth_fail(err, EINVAL, "%s: \"%s\" is not a list like 0-3,8", field, list);
        }
      if (*s == ',')
        s++;
      else if (*s != '\0')
        return berth_fail(err, EINVAL, "%s: \"%s\" is not a list like 0-3,8", field, list);
      if (hi / 8 + 1 > len)
        {
          mask = xreallocarray(mask, hi / 8 + 1, 1);
          memset(mask + len, 0, hi / 8 + 1 - len);
          len = hi / 8 + 1;
        }
      for (unsigned long c = lo; c <= hi; c++)
        mask[c / 8] |= (uint8_t) (1u << (c % 8));
    }
  *bytes = steal_pointer(&mask);
  *n = len;
  return 0;
}

static int add_cpu_mask(struct sd_props *p, const char *name, const char *list, const char *field,
                        berth_error_t *err)
{
  uint8_t *bytes;
  size_t n;
  if (cgroup_systemd_cpu_mask(list, field, &bytes, &n, err) < 0)
    return -1;
  struct sd_prop *q = props_add(p, name, SD_PROP_BYTES);
  q->bytes = bytes;
  q->n_bytes = n;
  return 0;
}

static int memory_props(const struct spec_memory *m, bool v2, struct sd_props *p, berth_error_t *err)
{
  if (m->limit.set)
    sd_props_add_u64(p, v2 ? "MemoryMax" : "MemoryLimit", limit_value(m->limit.value));
  if (!v2)
    return 0;
  if (m->reservation.set)
    sd_props_add_u64(p, "MemoryLow", limit_value(m->reservation.value));
  if (m->swap.set)
    {
      int64_t swap;
      if (cgroup_swap_to_v2(m->swap.value, m->limit.set ? m->limit.value : 0, &swap, err) < 0)
        return -1;
      sd_props_add_u64(p, "MemorySwapMax", limit_value(swap));
    }
  return 0;
}

static int cpu_props(const struct spec_cpu *c, bool v2, struct sd_props *p, berth_error_t *err)
{
  if (c->shares.set && c->shares.value > 0)
    {
      if (v2)
        sd_props_add_u64(p, "CPUWeight", cgroup_cpu_shares_to_weight(c->shares.value));
      else
        sd_props_add_u64(p, "CPUShares", c->shares.value);
    }
  if (c->quota.set && c->quota.value != 0)
    {
      uint64_t per_sec = UINT64_MAX;
      if (c->quota.value > 0)
        {
          uint64_t period = c->period.set && c->period.value > 0 ? c->period.value : 100000;
          per_sec = (uint64_t) c->quota.value * USEC_PER_SEC / period;
          per_sec = (per_sec + CPU_QUOTA_STEP_USEC - 1) / CPU_QUOTA_STEP_USEC * CPU_QUOTA_STEP_USEC;
        }
      sd_props_add_u64(p, "CPUQuotaPerSecUSec", per_sec);
    }
  if (c->period.set && c->period.value > 0)
    sd_props_add_u64(p, "CPUQuotaPeriodUSec", c->period.value);
  /* v1 cpusets are not systemd's: only written to cgroupfs */
  if (v2 && c->cpus && c->cpus[0]
      && add_cpu_mask(p, "AllowedCPUs", c->cpus, ".linux.resources.cpu.cpus", err) < 0)
    return -1;
  if (v2 && c->mems && c->mems[0]
      && add_cpu_mask(p, "AllowedMemoryNodes", c->mems, ".linux.resources.cpu.mems", err) < 0)
    return -1;
  return 0;
}

/* the name /proc/devices gives major in the block or char section */
static char *proc_devices_name(const char *text, bool block, int64_t major)
{
  bool in_section = false;
  for (const char *line = text; line && *line;)
    {
      const char *end = strchrnul(line, '\n');
      if (str_has_prefix(line, "Character devices:"))
        in_section = !block;
      else if (str_has_prefix(line, "Block devices:"))
        in_section = block;
      else if (in_section)
        {
          char *rest;
          long long m = strtoll(line, &rest, 10);
          if (rest != line && m == major && *rest == ' ')
            {
              while (*rest == ' ')
                rest++;
              return xstrndup(rest, (size_t) (end - rest));
            }
        }
      line = *end ? end + 1 : NULL;
    }
  return NULL;
}

static char *access_string(unsigned access)
{
  return xasprintf("%s%s%s", access & CGROUP_DEV_READ ? "r" : "", access & CGROUP_DEV_WRITE ? "w" : "",
                   access & CGROUP_DEV_MKNOD ? "m" : "");
}

/* systemd's name for the devices of one exception, NULL when it has none
 * (a glob name would also match names berth did not allow) */
static char *device_specifier(const struct cgroup_dev_rule *e, const char *proc_devices)
{
  const char *kind = e->type == 'b' ? "block" : "char";
  if (e->major >= 0 && e->minor >= 0)
    return xasprintf("/dev/%s/%" PRId64 ":%" PRId64, kind, e->major, e->minor);
  if (e->major < 0 && e->minor < 0)
    return xasprintf("%s-*", kind);
  if (e->major < 0 || proc_devices == NULL)
    return NULL;
  _cleanup_free_ char *name = proc_devices_name(proc_devices, e->type == 'b', e->major);
  if (name == NULL || name[0] == '\0' || strpbrk(name, "*?[]\\ "))
    return NULL;
  return xasprintf("%s-%s", kind, name);
}

static void add_device_allow(struct sd_prop *q, char *spec, unsigned access)
{
  q->devs = xreallocarray(q->devs, q->n_devs + 1, sizeof(*q->devs));
  q->devs[q->n_devs++] = (struct sd_device_allow) { .path = spec, .access = access_string(access) };
}

/* v1: systemd owns the devices cgroup's list and writes it again whenever
 * it realizes the unit, so it gets the rules as exactly as it can name
 * them; deny exceptions have no systemd form: say nothing, so systemd
 * neither adds a filter nor rewrites berth's rules with "a" */
static void device_props_v1(const struct cgroup_dev_state *dev, const char *proc_devices, struct sd_props *p)
{
  if (dev->default_allow)
    {
      if (dev->n == 0)
        sd_props_add_str(p, "DevicePolicy", "auto");
      return;
    }
  sd_props_add_str(p, "DevicePolicy", "strict");
  struct sd_prop *q = props_add(p, "DeviceAllow", SD_PROP_DEVICES);
  for (size_t i = 0; i < dev->n; i++)
    {
      char *spec = device_specifier(&dev->ex[i], proc_devices);
      if (spec != NULL)
        add_device_allow(q, spec, dev->ex[i].access);
    }
}

/* v2: a cgroup runs every BPF device filter attached to it and an access
 * needs all of them to allow it. berth attaches its own exact filter to the
 * scope next to systemd's (cgroup_dev_bpf_install keeps systemd's), so
 * systemd only has to allow a superset of berth's rules: then the two
 * together are exactly berth's rules, also after systemd attaches its
 * filter again (daemon-reload, set-property, update). systemd cannot say
 * "allow all but these" and can name a major only while /proc/devices
 * lists it (resolved again at every realize), so:
 *   default allow          -> DevicePolicy=auto and no DeviceAllow: no
 *                             filter from systemd (the empty list also
 *                             clears one an earlier update set);
 *   allow TYPE MAJ:MIN     -> /dev/TYPE/MAJ:MIN (exact, no lookup);
 *   allow TYPE MAJ:*, *:*,
 *   *:MIN                  -> TYPE-* with the same access (wider than the
 *                             rule; berth's filter narrows it). */
static void device_props_v2(const struct cgroup_dev_state *dev, struct sd_props *p)
{
  sd_props_add_str(p, "DevicePolicy", dev->default_allow ? "auto" : "strict");
  struct sd_prop *q = props_add(p, "DeviceAllow", SD_PROP_DEVICES);
  if (dev->default_allow)
    return;
  for (size_t i = 0; i < dev->n; i++)
    {
      const struct cgroup_dev_rule *e = &dev->ex[i];
      const char *kind = e->type == 'b' ? "block" : "char";
      char *spec = e->major >= 0 && e->minor >= 0
                       ? xasprintf("/dev/%s/%" PRId64 ":%" PRId64, kind, e->major, e->minor)
                       : xasprintf("%s-*", kind);
      add_device_allow(q, spec, e->access);
    }
}

int cgroup_systemd_resource_props(const struct spec_resources *r, bool v2, const struct cgroup_dev_state *dev,
                                  const char *proc_devices, struct sd_props *out, berth_error_t *err)
{
  struct sd_props p = { 0 };
  int ret = 0;
  if (r && r->memory)
    ret = memory_props(r->memory, v2, &p, err);
  if (ret == 0 && r && r->cpu)
    ret = cpu_props(r->cpu, v2, &p, err);
  if (ret == 0 && r && r->pids_limit.set && r->pids_limit.value != 0)
    sd_props_add_u64(&p, "TasksMax", limit_value(r->pids_limit.value));
  if (ret == 0 && r && r->block_io && r->block_io->weight.set && r->block_io->weight.value > 0)
    {
      if (v2)
        sd_props_add_u64(&p, "IOWeight", cgroup_blkio_weight_to_io_weight(r->block_io->weight.value));
      else
        sd_props_add_u64(&p, "BlockIOWeight", r->block_io->weight.value);
    }
  if (ret == 0 && dev && v2)
    device_props_v2(dev, &p);
  else if (ret == 0 && dev)
    device_props_v1(dev, proc_devices, &p);
  if (ret < 0)
    {
      sd_props_clear(&p);
      return -1;
    }
  *out = p;
  return 0;
}

/* ------------------------------------------------------------ annotations */

/* properties berth sets itself and an annotation may not change */
static bool annotation_name_reserved(const char *name)
{
  static const char *const reserved[] = { "PIDs", "Slice", "Delegate", "DelegateSubgroup" };
  for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
    if (str_eq(name, reserved[i]))
      return true;
  return false;
}

static int parse_u64_text(const char *s, uint64_t *out)
{
  if (!isdigit((unsigned char) *s))
    return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

/* "5" (seconds), "1.5s", "100ms", "2min", "infinity" -> microseconds */
static int parse_duration_usec(const char *s, uint64_t *out)
{
  static const struct
  {
    const char *unit;
    uint64_t usec;
  } units[] = { { "us", 1 }, { "ms", 1000 }, { "s", USEC_PER_SEC }, { "sec", USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC }, { "h", 3600 * USEC_PER_SEC }, { "", USEC_PER_SEC } };
  if (str_eq(s, "infinity"))
    {
      *out = UINT64_MAX;
      return 0;
    }
  if (!isdigit((unsigned char) *s))
    return -1;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || v < 0)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE(units); i++)
    if (str_eq(end, units[i].unit))
      {
        double usec = v * (double) units[i].usec;
        if (usec >= 1.8e19)
          return -1;
        *out = (uint64_t) usec;
        return 0;
      }
  return -1;
}

static int annotation_value(struct sd_props *p, const char *name, const char *value)
{
  uint64_t u;
  size_t len = strlen(value);
  if (str_eq(value, "true") || str_eq(value, "false"))
    {
      sd_props_add_bool(p, name, str_eq(value, "true"));
      return 0;
    }
  if (len >= 2 && (value[0] == '\'' || value[0] == '"') && value[len - 1] == value[0])
    {
      _cleanup_free_ char *s = xstrndup(value + 1, len - 2);
      if (strchr(s, value[0]) || strchr(s, '\\'))
        return -1;
      sd_props_add_str(p, name, s);
      return 0;
    }
  static const char *const typed[] = { "uint64 ", "uint32 ", "int64 ", "int32 " };
  for (size_t i = 0; i < ARRAY_SIZE(typed); i++)
    if (str_has_prefix(value, typed[i]))
      {
        if (parse_u64_text(value + strlen(typed[i]), &u) < 0 || (i % 2 == 1 && u > UINT32_MAX)
            || (i >= 2 && u > INT64_MAX))
          return -1;
        sd_props_add_u64(p, name, u);
        return 0;
      }
  if (str_has_suffix(name, "Sec"))
    {
      if (parse_duration_usec(value, &u) < 0)
        return -1;
      /* the unit file's NAMESec is NAMEUSec on D-Bus */
      _cleanup_free_ char *usec = xasprintf("%.*sUSec", (int) (strlen(name) - 3), name);
      sd_props_add_u64(p, usec, u);
      return 0;
    }
  if (parse_u64_text(value, &u) < 0)
    return -1;
  sd_props_add_u64(p, name, u);
  return 0;
}

int cgroup_systemd_annotation_props(const struct spec_kv *annotations, size_t n, struct sd_props *out,
                                    berth_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      const char *key = annotations[i].key;
      if (!str_has_prefix(key, ANNOTATION_PREFIX))
        continue;
      const char *name = key + strlen(ANNOTATION_PREFIX);
      bool name_ok = isupper((unsigned char) name[0]);
      for (const char *s = name; *s && name_ok; s++)
        name_ok = isalnum((unsigned char) *s);
      if (!name_ok)
        return berth_fail(err, EINVAL, ".annotations[\"%s\"]: \"%s\" is not a systemd property name", key,
                          name);
      if (annotation_name_reserved(name))
        return berth_fail(err, EINVAL, ".annotations[\"%s\"]: berth sets %s itself", key, name);
      if (annotation_value(out, name, annotations[i].value) < 0)
        return berth_fail(err, EINVAL,
                          ".annotations[\"%s\"]: cannot read \"%s\" (true/false, a number, "
                          "\"uint64 N\", 'string'; a duration for *Sec)",
                          key, annotations[i].value);
    }
  return 0;
}
