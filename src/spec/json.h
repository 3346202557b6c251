/* Private to src/spec: a small JSON tree built with yajl's callback API,
 * and the typed accessors the parsers use to turn it into spec structs.
 *
 * Reader guarantees (json_parse):
 * - one JSON value, no comments, no trailing garbage, UTF-8 validated;
 * - strings and object keys contain no NUL byte (rejected with the path);
 * - at most JSON_MAX_DEPTH nested containers and JSON_MAX_VALUES values;
 * - numbers keep their exact text, so integers are range-checked exactly;
 * - duplicate object keys: the last one wins (as Go's encoding/json, which
 *   runc uses); the object keeps only that member, at its position.
 *
 * Errors always read "LABEL: PATH: problem", PATH like .mounts[2].options[0];
 * map keys that are not plain identifiers render as ["some.key"]. */
#ifndef BERTH_SPEC_JSON_H
#define BERTH_SPEC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/error.h"

#define JSON_MAX_DEPTH 64
/* Each value costs ~64 bytes in the tree: this bounds the tree near 16 MiB
 * (32 MiB while the biggest array doubles), far above any real config. */
#define JSON_MAX_VALUES (1u << 18)

enum jtype
{
  JSON_NULL = 0,
  JSON_BOOL,
  JSON_NUMBER,
  JSON_STRING,
  JSON_OBJECT,
  JSON_ARRAY,
};

struct jmember;

struct jnode
{
  enum jtype type;
  bool boolean;
  char *text; /* STRING: the value; NUMBER: its literal text; NUL-terminated */
  size_t len;
  struct jmember *m; /* OBJECT members / ARRAY items (key NULL) */
  size_t n, cap;
};

struct jmember
{
  char *key;
  size_t key_len;
  struct jnode val;
};

/* Parse text (len bytes, need not be NUL-terminated, at most
 * SPEC_JSON_MAX_SIZE). */
int json_parse(const char *text, size_t len, const char *label, struct jnode **out, berth_error_t *err);
void json_free(struct jnode *n);
static inline void json_freep(struct jnode **n)
{
  json_free(*n);
}

/* ------------------------------------------------------------ conversion */

/* Where a value is: a chain of keys/indexes from the root, on the stack. */
struct jpath
{
  const struct jpath *up;
  const char *key; /* NULL: index */
  size_t index;
};
#define JP_KEY(parent, k) (&(const struct jpath){ (parent), (k), 0 })
#define JP_IDX(parent, i) (&(const struct jpath){ (parent), NULL, (i) })

struct jctx
{
  const char *label;
  berth_error_t *err;
};

/* "LABEL: PATH: message" (": PATH" left out at the root). Returns -1. */
int jfail(struct jctx *c, const struct jpath *p, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* malloc'ed rendering of a path; "" for the root */
char *jpath_render(const struct jpath *p);
void jpath_append_key(char **buf, size_t *len, const char *key); /* helpers shared with the reader */

const char *jtype_name(enum jtype t);

/* Member of an object; NULL when absent or JSON null (null counts as absent). */
const struct jnode *jget(const struct jnode *obj, const char *key);

/* Typed conversions: "expected <type>" on a type mismatch. */
int jexpect(struct jctx *c, const struct jnode *n, const struct jpath *p, enum jtype t);
int jstr(struct jctx *c, const struct jnode *n, const struct jpath *p, char **out);
int jbool(struct jctx *c, const struct jnode *n, const struct jpath *p, bool *out);
int ji64(struct jctx *c, const struct jnode *n, const struct jpath *p, int64_t min, int64_t max,
         int64_t *out);
int ju64(struct jctx *c, const struct jnode *n, const struct jpath *p, uint64_t max, uint64_t *out);
/* NULL-terminated array of strings, *n_out entries (n_out may be NULL) */
int jstrv(struct jctx *c, const struct jnode *n, const struct jpath *p, char ***out, size_t *n_out);

/* Array of structs: allocates n zeroed elements of elem_size, sets *out and
 * *n_out BEFORE converting so the owner's free function sees partial work,
 * then calls fn on each. */
typedef int (*jelem_fn)(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem);
int jarray(struct jctx *c, const struct jnode *n, const struct jpath *p, size_t elem_size, jelem_fn fn,
           void *out, size_t *n_out);
/* Object used as a map: like jarray, fn also gets the key. */
typedef int (*jentry_fn)(struct jctx *c, const char *key, const struct jnode *n, const struct jpath *p,
                         void *elem);
int jmap(struct jctx *c, const struct jnode *n, const struct jpath *p, size_t elem_size, jentry_fn fn,
         void *out, size_t *n_out);
/* map of string to string */
int jkv(struct jctx *c, const struct jnode *n, const struct jpath *p, struct spec_kv **out, size_t *n_out);
void spec_kv_free(struct spec_kv *kv, size_t n);

/* Field shorthands on an object: an absent (or null) field leaves *out
 * untouched and returns 0. */
int jf_str(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key, char **out);
int jf_bool(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key, bool *out);
int jf_opt_bool(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
                spec_opt_bool *out);
int jf_i64(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key, int64_t min,
           int64_t max, int64_t *out);
int jf_opt_i64(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
               int64_t min, int64_t max, spec_opt_i64 *out);
int jf_u64(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key, uint64_t max,
           uint64_t *out);
int jf_u32(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key, uint32_t max,
           uint32_t *out);
int jf_opt_u64(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
               uint64_t max, spec_opt_u64 *out);
int jf_strv(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key, char ***out,
            size_t *n_out);
int jf_array(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
             size_t elem_size, jelem_fn fn, void *out, size_t *n_out);
int jf_kv(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
          struct spec_kv **out, size_t *n_out);

/* A required field: "required" when absent. */
int jrequire(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key);

/* Optional sub-object: when present, allocate *out (elem_size, zeroed) and
 * convert with fn; absent leaves *out NULL. */
int jf_object(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
              size_t size, jelem_fn fn, void *out);

#define JSON_ID_MAX ((uint32_t) INT32_MAX) /* uids/gids: the issue rejects beyond 2^31-1 */

#endif
