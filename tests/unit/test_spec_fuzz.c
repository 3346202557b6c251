/* Robustness: mutate valid documents (every truncation, byte flips,
 * pseudo-random splices) and check that every parser returns cleanly:
 * either success with a result and no error, or failure with an error
 * that names the label and no result. Run under ASan/UBSan too. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "tap.h"
#include "util/util.h"

typedef int (*parse_fn)(const char *json, size_t len, const char *label, void **out, berth_error_t *err);
typedef void (*free_fn)(void *p);

static int parse_config(const char *json, size_t len, const char *label, void **out, berth_error_t *err)
{
  return spec_config_parse(json, len, label, (struct spec_config **) out, err);
}
static void free_config(void *p)
{
  const struct spec_config *c = p;
  /* what a successful parse promises the runtime */
  if (c->process && (c->process->n_args == 0 || !c->process->cwd || c->process->cwd[0] != '/'))
    abort();
  for (size_t i = 0; i < c->n_mounts; i++)
    if (c->mounts[i].destination[0] != '/')
      abort();
  spec_config_free(p);
}
static int parse_process(const char *json, size_t len, const char *label, void **out, berth_error_t *err)
{
  return spec_process_parse(json, len, label, (struct spec_process **) out, err);
}
static void free_process(void *p)
{
  spec_process_free(p);
}
static int parse_state(const char *json, size_t len, const char *label, void **out, berth_error_t *err)
{
  return spec_state_parse(json, len, label, (struct spec_state **) out, err);
}
static void free_state(void *p)
{
  spec_state_free(p);
}

struct stats
{
  size_t runs, accepted, rejected, bad;
};

/* Parse a copy of exactly len bytes (no NUL after it: the parser must
 * respect len) and check the contract. */
static void run_one(parse_fn parse, free_fn release, const char *label, const char *data, size_t len,
                    struct stats *st)
{
  char *copy = xmalloc(len ? len : 1);
  memcpy(copy, data, len);
  void *out = NULL;
  berth_error_t err = NULL;
  int ret = parse(copy, len, label, &out, &err);
  st->runs++;
  if (ret == 0 && out && !err)
    {
      st->accepted++;
      release(out);
    }
  else if (ret < 0 && !out && err && str_has_prefix(err->msg, label))
    st->rejected++;
  else
    {
      if (st->bad++ < 5)
        printf("#   contract broken at len %zu: ret %d out %p err \"%s\"\n", len, ret, out, berth_error_msg(err));
      if (out)
        release(out);
    }
  berth_error_free(&err);
  free(copy);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static void mutate_all(const char *name, parse_fn parse, free_fn release, const char *label, const char *doc,
                       size_t len)
{
  struct stats st = { 0 };
  for (size_t cut = 0; cut <= len; cut++)
    run_one(parse, release, label, doc, cut, &st);
  ok(st.bad == 0, "%s: %zu truncations return cleanly", name, len + 1);

  struct stats fl = { 0 };
  _cleanup_free_ char *buf = xmalloc(len);
  static const unsigned char masks[] = { 0x01, 0x20, 0x80, 0xff };
  for (size_t i = 0; i < len; i++)
    for (size_t k = 0; k < ARRAY_SIZE(masks); k++)
      {
        memcpy(buf, doc, len);
        buf[i] = (char) (buf[i] ^ masks[k]);
        run_one(parse, release, label, buf, len, &fl);
      }
  ok(fl.bad == 0, "%s: %zu byte flips return cleanly (%zu accepted)", name, fl.runs, fl.accepted);
  ok(fl.rejected > 0, "%s: flips are rejected sometimes", name);

  /* random splices: copy a random slice of the document over another
   * place, and sprinkle interesting bytes */
  static const char specials[] = { '"', '\\', '{', '}', '[', ']', ',', ':', '0', '-', '\0', 'e', '.' };
  struct stats sp = { 0 };
  for (int r = 0; r < 3000; r++)
    {
      memcpy(buf, doc, len);
      size_t edits = 1 + rng() % 4;
      for (size_t e = 0; e < edits; e++)
        {
          size_t at = rng() % len, from = rng() % len, n = 1 + rng() % 16;
          if (rng() % 2)
            buf[at] = specials[rng() % sizeof specials];
          else
            memmove(buf + at, doc + from, n <= len - (at > from ? at : from) ? n : 0);
        }
      run_one(parse, release, label, buf, len - rng() % 3, &sp);
    }
  ok(sp.bad == 0, "%s: %zu random splices return cleanly (%zu accepted)", name, sp.runs, sp.accepted);
}

int main(void)
{
  _cleanup_free_ char *config = NULL;
  size_t config_len = 0;
  _cleanup_error_ berth_error_t err = NULL;
  if (!ok(read_file_at(AT_FDCWD, TEST_DATA_DIR "/config-full.json", SPEC_JSON_MAX_SIZE, &config, &config_len,
                       &err) == 0,
          "read fixture"))
    return tap_done();
  struct spec_config *c = NULL;
  ok(spec_config_parse(config, config_len, "config.json", &c, &err) == 0, "fixture is valid");
  spec_config_free(c);
  mutate_all("config.json", parse_config, free_config, "config.json", config, config_len);

  const char *process = "{\"terminal\":true,\"consoleSize\":{\"height\":1,\"width\":2},\"user\":{\"uid\":1,"
                        "\"gid\":2,\"additionalGids\":[3]},\"args\":[\"sh\",\"-c\"],\"env\":[\"A=1\"],\"cwd\":\"/\","
                        "\"capabilities\":{\"bounding\":[\"CAP_KILL\"]},\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
                        "\"soft\":1,\"hard\":2}],\"oomScoreAdj\":5}";
  mutate_all("process.json", parse_process, free_process, "process.json", process, strlen(process));

  const char *state = "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"pid\":12,\"status\":\"running\",\"bundle\":\"/b\","
                      "\"created\":\"2024-01-01T00:00:00Z\",\"annotations\":{\"a\":\"b\"},\"berth\":{"
                      "\"initStartTime\":99,\"cgroupPath\":\"/x\",\"cgroupManager\":\"cgroupfs\",\"detached\":true}}";
  mutate_all("state.json", parse_state, free_state, "state.json", state, strlen(state));

  /* the default config, emitted then mutated */
  _cleanup_free_ char *def = NULL;
  size_t def_len;
  ok(spec_default_config_emit(false, &def, &def_len, &err) == 0, "default config emits");
  struct stats st = { 0 };
  for (size_t cut = 0; cut <= def_len; cut++)
    run_one(parse_config, free_config, "config.json", def, cut, &st);
  ok(st.bad == 0 && st.accepted >= 1, "default config: every truncation returns cleanly");
  return tap_done();
}
