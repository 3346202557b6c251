/* The "process" object: config.json's .process and exec's process.json
 * share this parser, so both follow the same rules. */
#include "spec/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static const char *const rlimit_names[] = {
  "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",    "RLIMIT_DATA",       "RLIMIT_FSIZE",  "RLIMIT_LOCKS",
  "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_NOFILE",    "RLIMIT_NPROC",  "RLIMIT_RSS",
  "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK",
};

static const char *const sched_policies[] = {
  "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE",
};

static const char *const ioprio_classes[] = { "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE" };

/* ------------------------------------------------------------ free */

static void capabilities_free(struct spec_capabilities *caps)
{
  if (!caps)
    return;
  strv_free(caps->bounding);
  strv_free(caps->effective);
  strv_free(caps->inheritable);
  strv_free(caps->permitted);
  strv_free(caps->ambient);
  free(caps);
}

void spec_process_clear(struct spec_process *p)
{
  free(p->console_size);
  free(p->user.additional_gids);
  free(p->user.username);
  strv_free(p->args);
  free(p->command_line);
  strv_free(p->env);
  free(p->cwd);
  capabilities_free(p->capabilities);
  for (size_t i = 0; p->rlimits && i < p->n_rlimits; i++)
    free(p->rlimits[i].type);
  free(p->rlimits);
  free(p->apparmor_profile);
  free(p->selinux_label);
  if (p->scheduler)
    {
      free(p->scheduler->policy);
      strv_free(p->scheduler->flags);
      free(p->scheduler);
    }
  if (p->io_priority)
    {
      free(p->io_priority->class);
      free(p->io_priority);
    }
  if (p->exec_cpu_affinity)
    {
      free(p->exec_cpu_affinity->initial);
      free(p->exec_cpu_affinity->final);
      free(p->exec_cpu_affinity);
    }
  memset(p, 0, sizeof *p);
}

void spec_process_free(struct spec_process *p)
{
  if (p)
    {
      spec_process_clear(p);
      free(p);
    }
}

/* ------------------------------------------------------------ parts */

static int parse_console_size(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_console_size *cs = elem;
  if (jrequire(c, n, p, "height") < 0 || jrequire(c, n, p, "width") < 0
      || jf_u32(c, n, p, "height", UINT32_MAX, &cs->height) < 0
      || jf_u32(c, n, p, "width", UINT32_MAX, &cs->width) < 0)
    return -1;
  return 0;
}

static int parse_gid(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  uint64_t v;
  if (ju64(c, n, p, JSON_ID_MAX, &v) < 0)
    return -1;
  *(uint32_t *) elem = (uint32_t) v;
  return 0;
}

static int parse_user(struct jctx *c, const struct jnode *obj, const struct jpath *p, struct spec_user *u)
{
  const struct jnode *n = jget(obj, "user");
  if (!n)
    return 0;
  p = JP_KEY(p, "user");
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jf_u32(c, n, p, "uid", JSON_ID_MAX, &u->uid) < 0
      || jf_u32(c, n, p, "gid", JSON_ID_MAX, &u->gid) < 0
      || jf_opt_u64(c, n, p, "umask", 0777, &u->umask) < 0
      || jf_array(c, n, p, "additionalGids", sizeof *u->additional_gids, parse_gid, &u->additional_gids,
                  &u->n_additional_gids) < 0
      || jf_str(c, n, p, "username", &u->username) < 0)
    return -1;
  return 0;
}

static bool looks_like_capability(const char *name)
{
  if (!str_has_prefix(name, "CAP_") || !name[4])
    return false;
  for (const char *s = name + 4; *s; s++)
    if (!isupper((unsigned char) *s) && !isdigit((unsigned char) *s) && *s != '_')
      return false;
  return true;
}

static int parse_cap_set(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
                         char ***out)
{
  if (jf_strv(c, obj, p, key, out, NULL) < 0)
    return -1;
  for (size_t i = 0; *out && (*out)[i]; i++)
    if (!looks_like_capability((*out)[i]))
      return jfail(c, JP_IDX(JP_KEY(p, key), i), "\"%.64s\" is not a capability name (CAP_*)", (*out)[i]);
  return 0;
}

static int parse_capabilities(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_capabilities *caps = elem;
  if (parse_cap_set(c, n, p, "bounding", &caps->bounding) < 0
      || parse_cap_set(c, n, p, "effective", &caps->effective) < 0
      || parse_cap_set(c, n, p, "inheritable", &caps->inheritable) < 0
      || parse_cap_set(c, n, p, "permitted", &caps->permitted) < 0
      || parse_cap_set(c, n, p, "ambient", &caps->ambient) < 0)
    return -1;
  return 0;
}

static int parse_rlimit(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_rlimit *r = elem;
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jrequire(c, n, p, "type") < 0 || jrequire(c, n, p, "soft") < 0
      || jrequire(c, n, p, "hard") < 0 || jf_str(c, n, p, "type", &r->type) < 0
      || spec_check_enum(c, JP_KEY(p, "type"), "rlimit", r->type, rlimit_names, ARRAY_SIZE(rlimit_names)) < 0
      || jf_u64(c, n, p, "soft", UINT64_MAX, &r->soft) < 0
      || jf_u64(c, n, p, "hard", UINT64_MAX, &r->hard) < 0)
    return -1;
  return 0;
}

static int parse_rlimits(struct jctx *c, const struct jnode *obj, const struct jpath *p, struct spec_process *proc)
{
  if (jf_array(c, obj, p, "rlimits", sizeof *proc->rlimits, parse_rlimit, &proc->rlimits, &proc->n_rlimits) < 0)
    return -1;
  /* types are from a fixed list of 16, so a bitmask finds duplicates */
  uint32_t seen = 0;
  for (size_t i = 0; i < proc->n_rlimits; i++)
    for (size_t k = 0; k < ARRAY_SIZE(rlimit_names); k++)
      if (strcmp(proc->rlimits[i].type, rlimit_names[k]) == 0)
        {
          if (seen & (1u << k))
            return jfail(c, JP_KEY(JP_IDX(JP_KEY(p, "rlimits"), i), "type"), "duplicate rlimit %s",
                         rlimit_names[k]);
          seen |= 1u << k;
        }
  return 0;
}

static int parse_scheduler(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_scheduler *s = elem;
  if (jrequire(c, n, p, "policy") < 0 || jf_str(c, n, p, "policy", &s->policy) < 0
      || spec_check_enum(c, JP_KEY(p, "policy"), "scheduler policy", s->policy, sched_policies,
                         ARRAY_SIZE(sched_policies)) < 0
      || jf_opt_i64(c, n, p, "nice", INT32_MIN, INT32_MAX, &s->nice) < 0
      || jf_opt_i64(c, n, p, "priority", INT32_MIN, INT32_MAX, &s->priority) < 0
      || jf_strv(c, n, p, "flags", &s->flags, NULL) < 0
      || jf_opt_u64(c, n, p, "runtime", UINT64_MAX, &s->runtime) < 0
      || jf_opt_u64(c, n, p, "deadline", UINT64_MAX, &s->deadline) < 0
      || jf_opt_u64(c, n, p, "period", UINT64_MAX, &s->period) < 0)
    return -1;
  return 0;
}

static int parse_io_priority(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_io_priority *io = elem;
  if (jrequire(c, n, p, "class") < 0 || jf_str(c, n, p, "class", &io->class) < 0
      || spec_check_enum(c, JP_KEY(p, "class"), "I/O priority class", io->class, ioprio_classes,
                         ARRAY_SIZE(ioprio_classes)) < 0
      || jf_i64(c, n, p, "priority", 0, 7, &io->priority) < 0)
    return -1;
  return 0;
}

static int parse_cpu_affinity(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_exec_cpu_affinity *a = elem;
  if (jf_str(c, n, p, "initial", &a->initial) < 0 || jf_str(c, n, p, "final", &a->final) < 0)
    return -1;
  return 0;
}

static int check_args_and_cwd(struct jctx *c, const struct jnode *n, const struct jpath *p,
                              const struct spec_process *proc)
{
  if (!proc->args)
    return jfail(c, JP_KEY(p, "args"), "required");
  if (proc->n_args == 0)
    return jfail(c, JP_KEY(p, "args"), "must not be empty");
  if (!proc->cwd)
    return jfail(c, JP_KEY(p, "cwd"), "required");
  if (!spec_is_absolute(proc->cwd))
    return jfail(c, JP_KEY(p, "cwd"), "\"%.64s\" is not an absolute path", proc->cwd);
  return 0;
}

/* ------------------------------------------------------------ process */

int spec_parse_process(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_process *proc = elem;
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jf_bool(c, n, p, "terminal", &proc->terminal) < 0
      || jf_object(c, n, p, "consoleSize", sizeof *proc->console_size, parse_console_size, &proc->console_size) < 0
      || parse_user(c, n, p, &proc->user) < 0 || jf_strv(c, n, p, "args", &proc->args, &proc->n_args) < 0
      || jf_str(c, n, p, "commandLine", &proc->command_line) < 0
      || jf_strv(c, n, p, "env", &proc->env, &proc->n_env) < 0 || jf_str(c, n, p, "cwd", &proc->cwd) < 0
      || jf_object(c, n, p, "capabilities", sizeof *proc->capabilities, parse_capabilities,
                   &proc->capabilities) < 0
      || parse_rlimits(c, n, p, proc) < 0
      || jf_bool(c, n, p, "noNewPrivileges", &proc->no_new_privileges) < 0
      || jf_str(c, n, p, "apparmorProfile", &proc->apparmor_profile) < 0
      || jf_opt_i64(c, n, p, "oomScoreAdj", -1000, 1000, &proc->oom_score_adj) < 0
      || jf_str(c, n, p, "selinuxLabel", &proc->selinux_label) < 0
      || jf_object(c, n, p, "scheduler", sizeof *proc->scheduler, parse_scheduler, &proc->scheduler) < 0
      || jf_object(c, n, p, "ioPriority", sizeof *proc->io_priority, parse_io_priority, &proc->io_priority) < 0
      || jf_object(c, n, p, "execCPUAffinity", sizeof *proc->exec_cpu_affinity, parse_cpu_affinity,
                   &proc->exec_cpu_affinity) < 0)
    return -1;
  return check_args_and_cwd(c, n, p, proc);
}

static void process_freep(struct spec_process **p)
{
  spec_process_free(*p);
}

int spec_process_parse(const char *json, size_t len, const char *label, struct spec_process **out,
                       berth_error_t *err)
{
  _cleanup_(json_freep) struct jnode *root = NULL;
  if (json_parse(json, len, label, &root, err) < 0)
    return -1;
  struct jctx c = { label, err };
  _cleanup_(process_freep) struct spec_process *proc = xcalloc(1, sizeof *proc);
  if (spec_parse_process(&c, root, NULL, proc) < 0)
    return -1;
  *out = steal_pointer(&proc);
  return 0;
}
