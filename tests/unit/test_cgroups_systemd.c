/* The pure half of the systemd cgroup driver (systemd_props.c): cgroupsPath
 * "slice:prefix:name", nested slices, linux.resources and annotations as
 * unit properties. No root, no D-Bus. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroups/systemd.h"
#include "tap.h"
#include "util/util.h"

static void check_slice(const char *slice, const char *want)
{
  char *path = NULL;
  berth_error_t err = NULL;
  int r = cgroup_systemd_slice_path(slice, &path, &err);
  if (want)
    {
      ok(r == 0, "slice %s is valid", slice);
      is_str(path, want, "slice %s -> %s", slice, want);
    }
  else
    ok(r < 0 && err && strstr(err->msg, slice), "slice %s is refused (%s)", slice, err ? err->msg : "");
  free(path);
  berth_error_free(&err);
}

static void test_slices(void)
{
  check_slice("system.slice", "/system.slice");
  check_slice("a-b.slice", "/a.slice/a-b.slice");
  check_slice("a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice");
  check_slice("machine.slice", "/machine.slice");
  check_slice("-.slice", "");
  check_slice("user-1000.slice", "/user.slice/user-1000.slice");
  check_slice("a--b.slice", NULL);
  check_slice("-a.slice", NULL);
  check_slice("a-.slice", NULL);
  check_slice("a/b.slice", NULL);
  check_slice("../x.slice", NULL);
  check_slice("system", NULL);
  check_slice(".slice", NULL);
  check_slice("a b.slice", NULL);
}

static void check_path(const char *cgroups_path, const char *id, const char *unit, const char *slice,
                       const char *cg_path)
{
  struct cgroup_systemd_unit u;
  berth_error_t err = NULL;
  int r = cgroup_systemd_parse_path(cgroups_path, id, &u, &err);
  ok(r == 0, "cgroupsPath \"%s\" is valid (%s)", cgroups_path ? cgroups_path : "(none)", err ? err->msg : "");
  if (r == 0)
    {
      is_str(u.unit, unit, "  unit");
      is_str(u.slice, slice, "  slice");
      is_str(u.cg_path, cg_path, "  cgroup");
      /* the state keeps the cgroup path: the unit comes back from it */
      struct cgroup_systemd_unit back;
      ok(cgroup_systemd_unit_from_cg_path(u.cg_path, &back, &err) == 0, "  unit from %s", u.cg_path);
      is_str(back.unit, unit, "  ... the same unit");
      is_str(back.slice, slice, "  ... the same slice");
      cgroup_systemd_unit_clear(&back);
      cgroup_systemd_unit_clear(&u);
    }
  berth_error_free(&err);
}

static void check_bad_path(const char *cgroups_path, const char *text)
{
  struct cgroup_systemd_unit u;
  berth_error_t err = NULL;
  is_err(cgroup_systemd_parse_path(cgroups_path, "id", &u, &err), err, text, "cgroupsPath \"%s\" refused: %s",
         cgroups_path, text);
  ok(err && strstr(err->msg, cgroups_path), "  the error names the cgroupsPath");
  berth_error_free(&err);
}

static void test_paths(void)
{
  check_path(NULL, "c1", "berth-c1.scope", "system.slice", "/system.slice/berth-c1.scope");
  check_path("", "c1", "berth-c1.scope", "system.slice", "/system.slice/berth-c1.scope");
  check_path("system.slice:cri-containerd:abc", "x", "cri-containerd-abc.scope", "system.slice",
             "/system.slice/cri-containerd-abc.scope");
  check_path("machine.slice:libpod:0123", "x", "libpod-0123.scope", "machine.slice",
             "/machine.slice/libpod-0123.scope");
  check_path("kubepods-besteffort-pod12.slice:cri-containerd:abc", "x", "cri-containerd-abc.scope",
             "kubepods-besteffort-pod12.slice",
             "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/cri-containerd-abc.scope");
  check_path(":berth:c2", "x", "berth-c2.scope", "system.slice", "/system.slice/berth-c2.scope");
  check_path("system.slice::c3", "x", "c3.scope", "system.slice", "/system.slice/c3.scope");
  check_path("-.slice:p:c4", "x", "p-c4.scope", "-.slice", "/p-c4.scope");
  check_path("a.slice:x:a-b.slice", "x", "a-b.slice", "a.slice", "/a.slice/a-b.slice");
  check_path("::a-b.slice", "x", "a-b.slice", "a.slice", "/a.slice/a-b.slice");

  check_bad_path("/berth/c1", "expects \"slice:prefix:name\"");
  check_bad_path("a:b", "expects \"slice:prefix:name\"");
  check_bad_path("a.slice:b:c:d", "expects \"slice:prefix:name\"");
  check_bad_path("system.slice:p:", "the unit name");
  check_bad_path("system.slice:p:../../x", "may hold only");
  check_bad_path("system.slice:p/q:x", "may hold only");
  check_bad_path("system.slice:p:a/b", "may hold only");
  check_bad_path("../system.slice:p:x", "not a valid unit name");
  check_bad_path("system:p:x", "not a slice name");
  check_bad_path("b.slice:x:a-b.slice", "sits in a.slice");
  check_bad_path("::-.slice", "root slice");

  struct cgroup_systemd_unit u;
  berth_error_t err = NULL;
  is_err(cgroup_systemd_unit_from_cg_path("/berth/c1", &u, &err), err, "not a systemd scope",
         "a cgroupfs path is no unit");
  berth_error_free(&err);
}

static void test_cpu_mask(void)
{
  uint8_t *b = NULL;
  size_t n = 0;
  berth_error_t err = NULL;
  ok(cgroup_systemd_cpu_mask("0-3,8", "f", &b, &n, &err) == 0 && n == 2 && b[0] == 0x0f && b[1] == 0x01,
     "0-3,8 -> 0f 01");
  free(b);
  ok(cgroup_systemd_cpu_mask("1", "f", &b, &n, &err) == 0 && n == 1 && b[0] == 0x02, "1 -> 02");
  free(b);
  ok(cgroup_systemd_cpu_mask("15", "f", &b, &n, &err) == 0 && n == 2 && b[0] == 0 && b[1] == 0x80, "15 -> 00 80");
  free(b);
  is_err(cgroup_systemd_cpu_mask("3-1", ".linux.resources.cpu.cpus", &b, &n, &err), err,
         ".linux.resources.cpu.cpus", "a reversed range is refused, naming the field");
  berth_error_free(&err);
  is_err(cgroup_systemd_cpu_mask("0,x", "f", &b, &n, &err), err, "0,x", "junk is refused");
  berth_error_free(&err);
}

static const struct sd_prop *find(const struct sd_props *p, const char *name)
{
  return sd_props_find(p, name);
}

static void test_resources_v2(void)
{
  struct spec_memory mem = { .limit = { true, 64 << 20 }, .reservation = { true, 32 << 20 },
                             .swap = { true, 128 << 20 } };
  struct spec_cpu cpu = { .shares = { true, 1024 }, .quota = { true, 50000 }, .period = { true, 100000 },
                          .cpus = "0-1", .mems = "0" };
  struct spec_block_io bio = { .weight = { true, 500 } };
  struct spec_resources r = { .memory = &mem, .cpu = &cpu, .block_io = &bio, .pids_limit = { true, 100 } };
  struct sd_props p = { 0 };
  berth_error_t err = NULL;
  ok(cgroup_systemd_resource_props(&r, true, NULL, NULL, &p, &err) == 0, "v2 properties");
  const struct sd_prop *q;
  ok((q = find(&p, "MemoryMax")) && q->type == SD_PROP_U64 && q->u64 == 64 << 20, "MemoryMax");
  ok((q = find(&p, "MemoryLow")) && q->u64 == 32 << 20, "MemoryLow");
  ok((q = find(&p, "MemorySwapMax")) && q->u64 == 64 << 20, "MemorySwapMax is swap - limit (v2)");
  ok((q = find(&p, "CPUWeight")) && q->u64 == 39, "CPUWeight from shares 1024");
  ok((q = find(&p, "CPUQuotaPerSecUSec")) && q->u64 == 500000, "CPUQuotaPerSecUSec 50000/100000 -> 0.5 s");
  ok((q = find(&p, "CPUQuotaPeriodUSec")) && q->u64 == 100000, "CPUQuotaPeriodUSec");
  ok((q = find(&p, "AllowedCPUs")) && q->type == SD_PROP_BYTES && q->n_bytes == 1 && q->bytes[0] == 3,
     "AllowedCPUs 0-1");
  ok((q = find(&p, "AllowedMemoryNodes")) && q->n_bytes == 1 && q->bytes[0] == 1, "AllowedMemoryNodes 0");
  ok((q = find(&p, "TasksMax")) && q->u64 == 100, "TasksMax");
  ok((q = find(&p, "IOWeight")) && q->u64 == 4950, "IOWeight from blkio weight 500");
  ok(!find(&p, "MemoryLimit") && !find(&p, "CPUShares") && !find(&p, "DevicePolicy"),
     "no v1 names, no devices when not asked");
  sd_props_clear(&p);

  /* unlimited and rounding */
  mem = (struct spec_memory) { .limit = { true, -1 } };
  cpu = (struct spec_cpu) { .quota = { true, 12345 }, .period = { true, 100000 } };
  r = (struct spec_resources) { .memory = &mem, .cpu = &cpu, .pids_limit = { true, -1 } };
  ok(cgroup_systemd_resource_props(&r, true, NULL, NULL, &p, &err) == 0, "v2 unlimited values");
  ok((q = find(&p, "MemoryMax")) && q->u64 == UINT64_MAX, "memory -1 -> infinity");
  ok((q = find(&p, "TasksMax")) && q->u64 == UINT64_MAX, "pids -1 -> infinity");
  ok((q = find(&p, "CPUQuotaPerSecUSec")) && q->u64 == 130000, "quota 12345/100000 rounds up to 130 ms/s");
  sd_props_clear(&p);
  cpu = (struct spec_cpu) { .quota = { true, -1 } };
  r = (struct spec_resources) { .cpu = &cpu };
  ok(cgroup_systemd_resource_props(&r, true, NULL, NULL, &p, &err) == 0
         && (q = find(&p, "CPUQuotaPerSecUSec")) && q->u64 == UINT64_MAX,
     "quota -1 -> infinity");
  sd_props_clear(&p);
  ok(cgroup_systemd_resource_props(NULL, true, NULL, NULL, &p, &err) == 0 && p.n == 0, "no resources, no properties");
}

static void test_resources_v1(void)
{
  struct spec_memory mem = { .limit = { true, 1 << 20 }, .reservation = { true, 1 } };
  struct spec_cpu cpu = { .shares = { true, 512 }, .cpus = "0" };
  struct spec_block_io bio = { .weight = { true, 300 } };
  struct spec_resources r = { .memory = &mem, .cpu = &cpu, .block_io = &bio };
  struct sd_props p = { 0 };
  berth_error_t err = NULL;
  const struct sd_prop *q;
  ok(cgroup_systemd_resource_props(&r, false, NULL, NULL, &p, &err) == 0, "v1 properties");
  ok((q = find(&p, "MemoryLimit")) && q->u64 == 1 << 20, "MemoryLimit");
  ok((q = find(&p, "CPUShares")) && q->u64 == 512, "CPUShares");
  ok((q = find(&p, "BlockIOWeight")) && q->u64 == 300, "BlockIOWeight");
  ok(!find(&p, "MemoryMax") && !find(&p, "MemoryLow") && !find(&p, "AllowedCPUs") && !find(&p, "CPUWeight"),
     "no v2-only properties on v1 (cpusets stay cgroupfs)");
  sd_props_clear(&p);
}

static const char proc_devices[] = "Character devices:\n  1 mem\n  4 tty\n136 pts\n 10 misc\n\n"
                                   "Block devices:\n  8 sd\n259 blkext\n";

static void test_devices(void)
{
  struct cgroup_dev_rule ex[] = {
    { 'c', 1, 3, CGROUP_DEV_RWM, true },
    { 'c', 136, -1, CGROUP_DEV_READ | CGROUP_DEV_WRITE, true },
    { 'c', -1, -1, CGROUP_DEV_MKNOD, true },
    { 'b', 8, -1, CGROUP_DEV_READ, true },
    { 'c', 99, -1, CGROUP_DEV_READ, true }, /* not in /proc/devices */
    { 'c', -1, 7, CGROUP_DEV_READ, true },  /* no systemd form */
  };
  struct cgroup_dev_state st = { .default_allow = false, .ex = ex, .n = ARRAY_SIZE(ex) };
  struct sd_props p = { 0 };
  berth_error_t err = NULL;
  const struct sd_prop *q;
  /* v2: a superset of berth's rules (berth's own filter narrows it) */
  ok(cgroup_systemd_resource_props(NULL, true, &st, proc_devices, &p, &err) == 0, "v2 device properties");
  ok((q = find(&p, "DevicePolicy")) && str_eq(q->s, "strict"), "v2: deny by default -> DevicePolicy=strict");
  q = find(&p, "DeviceAllow");
  ok(q && q->type == SD_PROP_DEVICES && q->n_devs == 6, "v2: DeviceAllow has an entry for every rule");
  if (q && q->n_devs == 6)
    {
      static const char *const want[][2] = { { "/dev/char/1:3", "rwm" }, { "char-*", "rw" }, { "char-*", "m" },
                                             { "block-*", "r" }, { "char-*", "r" }, { "char-*", "r" } };
      for (size_t i = 0; i < 6; i++)
        ok(str_eq(q->devs[i].path, want[i][0]) && str_eq(q->devs[i].access, want[i][1]),
           "v2: rule %zu -> %s %s (got %s %s)", i, want[i][0], want[i][1], q->devs[i].path, q->devs[i].access);
    }
  sd_props_clear(&p);
  ok(cgroup_systemd_resource_props(NULL, true, &st, NULL, &p, &err) == 0 && (q = find(&p, "DeviceAllow"))
         && q->n_devs == 6,
     "v2: the same without /proc/devices (no major is named)");
  sd_props_clear(&p);

  /* v1: systemd owns the list: only what it can name, never wider */
  ok(cgroup_systemd_resource_props(NULL, false, &st, proc_devices, &p, &err) == 0, "v1 device properties");
  ok((q = find(&p, "DevicePolicy")) && str_eq(q->s, "strict"), "v1: deny by default -> DevicePolicy=strict");
  q = find(&p, "DeviceAllow");
  ok(q && q->type == SD_PROP_DEVICES && q->n_devs == 4, "v1: DeviceAllow has the 4 entries systemd can name");
  if (q && q->n_devs == 4)
    {
      is_str(q->devs[0].path, "/dev/char/1:3", "c 1:3 -> /dev/char/1:3");
      is_str(q->devs[0].access, "rwm", "  rwm");
      is_str(q->devs[1].path, "char-pts", "c 136:* -> char-pts (by /proc/devices)");
      is_str(q->devs[1].access, "rw", "  rw");
      is_str(q->devs[2].path, "char-*", "c *:* -> char-*");
      is_str(q->devs[2].access, "m", "  m");
      is_str(q->devs[3].path, "block-sd", "b 8:* -> block-sd");
    }
  sd_props_clear(&p);

  struct cgroup_dev_state all = { .default_allow = true };
  struct cgroup_dev_rule deny[] = { { 'c', 1, 3, CGROUP_DEV_RWM, false } };
  struct cgroup_dev_state most = { .default_allow = true, .ex = deny, .n = 1 };
  ok(cgroup_systemd_resource_props(NULL, true, &all, proc_devices, &p, &err) == 0
         && (q = find(&p, "DevicePolicy")) && str_eq(q->s, "auto") && (q = find(&p, "DeviceAllow"))
         && q->n_devs == 0,
     "v2: allow all -> DevicePolicy=auto, DeviceAllow emptied");
  sd_props_clear(&p);
  ok(cgroup_systemd_resource_props(NULL, true, &most, proc_devices, &p, &err) == 0
         && (q = find(&p, "DevicePolicy")) && str_eq(q->s, "auto") && (q = find(&p, "DeviceAllow"))
         && q->n_devs == 0,
     "v2: allow all but some -> no filter from systemd (berth's denies)");
  sd_props_clear(&p);
  ok(cgroup_systemd_resource_props(NULL, false, &all, proc_devices, &p, &err) == 0
         && (q = find(&p, "DevicePolicy")) && str_eq(q->s, "auto") && !find(&p, "DeviceAllow"),
     "v1: allow all -> DevicePolicy=auto");
  sd_props_clear(&p);
  ok(cgroup_systemd_resource_props(NULL, false, &most, proc_devices, &p, &err) == 0 && !find(&p, "DevicePolicy")
         && !find(&p, "DeviceAllow"),
     "v1: allow with deny exceptions: nothing systemd could widen");
  sd_props_clear(&p);
}

static void test_annotations(void)
{
  struct spec_kv ann[] = {
    { "org.systemd.property.TimeoutStopSec", "5s" },
    { "org.systemd.property.CollectMode", "'inactive-or-failed'" },
    { "org.systemd.property.MemoryAccounting", "true" },
    { "org.systemd.property.CPUQuotaPeriodUSec", "uint64 50000" },
    { "org.systemd.property.TasksMax", "77" },
    { "org.systemd.property.RuntimeMaxSec", "2min" },
    { "other.annotation", "ignored" },
  };
  struct sd_props p = { 0 };
  berth_error_t err = NULL;
  const struct sd_prop *q;
  ok(cgroup_systemd_annotation_props(ann, ARRAY_SIZE(ann), &p, &err) == 0, "annotations read (%s)",
     err ? err->msg : "");
  is_int(p.n, 6, "six properties, other annotations ignored");
  ok((q = find(&p, "TimeoutStopUSec")) && q->u64 == 5000000, "TimeoutStopSec=5s -> TimeoutStopUSec 5000000");
  ok((q = find(&p, "CollectMode")) && q->type == SD_PROP_STR && str_eq(q->s, "inactive-or-failed"),
     "a quoted string");
  ok((q = find(&p, "MemoryAccounting")) && q->type == SD_PROP_BOOL && q->b, "a boolean");
  ok((q = find(&p, "CPUQuotaPeriodUSec")) && q->u64 == 50000, "uint64 N");
  ok((q = find(&p, "TasksMax")) && q->u64 == 77, "a bare number");
  ok((q = find(&p, "RuntimeMaxUSec")) && q->u64 == 120000000, "2min");
  sd_props_clear(&p);

  static const struct
  {
    const char *key, *value, *text;
  } bad[] = {
    { "org.systemd.property.PIDs", "1", "berth sets PIDs itself" },
    { "org.systemd.property.Delegate", "false", "berth sets Delegate itself" },
    { "org.systemd.property.Slice", "'x.slice'", "berth sets Slice itself" },
    { "org.systemd.property.bad-name", "1", "not a systemd property name" },
    { "org.systemd.property.", "1", "not a systemd property name" },
    { "org.systemd.property.TasksMax", "lots", "cannot read \"lots\"" },
    { "org.systemd.property.Description", "'a'b'", "cannot read" },
    { "org.systemd.property.TimeoutStopSec", "5 parsecs", "cannot read" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    {
      struct spec_kv kv = { (char *) bad[i].key, (char *) bad[i].value };
      is_err(cgroup_systemd_annotation_props(&kv, 1, &p, &err), err, bad[i].text, "%s=%s refused", bad[i].key,
             bad[i].value);
      ok(err && strstr(err->msg, bad[i].key), "  the error names the annotation");
      berth_error_free(&err);
      sd_props_clear(&p);
    }
}

int main(void)
{
  test_slices();
  test_paths();
  test_cpu_mask();
  test_resources_v2();
  test_resources_v1();
  test_devices();
  test_annotations();
  return tap_done();
}
