/* Pure conversions from linux.resources to cgroupfs values (convert.c) and
 * the device rules folded into the kernel's allow/deny state (devices.c). */
#include <stdlib.h>
#include <string.h>

#include "cgroups/resources.h"
#include "tap.h"
#include "util/util.h"

static void test_shares_to_weight(void)
{
  is_int(cgroup_cpu_shares_to_weight(0), 0, "shares 0 (unset) stays unset");
  is_int(cgroup_cpu_shares_to_weight(1), 1, "shares below the v1 minimum -> weight 1");
  is_int(cgroup_cpu_shares_to_weight(2), 1, "shares 2 -> weight 1");
  /* 1 + (1024 - 2) * 9999 / 262142 = 1 + 38.98 -> 39 */
  is_int(cgroup_cpu_shares_to_weight(1024), 39, "shares 1024 (the v1 default) -> weight 39");
  is_int(cgroup_cpu_shares_to_weight(512), 20, "shares 512 -> 20");
  is_int(cgroup_cpu_shares_to_weight(262144), 10000, "shares 262144 -> weight 10000");
  is_int(cgroup_cpu_shares_to_weight(1000000), 10000, "shares above the maximum clamp to 10000");
  is_int(cgroup_blkio_weight_to_io_weight(10), 1, "blkio weight 10 -> io.weight 1");
  is_int(cgroup_blkio_weight_to_io_weight(1000), 10000, "blkio weight 1000 -> 10000");
  is_int(cgroup_blkio_weight_to_io_weight(500), 1 + 490 * 9999 / 990, "blkio weight 500 -> 4950");
}

static void test_rt_ratio(void)
{
  uint64_t unit = (uint64_t) 1 << 20;
  is_int(cgroup_rt_ratio(0, 1000000), 0, "rt runtime 0 -> ratio 0");
  is_int(cgroup_rt_ratio(-1, 1000000), unit, "rt runtime -1 (no limit) -> 1.0");
  is_int(cgroup_rt_ratio(1000000, 1000000), unit, "runtime == period -> 1.0");
  is_int(cgroup_rt_ratio(950000, 1000000), 996147, "950000/1000000, rounded down as the kernel does");
  is_int(cgroup_rt_ratio(10000, 1000000), 10485, "10000/1000000");
  is_int(cgroup_rt_ratio(5000, 500000), 10485, "the same fraction with another period");
  is_int(cgroup_rt_ratio(1, 0), 0, "period 0 -> 0");
  /* the inverse: the smallest runtime whose ratio is at least the asked one */
  is_int(cgroup_rt_runtime_for_ratio(0, 1000000), 0, "ratio 0 -> runtime 0");
  is_int(cgroup_rt_runtime_for_ratio(10485, 1000000), 10000, "10485/2^20 of 1 s -> 10000 us");
  /* 2 * 10485 (two children of 10000 us, each rounded down) fit in 19999 us */
  is_int(cgroup_rt_runtime_for_ratio(10485 * 2, 1000000), 19999, "two children of 10000 us");
  is_int(cgroup_rt_runtime_for_ratio(unit, 1000000), 1000000, "1.0 -> the whole period");
  int all_cover = 1;
  for (uint64_t r = 1; r < unit; r += 7919)
    for (uint64_t p = 1000; p <= 2000000; p = p * 3 + 1)
      {
        uint64_t rt = cgroup_rt_runtime_for_ratio(r, p);
        if (cgroup_rt_ratio((int64_t) rt, p) < r || (rt > 0 && cgroup_rt_ratio((int64_t) rt - 1, p) >= r))
          all_cover = 0;
      }
  ok(all_cover, "runtime_for_ratio is the smallest runtime reaching the ratio (sampled)");
}

static void test_swap(void)
{
  int64_t out = 0;
  _cleanup_error_ berth_error_t err = NULL;
  is_int(cgroup_swap_to_v2(-1, 1 << 20, &out, &err), 0, "swap -1");
  is_int(out, -1, "swap -1 -> memory.swap.max max");
  is_int(cgroup_swap_to_v2(3 << 20, 1 << 20, &out, &err), 0, "swap 3M limit 1M");
  is_int(out, 2 << 20, "memory.swap.max = swap - limit");
  is_int(cgroup_swap_to_v2(1 << 20, 1 << 20, &out, &err), 0, "swap == limit");
  is_int(out, 0, "swap == limit -> no swap");
  is_err(cgroup_swap_to_v2(1 << 20, 2 << 20, &out, &err), err, ".linux.resources.memory.swap: 1048576 is below",
         "swap below the limit is refused, naming the field");
  berth_error_free(&err);
  is_err(cgroup_swap_to_v2(1 << 20, 0, &out, &err), err, "needs a memory limit", "swap without a limit");
  berth_error_free(&err);
  is_err(cgroup_swap_to_v2(1 << 20, -1, &out, &err), err, "unlimited memory.limit", "swap with unlimited memory");
}

static void test_cpu_max(void)
{
  struct spec_cpu c = { .quota = { true, 10000 }, .period = { true, 100000 } };
  _cleanup_free_ char *a = cgroup_v2_cpu_max(&c, NULL);
  is_str(a, "10000 100000", "quota + period");
  c.quota.value = -1;
  _cleanup_free_ char *b = cgroup_v2_cpu_max(&c, NULL);
  is_str(b, "max 100000", "quota -1 -> max");
  c.quota.set = false;
  _cleanup_free_ char *d = cgroup_v2_cpu_max(&c, "50000 100000\n");
  is_str(d, "50000 100000", "period alone keeps the quota in force");
  c.period.value = 200000;
  _cleanup_free_ char *e = cgroup_v2_cpu_max(&c, "max 100000\n");
  is_str(e, "max 200000", "period alone with no quota -> max PERIOD");
  struct spec_cpu q = { .quota = { true, 5000 } };
  _cleanup_free_ char *f = cgroup_v2_cpu_max(&q, NULL);
  is_str(f, "5000", "quota alone keeps the kernel's period");
  struct spec_cpu none = { .shares = { true, 2 } };
  ok(cgroup_v2_cpu_max(&none, NULL) == NULL, "neither set -> nothing to write");
  struct spec_cpu zero = { .quota = { true, 0 }, .period = { true, 0 } };
  ok(cgroup_v2_cpu_max(&zero, NULL) == NULL, "0 is unset, as runc reads it");
}

static void test_hugepage_names(void)
{
  static const struct
  {
    const char *in, *want;
  } cases[] = { { "2MB", "2MB" }, { "1GB", "1GB" }, { "2048KB", "2MB" }, { "2048kB", "2MB" },
                { "64KB", "64KB" }, { "1024MB", "1GB" }, { "16GB", "16GB" } };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
    {
      _cleanup_free_ char *out = NULL;
      _cleanup_error_ berth_error_t err = NULL;
      is_int(cgroup_hugepage_name(cases[i].in, &out, &err), 0, "page size %s", cases[i].in);
      is_str(out, cases[i].want, "page size %s -> its hugetlb file name", cases[i].in);
    }
  static const char *const bad[] = { "", "MB", "2", "2mb", "2 MB", "-2MB", "2TB", "0MB" };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    {
      _cleanup_free_ char *out = NULL;
      _cleanup_error_ berth_error_t err = NULL;
      is_err(cgroup_hugepage_name(bad[i], &out, &err), err, "is not a page size", "\"%s\" refused", bad[i]);
    }
}

static void test_io_max(void)
{
  struct spec_throttle_device rbps[] = { { 8, 0, 1048576 }, { 7, 1, 100 } };
  struct spec_throttle_device wbps[] = { { 8, 0, 2097152 } };
  struct spec_throttle_device riops[] = { { 7, 1, 0 } };
  struct spec_throttle_device wiops[] = { { 8, 0, 50 }, { 9, 3, 7 } };
  struct spec_block_io b = {
    .throttle_read_bps = { rbps, 2 },
    .throttle_write_bps = { wbps, 1 },
    .throttle_read_iops = { riops, 1 },
    .throttle_write_iops = { wiops, 2 },
  };
  _cleanup_strv_ char **lines = cgroup_v2_io_max_lines(&b);
  is_int(strv_len(lines), 3, "one io.max line per device");
  is_str(lines[0], "8:0 rbps=1048576 wbps=2097152 wiops=50", "8:0: every limit on one line");
  is_str(lines[1], "7:1 rbps=100 riops=max", "7:1: rate 0 is no limit");
  is_str(lines[2], "9:3 wiops=7", "9:3: only what is given");
  struct spec_block_io empty = { 0 };
  ok(cgroup_v2_io_max_lines(&empty) == NULL, "no throttles, no lines");
  _cleanup_free_ char *w = cgroup_weight_device_line(8, 16, 500);
  is_str(w, "8:16 500", "weight device line");
}

static void test_rdma_unified(void)
{
  struct spec_rdma r = { .device = "mlx5_1", .hca_handles = { true, 3 } };
  _cleanup_free_ char *a = cgroup_rdma_line(&r);
  is_str(a, "mlx5_1 hca_handle=3", "rdma: handles only");
  r.hca_objects = (spec_opt_u64) { true, 1000 };
  _cleanup_free_ char *b = cgroup_rdma_line(&r);
  is_str(b, "mlx5_1 hca_handle=3 hca_object=1000", "rdma: both");
  struct spec_rdma none = { .device = "x" };
  ok(cgroup_rdma_line(&none) == NULL, "rdma: nothing set");

  _cleanup_error_ berth_error_t err = NULL;
  is_int(cgroup_unified_key_check("memory.high", &err), 0, "unified: memory.high is fine");
  static const char *const bad[] = { "", ".", "..", "../memory.max", "a/b" };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    {
      _cleanup_error_ berth_error_t e = NULL;
      is_err(cgroup_unified_key_check(bad[i], &e), e, ".linux.resources.unified", "unified key \"%s\" refused",
             bad[i]);
    }
}

/* ---- device rules */

static struct spec_device_cgroup dev(bool allow, const char *type, int64_t major, int64_t minor,
                                     const char *access)
{
  return (struct spec_device_cgroup) {
    .allow = allow,
    .type = (char *) type,
    .major = { major != -2, major },
    .minor = { minor != -2, minor },
    .access = (char *) access,
  };
}
#define ANY -2 /* unset in the JSON */

static char *state_string(const struct cgroup_dev_state *s)
{
  char *out = xstrdup(s->default_allow ? "allow" : "deny");
  for (size_t i = 0; i < s->n; i++)
    {
      _cleanup_free_ char *r = cgroup_dev_rule_v1_string(&s->ex[i]);
      char *next = xasprintf("%s; %s", out, r);
      free(out);
      out = next;
    }
  return out;
}

/* the user's rules only (no defaults): emulate and render */
static char *emulate_only(const struct spec_device_cgroup *rules, size_t n)
{
  struct cgroup_dev_rules r = { 0 };
  _cleanup_error_ berth_error_t err = NULL;
  if (cgroup_dev_rules_build(rules, n, &r, &err) < 0)
    return xstrdup(berth_error_msg(err));
  /* drop the default devices appended after the user's rules */
  r.n = n;
  struct cgroup_dev_state s;
  cgroup_dev_emulate(&r, &s);
  char *out = state_string(&s);
  cgroup_dev_state_clear(&s);
  cgroup_dev_rules_clear(&r);
  return out;
}

static void test_device_rules(void)
{
  struct spec_device_cgroup deny_all = dev(false, NULL, ANY, ANY, "rwm");
  struct spec_device_cgroup r1[] = { deny_all, dev(true, "c", 1, 3, "rwm"), dev(true, "b", 8, ANY, "r") };
  _cleanup_free_ char *s1 = emulate_only(r1, 3);
  is_str(s1, "deny; c 1:3 rwm; b 8:* r", "deny all, then allows become exceptions");

  /* the last matching rule wins: a later deny takes access off */
  struct spec_device_cgroup r2[] = { deny_all, dev(true, "c", 10, 200, "rwm"), dev(false, "c", 10, 200, "w") };
  _cleanup_free_ char *s2 = emulate_only(r2, 3);
  is_str(s2, "deny; c 10:200 rm", "a later deny removes w");

  struct spec_device_cgroup r3[] = { deny_all, dev(true, "c", 1, 3, "r"), dev(true, "c", 1, 3, "w"),
                                     dev(false, "c", 1, 3, "rw") };
  _cleanup_free_ char *s3 = emulate_only(r3, 4);
  is_str(s3, "deny", "allow r, allow w, deny rw: nothing left");

  struct spec_device_cgroup r4[] = { dev(true, "a", ANY, ANY, "rwm"), dev(false, "c", 5, 1, "rwm") };
  _cleanup_free_ char *s4 = emulate_only(r4, 2);
  is_str(s4, "allow; c 5:1 rwm", "allow all, deny one");

  struct spec_device_cgroup r5[] = { dev(true, "c", 1, 3, "rwm"), deny_all };
  _cleanup_free_ char *s5 = emulate_only(r5, 2);
  is_str(s5, "deny", "a later deny-all wipes what came before");

  struct spec_device_cgroup r6[] = { deny_all, dev(true, NULL, 4, ANY, "r") };
  _cleanup_free_ char *s6 = emulate_only(r6, 2);
  is_str(s6, "deny; c 4:* r; b 4:* r", "type a for one major covers c and b");

  struct spec_device_cgroup r7[] = { deny_all, dev(true, "c", 1, 3, "") };
  _cleanup_free_ char *s7 = emulate_only(r7, 2);
  is_str(s7, "deny; c 1:3 rwm", "empty access means rwm");

  /* validation names the rule */
  struct spec_device_cgroup bad1[] = { deny_all, dev(true, "x", 1, 3, "rwm") };
  _cleanup_free_ char *b1 = emulate_only(bad1, 2);
  ok(strstr(b1, ".linux.resources.devices[1].type") != NULL, "bad type: %s", b1);
  struct spec_device_cgroup bad2[] = { dev(true, "c", 1, 3, "rwx") };
  _cleanup_free_ char *b2 = emulate_only(bad2, 1);
  ok(strstr(b2, ".linux.resources.devices[0].access") != NULL, "bad access: %s", b2);
  struct spec_device_cgroup bad3[] = { dev(true, "c", -5, 3, "r") };
  _cleanup_free_ char *b3 = emulate_only(bad3, 1);
  ok(strstr(b3, ".linux.resources.devices[0].major") != NULL, "bad major: %s", b3);

  /* the whole set for a container: the engine's rules, then the default
   * devices; a node the engine allowed read-only stays read-only */
  struct spec_device_cgroup engine[] = { deny_all, dev(true, "b", 7, 0, "r"), dev(true, "c", 10, 229, "rw") };
  struct cgroup_dev_rules all = { 0 };
  _cleanup_error_ berth_error_t err = NULL;
  is_int(cgroup_dev_rules_build(engine, 3, &all, &err), 0, "build the container's rules");
  is_int(all.n, 3 + 10, "the engine's rules and the 10 default rules, nothing else");
  struct cgroup_dev_state st;
  cgroup_dev_emulate(&all, &st);
  _cleanup_free_ char *full = state_string(&st);
  is_str(full,
         "deny; b 7:0 r; c 10:229 rw; c *:* m; b *:* m; c 1:3 rwm; c 1:5 rwm; c 1:7 rwm; c 1:8 rwm; "
         "c 1:9 rwm; c 5:0 rwm; c 5:2 rwm; c 136:* rwm",
         "defaults after the engine's rules; b 7:0 gets no w");
  cgroup_dev_state_clear(&st);
  cgroup_dev_rules_clear(&all);

  struct cgroup_dev_rule a = { 'a', -1, -1, CGROUP_DEV_RWM, false };
  _cleanup_free_ char *as = cgroup_dev_rule_v1_string(&a);
  is_str(as, "a", "v1 string for all devices");
  struct cgroup_dev_rule m = { 'b', 8, -1, CGROUP_DEV_MKNOD | CGROUP_DEV_WRITE, true };
  _cleanup_free_ char *ms = cgroup_dev_rule_v1_string(&m);
  is_str(ms, "b 8:* wm", "v1 string with a wildcard");
}

static void test_state_for(void)
{
  struct cgroup_dev_state s = { 0 };
  bool applies = true;
  _cleanup_error_ berth_error_t err = NULL;
  struct spec_resources r = { 0 };
  is_int(cgroup_dev_state_for(&r, NULL, &s, &applies, &err), 0, "update without device rules");
  ok(!applies, "an update without device rules leaves the devices alone");
  struct cgroup_apply_options o = { .devices_always = true };
  is_int(cgroup_dev_state_for(NULL, &o, &s, &applies, &err), 0, "create without resources");
  ok(applies && !s.default_allow && s.n == 10, "create without resources: default deny + %zu defaults", s.n);
  cgroup_dev_state_clear(&s);
}

static void test_v1_list_and_diff(void)
{
  struct cgroup_dev_state cur;
  bool complete;
  is_int(cgroup_dev_state_parse_v1("a *:* rwm\n", &cur, &complete), 0, "parse an allow-all list");
  ok(cur.default_allow && !complete && cur.n == 0, "allow all: default allow, exceptions unknown");
  cgroup_dev_state_clear(&cur);
  ok(cgroup_dev_state_parse_v1("c 1:3 rwx\n", &cur, &complete) < 0, "a bad access is refused");
  ok(cgroup_dev_state_parse_v1("c 1 rwm\n", &cur, &complete) < 0, "a line without major:minor is refused");

  is_int(cgroup_dev_state_parse_v1("c 1:3 rwm\nc *:* m\nb 8:16 r\nc 5:1 rw\n", &cur, &complete), 0,
         "parse a deny-by-default list");
  _cleanup_free_ char *cs = state_string(&cur);
  is_str(cs, "deny; c 1:3 rwm; c *:* m; b 8:16 r; c 5:1 rw", "the list read back");
  ok(complete, "deny by default: the list is complete");

  /* want: null stays, 8:16 gains w, 5:1 loses w, 4:* is new, c *:* m goes */
  struct cgroup_dev_rule want_ex[] = { { 'c', 1, 3, CGROUP_DEV_RWM, true },
                                       { 'b', 8, 16, CGROUP_DEV_READ | CGROUP_DEV_WRITE, true },
                                       { 'c', 5, 1, CGROUP_DEV_READ, true },
                                       { 'c', 4, -1, CGROUP_DEV_READ, true } };
  struct cgroup_dev_state want = { .default_allow = false, .ex = want_ex, .n = 4 };
  struct cgroup_dev_writes w;
  cgroup_dev_diff_v1(&cur, &want, &w);
  char *all = xstrdup("");
  for (size_t i = 0; i < w.n; i++)
    {
      char *next = xasprintf("%s%s%s < %s", all, i ? "; " : "", w.files[i], w.lines[i]);
      free(all);
      all = next;
    }
  is_str(all, "devices.allow < b 8:16 w; devices.allow < c 4:* r; devices.deny < c *:* m; devices.deny < c 5:1 w",
         "only the changes, allows first");
  free(all);
  cgroup_dev_writes_clear(&w);
  cgroup_dev_diff_v1(&cur, &cur, &w);
  is_int(w.n, 0, "no change, no writes");
  cgroup_dev_state_clear(&cur);
}

int main(void)
{
  test_v1_list_and_diff();
  test_shares_to_weight();
  test_swap();
  test_rt_ratio();
  test_cpu_max();
  test_hugepage_names();
  test_io_max();
  test_rdma_unified();
  test_device_rules();
  test_state_for();
  return tap_done();
}
