/* spec/sandbox.h: the containers-common seccomp profile -> linux.seccomp. */
#include <stdlib.h>
#include <string.h>

#include "spec/internal.h"
#include "spec/sandbox.h"
#include "util/util.h"

static bool strv_has(const char *const *v, const char *s)
{
  for (; v && *v; v++)
    if (str_eq(*v, s))
      return true;
  return false;
}

/* "5.8" <= "6.1.0-13-amd64": numeric, component by component */
static bool kernel_at_least(const char *have, const char *want)
{
  while (*want)
    {
      char *end_w, *end_h;
      unsigned long w = strtoul(want, &end_w, 10), h = strtoul(have, &end_h, 10);
      if (end_w == want)
        return true;
      if (h != w)
        return h > w;
      want = *end_w == '.' ? end_w + 1 : end_w;
      have = *end_h == '.' ? end_h + 1 : end_h;
      if (*end_w != '.')
        break;
    }
  return true;
}

/* one of the strings of array node n is in v (all of them when all) */
static int match_strings(struct jctx *c, const struct jnode *n, const struct jpath *p, const char *const *v,
                         bool all, bool *out)
{
  char **names = NULL;
  size_t k;
  if (jstrv(c, n, p, &names, &k) < 0)
    return -1;
  bool any = false, every = true;
  for (size_t i = 0; i < k; i++)
    {
      bool has = strv_has(v, names[i]);
      any |= has;
      every &= has;
    }
  strv_free(names);
  *out = all ? every : any;
  return 0;
}

static int rule_applies(struct jctx *c, const struct jnode *rule, const struct jpath *p,
                        const struct spec_seccomp_profile_ctx *ctx, bool *out)
{
  /* includes/excludes name Go's architectures ("amd64"), archMap libseccomp's */
  const char *arch[] = {ctx->go_arch, NULL};
  const struct jnode *inc = jget(rule, "includes"), *exc = jget(rule, "excludes");
  const struct jpath *pi = JP_KEY(p, "includes"), *pe = JP_KEY(p, "excludes");
  bool m;
  *out = false;
  if (inc && jexpect(c, inc, pi, JSON_OBJECT) < 0)
    return -1;
  if (exc && jexpect(c, exc, pe, JSON_OBJECT) < 0)
    return -1;
  const struct jnode *n;
  if (inc && (n = jget(inc, "caps")))
    {
      if (match_strings(c, n, JP_KEY(pi, "caps"), ctx->caps, true, &m) < 0)
        return -1;
      if (!m)
        return 0;
    }
  if (inc && (n = jget(inc, "arches")))
    {
      if (match_strings(c, n, JP_KEY(pi, "arches"), arch, false, &m) < 0)
        return -1;
      if (!m)
        return 0;
    }
  if (inc && (n = jget(inc, "minKernel")))
    {
      if (jexpect(c, n, JP_KEY(pi, "minKernel"), JSON_STRING) < 0)
        return -1;
      if (ctx->kernel && !kernel_at_least(ctx->kernel, n->text))
        return 0;
    }
  if (exc && (n = jget(exc, "caps")))
    {
      if (match_strings(c, n, JP_KEY(pe, "caps"), ctx->caps, false, &m) < 0)
        return -1;
      if (m)
        return 0;
    }
  if (exc && (n = jget(exc, "arches")))
    {
      if (match_strings(c, n, JP_KEY(pe, "arches"), arch, false, &m) < 0)
        return -1;
      if (m)
        return 0;
    }
  *out = true;
  return 0;
}

static void syscall_clear(struct spec_seccomp_syscall *s)
{
  strv_free(s->names);
  free(s->action);
  for (size_t k = 0; k < s->n_args; k++)
    free(s->args[k].op);
  free(s->args);
}

/* architectures: ctx->arch and its subArchitectures from "archMap" */
static int pick_arches(struct jctx *c, const struct jnode *root, const struct spec_seccomp_profile_ctx *ctx,
                       struct spec_seccomp *s)
{
  const struct jnode *map = jget(root, "archMap");
  const struct jpath *pm = JP_KEY(NULL, "archMap");
  if (!map || !ctx->arch)
    return 0;
  if (jexpect(c, map, pm, JSON_ARRAY) < 0)
    return -1;
  for (size_t i = 0; i < map->n; i++)
    {
      const struct jnode *e = &map->m[i].val;
      char *arch = NULL;
      char **sub = NULL;
      size_t n_sub = 0;
      if (jexpect(c, e, JP_IDX(pm, i), JSON_OBJECT) < 0
          || jf_str(c, e, JP_IDX(pm, i), "architecture", &arch) < 0
          || jf_strv(c, e, JP_IDX(pm, i), "subArchitectures", &sub, &n_sub) < 0)
        {
          free(arch);
          strv_free(sub);
          return -1;
        }
      if (str_eq(arch, ctx->arch))
        {
          strv_free(s->architectures);
          s->architectures = xcalloc(n_sub + 2, sizeof *s->architectures);
          s->architectures[0] = steal_pointer(&arch);
          for (size_t k = 0; k < n_sub; k++)
            s->architectures[k + 1] = steal_pointer(&sub[k]);
        }
      free(arch);
      strv_free(sub);
    }
  return 0;
}

int spec_seccomp_profile_parse(const char *json, size_t len, const char *label,
                               const struct spec_seccomp_profile_ctx *ctx, struct spec_seccomp **out,
                               berth_error_t *err)
{
  _cleanup_(json_freep) struct jnode *root = NULL;
  if (json_parse(json, len, label, &root, err) < 0)
    return -1;
  struct jctx c = {label, err};
  if (jexpect(&c, root, NULL, JSON_OBJECT) < 0)
    return -1;
  struct spec_seccomp *s = xcalloc(1, sizeof *s);
  if (spec_parse_seccomp(&c, root, NULL, s) < 0 || pick_arches(&c, root, ctx, s) < 0)
    {
      spec_seccomp_free(s);
      return -1;
    }
  /* spec_parse_seccomp read "syscalls" in order: keep the rules that apply */
  const struct jnode *rules = jget(root, "syscalls");
  size_t kept = 0;
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      bool applies;
      if (rule_applies(&c, &rules->m[i].val, JP_IDX(JP_KEY(NULL, "syscalls"), i), ctx, &applies) < 0)
        {
          for (size_t k = i; k < s->n_syscalls; k++)
            syscall_clear(&s->syscalls[k]);
          s->n_syscalls = kept;
          spec_seccomp_free(s);
          return -1;
        }
      if (applies)
        s->syscalls[kept++] = s->syscalls[i];
      else
        syscall_clear(&s->syscalls[i]);
    }
  s->n_syscalls = kept;
  *out = s;
  return 0;
}

void spec_seccomp_profile_free(struct spec_seccomp *s)
{
  spec_seccomp_free(s);
}
