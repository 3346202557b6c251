/* criu.c's pure part: criu's argument vector from the options, the spec
 * and the facts; the first error of a log; the stdio record. */
#include <stdlib.h>
#include <string.h>

#include "runtime/criu.h"
#include "tap.h"
#include "util/util.h"

static struct spec_config *parse(const char *json)
{
  struct spec_config *c = NULL;
  berth_error_t err = NULL;
  if (spec_config_parse(json, strlen(json), "config.json", &c, &err) < 0)
    {
      printf("# parse: %s\n", berth_error_msg(err));
      berth_error_free(&err);
      abort();
    }
  return c;
}

/* the argv joined by spaces, for matching */
static char *joined(char **argv)
{
  char *s = xstrdup("");
  for (char **a = argv; *a; a++)
    {
      char *n = xasprintf("%s%s%s", s, *s ? " " : "", *a);
      free(s);
      s = n;
    }
  return s;
}

static bool has(const char *line, const char *part)
{
  return strstr(line, part) != NULL;
}

static const char *config_json =
  "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"},"
  "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
  "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv/data\",\"options\":[\"rbind\"]},"
  "{\"destination\":\"/rel//x/\",\"source\":\"vol\",\"options\":[\"bind\",\"ro\"]}],"
  "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"network\"}],"
  "\"maskedPaths\":[\"/proc/kcore\",\"/proc/acpi\"],"
  "\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229}]}}";

static void test_dump(void)
{
  struct spec_config *c = parse(config_json);
  struct criu_options o = {.image_path = "/img", .leave_running = true, .tcp_established = true, .status_fd = -1};
  const char *bound[] = {"/proc/kcore", "/dev/null", NULL};
  struct criu_facts f = {.pid = 42, .bound_files = bound};
  char **argv = NULL;
  berth_error_t err = NULL;
  ok(criu_build_argv(CRIU_DUMP, &o, c, &f, &argv, &err) == 0, "dump builds");
  is_str(argv[0], "criu", "argv[0]");
  is_str(argv[1], "dump", "the action");
  char *s = joined(argv);
  ok(has(s, " -D /img -o dump.log -v4 --manage-cgroups=soft"), "images, log, cgroups soft by default: %s", s);
  ok(has(s, " -t 42"), "the init's pid");
  ok(has(s, " --leave-running") && has(s, " --tcp-established"), "flags passed on");
  ok(!has(s, "--track-mem") && !has(s, "-W "), "no track-mem, no work dir");
  ok(has(s, "--external mnt[/data]:/data"), "a bind mount is external by its destination");
  ok(has(s, "--external mnt[/rel/x]:/rel/x"), "destination cleaned, bind from the options");
  ok(!has(s, "mnt[/proc]"), "proc is criu's to dump");
  ok(has(s, "--external mnt[/proc/kcore]:/proc/kcore") && has(s, "--external mnt[/dev/null]:/dev/null"),
     "mounted nodes are external");
  ok(!has(s, "net["), "a new network namespace is dumped");
  free(s);
  strv_free(argv);
  spec_config_free(c);
}

static void test_pre_dump_and_parent(void)
{
  struct spec_config *c = parse(config_json);
  struct criu_options o = {.image_path = "/img/2", .work_path = "/w", .parent_path = "../1",
                           .manage_cgroups_mode = "ignore", .auto_dedup = true, .status_fd = -1};
  struct criu_facts f = {.pid = 7};
  char **argv = NULL;
  berth_error_t err = NULL;
  ok(criu_build_argv(CRIU_DUMP, &o, c, &f, &argv, &err) == 0, "dump with a parent");
  char *s = joined(argv);
  ok(has(s, " -W /w") && has(s, "--track-mem --prev-images-dir ../1"), "parent images: %s", s);
  ok(has(s, "--manage-cgroups=ignore") && has(s, "--auto-dedup"), "mode and dedup");
  free(s);
  strv_free(argv);
  o.parent_path = NULL;
  o.leave_running = true;
  ok(criu_build_argv(CRIU_PRE_DUMP, &o, c, &f, &argv, &err) == 0, "pre-dump");
  s = joined(argv);
  is_str(argv[1], "pre-dump", "the action");
  ok(has(s, "-o pre-dump.log") && has(s, "--track-mem") && !has(s, "--leave-running"),
     "pre-dump tracks memory and never takes --leave-running: %s", s);
  free(s);
  strv_free(argv);
  spec_config_free(c);
}

static void test_restore(void)
{
  struct spec_config *c = parse(config_json);
  struct criu_options o = {.image_path = "/img", .lsm_profile = "apparmor:x", .lsm_mount_context = "system_u:object_r:c:s0",
                           .status_fd = -1};
  struct criu_facts f = {.root = "/b/rootfs", .bundle = "/b", .pid_file = "/run/x/criu.pid",
                         .cgroup_root = "/berth/c1", .stdio_keys = {NULL, "pipe:[12]", NULL}};
  char **argv = NULL;
  berth_error_t err = NULL;
  ok(criu_build_argv(CRIU_RESTORE, &o, c, &f, &argv, &err) == 0, "restore builds");
  char *s = joined(argv);
  is_str(argv[1], "restore", "the action");
  ok(has(s, "--root /b/rootfs --restore-detached --restore-sibling --pidfile /run/x/criu.pid"),
     "root, our child, pid file: %s", s);
  ok(has(s, "--external mnt[/data]:/srv/data"), "a bind's key maps to its source");
  ok(has(s, "--external mnt[/rel/x]:/b/vol"), "a relative source is under the bundle");
  ok(has(s, "--external mnt[/proc/kcore]:/dev/null") && has(s, "--external mnt[/proc/acpi]:/dev/null"),
     "masked paths map to /dev/null");
  ok(has(s, "--external mnt[/dev/null]:/dev/null") && has(s, "--external mnt[/dev/fuse]:/dev/fuse"),
     "device nodes map to the host's");
  ok(has(s, "--inherit-fd fd[4]:pipe:[12]") && !has(s, "fd[3]") && !has(s, "fd[5]"), "stdout handed over");
  ok(has(s, "--cgroup-root /berth/c1"), "the container's cgroup");
  ok(has(s, "--lsm-profile apparmor:x") && has(s, "--lsm-mount-context system_u:object_r:c:s0"), "lsm profile, mount context");
  ok(!has(s, " -t "), "no pid on restore");
  free(s);
  strv_free(argv);
  spec_config_free(c);
}

static void test_joined_namespaces(void)
{
  struct spec_config *c = parse(
    "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"},"
    "\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"/run/netns/a\"},{\"type\":\"mount\"}]}}");
  struct criu_options o = {.image_path = "/img", .status_fd = -1};
  struct criu_facts f = {.pid = 9, .netns_inode = 4026532000ull};
  char **argv = NULL;
  berth_error_t err = NULL;
  ok(criu_build_argv(CRIU_DUMP, &o, c, &f, &argv, &err) == 0, "dump with a joined netns");
  char *s = joined(argv);
  ok(has(s, "--external net[4026532000]:" CRIU_NETNS_KEY), "the netns is external: %s", s);
  free(s);
  strv_free(argv);
  o.empty_ns = "network";
  is_err(criu_build_argv(CRIU_DUMP, &o, c, &f, &argv, &err), err, "no network namespace of its own",
         "--empty-ns needs a new netns");
  berth_error_free(&err);
  o.empty_ns = NULL;
  struct criu_facts rf = {.root = "/r", .pid_file = "/p", .netns_joined = true};
  ok(criu_build_argv(CRIU_RESTORE, &o, c, &rf, &argv, &err) == 0, "restore with a joined netns");
  s = joined(argv);
  ok(has(s, "--inherit-fd fd[6]:" CRIU_NETNS_KEY), "the netns handed over as fd 6");
  free(s);
  strv_free(argv);
  spec_config_free(c);

  c = parse("{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},"
            "\"linux\":{\"namespaces\":[{\"type\":\"ipc\",\"path\":\"/proc/1/ns/ipc\"}]}}");
  is_err(criu_build_argv(CRIU_DUMP, &o, c, &f, &argv, &err), err,
         ".linux.namespaces[0]: the container joined the ipc namespace /proc/1/ns/ipc", "another joined ns refused");
  berth_error_free(&err);
  spec_config_free(c);
}

static void test_bad_input(void)
{
  struct spec_config *c = parse(
    "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},\"root\":{\"path\":\"r\"},"
    "\"mounts\":[{\"destination\":\"/a]:b\",\"type\":\"bind\",\"source\":\"/x\"}]}");
  struct criu_options o = {.image_path = "/img", .status_fd = -1};
  struct criu_facts f = {.pid = 9};
  char **argv = NULL;
  berth_error_t err = NULL;
  is_err(criu_build_argv(CRIU_DUMP, &o, c, &f, &argv, &err), err, ".mounts[0].destination /a]:b: criu cannot name",
         "a ']' in a mount point is refused");
  berth_error_free(&err);
  o.image_path = "rel";
  is_err(criu_build_argv(CRIU_DUMP, &o, c, &f, &argv, &err), err, "--image-path: must be an absolute path",
         "relative image path");
  berth_error_free(&err);
  o.image_path = "/img";
  o.manage_cgroups_mode = "props";
  is_err(criu_build_argv(CRIU_DUMP, &o, c, &f, &argv, &err), err, "--manage-cgroups-mode props: must be",
         "a mode runc does not take");
  berth_error_free(&err);
  spec_config_free(c);
  ok(criu_cgroups_mode_valid("strict") && !criu_cgroups_mode_valid("") && !criu_cgroups_mode_valid(NULL),
     "mode check");
}

static void test_first_error(void)
{
  const char *log = "(00.000001) Version: 3.17.1\n"
                    "(00.002000) Warn  (criu/kerndat.c:1): something\n"
                    "(00.003127) Error (criu/vdso.c:123): vdso: Failed to fill self vdso symtable\n"
                    "(00.004000) Error (criu/cr-check.c:9): later\n";
  char *e = criu_first_error(log, strlen(log));
  is_str(e, "vdso: Failed to fill self vdso symtable", "the first error line's message");
  free(e);
  const char *plain = "Usage: criu ...\nunknown option --bogus  \n\n";
  e = criu_first_error(plain, strlen(plain));
  is_str(e, "unknown option --bogus", "else the last non-empty line");
  free(e);
  ok(criu_first_error("", 0) == NULL, "empty log");
  const char *ctl = "Error (x.c:1): bad \x1b[31m\n";
  e = criu_first_error(ctl, strlen(ctl));
  ok(e && !strchr(e, '\x1b'), "control characters escaped: %s", e);
  free(e);
}

static void test_stdio_record(void)
{
  const char *links[3] = {"/dev/null", "pipe:[123]", "socket:[5]"};
  char *rec = criu_stdio_record(links);
  is_str(rec, "-\npipe:[123]\n-\n", "only pipes are recorded");
  char *keys[3];
  criu_stdio_parse(rec, strlen(rec), keys);
  ok(!keys[0] && keys[1] && str_eq(keys[1], "pipe:[123]") && !keys[2], "parsed back");
  for (int i = 0; i < 3; i++)
    free(keys[i]);
  free(rec);
  const char *evil = "pipe:[1] --root /\npipe:[x]\npipe:[99999999999999999999999]\n";
  criu_stdio_parse(evil, strlen(evil), keys);
  ok(!keys[0] && !keys[1] && !keys[2], "anything but pipe:[digits] is dropped");
  const char *tail = "pipe:[7]";
  criu_stdio_parse(tail, strlen(tail), keys);
  ok(keys[0] && str_eq(keys[0], "pipe:[7]") && !keys[1], "no trailing newline");
  free(keys[0]);
}

int main(void)
{
  test_dump();
  test_pre_dump_and_parent();
  test_restore();
  test_joined_namespaces();
  test_bad_input();
  test_first_error();
  test_stdio_record();
  return tap_done();
}
