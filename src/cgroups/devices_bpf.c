/* cgroup v2 device filter: the device state (devices.c) as a
 * BPF_PROG_TYPE_CGROUP_DEVICE program, loaded and attached with bpf(2).
 *
 * The program gets a struct bpf_cgroup_dev_ctx { u32 access_type (access
 * << 16 | type); u32 major; u32 minor; } and returns 1 to allow, 0 to deny
 * (EPERM). It checks the exceptions of the state one by one and returns
 * the default when none matches:
 *   default deny:  an allow exception matches when type and numbers match
 *                  and every requested access bit is in it;
 *   default allow: a deny exception matches when type and numbers match
 *                  and any requested access bit is in it;
 * exactly the v1 kernel's rules, so v1 and v2 containers see the same. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroups/resources.h"
#include "util/log.h"
#include "util/util.h"

/* registers: r1 ctx (then scratch), r2 access, r3 type, r4 major, r5 minor */
#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R5 BPF_REG_5

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  return (struct bpf_insn) { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

struct prog
{
  struct bpf_insn *v;
  size_t n;
};

static void emit(struct prog *p, struct bpf_insn i)
{
  p->v = xreallocarray(p->v, p->n + 1, sizeof(*p->v));
  p->v[p->n++] = i;
}

static void emit_ctx_load(struct prog *p, uint8_t dst, int16_t off)
{
  emit(p, insn(BPF_LDX | BPF_MEM | BPF_W, dst, R1, off, 0));
}

static void emit_return(struct prog *p, int32_t verdict)
{
  emit(p, insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, verdict));
  emit(p, insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

/* one exception: conditional jumps past the block when it does not match,
 * then "return verdict" */
static void emit_exception(struct prog *p, const struct cgroup_dev_rule *ex, bool default_allow)
{
  size_t start = p->n;
  emit(p, insn(BPF_JMP | BPF_JNE | BPF_K, R3, 0, 0,
               ex->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  if (ex->access != CGROUP_DEV_RWM)
    {
      emit(p, insn(BPF_ALU | BPF_MOV | BPF_X, R1, R2, 0, 0));
      if (default_allow)
        {
          /* deny exception: skip when no requested bit is in it */
          emit(p, insn(BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, (int32_t) ex->access));
          emit(p, insn(BPF_JMP | BPF_JEQ | BPF_K, R1, 0, 0, 0));
        }
      else
        {
          /* allow exception: skip when a requested bit is not in it */
          emit(p, insn(BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, (int32_t) (~ex->access & CGROUP_DEV_RWM)));
          emit(p, insn(BPF_JMP | BPF_JNE | BPF_K, R1, 0, 0, 0));
        }
    }
  if (ex->major >= 0)
    emit(p, insn(BPF_JMP | BPF_JNE | BPF_K, R4, 0, 0, (int32_t) ex->major));
  if (ex->minor >= 0)
    emit(p, insn(BPF_JMP | BPF_JNE | BPF_K, R5, 0, 0, (int32_t) ex->minor));
  emit_return(p, default_allow ? 0 : 1);
  /* every conditional jump of the block goes to the instruction after it */
  for (size_t i = start; i < p->n; i++)
    if (BPF_CLASS(p->v[i].code) == BPF_JMP && BPF_OP(p->v[i].code) != BPF_EXIT)
      p->v[i].off = (int16_t) (p->n - i - 1);
}

void cgroup_dev_bpf_program(const struct cgroup_dev_state *s, struct bpf_insn **insns, size_t *n)
{
  struct prog p = { 0 };
  if (s->n > 0)
    {
      emit_ctx_load(&p, R2, offsetof(struct bpf_cgroup_dev_ctx, access_type));
      emit_ctx_load(&p, R4, offsetof(struct bpf_cgroup_dev_ctx, major));
      emit_ctx_load(&p, R5, offsetof(struct bpf_cgroup_dev_ctx, minor));
      emit(&p, insn(BPF_ALU | BPF_MOV | BPF_X, R3, R2, 0, 0));
      emit(&p, insn(BPF_ALU | BPF_AND | BPF_K, R3, 0, 0, 0xffff));
      emit(&p, insn(BPF_ALU | BPF_RSH | BPF_K, R2, 0, 0, 16));
      for (size_t i = 0; i < s->n; i++)
        emit_exception(&p, &s->ex[i], s->default_allow);
    }
  emit_return(&p, s->default_allow ? 1 : 0);
  *insns = p.v;
  *n = p.n;
}

/* ---------------------------------------------------------------- I/O */

static int bpf(int cmd, union bpf_attr *attr)
{
  return (int) syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

#define VERIFIER_LOG_SIZE (64 << 10)

int cgroup_dev_bpf_load(const struct bpf_insn *insns, size_t n, int *prog_fd, berth_error_t *err)
{
  /* no helper calls, so the licence does not matter to the verifier */
  static const char license[] = "GPL";
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) n;
  attr.license = (uint64_t) (uintptr_t) license;
  memcpy(attr.prog_name, BERTH_DEV_PROG_NAME, sizeof(BERTH_DEV_PROG_NAME));
  int fd = bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    {
      *prog_fd = fd;
      return 0;
    }
  int saved = errno;
  if (saved != EACCES && saved != EINVAL)
    return berth_fail(err, saved, "load the device filter (bpf BPF_PROG_LOAD, %zu instructions)", n);
  /* load again with the verifier's log for the error message */
  _cleanup_free_ char *log = xcalloc(1, VERIFIER_LOG_SIZE);
  attr.log_buf = (uint64_t) (uintptr_t) log;
  attr.log_size = VERIFIER_LOG_SIZE;
  attr.log_level = 1;
  fd = bpf(BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    {
      *prog_fd = fd;
      return 0;
    }
  log[VERIFIER_LOG_SIZE - 1] = '\0';
  return berth_fail(err, saved, "load the device filter (%zu instructions), verifier says: %s", n,
                    log[0] ? log : "nothing");
}

static int query_attached(int cg_fd, uint32_t **ids, uint32_t *n, berth_error_t *err)
{
  uint32_t cap = 8;
  for (;;)
    {
      _cleanup_free_ uint32_t *v = xcalloc(cap, sizeof(uint32_t));
      union bpf_attr attr;
      memset(&attr, 0, sizeof(attr));
      attr.query.target_fd = (uint32_t) cg_fd;
      attr.query.attach_type = BPF_CGROUP_DEVICE;
      attr.query.prog_ids = (uint64_t) (uintptr_t) v;
      attr.query.prog_cnt = cap;
      if (bpf(BPF_PROG_QUERY, &attr) == 0)
        {
          *n = attr.query.prog_cnt;
          *ids = steal_pointer(&v);
          return 0;
        }
      if (errno != ENOSPC || cap >= 1024)
        return berth_fail_sys(err, "query the device filters attached (bpf BPF_PROG_QUERY)");
      cap = attr.query.prog_cnt > cap ? attr.query.prog_cnt : cap * 2;
    }
}

static bool prog_is_berths(int prog_fd)
{
  struct bpf_prog_info info;
  memset(&info, 0, sizeof(info));
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.info.bpf_fd = (uint32_t) prog_fd;
  attr.info.info_len = sizeof(info);
  attr.info.info = (uint64_t) (uintptr_t) &info;
  return bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) == 0 && str_eq(info.name, BERTH_DEV_PROG_NAME);
}

static int attach(int cg_fd, int prog_fd, int replace_fd)
{
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = (uint32_t) cg_fd;
  attr.attach_bpf_fd = (uint32_t) prog_fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (replace_fd >= 0)
    {
      attr.attach_flags |= BPF_F_REPLACE;
      attr.replace_bpf_fd = (uint32_t) replace_fd;
    }
  return bpf(BPF_PROG_ATTACH, &attr);
}

static int prog_fd_by_id(uint32_t id)
{
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_id = id;
  return bpf(BPF_PROG_GET_FD_BY_ID, &attr);
}

static int detach_id(int cg_fd, uint32_t id, berth_error_t *err)
{
  _cleanup_close_ int fd = prog_fd_by_id(id);
  if (fd < 0)
    return errno == ENOENT ? 0 : berth_fail_sys(err, "open device filter %u", id);
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = (uint32_t) cg_fd;
  attr.attach_bpf_fd = (uint32_t) fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
    return berth_fail_sys(err, "detach the old device filter %u", id);
  return 0;
}

/* keep only the ids of berth's own programs in ids */
static void keep_berths(uint32_t *ids, uint32_t *n)
{
  uint32_t kept = 0;
  for (uint32_t i = 0; i < *n; i++)
    {
      _cleanup_close_ int fd = prog_fd_by_id(ids[i]);
      if (fd >= 0 && prog_is_berths(fd))
        ids[kept++] = ids[i];
    }
  *n = kept;
}

int cgroup_dev_bpf_install(const char *cgroup_dir, int prog_fd, bool keep_others, berth_error_t *err)
{
  _cleanup_close_ int cg_fd = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg_fd < 0)
    return berth_fail_sys(err, "open %s", cgroup_dir);
  _cleanup_free_ uint32_t *old = NULL;
  uint32_t n_old = 0;
  if (query_attached(cg_fd, &old, &n_old, err) < 0)
    return berth_wrap(err, "%s", cgroup_dir);
  if (keep_others)
    keep_berths(old, &n_old);
  if (n_old == 1)
    {
      _cleanup_close_ int old_fd = prog_fd_by_id(old[0]);
      if (old_fd >= 0 && attach(cg_fd, prog_fd, old_fd) == 0)
        return 0;
      /* no BPF_F_REPLACE (before 5.6) or the old one just went: below */
      berth_log_debug("device filter on %s: atomic replace failed (%s), attaching then detaching",
                      cgroup_dir, berth_errno_name(errno));
    }
  if (attach(cg_fd, prog_fd, -1) < 0)
    return berth_fail_sys(err, "attach the device filter to %s (bpf BPF_PROG_ATTACH)", cgroup_dir);
  for (uint32_t i = 0; i < n_old; i++)
    if (detach_id(cg_fd, old[i], err) < 0)
      return berth_wrap(err, "%s", cgroup_dir);
  return 0;
}

int cgroup_v2_devices_apply(const char *dir, const struct cgroup_dev_state *s, bool keep_others,
                            berth_error_t *err)
{
  _cleanup_free_ struct bpf_insn *insns = NULL;
  size_t n = 0;
  cgroup_dev_bpf_program(s, &insns, &n);
  _cleanup_close_ int prog_fd = -1;
  if (cgroup_dev_bpf_load(insns, n, &prog_fd, err) < 0 || cgroup_dev_bpf_install(dir, prog_fd, keep_others, err) < 0)
    {
      /* an unprivileged user (a delegated cgroup) may not load BPF at all;
       * such a container cannot get at devices it could not open anyway */
      if ((*err)->errnum == EPERM && geteuid() != 0)
        {
          berth_log_warning(".linux.resources.devices: %s; no device filter (not root)", berth_error_msg(*err));
          berth_error_free(err);
          return 0;
        }
      return berth_wrap(err, ".linux.resources.devices");
    }
  return 0;
}
