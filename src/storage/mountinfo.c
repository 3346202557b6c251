/* mountinfo parsing and the "what lies outside this root" plan. */
#include "storage/mountinfo.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/util.h"

static bool is_octal(char c)
{
  return c >= '0' && c <= '7';
}

/* octal escapes the kernel writes for ' ', '\t', '\n' and '\\' */
static char *unescape_field(const char *s, size_t len)
{
  char *out = xmalloc(len + 1), *w = out;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] == '\\' && i + 3 < len && is_octal(s[i + 1]) && is_octal(s[i + 2])
          && is_octal(s[i + 3]))
        {
          *w++ = (char) (((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
          i += 3;
        }
      else
        *w++ = s[i];
    }
  *w = '\0';
  return out;
}

/* the next space-separated field of [*p, end): start and length */
static bool next_field(const char **p, const char *end, const char **start, size_t *len)
{
  const char *s = *p;
  while (s < end && *s == ' ')
    s++;
  if (s == end)
    return false;
  const char *e = s;
  while (e < end && *e != ' ')
    e++;
  *start = s;
  *len = (size_t) (e - s);
  *p = e;
  return true;
}

static bool parse_int_field(const char *s, size_t len, int *out)
{
  if (len == 0 || len > 10)
    return false;
  long v = 0;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return false;
      v = v * 10 + (s[i] - '0');
    }
  if (v > 0x7fffffff)
    return false;
  *out = (int) v;
  return true;
}

/* id parent major:minor root mountpoint options [optional...] - fstype source super */
static bool parse_line(const char *line, const char *end, struct storage_mount_entry *e)
{
  const char *f[5];
  size_t l[5];
  const char *p = line;
  for (int i = 0; i < 5; i++)
    if (!next_field(&p, end, &f[i], &l[i]))
      return false;
  if (!parse_int_field(f[0], l[0], &e->id) || !parse_int_field(f[1], l[1], &e->parent_id)
      || f[4][0] != '/')
    return false;
  const char *s;
  size_t n;
  bool dash = false;
  next_field(&p, end, &s, &n); /* the per-mount options */
  while (next_field(&p, end, &s, &n))
    {
      if (n == 1 && s[0] == '-')
        {
          dash = true;
          break;
        }
      if (n > 7 && strncmp(s, "shared:", 7) == 0)
        e->shared = true;
    }
  if (!dash || !next_field(&p, end, &s, &n))
    return false;
  e->mountpoint = unescape_field(f[4], l[4]);
  e->fstype = unescape_field(s, n);
  return true;
}

int storage_mountinfo_parse(const char *text, struct storage_mount_table *out, berth_error_t *err)
{
  *out = (struct storage_mount_table) { 0 };
  size_t lineno = 0;
  for (const char *line = text; *line;)
    {
      const char *nl = strchr(line, '\n');
      const char *end = nl ? nl : line + strlen(line);
      lineno++;
      if (end > line)
        {
          struct storage_mount_entry e = { 0 };
          if (!parse_line(line, end, &e))
            {
              storage_mount_table_free(out);
              return berth_fail(err, EINVAL, "mountinfo line %zu: malformed", lineno);
            }
          out->entries = xreallocarray(out->entries, out->n + 1, sizeof *out->entries);
          out->entries[out->n++] = e;
        }
      line = nl ? nl + 1 : end;
    }
  return 0;
}

void storage_mount_table_free(struct storage_mount_table *t)
{
  for (size_t i = 0; i < t->n; i++)
    {
      free(t->entries[i].mountpoint);
      free(t->entries[i].fstype);
    }
  free(t->entries);
  *t = (struct storage_mount_table) { 0 };
}

/* a == b, or a lies below b */
static bool path_within(const char *a, const char *b)
{
  if (str_eq(b, "/"))
    return true;
  size_t n = strlen(b);
  return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

static size_t path_depth(const char *p)
{
  size_t d = 0;
  for (; *p; p++)
    if (*p == '/' && p[1] != '\0')
      d++;
  return d;
}

struct ranked
{
  size_t index, depth;
};

static int deepest_then_latest(const void *a, const void *b)
{
  const struct ranked *x = a, *y = b;
  if (x->depth != y->depth)
    return x->depth > y->depth ? -1 : 1;
  return x->index > y->index ? -1 : x->index < y->index ? 1 : 0;
}

size_t storage_mounts_outside(const struct storage_mount_table *t, const char *root, size_t **out)
{
  *out = NULL;
  _cleanup_free_ struct ranked *r = t->n ? xcalloc(t->n, sizeof *r) : NULL;
  size_t n = 0;
  for (size_t i = 0; i < t->n; i++)
    {
      const char *mp = t->entries[i].mountpoint;
      if (path_within(mp, root) || path_within(root, mp))
        continue;
      r[n++] = (struct ranked) { i, path_depth(mp) };
    }
  if (n == 0)
    return 0;
  qsort(r, n, sizeof *r, deepest_then_latest);
  *out = xcalloc(n, sizeof **out);
  for (size_t i = 0; i < n; i++)
    (*out)[i] = r[i].index;
  return n;
}

static int cmp_int(const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return x < y ? -1 : x > y;
}

size_t storage_mounts_outside_tops(const struct storage_mount_table *t, const char *root,
                                   size_t **out)
{
  size_t n = storage_mounts_outside(t, root, out);
  if (n == 0)
    return 0;
  _cleanup_free_ int *ids = xcalloc(n, sizeof *ids);
  for (size_t i = 0; i < n; i++)
    ids[i] = t->entries[(*out)[i]].id;
  qsort(ids, n, sizeof *ids, cmp_int);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++)
    {
      int parent = t->entries[(*out)[i]].parent_id;
      if (!bsearch(&parent, ids, n, sizeof *ids, cmp_int))
        (*out)[kept++] = (*out)[i];
    }
  return kept;
}

bool storage_mounts_shared_outside(const struct storage_mount_table *t, const char *root)
{
  for (size_t i = 0; i < t->n; i++)
    if (t->entries[i].shared && !path_within(t->entries[i].mountpoint, root))
      return true;
  return false;
}

int storage_mountinfo_read(int fd, struct storage_mount_table *t, berth_error_t *err)
{
  _cleanup_close_ int own = -1;
  if (fd < 0)
    {
      fd = own = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return berth_fail_sys(err, "open /proc/self/mountinfo");
    }
  else if (lseek(fd, 0, SEEK_SET) < 0)
    return berth_fail_sys(err, "rewind /proc/self/mountinfo");
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (read_all_fd(fd, 64u << 20, &text, &len, err) < 0 || storage_mountinfo_parse(text, t, err) < 0)
    return berth_wrap(err, "/proc/self/mountinfo");
  return 0;
}

const struct storage_mount_entry *storage_mount_holding(const struct storage_mount_table *t,
                                                        const char *path)
{
  const struct storage_mount_entry *best = NULL;
  for (size_t i = 0; i < t->n; i++)
    {
      const struct storage_mount_entry *e = &t->entries[i];
      if (path_within(path, e->mountpoint)
          && (!best || strlen(e->mountpoint) >= strlen(best->mountpoint)))
        best = e;
    }
  return best;
}

bool storage_mounts_below(const struct storage_mount_table *t, const char *dir)
{
  for (size_t i = 0; i < t->n; i++)
    if (!str_eq(t->entries[i].mountpoint, dir) && path_within(t->entries[i].mountpoint, dir))
      return true;
  return false;
}
