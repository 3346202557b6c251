/* Pure parsers of cgroup statistic files (src/cgroups/stats.h), fed with
 * sample text as v1 and v2 kernels write it, and the event JSON they end
 * up in. */
#include <stdlib.h>
#include <string.h>

#include "cgroups/stats.h"
#include "spec/events.h"
#include "tap.h"
#include "util/util.h"

static void test_values(void)
{
  uint64_t v = 0;
  ok(cgroup_stat_parse_value("1234\n", &v) && v == 1234, "plain value");
  ok(cgroup_stat_parse_value("max\n", &v) && v == UINT64_MAX, "max is UINT64_MAX");
  ok(!cgroup_stat_parse_value("12x\n", &v), "garbage rejected");
  ok(!cgroup_stat_parse_value("", &v), "empty rejected");

  const char *t = "usage_usec 100\nuser_usec 60\nsystem_usec 40\n";
  ok(cgroup_stat_lookup(t, "user_usec", &v) && v == 60, "lookup middle key");
  ok(!cgroup_stat_lookup(t, "user", &v), "prefix of a key is not the key");
  ok(!cgroup_stat_lookup(t, "nope", &v), "missing key");

  uint64_t *list;
  size_t n;
  cgroup_stat_parse_u64_list("11 22 33 \n", &list, &n);
  ok(n == 3 && list[0] == 11 && list[2] == 33, "percpu list");
  free(list);
}

static void test_cpu(void)
{
  struct spec_stats s = { 0 };
  cgroup_stats_parse_cpu_v2("usage_usec 2500\nuser_usec 2000\nsystem_usec 500\ncore_sched.force_idle_usec 0\n"
                            "nr_periods 10\nnr_throttled 3\nthrottled_usec 1200\nnr_bursts 0\nburst_usec 0\n",
                            &s);
  is_int(s.cpu.total, 2500000, "v2 usage_usec -> ns");
  is_int(s.cpu.user, 2000000, "v2 user");
  is_int(s.cpu.kernel, 500000, "v2 system -> kernel");
  is_int(s.cpu.periods, 10, "v2 nr_periods");
  is_int(s.cpu.throttled_periods, 3, "v2 nr_throttled");
  is_int(s.cpu.throttled_time, 1200000, "v2 throttled_usec -> ns");
  spec_stats_clear(&s);

  cgroup_stats_parse_cpuacct_v1("user 124778\nsystem 55700\n", 100, &s);
  is_int(s.cpu.user, 124778ull * 10000000ull, "v1 cpuacct.stat user ticks -> ns");
  is_int(s.cpu.kernel, 55700ull * 10000000ull, "v1 system ticks -> ns");
  cgroup_stats_parse_cpu_throttling_v1("nr_periods 7\nnr_throttled 2\nthrottled_time 999\nnr_bursts 0\n", &s);
  is_int(s.cpu.periods, 7, "v1 nr_periods");
  is_int(s.cpu.throttled_periods, 2, "v1 nr_throttled");
  is_int(s.cpu.throttled_time, 999, "v1 throttled_time already ns");
  spec_stats_clear(&s);
}

static void test_memory(void)
{
  struct spec_stats s = { 0 };
  cgroup_stats_parse_memory_stat("cache 8192\nrss 4096\nmapped_file 0\ntotal_cache 8192\n", false, &s);
  is_int(s.memory.cache, 8192, "v1 cache");
  is_int(s.memory.n_raw, 4, "v1 raw keys");
  is_str(s.memory.raw[1].key, "rss", "raw key");
  is_int(s.memory.raw[1].value, 4096, "raw value");
  spec_stats_clear(&s);

  cgroup_stats_parse_memory_stat("anon 1000\nfile 2000\nkernel 300\nbad line\n", true, &s);
  is_int(s.memory.cache, 2000, "v2 cache is file");
  is_int(s.memory.n_raw, 3, "v2 raw keys, bad line skipped");
  spec_stats_clear(&s);
}

static void test_blkio(void)
{
  struct spec_blkio_list l = { 0 };
  cgroup_stats_parse_blkio_v1("8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:0 Async 4608\n"
                              "8:0 Discard 0\n8:0 Total 4608\n253:1 Read 7\nTotal 4615\n",
                              &l);
  is_int(l.n, 7, "v1 blkio lines, grand Total skipped");
  is_int(l.v[0].major, 8, "major");
  is_int(l.v[0].minor, 0, "minor");
  is_str(l.v[0].op, "Read", "op");
  is_int(l.v[0].value, 4096, "value");
  is_int(l.v[6].major, 253, "second device major");
  is_int(l.v[6].minor, 1, "second device minor");
  struct spec_stats s = { 0 };
  s.blkio.service_bytes = l;
  spec_stats_clear(&s);

  cgroup_stats_parse_io_stat_v2("8:0 rbytes=4096 wbytes=512 rios=2 wios=1 dbytes=0 dios=0\n"
                                "253:3 rbytes=1 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n",
                                &s);
  is_int(s.blkio.service_bytes.n, 4, "v2 bytes: read+write per device");
  is_int(s.blkio.serviced.n, 4, "v2 ios: read+write per device");
  is_str(s.blkio.service_bytes.v[1].op, "Write", "wbytes is Write");
  is_int(s.blkio.service_bytes.v[1].value, 512, "wbytes value");
  is_int(s.blkio.serviced.v[0].value, 2, "rios value");
  is_int(s.blkio.service_bytes.v[2].major, 253, "v2 second device");
  spec_stats_clear(&s);
}

static void test_emit(void)
{
  struct spec_stats s = { 0 };
  s.cpu.total = 5;
  s.cpu.user = 3;
  s.memory.usage.limit = 100;
  s.memory.usage.usage = 50;
  s.pids.current = 2;
  spec_stats_raw_add(&s, "rss", 9);
  spec_stats_raw_add(&s, "cache", 1);
  spec_stats_hugetlb_add(&s, "2MB")->usage = 0;
  spec_blkio_list_add(&s.blkio.service_bytes, 8, 0, "Read", 10);
  char *json = NULL;
  size_t len;
  berth_error_t err = NULL;
  ok(spec_event_emit("stats", "c1", &s, &json, &len, &err) == 0, "emit stats");
  is_str(json,
         "{\"type\":\"stats\",\"id\":\"c1\",\"data\":{\"cpu\":{\"usage\":{\"total\":5,\"kernel\":0,\"user\":3},"
         "\"throttling\":{}},\"memory\":{\"usage\":{\"limit\":100,\"usage\":50,\"failcnt\":0},"
         "\"swap\":{\"limit\":0,\"failcnt\":0},\"kernel\":{\"limit\":0,\"failcnt\":0},"
         "\"kernelTCP\":{\"limit\":0,\"failcnt\":0},\"raw\":{\"cache\":1,\"rss\":9}},"
         "\"pids\":{\"current\":2},\"blkio\":{\"ioServiceBytesRecursive\":[{\"major\":8,\"op\":\"Read\","
         "\"value\":10}]},\"hugetlb\":{\"2MB\":{\"failcnt\":0}}}}",
         "stats event in runc's field names, omitempty honoured, map keys sorted");
  free(json);
  ok(spec_event_emit("oom", "c1", NULL, &json, &len, &err) == 0, "emit oom");
  is_str(json, "{\"type\":\"oom\",\"id\":\"c1\"}", "oom event has no data");
  free(json);
  pid_t pids[] = { 12, 345 };
  ok(spec_pids_emit(pids, 2, &json, &len, &err) == 0, "emit pids");
  is_str(json, "[12,345]", "pid array");
  free(json);
  ok(spec_pids_emit(NULL, 0, &json, &len, &err) == 0, "emit no pids");
  is_str(json, "[]", "empty pid array");
  free(json);
  spec_stats_clear(&s);
}

int main(void)
{
  test_values();
  test_cpu();
  test_memory();
  test_blkio();
  test_emit();
  return tap_done();
}
