/* The v2 device filter: the instruction sequence for a few device states
 * (pure), and as root the real thing: the verifier accepts the programs,
 * attached to a test cgroup in the cgroup2 hierarchy (unified on a hybrid
 * host) they allow and deny opens and mknods, and a second install
 * replaces the first. */
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/resources.h"
#include "tap.h"
#include "util/util.h"

/* a readable rendering of the few instructions the generator uses */
static char *render(const struct bpf_insn *v, size_t n)
{
  char *out = xstrdup("");
  for (size_t i = 0; i < n; i++)
    {
      const struct bpf_insn *x = &v[i];
      char *one;
      uint8_t cls = BPF_CLASS(x->code), op = BPF_OP(x->code);
      if (cls == BPF_LDX)
        one = xasprintf("r%d=ctx[%d]", x->dst_reg, x->off);
      else if ((cls == BPF_ALU || cls == BPF_ALU64) && op == BPF_MOV)
        one = BPF_SRC(x->code) == BPF_X ? xasprintf("r%d=r%d", x->dst_reg, x->src_reg)
                                        : xasprintf("r%d=%d", x->dst_reg, x->imm);
      else if (cls == BPF_ALU && op == BPF_AND)
        one = xasprintf("r%d&=%d", x->dst_reg, x->imm);
      else if (cls == BPF_ALU && op == BPF_RSH)
        one = xasprintf("r%d>>=%d", x->dst_reg, x->imm);
      else if (cls == BPF_JMP && op == BPF_EXIT)
        one = xstrdup("exit");
      else if (cls == BPF_JMP && (op == BPF_JNE || op == BPF_JEQ))
        one = xasprintf("if r%d%s%d goto +%d", x->dst_reg, op == BPF_JNE ? "!=" : "==", x->imm, x->off);
      else
        one = xasprintf("?%02x", x->code);
      char *next = xasprintf("%s%s%s", out, i ? "; " : "", one);
      free(one);
      free(out);
      out = next;
    }
  return out;
}

static char *program_for(bool default_allow, const struct cgroup_dev_rule *ex, size_t n)
{
  struct cgroup_dev_state s = { .default_allow = default_allow, .ex = (struct cgroup_dev_rule *) ex, .n = n };
  struct bpf_insn *v = NULL;
  size_t len = 0;
  cgroup_dev_bpf_program(&s, &v, &len);
  char *out = render(v, len);
  free(v);
  return out;
}

#define PROLOGUE "r2=ctx[0]; r4=ctx[4]; r5=ctx[8]; r3=r2; r3&=65535; r2>>=16; "

static void test_instructions(void)
{
  _cleanup_free_ char *deny = program_for(false, NULL, 0);
  is_str(deny, "r0=0; exit", "deny everything: return 0");
  _cleanup_free_ char *allow = program_for(true, NULL, 0);
  is_str(allow, "r0=1; exit", "allow everything: return 1");

  struct cgroup_dev_rule null_rwm = { 'c', 1, 3, CGROUP_DEV_RWM, true };
  _cleanup_free_ char *one = program_for(false, &null_rwm, 1);
  is_str(one,
         PROLOGUE "if r3!=2 goto +4; if r4!=1 goto +3; if r5!=3 goto +2; r0=1; exit; r0=0; exit",
         "allow c 1:3 rwm: type, major, minor, then allow; else deny");

  /* an allow exception with part of the access: every requested bit must be in it */
  struct cgroup_dev_rule two[] = { { 'b', 8, -1, CGROUP_DEV_READ, true },
                                   { 'c', -1, -1, CGROUP_DEV_MKNOD, true } };
  _cleanup_free_ char *p2 = program_for(false, two, 2);
  is_str(p2,
         PROLOGUE "if r3!=1 goto +6; r1=r2; r1&=5; if r1!=0 goto +3; if r4!=8 goto +2; r0=1; exit; "
                  "if r3!=2 goto +5; r1=r2; r1&=6; if r1!=0 goto +2; r0=1; exit; r0=0; exit",
         "allow b 8:* r and c *:* m");

  /* default allow: a deny exception matches on any requested bit */
  struct cgroup_dev_rule deny_w = { 'c', 5, 1, CGROUP_DEV_WRITE, false };
  _cleanup_free_ char *p3 = program_for(true, &deny_w, 1);
  is_str(p3,
         PROLOGUE "if r3!=2 goto +7; r1=r2; r1&=4; if r1==0 goto +4; if r4!=5 goto +3; if r5!=1 goto +2; "
                  "r0=0; exit; r0=1; exit",
         "allow all but writes to c 5:1");
}

/* ---- as root: load, attach, and see the kernel enforce it */

static char *cgroup2_mount(void)
{
  static const char *const candidates[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
  for (size_t i = 0; i < ARRAY_SIZE(candidates); i++)
    {
      struct statfs s;
      if (statfs(candidates[i], &s) == 0 && s.f_type == CGROUP2_SUPER_MAGIC)
        return xstrdup(candidates[i]);
    }
  return NULL;
}

static int count_attached(const char *dir)
{
  _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  uint32_t ids[8];
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.query.target_fd = (uint32_t) fd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
  attr.query.prog_cnt = 8;
  if (syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
    return -1;
  return (int) attr.query.prog_cnt;
}

enum probe
{
  OPEN_NULL_RW = 1 << 0,
  OPEN_ZERO_R = 1 << 1,
  OPEN_ZERO_W = 1 << 2,
  OPEN_FULL_R = 1 << 3,
  MKNOD_FULL = 1 << 4,
};

/* in a child that joins the cgroup: which of the probes succeed */
static int probe_in(const char *cg, const char *tmp)
{
  pid_t pid = fork();
  if (pid == 0)
    {
      _cleanup_free_ char *procs = xasprintf("%s/cgroup.procs", cg);
      int fd = open(procs, O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write(fd, "0", 1) != 1)
        _exit(255);
      close(fd);
      int ok_bits = 0;
      struct
      {
        const char *name;
        int flags;
        int bit;
      } opens[] = { { "null", O_RDWR, OPEN_NULL_RW },
                    { "zero", O_RDONLY, OPEN_ZERO_R },
                    { "zero", O_WRONLY, OPEN_ZERO_W },
                    { "full", O_RDONLY, OPEN_FULL_R } };
      for (size_t i = 0; i < ARRAY_SIZE(opens); i++)
        {
          _cleanup_free_ char *p = xasprintf("%s/%s", tmp, opens[i].name);
          int f = open(p, opens[i].flags | O_CLOEXEC);
          if (f >= 0)
            {
              ok_bits |= opens[i].bit;
              close(f);
            }
          else if (errno != EPERM)
            _exit(254);
        }
      _cleanup_free_ char *p = xasprintf("%s/full2", tmp);
      if (mknod(p, S_IFCHR | 0600, makedev(1, 7)) == 0)
        ok_bits |= MKNOD_FULL;
      unlink(p);
      _exit(ok_bits);
    }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int install(const char *cg, bool default_allow, const struct cgroup_dev_rule *ex, size_t n,
                   berth_error_t *err)
{
  struct cgroup_dev_state s = { .default_allow = default_allow, .ex = (struct cgroup_dev_rule *) ex, .n = n };
  return cgroup_v2_devices_apply(cg, &s, false, err);
}

/* another manager's filter (systemd's "sd_devices"), attached next to berth's */
static int attach_foreign(const char *cg, const struct cgroup_dev_state *st)
{
  _cleanup_free_ struct bpf_insn *insns = NULL;
  size_t n;
  cgroup_dev_bpf_program(st, &insns, &n);
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) n;
  attr.license = (uint64_t) (uintptr_t) "GPL";
  memcpy(attr.prog_name, "sd_devices", sizeof("sd_devices"));
  _cleanup_close_ int prog = (int) syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
  _cleanup_close_ int cg_fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (prog < 0 || cg_fd < 0)
    return -1;
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = (uint32_t) cg_fd;
  attr.attach_bpf_fd = (uint32_t) prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  return (int) syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr));
}

static void test_kernel(void)
{
  if (geteuid() != 0)
    {
      printf("ok %d # SKIP not root\n", ++tap_n);
      return;
    }
  _cleanup_free_ char *mnt = cgroup2_mount();
  if (mnt == NULL)
    {
      printf("ok %d # SKIP no cgroup2 mount\n", ++tap_n);
      return;
    }
  char tmpl[] = "/tmp/berth-bpf-XXXXXX";
  const char *tmp = mkdtemp(tmpl);
  _cleanup_free_ char *cg = xasprintf("%s/berth-test-bpf-%d", mnt, (int) getpid());
  if (tmp == NULL || mkdir(cg, 0755) < 0)
    {
      ok(0, "make %s and a tmpdir: %s", cg, strerror(errno));
      return;
    }
  static const struct
  {
    const char *name;
    unsigned minor;
  } nodes[] = { { "null", 3 }, { "zero", 5 }, { "full", 7 } };
  for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
    {
      _cleanup_free_ char *p = xasprintf("%s/%s", tmp, nodes[i].name);
      ok(mknod(p, S_IFCHR | 0666, makedev(1, nodes[i].minor)) == 0, "mknod %s", p);
    }
  is_int(probe_in(cg, tmp), OPEN_NULL_RW | OPEN_ZERO_R | OPEN_ZERO_W | OPEN_FULL_R | MKNOD_FULL,
         "no filter: everything works");

  /* null rwm, zero read only; full not at all */
  struct cgroup_dev_rule rules[] = { { 'c', 1, 3, CGROUP_DEV_RWM, true }, { 'c', 1, 5, CGROUP_DEV_READ, true } };
  _cleanup_error_ berth_error_t err = NULL;
  is_int(install(cg, false, rules, 2, &err), 0, "the verifier takes the filter and it attaches: %s",
         berth_error_msg(err));
  is_int(count_attached(cg), 1, "one filter attached");
  is_int(probe_in(cg, tmp), OPEN_NULL_RW | OPEN_ZERO_R, "the filter allows null rw and zero r, denies the rest");

  /* update: allow all but c 1:3; the old filter is replaced, not stacked */
  struct cgroup_dev_rule deny_null = { 'c', 1, 3, CGROUP_DEV_RWM, false };
  is_int(install(cg, true, &deny_null, 1, &err), 0, "replace the filter: %s", berth_error_msg(err));
  is_int(count_attached(cg), 1, "still one filter attached after the replace");
  is_int(probe_in(cg, tmp), OPEN_ZERO_R | OPEN_ZERO_W | OPEN_FULL_R | MKNOD_FULL,
         "the new filter is the one in force");

  /* a shared cgroup (the systemd driver): systemd's filter allows the
   * char devices but no mknod; berth's is replaced, systemd's stays, and an access
   * needs both */
  struct cgroup_dev_rule chars = { 'c', -1, -1, CGROUP_DEV_READ | CGROUP_DEV_WRITE, true };
  struct cgroup_dev_rule zero_w = { 'c', 1, 5, CGROUP_DEV_WRITE, false };
  struct cgroup_dev_state sd_chars = { .default_allow = false, .ex = &chars, .n = 1 };
  struct cgroup_dev_state all_but_zero_w = { .default_allow = true, .ex = &zero_w, .n = 1 };
  is_int(attach_foreign(cg, &sd_chars), 0, "attach a foreign filter next to berth's");
  is_int(count_attached(cg), 2, "two filters attached");
  struct cgroup_dev_state st = { .default_allow = false, .ex = rules, .n = 2 };
  is_int(cgroup_v2_devices_apply(cg, &st, true, &err), 0, "install with keep_others: %s", berth_error_msg(err));
  is_int(count_attached(cg), 2, "berth's replaced, the foreign one kept");
  is_int(probe_in(cg, tmp), OPEN_NULL_RW | OPEN_ZERO_R, "both filters must allow");
  is_int(cgroup_v2_devices_apply(cg, &all_but_zero_w, true, &err), 0, "again: %s", berth_error_msg(err));
  is_int(count_attached(cg), 2, "still berth's one and the foreign one");
  is_int(probe_in(cg, tmp), OPEN_NULL_RW | OPEN_ZERO_R | OPEN_FULL_R,
         "berth's new filter and the foreign one: no zero write (berth), no mknod (foreign)");
  is_int(cgroup_v2_devices_apply(cg, &st, false, &err), 0, "keep_others false: %s", berth_error_msg(err));
  is_int(count_attached(cg), 1, "without keep_others every old filter goes");

  /* a program the verifier refuses: the error carries its log */
  struct bpf_insn bad[] = { { .code = BPF_JMP | BPF_EXIT } }; /* r0 never set */
  int fd = -1;
  _cleanup_error_ berth_error_t lerr = NULL;
  is_err(cgroup_dev_bpf_load(bad, 1, &fd, &lerr), lerr, "verifier says", "a bad program: the verifier's log");

  ok(rmdir(cg) == 0, "remove the test cgroup");
  for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
    {
      _cleanup_free_ char *p = xasprintf("%s/%s", tmp, nodes[i].name);
      unlink(p);
    }
  rmdir(tmp);
}

int main(void)
{
  test_instructions();
  test_kernel();
  return tap_done();
}
