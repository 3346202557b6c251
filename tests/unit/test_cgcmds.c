/* Pure helpers of pause/update/ps/events (src/runtime/cgcmds.h) and the
 * resources emitter/merge update uses (src/spec/events.h). */
#include <stdlib.h>
#include <string.h>

#include "runtime/cgcmds.h"
#include "spec/events.h"
#include "tap.h"
#include "util/util.h"

static void test_duration(void)
{
  static const struct
  {
    const char *in;
    uint64_t ns;
  } good[] = {
    { "5s", 5000000000ull },   { "500ms", 500000000ull }, { "1m", 60000000000ull },
    { "1h30m", 5400000000000ull }, { "1.5s", 1500000000ull }, { "100us", 100000ull },
    { "100\xc2\xb5s", 100000ull }, { "10ns", 10ull },      { ".5s", 500000000ull },
  };
  for (size_t i = 0; i < ARRAY_SIZE(good); i++)
    {
      uint64_t ns = 0;
      berth_error_t err = NULL;
      int r = parse_go_duration(good[i].in, &ns, &err);
      ok(r == 0 && ns == good[i].ns, "duration %s = %llu ns (got %llu)", good[i].in,
         (unsigned long long) good[i].ns, (unsigned long long) ns);
      berth_error_free(&err);
    }
  static const char *const bad[] = { "", "5", "0", "0s", "s", "5x", "-5s", "1.s.", "99999999999999999999h" };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    {
      uint64_t ns = 0;
      berth_error_t err = NULL;
      is_err(parse_go_duration(bad[i], &ns, &err), err, "invalid duration", "duration \"%s\" rejected", bad[i]);
      berth_error_free(&err);
    }
}

static void test_memory_size(void)
{
  static const struct
  {
    const char *in;
    int64_t v;
  } good[] = {
    { "1024", 1024 },         { "32m", 32 << 20 },     { "32M", 32 << 20 },   { "32mb", 32 << 20 },
    { "32MiB", 32 << 20 },    { "1g", 1ll << 30 },     { "1.5k", 1536 },      { "-1", -1 },
    { "64 kB", 64 << 10 },    { "2t", 2ll << 40 },     { "0", 0 },            { "7b", 7 },
  };
  for (size_t i = 0; i < ARRAY_SIZE(good); i++)
    {
      int64_t v = 0;
      berth_error_t err = NULL;
      int r = parse_memory_size("memory", good[i].in, &v, &err);
      ok(r == 0 && v == good[i].v, "size %s = %lld (got %lld)", good[i].in, (long long) good[i].v,
         (long long) v);
      berth_error_free(&err);
    }
  static const char *const bad[] = { "", "m", "12q", "-2", "1mm", "10 gigs", "99999999999p" };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    {
      int64_t v = 0;
      berth_error_t err = NULL;
      is_err(parse_memory_size("memory", bad[i], &v, &err), err, "--memory", "size \"%s\" rejected", bad[i]);
      berth_error_free(&err);
    }
}

static void test_ps_filter(void)
{
  const char *out = "UID          PID    PPID  C STIME TTY          TIME CMD\n"
                    "root           1       0  0 10:00 ?        00:00:01 /sbin/init\n"
                    "root         123       1  0 10:01 ?        00:00:00 sleep 100\n"
                    "root        1234     123  0 10:01 ?        00:00:00 sh -c 123\n"
                    "root          12       1  0 10:01 ?        00:00:00 x 123\n";
  pid_t pids[] = { 123, 12 };
  char *table = NULL;
  berth_error_t err = NULL;
  ok(ps_filter_table(out, pids, 2, &table, &err) == 0, "filter ps -ef");
  is_str(table,
         "UID          PID    PPID  C STIME TTY          TIME CMD\n"
         "root         123       1  0 10:01 ?        00:00:00 sleep 100\n"
         "root          12       1  0 10:01 ?        00:00:00 x 123\n",
         "header and the container's lines only (PID column, not PPID or args)");
  free(table);
  is_err(ps_filter_table("USER COMMAND\nroot sh\n", pids, 2, &table, &err), err, "no PID field",
         "ps output without PID column");
  berth_error_free(&err);
}

static void test_resources(void)
{
  const char *base_json = "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
                          "\"memory\":{\"limit\":1048576,\"swap\":2097152},"
                          "\"cpu\":{\"shares\":512,\"cpus\":\"0\"},\"pids\":{\"limit\":10},"
                          "\"unified\":{\"memory.high\":\"max\"}}";
  const char *upd_json = "{\"memory\":{\"limit\":4194304},\"cpu\":{\"cpus\":\"0-1\",\"quota\":5000},"
                         "\"blockIO\":{\"weight\":300}}";
  struct spec_resources *base = NULL, *upd = NULL, *back = NULL;
  berth_error_t err = NULL;
  ok(spec_resources_parse(base_json, strlen(base_json), "base", &base, &err) == 0, "parse base");
  ok(spec_resources_parse(upd_json, strlen(upd_json), "upd", &upd, &err) == 0, "parse update");
  spec_resources_merge(base, upd);
  spec_resources_free(upd);
  is_int(base->memory->limit.value, 4194304, "limit replaced");
  is_int(base->memory->swap.value, 2097152, "swap kept");
  is_str(base->cpu->cpus, "0-1", "cpus replaced");
  is_int(base->cpu->shares.value, 512, "shares kept");
  ok(base->cpu->quota.set && base->cpu->quota.value == 5000, "quota added");
  ok(base->block_io && base->block_io->weight.value == 300, "blockIO moved in");
  is_int(base->pids_limit.value, 10, "pids kept");
  is_int(base->n_devices, 1, "devices kept");

  char *json = NULL;
  size_t len;
  ok(spec_resources_emit(base, &json, &len, &err) == 0, "emit merged");
  is_str(json,
         "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],\"memory\":{\"limit\":4194304,\"swap\":2097152},"
         "\"cpu\":{\"shares\":512,\"quota\":5000,\"cpus\":\"0-1\"},\"blockIO\":{\"weight\":300},"
         "\"pids\":{\"limit\":10},\"unified\":{\"memory.high\":\"max\"}}",
         "emitted JSON");
  ok(spec_resources_parse(json, len, "back", &back, &err) == 0, "emitted JSON parses back");
  char *json2 = NULL;
  ok(spec_resources_emit(back, &json2, &len, &err) == 0 && str_eq(json, json2), "round trip is stable");
  free(json);
  free(json2);
  spec_resources_free(back);
  spec_resources_free(base);
}

int main(void)
{
  test_duration();
  test_memory_size();
  test_ps_filter();
  test_resources();
  return tap_done();
}
