/* seccomp.c: name tables, profile -> rules, validation errors, and the
 * compiled filter loaded for real in forked children (with no_new_privs,
 * so no root is needed): errnoRet, arg filters, KILL, TRAP, LOG, NOTIFY
 * through a listener socket, the load stage. Also prints how long a
 * Podman-sized profile takes to compile and to load. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/seccomp.h"
#include "spec/spec.h"
#include "tap.h"
#include "util/log.h"
#include "util/util.h"

static char *tmpdir;

/* a config with only linux.seccomp set to the given JSON object */
static struct spec_config *config_with(const char *seccomp_json)
{
  _cleanup_free_ char *json = xasprintf("{\"ociVersion\":\"1.2.0\",\"linux\":{\"seccomp\":%s}}", seccomp_json);
  struct spec_config *c = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  if (spec_config_parse(json, strlen(json), "test", &c, &err) < 0)
    {
      printf("# parse failed: %s\n", berth_error_msg(err));
      abort();
    }
  return c;
}

/* rule names are borrowed from the config: it lives until the next call */
static struct spec_config *plan_config;

static int plan_of(const char *seccomp_json, struct seccomp_plan **plan, berth_error_t *err)
{
  spec_config_free(plan_config);
  plan_config = config_with(seccomp_json);
  return seccomp_plan_build(plan_config->linux_->seccomp, false, plan, err);
}

/* ------------------------------------------------------------ tables */

static void test_tables(void)
{
  static const struct
  {
    const char *name;
    uint32_t value;
  } actions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL},   {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD}, {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)}, {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW}, {"SCMP_ACT_LOG", SCMP_ACT_LOG},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
  };
  for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
    {
      uint32_t a = 0xdead;
      ok(seccomp_action_by_name(actions[i].name, &a) == 0 && a == actions[i].value, "action %s",
         actions[i].name);
    }
  uint32_t a;
  ok(seccomp_action_by_name("SCMP_ACT_FOO", &a) < 0, "unknown action refused");
  ok(seccomp_action_by_name("scmp_act_allow", &a) < 0, "action names are case-sensitive");

  static const struct
  {
    const char *name;
    enum scmp_compare op;
  } ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
  };
  for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
    {
      enum scmp_compare op = 0;
      ok(seccomp_operator_by_name(ops[i].name, &op) == 0 && op == ops[i].op, "operator %s", ops[i].name);
    }
  enum scmp_compare op;
  ok(seccomp_operator_by_name("SCMP_CMP_XOR", &op) < 0, "unknown operator refused");

  uint32_t arch = 0;
  ok(seccomp_arch_by_name("SCMP_ARCH_X86_64", &arch) == 0 && arch == SCMP_ARCH_X86_64, "arch x86_64");
  ok(seccomp_arch_by_name("SCMP_ARCH_X86", &arch) == 0 && arch == SCMP_ARCH_X86, "arch x86");
  ok(seccomp_arch_by_name("SCMP_ARCH_X32", &arch) == 0 && arch == SCMP_ARCH_X32, "arch x32");
  ok(seccomp_arch_by_name("SCMP_ARCH_AARCH64", &arch) == 0 && arch == SCMP_ARCH_AARCH64, "arch aarch64");
  ok(seccomp_arch_by_name("SCMP_ARCH_PDP11", &arch) < 0, "unknown arch refused");
  ok(seccomp_arch_by_name("x86_64", &arch) < 0, "libseccomp's own arch names are not spec names");

  unsigned flag = 0;
  ok(seccomp_flag_by_name("SECCOMP_FILTER_FLAG_LOG", &flag) == 0 && flag == SECCOMP_FILTER_FLAG_LOG, "flag LOG");
  ok(seccomp_flag_by_name("SECCOMP_FILTER_FLAG_SPEC_ALLOW", &flag) == 0 && flag == SECCOMP_FILTER_FLAG_SPEC_ALLOW,
     "flag SPEC_ALLOW");
  ok(seccomp_flag_by_name("SECCOMP_FILTER_FLAG_TSYNC", &flag) == 0 && flag == SECCOMP_FILTER_FLAG_TSYNC,
     "flag TSYNC");
  ok(seccomp_flag_by_name("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", &flag) == 0 && flag == (1U << 5),
     "flag WAIT_KILLABLE_RECV");
  ok(seccomp_flag_by_name("SECCOMP_FILTER_FLAG_NEW_LISTENER", &flag) < 0, "NEW_LISTENER is berth's, not a profile flag");

  struct seccomp_features f;
  seccomp_features_get(&f);
  size_t n = 0;
  bool has_errno = false, has_notify = false;
  for (; f.actions[n]; n++)
    has_errno |= str_eq(f.actions[n], "SCMP_ACT_ERRNO"), has_notify |= str_eq(f.actions[n], "SCMP_ACT_NOTIFY");
  ok(has_errno && has_notify && n == 9, "features: all 9 actions on this kernel (%zu)", n);
  ok(str_eq(f.operators[6], "SCMP_CMP_MASKED_EQ") && !f.operators[7], "features: 7 operators");
  ok(f.archs[0] && str_eq(f.archs[1], "SCMP_ARCH_X86_64"), "features: archs");
  ok(str_eq(f.known_flags[0], "SECCOMP_FILTER_FLAG_TSYNC") && f.known_flags[3] && !f.known_flags[4],
     "features: 4 known flags");
  ok(f.supported_flags[0] != NULL, "features: the kernel supports some flags");
}

/* ------------------------------------------------------------ translation */

static void test_translation(void)
{
  struct seccomp_plan *p = NULL;
  _cleanup_error_ berth_error_t err = NULL;

  ok(plan_of("{\"defaultAction\":\"SCMP_ACT_ERRNO\"}", &p, &err) == 0, "minimal profile");
  is_int(p->default_action, SCMP_ACT_ERRNO(EPERM), "ERRNO defaults to EPERM");
  is_int(p->n_rules, 0, "no rules");
  seccomp_plan_free(p);

  ok(plan_of("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38}", &p, &err) == 0, "defaultErrnoRet");
  is_int(p->default_action, SCMP_ACT_ERRNO(38), "defaultErrnoRet 38");
  seccomp_plan_free(p);

  ok(plan_of("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
             "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
             "\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38},"
             "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":7},"
             "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_TRACE\"},"
             "{\"names\":[\"reboot\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}",
             &p, &err) == 0,
     "profile with archs, flags, rules");
  is_int(p->default_action, SCMP_ACT_ALLOW, "default ALLOW");
  is_int(p->n_archs, 2, "two architectures");
  ok(p->archs[0] == SCMP_ARCH_X86_64 && p->archs[1] == SCMP_ARCH_X86, "architecture tokens");
  is_int(p->flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW, "flags");
  is_int(p->n_rules, 5, "one rule per name");
  is_str(p->rules[0].name, "mkdir", "rule 0 name");
  is_int(p->rules[0].nr, SYS_mkdir, "rule 0 resolves to SYS_mkdir");
  is_int(p->rules[1].nr, SYS_mkdirat, "rule 1 resolves to SYS_mkdirat");
  is_int(p->rules[1].action, SCMP_ACT_ERRNO(38), "errnoRet 38");
  is_int(p->rules[2].action, SCMP_ACT_TRACE(7), "TRACE takes errnoRet as its value");
  is_int(p->rules[3].action, SCMP_ACT_TRACE(EPERM), "TRACE without errnoRet: EPERM");
  is_int(p->rules[4].action, SCMP_ACT_KILL_PROCESS, "KILL_PROCESS");
  is_int(p->rules[4].syscall_index, 3, "rule remembers its .syscalls index");
  ok(!p->notify, "no NOTIFY");
  seccomp_plan_free(p);

  /* args on different indexes: one rule, ANDed */
  ok(plan_of("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\","
             "\"args\":[{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"},"
             "{\"index\":1,\"value\":15,\"valueTwo\":2,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}",
             &p, &err) == 0,
     "args on two indexes");
  is_int(p->n_rules, 1, "ANDed into one rule");
  is_int(p->rules[0].n_cmp, 2, "with two comparisons");
  ok(p->rules[0].cmp[0].arg == 0 && p->rules[0].cmp[0].op == SCMP_CMP_EQ && p->rules[0].cmp[0].datum_a == 2,
     "arg0 == 2");
  ok(p->rules[0].cmp[1].arg == 1 && p->rules[0].cmp[1].op == SCMP_CMP_MASKED_EQ && p->rules[0].cmp[1].datum_a == 15
         && p->rules[0].cmp[1].datum_b == 2,
     "MASKED_EQ: value is the mask, valueTwo the expected value");
  seccomp_plan_free(p);

  /* the same index twice: runc's convention, one rule per arg (ORed) */
  ok(plan_of("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\",\"uname\"],"
             "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"},"
             "{\"index\":0,\"value\":131080,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_GT\"}]}]}",
             &p, &err) == 0,
     "args with a repeated index");
  is_int(p->n_rules, 6, "split: 2 names x 3 args");
  bool single = true;
  for (size_t i = 0; i < p->n_rules; i++)
    single &= p->rules[i].n_cmp == 1;
  ok(single, "each split rule has one comparison");
  ok(p->rules[1].cmp[0].datum_a == 131080 && p->rules[2].cmp[0].op == SCMP_CMP_GT, "in order");
  seccomp_plan_free(p);

  /* x86-only syscall on x86_64: libseccomp knows it (pseudo number) */
  ok(plan_of("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\"],"
             "\"syscalls\":[{\"names\":[\"socketcall\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
             &p, &err) == 0
         && p->n_rules == 1 && p->n_skipped == 0,
     "a syscall of another architecture is kept");
  seccomp_plan_free(p);
}

static void test_unknown_names_warn(void)
{
  _cleanup_free_ char *log = xasprintf("%s/log", tmpdir);
  _cleanup_error_ berth_error_t err = NULL;
  berth_log_set_stderr(false);
  ok(berth_log_init(log, BERTH_LOG_TEXT, BERTH_LOG_WARNING, &err) == 0, "log to a file");
  struct spec_config *c = config_with("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
                                      "{\"names\":[\"mkdir\",\"no_such_syscall_berth\",\"getpid\"],"
                                      "\"action\":\"SCMP_ACT_ERRNO\"}]}");
  struct seccomp_plan *p = NULL;
  ok(seccomp_plan_build(c->linux_->seccomp, false, &p, &err) == 0, "unknown name is not fatal");
  is_int(p->n_rules, 2, "the known names stay");
  is_int(p->n_skipped, 1, "one skipped");
  seccomp_plan_free(p);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  read_file_at(AT_FDCWD, log, 65536, &text, &len, &err);
  ok(text && len == 0, "validation alone does not warn");
  free(text);
  text = NULL;
  ok(seccomp_plan_build(c->linux_->seccomp, true, &p, &err) == 0, "with warnings");
  seccomp_plan_free(p);
  read_file_at(AT_FDCWD, log, 65536, &text, &len, &err);
  ok(text && strstr(text, "unknown syscall \"no_such_syscall_berth\" skipped")
         && strstr(text, ".linux.seccomp.syscalls[0].names[1]"),
     "the log names the skipped syscall and where it is");
  berth_log_init(NULL, BERTH_LOG_TEXT, BERTH_LOG_ERROR, &err);
  berth_log_set_stderr(true);
  spec_config_free(c);
}

static void expect_error(const char *profile, const char *text)
{
  _cleanup_error_ berth_error_t err = NULL;
  struct spec_config *c = config_with(profile);
  is_err(seccomp_validate(c->linux_->seccomp, &err), err, text, "error: %s", text);
  spec_config_free(c);
}

static void test_errors(void)
{
  expect_error("{\"defaultAction\":\"SCMP_ACT_FOO\"}", ".linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},"
               "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_FOO\"}]}",
               ".linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_FOO\"");
  expect_error("{\"defaultAction\":\"SCMP_ACT_KILL\",\"defaultErrnoRet\":1}",
               ".linux.seccomp.defaultErrnoRet: SCMP_ACT_KILL takes no errno");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_LOG\","
               "\"errnoRet\":5}]}",
               ".linux.seccomp.syscalls[0].errnoRet: SCMP_ACT_LOG takes no errno");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":70000}",
               ".linux.seccomp.defaultErrnoRet: 70000 is out of range");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_VAX\"]}",
               ".linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_VAX\"");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_BOGUS\"]}",
               ".linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\"");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
               "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_XOR\"}]}]}",
               ".linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_XOR\"");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
               "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
               ".linux.seccomp.syscalls[0].args[0].index: 6 is out of range (0-5)");
  /* an invalid rule is an error even when all its names are unknown */
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"nope_nope\"],\"action\":\"SCMP_ACT_X\"}]}",
               ".linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_X\"");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
               ".linux.seccomp.listenerPath: required with SCMP_ACT_NOTIFY");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerMetadata\":\"x\"}",
               ".linux.seccomp.listenerMetadata: set without listenerPath");
  expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\",\"syscalls\":[{\"names\":[\"sendmsg\"],"
               "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
               ".linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot apply to sendmsg");
  expect_error("{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"listenerPath\":\"/x\"}",
               ".linux.seccomp.defaultAction: SCMP_ACT_NOTIFY needs a rule that lets sendmsg through");

  /* fine: listenerPath without NOTIFY is ignored; NOTIFY default with sendmsg allowed */
  struct spec_config *c = config_with("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/nonexistent\"}");
  _cleanup_error_ berth_error_t err = NULL;
  ok(seccomp_validate(c->linux_->seccomp, &err) == 0, "listenerPath without NOTIFY is ignored");
  spec_config_free(c);
  c = config_with("{\"defaultAction\":\"SCMP_ACT_NOTIFY\",\"listenerPath\":\"/x\",\"syscalls\":[{\"names\":[\"sendmsg\"],"
                  "\"action\":\"SCMP_ACT_ALLOW\"}]}");
  ok(seccomp_validate(c->linux_->seccomp, &err) == 0, "NOTIFY by default with sendmsg allowed");
  spec_config_free(c);

  /* prepare: a listener that is not there fails create */
  c = config_with("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/nonexistent/berth.sock\","
                  "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}");
  struct seccomp_program *prog = NULL;
  is_err(seccomp_prepare(c->linux_->seccomp, NULL, &prog, &err), err,
         ".linux.seccomp.listenerPath: connect to /nonexistent/berth.sock", "unreachable listener");
  spec_config_free(c);
}

/* ------------------------------------------------------------ a Podman-like profile */

/* Every syscall libseccomp knows on this architecture except the ones a
 * container engine's default profile leaves out, plus the usual argument
 * rules: ~310 allow rules on three architectures. */
static char *podman_like_profile(void)
{
  static const char *const denied[] = {
    "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "clone", "clone3", "create_module",
    "delete_module", "finit_module", "get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl",
    "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind", "mount", "mount_setattr",
    "move_mount", "move_pages", "name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree",
    "perf_event_open", "personality", "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace",
    "query_module", "quotactl", "reboot", "request_key", "set_mempolicy", "setns", "settimeofday",
    "socket", "swapon", "swapoff", "sysfs", "_sysctl", "umount2", "unshare", "uselib", "userfaultfd",
    "ustat", "vm86", "vm86old", "fsconfig", "fsmount", "fsopen", "fspick",
  };
  _cleanup_free_ char *names = xstrdup("");
  for (int nr = 0; nr < 1024; nr++)
    {
      char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
      if (!name)
        continue;
      bool deny = false;
      for (size_t i = 0; i < ARRAY_SIZE(denied); i++)
        deny |= str_eq(denied[i], name);
      if (!deny)
        {
          char *n = xasprintf("%s%s\"%s\"", names, *names ? "," : "", name);
          free(names);
          names = n;
        }
      free(name);
    }
  return xasprintf(
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
    "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
    "\"syscalls\":[{\"names\":[%s],\"action\":\"SCMP_ACT_ALLOW\"},"
    "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
    "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"},"
    "{\"index\":0,\"value\":131072,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":131080,\"op\":\"SCMP_CMP_EQ\"},"
    "{\"index\":0,\"value\":4294967295,\"op\":\"SCMP_CMP_EQ\"}]},"
    "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
    "{\"index\":0,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
    "{\"names\":[\"clone3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38},"
    "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
    "{\"index\":0,\"value\":40,\"op\":\"SCMP_CMP_NE\"}]}]}",
    names);
}

static long long now_ns(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* ------------------------------------------------------------ in children */

static struct spec_process nnp_process = {.no_new_privileges = true};

static struct seccomp_program *prepare(const char *profile, const struct spec_process *p)
{
  struct spec_config *c = config_with(profile);
  struct seccomp_program *prog = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  if (seccomp_prepare(c->linux_->seccomp, p, &prog, &err) < 0)
    printf("# prepare failed: %s\n", berth_error_msg(err));
  spec_config_free(c);
  return prog;
}

/* fork; the child loads prog at the EXEC stage (with no_new_privs) and
 * runs fn, whose return value is its exit status. Returns the wait status. */
static int in_child(struct seccomp_program *prog, int (*fn)(void))
{
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0)
    {
      _cleanup_error_ berth_error_t err = NULL;
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (seccomp_install(prog, SECCOMP_STAGE_EXEC, NULL, &err) < 0)
        {
          printf("# install failed: %s\n", berth_error_msg(err));
          fflush(stdout);
          _exit(100);
        }
      _exit(fn());
    }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

static const char *scratch(const char *name)
{
  static char *p;
  free(p);
  p = xasprintf("%s/%s", tmpdir, name);
  return p;
}

static int mkdir_errno(void)
{
  return mkdir(scratch("d1"), 0755) < 0 ? errno : 0;
}

static int personality_errnos(void)
{
  /* query (0xffffffff) allowed, PER_LINUX32 (8) denied with EPERM */
  int q = personality(0xffffffff) == -1 ? errno : 0;
  int d = personality(PER_LINUX32) == -1 ? errno : 0;
  return q == 0 && d == EPERM ? 0 : 1;
}

static int socket_masked(void)
{
  /* denied: (type & 0xf) == SOCK_DGRAM; SOCK_CLOEXEC in the upper bits does not matter */
  int s1 = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int e1 = errno;
  int s2 = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  return s1 < 0 && e1 == EACCES && s2 >= 0 ? 0 : 1;
}

static int personality_or(void)
{
  int a = personality(PER_LINUX32) == -1 ? errno : 0;
  int b = personality(PER_LINUX) == -1 ? errno : 0;
  int c = personality(0xffffffff) == -1 ? errno : 0;
  return a == EPERM && b == EPERM && c == 0 ? 0 : 1;
}

static volatile sig_atomic_t trapped_nr = -1;
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
  (void) sig;
  (void) uc;
  trapped_nr = si->si_syscall;
}

static int trap_handled(void)
{
  struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
  sigaction(SIGSYS, &sa, NULL);
  mkdir(scratch("d2"), 0755);
  return trapped_nr == SYS_mkdir || trapped_nr == SYS_mkdirat ? 0 : 1;
}

static int mkdir_works(void)
{
  return mkdir(scratch("d3"), 0755) == 0 ? 0 : 1;
}

static int status_seccomp_mode(void)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  _cleanup_error_ berth_error_t err = NULL;
  if (read_file_at(AT_FDCWD, "/proc/self/status", 65536, &text, &len, &err) < 0)
    return 99;
  const char *s = strstr(text, "\nSeccomp:");
  return s ? atoi(s + strlen("\nSeccomp:")) : 98;
}

static void test_enforced(void)
{
  struct seccomp_program *prog;
  int st;

  prog = prepare("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}",
                 &nnp_process);
  st = in_child(prog, mkdir_errno);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == ENOSYS, "denied mkdir returns errnoRet 38 (status 0x%x)", st);
  st = in_child(prog, status_seccomp_mode);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == 2, "the child is in seccomp filter mode");
  seccomp_program_free(prog);

  prog = prepare("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                 &nnp_process);
  st = in_child(prog, mkdir_errno);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == EPERM, "errnoRet defaults to EPERM");
  seccomp_program_free(prog);

  prog = prepare("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                 &nnp_process);
  st = in_child(prog, personality_errnos);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "arg filter: personality(8) denied, personality(query) allowed");
  seccomp_program_free(prog);

  prog = prepare("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"personality\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"},"
                 "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                 &nnp_process);
  st = in_child(prog, personality_or);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "same index twice: either value matches");
  seccomp_program_free(prog);

  prog = prepare("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"socket\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
                 "{\"index\":1,\"value\":15,\"valueTwo\":2,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}",
                 &nnp_process);
  st = in_child(prog, socket_masked);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "MASKED_EQ AND EQ: only AF_UNIX datagram sockets denied");
  seccomp_program_free(prog);

  prog = prepare("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
                 "\"action\":\"SCMP_ACT_KILL\"}]}",
                 &nnp_process);
  st = in_child(prog, mkdir_errno);
  ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "KILL: killed by SIGSYS (status 0x%x)", st);
  seccomp_program_free(prog);

  prog = prepare("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
                 "\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}",
                 &nnp_process);
  st = in_child(prog, mkdir_errno);
  ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "KILL_PROCESS: killed by SIGSYS");
  seccomp_program_free(prog);

  prog = prepare("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
                 "\"action\":\"SCMP_ACT_TRAP\"}]}",
                 &nnp_process);
  st = in_child(prog, trap_handled);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "TRAP: a SIGSYS handler sees the syscall");
  st = in_child(prog, mkdir_errno);
  ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "TRAP without a handler: SIGSYS kills");
  seccomp_program_free(prog);

  prog = prepare("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
                 "\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_LOG\"}]}",
                 &nnp_process);
  st = in_child(prog, mkdir_works);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "LOG does not block");
  seccomp_program_free(prog);

  /* WAIT_KILLABLE_RECV without a listener is dropped, TSYNC kept */
  prog = prepare("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\","
                 "\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],\"syscalls\":[{\"names\":[\"mkdir\","
                 "\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}",
                 &nnp_process);
  st = in_child(prog, mkdir_errno);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == ENOSYS, "flags WAIT_KILLABLE_RECV, TSYNC, SPEC_ALLOW without NOTIFY load");
  seccomp_program_free(prog);

  prog = prepare("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
                 "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":12}]}",
                 &nnp_process);
  st = in_child(prog, mkdir_errno);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == ENOMEM, "another errnoRet (12)");
  seccomp_program_free(prog);
}

static int errno_of(long nr)
{
  return syscall(nr, 0, 0, 0) < 0 ? errno : 0;
}

/* 0 when the unknown syscalls get ENOSYS and the others their errno */
static int enosys_errnos(void)
{
  if (errno_of(1000) != ENOSYS)
    return 1;
  if (errno_of(435 /* clone3 */) != ENOSYS)
    return 2;
  if (errno_of(438 /* pidfd_getfd, named: EACCES */) != EACCES)
    return 3;
  if (errno_of(SYS_sethostname) != EPERM)
    return 4;
  return 0;
}

static int enosys_probe(void)
{
  /* straight to exit_group: the sanitizers' _exit does more than the
   * profile allows */
  syscall(SYS_exit_group, enosys_errnos());
  return 99;
}

static void test_enosys(void)
{
  const char *profile = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                        "{\"names\":[\"exit\",\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\"},"
                        "{\"names\":[\"pidfd_getfd\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}";
  struct seccomp_program *prog = prepare(profile, &nnp_process);
  int st = in_child(prog, enosys_probe);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
     "errno default: syscall(1000) and unnamed clone3 ENOSYS, named pidfd_getfd EACCES, older sethostname EPERM "
     "(probe %d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  seccomp_program_free(prog);

  /* the stub sits in front of libseccomp's program */
  struct spec_config *c = config_with(profile);
  struct seccomp_plan *plan = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  ok(seccomp_plan_build(c->linux_->seccomp, false, &plan, &err) == 0, "plan for the stub");
  struct sock_filter *insns = NULL;
  size_t n = 0;
  ok(plan && seccomp_plan_compile(plan, &insns, &n, &err) == 0 && n > 6
         && insns[0].code == (BPF_LD | BPF_W | BPF_ABS) && insns[0].k == 4,
     "the stub comes first and loads the architecture");
  free(insns);
  seccomp_plan_free(plan);
  spec_config_free(c);
}

/* ------------------------------------------------------------ stage */

static int run_stages(const struct spec_process *p)
{
  struct seccomp_program *prog = prepare("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", p);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0)
    {
      _cleanup_error_ berth_error_t err = NULL;
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); /* so that no root is needed either way */
      /* exit status: bit 0 loaded at IDENTITY, bit 1 loaded by EXEC, bit 2 loaded twice */
      int r = 0;
      seccomp_install(prog, SECCOMP_STAGE_IDENTITY, NULL, &err);
      r |= status_seccomp_mode() == 2 ? 1 : 0;
      seccomp_install(prog, SECCOMP_STAGE_EXEC, NULL, &err);
      r |= status_seccomp_mode() == 2 ? 2 : 0;
      _cleanup_free_ char *text = NULL;
      size_t len;
      read_file_at(AT_FDCWD, "/proc/self/status", 65536, &text, &len, &err);
      const char *f = text ? strstr(text, "Seccomp_filters:") : NULL;
      if (f && atoi(f + strlen("Seccomp_filters:")) != 1)
        r |= 4; /* loaded twice */
      _exit(r);
    }
  int st = 0;
  waitpid(pid, &st, 0);
  seccomp_program_free(prog);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_stages(void)
{
  struct spec_process plain = {0};
  is_int(run_stages(&plain), 3, "no NNP, no CAP_SYS_ADMIN: loaded before the identity switch, once");
  is_int(run_stages(&nnp_process), 2, "noNewPrivileges: loaded right before exec");
  char *eff[] = {"CAP_CHOWN", "CAP_SYS_ADMIN", NULL};
  struct spec_capabilities caps = {.effective = eff};
  struct spec_process admin = {.capabilities = &caps};
  is_int(run_stages(&admin), 2, "CAP_SYS_ADMIN kept: loaded right before exec");
  is_int(run_stages(NULL), 3, "no process given: the early stage");
}

/* ------------------------------------------------------------ NOTIFY */

static int listen_unix(const char *path)
{
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(fd, 1) < 0)
    return -1;
  return fd;
}

static int recv_fd_and_text(int c, char *buf, size_t cap, int *fd)
{
  union
  {
    char b[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = {.iov_base = buf, .iov_len = cap - 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.b,
                       .msg_controllen = sizeof control.b};
  ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
  *fd = -1;
  if (n < 0)
    return -1;
  struct cmsghdr *h = CMSG_FIRSTHDR(&msg);
  if (h && h->cmsg_type == SCM_RIGHTS)
    memcpy(fd, CMSG_DATA(h), sizeof(int));
  size_t len = (size_t) n;
  while (n > 0 && len < cap - 1)
    if ((n = read(c, buf + len, cap - 1 - len)) > 0)
      len += (size_t) n;
  buf[len] = '\0';
  return 0;
}

static void test_notify(void)
{
  const char *sock = scratch("agent.sock");
  _cleanup_close_ int ls = listen_unix(sock);
  ok(ls >= 0, "agent socket listening");
  _cleanup_free_ char *profile = xasprintf(
    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s\",\"listenerMetadata\":\"hello agent\","
    "\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\",\"SECCOMP_FILTER_FLAG_TSYNC\"],"
    "\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
    sock);
  struct seccomp_program *prog = prepare(profile, &nnp_process);
  ok(prog != NULL, "NOTIFY profile prepared (connected to the agent)");
  if (!prog)
    return;
  struct spec_state state = {.oci_version = "1.2.0", .id = "c1", .status = "creating", .pid = 4321,
                             .bundle = "/bundle"};
  struct seccomp_notify_info who = {.state = &state, .status = "created", .pid = 4321};
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0)
    {
      _cleanup_error_ berth_error_t err = NULL;
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (seccomp_install(prog, SECCOMP_STAGE_EXEC, &who, &err) < 0)
        _exit(100);
      _exit(mkdir_errno());
    }
  seccomp_program_free(prog); /* the parent's copy of the connection */
  struct pollfd lp = {.fd = ls, .events = POLLIN};
  int c = poll(&lp, 1, 10000) == 1 ? accept4(ls, NULL, NULL, SOCK_CLOEXEC) : -1;
  static char buf[65536];
  int nfd = -1;
  ok(c >= 0 && recv_fd_and_text(c, buf, sizeof buf, &nfd) == 0 && nfd >= 0, "agent got the notify fd");
  if (c >= 0)
    close(c);
  ok(strstr(buf, "\"fds\":[\"seccompFd\"]") && strstr(buf, "\"pid\":4321")
         && strstr(buf, "\"metadata\":\"hello agent\"") && strstr(buf, "\"state\":{")
         && strstr(buf, "\"id\":\"c1\"") && strstr(buf, "\"status\":\"created\""),
     "container process state JSON");
  printf("# %s\n", buf);
  bool answered = false;
  if (nfd >= 0)
    {
      struct pollfd p = {.fd = nfd, .events = POLLIN};
      if (poll(&p, 1, 10000) == 1 && (p.revents & POLLIN))
        {
          struct seccomp_notif req;
          memset(&req, 0, sizeof req);
          if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0)
            {
              ok(req.data.nr == SYS_mkdir || req.data.nr == SYS_mkdirat, "notification for mkdir");
              struct seccomp_notif_resp resp = {.id = req.id, .error = -ENOTCONN};
              answered = ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0;
            }
        }
      close(nfd);
    }
  ok(answered, "agent answered");
  int st = 0;
  if (!answered)
    kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
  ok(WIFEXITED(st) && WEXITSTATUS(st) == ENOTCONN, "the process sees the agent's errno (status 0x%x)", st);
}

/* ------------------------------------------------------------ timing */

static int timing_child(struct seccomp_program *prog, int mode, long long *ns)
{
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) < 0)
    return -1;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0)
    {
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      _cleanup_error_ berth_error_t err = NULL;
      long long t0 = now_ns();
      int r = 0;
      if (mode == 0)
        r = seccomp_install(prog, SECCOMP_STAGE_EXEC, NULL, &err);
      else
        {
          /* what the init would do without the parent's help */
          _cleanup_free_ char *profile = podman_like_profile();
          struct spec_config *c = config_with(profile);
          struct seccomp_plan *plan = NULL;
          t0 = now_ns();
          r = seccomp_plan_build(c->linux_->seccomp, false, &plan, &err);
          scmp_filter_ctx ctx = seccomp_init(plan->default_action);
          for (size_t i = 0; i < plan->n_archs; i++)
            seccomp_arch_add(ctx, plan->archs[i]);
          for (size_t i = 0; i < plan->n_rules; i++)
            if (plan->rules[i].action != plan->default_action)
              seccomp_rule_add_array(ctx, plan->rules[i].action, plan->rules[i].nr, plan->rules[i].n_cmp,
                                     plan->rules[i].cmp);
          r |= seccomp_load(ctx);
          seccomp_release(ctx);
        }
      long long t = now_ns() - t0;
      if (write(pfd[1], &t, sizeof t) < 0)
        _exit(2);
      _exit(r < 0);
    }
  close(pfd[1]);
  ssize_t n = read(pfd[0], ns, sizeof *ns);
  close(pfd[0]);
  int st;
  waitpid(pid, &st, 0);
  return n == sizeof *ns && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void test_podman_like(void)
{
  _cleanup_free_ char *profile = podman_like_profile();
  struct spec_config *c = config_with(profile);
  _cleanup_error_ berth_error_t err = NULL;
  struct seccomp_plan *plan = NULL;
  ok(seccomp_plan_build(c->linux_->seccomp, false, &plan, &err) == 0, "Podman-like profile: plan");
  size_t n_rules = plan->n_rules;
  ok(n_rules > 250, "Podman-like profile: %zu rules", n_rules);
  is_int(plan->n_skipped, 0, "no unknown names");

  enum { ROUNDS = 20 };
  long long compile_ns = 0;
  size_t n_insns = 0;
  bool compiled = true;
  for (int i = 0; i < ROUNDS; i++)
    {
      struct seccomp_plan *pl = NULL;
      struct sock_filter *insns = NULL;
      long long t0 = now_ns();
      compiled &= seccomp_plan_build(c->linux_->seccomp, false, &pl, &err) == 0
                  && seccomp_plan_compile(pl, &insns, &n_insns, &err) == 0;
      compile_ns += now_ns() - t0;
      free(insns);
      seccomp_plan_free(pl);
    }
  ok(compiled && n_insns > 300 && n_insns <= BPF_MAXINSNS, "Podman-like profile compiles to %zu instructions",
     n_insns);
  seccomp_plan_free(plan);

  struct seccomp_program *prog = NULL;
  ok(seccomp_prepare(c->linux_->seccomp, &nnp_process, &prog, &err) == 0, "Podman-like profile prepared");
  long long load_ns = 0, full_ns = 0, t;
  bool loaded = true, full = true;
  for (int i = 0; i < 5; i++)
    {
      loaded &= timing_child(prog, 0, &t) == 0;
      load_ns += t;
      full &= timing_child(prog, 1, &t) == 0;
      full_ns += t;
    }
  ok(loaded, "the compiled program loads (and the child lives on under it)");
  ok(full, "the same profile through libseccomp in the child loads too");
  printf("# Podman-like profile (%zu rules, %zu BPF insns): compile in the parent %lld us, "
         "raw load in the child %lld us; libseccomp build+load in the child %lld us\n",
         n_rules, n_insns, compile_ns / ROUNDS / 1000, load_ns / 5 / 1000, full_ns / 5 / 1000);
  seccomp_program_free(prog);
  spec_config_free(c);
}

int main(void)
{
  setenv("BERTH_SECCOMP_CACHE", "0", 1); /* compile every time, leave the host's cache alone */
  alarm(300); /* a hang (an agent that never answers) fails instead of blocking `make check` */
  char tmpl[] = "/tmp/berth-test-seccomp-XXXXXX";
  tmpdir = mkdtemp(tmpl);
  if (!tmpdir)
    return 1;
  test_tables();
  test_translation();
  test_unknown_names_warn();
  test_errors();
  test_enforced();
  test_enosys();
  test_stages();
  test_notify();
  test_podman_like();
  spec_config_free(plan_config);
  _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", tmpdir);
  return tap_done();
}
