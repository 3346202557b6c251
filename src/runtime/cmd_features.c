/* berth features: the runtime-spec features document, built from what
 * this berth and the libraries and kernel under it really support. */
#include <ctype.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/capability.h>

#include "runtime/cli.h"
#include "spec/spec.h"
#include "storage/storage.h"
#include "util/util.h"

/* linux.seccomp is applied by the container init only once issue 5 lands;
 * until then the filter would be ignored, so "enabled" must say false. */
static const bool seccomp_applied = false;

static const char *const hooks[] = {"prestart",         "createRuntime", "createContainer",
                                    "startContainer",   "poststart",     "poststop",
                                    NULL};

/* The option words of runc and the runtime-spec; only those berth's mount
 * parser understands (no fallthrough into the fs data string) are listed. */
static const char *const mount_option_candidates[] = {
  "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "idmap", "iversion",
  "lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime",
  "nomand", "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind",
  "rdev", "rdiratime", "relatime", "remount", "rexec", "ridmap", "rnoatime", "rnodev", "rnodiratime",
  "rnoexec", "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rprivate", "rrelatime",
  "rro", "rrw", "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw",
  "shared", "silent", "slave", "strictatime", "suid", "symfollow", "sync", "tmpcopyup", "unbindable",
  NULL,
};

static const char *const seccomp_operators[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};

static const char *const seccomp_known_flags[] = {
  "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL,
};

static const char *const no_strings[] = {NULL};

/* grows a NULL-terminated array of borrowed or owned strings */
struct strlist
{
  const char **v;
  size_t n;
};

static void strlist_add(struct strlist *l, const char *s)
{
  l->v = xreallocarray(l->v, l->n + 2, sizeof *l->v);
  l->v[l->n++] = s;
  l->v[l->n] = NULL;
}

static bool mount_option_understood(const char *name)
{
  char *opts[] = {(char *) name, NULL};
  struct storage_mount_opts o = {0};
  _cleanup_error_ berth_error_t err = NULL;
  if (storage_mount_opts_parse(opts, &o, &err) < 0)
    return false;
  bool known = o.data == NULL;
  storage_mount_opts_free(&o);
  return known;
}

static void collect_mount_options(struct strlist *l)
{
  for (const char *const *o = mount_option_candidates; *o; o++)
    if (mount_option_understood(*o))
      strlist_add(l, *o);
}

static void collect_namespaces(struct strlist *l)
{
  for (int t = 0; t < SPEC_NS_COUNT; t++)
    strlist_add(l, spec_ns_type_name((enum spec_ns_type) t));
}

/* every capability libcap knows by name, as "CAP_CHOWN" (owned strings) */
static void collect_capabilities(struct strlist *l)
{
  cap_value_t max = cap_max_bits();
  for (cap_value_t c = 0; c < max; c++)
    {
      char *name = cap_to_name(c);
      if (!name)
        continue;
      if (str_has_prefix(name, "cap_"))
        {
          char *upper = xstrdup(name);
          for (char *p = upper; *p; p++)
            *p = (char) toupper((unsigned char) *p);
          strlist_add(l, upper);
        }
      cap_free(name);
    }
}

/* actions by the libseccomp API level that introduced them */
static void collect_seccomp_actions(struct strlist *l)
{
  unsigned api = seccomp_api_get();
  const struct
  {
    const char *name;
    unsigned api;
  } actions[] = {
    {"SCMP_ACT_ALLOW", 1}, {"SCMP_ACT_ERRNO", 1}, {"SCMP_ACT_KILL", 1},        {"SCMP_ACT_KILL_THREAD", 1},
    {"SCMP_ACT_TRAP", 1},  {"SCMP_ACT_TRACE", 1}, {"SCMP_ACT_KILL_PROCESS", 3}, {"SCMP_ACT_LOG", 3},
    {"SCMP_ACT_NOTIFY", 5},
  };
  for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
    if (api >= actions[i].api)
      strlist_add(l, actions[i].name);
}

/* architectures the linked libseccomp can resolve */
static void collect_seccomp_archs(struct strlist *l)
{
  static const char *const archs[][2] = {
    {"x86", "SCMP_ARCH_X86"},           {"x86_64", "SCMP_ARCH_X86_64"},
    {"x32", "SCMP_ARCH_X32"},           {"arm", "SCMP_ARCH_ARM"},
    {"aarch64", "SCMP_ARCH_AARCH64"},   {"mips", "SCMP_ARCH_MIPS"},
    {"mips64", "SCMP_ARCH_MIPS64"},     {"mips64n32", "SCMP_ARCH_MIPS64N32"},
    {"mipsel", "SCMP_ARCH_MIPSEL"},     {"mipsel64", "SCMP_ARCH_MIPSEL64"},
    {"mipsel64n32", "SCMP_ARCH_MIPSEL64N32"}, {"ppc", "SCMP_ARCH_PPC"},
    {"ppc64", "SCMP_ARCH_PPC64"},       {"ppc64le", "SCMP_ARCH_PPC64LE"},
    {"s390", "SCMP_ARCH_S390"},         {"s390x", "SCMP_ARCH_S390X"},
    {"parisc", "SCMP_ARCH_PARISC"},     {"parisc64", "SCMP_ARCH_PARISC64"},
    {"riscv64", "SCMP_ARCH_RISCV64"},   {"loongarch64", "SCMP_ARCH_LOONGARCH64"},
    {"m68k", "SCMP_ARCH_M68K"},         {"sh", "SCMP_ARCH_SH"},
    {"sheb", "SCMP_ARCH_SHEB"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(archs); i++)
    if (seccomp_arch_resolve_name(archs[i][0]) != 0)
      strlist_add(l, archs[i][1]);
}

static void free_owned(struct strlist *l)
{
  for (size_t i = 0; i < l->n; i++)
    free((char *) l->v[i]);
  free(l->v);
}

int cmd_features(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  const struct cli_option opts[] = {{NULL, 0, 0, NULL, NULL, NULL}};
  bool help;
  _cleanup_free_ char **pos = NULL;
  int npos;
  if (cli_parse(argc, argv, opts, false, &help, &pos, &npos, err) < 0)
    return -1;
  if (help)
    {
      cli_print_help("features", "",
                     "Print the OCI runtime-spec features document: the spec versions, hooks, mount\n"
                     "options, namespaces, capabilities, cgroup, seccomp and LSM support of this\n"
                     "berth on this machine, as JSON.",
                     opts);
      return 0;
    }
  if (npos > 0)
    return berth_fail(err, 0, "unexpected argument \"%s\"", pos[0]);

  struct strlist mounts = {0}, namespaces = {0}, caps = {0}, actions = {0}, archs = {0};
  collect_mount_options(&mounts);
  collect_namespaces(&namespaces);
  collect_capabilities(&caps);
  collect_seccomp_actions(&actions);
  collect_seccomp_archs(&archs);

  struct spec_features f = {
    .oci_version_min = "1.0.0",
    .oci_version_max = BERTH_OCI_VERSION,
    .hooks = hooks,
    .mount_options = mounts.v ? mounts.v : no_strings,
  };
  f.linux_.namespaces = namespaces.v;
  f.linux_.capabilities = caps.v ? caps.v : no_strings;
  f.linux_.cgroup.present = true;
  f.linux_.cgroup.v1 = true;
  f.linux_.cgroup.v2 = true;
  f.linux_.seccomp.present = true;
  f.linux_.seccomp.enabled = seccomp_applied;
  f.linux_.seccomp.actions = actions.v ? actions.v : no_strings;
  f.linux_.seccomp.operators = seccomp_operators;
  f.linux_.seccomp.archs = archs.v ? archs.v : no_strings;
  f.linux_.seccomp.known_flags = seccomp_known_flags;
  f.linux_.seccomp.supported_flags = no_strings;
  f.linux_.apparmor = (struct spec_features_enabled){.present = true, .enabled = false};
  f.linux_.selinux = (struct spec_features_enabled){.present = true, .enabled = false};
  f.linux_.intel_rdt = (struct spec_features_enabled){.present = true, .enabled = false};
  f.linux_.idmap = (struct spec_features_enabled){.present = true, .enabled = mount_option_understood("idmap")};

  _cleanup_free_ char *json = NULL;
  size_t len = 0;
  int ret = spec_features_emit(&f, &json, &len, err);
  free(mounts.v);
  free(namespaces.v);
  free_owned(&caps);
  free(actions.v);
  free(archs.v);
  if (ret < 0)
    return -1;
  fwrite(json, 1, len, stdout);
  return 0;
}
