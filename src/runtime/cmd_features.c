/* berth features: the runtime-spec features document, built from what
 * this berth and the libraries and kernel under it really support. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/cli.h"
#include "runtime/criu.h"
#include "runtime/seccomp.h"
#include "spec/spec.h"
#include "storage/storage.h"
#include "util/util.h"

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

/* id-mapped mounts need mount_setattr (Linux 5.12): a call with a bad fd
 * fails with EBADF where it exists */
static bool kernel_has_mount_setattr(void)
{
  return syscall(SYS_mount_setattr, -1, "", 0, NULL, 0) < 0 && errno != ENOSYS;
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

static void free_owned(struct strlist *l)
{
  for (size_t i = 0; i < l->n; i++)
    free((char *) l->v[i]);
  free(l->v);
}

int cmd_features(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  const struct cli_option opts[] = {{NULL, 0, 0, NULL, NULL, NULL}};
  static const struct cli_usage usage = {
    "features", "",
    "Print the OCI runtime-spec features document: the spec versions, hooks, mount\n"
    "options, namespaces, capabilities, cgroup, seccomp and LSM support of this\n"
    "berth on this machine, as JSON.",
    0, 0, NULL, false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;

  struct strlist mounts = {0}, namespaces = {0}, caps = {0};
  struct seccomp_features sf;
  collect_mount_options(&mounts);
  collect_namespaces(&namespaces);
  collect_capabilities(&caps);
  seccomp_features_get(&sf);

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
#ifdef HAVE_LIBSYSTEMD
  f.linux_.cgroup.systemd = true; /* the systemd cgroup driver (src/cgroups/systemd.c) */
#endif
  f.linux_.seccomp.present = true;
  f.linux_.seccomp.enabled = true;
  f.linux_.seccomp.actions = sf.actions;
  f.linux_.seccomp.operators = sf.operators;
  f.linux_.seccomp.archs = sf.archs;
  f.linux_.seccomp.known_flags = sf.known_flags;
  f.linux_.seccomp.supported_flags = sf.supported_flags;
  f.linux_.apparmor = (struct spec_features_enabled){.present = true, .enabled = false};
  f.linux_.selinux = (struct spec_features_enabled){.present = true, .enabled = false};
  f.linux_.intel_rdt = (struct spec_features_enabled){.present = true, .enabled = false};
  f.linux_.idmap = (struct spec_features_enabled){.present = true,
                                                  .enabled = mount_option_understood("idmap") && kernel_has_mount_setattr()};

  /* checkpoint/restore only where `criu check` passes (criu.h) */
  static const struct spec_features_kv criu_kv[] = {
    {"io.berth.checkpoint", "+CRIU"},
    {"org.opencontainers.runc.checkpoint.enabled", "true"},
  };
  _cleanup_error_ berth_error_t criu_err = NULL;
  if (criu_check(&criu_err) == 0)
    {
      f.annotations = criu_kv;
      f.n_annotations = sizeof criu_kv / sizeof criu_kv[0];
    }
  else
    berth_log_debug("checkpoint/restore unavailable: %s", berth_error_msg(criu_err));

  _cleanup_free_ char *json = NULL;
  size_t len = 0;
  int ret = spec_features_emit(&f, &json, &len, err);
  free(mounts.v);
  free(namespaces.v);
  free_owned(&caps);
  if (ret < 0)
    return -1;
  fwrite(json, 1, len, stdout);
  return 0;
}
