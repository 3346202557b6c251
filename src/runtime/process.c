/* The container process: settings applied as root inside the container
 * (process_apply_container), the executable lookup, and the identity
 * switch right before execve (process_apply_identity). */
#include "runtime/linux.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/ioprio.h>
#include <linux/sched.h>
#include <grp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/init.h"
#include "storage/procfs.h"
#include "storage/storage.h"
#include "util/log.h"
#include "util/util.h"

/* the kernel's struct sched_attr (linux/sched/types.h clashes with sched.h) */
struct berth_sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ------------------------------------------------------------ name tables */

struct name_value
{
  const char *name;
  long long value;
};

static long long table_lookup(const struct name_value *t, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (str_eq(t[i].name, name))
      return t[i].value;
  return -1;
}

static const struct name_value rlimits[] = {
  { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_DATA", RLIMIT_DATA },       { "RLIMIT_STACK", RLIMIT_STACK },
  { "RLIMIT_CORE", RLIMIT_CORE },       { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },     { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

int process_rlimit_resource(const char *name)
{
  return (int) table_lookup(rlimits, ARRAY_SIZE(rlimits), name);
}

static const struct name_value policies[] = {
  { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO },   { "SCHED_RR", SCHED_RR },
  { "SCHED_BATCH", SCHED_BATCH }, { "SCHED_ISO", 4 },             { "SCHED_IDLE", SCHED_IDLE },
  { "SCHED_DEADLINE", SCHED_DEADLINE },
};

int process_sched_policy(const char *name)
{
  return (int) table_lookup(policies, ARRAY_SIZE(policies), name);
}

static const struct name_value sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", SCHED_FLAG_RESET_ON_FORK },
  { "SCHED_FLAG_RECLAIM", SCHED_FLAG_RECLAIM },
  { "SCHED_FLAG_DL_OVERRUN", SCHED_FLAG_DL_OVERRUN },
  { "SCHED_FLAG_KEEP_POLICY", SCHED_FLAG_KEEP_POLICY },
  { "SCHED_FLAG_KEEP_PARAMS", SCHED_FLAG_KEEP_PARAMS },
  { "SCHED_FLAG_UTIL_CLAMP_MIN", SCHED_FLAG_UTIL_CLAMP_MIN },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", SCHED_FLAG_UTIL_CLAMP_MAX },
};

unsigned long long process_sched_flag(const char *name)
{
  long long v = table_lookup(sched_flags, ARRAY_SIZE(sched_flags), name);
  return v < 0 ? 0 : (unsigned long long) v;
}

static const struct name_value ioprio_classes[] = {
  { "IOPRIO_CLASS_RT", IOPRIO_CLASS_RT },
  { "IOPRIO_CLASS_BE", IOPRIO_CLASS_BE },
  { "IOPRIO_CLASS_IDLE", IOPRIO_CLASS_IDLE },
};

int process_ioprio_class(const char *name)
{
  return (int) table_lookup(ioprio_classes, ARRAY_SIZE(ioprio_classes), name);
}

/* ------------------------------------------------------------ executable lookup */

static bool is_executable_file(const char *path, int *why)
{
  struct stat st;
  if (stat(path, &st) < 0)
    {
      *why = errno;
      return false;
    }
  if (S_ISDIR(st.st_mode))
    {
      *why = EISDIR;
      return false;
    }
  if (access(path, X_OK) < 0)
    {
      *why = errno;
      return false;
    }
  return true;
}

/* Go's error strings, which is what Podman and tests match */
static const char *lower_strerror(int e)
{
  switch (e)
    {
    case ENOENT:
      return "no such file or directory";
    case EACCES:
      return "permission denied";
    case EISDIR:
      return "is a directory";
    case ENOTDIR:
      return "not a directory";
    case ELOOP:
      return "too many levels of symbolic links";
    default:
      return strerror(e);
    }
}

int process_lookup_path(const char *name, const char *path_env, char **path_out,
                        berth_error_t *err)
{
  int why = 0;
  if (*name == '\0')
    return berth_fail(err, 0, "exec: \"\": executable file not found in $PATH");
  if (strchr(name, '/'))
    {
      if (!is_executable_file(name, &why))
        return berth_fail(err, 0, "exec: \"%s\": %s", name, lower_strerror(why));
      *path_out = xstrdup(name);
      return 0;
    }
  const char *search = path_env ? path_env : DEFAULT_PATH;
  for (const char *p = search;;)
    {
      const char *end = strchrnul(p, ':');
      _cleanup_free_ char *dir = end == p ? xstrdup(".") : xstrndup(p, end - p);
      _cleanup_free_ char *candidate = xasprintf("%s/%s", dir, name);
      if (is_executable_file(candidate, &why))
        {
          *path_out = steal_pointer(&candidate);
          return 0;
        }
      if (*end == '\0')
        break;
      p = end + 1;
    }
  return berth_fail(err, 0, "exec: \"%s\": executable file not found in $PATH", name);
}

int process_find_executable(const struct spec_process *p, char **path_out, berth_error_t *err)
{
  if (!p->args || !p->args[0])
    return berth_fail(err, 0, ".process.args: must not be empty");
  const char *path_env = NULL;
  for (size_t i = 0; p->env && p->env[i]; i++)
    if (str_has_prefix(p->env[i], "PATH="))
      path_env = p->env[i] + 5; /* the last one wins, as in execve's env */
  return process_lookup_path(p->args[0], path_env, path_out, err);
}

/* ------------------------------------------------------------ container settings */

int process_apply_names(const struct init_ctx *ctx, berth_error_t *err)
{
  const struct spec_config *c = ctx->config;
  if (c->hostname && *c->hostname)
    {
      if (ctx->utsns_owner != NS_OWNER_CONTAINER)
        return berth_fail(err, 0,
                          ".hostname: cannot set a hostname without a UTS namespace of the "
                          "container's own (%s)",
                          ns_owner_why_not(ctx->utsns_owner));
      if (sethostname(c->hostname, strlen(c->hostname)) < 0)
        return berth_fail_sys(err, "set hostname %s", c->hostname);
    }
  if (c->domainname && *c->domainname)
    {
      if (ctx->utsns_owner != NS_OWNER_CONTAINER)
        return berth_fail(err, 0,
                          ".domainname: cannot set a domainname without a UTS namespace of the "
                          "container's own (%s)",
                          ns_owner_why_not(ctx->utsns_owner));
      if (setdomainname(c->domainname, strlen(c->domainname)) < 0)
        return berth_fail_sys(err, "set domainname %s", c->domainname);
    }
  return 0;
}

int sysctl_apply(const struct init_ctx *ctx, berth_error_t *err)
{
  const struct spec_linux *l = ctx->config->linux_;
  if (!l || l->n_sysctl == 0)
    return 0;
  /* a procfs of our own: whatever the config mounted on the container's
   * /proc (or over /proc/sys/...) cannot take the writes */
  _cleanup_close_ int proc = procfs_open(PROCFS_FULL, err);
  if (proc < 0)
    return berth_wrap(err, ".linux.sysctl");
  for (size_t i = 0; i < l->n_sysctl; i++)
    {
      const struct spec_kv *kv = &l->sysctl[i];
      if (sysctl_validate(kv->key, kv->value, ctx->netns_owner, ctx->ipcns_owner, ctx->utsns_owner, err)
          < 0)
        return berth_wrap(err, ".linux.sysctl");
      _cleanup_free_ char *path = xasprintf("sys/%s", kv->key);
      for (char *c = path + strlen("sys/"); *c; c++)
        if (*c == '.')
          *c = '/';
      if (procfs_write(proc, path, kv->value, strlen(kv->value), err) < 0)
        return berth_wrap(err, "set sysctl %s=%s", kv->key, kv->value);
    }
  return 0;
}

static int apply_oom_score_adj(const struct spec_process *p, berth_error_t *err)
{
  if (!p->oom_score_adj.set)
    return 0;
  _cleanup_free_ char *v = xasprintf("%lld", (long long) p->oom_score_adj.value);
  if (procfs_write_once(PROCFS_PIDS, "self/oom_score_adj", v, strlen(v), err) < 0)
    return berth_wrap(err, "set .process.oomScoreAdj");
  return 0;
}

static int apply_personality(const struct spec_linux *l, berth_error_t *err)
{
  if (!l || !l->personality)
    return 0;
  const struct spec_personality *pers = l->personality;
  unsigned long domain;
  if (str_eq(pers->domain, "LINUX"))
    domain = PER_LINUX;
  else if (str_eq(pers->domain, "LINUX32"))
    domain = PER_LINUX32;
  else
    return berth_fail(err, 0, ".linux.personality.domain: unknown domain \"%s\"",
                      pers->domain ? pers->domain : "");
  if (pers->flags && pers->flags[0])
    return berth_fail(err, 0, ".linux.personality.flags: flag \"%s\" is not supported",
                      pers->flags[0]);
  if (personality(domain) < 0)
    return berth_fail_sys(err, "set personality %s", pers->domain);
  return 0;
}

static int apply_scheduler(const struct spec_scheduler *s, berth_error_t *err)
{
  if (!s)
    return 0;
  int policy = process_sched_policy(s->policy ? s->policy : "");
  if (policy < 0)
    return berth_fail(err, 0, ".process.scheduler.policy: unknown policy \"%s\"",
                      s->policy ? s->policy : "");
  struct berth_sched_attr attr = { .size = sizeof attr, .sched_policy = (uint32_t) policy };
  for (size_t i = 0; s->flags && s->flags[i]; i++)
    {
      unsigned long long f = process_sched_flag(s->flags[i]);
      if (!f)
        return berth_fail(err, 0, ".process.scheduler.flags: unknown flag \"%s\"", s->flags[i]);
      attr.sched_flags |= f;
    }
  if (s->nice.set)
    attr.sched_nice = (int32_t) s->nice.value;
  if (s->priority.set)
    attr.sched_priority = (uint32_t) s->priority.value;
  if (s->runtime.set)
    attr.sched_runtime = s->runtime.value;
  if (s->deadline.set)
    attr.sched_deadline = s->deadline.value;
  if (s->period.set)
    attr.sched_period = s->period.value;
  if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
    return berth_fail_sys(err, "set .process.scheduler (policy %s)", s->policy);
  return 0;
}

static int apply_io_priority(const struct spec_io_priority *io, berth_error_t *err)
{
  if (!io)
    return 0;
  int class = process_ioprio_class(io->class ? io->class : "");
  if (class < 0)
    return berth_fail(err, 0, ".process.ioPriority.class: unknown class \"%s\"",
                      io->class ? io->class : "");
  if (io->priority < 0 || io->priority > 7)
    return berth_fail(err, 0, ".process.ioPriority.priority: %lld is not in 0..7",
                      (long long) io->priority);
  int value = (class << IOPRIO_CLASS_SHIFT) | (int) io->priority;
  if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, value) < 0)
    return berth_fail_sys(err, "set .process.ioPriority");
  return 0;
}

static int enter_cwd(const char *cwd, berth_error_t *err)
{
  if (!cwd || !*cwd)
    cwd = "/";
  if (cwd[0] != '/')
    return berth_fail(err, 0, ".process.cwd: \"%s\" is not an absolute path", cwd);
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return berth_fail_sys(err, "open /");
  /* rootfs_prepare created it when missing (root may be read-only now) */
  _cleanup_close_ int dir = storage_open_in_root(root, cwd, O_PATH | O_DIRECTORY, 0, err);
  if (dir < 0)
    return berth_wrap(err, ".process.cwd %s", cwd);
  if (fchdir(dir) < 0)
    return berth_fail_sys(err, "chdir to .process.cwd %s", cwd);
  _cleanup_free_ char *got = getcwd(NULL, 0);
  if (!got || got[0] != '/')
    return berth_fail(err, 0, ".process.cwd %s: the directory is outside the container", cwd);
  return 0;
}

int process_apply_container(const struct init_ctx *ctx, berth_error_t *err)
{
  const struct spec_process *p = ctx->process;
  if (apply_oom_score_adj(p, err) < 0
      || apply_personality(ctx->config->linux_, err) < 0 || apply_scheduler(p->scheduler, err) < 0
      || apply_io_priority(p->io_priority, err) < 0)
    return berth_error_ret(*err);
  umask(p->user.umask.set ? (mode_t) (p->user.umask.value & 0777) : 0022);
  return enter_cwd(p->cwd, err);
}

/* ------------------------------------------------------------ identity */

static int apply_rlimits(const struct spec_process *p, berth_error_t *err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      const struct spec_rlimit *r = &p->rlimits[i];
      int res = process_rlimit_resource(r->type);
      if (res < 0)
        return berth_fail(err, 0, ".process.rlimits: unknown type \"%s\"", r->type);
      struct rlimit lim = { .rlim_cur = r->soft, .rlim_max = r->hard };
      if (setrlimit(res, &lim) < 0)
        return berth_fail_sys(err, "set %s soft %llu hard %llu", r->type,
                              (unsigned long long) r->soft, (unsigned long long) r->hard);
    }
  return 0;
}

static bool setgroups_denied(void)
{
  _cleanup_free_ char *s = NULL;
  size_t len;
  berth_error_t e = NULL;
  if (read_file_at(AT_FDCWD, "/proc/self/setgroups", 64, &s, &len, &e) < 0)
    {
      berth_error_free(&e);
      return false;
    }
  return str_has_prefix(s, "deny");
}

/* The initial user namespace maps every id to itself (read in the
 * container's /proc: false without one). */
static bool in_initial_userns(void)
{
  _cleanup_free_ char *s = NULL;
  size_t len;
  _cleanup_error_ berth_error_t e = NULL;
  if (read_file_at(AT_FDCWD, "/proc/self/uid_map", 256, &s, &len, &e) < 0)
    return false; /* unknown: keep the groups as they are */
  unsigned long long inside, outside, count;
  return sscanf(s, "%llu %llu %llu", &inside, &outside, &count) == 3 && inside == 0 && outside == 0
         && count == 4294967295ULL;
}

/* run.oci.keep_original_groups: the groups we have (the caller's) plus
 * additionalGids. In a user namespace the caller's groups read back as
 * the overflow gid, which cannot be told from a mapped one: setting the
 * list again would swap them for it, so they stay as they are and
 * additionalGids is ignored (crun skips setgroups alike). */
static int keep_original_groups(const struct spec_user *u, berth_error_t *err)
{
  if (!in_initial_userns())
    {
      if (u->n_additional_gids)
        berth_log_warning("additionalGids ignored: run.oci.keep_original_groups keeps the caller's groups "
                          "as they are in a user namespace");
      return 0;
    }
  int n = getgroups(0, NULL);
  if (n < 0)
    return berth_fail_sys(err, "getgroups");
  _cleanup_free_ gid_t *list = xcalloc((size_t) n + u->n_additional_gids + 1, sizeof *list);
  n = getgroups(n, list);
  if (n < 0)
    return berth_fail_sys(err, "getgroups");
  size_t total = (size_t) n;
  for (size_t i = 0; i < u->n_additional_gids; i++)
    {
      bool dup = false;
      for (size_t j = 0; j < total && !dup; j++)
        dup = list[j] == (gid_t) u->additional_gids[i];
      if (!dup)
        list[total++] = (gid_t) u->additional_gids[i];
    }
  if (total == (size_t) n)
    return 0;
  if (setgroups(total, list) < 0)
    return berth_fail_sys(err, "setgroups (the caller's groups and .process.user.additionalGids)");
  return 0;
}

static int switch_user(const struct spec_user *u, bool keep_groups, berth_error_t *err)
{
  if (keep_groups)
    {
      if (keep_original_groups(u, err) < 0)
        return -1;
    }
  else if (setgroups(u->n_additional_gids, (const gid_t *) u->additional_gids) < 0)
    {
      if (errno != EPERM || !setgroups_denied())
        return berth_fail_sys(err, "setgroups (.process.user.additionalGids)");
      if (u->n_additional_gids)
        berth_log_warning("additionalGids ignored: setgroups is denied in this user namespace");
    }
  if (setresgid(u->gid, u->gid, u->gid) < 0)
    return berth_fail_sys(err, "setgid %u", u->gid);
  if (setresuid(u->uid, u->uid, u->uid) < 0)
    return berth_fail_sys(err, "setuid %u", u->uid);
  return 0;
}

/* a set of capabilities as a bit mask. create and exec refused names
 * that libcap or the kernel does not know (hostcheck.h); one that still
 * gets here is skipped, never turned into some other bit */
struct cap_mask
{
  unsigned long long bits;
};

static void caps_parse(char **names, const char *set, struct cap_mask *out)
{
  cap_value_t max = cap_max_bits();
  out->bits = 0;
  for (size_t i = 0; names && names[i]; i++)
    {
      cap_value_t v;
      if (cap_from_name(names[i], &v) < 0)
        {
          berth_log_warning("capabilities.%s: unknown capability \"%s\" ignored", set, names[i]);
          continue;
        }
      if (v >= max || v >= 64)
        {
          berth_log_debug("capabilities.%s: %s is not known to this kernel, ignored", set,
                          names[i]);
          continue;
        }
      out->bits |= 1ULL << v;
    }
}

static void cap_name_freep(char **p)
{
  if (*p)
    cap_free(*p);
}

static int drop_bounding(const struct cap_mask *keep, berth_error_t *err)
{
  cap_value_t max = cap_max_bits();
  for (cap_value_t v = 0; v < max && v < 64; v++)
    if (!(keep->bits & (1ULL << v)) && cap_get_bound(v) > 0 && cap_drop_bound(v) < 0)
      {
        _cleanup_(cap_name_freep) char *name = cap_to_name(v);
        return berth_fail_sys(err, "drop %s from the bounding set", name ? name : "capability");
      }
  return 0;
}

static void flag_set(cap_t caps, cap_flag_t flag, const struct cap_mask *m)
{
  for (cap_value_t v = 0; v < 64; v++)
    if (m->bits & (1ULL << v))
      cap_set_flag(caps, flag, 1, &v, CAP_SET);
}

static void cap_freep(cap_t *c)
{
  if (*c)
    cap_free(*c);
}

static int set_process_caps(const struct cap_mask *eff, const struct cap_mask *perm,
                            const struct cap_mask *inh, berth_error_t *err)
{
  _cleanup_(cap_freep) cap_t caps = cap_init();
  if (!caps)
    return berth_fail_sys(err, "cap_init");
  flag_set(caps, CAP_EFFECTIVE, eff);
  flag_set(caps, CAP_PERMITTED, perm);
  flag_set(caps, CAP_INHERITABLE, inh);
  if (cap_set_proc(caps) < 0)
    return berth_fail_sys(err, "set capabilities (effective, permitted, inheritable)");
  return 0;
}

/* A capability can only be ambient when it is permitted and inheritable.
 * runc's default spec lists ambient caps without inheritable ones and runc
 * silently ends with an empty ambient set; do the same for those. */
static int set_ambient(const struct cap_mask *wanted, const struct cap_mask *perm,
                       const struct cap_mask *inh, berth_error_t *err)
{
  struct cap_mask m = { wanted->bits & perm->bits & inh->bits };
  const struct cap_mask *amb = &m;
  if (m.bits != wanted->bits)
    berth_log_debug("ambient capabilities that are not permitted and inheritable are ignored");
  /* one prctl: libcap's cap_reset_ambient first reads the ambient bit of
   * every capability, one syscall each */
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return berth_fail_sys(err, "clear the ambient capabilities");
  for (cap_value_t v = 0; v < 64; v++)
    if ((amb->bits & (1ULL << v)) && cap_set_ambient(v, CAP_SET) < 0)
      {
        _cleanup_(cap_name_freep) char *name = cap_to_name(v);
        return berth_fail_sys(err, "raise ambient %s (it must be permitted and inheritable)",
                              name ? name : "capability");
      }
  return 0;
}

int process_apply_identity(const struct spec_process *p, bool keep_groups, berth_error_t *err)
{
  struct spec_capabilities none = { 0 };
  const struct spec_capabilities *c = p->capabilities ? p->capabilities : &none;
  struct cap_mask bnd, eff, perm, inh, amb;
  caps_parse(c->bounding, "bounding", &bnd);
  caps_parse(c->effective, "effective", &eff);
  caps_parse(c->permitted, "permitted", &perm);
  caps_parse(c->inheritable, "inheritable", &inh);
  caps_parse(c->ambient, "ambient", &amb);

  if (apply_rlimits(p, err) < 0 || drop_bounding(&bnd, err) < 0)
    return berth_error_ret(*err);
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return berth_fail_sys(err, "prctl(PR_SET_KEEPCAPS)");
  if (switch_user(&p->user, keep_groups, err) < 0)
    return berth_error_ret(*err);
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return berth_fail_sys(err, "prctl(PR_SET_KEEPCAPS)");
  if (set_process_caps(&eff, &perm, &inh, err) < 0 || set_ambient(&amb, &perm, &inh, err) < 0)
    return berth_error_ret(*err);
  if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return berth_fail_sys(err, "prctl(PR_SET_NO_NEW_PRIVS)");
  return 0;
}
