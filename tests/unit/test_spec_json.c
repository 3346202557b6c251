/* The private JSON reader (src/spec/json.c) and typed accessors. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spec/json.h"
#include "tap.h"
#include "util/util.h"

static struct jnode *parse_ok(const char *text, const char *name)
{
  struct jnode *n = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  if (!ok(json_parse(text, strlen(text), "t", &n, &err) == 0, "parses: %s", name))
    printf("#   %s\n", berth_error_msg(err));
  return n;
}

static void parse_bad(const char *text, size_t len, const char *want, const char *name)
{
  struct jnode *n = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  int ret = json_parse(text, len, "t", &n, &err);
  if (!ok(ret < 0 && n == NULL && err && strcmp(err->msg, want) == 0, "rejects %s", name))
    printf("#   got \"%s\" want \"%s\"\n", err ? err->msg : "(none)", want);
  json_free(n);
}

static void test_tree(void)
{
  struct jnode *n = parse_ok("{\"s\":\"caf\\u00e9\",\"n\":-1.50e+3,\"b\":true,\"z\":null,\"a\":[1,[2],{}],\"e\":\"\"}",
                             "mixed document");
  if (!n)
    return;
  ok(n->type == JSON_OBJECT && n->n == 6, "object with 6 members");
  const struct jnode *s = jget(n, "s");
  ok(s && s->type == JSON_STRING && s->len == 5 && strcmp(s->text, "caf\xc3\xa9") == 0, "\\u escape decoded to UTF-8");
  const struct jnode *num = jget(n, "n");
  ok(num && num->type == JSON_NUMBER && strcmp(num->text, "-1.50e+3") == 0, "number keeps its exact text");
  ok(jget(n, "b") && jget(n, "b")->boolean, "boolean");
  ok(jget(n, "z") == NULL, "null reads as absent");
  ok(jget(n, "missing") == NULL, "missing key");
  const struct jnode *a = jget(n, "a");
  ok(a && a->type == JSON_ARRAY && a->n == 3 && a->m[1].val.type == JSON_ARRAY && a->m[2].val.type == JSON_OBJECT,
     "nested array");
  ok(a->m[0].key == NULL, "array items have no key");
  ok(jget(n, "e") && jget(n, "e")->len == 0, "empty string");
  json_free(n);

  n = parse_ok("  \"top\"  ", "scalar at the top");
  ok(n && n->type == JSON_STRING && strcmp(n->text, "top") == 0, "top-level scalar");
  json_free(n);
}

static void test_duplicates(void)
{
  struct jnode *n = parse_ok("{\"a\":1,\"b\":2,\"a\":3,\"c\":4,\"a\":{\"x\":[1]}}", "duplicate keys");
  if (!n)
    return;
  ok(n->n == 3, "duplicates collapsed");
  ok(strcmp(n->m[0].key, "b") == 0 && strcmp(n->m[1].key, "c") == 0 && strcmp(n->m[2].key, "a") == 0,
     "survivors keep document order");
  ok(jget(n, "a")->type == JSON_OBJECT, "the last duplicate wins");
  json_free(n);

  /* "a" and "a\u0000"-like prefixes are different keys; "ab" vs "a" too */
  n = parse_ok("{\"a\":1,\"ab\":2,\"a\":3}", "prefix keys");
  ok(n && n->n == 2 && strcmp(jget(n, "a")->text, "3") == 0 && strcmp(jget(n, "ab")->text, "2") == 0,
     "prefix keys are distinct");
  json_free(n);

  /* 100000 copies of one key: sorting keeps this fast (bounded time) */
  size_t count = 100000;
  _cleanup_free_ char *big = xmalloc(count * 8 + 16);
  size_t len = 0;
  big[len++] = '{';
  for (size_t i = 0; i < count; i++)
    {
      memcpy(big + len, "\"k\":1,", 6);
      len += 6;
    }
  memcpy(big + len - 1, "}", 2);
  clock_t t0 = clock();
  struct jnode *d = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  ok(json_parse(big, len, "t", &d, &err) == 0 && d->n == 1, "100000 duplicates collapse to one");
  ok((double) (clock() - t0) / CLOCKS_PER_SEC < 5.0, "in bounded time");
  json_free(d);
}

static void test_depth(void)
{
  char text[512];
  size_t n = 0;
  for (int i = 0; i < 64; i++)
    n += (size_t) sprintf(text + n, "{\"a\":");
  text[n++] = '1';
  for (int i = 0; i < 64; i++)
    text[n++] = '}';
  text[n] = '\0';
  struct jnode *t = parse_ok(text, "64 nested objects");
  json_free(t);

  n = 0;
  for (int i = 0; i < 65; i++)
    text[n++] = '[';
  text[n] = '\0';
  _cleanup_free_ char *want = xstrdup("t: ");
  for (int i = 0; i < 64; i++)
    {
      char *next = xasprintf("%s[0]", want);
      free(want);
      want = next;
    }
  char *full = xasprintf("%s: nested deeper than 64 levels", want);
  parse_bad(text, n, full, "65 nested arrays (even unterminated)");
  free(full);
}

static void test_bad_input(void)
{
  parse_bad("", 0, "t: invalid JSON at byte 0: premature EOF", "empty input");
  parse_bad("   ", 3, "t: invalid JSON at byte 3: premature EOF", "only spaces");
  parse_bad("{\"a\":\"x\\u0000y\"}", 16, "t: .a: string contains a NUL byte", "escaped NUL");
  parse_bad("{\"a\\u0000\":1}", 13, "t: .a: object key contains a NUL byte", "NUL in a key");
  parse_bad("{\"a\":[\"ok\",\"\\u0000\"]}", 21, "t: .a[1]: string contains a NUL byte", "NUL in an array item");
  parse_bad("{\"a\":1}\0", 8, "t: invalid JSON at byte 8: trailing garbage", "raw NUL after the value");
  parse_bad("{\"a\":\"\xc3\x28\"}", 9, "t: invalid JSON at byte 8: invalid bytes in UTF8 string", "bad UTF-8");
  parse_bad("[1] [2]", 7, "t: invalid JSON at byte 5: trailing garbage", "two values");
  parse_bad("{\"a\":NaN}", 9, "t: invalid JSON at byte 6: invalid char in json text", "NaN");
}

/* issue 13 item 7: yajl alone turns lone surrogates into '?' and takes
 * overlong and surrogate UTF-8 */
static void test_unicode(void)
{
  struct jnode *n = parse_ok("{\"p\":\"\\ud83d\\ude00\",\"e\":\"\\\\ud800\",\"q\":\"\\\"\\ud800\\udc00\",\"r\":\"\xf0\x9f\x98\x80\"}",
                             "surrogate pair, escaped backslash before u, raw 4-byte UTF-8");
  if (n)
    {
      ok(strcmp(jget(n, "p")->text, "\xf0\x9f\x98\x80") == 0, "a surrogate pair decodes to U+1F600");
      ok(strcmp(jget(n, "e")->text, "\\ud800") == 0, "\\\\ud800 is a backslash and text");
      ok(strcmp(jget(n, "q")->text, "\"\xf0\x90\x80\x80") == 0, "an escaped quote before a pair");
    }
  json_free(n);
  const char *t;
  t = "{\"a\":[\"x\",\"\\ud800\"]}";
  parse_bad(t, strlen(t), "t: .a[1]: string: lone surrogate escape \\ud800 (a high half without a low half) at byte 11",
            "a lone high surrogate");
  t = "{\"a\":\"\\ud800x\"}";
  parse_bad(t, strlen(t), "t: .a: string: lone surrogate escape \\ud800 (a high half without a low half) at byte 6",
            "a high surrogate followed by text");
  t = "{\"a\":\"\\ud800\\u0041\"}";
  parse_bad(t, strlen(t), "t: .a: string: lone surrogate escape \\ud800 (a high half without a low half) at byte 6",
            "a high surrogate followed by a non-surrogate escape");
  t = "{\"a\":\"\\uDC00\"}";
  parse_bad(t, strlen(t), "t: .a: string: lone surrogate escape \\udc00 (a low half without a high half) at byte 6",
            "a lone low surrogate");
  t = "{\"a\":\"\\ud800\\ud800\\udc00\"}";
  parse_bad(t, strlen(t), "t: .a: string: lone surrogate escape \\ud800 (a high half without a low half) at byte 6",
            "two high surrogates");
  t = "{\"k\\udfff\":1}";
  parse_bad(t, strlen(t), "t: object key: lone surrogate escape \\udfff (a low half without a high half) at byte 3",
            "a lone surrogate in a key");
  t = "{\"a\":\"\xc0\xaf\"}";
  parse_bad(t, strlen(t),
            "t: .a: string: invalid UTF-8 (byte 0xc0 at byte 6: overlong, surrogate, beyond U+10FFFF or truncated)",
            "overlong 2-byte '/'");
  t = "{\"a\":\"\xe0\x80\xaf\"}";
  parse_bad(t, strlen(t),
            "t: .a: string: invalid UTF-8 (byte 0xe0 at byte 6: overlong, surrogate, beyond U+10FFFF or truncated)",
            "overlong 3-byte '/'");
  t = "{\"a\":\"\xf0\x80\x80\xaf\"}";
  parse_bad(t, strlen(t),
            "t: .a: string: invalid UTF-8 (byte 0xf0 at byte 6: overlong, surrogate, beyond U+10FFFF or truncated)",
            "overlong 4-byte '/'");
  t = "{\"a\":\"ok\xed\xa0\x80\"}";
  parse_bad(t, strlen(t),
            "t: .a: string: invalid UTF-8 (byte 0xed at byte 8: overlong, surrogate, beyond U+10FFFF or truncated)",
            "a UTF-8 encoded surrogate");
  t = "{\"a\":\"\xf4\x90\x80\x80\"}";
  parse_bad(t, strlen(t),
            "t: .a: string: invalid UTF-8 (byte 0xf4 at byte 6: overlong, surrogate, beyond U+10FFFF or truncated)",
            "beyond U+10FFFF");
  t = "{\"\xc1\x81\":1}";
  parse_bad(t, strlen(t),
            "t: object key: invalid UTF-8 (byte 0xc1 at byte 2: overlong, surrogate, beyond U+10FFFF or truncated)",
            "an overlong key");
}

static void test_numbers(void)
{
  struct jnode *n = parse_ok("{\"min\":-9223372036854775808,\"over\":-9223372036854775809,\"max\":18446744073709551615,"
                             "\"max1\":18446744073709551616,\"exp\":1E400,\"negz\":-0,\"frac\":2.0}",
                             "numbers");
  if (!n)
    return;
  _cleanup_error_ berth_error_t err = NULL;
  struct jctx c = { "t", &err };
  int64_t i;
  uint64_t u;
  ok(jf_i64(&c, n, NULL, "min", INT64_MIN, INT64_MAX, &i) == 0 && i == INT64_MIN, "int64 min");
  is_err(jf_i64(&c, n, NULL, "over", INT64_MIN, INT64_MAX, &i), err, "t: .over: -9223372036854775809 is out of range",
         "below int64");
  ok(jf_u64(&c, n, NULL, "max", UINT64_MAX, &u) == 0 && u == UINT64_MAX, "uint64 max");
  is_err(jf_u64(&c, n, NULL, "max1", UINT64_MAX, &u), err, "t: .max1: 18446744073709551616 is out of range",
         "above uint64");
  is_err(jf_u64(&c, n, NULL, "exp", UINT64_MAX, &u), err, "t: .exp: expected integer", "exponent is not an integer");
  ok(jf_u64(&c, n, NULL, "negz", UINT64_MAX, &u) == 0 && u == 0, "-0 is 0");
  is_err(jf_i64(&c, n, NULL, "frac", INT64_MIN, INT64_MAX, &i), err, "t: .frac: expected integer", "2.0 is not an integer");
  uint32_t u32 = 7;
  ok(jf_u32(&c, n, NULL, "absent", UINT32_MAX, &u32) == 0 && u32 == 7, "absent field leaves the value");
  is_err(jf_u32(&c, n, NULL, "max", UINT32_MAX, &u32), err, "t: .max: 18446744073709551615 is out of range",
         "uint32 bound");
  json_free(n);
}

static void test_paths(void)
{
  const struct jpath *p = JP_KEY(JP_IDX(JP_KEY(JP_KEY(NULL, "linux"), "devices"), 3), "major");
  _cleanup_free_ char *s = jpath_render(p);
  is_str(s, ".linux.devices[3].major", "plain path");
  _cleanup_free_ char *s2 = jpath_render(JP_KEY(JP_KEY(NULL, "annotations"), "io.k8s/\"x\"\n"));
  is_str(s2, ".annotations[\"io.k8s/\\\"x\\\"\\x0a\"]", "quoted key with escapes");
  _cleanup_free_ char *s3 = jpath_render(NULL);
  is_str(s3, "", "root path");
  _cleanup_free_ char *s4 = jpath_render(JP_KEY(NULL, ""));
  is_str(s4, "[\"\"]", "empty key");
}

static void test_value_limit(void)
{
  size_t m = JSON_MAX_VALUES;
  _cleanup_free_ char *arr = xmalloc(m * 2 + 8);
  size_t len = 0;
  arr[len++] = '[';
  for (size_t i = 0; i < m - 1; i++)
    {
      arr[len++] = '0';
      arr[len++] = ',';
    }
  arr[len++] = '0';
  arr[len++] = ']';
  struct jnode *n = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  /* the array itself is one value: m items make m + 1 */
  int ret = json_parse(arr, len, "t", &n, &err);
  _cleanup_free_ char *want = xasprintf("t: [%u]: more than %u JSON values", JSON_MAX_VALUES - 1, JSON_MAX_VALUES);
  is_err(ret, err, want, "value limit names where it stopped");
  ok(n == NULL, "nothing returned");
  berth_error_free(&err);
  ok(json_parse(arr + 2, len - 2, "t", &n, &err) < 0, "garbage tail rejected");
}

int main(void)
{
  test_tree();
  test_duplicates();
  test_depth();
  test_bad_input();
  test_unicode();
  test_numbers();
  test_paths();
  test_value_limit();
  return tap_done();
}
