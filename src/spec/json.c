/* JSON reader: yajl callbacks build a jnode tree (see json.h). */
#include "spec/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "util/util.h"

struct builder
{
  struct jnode root;
  bool have_root;
  struct jnode *stack[JSON_MAX_DEPTH];
  size_t depth;
  size_t n_values;
  const char *label;
  berth_error_t *err;
  bool failed; /* a callback set *err */
  const unsigned char *text; /* the document, for the raw text of strings */
  size_t len;
  size_t cursor; /* just past the last string token checked */
};

static void jnode_clear(struct jnode *n)
{
  free(n->text);
  for (size_t i = 0; i < n->n; i++)
    {
      free(n->m[i].key);
      jnode_clear(&n->m[i].val);
    }
  free(n->m);
}

void json_free(struct jnode *n)
{
  if (n)
    {
      jnode_clear(n);
      free(n);
    }
}

/* The path of the value being built: for each open container, the member
 * last added to it (a container's open child is always its last member). */
static char *builder_path(const struct builder *b)
{
  char *buf = xstrdup("");
  size_t len = 0;
  for (size_t i = 0; i < b->depth; i++)
    {
      const struct jnode *f = b->stack[i];
      if (f->n == 0)
        break;
      if (f->type == JSON_OBJECT)
        jpath_append_key(&buf, &len, f->m[f->n - 1].key);
      else
        {
          char *idx = xasprintf("[%zu]", f->n - 1);
          size_t l = strlen(idx);
          buf = xrealloc(buf, len + l + 1);
          memcpy(buf + len, idx, l + 1);
          len += l;
          free(idx);
        }
    }
  return buf;
}

static int __attribute__((format(printf, 2, 3))) builder_fail(struct builder *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *msg = xvasprintf(fmt, ap);
  va_end(ap);
  _cleanup_free_ char *path = builder_path(b);
  if (*path)
    berth_fail(b->err, 0, "%s: %s: %s", b->label, path, msg);
  else
    berth_fail(b->err, 0, "%s: %s", b->label, msg);
  b->failed = true;
  return 0; /* yajl: cancel the parse */
}

static bool count_value(struct builder *b)
{
  if (++b->n_values > JSON_MAX_VALUES)
    {
      builder_fail(b, "more than %u JSON values", JSON_MAX_VALUES);
      return false;
    }
  return true;
}

static struct jmember *append_member(struct jnode *container)
{
  if (container->n == container->cap)
    {
      container->cap = container->cap ? container->cap * 2 : 4;
      container->m = xreallocarray(container->m, container->cap, sizeof *container->m);
    }
  struct jmember *m = &container->m[container->n++];
  memset(m, 0, sizeof *m);
  return m;
}

/* The slot the next value goes into: the root, the member whose key was
 * just read, or a new array item. */
static struct jnode *add_value(struct builder *b, enum jtype t)
{
  struct jnode *slot;
  if (b->depth == 0)
    {
      slot = &b->root;
      b->have_root = true;
    }
  else
    {
      struct jnode *top = b->stack[b->depth - 1];
      slot = top->type == JSON_OBJECT ? &top->m[top->n - 1].val : &append_member(top)->val;
    }
  slot->type = t;
  /* counted once in place, so an error names the value that was one too many */
  return count_value(b) ? slot : NULL;
}

static int on_null(void *ctx)
{
  return add_value(ctx, JSON_NULL) != NULL;
}

static int on_boolean(void *ctx, int v)
{
  struct jnode *n = add_value(ctx, JSON_BOOL);
  if (!n)
    return 0;
  n->boolean = v != 0;
  return 1;
}

static int set_text(struct builder *b, struct jnode *n, const char *s, size_t len, const char *what)
{
  if (memchr(s, '\0', len))
    return builder_fail(b, "%s contains a NUL byte", what);
  n->text = xstrndup(s, len);
  n->len = len;
  return 1;
}

static unsigned hex4(const unsigned char *p)
{
  unsigned v = 0;
  for (int i = 0; i < 4; i++)
    {
      unsigned char c = p[i];
      v = v * 16 + (unsigned) (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
  return v;
}

static bool is_u_escape(const unsigned char *p, const unsigned char *end)
{
  if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
    return false;
  for (int i = 2; i < 6; i++)
    if (!((p[i] >= '0' && p[i] <= '9') || ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f')))
      return false;
  return true;
}

/* yajl turns a lone surrogate escape into '?' and accepts overlong and
 * surrogate UTF-8: check the raw text of the next string token (strings
 * come to the callbacks in document order) before its value is used. */
static int check_string_token(struct builder *b, const char *what)
{
  const unsigned char *end = b->text + b->len;
  const unsigned char *p = memchr(b->text + b->cursor, '"', b->len - b->cursor);
  if (!p)
    return 1; /* cannot happen: yajl saw the string */
  for (p++; p < end && *p != '"';)
    {
      if (*p == '\\' && p + 1 < end)
        {
          if (!is_u_escape(p, end))
            {
              p += 2;
              continue;
            }
          unsigned u = hex4(p + 2);
          if (u >= 0xdc00 && u <= 0xdfff)
            return builder_fail(b, "%s: lone surrogate escape \\u%04x (a low half without a high half) at byte %zu",
                                what, u, (size_t) (p - b->text));
          if (u >= 0xd800 && u <= 0xdbff)
            {
              if (!is_u_escape(p + 6, end) || hex4(p + 8) < 0xdc00 || hex4(p + 8) > 0xdfff)
                return builder_fail(b, "%s: lone surrogate escape \\u%04x (a high half without a low half) at byte %zu",
                                    what, u, (size_t) (p - b->text));
              p += 6;
            }
          p += 6;
          continue;
        }
      uint32_t cp;
      size_t l = utf8_decode_strict(p, (size_t) (end - p), &cp);
      if (l == 0)
        return builder_fail(b, "%s: invalid UTF-8 (byte 0x%02x at byte %zu: overlong, surrogate, beyond U+10FFFF or truncated)",
                            what, *p, (size_t) (p - b->text));
      p += l;
    }
  b->cursor = (size_t) (p - b->text) + 1;
  return 1;
}

static int on_number(void *ctx, const char *s, size_t len)
{
  struct jnode *n = add_value(ctx, JSON_NUMBER);
  return n ? set_text(ctx, n, s, len, "number") : 0;
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
  struct jnode *n = add_value(ctx, JSON_STRING);
  return n && check_string_token(ctx, "string") ? set_text(ctx, n, (const char *) s, len, "string") : 0;
}

static int on_map_key(void *ctx, const unsigned char *s, size_t len)
{
  struct builder *b = ctx;
  if (!check_string_token(b, "object key"))
    return 0;
  struct jmember *m = append_member(b->stack[b->depth - 1]);
  /* xstrndup stops at a NUL: the error path shows the key up to it */
  m->key = xstrndup((const char *) s, len);
  m->key_len = strlen(m->key);
  if (m->key_len != len)
    return builder_fail(b, "object key contains a NUL byte");
  return count_value(b);
}

static int open_container(struct builder *b, enum jtype t)
{
  struct jnode *n = add_value(b, t);
  if (!n)
    return 0;
  if (b->depth == JSON_MAX_DEPTH)
    return builder_fail(b, "nested deeper than %d levels", JSON_MAX_DEPTH);
  b->stack[b->depth++] = n;
  return 1;
}

static int on_start_map(void *ctx)
{
  return open_container(ctx, JSON_OBJECT);
}

static int on_start_array(void *ctx)
{
  return open_container(ctx, JSON_ARRAY);
}

struct key_ref
{
  const char *key;
  size_t len;
  size_t idx;
};

static int key_ref_cmp(const void *a, const void *b)
{
  const struct key_ref *x = a, *y = b;
  size_t l = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->key, y->key, l);
  if (c)
    return c;
  if (x->len != y->len)
    return x->len < y->len ? -1 : 1;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Last duplicate wins: sort (key, position), drop all but the last of each
 * run, keep the survivors in document order. O(n log n) for any input. */
static void drop_duplicate_keys(struct jnode *obj)
{
  if (obj->n < 2)
    return;
  _cleanup_free_ struct key_ref *refs = xreallocarray(NULL, obj->n, sizeof *refs);
  _cleanup_free_ bool *drop = xcalloc(obj->n, sizeof *drop);
  for (size_t i = 0; i < obj->n; i++)
    refs[i] = (struct key_ref){ obj->m[i].key, obj->m[i].key_len, i };
  qsort(refs, obj->n, sizeof *refs, key_ref_cmp);
  bool any = false;
  for (size_t i = 0; i + 1 < obj->n; i++)
    if (refs[i].len == refs[i + 1].len && memcmp(refs[i].key, refs[i + 1].key, refs[i].len) == 0)
      drop[refs[i].idx] = any = true;
  if (!any)
    return;
  size_t out = 0;
  for (size_t i = 0; i < obj->n; i++)
    {
      if (drop[i])
        {
          free(obj->m[i].key);
          jnode_clear(&obj->m[i].val);
        }
      else
        obj->m[out++] = obj->m[i];
    }
  obj->n = out;
}

static int on_end_map(void *ctx)
{
  struct builder *b = ctx;
  drop_duplicate_keys(b->stack[--b->depth]);
  return 1;
}

static int on_end_array(void *ctx)
{
  struct builder *b = ctx;
  b->depth--;
  return 1;
}

static const yajl_callbacks callbacks = {
  .yajl_null = on_null,
  .yajl_boolean = on_boolean,
  .yajl_number = on_number,
  .yajl_string = on_string,
  .yajl_start_map = on_start_map,
  .yajl_map_key = on_map_key,
  .yajl_end_map = on_end_map,
  .yajl_start_array = on_start_array,
  .yajl_end_array = on_end_array,
};

static void yajl_freep(yajl_handle *h)
{
  if (*h)
    yajl_free(*h);
}

static int syntax_error(struct builder *b, yajl_handle h, size_t offset)
{
  unsigned char *yerr = yajl_get_error(h, 0, NULL, 0);
  _cleanup_free_ char *msg = xstrdup(yerr ? (const char *) yerr : "parse error");
  if (yerr)
    yajl_free_error(h, yerr);
  const char *text = msg;
  /* "parse error: x" / "lexical error: x": the prefix says nothing new */
  const char *colon = strstr(text, "error: ");
  if (colon)
    text = colon + strlen("error: ");
  size_t l = strlen(msg);
  while (l > 0 && (msg[l - 1] == '\n' || msg[l - 1] == ' ' || msg[l - 1] == '.'))
    msg[--l] = '\0';
  return berth_fail(b->err, 0, "%s: invalid JSON at byte %zu: %s", b->label, offset, text);
}

int json_parse(const char *text, size_t len, const char *label, struct jnode **out, berth_error_t *err)
{
  if (len > SPEC_JSON_MAX_SIZE)
    return berth_fail(err, EFBIG, "%s: larger than %u bytes", label, (unsigned) SPEC_JSON_MAX_SIZE);
  struct builder b = { .label = label, .err = err, .text = (const unsigned char *) text, .len = len };
  __attribute__((cleanup(yajl_freep))) yajl_handle h = yajl_alloc(&callbacks, NULL, &b);
  if (!h)
    return berth_fail(err, ENOMEM, "%s: allocate JSON parser", label);
  yajl_config(h, yajl_allow_comments, 0);
  yajl_config(h, yajl_dont_validate_strings, 0);
  yajl_config(h, yajl_allow_trailing_garbage, 0);
  yajl_config(h, yajl_allow_multiple_values, 0);
  yajl_config(h, yajl_allow_partial_values, 0);

  int ret = 0;
  yajl_status st = yajl_parse(h, (const unsigned char *) text, len);
  if (st == yajl_status_ok)
    {
      st = yajl_complete_parse(h);
      if (st != yajl_status_ok && !b.failed)
        ret = syntax_error(&b, h, len);
    }
  else if (!b.failed)
    ret = syntax_error(&b, h, yajl_get_bytes_consumed(h));
  if (b.failed)
    ret = berth_error_ret(*err);
  if (ret == 0 && !b.have_root)
    ret = berth_fail(err, 0, "%s: empty document", label);
  if (ret < 0)
    {
      jnode_clear(&b.root);
      return ret;
    }
  *out = xmalloc(sizeof **out);
  **out = b.root;
  return 0;
}
