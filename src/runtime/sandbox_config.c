/* berth sandbox: the plan -> the container's struct spec_config (in
 * memory; cmd_sandbox.c writes it through spec_sandbox_config_emit). */
#include "runtime/sandbox_config.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <fcntl.h>

#include "spec/sandbox.h"
#include "storage/overlay.h"
#include "util/util.h"

/* the capabilities Podman and containerd give a container by default */
static const char *const engine_caps[] = {
  "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FOWNER",  "CAP_FSETID",     "CAP_KILL",       "CAP_NET_BIND_SERVICE",
  "CAP_SETFCAP", "CAP_SETGID",      "CAP_SETPCAP", "CAP_SETUID",     "CAP_SYS_CHROOT", NULL,
};

static const char *const masked_paths[] = {
  "/proc/acpi",       "/proc/asound",   "/proc/kcore",         "/proc/keys",       "/proc/latency_stats",
  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",       "/sys/firmware",
  "/sys/fs/selinux",  "/sys/dev/block", NULL,
};

static const char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* What the containers-common profile refuses a container without
 * CAP_SYS_ADMIN and the other administrative capabilities (module
 * loading, kexec, mounts, namespaces, keyrings, clocks, tracing of other
 * processes' memory, BPF, perf, swap, reboot...): the built-in profile
 * allows everything else and answers these with EPERM. Names the
 * architecture lacks are left out. */
static const char *const denied_syscalls[] = {
  "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module",
  "finit_module", "fsconfig", "fsmount", "fsopen", "fspick", "get_kernel_syms", "init_module",
  "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mount",
  "mount_setattr", "move_mount", "name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree",
  "perf_event_open", "pivot_root", "process_vm_readv", "process_vm_writev", "query_module", "quotactl",
  "quotactl_fd", "reboot", "request_key", "setdomainname", "sethostname", "setns", "settimeofday",
  "stime", "swapoff", "swapon", "sysfs", "syslog", "umount", "umount2", "unshare", "uselib",
  "userfaultfd", "ustat", "vm86", "vm86old", NULL,
};

static char **strv_copy(const char *const *v, size_t *n)
{
  size_t len = 0;
  while (v[len])
    len++;
  char **out = xcalloc(len + 1, sizeof *out);
  for (size_t i = 0; i < len; i++)
    out[i] = xstrdup(v[i]);
  if (n)
    *n = len;
  return out;
}

static void strv_push(char ***v, size_t *n, const char *s)
{
  *v = xreallocarray(*v, *n + 2, sizeof **v);
  (*v)[(*n)++] = xstrdup(s);
  (*v)[*n] = NULL;
}

static struct spec_mount *add_mount(struct spec_config *c, const char *dst, const char *type, const char *src)
{
  c->mounts = xreallocarray(c->mounts, c->n_mounts + 1, sizeof *c->mounts);
  struct spec_mount *m = &c->mounts[c->n_mounts++];
  *m = (struct spec_mount){.destination = xstrdup(dst), .type = xstrdup(type), .source = xstrdup(src)};
  return m;
}

static void mount_opts(struct spec_mount *m, const char *const *opts)
{
  for (; *opts; opts++)
    strv_push(&m->options, &m->n_options, *opts);
}

static void add_standard_mounts(struct spec_config *c, const struct sandbox_plan *p)
{
  mount_opts(add_mount(c, "/proc", "proc", "proc"), (const char *const[]){"nosuid", "noexec", "nodev", NULL});
  mount_opts(add_mount(c, "/dev", "tmpfs", "tmpfs"),
             (const char *const[]){"nosuid", "strictatime", "mode=755", "size=65536k", NULL});
  mount_opts(add_mount(c, "/dev/pts", "devpts", "devpts"),
             (const char *const[]){"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL});
  mount_opts(add_mount(c, "/dev/shm", "tmpfs", "shm"),
             (const char *const[]){"nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL});
  mount_opts(add_mount(c, "/dev/mqueue", "mqueue", "mqueue"), (const char *const[]){"nosuid", "noexec", "nodev", NULL});
  if (p->network == SANDBOX_NET_HOST)
    mount_opts(add_mount(c, "/sys", "bind", "/sys"), (const char *const[]){"rbind", "nosuid", "noexec", "nodev", "ro", NULL});
  else
    mount_opts(add_mount(c, "/sys", "sysfs", "sysfs"), (const char *const[]){"nosuid", "noexec", "nodev", "ro", NULL});
  mount_opts(add_mount(c, "/sys/fs/cgroup", "cgroup", "cgroup"),
             (const char *const[]){"nosuid", "noexec", "nodev", "relatime", "ro", NULL});
  struct spec_mount *tmp = add_mount(c, "/tmp", "tmpfs", "tmpfs");
  mount_opts(tmp, (const char *const[]){"nosuid", "nodev", "mode=1777", NULL});
  if (p->tmp_size)
    {
      _cleanup_free_ char *size = xasprintf("size=%llu", (unsigned long long) p->tmp_size);
      strv_push(&tmp->options, &tmp->n_options, size);
    }
}

static void add_user_mounts(struct spec_config *c, const struct sandbox_plan *p, const char *dir)
{
  for (size_t i = 0; i < p->n_scratch; i++)
    {
      struct spec_mount *m = add_mount(c, p->scratch[i].dst, "overlay", "overlay");
      _cleanup_free_ char *lower = xasprintf("lowerdir=%s", p->scratch[i].src);
      _cleanup_free_ char *upper = xasprintf("upperdir=%s/scratch/%zu/upper", dir, i);
      _cleanup_free_ char *work = xasprintf("workdir=%s/scratch/%zu/work", dir, i);
      mount_opts(m, (const char *const[]){lower, upper, work, "nosuid", "nodev", NULL});
    }
  for (size_t i = 0; i < p->n_binds; i++)
    {
      struct spec_mount *m = add_mount(c, p->binds[i].dst, "bind", p->binds[i].src);
      mount_opts(m, (const char *const[]){"rbind", "nosuid", "nodev", NULL});
      if (p->binds[i].ro)
        strv_push(&m->options, &m->n_options, "ro");
    }
}

static void add_annotation(struct spec_config *c, const char *key, const char *value)
{
  c->annotations = xreallocarray(c->annotations, c->n_annotations + 1, sizeof *c->annotations);
  c->annotations[c->n_annotations++] = (struct spec_kv){xstrdup(key), xstrdup(value)};
}

static int add_root_annotations(struct spec_config *c, const struct sandbox_plan *p, berth_error_t *err)
{
  if (p->image)
    {
      add_annotation(c, SANDBOX_ANN_IMAGE, p->image);
      return 0;
    }
  _cleanup_free_ char *layers = NULL;
  if (p->rootfs)
    layers = xstrdup(p->rootfs);
  else if (p->n_layers)
    for (size_t i = 0; i < p->n_layers; i++)
      {
        if (strchr(p->layers[i], ':') || strchr(p->layers[i], ','))
          return berth_fail(err, 0, "--layer %s: a layer path must not contain ':' or ','", p->layers[i]);
        char *more = layers ? xasprintf("%s:%s", layers, p->layers[i]) : xstrdup(p->layers[i]);
        free(layers);
        layers = more;
      }
  else
    layers = xstrdup("/");
  if (p->rootfs && (strchr(p->rootfs, ':') || strchr(p->rootfs, ',')))
    return berth_fail(err, 0, "--rootfs %s: the path must not contain ':' or ','", p->rootfs);
  add_annotation(c, STORAGE_ANN_LAYERS, layers);
  add_annotation(c, STORAGE_ANN_UPPER, "ephemeral");
  if (p->network == SANDBOX_NET_BRIDGE)
    add_annotation(c, "run.berth.net.mode", "bridge");
  return 0;
}

static void build_process(struct spec_config *c, const struct sandbox_plan *p, char *const *argv, bool tty)
{
  struct spec_process *pr = xcalloc(1, sizeof *pr);
  c->process = pr;
  pr->terminal = tty;
  pr->user.uid = p->uid;
  pr->user.gid = p->gid;
  pr->args = strv_copy((const char *const *) argv, &pr->n_args);
  strv_push(&pr->env, &pr->n_env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  strv_push(&pr->env, &pr->n_env, p->uid == 0 ? "HOME=/root" : "HOME=/tmp");
  if (tty)
    strv_push(&pr->env, &pr->n_env, "TERM=xterm");
  for (size_t i = 0; i < p->n_env; i++)
    strv_push(&pr->env, &pr->n_env, p->env[i]);
  pr->cwd = xstrdup(p->workdir ? p->workdir : p->n_scratch ? p->scratch[0].dst : "/");
  pr->capabilities = xcalloc(1, sizeof *pr->capabilities);
  pr->capabilities->bounding = strv_copy(engine_caps, NULL);
  pr->capabilities->permitted = strv_copy(engine_caps, NULL);
  pr->capabilities->effective = strv_copy(p->uid == 0 ? engine_caps : (const char *const[]){NULL}, NULL);
  pr->no_new_privileges = true;
}

static struct spec_seccomp *builtin_seccomp(void)
{
  struct spec_seccomp *s = xcalloc(1, sizeof *s);
  s->default_action = xstrdup("SCMP_ACT_ALLOW");
  s->syscalls = xcalloc(1, sizeof *s->syscalls);
  s->n_syscalls = 1;
  struct spec_seccomp_syscall *sc = &s->syscalls[0];
  sc->action = xstrdup("SCMP_ACT_ERRNO");
  sc->errno_ret = (spec_opt_u64){true, EPERM};
  for (const char *const *n = denied_syscalls; *n; n++)
    if (seccomp_syscall_resolve_name(*n) != __NR_SCMP_ERROR)
      strv_push(&sc->names, &sc->n_names, *n);
  return s;
}

/* uname's machine -> libseccomp's and Go's names of the architecture */
static void native_arch(const char *machine, struct spec_seccomp_profile_ctx *ctx)
{
  static const struct
  {
    const char *machine, *arch, *go_arch;
  } arches[] = {
    {"x86_64", "SCMP_ARCH_X86_64", "amd64"},    {"aarch64", "SCMP_ARCH_AARCH64", "arm64"},
    {"i686", "SCMP_ARCH_X86", "386"},           {"ppc64le", "SCMP_ARCH_PPC64LE", "ppc64le"},
    {"s390x", "SCMP_ARCH_S390X", "s390x"},      {"riscv64", "SCMP_ARCH_RISCV64", "riscv64"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
    if (str_eq(machine, arches[i].machine))
      {
        ctx->arch = arches[i].arch;
        ctx->go_arch = arches[i].go_arch;
      }
}

/* the containers-common profile when the host has it, else the built-in one */
static int default_seccomp(const char *path, struct spec_seccomp **out, berth_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  _cleanup_error_ berth_error_t e = NULL;
  if (read_file_at(AT_FDCWD, path, SPEC_JSON_MAX_SIZE, &text, &len, &e) < 0)
    {
      if (berth_error_ret(e) != -ENOENT)
        return berth_fail(err, -berth_error_ret(e), "seccomp profile %s: %s", path, berth_error_msg(e));
      *out = builtin_seccomp();
      return 0;
    }
  struct utsname u;
  uname(&u);
  struct spec_seccomp_profile_ctx ctx = {.caps = engine_caps, .kernel = u.release};
  native_arch(u.machine, &ctx);
  return spec_seccomp_profile_parse(text, len, path, &ctx, out, err);
}

static int block_device(const char *path, int64_t *major_, int64_t *minor_, berth_error_t *err)
{
  struct stat st;
  if (stat(path, &st) < 0)
    return berth_fail_sys(err, "--io-bps %s", path);
  if (!S_ISBLK(st.st_mode))
    return berth_fail(err, 0, "--io-bps %s: not a block device", path);
  *major_ = major(st.st_rdev);
  *minor_ = minor(st.st_rdev);
  return 0;
}

static int build_resources(struct spec_linux *lx, const struct sandbox_plan *p, berth_error_t *err)
{
  struct spec_resources *r = xcalloc(1, sizeof *r);
  lx->resources = r;
  r->devices = xcalloc(1, sizeof *r->devices);
  r->n_devices = 1;
  r->devices[0] = (struct spec_device_cgroup){.allow = false, .access = xstrdup("rwm")};
  if (p->memory)
    {
      r->memory = xcalloc(1, sizeof *r->memory);
      r->memory->limit = (spec_opt_i64){true, (int64_t) p->memory};
      /* no swap beyond the limit: an OOM kill, not a crawl */
      r->memory->swap = (spec_opt_i64){true, (int64_t) p->memory};
    }
  if (p->cpu_quota)
    {
      r->cpu = xcalloc(1, sizeof *r->cpu);
      r->cpu->quota = (spec_opt_i64){true, p->cpu_quota};
      r->cpu->period = (spec_opt_u64){true, p->cpu_period};
    }
  if (p->pids)
    r->pids_limit = (spec_opt_i64){true, p->pids};
  if (p->n_io)
    {
      r->block_io = xcalloc(1, sizeof *r->block_io);
      struct spec_throttle_list *lists[] = {&r->block_io->throttle_read_bps, &r->block_io->throttle_write_bps};
      for (size_t k = 0; k < 2; k++)
        {
          lists[k]->devices = xcalloc(p->n_io, sizeof *lists[k]->devices);
          for (size_t i = 0; i < p->n_io; i++)
            {
              struct spec_throttle_device *d = &lists[k]->devices[lists[k]->n++];
              if (block_device(p->io[i].device, &d->major, &d->minor, err) < 0)
                return -1;
              d->rate = p->io[i].bps;
            }
        }
    }
  return 0;
}

static void build_linux(struct spec_config *c, const struct sandbox_plan *p, const char *const *hidden)
{
  struct spec_linux *lx = c->linux_;
  static const enum spec_ns_type ns[] = {SPEC_NS_PID, SPEC_NS_MOUNT, SPEC_NS_IPC, SPEC_NS_UTS, SPEC_NS_CGROUP,
                                         SPEC_NS_NETWORK};
  size_t n_ns = ARRAY_SIZE(ns) - (p->network == SANDBOX_NET_HOST);
  lx->namespaces = xcalloc(n_ns, sizeof *lx->namespaces);
  for (size_t i = 0; i < n_ns; i++)
    lx->namespaces[lx->n_namespaces++].type = ns[i];
  lx->masked_paths = strv_copy(masked_paths, &lx->n_masked_paths);
  for (; hidden && *hidden; hidden++)
    strv_push(&lx->masked_paths, &lx->n_masked_paths, *hidden);
  lx->readonly_paths = strv_copy(readonly_paths, &lx->n_readonly_paths);
}

int sandbox_build_config(const struct sandbox_plan *p, const struct sandbox_config_ctx *ctx,
                         struct spec_config **out, berth_error_t *err)
{
  struct spec_config *c = xcalloc(1, sizeof *c);
  c->oci_version = xstrdup(BERTH_OCI_VERSION);
  c->root = xcalloc(1, sizeof *c->root);
  c->root->path = xasprintf("%s/rootfs", ctx->dir);
  c->hostname = xstrdup("sandbox");
  c->linux_ = xcalloc(1, sizeof *c->linux_);
  build_process(c, p, ctx->argv, ctx->tty);
  add_standard_mounts(c, p);
  add_user_mounts(c, p, ctx->dir);
  /* with the host's / as the lower layer, berth's own state stays hidden */
  build_linux(c, p, p->image || p->rootfs || p->n_layers ? NULL : ctx->hidden);
  if (default_seccomp(ctx->seccomp_profile, &c->linux_->seccomp, err) < 0 || add_root_annotations(c, p, err) < 0
      || build_resources(c->linux_, p, err) < 0)
    {
      spec_config_free(c);
      return -1;
    }
  *out = c;
  return 0;
}
