/* Helpers of pause, resume, update, ps and events (cgcmds.h). */
#include "runtime/cgcmds.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/cgroups.h"
#include "util/util.h"

/* ------------------------------------------------------------ opening */

int cg_target_open(const struct global_opts *g, const char *id, bool lock, struct cg_target *t,
                   berth_error_t *err)
{
  memset(t, 0, sizeof *t);
  int r = lock ? container_open(g->root, id, true, &t->c, err)
               : container_open_unlocked(g->root, id, &t->c, err);
  if (r < 0 || container_state_read(t->c, &t->state, err) < 0)
    {
      cg_target_close(t);
      return -1;
    }
  t->status = container_status(t->c, t->state, container_cgroup_frozen);
  if (t->state->cgroup_path && !str_eq(t->state->cgroup_manager, "disabled")
      && cgroup_open_managed(t->state->cgroup_path, t->state->cgroup_manager, &t->cg, err) < 0)
    {
      cg_target_close(t);
      return -1;
    }
  return 0;
}

void cg_target_close(struct cg_target *t)
{
  if (t->cg)
    cgroup_free(t->cg);
  if (t->state)
    spec_state_free(t->state);
  container_close(t->c);
  memset(t, 0, sizeof *t);
}

int cg_target_need_cgroup(const struct cg_target *t, const char *action, berth_error_t *err)
{
  if (t->cg)
    return 0;
  return berth_fail(err, ENOTSUP, "cannot %s: the container has no cgroup (created rootless without a delegated cgroup, or with --cgroup-manager disabled)",
                    action);
}

bool cg_target_alive(const struct cg_target *t)
{
  return str_eq(t->status, "created") || str_eq(t->status, "running") || str_eq(t->status, "paused");
}

/* ------------------------------------------------------------ durations */

struct unit
{
  const char *name;
  uint64_t ns;
};

static const struct unit duration_units[] = {
  { "ns", 1ull },
  { "us", 1000ull },
  { "\xc2\xb5s", 1000ull }, /* U+00B5 micro sign */
  { "\xce\xbcs", 1000ull }, /* U+03BC greek mu */
  { "ms", 1000000ull },
  { "s", 1000000000ull },
  { "m", 60ull * 1000000000ull },
  { "h", 3600ull * 1000000000ull },
};

/* the longest unit name s starts with */
static const struct unit *duration_unit(const char *s, size_t *len)
{
  const struct unit *best = NULL;
  size_t best_len = 0;
  for (size_t i = 0; i < ARRAY_SIZE(duration_units); i++)
    {
      size_t l = strlen(duration_units[i].name);
      if (l > best_len && strncmp(s, duration_units[i].name, l) == 0)
        {
          best = &duration_units[i];
          best_len = l;
        }
    }
  *len = best_len;
  return best;
}

static bool add_checked(uint64_t *acc, uint64_t v)
{
  if (*acc > UINT64_MAX - v)
    return false;
  *acc += v;
  return true;
}

int parse_go_duration(const char *s, uint64_t *ns, berth_error_t *err)
{
  if (str_eq(s, "0"))
    return berth_fail(err, 0, "invalid duration \"0\": must be greater than 0");
  const char *p = s;
  if (*p == '+')
    p++;
  if (*p == '\0')
    return berth_fail(err, 0, "invalid duration \"%s\"", s);
  uint64_t total = 0;
  while (*p)
    {
      uint64_t whole = 0, frac = 0, frac_scale = 1;
      bool digits = false;
      for (; isdigit((unsigned char) *p); p++, digits = true)
        if (whole > (UINT64_MAX - 9) / 10)
          return berth_fail(err, 0, "invalid duration \"%s\": too long", s);
        else
          whole = whole * 10 + (uint64_t) (*p - '0');
      if (*p == '.')
        for (p++; isdigit((unsigned char) *p); p++, digits = true)
          if (frac_scale < 1000000000000000000ull)
            {
              frac = frac * 10 + (uint64_t) (*p - '0');
              frac_scale *= 10;
            }
      size_t ulen;
      const struct unit *u = duration_unit(p, &ulen);
      if (!digits)
        return berth_fail(err, 0, "invalid duration \"%s\"", s);
      if (!u)
        return berth_fail(err, 0, "invalid duration \"%s\": missing or unknown unit (ns, us, ms, s, m, h)", s);
      p += ulen;
      if (whole > UINT64_MAX / u->ns || !add_checked(&total, whole * u->ns)
          || !add_checked(&total, (uint64_t) ((long double) frac * u->ns / frac_scale)))
        return berth_fail(err, 0, "invalid duration \"%s\": too long", s);
    }
  if (total == 0)
    return berth_fail(err, 0, "invalid duration \"%s\": must be greater than 0", s);
  *ns = total;
  return 0;
}

/* ------------------------------------------------------------ memory sizes */

int parse_memory_size(const char *what, const char *s, int64_t *out, berth_error_t *err)
{
  if (str_eq(s, "-1"))
    {
      *out = -1;
      return 0;
    }
  const char *p = s;
  uint64_t whole = 0, frac = 0, frac_scale = 1;
  bool digits = false;
  for (; isdigit((unsigned char) *p); p++, digits = true)
    {
      if (whole > (UINT64_MAX - 9) / 10)
        return berth_fail(err, 0, "--%s: \"%s\" is too large", what, s);
      whole = whole * 10 + (uint64_t) (*p - '0');
    }
  if (*p == '.' && isdigit((unsigned char) p[1]))
    for (p++; isdigit((unsigned char) *p); p++)
      if (frac_scale < 1000000000000ull)
        {
          frac = frac * 10 + (uint64_t) (*p - '0');
          frac_scale *= 10;
        }
  if (*p == ' ')
    p++;
  uint64_t mult = 1;
  const char *units = "kmgtp";
  const char *u = *p ? strchr(units, tolower((unsigned char) *p)) : NULL;
  if (u)
    {
      for (const char *i = units; i <= u; i++)
        mult *= 1024;
      p++;
    }
  if (*p == 'i' || *p == 'I')
    p++;
  if (*p == 'b' || *p == 'B')
    p++;
  if (!digits || *p != '\0')
    return berth_fail(err, 0,
                      "--%s: invalid size \"%s\" (a number of bytes with an optional k, m, g, t or p "
                      "suffix, or -1 for unlimited)",
                      what, s);
  long double v = (long double) whole * mult + (long double) frac * mult / frac_scale;
  if (v > (long double) INT64_MAX)
    return berth_fail(err, 0, "--%s: \"%s\" is too large", what, s);
  *out = (int64_t) v;
  return 0;
}

/* ------------------------------------------------------------ ps */

/* field number i (0-based, whitespace separated) of line; NULL if none */
static char *nth_field(const char *line, size_t len, size_t i)
{
  const char *end = line + len;
  for (const char *p = line;;)
    {
      while (p < end && isspace((unsigned char) *p))
        p++;
      if (p >= end)
        return NULL;
      const char *q = p;
      while (q < end && !isspace((unsigned char) *q))
        q++;
      if (i-- == 0)
        return xstrndup(p, (size_t) (q - p));
      p = q;
    }
}

int ps_filter_table(const char *ps_output, const pid_t *pids, size_t n, char **out, berth_error_t *err)
{
  size_t header_len = strcspn(ps_output, "\n");
  ssize_t pid_col = -1;
  for (size_t i = 0;; i++)
    {
      _cleanup_free_ char *f = nth_field(ps_output, header_len, i);
      if (!f)
        break;
      if (str_eq(f, "PID"))
        {
          pid_col = (ssize_t) i;
          break;
        }
    }
  if (pid_col < 0)
    return berth_fail(err, 0, "no PID field in the header of ps's output");
  char *result = xstrndup(ps_output, header_len);
  size_t result_len = header_len;
  for (const char *line = ps_output + header_len; *line;)
    {
      if (*line == '\n')
        line++;
      size_t len = strcspn(line, "\n");
      if (len == 0)
        continue;
      _cleanup_free_ char *f = nth_field(line, len, (size_t) pid_col);
      long long v;
      if (f && parse_int64(f, &v) == 0)
        for (size_t i = 0; i < n; i++)
          if (pids[i] == v)
            {
              result = xrealloc(result, result_len + len + 2);
              result[result_len++] = '\n';
              memcpy(result + result_len, line, len);
              result_len += len;
              result[result_len] = '\0';
              break;
            }
      line += len;
    }
  result = xrealloc(result, result_len + 2);
  result[result_len++] = '\n';
  result[result_len] = '\0';
  *out = result;
  return 0;
}
