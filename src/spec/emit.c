/* JSON writer helpers on yajl_gen (see internal.h). */
#include "spec/internal.h"

#include <stdio.h>
#include <string.h>

#include "util/util.h"

int jgen_init(struct jgen *w, const char *indent, berth_error_t *err)
{
  w->status = yajl_gen_status_ok;
  w->g = yajl_gen_alloc(NULL);
  if (!w->g)
    return berth_fail(err, ENOMEM, "allocate JSON generator");
  yajl_gen_config(w->g, yajl_gen_validate_utf8, 1);
  if (indent)
    {
      yajl_gen_config(w->g, yajl_gen_beautify, 1);
      yajl_gen_config(w->g, yajl_gen_indent_string, indent);
    }
  return 0;
}

void jgen_free(struct jgen *w)
{
  if (w->g)
    yajl_gen_free(w->g);
  w->g = NULL;
}

static const char *gen_status_text(yajl_gen_status st)
{
  switch (st)
    {
    case yajl_gen_invalid_string:
      return "a string is not valid UTF-8";
    case yajl_gen_keys_must_be_strings:
    case yajl_gen_in_error_state:
    case yajl_gen_generation_complete:
      return "malformed document (internal error)";
    case yajl_max_depth_exceeded:
      return "nested too deep";
    case yajl_gen_invalid_number:
      return "invalid number";
    default:
      return "generator error";
    }
}

int jgen_finish(struct jgen *w, const char *what, char **out, size_t *out_len, berth_error_t *err)
{
  if (w->status != yajl_gen_status_ok)
    {
      int ret = berth_fail(err, 0, "emit %s: %s", what, gen_status_text(w->status));
      jgen_free(w);
      return ret;
    }
  const unsigned char *buf;
  size_t len;
  yajl_gen_get_buf(w->g, &buf, &len);
  *out = xstrndup((const char *) buf, len);
  if (out_len)
    *out_len = len;
  jgen_free(w);
  return 0;
}

static void track(struct jgen *w, yajl_gen_status st)
{
  if (w->status == yajl_gen_status_ok)
    w->status = st;
}

#define GEN(w, call)                                                                             \
  do                                                                                             \
    {                                                                                            \
      if ((w)->status == yajl_gen_status_ok)                                                     \
        track((w), call);                                                                        \
    }                                                                                            \
  while (0)

void jg_open(struct jgen *w)
{
  GEN(w, yajl_gen_map_open(w->g));
}

void jg_close(struct jgen *w)
{
  GEN(w, yajl_gen_map_close(w->g));
}

void jg_aopen(struct jgen *w)
{
  GEN(w, yajl_gen_array_open(w->g));
}

void jg_aclose(struct jgen *w)
{
  GEN(w, yajl_gen_array_close(w->g));
}

void jg_str(struct jgen *w, const char *s)
{
  GEN(w, yajl_gen_string(w->g, (const unsigned char *) s, strlen(s)));
}

void jg_key(struct jgen *w, const char *key)
{
  jg_str(w, key);
}

void jg_int(struct jgen *w, long long v)
{
  GEN(w, yajl_gen_integer(w->g, v));
}

void jg_uint(struct jgen *w, unsigned long long v)
{
  /* yajl_gen_integer is signed: write the digits ourselves */
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%llu", v);
  GEN(w, yajl_gen_number(w->g, buf, (size_t) n));
}

void jg_bool(struct jgen *w, bool v)
{
  GEN(w, yajl_gen_bool(w->g, v));
}

void jg_kstr(struct jgen *w, const char *key, const char *s)
{
  if (!s)
    return;
  jg_key(w, key);
  jg_str(w, s);
}

void jg_kint(struct jgen *w, const char *key, long long v)
{
  jg_key(w, key);
  jg_int(w, v);
}

void jg_kuint(struct jgen *w, const char *key, unsigned long long v)
{
  jg_key(w, key);
  jg_uint(w, v);
}

void jg_kbool(struct jgen *w, const char *key, bool v)
{
  jg_key(w, key);
  jg_bool(w, v);
}

void jg_kstrv(struct jgen *w, const char *key, const char *const *v)
{
  if (!v)
    return;
  jg_key(w, key);
  jg_aopen(w);
  for (; *v; v++)
    jg_str(w, *v);
  jg_aclose(w);
}

void jg_kkv(struct jgen *w, const char *key, const struct spec_kv *kv, size_t n)
{
  jg_key(w, key);
  jg_open(w);
  for (size_t i = 0; i < n; i++)
    jg_kstr(w, kv[i].key, kv[i].value ? kv[i].value : "");
  jg_close(w);
}
