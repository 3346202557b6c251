/* Device rules: linux.resources.devices + the default devices, folded into
 * the kernel's allow/deny state (pure), and written to a v1 devices cgroup.
 * The same state feeds the v2 BPF program (devices_bpf.c), so a container
 * sees the same devices on v1 and v2. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/resources.h"
#include "util/util.h"

/* a rule's major/minor fit the kernel's dev_t (12 and 20 bits) */
#define DEV_MAJOR_MAX 0xfff
#define DEV_MINOR_MAX 0xfffff

void cgroup_dev_rules_clear(struct cgroup_dev_rules *r)
{
  free(r->v);
  r->v = NULL;
  r->n = 0;
}

void cgroup_dev_state_clear(struct cgroup_dev_state *s)
{
  free(s->ex);
  s->ex = NULL;
  s->n = 0;
}

static void rules_add(struct cgroup_dev_rules *r, struct cgroup_dev_rule rule)
{
  r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
  r->v[r->n++] = rule;
}

static int parse_access(const char *s, unsigned *out)
{
  unsigned a = 0;
  if (s == NULL || *s == '\0')
    {
      *out = CGROUP_DEV_RWM;
      return 0;
    }
  for (; *s; s++)
    switch (*s)
      {
      case 'r': a |= CGROUP_DEV_READ; break;
      case 'w': a |= CGROUP_DEV_WRITE; break;
      case 'm': a |= CGROUP_DEV_MKNOD; break;
      default: return -1;
      }
  *out = a;
  return 0;
}

static int spec_rule(const struct spec_device_cgroup *d, size_t i, struct cgroup_dev_rule *out,
                     berth_error_t *err)
{
  const char *t = d->type ? d->type : "a";
  if (!str_eq(t, "a") && !str_eq(t, "b") && !str_eq(t, "c"))
    return berth_fail(err, EINVAL, ".linux.resources.devices[%zu].type: \"%s\" is not a, b or c", i, t);
  int64_t major = d->major.set ? d->major.value : -1;
  int64_t minor = d->minor.set ? d->minor.value : -1;
  if (major < -1 || major > DEV_MAJOR_MAX)
    return berth_fail(err, EINVAL, ".linux.resources.devices[%zu].major: %" PRId64 " is out of range",
                      i, major);
  if (minor < -1 || minor > DEV_MINOR_MAX)
    return berth_fail(err, EINVAL, ".linux.resources.devices[%zu].minor: %" PRId64 " is out of range",
                      i, minor);
  unsigned access;
  if (parse_access(d->access, &access) < 0)
    return berth_fail(err, EINVAL,
                      ".linux.resources.devices[%zu].access: \"%s\" is not made of r, w and m", i,
                      d->access);
  *out = (struct cgroup_dev_rule) {
    .type = t[0], .major = major, .minor = minor, .access = access, .allow = d->allow
  };
  return 0;
}

/* The runtime-spec's default devices (config-linux.md, "Default Devices"),
 * the /dev/pts nodes behind /dev/ptmx, and mknod of any node as runc allows it
 * (opening one still needs a rule). Not c 5:1: the container's /dev/console
 * is a pts bind, and 5:1 is the host's console. */
static const struct cgroup_dev_rule default_rules[] = {
  { 'c', -1, -1, CGROUP_DEV_MKNOD, true }, { 'b', -1, -1, CGROUP_DEV_MKNOD, true },
  { 'c', 1, 3, CGROUP_DEV_RWM, true },     /* null */
  { 'c', 1, 5, CGROUP_DEV_RWM, true },     /* zero */
  { 'c', 1, 7, CGROUP_DEV_RWM, true },     /* full */
  { 'c', 1, 8, CGROUP_DEV_RWM, true },     /* random */
  { 'c', 1, 9, CGROUP_DEV_RWM, true },     /* urandom */
  { 'c', 5, 0, CGROUP_DEV_RWM, true },     /* tty */
  { 'c', 5, 2, CGROUP_DEV_RWM, true },     /* ptmx */
  { 'c', 136, -1, CGROUP_DEV_RWM, true },  /* pts/N */
};

int cgroup_dev_rules_build(const struct spec_device_cgroup *rules, size_t n_rules,
                           struct cgroup_dev_rules *out, berth_error_t *err)
{
  struct cgroup_dev_rules r = { 0 };
  for (size_t i = 0; i < n_rules; i++)
    {
      struct cgroup_dev_rule rule = { 0 };
      if (spec_rule(&rules[i], i, &rule, err) < 0)
        {
          cgroup_dev_rules_clear(&r);
          return -1;
        }
      rules_add(&r, rule);
    }
  for (size_t i = 0; i < ARRAY_SIZE(default_rules); i++)
    rules_add(&r, default_rules[i]);
  *out = r;
  return 0;
}

static struct cgroup_dev_rule *state_find(struct cgroup_dev_state *s, char type, int64_t major,
                                          int64_t minor, size_t *idx)
{
  for (size_t i = 0; i < s->n; i++)
    if (s->ex[i].type == type && s->ex[i].major == major && s->ex[i].minor == minor)
      {
        *idx = i;
        return &s->ex[i];
      }
  return NULL;
}

static void state_apply_one(struct cgroup_dev_state *s, char type, const struct cgroup_dev_rule *r)
{
  size_t idx;
  struct cgroup_dev_rule *ex = state_find(s, type, r->major, r->minor, &idx);
  if (r->allow == s->default_allow)
    {
      /* same verdict as the default: take the access off that exception */
      if (ex == NULL)
        return;
      ex->access &= ~r->access;
      if (ex->access == 0)
        {
          memmove(&s->ex[idx], &s->ex[idx + 1], (s->n - idx - 1) * sizeof(*s->ex));
          s->n--;
        }
      return;
    }
  if (ex)
    {
      ex->access |= r->access;
      return;
    }
  s->ex = xreallocarray(s->ex, s->n + 1, sizeof(*s->ex));
  s->ex[s->n++] = (struct cgroup_dev_rule) {
    .type = type, .major = r->major, .minor = r->minor, .access = r->access, .allow = r->allow
  };
}

void cgroup_dev_emulate(const struct cgroup_dev_rules *rules, struct cgroup_dev_state *out)
{
  struct cgroup_dev_state s = { .default_allow = false };
  for (size_t i = 0; i < rules->n; i++)
    {
      const struct cgroup_dev_rule *r = &rules->v[i];
      if (r->type == 'a' && r->major == -1 && r->minor == -1 && r->access == CGROUP_DEV_RWM)
        {
          cgroup_dev_state_clear(&s);
          s.default_allow = r->allow;
          continue;
        }
      if (r->type == 'a' || r->type == 'c')
        state_apply_one(&s, 'c', r);
      if (r->type == 'a' || r->type == 'b')
        state_apply_one(&s, 'b', r);
    }
  *out = s;
}

static char *dev_number(int64_t v)
{
  return v < 0 ? xstrdup("*") : xasprintf("%" PRId64, v);
}

char *cgroup_dev_rule_v1_string(const struct cgroup_dev_rule *r)
{
  if (r->type == 'a')
    return xstrdup("a");
  _cleanup_free_ char *major = dev_number(r->major), *minor = dev_number(r->minor);
  char access[4];
  size_t n = 0;
  if (r->access & CGROUP_DEV_READ)
    access[n++] = 'r';
  if (r->access & CGROUP_DEV_WRITE)
    access[n++] = 'w';
  if (r->access & CGROUP_DEV_MKNOD)
    access[n++] = 'm';
  access[n] = '\0';
  return xasprintf("%c %s:%s %s", r->type, major, minor, access);
}

static int parse_dev_number(const char *s, size_t len, int64_t *out)
{
  if (len == 1 && s[0] == '*')
    {
      *out = -1;
      return 0;
    }
  _cleanup_free_ char *num = xstrndup(s, len);
  unsigned long long v;
  if (parse_uint64(num, &v) < 0 || v > DEV_MINOR_MAX)
    return -1;
  *out = (int64_t) v;
  return 0;
}

/* "c 1:3 rwm" */
static int parse_v1_line(const char *line, struct cgroup_dev_rule *out)
{
  if (strlen(line) < 7 || !strchr("abc", line[0]) || line[1] != ' ')
    return -1;
  const char *maj = line + 2;
  const char *colon = strchr(maj, ':');
  const char *space = colon ? strchr(colon, ' ') : NULL;
  unsigned access;
  if (!space || parse_dev_number(maj, (size_t) (colon - maj), &out->major) < 0
      || parse_dev_number(colon + 1, (size_t) (space - colon - 1), &out->minor) < 0
      || parse_access(space + 1, &access) < 0)
    return -1;
  out->type = line[0];
  out->access = access;
  out->allow = true;
  return 0;
}

int cgroup_dev_state_parse_v1(const char *text, struct cgroup_dev_state *out, bool *complete)
{
  struct cgroup_dev_state s = { .default_allow = false };
  _cleanup_free_ char *copy = xstrdup(text);
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
    {
      struct cgroup_dev_rule r;
      if (parse_v1_line(line, &r) < 0)
        {
          cgroup_dev_state_clear(&s);
          return -1;
        }
      if (r.type == 'a')
        {
          cgroup_dev_state_clear(&s);
          s.default_allow = true;
          *out = s;
          *complete = false;
          return 0;
        }
      s.ex = xreallocarray(s.ex, s.n + 1, sizeof(*s.ex));
      s.ex[s.n++] = r;
    }
  *out = s;
  *complete = true;
  return 0;
}

static const struct cgroup_dev_rule *state_lookup(const struct cgroup_dev_state *s,
                                                  const struct cgroup_dev_rule *r)
{
  for (size_t i = 0; i < s->n; i++)
    if (s->ex[i].type == r->type && s->ex[i].major == r->major && s->ex[i].minor == r->minor)
      return &s->ex[i];
  return NULL;
}

static void writes_add(struct cgroup_dev_writes *w, const char *file, const struct cgroup_dev_rule *r,
                       unsigned access)
{
  struct cgroup_dev_rule one = *r;
  one.access = access;
  w->files = xreallocarray(w->files, w->n + 1, sizeof(*w->files));
  w->lines = xreallocarray(w->lines, w->n + 1, sizeof(*w->lines));
  w->files[w->n] = file;
  w->lines[w->n++] = cgroup_dev_rule_v1_string(&one);
}

void cgroup_dev_diff_v1(const struct cgroup_dev_state *cur, const struct cgroup_dev_state *want,
                        struct cgroup_dev_writes *out)
{
  struct cgroup_dev_writes w = { 0 };
  for (size_t i = 0; i < want->n; i++)
    {
      const struct cgroup_dev_rule *c = state_lookup(cur, &want->ex[i]);
      unsigned added = want->ex[i].access & ~(c ? c->access : 0);
      if (added)
        writes_add(&w, "devices.allow", &want->ex[i], added);
    }
  for (size_t i = 0; i < cur->n; i++)
    {
      const struct cgroup_dev_rule *t = state_lookup(want, &cur->ex[i]);
      unsigned removed = cur->ex[i].access & ~(t ? t->access : 0);
      if (removed)
        writes_add(&w, "devices.deny", &cur->ex[i], removed);
    }
  *out = w;
}

void cgroup_dev_writes_clear(struct cgroup_dev_writes *w)
{
  for (size_t i = 0; i < w->n; i++)
    free(w->lines[i]);
  free(w->lines);
  free(w->files);
  *w = (struct cgroup_dev_writes) { 0 };
}

/* ---------------------------------------------------------------- I/O */

/* both deny by default: only what changes, so a running container never
 * loses a device it keeps */
static int v1_devices_update(const char *dir, const struct cgroup_dev_state *s, bool *done,
                             berth_error_t *err)
{
  *done = false;
  if (s->default_allow)
    return 0;
  _cleanup_free_ char *text = NULL;
  if (cgroup_fs_read(dir, "devices.list", &text, err) < 0)
    return berth_wrap(err, ".linux.resources.devices");
  struct cgroup_dev_state cur;
  bool complete;
  if (cgroup_dev_state_parse_v1(text, &cur, &complete) < 0)
    return berth_fail(err, EINVAL, ".linux.resources.devices: cannot read %s/devices.list", dir);
  if (cur.default_allow)
    {
      cgroup_dev_state_clear(&cur);
      return 0;
    }
  struct cgroup_dev_writes w;
  cgroup_dev_diff_v1(&cur, s, &w);
  cgroup_dev_state_clear(&cur);
  int ret = 0;
  for (size_t i = 0; i < w.n && ret == 0; i++)
    ret = cgroup_res_write(dir, w.files[i], w.lines[i], "devices", err);
  cgroup_dev_writes_clear(&w);
  *done = ret == 0;
  return ret;
}

int cgroup_v1_devices_write(const char *dir, const struct cgroup_dev_state *s, berth_error_t *err)
{
  bool done;
  if (v1_devices_update(dir, s, &done, err) < 0)
    return -1;
  if (done)
    return 0;
  /* the default first (it clears the exceptions), then the exceptions to it */
  const char *reset_file = s->default_allow ? "devices.allow" : "devices.deny";
  const char *ex_file = s->default_allow ? "devices.deny" : "devices.allow";
  if (cgroup_res_write(dir, reset_file, "a", "devices", err) < 0)
    return -1;
  for (size_t i = 0; i < s->n; i++)
    {
      _cleanup_free_ char *line = cgroup_dev_rule_v1_string(&s->ex[i]);
      if (cgroup_res_write(dir, ex_file, line, "devices", err) < 0)
        return -1;
    }
  return 0;
}

int cgroup_dev_state_for(const struct spec_resources *r, const struct cgroup_apply_options *o,
                         struct cgroup_dev_state *out, bool *applies, berth_error_t *err)
{
  size_t n_rules = r ? r->n_devices : 0;
  *applies = n_rules > 0 || (o && o->devices_always);
  if (!*applies)
    return 0;
  struct cgroup_dev_rules rules = { 0 };
  if (cgroup_dev_rules_build(r ? r->devices : NULL, n_rules, &rules, err) < 0)
    return -1;
  cgroup_dev_emulate(&rules, out);
  cgroup_dev_rules_clear(&rules);
  return 0;
}
