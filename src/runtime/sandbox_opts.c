/* berth sandbox: the option values -> struct sandbox_plan (pure). */
#include "runtime/sandbox.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "storage/storage.h"
#include "util/util.h"

void sandbox_plan_free(struct sandbox_plan *p)
{
  if (!p)
    return;
  free(p->image);
  free(p->rootfs);
  strv_free(p->layers);
  for (size_t i = 0; i < p->n_binds; i++)
    {
      free(p->binds[i].src);
      free(p->binds[i].dst);
    }
  free(p->binds);
  for (size_t i = 0; i < p->n_scratch; i++)
    {
      free(p->scratch[i].src);
      free(p->scratch[i].dst);
    }
  free(p->scratch);
  free(p->workdir);
  strv_free(p->env);
  for (size_t i = 0; i < p->n_io; i++)
    free(p->io[i].device);
  free(p->io);
  free(p);
}

/* "1.5" -> 1.5: digits with at most one '.', nothing else; *end after it */
static bool parse_decimal(const char *s, double *out, const char **end)
{
  const char *p = s;
  bool digits = false, dot = false;
  for (; *p; p++)
    {
      if (isdigit((unsigned char) *p))
        digits = true;
      else if (*p == '.' && !dot)
        dot = true;
      else
        break;
    }
  if (!digits || p - s > 32)
    return false;
  char buf[40];
  memcpy(buf, s, (size_t) (p - s));
  buf[p - s] = '\0';
  errno = 0;
  *out = strtod(buf, NULL);
  *end = p;
  return errno == 0 && isfinite(*out);
}

struct unit
{
  const char *name;
  double factor;
};

static bool unit_factor(const struct unit *units, size_t n, const char *suffix, double *factor)
{
  for (size_t i = 0; i < n; i++)
    if (strcasecmp(units[i].name, suffix) == 0)
      {
        *factor = units[i].factor;
        return true;
      }
  return false;
}

int sandbox_parse_size(const char *opt, const char *s, uint64_t *out, berth_error_t *err)
{
  static const struct unit units[] = {
    {"", 1},        {"b", 1},
    {"k", 0x1p10},  {"kb", 0x1p10}, {"kib", 0x1p10},
    {"m", 0x1p20},  {"mb", 0x1p20}, {"mib", 0x1p20},
    {"g", 0x1p30},  {"gb", 0x1p30}, {"gib", 0x1p30},
    {"t", 0x1p40},  {"tb", 0x1p40}, {"tib", 0x1p40},
  };
  double v, f;
  const char *end;
  if (!parse_decimal(s, &v, &end) || !unit_factor(units, ARRAY_SIZE(units), end, &f))
    return berth_fail(err, 0, "--%s: \"%s\" is not a size (e.g. 512m, 1G, 4096)", opt, s);
  double bytes = v * f;
  if (bytes < 1 || bytes >= 0x1p62)
    return berth_fail(err, 0, "--%s: %s is out of range (1 byte .. 4 EiB)", opt, s);
  *out = (uint64_t) bytes;
  return 0;
}

int sandbox_parse_duration(const char *opt, const char *s, uint64_t *out_ms, berth_error_t *err)
{
  static const struct unit units[] = {
    {"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
  };
  double v, f;
  const char *end;
  if (!parse_decimal(s, &v, &end) || !unit_factor(units, ARRAY_SIZE(units), end, &f))
    return berth_fail(err, 0, "--%s: \"%s\" is not a duration (e.g. 30s, 2m, 1.5, 500ms)", opt, s);
  double ms = v * f;
  if (ms < 1 || ms > 1e12)
    return berth_fail(err, 0, "--%s: %s is out of range (1ms .. about 31 years)", opt, s);
  *out_ms = (uint64_t) ms;
  return 0;
}

#define CPU_PERIOD_US 100000

int sandbox_parse_cpus(const char *s, int64_t *quota, uint64_t *period, berth_error_t *err)
{
  double v;
  const char *end;
  if (!parse_decimal(s, &v, &end) || *end)
    return berth_fail(err, 0, "--cpus: \"%s\" is not a number of CPUs (e.g. 2, 0.5)", s);
  /* the kernel's smallest quota is 1 ms */
  if (v * CPU_PERIOD_US < 1000 || v > 4096)
    return berth_fail(err, 0, "--cpus: %s is out of range (0.01 .. 4096)", s);
  *quota = (int64_t) (v * CPU_PERIOD_US + 0.5);
  *period = CPU_PERIOD_US;
  return 0;
}

static int clean_abs(const char *opt, const char *what, const char *arg, const char *path, char **out,
                     berth_error_t *err)
{
  if (path[0] != '/')
    return berth_fail(err, 0, "--%s %s: %s \"%s\" must be an absolute path", opt, arg, what, path);
  *out = storage_path_clean(path);
  return 0;
}

static int parse_pair(const char *opt, const char *s, bool allow_mode, struct sandbox_path_pair *out,
                      berth_error_t *err)
{
  *out = (struct sandbox_path_pair){0};
  _cleanup_free_ char *copy = xstrdup(s);
  char *dst = strchr(copy, ':');
  if (!dst)
    return berth_fail(err, 0, "--%s %s: want SRC:DST%s", opt, s, allow_mode ? "[:ro]" : "");
  *dst++ = '\0';
  char *mode = strchr(dst, ':');
  if (mode)
    {
      *mode++ = '\0';
      if (!allow_mode || (!str_eq(mode, "ro") && !str_eq(mode, "rw")))
        return berth_fail(err, 0, "--%s %s: %s", opt, s,
                          allow_mode ? "the mode after DST must be ro or rw" : "want SRC:DST (paths without ':')");
      out->ro = str_eq(mode, "ro");
    }
  if (!*copy || !*dst)
    return berth_fail(err, 0, "--%s %s: want SRC:DST%s", opt, s, allow_mode ? "[:ro]" : "");
  if (clean_abs(opt, "SRC", s, copy, &out->src, err) < 0)
    return -1;
  int r = clean_abs(opt, "DST", s, dst, &out->dst, err);
  if (r == 0 && str_eq(out->dst, "/"))
    r = berth_fail(err, 0, "--%s %s: DST must not be /", opt, s);
  if (r < 0)
    {
      free(out->src);
      out->src = NULL;
      free(out->dst);
      out->dst = NULL;
    }
  return r;
}

int sandbox_parse_bind(const char *s, struct sandbox_path_pair *out, berth_error_t *err)
{
  return parse_pair("bind", s, true, out, err);
}

int sandbox_parse_scratch(const char *s, struct sandbox_path_pair *out, berth_error_t *err)
{
  if (strchr(s, ',') || strchr(s, '\\'))
    return berth_fail(err, 0, "--scratch %s: SRC and DST must not contain ',' or '\\' (overlay options)", s);
  return parse_pair("scratch", s, false, out, err);
}

static bool parse_id(const char *s, uint32_t *out)
{
  unsigned long long v;
  if (!*s || !isdigit((unsigned char) *s) || parse_uint64(s, &v) < 0 || v > INT32_MAX)
    return false;
  *out = (uint32_t) v;
  return true;
}

int sandbox_parse_user(const char *s, uint32_t *uid, uint32_t *gid, berth_error_t *err)
{
  _cleanup_free_ char *copy = xstrdup(s);
  char *g = strchr(copy, ':');
  if (g)
    *g++ = '\0';
  if (!parse_id(copy, uid) || (g && !parse_id(g, gid)))
    return berth_fail(err, 0, "--user %s: want UID[:GID], numbers 0..2147483647", s);
  if (!g)
    *gid = *uid;
  return 0;
}

int sandbox_parse_io(const char *s, struct sandbox_io_limit *out, berth_error_t *err)
{
  const char *colon = strrchr(s, ':');
  if (!colon || colon == s || s[0] != '/')
    return berth_fail(err, 0, "--io-bps %s: want DEV:RATE, DEV a block device path (/dev/vda:10m)", s);
  _cleanup_free_ char *opt = xasprintf("io-bps %s", s);
  if (sandbox_parse_size(opt, colon + 1, &out->bps, err) < 0)
    return -1;
  out->device = xstrndup(s, (size_t) (colon - s));
  return 0;
}

int sandbox_parse_network(const char *s, enum sandbox_network *out, berth_error_t *err)
{
  if (str_eq(s, "none"))
    *out = SANDBOX_NET_NONE;
  else if (str_eq(s, "host"))
    *out = SANDBOX_NET_HOST;
  else if (str_eq(s, "bridge"))
    *out = SANDBOX_NET_BRIDGE;
  else
    return berth_fail(err, 0, "--network %s: want none, host or bridge", s);
  return 0;
}

int sandbox_check_env(const char *label, const char *kv, berth_error_t *err)
{
  const char *eq = strchr(kv, '=');
  if (!eq || eq == kv)
    return berth_fail(err, 0, "%s %s: want NAME=VALUE", label, kv);
  return 0;
}

int sandbox_parse_env_file(const char *path, const char *text, char ***env, size_t *n, berth_error_t *err)
{
  unsigned lineno = 0;
  for (const char *line = text; line && *line;)
    {
      const char *nl = strchr(line, '\n');
      size_t len = nl ? (size_t) (nl - line) : strlen(line);
      lineno++;
      _cleanup_free_ char *l = xstrndup(line, len);
      line = nl ? nl + 1 : NULL;
      if (len && l[len - 1] == '\r')
        l[--len] = '\0';
      const char *p = l;
      while (*p == ' ' || *p == '\t')
        p++;
      if (!*p || *p == '#')
        continue;
      _cleanup_free_ char *label = xasprintf("--env-file %s:%u:", path, lineno);
      if (sandbox_check_env(label, p, err) < 0)
        return -1;
      *env = xreallocarray(*env, *n + 2, sizeof **env);
      (*env)[(*n)++] = xstrdup(p);
      (*env)[*n] = NULL;
    }
  return 0;
}
