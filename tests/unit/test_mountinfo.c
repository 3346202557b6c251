/* mountinfo parsing and storage_mounts_outside */
#include <stdlib.h>

#include "storage/mountinfo.h"
#include "tap.h"
#include "util/util.h"

static const char sample[] =
  "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
  "23 22 0:21 / /proc rw,relatime - proc proc rw\n"
  "24 22 0:22 / /sys rw,relatime shared:4 - sysfs sysfs rw\n"
  "25 24 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
  "26 22 0:23 / /var rw - tmpfs tmpfs rw\n"
  "27 26 254:0 /b/rootfs /var/lib/c/rootfs rw - ext4 /dev/vda rw\n"
  "28 27 0:30 / /var/lib/c/rootfs/proc rw - proc proc rw\n"
  "29 26 0:31 / /var/lib/c/rootfs2 rw - tmpfs tmpfs rw\n"
  "30 22 0:32 / /dev/shm rw - tmpfs tmpfs rw\n"
  "31 30 0:33 / /dev/shm rw - tmpfs tmpfs rw\n"
  "32 22 0:34 / /with\\040space rw - fuse.my\\040fs src rw\n"
  "33 22 0:35 / /var/lib/c/rootfsx rw - tmpfs tmpfs rw\n";

static void outside_of_with(size_t (*fn)(const struct storage_mount_table *, const char *,
                                          size_t **),
                            const struct storage_mount_table *t, const char *root,
                            const char *want)
{
  _cleanup_free_ size_t *idx = NULL;
  size_t n = fn(t, root, &idx);
  _cleanup_free_ char *got = xstrdup("");
  for (size_t i = 0; i < n; i++)
    {
      char *next = xasprintf("%s%s%d", got, i ? " " : "", t->entries[idx[i]].id);
      free(got);
      got = next;
    }
  is_str(got, want, "outside %s", root);
}

static void outside_of(const struct storage_mount_table *t, const char *root, const char *want)
{
  outside_of_with(storage_mounts_outside, t, root, want);
}

static void tops_outside_of(const struct storage_mount_table *t, const char *root,
                            const char *want)
{
  outside_of_with(storage_mounts_outside_tops, t, root, want);
}

int main(void)
{
  struct storage_mount_table t;
  berth_error_t err = NULL;
  is_int(storage_mountinfo_parse(sample, &t, &err), 0, "parse the sample");
  is_int(t.n, 12, "12 entries");
  is_int(t.entries[1].id, 23, "id");
  is_int(t.entries[1].parent_id, 22, "parent id");
  is_str(t.entries[1].fstype, "proc", "fstype after the optional fields");
  is_str(t.entries[2].fstype, "sysfs", "fstype with a shared: tag");
  is_str(t.entries[10].mountpoint, "/with space", "\\040 unescaped in the mount point");
  is_str(t.entries[10].fstype, "fuse.my fs", "\\040 unescaped in the type");
  ok(t.entries[0].shared && t.entries[2].shared && !t.entries[1].shared, "shared:N seen");
  ok(storage_mounts_shared_outside(&t, "/var/lib/c/rootfs"), "/ and /sys are shared");
  ok(!storage_mounts_shared_outside(&t, "/"), "nothing outside /");

  /* ancestors (/, /var) and the root and below stay; deepest first, the
   * upper of two stacked mounts first; rootfsx and rootfs2 are siblings */
  outside_of(&t, "/var/lib/c/rootfs", "33 29 25 31 30 32 24 23");
  outside_of(&t, "/", "");
  outside_of(&t, "/sys", "28 33 29 27 31 30 32 26 23");
  /* the tops only: 25 goes with /sys (24), the upper /dev/shm (31) with
   * the lower (30), rootfs2 (29) and rootfsx (33) hang off an ancestor */
  tops_outside_of(&t, "/var/lib/c/rootfs", "33 29 30 32 24 23");
  tops_outside_of(&t, "/sys", "33 30 32 26 23"); /* 33 hangs off / itself */
  tops_outside_of(&t, "/", "");
  storage_mount_table_free(&t);

  static const char *const bad[] = {
    "x 1 0:1 / / rw - ext4 a rw\n",
    "1 1 0:1 / / rw ext4 a rw\n",
    "1 1 0:1 / relative rw - ext4 a rw\n",
    "1 1 0:1 / /\n",
    "22 1 254:0 / / rw - ext4 /dev/vda rw\n1 2 3\n",
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    {
      berth_error_t e = NULL;
      ok(storage_mountinfo_parse(bad[i], &t, &e) < 0 && e, "malformed input %zu refused", i);
      berth_error_free(&e);
    }
  static const char inside_only[] = "22 1 254:0 / / rw - ext4 /dev/vda rw\n"
                                    "23 22 0:21 / /r rw shared:3 - tmpfs t rw\n"
                                    "24 22 0:22 / /x rw master:4 - tmpfs t rw\n";
  is_int(storage_mountinfo_parse(inside_only, &t, &err), 0, "parse");
  ok(!storage_mounts_shared_outside(&t, "/r"), "a shared mount inside the root and a slave outside");
  storage_mount_table_free(&t);
  is_int(storage_mountinfo_parse("", &t, &err), 0, "empty text");
  is_int(t.n, 0, "no entries");
  storage_mount_table_free(&t);
  return tap_done();
}
