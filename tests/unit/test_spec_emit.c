/* Emitters: state (public and private, round trip), the default config
 * (`berth spec`, also --rootless) and the features document. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec/json.h"
#include "spec/spec.h"
#include "tap.h"
#include "util/util.h"

static struct spec_kv state_annotations[] = { { "org.a", "1" }, { "b", "two \"quoted\"" } };

static const struct spec_state sample_state = {
  .oci_version = "1.2.0",
  .id = "c1",
  .status = "running",
  .pid = 4242,
  .bundle = "/run/bundle",
  .rootfs = "/run/bundle/rootfs",
  .created = "2024-05-06T07:08:09.123456789Z",
  .owner = "",
  .annotations = state_annotations,
  .n_annotations = 2,
  .init_start_time = 18446744073709551615ull,
  .cgroup_path = "/sys/fs/cgroup/default/c1",
  .cgroup_manager = "cgroupfs",
  .detached = true,
};

static void test_state_pretty(void)
{
  _cleanup_free_ char *out = NULL;
  size_t len = 0;
  _cleanup_error_ berth_error_t err = NULL;
  struct spec_state s = sample_state;
  s.n_annotations = 0;
  s.owner = NULL;
  ok(spec_state_emit(&s, SPEC_STATE_PRETTY, &out, &len, &err) == 0, "pretty state emits");
  is_str(out,
         "{\n"
         "  \"ociVersion\": \"1.2.0\",\n"
         "  \"id\": \"c1\",\n"
         "  \"pid\": 4242,\n"
         "  \"status\": \"running\",\n"
         "  \"bundle\": \"/run/bundle\",\n"
         "  \"rootfs\": \"/run/bundle/rootfs\",\n"
         "  \"created\": \"2024-05-06T07:08:09.123456789Z\"\n"
         "}\n",
         "pretty state: runc's layout, no annotations/owner when absent, no private object");
  is_int(len, strlen(out), "out_len");
}

static void test_state_public_compact(void)
{
  _cleanup_free_ char *out = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  struct spec_state s = sample_state;
  s.status = "stopped";
  s.pid = 0;
  s.n_annotations = 1;
  ok(spec_state_emit(&s, 0, &out, NULL, &err) == 0, "compact state emits");
  is_str(out,
         "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"pid\":0,\"status\":\"stopped\",\"bundle\":\"/run/bundle\","
         "\"rootfs\":\"/run/bundle/rootfs\",\"created\":\"2024-05-06T07:08:09.123456789Z\",\"owner\":\"\","
         "\"annotations\":{\"org.a\":\"1\"}}",
         "compact state: pid 0 kept when stopped, annotations when present");
}

static void test_state_round_trip(void)
{
  _cleanup_free_ char *out = NULL;
  size_t len;
  _cleanup_error_ berth_error_t err = NULL;
  ok(spec_state_emit(&sample_state, SPEC_STATE_PRIVATE | SPEC_STATE_PRETTY, &out, &len, &err) == 0,
     "private state emits");
  struct spec_state *s = NULL;
  ok(spec_state_parse(out, len, "state.json", &s, &err) == 0, "private state parses back");
  if (!s)
    return;
  is_str(s->oci_version, "1.2.0", "state ociVersion");
  is_str(s->id, "c1", "state id");
  is_str(s->status, "running", "state status");
  is_int(s->pid, 4242, "state pid");
  is_str(s->bundle, "/run/bundle", "state bundle");
  is_str(s->rootfs, "/run/bundle/rootfs", "state rootfs");
  is_str(s->created, "2024-05-06T07:08:09.123456789Z", "state created");
  is_str(s->owner, "", "state owner");
  ok(s->n_annotations == 2, "state annotations count");
  is_str(s->annotations[1].value, "two \"quoted\"", "state annotation with quotes");
  ok(s->init_start_time == 18446744073709551615ull, "private initStartTime (uint64 max)");
  is_str(s->cgroup_path, "/sys/fs/cgroup/default/c1", "private cgroupPath");
  is_str(s->cgroup_manager, "cgroupfs", "private cgroupManager");
  ok(s->detached, "private detached");
  spec_state_free(s);

  /* public output has no private object, and parses with defaults */
  _cleanup_free_ char *pub = NULL;
  ok(spec_state_emit(&sample_state, 0, &pub, &len, &err) == 0, "public state emits");
  ok(strstr(pub, "berth") == NULL && strstr(pub, "initStartTime") == NULL, "public state hides berth's record");
  s = NULL;
  ok(spec_state_parse(pub, len, "state", &s, &err) == 0, "public state parses");
  ok(s && s->init_start_time == 0 && s->cgroup_path == NULL && !s->detached, "private fields default");
  spec_state_free(s);
}

static void test_state_errors(void)
{
  struct
  {
    const char *json, *want;
  } cases[] = {
    { "{\"id\":\"c\",\"status\":\"running\"}", "state.json: .ociVersion: required" },
    { "{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"dead\"}",
      "state.json: .status: unknown status \"dead\" (one of creating, created, running, stopped, paused)" },
    { "{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"running\",\"pid\":-1}", "state.json: .pid: -1 is out of range" },
    { "{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"running\",\"pid\":2147483648}",
      "state.json: .pid: 2147483648 is out of range" },
    { "{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"running\",\"berth\":{\"detached\":1}}",
      "state.json: .berth.detached: expected boolean" },
    { "{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"running\",\"berth\":{\"initStartTime\":-5}}",
      "state.json: .berth.initStartTime: -5 is out of range" },
    { "{\"ociVersion\":\"1\",\"id\":", "state.json: invalid JSON at byte 23: premature EOF" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
    {
      struct spec_state *s = NULL;
      _cleanup_error_ berth_error_t err = NULL;
      int ret = spec_state_parse(cases[i].json, strlen(cases[i].json), "state.json", &s, &err);
      if (!ok(ret < 0 && s == NULL && err && strcmp(err->msg, cases[i].want) == 0, "state rejects: %s",
              cases[i].want))
        printf("#   got \"%s\"\n", err ? err->msg : "(none)");
      spec_state_free(s);
    }

  /* a string that is not UTF-8 cannot be emitted as JSON */
  struct spec_state s = sample_state;
  s.id = "bad\xff";
  _cleanup_free_ char *out = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  int ret = spec_state_emit(&s, 0, &out, NULL, &err);
  is_err(ret, err, "emit state: a string is not valid UTF-8", "emit refuses invalid UTF-8");
  ok(out == NULL, "no output on failure");
}

static bool strv_is(char *const *v, const char *const *want)
{
  size_t i = 0;
  for (; want[i]; i++)
    if (!v || !v[i] || strcmp(v[i], want[i]) != 0)
      return false;
  return v[i] == NULL;
}

static const struct spec_mount *find_mount(const struct spec_config *c, const char *dest)
{
  for (size_t i = 0; i < c->n_mounts; i++)
    if (strcmp(c->mounts[i].destination, dest) == 0)
      return &c->mounts[i];
  return NULL;
}

static void test_default_config(void)
{
  _cleanup_free_ char *out = NULL;
  size_t len;
  _cleanup_error_ berth_error_t err = NULL;
  ok(spec_default_config_emit(false, &out, &len, &err) == 0, "default config emits");
  ok(len > 0 && out[len - 1] == '\n' && out[1] == '\n' && out[2] == '\t', "tab-indented, ends with a newline");
  struct spec_config *c = NULL;
  if (!ok(spec_config_parse(out, len, "config.json", &c, &err) == 0, "default config parses back"))
    {
      printf("#   %s\n", berth_error_msg(err));
      return;
    }
  static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
  is_str(c->oci_version, BERTH_OCI_VERSION, "default ociVersion");
  ok(c->root && c->root->readonly, "default root read-only");
  is_str(c->root->path, "rootfs", "default root path");
  is_str(c->hostname, "berth", "default hostname");
  const struct spec_process *p = c->process;
  ok(p->terminal && p->no_new_privileges && p->user.uid == 0 && p->user.gid == 0, "default process flags");
  ok(strv_is(p->args, (const char *const[]){ "sh", NULL }), "default args");
  ok(strv_is(p->env, (const char *const[]){ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                             "TERM=xterm", NULL }),
     "default env");
  is_str(p->cwd, "/", "default cwd");
  ok(strv_is(p->capabilities->bounding, caps) && strv_is(p->capabilities->effective, caps)
         && strv_is(p->capabilities->permitted, caps),
     "default capabilities");
  ok(p->capabilities->inheritable == NULL && p->capabilities->ambient == NULL, "no inheritable/ambient caps");
  ok(p->n_rlimits == 1 && strcmp(p->rlimits[0].type, "RLIMIT_NOFILE") == 0 && p->rlimits[0].soft == 1024
         && p->rlimits[0].hard == 1024,
     "default rlimits");
  is_int(c->n_mounts, 7, "default mounts count");
  static const char *const dests[] = { "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup" };
  for (size_t i = 0; i < ARRAY_SIZE(dests) && i < c->n_mounts; i++)
    is_str(c->mounts[i].destination, dests[i], "default mount %zu", i);
  ok(strv_is(find_mount(c, "/dev/pts")->options,
             (const char *const[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL }),
     "devpts options");
  is_str(find_mount(c, "/sys")->type, "sysfs", "sysfs mount");
  const struct spec_linux *l = c->linux_;
  ok(l->resources && l->resources->n_devices == 1 && !l->resources->devices[0].allow, "device deny-all rule");
  is_str(l->resources->devices[0].access, "rwm", "device rule access");
  is_int(l->n_namespaces, 6, "default namespaces count");
  ok(spec_find_namespace(c, SPEC_NS_NETWORK) && spec_find_namespace(c, SPEC_NS_CGROUP)
         && !spec_find_namespace(c, SPEC_NS_USER),
     "default namespaces");
  is_int(l->n_masked_paths, 10, "masked paths");
  is_str(l->masked_paths[9], "/proc/scsi", "last masked path");
  ok(strv_is(l->readonly_paths,
             (const char *const[]){ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL }),
     "readonly paths");
  spec_config_free(c);
}

static void test_default_config_rootless(void)
{
  _cleanup_free_ char *out = NULL;
  size_t len;
  _cleanup_error_ berth_error_t err = NULL;
  ok(spec_default_config_emit(true, &out, &len, &err) == 0, "rootless config emits");
  struct spec_config *c = NULL;
  if (!ok(spec_config_parse(out, len, "config.json", &c, &err) == 0, "rootless config parses back"))
    return;
  const struct spec_linux *l = c->linux_;
  ok(spec_find_namespace(c, SPEC_NS_USER) && !spec_find_namespace(c, SPEC_NS_NETWORK), "user ns, no network ns");
  is_int(l->n_namespaces, 6, "rootless namespaces count");
  ok(l->n_uid_mappings == 1 && l->uid_mappings[0].container_id == 0 && l->uid_mappings[0].host_id == geteuid()
         && l->uid_mappings[0].size == 1,
     "uid mapping of the euid");
  ok(l->n_gid_mappings == 1 && l->gid_mappings[0].host_id == getegid() && l->gid_mappings[0].size == 1,
     "gid mapping of the egid");
  ok(l->resources == NULL, "no resources");
  ok(strv_is(find_mount(c, "/dev/pts")->options,
             (const char *const[]){ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL }),
     "devpts without gid=5");
  const struct spec_mount *sys = find_mount(c, "/sys");
  is_str(sys->type, "none", "/sys type none");
  is_str(sys->source, "/sys", "/sys bound from the host");
  ok(strv_is(sys->options, (const char *const[]){ "rbind", "nosuid", "noexec", "nodev", "ro", NULL }), "/sys rbind");
  is_int(c->n_mounts, 7, "rootless mounts count");
  spec_config_free(c);
}

/* ------------------------------------------------------------ features */

static const struct jnode *path_get(const struct jnode *n, const char *a, const char *b, const char *c)
{
  const char *keys[] = { a, b, c };
  for (size_t i = 0; i < 3 && keys[i] && n; i++)
    n = n->type == JSON_OBJECT ? jget(n, keys[i]) : NULL;
  return n;
}

static void test_features_minimal(void)
{
  struct spec_features f = { .oci_version_min = "1.0.0", .oci_version_max = "1.2.0" };
  _cleanup_free_ char *out = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  ok(spec_features_emit(&f, &out, NULL, &err) == 0, "minimal features emit");
  is_str(out, "{\n    \"ociVersionMin\": \"1.0.0\",\n    \"ociVersionMax\": \"1.2.0\",\n    \"linux\": {\n\n    }\n}\n",
         "linux always written, unknown lists left out");

  struct spec_features none = { 0 };
  _cleanup_free_ char *o2 = NULL;
  int ret = spec_features_emit(&none, &o2, NULL, &err);
  is_err(ret, err, "ociVersionMin and ociVersionMax are required", "versions required");
}

static void test_features_full(void)
{
  static const struct spec_features_kv ann[] = { { "org.berth.version", "0.1.0" }, { "x", NULL } };
  struct spec_features f = {
    .oci_version_min = "1.0.0",
    .oci_version_max = "1.2.0",
    .hooks = (const char *const[]){ "prestart", "poststop", NULL },
    .mount_options = (const char *const[]){ NULL },
    .annotations = ann,
    .n_annotations = 2,
    .potentially_unsafe_config_annotations = (const char *const[]){ "run.oci.", NULL },
    .linux_ = {
      .namespaces = (const char *const[]){ "pid", "user", NULL },
      .capabilities = (const char *const[]){ "CAP_KILL", NULL },
      .cgroup = { .present = true, .v1 = true, .v2 = true, .systemd = false, .systemd_user = false, .rdma = true },
      .seccomp = { .present = true, .enabled = true,
                   .actions = (const char *const[]){ "SCMP_ACT_ALLOW", NULL },
                   .operators = (const char *const[]){ "SCMP_CMP_EQ", NULL },
                   .archs = (const char *const[]){ "SCMP_ARCH_X86_64", NULL },
                   .known_flags = (const char *const[]){ "SECCOMP_FILTER_FLAG_TSYNC", NULL },
                   .supported_flags = (const char *const[]){ NULL } },
      .apparmor = { true, false },
      .selinux = { true, true },
      .intel_rdt = { false, true },
      .idmap = { true, true },
    },
  };
  _cleanup_free_ char *out = NULL;
  size_t len;
  _cleanup_error_ berth_error_t err = NULL;
  ok(spec_features_emit(&f, &out, &len, &err) == 0, "full features emit");
  _cleanup_(json_freep) struct jnode *root = NULL;
  if (!ok(json_parse(out, len, "features", &root, &err) == 0, "features output is JSON"))
    return;
  const struct jnode *n;
  n = path_get(root, "hooks", NULL, NULL);
  ok(n && n->type == JSON_ARRAY && n->n == 2 && strcmp(n->m[1].val.text, "poststop") == 0, "hooks");
  n = path_get(root, "mountOptions", NULL, NULL);
  ok(n && n->type == JSON_ARRAY && n->n == 0, "empty list written as []");
  n = path_get(root, "annotations", "org.berth.version", NULL);
  ok(n && strcmp(n->text, "0.1.0") == 0, "annotations");
  n = path_get(root, "annotations", "x", NULL);
  ok(n && strcmp(n->text, "") == 0, "NULL annotation value is \"\"");
  n = path_get(root, "potentiallyUnsafeConfigAnnotations", NULL, NULL);
  ok(n && n->n == 1 && strcmp(n->m[0].val.text, "run.oci.") == 0, "potentiallyUnsafeConfigAnnotations");
  n = path_get(root, "linux", "namespaces", NULL);
  ok(n && n->n == 2, "linux.namespaces");
  n = path_get(root, "linux", "capabilities", NULL);
  ok(n && n->n == 1, "linux.capabilities");
  n = path_get(root, "linux", "cgroup", NULL);
  ok(n && jget(n, "v1")->boolean && jget(n, "v2")->boolean && !jget(n, "systemd")->boolean
         && !jget(n, "systemdUser")->boolean && jget(n, "rdma")->boolean,
     "linux.cgroup");
  n = path_get(root, "linux", "seccomp", NULL);
  ok(n && jget(n, "enabled")->boolean && jget(n, "actions")->n == 1 && jget(n, "operators")->n == 1
         && jget(n, "archs")->n == 1 && jget(n, "knownFlags")->n == 1 && jget(n, "supportedFlags")->n == 0,
     "linux.seccomp");
  n = path_get(root, "linux", "apparmor", "enabled");
  ok(n && n->type == JSON_BOOL && !n->boolean, "linux.apparmor.enabled false");
  n = path_get(root, "linux", "selinux", "enabled");
  ok(n && n->boolean, "linux.selinux.enabled");
  ok(path_get(root, "linux", "intelRdt", NULL) == NULL, "intelRdt left out when not present");
  n = path_get(root, "linux", "mountExtensions", "idmap");
  ok(n && jget(n, "enabled") && jget(n, "enabled")->boolean, "linux.mountExtensions.idmap.enabled");
}

int main(void)
{
  test_state_pretty();
  test_state_public_compact();
  test_state_round_trip();
  test_state_errors();
  test_default_config();
  test_default_config_rootless();
  test_features_minimal();
  test_features_full();
  return tap_done();
}
