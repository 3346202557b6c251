/* spec/sandbox.h: the sandbox's config.json and its report. */
#include "spec/sandbox.h"

#include <signal.h>
#include <string.h>

#include "spec/internal.h"
#include "util/util.h"

static void emit_user(struct jgen *w, const struct spec_user *u)
{
  jg_key(w, "user");
  jg_open(w);
  jg_kuint(w, "uid", u->uid);
  jg_kuint(w, "gid", u->gid);
  if (u->n_additional_gids)
    {
      jg_key(w, "additionalGids");
      jg_aopen(w);
      for (size_t i = 0; i < u->n_additional_gids; i++)
        jg_uint(w, u->additional_gids[i]);
      jg_aclose(w);
    }
  jg_close(w);
}

static void emit_capabilities(struct jgen *w, const struct spec_capabilities *c)
{
  if (!c)
    return;
  jg_key(w, "capabilities");
  jg_open(w);
  jg_kstrv(w, "bounding", (const char *const *) c->bounding);
  jg_kstrv(w, "effective", (const char *const *) c->effective);
  jg_kstrv(w, "inheritable", (const char *const *) c->inheritable);
  jg_kstrv(w, "permitted", (const char *const *) c->permitted);
  jg_kstrv(w, "ambient", (const char *const *) c->ambient);
  jg_close(w);
}

static void emit_process(struct jgen *w, const struct spec_process *p)
{
  if (!p)
    return;
  jg_key(w, "process");
  jg_open(w);
  jg_kbool(w, "terminal", p->terminal);
  emit_user(w, &p->user);
  jg_kstrv(w, "args", (const char *const *) p->args);
  jg_kstrv(w, "env", (const char *const *) p->env);
  jg_kstr(w, "cwd", p->cwd);
  emit_capabilities(w, p->capabilities);
  if (p->n_rlimits)
    {
      jg_key(w, "rlimits");
      jg_aopen(w);
      for (size_t i = 0; i < p->n_rlimits; i++)
        {
          jg_open(w);
          jg_kstr(w, "type", p->rlimits[i].type);
          jg_kuint(w, "hard", p->rlimits[i].hard);
          jg_kuint(w, "soft", p->rlimits[i].soft);
          jg_close(w);
        }
      jg_aclose(w);
    }
  jg_kbool(w, "noNewPrivileges", p->no_new_privileges);
  jg_close(w);
}

static void emit_mounts(struct jgen *w, const struct spec_config *c)
{
  jg_key(w, "mounts");
  jg_aopen(w);
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      const struct spec_mount *m = &c->mounts[i];
      jg_open(w);
      jg_kstr(w, "destination", m->destination);
      jg_kstr(w, "type", m->type);
      jg_kstr(w, "source", m->source);
      jg_kstrv(w, "options", (const char *const *) m->options);
      jg_close(w);
    }
  jg_aclose(w);
}

static void emit_seccomp(struct jgen *w, const struct spec_seccomp *s)
{
  if (!s)
    return;
  jg_key(w, "seccomp");
  jg_open(w);
  jg_kstr(w, "defaultAction", s->default_action);
  if (s->default_errno_ret.set)
    jg_kuint(w, "defaultErrnoRet", s->default_errno_ret.value);
  jg_kstrv(w, "architectures", (const char *const *) s->architectures);
  jg_kstrv(w, "flags", (const char *const *) s->flags);
  jg_key(w, "syscalls");
  jg_aopen(w);
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      const struct spec_seccomp_syscall *sc = &s->syscalls[i];
      jg_open(w);
      jg_kstrv(w, "names", (const char *const *) sc->names);
      jg_kstr(w, "action", sc->action);
      if (sc->errno_ret.set)
        jg_kuint(w, "errnoRet", sc->errno_ret.value);
      if (sc->n_args)
        {
          jg_key(w, "args");
          jg_aopen(w);
          for (size_t j = 0; j < sc->n_args; j++)
            {
              jg_open(w);
              jg_kuint(w, "index", sc->args[j].index);
              jg_kuint(w, "value", sc->args[j].value);
              jg_kuint(w, "valueTwo", sc->args[j].value_two);
              jg_kstr(w, "op", sc->args[j].op);
              jg_close(w);
            }
          jg_aclose(w);
        }
      jg_close(w);
    }
  jg_aclose(w);
  jg_close(w);
}

static void emit_linux(struct jgen *w, const struct spec_linux *l)
{
  if (!l)
    return;
  jg_key(w, "linux");
  jg_open(w);
  jg_key(w, "namespaces");
  jg_aopen(w);
  for (size_t i = 0; i < l->n_namespaces; i++)
    {
      jg_open(w);
      jg_kstr(w, "type", spec_ns_type_name(l->namespaces[i].type));
      jg_kstr(w, "path", l->namespaces[i].path);
      jg_close(w);
    }
  jg_aclose(w);
  jg_kstr(w, "cgroupsPath", l->cgroups_path);
  if (l->resources)
    {
      jg_key(w, "resources");
      jg_resources(w, l->resources);
    }
  jg_kstrv(w, "maskedPaths", (const char *const *) l->masked_paths);
  jg_kstrv(w, "readonlyPaths", (const char *const *) l->readonly_paths);
  emit_seccomp(w, l->seccomp);
  jg_close(w);
}

int spec_sandbox_config_emit(const struct spec_config *c, char **out, size_t *out_len, berth_error_t *err)
{
  struct jgen w;
  if (jgen_init(&w, "\t", err) < 0)
    return -1;
  jg_open(&w);
  jg_kstr(&w, "ociVersion", c->oci_version ? c->oci_version : BERTH_OCI_VERSION);
  emit_process(&w, c->process);
  if (c->root)
    {
      jg_key(&w, "root");
      jg_open(&w);
      jg_kstr(&w, "path", c->root->path);
      jg_kbool(&w, "readonly", c->root->readonly);
      jg_close(&w);
    }
  jg_kstr(&w, "hostname", c->hostname);
  emit_mounts(&w, c);
  if (c->n_annotations)
    jg_kkv(&w, "annotations", c->annotations, c->n_annotations);
  emit_linux(&w, c->linux_);
  jg_close(&w);
  return jgen_finish(&w, "sandbox config", out, out_len, err);
}

static void kseconds(struct jgen *w, const char *key, uint64_t units, unsigned per_second)
{
  jg_key(w, key);
  /* three decimals, as a JSON number */
  char buf[48];
  snprintf(buf, sizeof buf, "%llu.%03llu", (unsigned long long) (units / per_second),
           (unsigned long long) (units % per_second * 1000 / per_second));
  w->status = w->status == yajl_gen_status_ok ? yajl_gen_number(w->g, buf, strlen(buf)) : w->status;
}

int spec_sandbox_report_emit(const struct spec_sandbox_report *r, char **out, size_t *out_len,
                             berth_error_t *err)
{
  struct jgen w;
  if (jgen_init(&w, "  ", err) < 0)
    return -1;
  jg_open(&w);
  jg_kstr(&w, "id", r->id);
  jg_kint(&w, "exitStatus", r->exit_status);
  if (r->signal)
    {
      jg_key(&w, "exitCode");
      w.status = w.status == yajl_gen_status_ok ? yajl_gen_null(w.g) : w.status;
      jg_kstr(&w, "signal", sigabbrev_np(r->signal) ? sigabbrev_np(r->signal) : "?");
    }
  else
    {
      jg_kint(&w, "exitCode", r->exit_code);
      jg_key(&w, "signal");
      w.status = w.status == yajl_gen_status_ok ? yajl_gen_null(w.g) : w.status;
    }
  jg_kbool(&w, "timedOut", r->timed_out);
  if (r->interrupted_by)
    jg_kstr(&w, "interruptedBy", sigabbrev_np(r->interrupted_by) ? sigabbrev_np(r->interrupted_by) : "?");
  kseconds(&w, "wallSeconds", r->wall_ms, 1000);
  kseconds(&w, "userSeconds", r->user_us, 1000000);
  kseconds(&w, "systemSeconds", r->system_us, 1000000);
  jg_kuint(&w, "peakMemoryBytes", r->peak_memory_bytes);
  jg_kuint(&w, "ioReadBytes", r->io_read_bytes);
  jg_kuint(&w, "ioWriteBytes", r->io_write_bytes);
  jg_kuint(&w, "peakTasks", r->peak_tasks);
  jg_kuint(&w, "oomKills", r->oom_kills);
  jg_close(&w);
  return jgen_finish(&w, "sandbox report", out, out_len, err);
}
