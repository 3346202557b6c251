/* The config.json `berth spec` writes: the content of runc's default spec
 * (read-only rootfs, sh on a terminal, three capabilities, RLIMIT_NOFILE
 * 1024, the standard mounts, masked and read-only paths), with berth's
 * hostname, ociVersion 1.2.0 and a cgroup namespace.
 *
 * --rootless changes it the way `runc spec --rootless` does: a user
 * namespace mapping root to the caller's euid/egid, no network namespace,
 * no uid=/gid= mount options (the ids are not mapped), /sys bind-mounted
 * from the host (sysfs cannot be mounted without a netns of our own), and
 * no cgroup resources. */
#include "spec/internal.h"

#include <string.h>
#include <unistd.h>

#include "util/util.h"

struct default_mount
{
  const char *destination, *type, *source;
  const char *options[8];
};

static const struct default_mount default_mounts[] = {
  { "/proc", "proc", "proc", { NULL } },
  { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" } },
  { "/dev/pts", "devpts", "devpts", { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } },
  { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" } },
  { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" } },
  { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" } },
  { "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro" } },
};

static const struct default_mount rootless_sys = {
  "/sys", "none", "/sys", { "rbind", "nosuid", "noexec", "nodev", "ro" },
};

static const char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };

static const char *const default_env[] = {
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  "TERM=xterm",
  NULL,
};

const char *const *spec_default_env(void)
{
  return default_env;
}

static const char *const masked_paths[] = {
  "/proc/acpi",       "/proc/asound",      "/proc/kcore",       "/proc/keys",    "/proc/latency_stats",
  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
  NULL,
};

static const char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

static const char *const namespaces[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };
static const char *const rootless_namespaces[] = { "pid", "ipc", "uts", "mount", "cgroup", "user", NULL };

static void emit_process(struct jgen *w, const struct spec_default_process *p)
{
  jg_key(w, "process");
  jg_open(w);
  jg_kbool(w, "terminal", p == NULL);
  jg_key(w, "user");
  jg_open(w);
  jg_kuint(w, "uid", p ? p->uid : 0);
  jg_kuint(w, "gid", p ? p->gid : 0);
  if (p && p->n_additional_gids)
    {
      jg_key(w, "additionalGids");
      jg_aopen(w);
      for (size_t i = 0; i < p->n_additional_gids; i++)
        jg_uint(w, p->additional_gids[i]);
      jg_aclose(w);
    }
  jg_close(w);
  jg_kstrv(w, "args", p ? p->args : (const char *const[]){ "sh", NULL });
  jg_kstrv(w, "env", p ? p->env : default_env);
  jg_kstr(w, "cwd", p ? p->cwd : "/");
  jg_key(w, "capabilities");
  jg_open(w);
  jg_kstrv(w, "bounding", default_caps);
  jg_kstrv(w, "effective", default_caps);
  jg_kstrv(w, "permitted", default_caps);
  jg_close(w);
  jg_key(w, "rlimits");
  jg_aopen(w);
  jg_open(w);
  jg_kstr(w, "type", "RLIMIT_NOFILE");
  jg_kuint(w, "hard", 1024);
  jg_kuint(w, "soft", 1024);
  jg_close(w);
  jg_aclose(w);
  jg_kbool(w, "noNewPrivileges", true);
  jg_close(w);
}

static void emit_mount(struct jgen *w, const struct default_mount *m, bool rootless)
{
  jg_open(w);
  jg_kstr(w, "destination", m->destination);
  jg_kstr(w, "type", m->type);
  jg_kstr(w, "source", m->source);
  if (m->options[0])
    {
      jg_key(w, "options");
      jg_aopen(w);
      for (const char *const *o = m->options; *o; o++)
        if (!rootless || (!str_has_prefix(*o, "uid=") && !str_has_prefix(*o, "gid=")))
          jg_str(w, *o);
      jg_aclose(w);
    }
  jg_close(w);
}

static void emit_mounts(struct jgen *w, bool rootless)
{
  jg_key(w, "mounts");
  jg_aopen(w);
  for (size_t i = 0; i < ARRAY_SIZE(default_mounts); i++)
    {
      const struct default_mount *m = &default_mounts[i];
      if (rootless && strcmp(m->destination, "/sys") == 0)
        m = &rootless_sys;
      emit_mount(w, m, rootless);
    }
  jg_aclose(w);
}

static void emit_id_mapping(struct jgen *w, const char *key, unsigned id)
{
  jg_key(w, key);
  jg_aopen(w);
  jg_open(w);
  jg_kuint(w, "containerID", 0);
  jg_kuint(w, "hostID", id);
  jg_kuint(w, "size", 1);
  jg_close(w);
  jg_aclose(w);
}

static void emit_linux(struct jgen *w, bool rootless)
{
  jg_key(w, "linux");
  jg_open(w);
  if (rootless)
    {
      emit_id_mapping(w, "uidMappings", (unsigned) geteuid());
      emit_id_mapping(w, "gidMappings", (unsigned) getegid());
    }
  else
    {
      jg_key(w, "resources");
      jg_open(w);
      jg_key(w, "devices");
      jg_aopen(w);
      jg_open(w);
      jg_kbool(w, "allow", false);
      jg_kstr(w, "access", "rwm");
      jg_close(w);
      jg_aclose(w);
      jg_close(w);
    }
  jg_key(w, "namespaces");
  jg_aopen(w);
  for (const char *const *ns = rootless ? rootless_namespaces : namespaces; *ns; ns++)
    {
      jg_open(w);
      jg_kstr(w, "type", *ns);
      jg_close(w);
    }
  jg_aclose(w);
  jg_kstrv(w, "maskedPaths", masked_paths);
  jg_kstrv(w, "readonlyPaths", readonly_paths);
  jg_close(w);
}

/* one entry per key, at its first place, with its last value */
static void emit_annotations(struct jgen *w, const struct spec_kv *kv, size_t n)
{
  if (n == 0)
    return;
  jg_key(w, "annotations");
  jg_open(w);
  for (size_t i = 0; i < n; i++)
    {
      bool seen = false;
      for (size_t j = 0; j < i && !seen; j++)
        seen = str_eq(kv[j].key, kv[i].key);
      if (seen)
        continue;
      const char *value = kv[i].value;
      for (size_t j = i + 1; j < n; j++)
        if (str_eq(kv[j].key, kv[i].key))
          value = kv[j].value;
      jg_kstr(w, kv[i].key, value ? value : "");
    }
  jg_close(w);
}

int spec_default_config_emit(bool rootless, char **out, size_t *out_len, berth_error_t *err)
{
  const struct spec_default_opts o = { .rootless = rootless };
  return spec_default_config_emit_opts(&o, out, out_len, err);
}

int spec_default_config_emit_opts(const struct spec_default_opts *o, char **out, size_t *out_len,
                                  berth_error_t *err)
{
  bool rootless = o->rootless;
  struct jgen w;
  if (jgen_init(&w, "\t", err) < 0)
    return -1;
  jg_open(&w);
  jg_kstr(&w, "ociVersion", BERTH_OCI_VERSION);
  emit_process(&w, o->process);
  jg_key(&w, "root");
  jg_open(&w);
  jg_kstr(&w, "path", "rootfs");
  jg_kbool(&w, "readonly", true);
  jg_close(&w);
  jg_kstr(&w, "hostname", "berth");
  emit_mounts(&w, rootless);
  emit_linux(&w, rootless);
  emit_annotations(&w, o->annotations, o->n_annotations);
  jg_close(&w);
  return jgen_finish(&w, "default config", out, out_len, err);
}
