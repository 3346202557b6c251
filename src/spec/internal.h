/* Private to src/spec: the section parsers shared between config.json and
 * process.json, the matching free functions, and the JSON writer helpers. */
#ifndef BERTH_SPEC_INTERNAL_H
#define BERTH_SPEC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "spec/json.h"
#include "spec/spec.h"

/* process.c */
int spec_parse_process(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem);
void spec_process_clear(struct spec_process *p);
int spec_parse_id_mapping(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem);
bool spec_is_absolute(const char *path);

/* linux.c */
int spec_parse_linux(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem);
void spec_linux_free(struct spec_linux *l);
/* linux.seccomp (elem: struct spec_seccomp *); the free function */
int spec_parse_seccomp(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem);
void spec_seccomp_free(struct spec_seccomp *s);

/* resources.c */
int spec_parse_resources(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem);

/* One string out of a fixed list, else "unknown NAME (one of a, b, c)". */
int spec_check_enum(struct jctx *c, const struct jpath *p, const char *what, const char *value,
                    const char *const *allowed, size_t n_allowed);

/* emit.c: a yajl_gen that remembers its first failure, so emitters can
 * call the helpers in a row and check once at the end. */
struct jgen
{
  yajl_gen g;
  yajl_gen_status status;
};

/* indent: NULL for compact output, else the string one level indents by */
int jgen_init(struct jgen *w, const char *indent, berth_error_t *err);
/* Copy the output (pretty output ends with a newline), free the generator. */
int jgen_finish(struct jgen *w, const char *what, char **out, size_t *out_len, berth_error_t *err);
void jgen_free(struct jgen *w);

void jg_open(struct jgen *w);  /* { */
void jg_close(struct jgen *w); /* } */
void jg_aopen(struct jgen *w); /* [ */
void jg_aclose(struct jgen *w);
void jg_key(struct jgen *w, const char *key);
void jg_str(struct jgen *w, const char *s);
void jg_int(struct jgen *w, long long v);
void jg_uint(struct jgen *w, unsigned long long v);
void jg_bool(struct jgen *w, bool v);
/* "key": value shorthands; jg_kstr leaves out NULL strings */
void jg_kstr(struct jgen *w, const char *key, const char *s);
void jg_kint(struct jgen *w, const char *key, long long v);
void jg_kuint(struct jgen *w, const char *key, unsigned long long v);
void jg_kbool(struct jgen *w, const char *key, bool v);
/* "key": [strings]; NULL v leaves the key out */
void jg_kstrv(struct jgen *w, const char *key, const char *const *v);
/* "key": {"k": "v", ...} */
void jg_kkv(struct jgen *w, const char *key, const struct spec_kv *kv, size_t n);
/* a linux.resources object (resources_emit.c) */
void jg_resources(struct jgen *w, const struct spec_resources *r);

#endif
