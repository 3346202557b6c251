/* Pure helpers of src/cgroups: path resolution, mountinfo parsing, mode
 * detection. No root, no cgroupfs. */
#include <stdlib.h>

#include "cgroups/cgroups_internal.h"
#include "tap.h"
#include "util/util.h"

/* /proc/self/mountinfo of the hybrid dev host (Debian 12 VM) */
static const char hybrid_mountinfo[] =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
    "23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n"
    "24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334492k,nr_inodes=3083623,mode=755\n"
    "25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k\n"
    "26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000\n"
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534\n"
    "28 27 0:25 / /mnt/sandboxing/model_tools_env/v1/python ro,nosuid,nodev,relatime - tmpfs model_tools_unavailable ro,size=4k,mode=755\n"
    "29 26 0:26 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000\n"
    "30 25 0:27 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

/* a systemd-era pure v2 host (Debian 12 default) */
static const char v2_mountinfo[] =
    "21 26 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "22 26 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
    "26 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n"
    "27 21 0:6 / /sys/kernel/security rw,nosuid,nodev,noexec,relatime shared:8 - securityfs securityfs rw\n"
    "29 21 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
    "30 21 0:25 / /sys/fs/pstore rw,nosuid,nodev,noexec,relatime shared:10 - pstore pstore rw\n";

/* old legacy host: co-mounted cpu,cpuacct and net_cls,net_prio, no cgroup2 */
static const char legacy_mountinfo[] =
    "25 18 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct\n"
    "30 25 0:27 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,net_cls,net_prio\n"
    "31 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,memory\n";

static void test_resolve_path(void)
{
  struct
  {
    const char *in, *id, *want;
  } good[] = {
    { "/a/b", "c1", "/a/b" },
    { "/a//b/", "c1", "/a/b" },
    { "//a///b//", "c1", "/a/b" },
    { "/a/./b", "c1", "/a/b" },
    { "rel", "c1", "/berth/rel" },
    { "rel/x//y/", "c1", "/berth/rel/x/y" },
    { "", "c1", "/berth/c1" },
    { NULL, "c1", "/berth/c1" },
    { "/a..b/..c", "c1", "/a..b/..c" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(good); i++)
    {
      _cleanup_error_ berth_error_t err = NULL;
      _cleanup_free_ char *out = NULL;
      _cleanup_free_ char *label = xasprintf("resolve \"%s\" -> %s", good[i].in ? good[i].in : "(null)",
                                             good[i].want);
      int r = cgroup_resolve_path(good[i].in, good[i].id, &out, &err);
      is_int(r, 0, "%s: returns 0", label);
      is_str(out, good[i].want, "%s", label);
    }

  struct
  {
    const char *in, *id, *msg;
  } bad[] = {
    { "/a/../b", "c1", "\"..\" is not allowed" },
    { "..", "c1", "\"..\" is not allowed" },
    { "a/..", "c1", "\"..\" is not allowed" },
    { "/", "c1", "root cgroup" },
    { "///", "c1", "root cgroup" },
    { "/./", "c1", "root cgroup" },
    { NULL, "", "cannot name a cgroup" },
    { NULL, "a/b", "cannot name a cgroup" },
    { "", "..", "cannot name a cgroup" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    {
      _cleanup_error_ berth_error_t err = NULL;
      char *out = NULL;
      int r = cgroup_resolve_path(bad[i].in, bad[i].id, &out, &err);
      is_err(r, err, bad[i].msg, "resolve \"%s\" (id \"%s\") fails", bad[i].in ? bad[i].in : "(null)",
             bad[i].id);
      ok(out == NULL, "no output on failure");
    }
}

static const struct cgroup_hierarchy *find(const struct cgroup_mounts *m, const char *mp)
{
  for (size_t i = 0; i < m->n; i++)
    if (str_eq(m->h[i].mount_point, mp))
      return &m->h[i];
  return NULL;
}

static void test_hybrid(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  struct cgroup_mounts m;
  is_int(cgroup_parse_mountinfo(hybrid_mountinfo, &m, &err), 0, "hybrid: parse");
  is_int(m.n, 10, "hybrid: 9 v1 hierarchies + unified");
  const struct cgroup_hierarchy *h = find(&m, "/sys/fs/cgroup/memory");
  ok(h && !h->v2 && cgroup_controllers_have(h->controllers, "memory") && strv_len(h->controllers) == 1,
     "hybrid: memory hierarchy has exactly the memory controller");
  h = find(&m, "/sys/fs/cgroup/systemd");
  ok(h && cgroup_controllers_have(h->controllers, "name=systemd") && strv_len(h->controllers) == 1,
     "hybrid: name=systemd hierarchy found");
  h = find(&m, "/sys/fs/cgroup/unified");
  ok(h && h->v2 && h->controllers == NULL, "hybrid: unified is cgroup2");
  ok(find(&m, "/sys/fs/cgroup") == NULL, "hybrid: the tmpfs is not a hierarchy");
  enum cgroup_mode mode = CGROUP_MODE_UNIFIED;
  is_int(cgroup_mode_from_mounts(&m, &mode, &err), 0, "hybrid: mode detected");
  is_int(mode, CGROUP_MODE_HYBRID, "hybrid: mode is hybrid");
  cgroup_mounts_clear(&m);
}

static void test_v2(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  struct cgroup_mounts m;
  is_int(cgroup_parse_mountinfo(v2_mountinfo, &m, &err), 0, "v2: parse (optional fields)");
  is_int(m.n, 1, "v2: one hierarchy");
  ok(m.n == 1 && m.h[0].v2 && str_eq(m.h[0].mount_point, "/sys/fs/cgroup") && str_eq(m.h[0].root, "/"),
     "v2: cgroup2 at /sys/fs/cgroup");
  enum cgroup_mode mode = CGROUP_MODE_LEGACY;
  is_int(cgroup_mode_from_mounts(&m, &mode, &err), 0, "v2: mode detected");
  is_int(mode, CGROUP_MODE_UNIFIED, "v2: mode is unified");
  cgroup_mounts_clear(&m);
}

static void test_legacy(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  struct cgroup_mounts m;
  is_int(cgroup_parse_mountinfo(legacy_mountinfo, &m, &err), 0, "legacy: parse");
  is_int(m.n, 4, "legacy: four hierarchies");
  const struct cgroup_hierarchy *h = find(&m, "/sys/fs/cgroup/cpu,cpuacct");
  ok(h && cgroup_controllers_have(h->controllers, "cpu") && cgroup_controllers_have(h->controllers, "cpuacct")
         && strv_len(h->controllers) == 2,
     "legacy: co-mounted cpu,cpuacct split into two controllers");
  h = find(&m, "/sys/fs/cgroup/systemd");
  ok(h && strv_len(h->controllers) == 1 && str_eq(h->controllers[0], "name=systemd"),
     "legacy: xattr and release_agent= are not controllers");
  enum cgroup_mode mode = CGROUP_MODE_UNIFIED;
  is_int(cgroup_mode_from_mounts(&m, &mode, &err), 0, "legacy: mode detected");
  is_int(mode, CGROUP_MODE_LEGACY, "legacy: mode is legacy");
  cgroup_mounts_clear(&m);
}

static void test_edge_cases(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  struct cgroup_mounts m;
  enum cgroup_mode mode;

  /* a v2 host with a leftover name=systemd v1 mount is still unified */
  const char *v2_named = "29 21 0:24 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
                         "40 29 0:37 / /run/systemd-v1 rw - cgroup cgroup rw,name=systemd\n";
  cgroup_parse_mountinfo(v2_named, &m, &err);
  is_int(m.n, 2, "v2 + named v1: both parsed");
  is_int(cgroup_mode_from_mounts(&m, &mode, &err), 0, "v2 + named v1: detected");
  is_int(mode, CGROUP_MODE_UNIFIED, "v2 + named v1: unified (no controller lives in v1)");
  cgroup_mounts_clear(&m);

  /* a subtree bind mount of the same hierarchy first, then its root */
  const char *dup = "50 1 0:32 /sub /mnt/memsub rw - cgroup cgroup rw,memory\n"
                    "51 1 0:32 / /sys/fs/cgroup/mem\\040ory rw - cgroup cgroup rw,memory\n"
                    "52 1 0:32 /other /mnt/other rw - cgroup cgroup rw,memory\n";
  cgroup_parse_mountinfo(dup, &m, &err);
  is_int(m.n, 1, "same superblock twice: one hierarchy");
  ok(m.n == 1 && str_eq(m.h[0].mount_point, "/sys/fs/cgroup/mem ory") && str_eq(m.h[0].root, "/"),
     "the mount showing the root wins, \\040 unescaped (got %s)", m.n ? m.h[0].mount_point : "-");
  cgroup_mounts_clear(&m);

  /* garbage and truncated lines are skipped */
  cgroup_parse_mountinfo("garbage\n\n1 2 0:3 / /x rw\n1 2 0:3 / /y rw - cgroup2", &m, &err);
  is_int(m.n, 1, "truncated lines skipped, a line without super options still parses");
  cgroup_mounts_clear(&m);

  cgroup_parse_mountinfo("22 27 0:21 / /proc rw,relatime - proc proc rw\n", &m, &err);
  is_int(m.n, 0, "no cgroup mounts");
  is_err(cgroup_mode_from_mounts(&m, &mode, &err), err, "no cgroup filesystem", "no mounts: error");
  cgroup_mounts_clear(&m);
}

static void test_controllers_text(void)
{
  ok(cgroup_controllers_text_has("cpuset cpu io memory hugetlb pids\n", "hugetlb"), "hugetlb listed");
  ok(cgroup_controllers_text_has("hugetlb\n", "hugetlb"), "hugetlb alone");
  ok(!cgroup_controllers_text_has("cpu io memory\n", "hugetlb"), "hugetlb not listed");
  ok(!cgroup_controllers_text_has("cpu hugetlbx pids\n", "hugetlb"), "a longer word is not hugetlb");
  ok(!cgroup_controllers_text_has("", "hugetlb"), "nothing listed");
}

static void test_sub_specs(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  struct cgroup_sub_spec *s = NULL;
  size_t n = 0;

  char *plain[] = {"/a//b/./c/", NULL};
  ok(cgroup_parse_sub_specs(plain, &s, &n, &err) == 0 && n == 1 && s[0].controller == NULL
         && str_eq(s[0].path, "/a/b/c"),
     "a plain PATH: every hierarchy, normalised, a leading / is the container's cgroup");
  cgroup_sub_specs_free(s, n);

  char *ctrl[] = {"cpu,memory:x", "pids:/", NULL};
  ok(cgroup_parse_sub_specs(ctrl, &s, &n, &err) == 0 && n == 3 && str_eq(s[0].controller, "cpu")
         && str_eq(s[1].controller, "memory") && str_eq(s[1].path, "/x") && str_eq(s[2].controller, "pids")
         && str_eq(s[2].path, ""),
     "CTRL,CTRL:PATH: one entry per controller; \"/\" is the container's cgroup itself");
  cgroup_sub_specs_free(s, n);

  static const struct
  {
    const char *a, *b, *msg;
  } bad[] = {
    {"..", NULL, "\"..\" is not allowed"},
    {"x/../../y", NULL, "\"..\" is not allowed"},
    {"memory:../x", NULL, "\"..\" is not allowed"},
    {":x", NULL, "an empty controller name"},
    {"cpu,,memory:x", NULL, "an empty controller name"},
    {"memory:a:b", NULL, "more than one"},
    {"memory:a", "memory:b", "given twice"},
    {"a", "b", "a second PATH"},
    {"a", "memory:b", "must be the only --cgroup"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    {
      char *v[] = {(char *) bad[i].a, (char *) bad[i].b, NULL};
      is_err(cgroup_parse_sub_specs(v, &s, &n, &err), err, bad[i].msg, "--cgroup %s %s refused", bad[i].a,
             bad[i].b ? bad[i].b : "");
    }
}

int main(void)
{
  test_sub_specs();
  test_controllers_text();
  test_resolve_path();
  test_hybrid();
  test_v2();
  test_legacy();
  test_edge_cases();
  return tap_done();
}
