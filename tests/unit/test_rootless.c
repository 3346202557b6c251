/* rootless.c's pure part: the host's uid_map, resources that need a
 * cgroup, /etc/subuid parsing, and which mappings a user may ask for. */
#include <stdlib.h>

#include "runtime/rootless.h"
#include "tap.h"
#include "util/util.h"

static void test_uid_map(void)
{
  ok(rootless_uid_map_is_host("         0          0 4294967295\n"), "the initial namespace's map");
  ok(!rootless_uid_map_is_host("         0       1000          1\n"), "a rootless map");
  ok(!rootless_uid_map_is_host("0 0 4294967295\n1 2 3\n"), "two lines are not the host's");
  ok(!rootless_uid_map_is_host(""), "an empty map (a namespace not mapped yet)");
}

static void test_resources(void)
{
  ok(rootless_resources_field(NULL) == NULL, "no linux.resources");
  struct spec_device_cgroup dev = {0};
  struct spec_resources r = {.devices = &dev, .n_devices = 1};
  ok(rootless_resources_field(&r) == NULL, "device rules alone ask for no cgroup");
  r.pids_limit = (spec_opt_i64) {.set = true, .value = 10};
  is_str(rootless_resources_field(&r), ".linux.resources.pids", "pids.limit");
  struct spec_memory mem = {0};
  r.memory = &mem;
  is_str(rootless_resources_field(&r), ".linux.resources.memory", "memory named first");
}

static void test_subid_parse(void)
{
  const char *text = "alice:100000:65536\n"
                     "bob:165536:65536\n"
                     "1000:300000:10\n"
                     "alice:bad:5\n"
                     "alice:1:2:3\n"
                     "alice:500000:0\n"
                     "alice:400000:1000\n";
  struct subid_range *r = NULL;
  size_t n = 0;
  subid_ranges_parse(text, "alice", 1000, &r, &n);
  is_int((int) n, 3, "alice (uid 1000): her two named lines and the numeric one");
  ok(n == 3 && r[0].start == 100000 && r[0].count == 65536 && r[1].start == 300000 && r[2].start == 400000,
     "in file order");
  free(r);
  subid_ranges_parse(text, "carol", 1002, &r, &n);
  ok(n == 0 && r == NULL, "carol has none");
  subid_ranges_parse(NULL, "alice", 1000, &r, &n);
  ok(n == 0, "no file");
}

static void test_mapping_ids(void)
{
  berth_error_t err = NULL;
  struct spec_id_mapping own = {.container_id = 0, .host_id = 1000, .size = 1};
  ok(rootless_mapping_is_own(&own, 1, 1000), "0 -> 1000 (1) is the caller's own");
  ok(!rootless_mapping_is_own(&own, 1, 1001), "not another user's");
  struct spec_id_mapping wide[] = {{0, 1000, 1}, {1, 100000, 65536}};
  ok(!rootless_mapping_is_own(wide, 2, 1000), "two mappings need newuidmap");
  struct subid_range g[] = {{100000, 65536}};
  is_int(rootless_check_mapping_ids(".linux.uidMappings", "/etc/subuid", "uid", wide, 2, 1000, g, 1, &err), 0,
         "own id + the granted range");
  struct spec_id_mapping over[] = {{0, 1000, 1}, {1, 100000, 65537}};
  is_err(rootless_check_mapping_ids(".linux.uidMappings", "/etc/subuid", "uid", over, 2, 1000, g, 1, &err), err,
         ".linux.uidMappings[1]: host ids 100000-165536 are neither uid 1000 nor in its /etc/subuid ranges "
         "(100000-165535)",
         "one id past the range");
  berth_error_free(&err);
  struct spec_id_mapping root[] = {{0, 0, 1}};
  is_err(rootless_check_mapping_ids(".linux.gidMappings", "/etc/subgid", "gid", root, 1, 1000, NULL, 0, &err), err,
         ".linux.gidMappings[0]: host ids 0-0 are neither gid 1000 nor in its /etc/subgid ranges (none)",
         "the host's root");
  berth_error_free(&err);
  struct spec_id_mapping big[] = {{0, 4294967295u, 2}};
  is_err(rootless_check_mapping_ids(".linux.uidMappings", "/etc/subuid", "uid", big, 1, 1000, g, 1, &err), err,
         ".linux.uidMappings[0]: host ids 4294967295-4294967296", "no 32-bit wrap-around");
  berth_error_free(&err);
}

int main(void)
{
  test_uid_map();
  test_resources();
  test_subid_parse();
  test_mapping_ids();
  return tap_done();
}
