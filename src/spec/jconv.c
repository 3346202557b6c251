/* Typed access to the JSON tree with path-naming errors (see json.h). */
#include "spec/json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* ------------------------------------------------------------ paths */

static void buf_add(char **buf, size_t *len, const char *s, size_t n)
{
  *buf = xrealloc(*buf, *len + n + 1);
  memcpy(*buf + *len, s, n);
  *len += n;
  (*buf)[*len] = '\0';
}

static bool is_plain_key(const char *key)
{
  if (!*key)
    return false;
  for (const char *k = key; *k; k++)
    if (!isalnum((unsigned char) *k) && *k != '_')
      return false;
  return true;
}

void jpath_append_key(char **buf, size_t *len, const char *key)
{
  if (is_plain_key(key))
    {
      buf_add(buf, len, ".", 1);
      buf_add(buf, len, key, strlen(key));
      return;
    }
  buf_add(buf, len, "[\"", 2);
  for (const unsigned char *k = (const unsigned char *) key; *k; k++)
    {
      char esc[8];
      if (*k == '"' || *k == '\\')
        snprintf(esc, sizeof esc, "\\%c", *k);
      else if (*k < 0x20 || *k == 0x7f)
        snprintf(esc, sizeof esc, "\\x%02x", *k);
      else
        snprintf(esc, sizeof esc, "%c", *k);
      buf_add(buf, len, esc, strlen(esc));
    }
  buf_add(buf, len, "\"]", 2);
}

static void render(const struct jpath *p, char **buf, size_t *len)
{
  if (!p)
    return;
  render(p->up, buf, len);
  if (p->key)
    jpath_append_key(buf, len, p->key);
  else
    {
      char idx[32];
      int n = snprintf(idx, sizeof idx, "[%zu]", p->index);
      buf_add(buf, len, idx, (size_t) n);
    }
}

char *jpath_render(const struct jpath *p)
{
  char *buf = xstrdup("");
  size_t len = 0;
  render(p, &buf, &len);
  return buf;
}

int jfail(struct jctx *c, const struct jpath *p, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  _cleanup_free_ char *path = jpath_render(p);
  if (*path)
    return berth_fail(c->err, 0, "%s: %s: %s", c->label, path, msg);
  return berth_fail(c->err, 0, "%s: %s", c->label, msg);
}

/* ------------------------------------------------------------ scalars */

const char *jtype_name(enum jtype t)
{
  switch (t)
    {
    case JSON_NULL:
      return "null";
    case JSON_BOOL:
      return "boolean";
    case JSON_NUMBER:
      return "number";
    case JSON_STRING:
      return "string";
    case JSON_OBJECT:
      return "object";
    case JSON_ARRAY:
      return "array";
    }
  return "?";
}

const struct jnode *jget(const struct jnode *obj, const char *key)
{
  size_t len = strlen(key);
  for (size_t i = 0; i < obj->n; i++)
    if (obj->m[i].key_len == len && memcmp(obj->m[i].key, key, len) == 0)
      return obj->m[i].val.type == JSON_NULL ? NULL : &obj->m[i].val;
  return NULL;
}

int jexpect(struct jctx *c, const struct jnode *n, const struct jpath *p, enum jtype t)
{
  if (n->type != t)
    return jfail(c, p, "expected %s", jtype_name(t));
  return 0;
}

int jstr(struct jctx *c, const struct jnode *n, const struct jpath *p, char **out)
{
  if (jexpect(c, n, p, JSON_STRING) < 0)
    return -1;
  free(*out);
  *out = xstrdup(n->text);
  return 0;
}

int jbool(struct jctx *c, const struct jnode *n, const struct jpath *p, bool *out)
{
  if (jexpect(c, n, p, JSON_BOOL) < 0)
    return -1;
  *out = n->boolean;
  return 0;
}

/* A number that is an integer literal (no fraction, no exponent). */
static int integer_text(struct jctx *c, const struct jnode *n, const struct jpath *p)
{
  if (n->type != JSON_NUMBER || strpbrk(n->text, ".eE"))
    return jfail(c, p, "expected integer");
  return 0;
}

static int out_of_range(struct jctx *c, const struct jnode *n, const struct jpath *p)
{
  /* a 16 MiB number should not become a 16 MiB message */
  if (n->len > 40)
    return jfail(c, p, "%.40s... is out of range", n->text);
  return jfail(c, p, "%s is out of range", n->text);
}

int ji64(struct jctx *c, const struct jnode *n, const struct jpath *p, int64_t min, int64_t max,
         int64_t *out)
{
  if (integer_text(c, n, p) < 0)
    return -1;
  long long v;
  if (parse_int64(n->text, &v) < 0 || v < min || v > max)
    return out_of_range(c, n, p);
  *out = v;
  return 0;
}

int ju64(struct jctx *c, const struct jnode *n, const struct jpath *p, uint64_t max, uint64_t *out)
{
  if (integer_text(c, n, p) < 0)
    return -1;
  if (strcmp(n->text, "-0") == 0)
    {
      *out = 0;
      return 0;
    }
  unsigned long long v;
  if (parse_uint64(n->text, &v) < 0 || v > max)
    return out_of_range(c, n, p);
  *out = v;
  return 0;
}

/* ------------------------------------------------------------ containers */

int jstrv(struct jctx *c, const struct jnode *n, const struct jpath *p, char ***out, size_t *n_out)
{
  if (jexpect(c, n, p, JSON_ARRAY) < 0)
    return -1;
  strv_free(*out);
  char **v = *out = xcalloc(n->n + 1, sizeof *v);
  if (n_out)
    *n_out = n->n;
  for (size_t i = 0; i < n->n; i++)
    if (jstr(c, &n->m[i].val, JP_IDX(p, i), &v[i]) < 0)
      return -1;
  return 0;
}

int jarray(struct jctx *c, const struct jnode *n, const struct jpath *p, size_t elem_size, jelem_fn fn,
           void *out, size_t *n_out)
{
  if (jexpect(c, n, p, JSON_ARRAY) < 0)
    return -1;
  char *elems = n->n ? xcalloc(n->n, elem_size) : NULL;
  *(void **) out = elems;
  *n_out = n->n;
  for (size_t i = 0; i < n->n; i++)
    if (fn(c, &n->m[i].val, JP_IDX(p, i), elems + i * elem_size) < 0)
      return -1;
  return 0;
}

int jmap(struct jctx *c, const struct jnode *n, const struct jpath *p, size_t elem_size, jentry_fn fn,
         void *out, size_t *n_out)
{
  if (jexpect(c, n, p, JSON_OBJECT) < 0)
    return -1;
  char *elems = n->n ? xcalloc(n->n, elem_size) : NULL;
  *(void **) out = elems;
  *n_out = n->n;
  for (size_t i = 0; i < n->n; i++)
    if (fn(c, n->m[i].key, &n->m[i].val, JP_KEY(p, n->m[i].key), elems + i * elem_size) < 0)
      return -1;
  return 0;
}

static int kv_entry(struct jctx *c, const char *key, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_kv *kv = elem;
  kv->key = xstrdup(key);
  return jstr(c, n, p, &kv->value);
}

int jkv(struct jctx *c, const struct jnode *n, const struct jpath *p, struct spec_kv **out, size_t *n_out)
{
  return jmap(c, n, p, sizeof **out, kv_entry, out, n_out);
}

void spec_kv_free(struct spec_kv *kv, size_t n)
{
  for (size_t i = 0; kv && i < n; i++)
    {
      free(kv[i].key);
      free(kv[i].value);
    }
  free(kv);
}

/* ------------------------------------------------------------ fields */

int jrequire(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key)
{
  if (!jget(obj, key))
    return jfail(c, JP_KEY(p, key), "required");
  return 0;
}

int jf_str(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key, char **out)
{
  const struct jnode *n = jget(obj, key);
  return n ? jstr(c, n, JP_KEY(p, key), out) : 0;
}

int jf_bool(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key, bool *out)
{
  const struct jnode *n = jget(obj, key);
  return n ? jbool(c, n, JP_KEY(p, key), out) : 0;
}

int jf_opt_bool(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
                spec_opt_bool *out)
{
  const struct jnode *n = jget(obj, key);
  if (!n)
    return 0;
  out->set = true;
  return jbool(c, n, JP_KEY(p, key), &out->value);
}

int jf_i64(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key, int64_t min,
           int64_t max, int64_t *out)
{
  const struct jnode *n = jget(obj, key);
  return n ? ji64(c, n, JP_KEY(p, key), min, max, out) : 0;
}

int jf_opt_i64(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
               int64_t min, int64_t max, spec_opt_i64 *out)
{
  const struct jnode *n = jget(obj, key);
  if (!n)
    return 0;
  out->set = true;
  return ji64(c, n, JP_KEY(p, key), min, max, &out->value);
}

int jf_u64(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key, uint64_t max,
           uint64_t *out)
{
  const struct jnode *n = jget(obj, key);
  return n ? ju64(c, n, JP_KEY(p, key), max, out) : 0;
}

int jf_u32(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key, uint32_t max,
           uint32_t *out)
{
  uint64_t v;
  const struct jnode *n = jget(obj, key);
  if (!n)
    return 0;
  if (ju64(c, n, JP_KEY(p, key), max, &v) < 0)
    return -1;
  *out = (uint32_t) v;
  return 0;
}

int jf_opt_u64(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
               uint64_t max, spec_opt_u64 *out)
{
  const struct jnode *n = jget(obj, key);
  if (!n)
    return 0;
  out->set = true;
  return ju64(c, n, JP_KEY(p, key), max, &out->value);
}

int jf_strv(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key, char ***out,
            size_t *n_out)
{
  const struct jnode *n = jget(obj, key);
  return n ? jstrv(c, n, JP_KEY(p, key), out, n_out) : 0;
}

int jf_array(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
             size_t elem_size, jelem_fn fn, void *out, size_t *n_out)
{
  const struct jnode *n = jget(obj, key);
  return n ? jarray(c, n, JP_KEY(p, key), elem_size, fn, out, n_out) : 0;
}

int jf_kv(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
          struct spec_kv **out, size_t *n_out)
{
  const struct jnode *n = jget(obj, key);
  return n ? jkv(c, n, JP_KEY(p, key), out, n_out) : 0;
}

int jf_object(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
              size_t size, jelem_fn fn, void *out)
{
  const struct jnode *n = jget(obj, key);
  if (!n)
    return 0;
  const struct jpath *kp = JP_KEY(p, key);
  if (jexpect(c, n, kp, JSON_OBJECT) < 0)
    return -1;
  void *elem = xcalloc(1, size);
  *(void **) out = elem;
  return fn(c, n, kp, elem);
}
