/* The v1 realtime budget of berth's parent cgroups (src/cgroups/rt_v1.c)
 * on a fake cgroup tree of plain files: which levels are raised, to how
 * much, and what is given back. The kernel's own checks are exercised by
 * tests/integration/cgroups-compat.bats. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/cgroups_internal.h"
#include "tap.h"
#include "util/util.h"

static char *root;

/* a fake cgroup: DIR (under root) with its runtime and period */
static void fake(const char *rel, long runtime, long period)
{
  char *dir = xasprintf("%s%s", root, rel);
  mkdir(dir, 0755);
  const char *files[] = { "cpu.rt_runtime_us", "cpu.rt_period_us" };
  long values[] = { runtime, period };
  for (int i = 0; i < 2; i++)
    {
      char *path = xasprintf("%s/%s", dir, files[i]);
      FILE *f = fopen(path, "w");
      if (f)
        {
          fprintf(f, "%ld\n", values[i]);
          fclose(f);
        }
      free(path);
    }
  free(dir);
}

static long runtime_of(const char *rel)
{
  char *dir = xasprintf("%s%s", root, rel);
  char *text = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  long v = -99;
  if (cgroup_fs_read(dir, "cpu.rt_runtime_us", &text, &err) == 0)
    v = strtol(text, NULL, 10);
  free(text);
  free(dir);
  return v;
}

static void unfake(const char *rel)
{
  char *dir = xasprintf("%s%s", root, rel);
  char *a = xasprintf("%s/cpu.rt_runtime_us", dir), *b = xasprintf("%s/cpu.rt_period_us", dir);
  unlink(a);
  unlink(b);
  rmdir(dir);
  free(a);
  free(b);
  free(dir);
}

static int reserve(const char *cg_path, int made_depth, int64_t runtime, uint64_t period, berth_error_t *err)
{
  struct cgroup_dir d = {
    .path = xasprintf("%s%s", root, cg_path), .mount_point = root, .made_depth = made_depth,
  };
  struct spec_cpu c = { 0 };
  c.realtime_runtime.set = true;
  c.realtime_runtime.value = runtime;
  c.realtime_period.set = period != 0;
  c.realtime_period.value = period;
  int r = cgroup_v1_rt_reserve(&d, cg_path, &c, err);
  free(d.path);
  return r;
}

static void release(const char *cg_path)
{
  struct cgroup_dir d = { .path = xasprintf("%s%s", root, cg_path), .mount_point = root };
  cgroup_v1_rt_release(&d, cg_path);
  free(d.path);
}

static void test_berth_parent(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  fake("/berth", 0, 1000000);
  fake("/berth/other", 30000, 1000000);
  fake("/berth/plain", 0, 1000000);
  fake("/berth/ctr", 0, 1000000);
  is_int(reserve("/berth/ctr", 1, 10000, 1000000, &err), 0, "reserve under /berth");
  /* 30000 + 10000 us per second: ratios 31457 + 10485 = 41942, whose
   * smallest runtime is 40000 us */
  is_int(runtime_of("/berth"), 40000, "/berth holds its children's budget and the new one's");
  is_int(runtime_of("/berth/ctr"), 0, "the container's own value is left to its writer");
  /* enough already: nothing is lowered by a reserve */
  fake("/berth", 500000, 1000000);
  is_int(reserve("/berth/ctr", 0, 10000, 1000000, &err), 0, "reserve with room to spare");
  is_int(runtime_of("/berth"), 500000, "a parent with enough keeps what it has");
  /* the container goes: /berth keeps what "other" needs (the fake files
   * are not truncated by a write, as cgroupfs needs none: same width) */
  fake("/berth", 40000, 1000000);
  unfake("/berth/ctr");
  release("/berth/ctr");
  is_int(runtime_of("/berth"), 30000, "release: /berth gives back what nobody below needs");
  unfake("/berth/other");
  release("/berth/other");
  is_int(runtime_of("/berth"), 0, "release: nothing needed, nothing kept");
  unfake("/berth/plain");
  unfake("/berth");
}

static void test_nested_and_periods(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  fake("/berth", 0, 1000000);
  fake("/berth/pod", 0, 500000);
  fake("/berth/pod/ctr", 0, 1000000);
  fake("/berth/pod/sib", 20000, 2000000);
  /* ctr asks 10000/100000 (a period of its own): 104857, sib 10485 */
  is_int(reserve("/berth/pod/ctr", 0, 10000, 100000, &err), 0, "reserve two levels deep");
  /* pod: 115342 of 2^20 of 500000 us -> 55000 us (54999.x rounded up) */
  is_int(runtime_of("/berth/pod"), 55000, "the pod level, in its own period");
  is_int(runtime_of("/berth"), 110000, "/berth holds what the pod level got");
  /* a budget too big for a parent's period is refused before anything is written */
  fake("/berth", 0, 1000000);
  fake("/berth/pod", 0, 500000);
  int r = reserve("/berth/pod/ctr", 0, 1000000, 1000000, &err);
  ok(r < 0 && strstr(berth_error_msg(err), "more than its"), "a level that would need more than its period: %s",
     berth_error_msg(err));
  is_int(runtime_of("/berth"), 0, "nothing written when refused");
  berth_error_free(&err);
  unfake("/berth/pod/ctr");
  unfake("/berth/pod/sib");
  unfake("/berth/pod");
  unfake("/berth");
}

static void test_whose_parents(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  /* an administrator's cgroup (not made by this create, not under /berth) */
  fake("/admin", 0, 1000000);
  fake("/admin/ctr", 0, 1000000);
  is_int(reserve("/admin/ctr", 1, 10000, 1000000, &err), 0, "reserve under someone else's cgroup");
  is_int(runtime_of("/admin"), 0, "a parent berth did not make is never written");
  unfake("/admin/ctr");
  release("/admin/ctr");
  unfake("/admin");
  /* made by this create: berth's */
  fake("/made", 0, 1000000);
  fake("/made/ctr", 0, 1000000);
  is_int(reserve("/made/ctr", 2, 10000, 1000000, &err), 0, "reserve under levels create made");
  is_int(runtime_of("/made"), 10000, "a level this create made is raised");
  unfake("/made/ctr");
  unfake("/made");
  /* runtime 0 (and -1) needs nothing */
  fake("/berth", 0, 1000000);
  fake("/berth/ctr", 0, 1000000);
  is_int(reserve("/berth/ctr", 1, -1, 0, &err), 0, "runtime -1");
  is_int(runtime_of("/berth"), 0, "-1 raises nothing (only the root can give it)");
  unfake("/berth/ctr");
  unfake("/berth");
  /* no cpu.rt_runtime_us: the kernel has no rt group scheduling */
  char *dir = xasprintf("%s/berth", root);
  mkdir(dir, 0755);
  char *leaf = xasprintf("%s/berth/ctr", root);
  mkdir(leaf, 0755);
  int r = reserve("/berth/ctr", 1, 10000, 1000000, &err);
  ok(r < 0 && strstr(berth_error_msg(err), "CONFIG_RT_GROUP_SCHED"), "no rt files: %s", berth_error_msg(err));
  rmdir(leaf);
  rmdir(dir);
  free(leaf);
  free(dir);
}

int main(void)
{
  char tmpl[] = "/tmp/berth-rt-XXXXXX";
  root = mkdtemp(tmpl);
  if (root == NULL)
    {
      ok(0, "mkdtemp");
      return tap_done();
    }
  test_berth_parent();
  test_nested_and_periods();
  test_whose_parents();
  rmdir(root);
  return tap_done();
}
