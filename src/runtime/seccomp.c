/* linux.seccomp: profile -> plan (pure) -> libseccomp -> BPF in the
 * parent; seccomp(2) with the raw program in the child. The design (when
 * the filter is loaded, how NOTIFY reaches its agent) is in seccomp.h.
 *
 * Why compile in the parent (measured by tests/unit/test_seccomp, which
 * prints the numbers of the machine it runs on; here a 2-core VM, kernel
 * 6.18, libseccomp 2.5.4): a Podman-like profile (320 rules, default
 * ERRNO, 3 architectures, argument rules; 1002 BPF instructions) takes
 * ~5.5 ms to build and export with libseccomp, and ~0.6 ms for the kernel
 * to load as a raw program; building and loading it with libseccomp in
 * the child takes ~6.3 ms. Compiled here, ~5.7 ms leave the path between
 * `start` and the user program's exec (create pays the compile instead).
 * libseccomp's binary-tree layout (SCMP_FLTATR_CTL_OPTIMIZE 2) would load
 * in ~0.26 ms but compile in ~9.7 ms: create + start is faster without it,
 * and the kernel's per-syscall action cache already skips the filter for
 * always-allowed syscalls. */
#include "runtime/seccomp.h"
#include "runtime/seccomp_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/util.h"

#define FIELD ".linux.seccomp"

/* ------------------------------------------------------------ name tables */

static const struct
{
  const char *name;
  uint32_t action;
  unsigned api; /* libseccomp API level that can use it */
} action_names[] = {
  {"SCMP_ACT_KILL", SCMP_ACT_KILL, 1},
  {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, 3},
  {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, 1},
  {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, 1},
  {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), 1},
  {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), 1},
  {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, 1},
  {"SCMP_ACT_LOG", SCMP_ACT_LOG, 3},
  {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, 5},
};

static const struct
{
  const char *name;
  enum scmp_compare op;
} operator_names[] = {
  {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
  {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
  {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* spec name -> libseccomp's name (resolved at run time: the linked
 * library decides which it knows) */
static const struct
{
  const char *name;
  const char *lib_name;
} arch_names[] = {
  {"SCMP_ARCH_X86", "x86"},
  {"SCMP_ARCH_X86_64", "x86_64"},
  {"SCMP_ARCH_X32", "x32"},
  {"SCMP_ARCH_ARM", "arm"},
  {"SCMP_ARCH_AARCH64", "aarch64"},
  {"SCMP_ARCH_MIPS", "mips"},
  {"SCMP_ARCH_MIPS64", "mips64"},
  {"SCMP_ARCH_MIPS64N32", "mips64n32"},
  {"SCMP_ARCH_MIPSEL", "mipsel"},
  {"SCMP_ARCH_MIPSEL64", "mipsel64"},
  {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32"},
  {"SCMP_ARCH_PPC", "ppc"},
  {"SCMP_ARCH_PPC64", "ppc64"},
  {"SCMP_ARCH_PPC64LE", "ppc64le"},
  {"SCMP_ARCH_S390", "s390"},
  {"SCMP_ARCH_S390X", "s390x"},
  {"SCMP_ARCH_PARISC", "parisc"},
  {"SCMP_ARCH_PARISC64", "parisc64"},
  {"SCMP_ARCH_RISCV64", "riscv64"},
  {"SCMP_ARCH_LOONGARCH64", "loongarch64"},
  {"SCMP_ARCH_M68K", "m68k"},
  {"SCMP_ARCH_SH", "sh"},
  {"SCMP_ARCH_SHEB", "sheb"},
};

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

static const struct
{
  const char *name;
  unsigned flag;
} flag_names[] = {
  {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
  {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
  {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
  {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
};

int seccomp_action_by_name(const char *name, uint32_t *action)
{
  for (size_t i = 0; i < ARRAY_SIZE(action_names); i++)
    if (str_eq(action_names[i].name, name))
      {
        *action = action_names[i].action;
        return 0;
      }
  return -1;
}

int seccomp_operator_by_name(const char *name, enum scmp_compare *op)
{
  for (size_t i = 0; i < ARRAY_SIZE(operator_names); i++)
    if (str_eq(operator_names[i].name, name))
      {
        *op = operator_names[i].op;
        return 0;
      }
  return -1;
}

int seccomp_arch_by_name(const char *name, uint32_t *arch)
{
  for (size_t i = 0; i < ARRAY_SIZE(arch_names); i++)
    if (str_eq(arch_names[i].name, name))
      {
        uint32_t a = seccomp_arch_resolve_name(arch_names[i].lib_name);
        if (a == 0)
          return -1;
        *arch = a;
        return 0;
      }
  return -1;
}

int seccomp_flag_by_name(const char *name, unsigned *flag)
{
  for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++)
    if (str_eq(flag_names[i].name, name))
      {
        *flag = flag_names[i].flag;
        return 0;
      }
  return -1;
}

static const char *flag_name(unsigned flag)
{
  for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++)
    if (flag_names[i].flag == flag)
      return flag_names[i].name;
  return "?";
}

/* ------------------------------------------------------------ kernel probes */

static long sys_seccomp(unsigned op, unsigned flags, void *arg)
{
  return syscall(SYS_seccomp, op, flags, arg);
}

/* A flag the kernel knows fails with EFAULT on a NULL program (it is
 * checked before the program is read); an unknown one with EINVAL. */
static bool kernel_has_flag(unsigned flag)
{
  unsigned with = flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
  return sys_seccomp(SECCOMP_SET_MODE_FILTER, flag | with, NULL) < 0 && errno == EFAULT;
}

static bool kernel_has_action(uint32_t action)
{
  return sys_seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

/* ------------------------------------------------------------ profile -> plan */

static bool action_takes_errno(uint32_t action)
{
  return action == SCMP_ACT_ERRNO(0) || action == SCMP_ACT_TRACE(0);
}

/* An action with its errno (SCMP_ACT_ERRNO: the errno, SCMP_ACT_TRACE:
 * the value the tracer sees; EPERM when unset). where: ".linux.seccomp"
 * or ".linux.seccomp.syscalls[3]"; the keys differ for the default. */
static int resolve_action(const char *name, const spec_opt_u64 *errno_ret, const char *where,
                          const char *action_key, const char *errno_key, uint32_t *out, berth_error_t *err)
{
  uint32_t action;
  if (!name)
    return berth_fail(err, EINVAL, "%s.%s: missing", where, action_key);
  if (seccomp_action_by_name(name, &action) < 0)
    return berth_fail(err, EINVAL, "%s.%s: unknown action \"%s\"", where, action_key, name);
  if (!action_takes_errno(action))
    {
      if (errno_ret->set)
        return berth_fail(err, EINVAL, "%s.%s: %s takes no errno (only SCMP_ACT_ERRNO and SCMP_ACT_TRACE do)",
                          where, errno_key, name);
      *out = action;
      return 0;
    }
  uint64_t value = errno_ret->set ? errno_ret->value : EPERM;
  if (value > 0xffff)
    return berth_fail(err, ERANGE, "%s.%s: %llu is out of range (0-65535)", where, errno_key,
                      (unsigned long long) value);
  *out = action | (uint32_t) value;
  return 0;
}

static void plan_add_rule(struct seccomp_plan *plan, const char *name, int nr, uint32_t action,
                          const struct scmp_arg_cmp *cmp, unsigned n_cmp, size_t syscall_index)
{
  plan->rules = xreallocarray(plan->rules, plan->n_rules + 1, sizeof *plan->rules);
  struct seccomp_rule *r = &plan->rules[plan->n_rules++];
  *r = (struct seccomp_rule){.name = name, .nr = nr, .action = action, .n_cmp = n_cmp,
                             .syscall_index = syscall_index};
  memcpy(r->cmp, cmp, n_cmp * sizeof *cmp);
}

/* args -> comparisons; *split: two args name the same index */
static int resolve_args(const struct spec_seccomp_syscall *sc, size_t i, struct scmp_arg_cmp *cmp,
                        bool *split, berth_error_t *err)
{
  unsigned seen = 0;
  *split = false;
  for (size_t j = 0; j < sc->n_args; j++)
    {
      const struct spec_seccomp_arg *a = &sc->args[j];
      enum scmp_compare op;
      if (a->index >= SECCOMP_MAX_ARGS)
        return berth_fail(err, EINVAL, FIELD ".syscalls[%zu].args[%zu].index: %u is out of range (0-5)", i, j,
                          a->index);
      if (seccomp_operator_by_name(a->op, &op) < 0)
        return berth_fail(err, EINVAL, FIELD ".syscalls[%zu].args[%zu].op: unknown operator \"%s\"", i, j,
                          a->op ? a->op : "");
      if (seen & (1U << a->index))
        *split = true;
      seen |= 1U << a->index;
      /* MASKED_EQ: (arg & value) == valueTwo, libseccomp's datum_a/datum_b */
      cmp[j] = (struct scmp_arg_cmp){.arg = a->index, .op = op, .datum_a = a->value, .datum_b = a->value_two};
    }
  return 0;
}

static int plan_syscall(struct seccomp_plan *plan, const struct spec_seccomp_syscall *sc, size_t i, bool warn,
                        berth_error_t *err)
{
  _cleanup_free_ char *where = xasprintf(FIELD ".syscalls[%zu]", i);
  uint32_t action;
  if (resolve_action(sc->action, &sc->errno_ret, where, "action", "errnoRet", &action, err) < 0)
    return -1;
  if (action == SCMP_ACT_NOTIFY)
    plan->notify = true;
  struct scmp_arg_cmp *cmp = xcalloc(sc->n_args ? sc->n_args : 1, sizeof *cmp);
  bool split;
  int r = resolve_args(sc, i, cmp, &split, err);
  for (size_t j = 0; r == 0 && j < sc->n_names; j++)
    {
      const char *name = sc->names[j];
      int nr = seccomp_syscall_resolve_name(name);
      if (nr == __NR_SCMP_ERROR)
        {
          plan->n_skipped++;
          if (warn)
            berth_log_warning("seccomp: %s.names[%zu]: unknown syscall \"%s\" skipped", where, j, name);
          continue;
        }
      if (!split)
        plan_add_rule(plan, name, nr, action, cmp, (unsigned) sc->n_args, i);
      else
        for (size_t k = 0; k < sc->n_args; k++)
          plan_add_rule(plan, name, nr, action, &cmp[k], 1, i);
    }
  free(cmp);
  return r;
}

static int plan_archs(struct seccomp_plan *plan, const struct spec_seccomp *s, berth_error_t *err)
{
  size_t n = s->architectures ? strv_len(s->architectures) : 0;
  plan->archs = xcalloc(n ? n : 1, sizeof *plan->archs);
  for (size_t i = 0; i < n; i++)
    if (seccomp_arch_by_name(s->architectures[i], &plan->archs[plan->n_archs++]) < 0)
      return berth_fail(err, EINVAL, FIELD ".architectures[%zu]: unknown architecture \"%s\"", i,
                        s->architectures[i]);
  return 0;
}

static int plan_flags(struct seccomp_plan *plan, const struct spec_seccomp *s, berth_error_t *err)
{
  for (size_t i = 0; s->flags && s->flags[i]; i++)
    {
      unsigned f;
      if (seccomp_flag_by_name(s->flags[i], &f) < 0)
        return berth_fail(err, EINVAL, FIELD ".flags[%zu]: unknown flag \"%s\"", i, s->flags[i]);
      plan->flags |= f;
    }
  return 0;
}

/* The agent gets its fd through sendmsg after the filter is loaded: the
 * filter must not make that call wait for the agent. */
static int check_sendmsg_not_notified(const struct seccomp_plan *plan, berth_error_t *err)
{
  int nr = seccomp_syscall_resolve_name("sendmsg");
  bool overridden = false;
  for (size_t i = 0; i < plan->n_rules; i++)
    {
      const struct seccomp_rule *r = &plan->rules[i];
      if (r->nr != nr)
        continue;
      if (r->action == SCMP_ACT_NOTIFY)
        return berth_fail(err, EINVAL,
                          FIELD ".syscalls[%zu]: SCMP_ACT_NOTIFY cannot apply to sendmsg: berth sends the "
                          "seccomp agent its fd with sendmsg once the filter is loaded",
                          r->syscall_index);
      if (r->n_cmp == 0)
        overridden = true;
    }
  if (plan->default_action == SCMP_ACT_NOTIFY && !overridden)
    return berth_fail(err, EINVAL,
                      FIELD ".defaultAction: SCMP_ACT_NOTIFY needs a rule that lets sendmsg through: berth "
                      "sends the seccomp agent its fd with sendmsg once the filter is loaded");
  return 0;
}

static int plan_listener(const struct seccomp_plan *plan, const struct spec_seccomp *s, berth_error_t *err)
{
  if (s->listener_metadata && !s->listener_path)
    return berth_fail(err, EINVAL, FIELD ".listenerMetadata: set without listenerPath");
  if (!plan->notify)
    return 0; /* listenerPath is ignored without SCMP_ACT_NOTIFY */
  if (!s->listener_path || !*s->listener_path)
    return berth_fail(err, EINVAL, FIELD ".listenerPath: required with SCMP_ACT_NOTIFY");
  return check_sendmsg_not_notified(plan, err);
}

void seccomp_plan_free(struct seccomp_plan *plan)
{
  if (!plan)
    return;
  free(plan->archs);
  free(plan->rules);
  free(plan);
}

static void seccomp_plan_freep(struct seccomp_plan **plan)
{
  seccomp_plan_free(*plan);
}

int seccomp_plan_build(const struct spec_seccomp *s, bool warn, struct seccomp_plan **out, berth_error_t *err)
{
  _cleanup_(seccomp_plan_freep) struct seccomp_plan *plan = xcalloc(1, sizeof *plan);
  if (resolve_action(s->default_action, &s->default_errno_ret, FIELD, "defaultAction", "defaultErrnoRet",
                     &plan->default_action, err) < 0)
    return -1;
  plan->notify = plan->default_action == SCMP_ACT_NOTIFY;
  if (plan_archs(plan, s, err) < 0 || plan_flags(plan, s, err) < 0)
    return -1;
  for (size_t i = 0; i < s->n_syscalls; i++)
    if (plan_syscall(plan, &s->syscalls[i], i, warn, err) < 0)
      return -1;
  if (plan_listener(plan, s, err) < 0)
    return -1;
  *out = steal_pointer(&plan);
  return 0;
}

int seccomp_validate(const struct spec_seccomp *s, berth_error_t *err)
{
  struct seccomp_plan *plan = NULL;
  if (seccomp_plan_build(s, false, &plan, err) < 0)
    return -1;
  seccomp_plan_free(plan);
  return 0;
}

/* ------------------------------------------------------------ plan -> BPF */

static void ctx_releasep(scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release(*ctx);
}

static int add_rules(scmp_filter_ctx ctx, const struct seccomp_plan *plan, berth_error_t *err)
{
  for (size_t i = 0; i < plan->n_rules; i++)
    {
      const struct seccomp_rule *r = &plan->rules[i];
      /* libseccomp refuses a rule that repeats the default action; it
       * would change nothing anyway */
      if (r->action == plan->default_action)
        continue;
      int ret = seccomp_rule_add_array(ctx, r->action, r->nr, r->n_cmp, r->cmp);
      if (ret < 0)
        return berth_fail(err, -ret, FIELD ".syscalls[%zu]: add the rule for \"%s\"", r->syscall_index, r->name);
    }
  return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **insns, size_t *n_insns, berth_error_t *err)
{
  _cleanup_close_ int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "seccomp: memfd_create");
  int ret = seccomp_export_bpf(ctx, fd);
  if (ret < 0)
    return berth_fail(err, -ret, "seccomp: export the filter");
  if (lseek(fd, 0, SEEK_SET) < 0)
    return berth_fail_sys(err, "seccomp: rewind the exported filter");
  _cleanup_free_ char *data = NULL;
  size_t len;
  if (read_all_fd(fd, (BPF_MAXINSNS + 1) * sizeof(struct sock_filter), &data, &len, err) < 0)
    return berth_wrap(err, "seccomp: read the exported filter");
  if (len == 0 || len % sizeof(struct sock_filter) != 0)
    return berth_fail(err, EPROTO, "seccomp: libseccomp exported %zu bytes, not a BPF program", len);
  *n_insns = len / sizeof(struct sock_filter);
  if (*n_insns > BPF_MAXINSNS)
    return berth_fail(err, E2BIG, FIELD ": the filter needs %zu BPF instructions, the kernel takes at most %d",
                      *n_insns, BPF_MAXINSNS);
  *insns = xmalloc(len);
  memcpy(*insns, data, len);
  return 0;
}

/* ------------------------------------------------------------ ENOSYS for syscalls the profile does not know
 *
 * A profile denies what it does not name with its default errno (EPERM,
 * say). For a syscall newer than the profile that is wrong: glibc tries
 * clone3, faccessat2, openat2... first and falls back to the old call only
 * on ENOSYS, so the program fails where the kernel without the new call
 * would have worked. The profile cannot know syscalls newer than itself;
 * the newest syscall it names (per architecture) tells how new it is. So,
 * with an errno default action:
 *  - a syscall numbered above every syscall the profile names for that
 *    architecture gets ENOSYS: a stub in front of libseccomp's program
 *    (libseccomp rules cannot compare syscall numbers);
 *  - clone3 and faccessat2 get ENOSYS when no rule names them, even below
 *    that number: profiles that name newer syscalls but leave these out
 *    exist, clone3's argument (a pointer) cannot be filtered anyway, and
 *    glibc's threads and posix_spawn fail on anything else.
 * Both only turn one denial into another: nothing is allowed that the
 * profile denies, and a syscall some rule names keeps that rule's action. */

static const char *const enosys_when_unnamed[] = {"clone3", "faccessat2"};

static bool plan_names(const struct seccomp_plan *plan, int nr)
{
  for (size_t i = 0; i < plan->n_rules; i++)
    if (plan->rules[i].nr == nr)
      return true;
  return false;
}

static bool default_is_errno(const struct seccomp_plan *plan)
{
  return (plan->default_action & 0xffff0000U) == SCMP_ACT_ERRNO(0);
}

static int add_enosys_rules(scmp_filter_ctx ctx, const struct seccomp_plan *plan, berth_error_t *err)
{
  if (!default_is_errno(plan) || plan->default_action == SCMP_ACT_ERRNO(ENOSYS))
    return 0;
  for (size_t i = 0; i < ARRAY_SIZE(enosys_when_unnamed); i++)
    {
      int nr = seccomp_syscall_resolve_name(enosys_when_unnamed[i]);
      if (nr == __NR_SCMP_ERROR || plan_names(plan, nr))
        continue;
      int ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
      if (ret < 0)
        return berth_fail(err, -ret, "seccomp: add the ENOSYS rule for %s", enosys_when_unnamed[i]);
    }
  return 0;
}

/* the highest syscall number the profile names for arch, -1 for none */
static int newest_named(const struct seccomp_plan *plan, uint32_t arch)
{
  int max = -1;
  for (size_t i = 0; i < plan->n_rules; i++)
    {
      int nr = seccomp_syscall_resolve_name_arch(arch, plan->rules[i].name);
      if (nr > max)
        max = nr;
    }
  return max;
}

#define X32_SYSCALL_BIT 0x40000000U

struct stub_arch
{
  uint32_t arch;
  uint32_t newest;
};

/* the architectures the filter serves and the newest syscall the profile
 * names for each; x32 shares x86_64's audit arch and is left alone */
static size_t stub_archs(const struct seccomp_plan *plan, struct stub_arch *out)
{
  size_t n = 0;
  for (size_t i = 0; i <= plan->n_archs; i++)
    {
      uint32_t arch = i == 0 ? seccomp_arch_native() : plan->archs[i - 1];
      bool seen = arch == SCMP_ARCH_X32;
      for (size_t j = 0; j < n && !seen; j++)
        seen = out[j].arch == arch;
      int newest = seen ? -1 : newest_named(plan, arch);
      if (newest >= 0)
        out[n++] = (struct stub_arch) {.arch = arch, .newest = (uint32_t) newest};
    }
  return n;
}

static struct sock_filter stmt(uint16_t code, uint32_t k)
{
  return (struct sock_filter) {.code = code, .k = k};
}

static struct sock_filter jump(uint16_t code, uint32_t k, size_t from, size_t to_true, size_t to_false)
{
  return (struct sock_filter) {.code = code, .jt = (uint8_t) (to_true - from - 1),
                               .jf = (uint8_t) (to_false - from - 1), .k = k};
}

/* Prepend to *insns:
 *     ld arch
 *   per architecture A with newest syscall N:
 *     jeq A ? next : <next architecture>
 *     ld nr
 *     (x86_64: jset X32_SYSCALL_BIT ? done : next)
 *     jgt N ? enosys : done
 *     ja done                       (no architecture matched)
 *   enosys: ret ERRNO(ENOSYS)
 *   done:   ld #0                   (A as the kernel starts a filter)
 *     libseccomp's program, unchanged (its jumps are relative) */
static int prepend_enosys_stub(const struct seccomp_plan *plan, struct sock_filter **insns, size_t *n_insns,
                               berth_error_t *err)
{
  if (!default_is_errno(plan) || plan->default_action == SCMP_ACT_ERRNO(ENOSYS))
    return 0;
  struct stub_arch archs[ARRAY_SIZE(arch_names) + 1];
  size_t n_archs = stub_archs(plan, archs);
  if (n_archs == 0)
    return 0;
  size_t block_len[ARRAY_SIZE(archs)], stub_len = 1;
  for (size_t i = 0; i < n_archs; i++)
    {
      block_len[i] = archs[i].arch == SCMP_ARCH_X86_64 ? 4 : 3;
      stub_len += block_len[i];
    }
  size_t enosys = stub_len + 1, done = enosys + 1;
  stub_len = done + 1;
  if (stub_len + *n_insns > BPF_MAXINSNS)
    return berth_fail(err, E2BIG, FIELD ": the filter needs %zu BPF instructions, the kernel takes at most %d",
                      stub_len + *n_insns, BPF_MAXINSNS);
  struct sock_filter *out = xcalloc(stub_len + *n_insns, sizeof *out);
  size_t pc = 0;
  out[pc++] = stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  for (size_t i = 0; i < n_archs; i++)
    {
      size_t next_block = pc + block_len[i];
      out[pc] = jump(BPF_JMP | BPF_JEQ | BPF_K, archs[i].arch, pc, pc + 1, next_block);
      pc++;
      out[pc++] = stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
      if (archs[i].arch == SCMP_ARCH_X86_64)
        {
          out[pc] = jump(BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT, pc, done, pc + 1);
          pc++;
        }
      out[pc] = jump(BPF_JMP | BPF_JGT | BPF_K, archs[i].newest, pc, enosys, done);
      pc++;
    }
  out[pc] = stmt(BPF_JMP | BPF_JA, (uint32_t) (done - pc - 1));
  pc++;
  out[pc++] = stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
  out[pc++] = stmt(BPF_LD | BPF_IMM, 0);
  memcpy(out + pc, *insns, *n_insns * sizeof *out);
  free(*insns);
  *insns = out;
  *n_insns += stub_len;
  return 0;
}

int seccomp_plan_compile(const struct seccomp_plan *plan, struct sock_filter **insns, size_t *n_insns,
                         berth_error_t *err)
{
  _cleanup_(ctx_releasep) scmp_filter_ctx ctx = seccomp_init(plan->default_action);
  if (!ctx)
    return berth_fail(err, EINVAL, FIELD ".defaultAction: libseccomp or the kernel does not support it");
  for (size_t i = 0; i < plan->n_archs; i++)
    {
      int ret = seccomp_arch_add(ctx, plan->archs[i]);
      if (ret < 0 && ret != -EEXIST)
        return berth_fail(err, -ret, FIELD ".architectures[%zu]: add the architecture", i);
    }
  if (add_rules(ctx, plan, err) < 0 || add_enosys_rules(ctx, plan, err) < 0)
    return -1;
  if (export_bpf(ctx, insns, n_insns, err) < 0)
    return -1;
  return prepend_enosys_stub(plan, insns, n_insns, err);
}

/* ------------------------------------------------------------ the program */

struct seccomp_program
{
  struct sock_filter *insns;
  size_t n_insns;
  unsigned flags;   /* for seccomp(2), NEW_LISTENER added at load */
  bool load_late;   /* at SECCOMP_STAGE_EXEC (else SECCOMP_STAGE_IDENTITY) */
  bool loaded;
  int listener_fd;  /* connected to listenerPath, -1 without NOTIFY */
  char *listener_path;
  char *metadata;
};

void seccomp_program_free(struct seccomp_program *prog)
{
  if (!prog)
    return;
  if (prog->listener_fd >= 0)
    close(prog->listener_fd);
  free(prog->insns);
  free(prog->listener_path);
  free(prog->metadata);
  free(prog);
}

/* The kernel takes a filter from a task with no_new_privs or
 * CAP_SYS_ADMIN: will the process have one of them after the switch? */
static bool can_load_after_identity(const struct spec_process *p)
{
  if (!p)
    return false;
  if (p->no_new_privileges)
    return true;
  char **eff = p->capabilities ? p->capabilities->effective : NULL;
  for (size_t i = 0; eff && eff[i]; i++)
    if (strcasecmp(eff[i], "CAP_SYS_ADMIN") == 0)
      return true;
  return false;
}

static int check_kernel_flags(unsigned flags, berth_error_t *err)
{
  for (unsigned bit = 1; bit && bit <= flags; bit <<= 1)
    if ((flags & bit) && !kernel_has_flag(bit))
      return berth_fail(err, EOPNOTSUPP, FIELD ".flags: %s is not supported by this kernel", flag_name(bit));
  return 0;
}

int seccomp_program_listener_fd(const struct seccomp_program *prog)
{
  return prog ? prog->listener_fd : -1;
}

static int connect_listener(const char *path, berth_error_t *err)
{
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return berth_fail(err, ENAMETOOLONG, FIELD ".listenerPath: %s", path);
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berth_fail_sys(err, FIELD ".listenerPath: socket");
  if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      int saved = errno;
      close(fd);
      return berth_fail(err, saved, FIELD ".listenerPath: connect to %s", path);
    }
  return fd;
}

static long long elapsed_us(const struct timespec *t0)
{
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0->tv_sec) * 1000000LL + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* seccomp_plan_compile through the cache; *how says "cache hit", "cache miss" or "no cache" */
static int compile_cached(const struct seccomp_plan *plan, struct sock_filter **insns, size_t *n_insns,
                          const char **how, berth_error_t *err)
{
  _cleanup_close_ int dirfd = seccomp_cache_open();
  *how = "no cache";
  if (dirfd < 0)
    return seccomp_plan_compile(plan, insns, n_insns, err);
  _cleanup_(seccomp_cache_key_free) struct seccomp_cache_key key = {0};
  seccomp_cache_key_build(plan, &key);
  *how = "cache hit";
  if (seccomp_cache_lookup(dirfd, &key, insns, n_insns))
    return 0;
  *how = "cache miss";
  if (seccomp_plan_compile(plan, insns, n_insns, err) < 0)
    return -1;
  seccomp_cache_store(dirfd, &key, *insns, *n_insns);
  return 0;
}

int seccomp_prepare(const struct spec_seccomp *s, const struct spec_process *p, struct seccomp_program **out,
                    berth_error_t *err)
{
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  _cleanup_(seccomp_plan_freep) struct seccomp_plan *plan = NULL;
  if (seccomp_plan_build(s, true, &plan, err) < 0)
    return -1;
  if (check_kernel_flags(plan->flags, err) < 0)
    return -1;
  _cleanup_(seccomp_program_freep) struct seccomp_program *prog = xcalloc(1, sizeof *prog);
  prog->listener_fd = -1;
  prog->flags = plan->flags;
  /* NOTIFY: the socket to the agent does not survive spawn_exec's fd cleanup */
  prog->load_late = can_load_after_identity(p) && !plan->notify;
  const char *cache = NULL;
  if (compile_cached(plan, &prog->insns, &prog->n_insns, &cache, err) < 0)
    return -1;
  if (plan->notify)
    {
      prog->listener_fd = connect_listener(s->listener_path, err);
      if (prog->listener_fd < 0)
        return -1;
      prog->listener_path = xstrdup(s->listener_path);
      prog->metadata = s->listener_metadata ? xstrdup(s->listener_metadata) : NULL;
    }
  berth_log_debug("seccomp: %zu rules (%zu unknown syscall names) -> %zu BPF instructions in %lld us (%s), "
                  "loaded %s the identity switch",
                  plan->n_rules, plan->n_skipped, prog->n_insns, elapsed_us(&t0), cache,
                  prog->load_late ? "after" : "before");
  *out = steal_pointer(&prog);
  return 0;
}

/* ------------------------------------------------------------ in the child */

static int load_filter(const struct seccomp_program *prog, berth_error_t *err)
{
  unsigned flags = prog->flags;
  if (prog->listener_fd >= 0)
    {
      flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
      if (flags & SECCOMP_FILTER_FLAG_TSYNC)
        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    }
  else
    flags &= ~(unsigned) SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV; /* only means something with a listener */
  struct sock_fprog fprog = {.len = (unsigned short) prog->n_insns, .filter = prog->insns};
  long ret = sys_seccomp(SECCOMP_SET_MODE_FILTER, flags, &fprog);
  if (ret < 0 && errno == EACCES)
    return berth_fail(err, EACCES, "load the seccomp filter: the process has neither no_new_privs nor "
                                   "CAP_SYS_ADMIN");
  if (ret < 0)
    return berth_fail_sys(err, "load the seccomp filter (flags 0x%x)", flags);
  return (int) ret;
}

/* One sendmsg carries the fd and (normally) the whole JSON; a remainder
 * follows without fds, as the runtime-spec allows. */
static int send_to_agent(int sock, int notify_fd, const char *json, size_t len)
{
  union
  {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {.iov_base = (void *) json, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &notify_fd, sizeof(int));
  ssize_t n;
  do
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  for (size_t done = (size_t) n; done < len;)
    {
      n = send(sock, json + done, len - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      done += (size_t) n;
    }
  return 0;
}

int seccomp_install(struct seccomp_program *prog, enum seccomp_stage stage, const struct seccomp_notify_info *who,
                    berth_error_t *err)
{
  if (!prog || prog->loaded)
    return 0;
  if (stage == SECCOMP_STAGE_IDENTITY && prog->load_late)
    return 0;
  _cleanup_free_ char *json = NULL;
  size_t len = 0;
  if (prog->listener_fd >= 0)
    {
      if (!who || !who->state)
        return berth_fail(err, EINVAL, "seccomp: the NOTIFY agent needs the container state");
      struct spec_state copy = *who->state;
      copy.status = (char *) who->status;
      static const char *const fds[] = {"seccompFd", NULL};
      if (spec_process_state_emit(&copy, (int) who->pid, fds, prog->metadata, &json, &len, err) < 0)
        return -1;
    }
  /* from here on every syscall goes through the filter */
  int ret = load_filter(prog, err);
  if (ret < 0)
    return -1;
  prog->loaded = true;
  if (prog->listener_fd < 0)
    return 0;
  _cleanup_close_ int notify_fd = ret;
  ret = send_to_agent(prog->listener_fd, notify_fd, json, len);
  int saved = errno;
  close(prog->listener_fd);
  prog->listener_fd = -1;
  if (ret < 0)
    return berth_fail(err, saved, "send the seccomp notify fd to %s", prog->listener_path);
  return 0;
}

int seccomp_before_execve(void *prog, berth_error_t *err)
{
  return seccomp_install(prog, SECCOMP_STAGE_EXEC, NULL, err);
}

/* ------------------------------------------------------------ features */

void seccomp_features_get(struct seccomp_features *f)
{
  memset(f, 0, sizeof *f);
  unsigned api = seccomp_api_get();
  size_t n = 0;
  for (size_t i = 0; i < ARRAY_SIZE(action_names) && n + 1 < ARRAY_SIZE(f->actions); i++)
    if (api >= action_names[i].api && kernel_has_action(action_names[i].action))
      f->actions[n++] = action_names[i].name;
  for (size_t i = 0; i < ARRAY_SIZE(operator_names) && i + 1 < ARRAY_SIZE(f->operators); i++)
    f->operators[i] = operator_names[i].name;
  n = 0;
  for (size_t i = 0; i < ARRAY_SIZE(arch_names) && n + 1 < ARRAY_SIZE(f->archs); i++)
    {
      uint32_t a;
      if (seccomp_arch_by_name(arch_names[i].name, &a) == 0)
        f->archs[n++] = arch_names[i].name;
    }
  n = 0;
  size_t m = 0;
  for (size_t i = 0; i < ARRAY_SIZE(flag_names) && n + 1 < ARRAY_SIZE(f->known_flags); i++)
    {
      f->known_flags[n++] = flag_names[i].name;
      if (kernel_has_flag(flag_names[i].flag))
        f->supported_flags[m++] = flag_names[i].name;
    }
}
