/* Pure helpers of the cgroups module: cgroupsPath resolution, mountinfo
 * parsing and mode detection. No I/O here. */
#include <stdlib.h>
#include <string.h>

#include "cgroups/cgroups_internal.h"
#include "util/util.h"

/* Append the components of p to buf (which holds "" or "/a/b"), skipping
 * empty and "." components; fails on "..". */
static int append_components(char **buf, const char *p, const char *what, berth_error_t *err)
{
  const char *s = p;
  while (*s)
    {
      while (*s == '/')
        s++;
      size_t len = strcspn(s, "/");
      if (len == 0)
        break;
      if (len == 1 && s[0] == '.')
        {
          s += len;
          continue;
        }
      if (len == 2 && s[0] == '.' && s[1] == '.')
        return berth_fail(err, EINVAL, "%s \"%s\": \"..\" is not allowed", what, p);
      char *next = xasprintf("%s/%.*s", *buf, (int) len, s);
      free(*buf);
      *buf = next;
      s += len;
    }
  return 0;
}

int cgroup_resolve_path(const char *cgroups_path, const char *id, char **out, berth_error_t *err)
{
  _cleanup_free_ char *buf = xstrdup("");

  if (cgroups_path == NULL || cgroups_path[0] == '\0')
    {
      if (id == NULL || id[0] == '\0' || strchr(id, '/') || str_eq(id, ".") || str_eq(id, ".."))
        return berth_fail(err, EINVAL, "container id \"%s\" cannot name a cgroup", id ? id : "");
      *out = xasprintf(BERTH_CGROUP_PARENT "/%s", id);
      return 0;
    }
  if (cgroups_path[0] != '/')
    {
      free(buf);
      buf = xstrdup(BERTH_CGROUP_PARENT);
    }
  if (append_components(&buf, cgroups_path, "cgroupsPath", err) < 0)
    return -EINVAL;
  if (buf[0] == '\0')
    return berth_fail(err, EINVAL, "cgroupsPath \"%s\": a container cannot use the root cgroup",
                      cgroups_path);
  *out = steal_pointer(&buf);
  return 0;
}

bool cgroup_controllers_have(char *const *controllers, const char *controller)
{
  for (char *const *c = controllers; c && *c; c++)
    if (str_eq(*c, controller))
      return true;
  return false;
}

bool cgroup_controllers_text_has(const char *text, const char *controller)
{
  size_t len = strlen(controller);
  for (const char *p = text; *p;)
    {
      p += strspn(p, " \n");
      size_t word = strcspn(p, " \n");
      if (word == len && strncmp(p, controller, len) == 0)
        return true;
      p += word;
    }
  return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static char *unescape_mountinfo(const char *s, size_t len)
{
  char *out = xmalloc(len + 1), *o = out;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3'
          && s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7')
        {
          *o++ = (char) (((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
          i += 3;
        }
      else
        *o++ = s[i];
    }
  *o = '\0';
  return out;
}

/* Super options that are not controllers. */
static bool is_v1_controller_option(const char *opt)
{
  static const char *const not_controllers[] = {
    "rw", "ro", "none", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods",
  };
  if (opt[0] == '\0' || str_has_prefix(opt, "release_agent="))
    return false;
  for (size_t i = 0; i < ARRAY_SIZE(not_controllers); i++)
    if (str_eq(opt, not_controllers[i]))
      return false;
  return true;
}

static char **split_v1_controllers(const char *super_opts, size_t len)
{
  _cleanup_free_ char *copy = xstrndup(super_opts, len);
  char **v = xcalloc(1, sizeof(char *));
  size_t n = 0;
  char *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
    {
      if (!is_v1_controller_option(tok))
        continue;
      v = xreallocarray(v, n + 2, sizeof(char *));
      v[n++] = xstrdup(tok);
      v[n] = NULL;
    }
  return v;
}

/* Fields of one mountinfo line we need. Pointers into the line. */
struct mountinfo_line
{
  const char *dev, *root, *mount_point, *fstype, *super_opts;
  size_t dev_len, root_len, mount_point_len, fstype_len, super_opts_len;
};

static const char *next_field(const char *s, const char *end, const char **field, size_t *len)
{
  while (s < end && *s == ' ')
    s++;
  *field = s;
  while (s < end && *s != ' ')
    s++;
  *len = (size_t) (s - *field);
  return s;
}

/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS" */
static bool split_mountinfo_line(const char *s, const char *end, struct mountinfo_line *l)
{
  const char *f;
  size_t len;
  s = next_field(s, end, &f, &len); /* id */
  s = next_field(s, end, &f, &len); /* parent */
  s = next_field(s, end, &l->dev, &l->dev_len);
  s = next_field(s, end, &l->root, &l->root_len);
  s = next_field(s, end, &l->mount_point, &l->mount_point_len);
  s = next_field(s, end, &f, &len); /* mount options */
  if (len == 0)
    return false;
  do
    s = next_field(s, end, &f, &len);
  while (len > 0 && !(len == 1 && f[0] == '-'));
  if (len == 0)
    return false;
  s = next_field(s, end, &l->fstype, &l->fstype_len);
  s = next_field(s, end, &f, &len); /* source */
  next_field(s, end, &l->super_opts, &l->super_opts_len);
  return l->fstype_len > 0 && l->mount_point_len > 0;
}

static bool field_is(const char *f, size_t len, const char *want)
{
  return len == strlen(want) && memcmp(f, want, len) == 0;
}

struct seen_dev
{
  char *dev;
  size_t index;
};

int cgroup_parse_mountinfo(const char *text, struct cgroup_mounts *out, berth_error_t *err)
{
  struct cgroup_mounts m = { 0 };
  _cleanup_free_ struct seen_dev *seen = NULL;
  size_t n_seen = 0;
  (void) err;

  for (const char *s = text; *s;)
    {
      const char *end = strchrnul(s, '\n');
      struct mountinfo_line l;
      bool ok = split_mountinfo_line(s, end, &l);
      s = *end ? end + 1 : end;
      if (!ok)
        continue;
      bool v2 = field_is(l.fstype, l.fstype_len, "cgroup2");
      if (!v2 && !field_is(l.fstype, l.fstype_len, "cgroup"))
        continue;

      bool shows_root = field_is(l.root, l.root_len, "/");
      size_t dup = (size_t) -1;
      for (size_t i = 0; i < n_seen; i++)
        if (strlen(seen[i].dev) == l.dev_len && memcmp(seen[i].dev, l.dev, l.dev_len) == 0)
          dup = seen[i].index;
      if (dup != (size_t) -1 && (!shows_root || str_eq(m.h[dup].root, "/")))
        continue;

      struct cgroup_hierarchy h = {
        .mount_point = unescape_mountinfo(l.mount_point, l.mount_point_len),
        .root = unescape_mountinfo(l.root, l.root_len),
        .controllers = v2 ? NULL : split_v1_controllers(l.super_opts, l.super_opts_len),
        .v2 = v2,
      };
      if (dup != (size_t) -1)
        {
          /* a bind mount of a subtree came first; the one showing the root wins */
          free(m.h[dup].mount_point);
          free(m.h[dup].root);
          strv_free(m.h[dup].controllers);
          m.h[dup] = h;
          continue;
        }
      m.h = xreallocarray(m.h, m.n + 1, sizeof(*m.h));
      m.h[m.n] = h;
      seen = xreallocarray(seen, n_seen + 1, sizeof(*seen));
      seen[n_seen++] = (struct seen_dev) { .dev = xstrndup(l.dev, l.dev_len), .index = m.n };
      m.n++;
    }
  for (size_t i = 0; i < n_seen; i++)
    free(seen[i].dev);
  *out = m;
  return 0;
}

void cgroup_mounts_clear(struct cgroup_mounts *m)
{
  for (size_t i = 0; i < m->n; i++)
    {
      free(m->h[i].mount_point);
      free(m->h[i].root);
      strv_free(m->h[i].controllers);
    }
  free(m->h);
  m->h = NULL;
  m->n = 0;
}

static bool v1_has_real_controller(const struct cgroup_hierarchy *h)
{
  for (char *const *c = h->controllers; c && *c; c++)
    if (!str_has_prefix(*c, "name="))
      return true;
  return false;
}

int cgroup_mode_from_mounts(const struct cgroup_mounts *m, enum cgroup_mode *out, berth_error_t *err)
{
  /* v1 hierarchies with only a name= (a leftover name=systemd on a v2
   * host) do not make the host hybrid: no controller lives there. */
  size_t n_v1 = 0, n_v1_named = 0, n_v2 = 0;
  for (size_t i = 0; i < m->n; i++)
    {
      if (m->h[i].v2)
        n_v2++;
      else if (v1_has_real_controller(&m->h[i]))
        n_v1++;
      else
        n_v1_named++;
    }
  if (n_v1 == 0 && n_v2 == 0 && n_v1_named > 0)
    return berth_fail(err, ENOENT, "only named cgroup v1 hierarchies are mounted, no controller");
  if (n_v1 == 0 && n_v2 == 0)
    return berth_fail(err, ENOENT, "no cgroup filesystem is mounted");
  if (n_v1 == 0)
    *out = CGROUP_MODE_UNIFIED;
  else if (n_v2 > 0)
    *out = CGROUP_MODE_HYBRID;
  else
    *out = CGROUP_MODE_LEGACY;
  return 0;
}

/* ------------------------------------------------------------ exec --cgroup */

void cgroup_sub_specs_free(struct cgroup_sub_spec *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free(s[i].controller);
      free(s[i].path);
    }
  free(s);
}

static bool sub_specs_name(const struct cgroup_sub_spec *s, size_t n, const char *controller)
{
  for (size_t i = 0; i < n; i++)
    if (s[i].controller ? controller && str_eq(s[i].controller, controller) : controller == NULL)
      return true;
  return false;
}

static void sub_specs_add(struct cgroup_sub_spec **s, size_t *n, const char *controller, size_t len,
                          const char *path)
{
  *s = xreallocarray(*s, *n + 1, sizeof **s);
  (*s)[(*n)++] = (struct cgroup_sub_spec) {
    .controller = controller ? xstrndup(controller, len) : NULL, .path = xstrdup(path)
  };
}

/* one "[CTRL[,CTRL...]:]PATH" */
static int parse_sub_spec(const char *spec, struct cgroup_sub_spec **s, size_t *n, berth_error_t *err)
{
  const char *colon = strchr(spec, ':');
  const char *p = colon ? colon + 1 : spec;
  _cleanup_free_ char *path = xstrdup("");
  if (append_components(&path, p, "--cgroup", err) < 0)
    return -1;
  if (!colon)
    {
      if (sub_specs_name(*s, *n, NULL))
        return berth_fail(err, EINVAL, "--cgroup \"%s\": a second PATH without controllers", spec);
      sub_specs_add(s, n, NULL, 0, path);
      return 0;
    }
  if (strchr(p, ':'))
    return berth_fail(err, EINVAL, "--cgroup \"%s\": more than one \":\"", spec);
  for (const char *c = spec; c <= colon;)
    {
      size_t len = strcspn(c, ",:");
      if (len == 0)
        return berth_fail(err, EINVAL, "--cgroup \"%s\": an empty controller name", spec);
      _cleanup_free_ char *name = xstrndup(c, len);
      if (sub_specs_name(*s, *n, name))
        return berth_fail(err, EINVAL, "--cgroup \"%s\": controller %s is given twice", spec, name);
      sub_specs_add(s, n, name, len, path);
      c += len + 1;
    }
  return 0;
}

int cgroup_parse_sub_specs(char *const *specs, struct cgroup_sub_spec **out, size_t *n_out, berth_error_t *err)
{
  struct cgroup_sub_spec *s = NULL;
  size_t n = 0;
  for (size_t i = 0; specs && specs[i]; i++)
    if (parse_sub_spec(specs[i], &s, &n, err) < 0)
      {
        cgroup_sub_specs_free(s, n);
        return -1;
      }
  if (sub_specs_name(s, n, NULL) && n > 1)
    {
      cgroup_sub_specs_free(s, n);
      return berth_fail(err, EINVAL, "--cgroup: a PATH without controllers must be the only --cgroup");
    }
  *out = s;
  *n_out = n;
  return 0;
}
