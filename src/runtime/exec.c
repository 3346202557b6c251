/* berth exec (see exec.h). The parent joins the container's pid namespace
 * for its children only, clones the exec process (into the container's
 * cgroup where the kernel allows, else it moves it there before letting
 * it go), and waits until it has exec'd: EOF on the sync socket, which is
 * close-on-exec in the child. The child is non-dumpable from birth (the
 * flag is inherited from the parent), joins the other namespaces through
 * the init's pidfd, and takes the same final steps as the init
 * (spawn.c). */
#include "runtime/exec.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "runtime/container.h"
#include "runtime/foreground.h"
#include "runtime/hostcheck.h"
#include "runtime/init.h"
#include "runtime/nsgate.h"
#include "runtime/seccomp.h"
#include "runtime/signals.h"
#include "runtime/spawn.h"
#include "runtime/sync.h"
#include "util/log.h"
#include "util/util.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1
#define EXEC_ID_MAX 2147483647ULL
#define PROCESS_JSON_MAX (16u << 20)
#define GATE_CLOSING_TRIES 50
#define GATE_CLOSING_WAIT_US 10000

/* ------------------------------------------------------------------ options -> process (pure) */

static int parse_id(const char *s, uint32_t *out)
{
  unsigned long long v;
  if (!s || !*s || parse_uint64(s, &v) < 0 || v > EXEC_ID_MAX)
    return -1;
  *out = (uint32_t) v;
  return 0;
}

int exec_parse_user(const char *s, uint32_t *uid, uint32_t *gid, bool *gid_set, berth_error_t *err)
{
  const char *colon = strchr(s, ':');
  _cleanup_free_ char *u = colon ? xstrndup(s, (size_t) (colon - s)) : xstrdup(s);
  if (parse_id(u, uid) < 0 || (colon && parse_id(colon + 1, gid) < 0))
    return berth_fail(err, 0,
                      "invalid --user \"%s\": expected UID or UID:GID, decimal numbers 0..2147483647 "
                      "(names are not looked up)",
                      s);
  *gid_set = colon != NULL;
  return 0;
}

static size_t env_key_len(const char *kv)
{
  const char *eq = strchr(kv, '=');
  return eq ? (size_t) (eq - kv) : strlen(kv);
}

static bool env_same_key(const char *a, const char *b)
{
  size_t n = env_key_len(a);
  return n == env_key_len(b) && strncmp(a, b, n) == 0;
}

char **exec_env_merge(char *const *env, const char *const *overrides)
{
  size_t n_env = env ? strv_len(env) : 0;
  size_t n_over = overrides ? strv_len((char *const *) overrides) : 0;
  char **out = xcalloc(n_env + n_over + 1, sizeof *out);
  size_t n = 0;
  for (size_t i = 0; i < n_env; i++)
    {
      bool dup = false;
      for (size_t j = 0; j < n && !dup; j++)
        dup = env_same_key(out[j], env[i]);
      if (!dup)
        out[n++] = xstrdup(env[i]);
    }
  for (size_t i = 0; i < n_over; i++)
    {
      size_t j = 0;
      while (j < n && !env_same_key(out[j], overrides[i]))
        j++;
      if (j < n)
        free(out[j]);
      else
        n++;
      out[j] = xstrdup(overrides[i]);
    }
  out[n] = NULL;
  return out;
}

static char **strv_copy(char *const *v, size_t *n_out)
{
  size_t n = v ? strv_len(v) : 0;
  char **out = xcalloc(n + 1, sizeof *out);
  for (size_t i = 0; i < n; i++)
    out[i] = xstrdup(v[i]);
  if (n_out)
    *n_out = n;
  return out;
}

/* Add name to a capability set unless it is there already. */
static void cap_set_add(char ***set, const char *name)
{
  size_t n = *set ? strv_len(*set) : 0;
  for (size_t i = 0; i < n; i++)
    if (strcasecmp((*set)[i], name) == 0)
      return;
  *set = xreallocarray(*set, n + 2, sizeof **set);
  (*set)[n] = xstrdup(name);
  (*set)[n + 1] = NULL;
}

static int apply_additional_gids(struct spec_user *u, const char *const *gids, berth_error_t *err)
{
  for (size_t i = 0; gids && gids[i]; i++)
    {
      uint32_t g;
      if (parse_id(gids[i], &g) < 0)
        return berth_fail(err, 0, "invalid --additional-gids \"%s\": expected a decimal gid 0..2147483647",
                          gids[i]);
      u->additional_gids = xreallocarray(u->additional_gids, u->n_additional_gids + 1, sizeof g);
      u->additional_gids[u->n_additional_gids++] = g;
    }
  return 0;
}

static void replace_str(char **field, const char *value)
{
  free(*field);
  *field = xstrdup(value);
}

int exec_process_from_options(struct spec_process **base, const struct exec_options *o,
                              struct spec_process **out, berth_error_t *err)
{
  struct spec_process *p = steal_pointer(base);
  if (!p)
    p = xcalloc(1, sizeof *p);
  if (!o->args || !o->args[0])
    {
      spec_process_free(p);
      return berth_fail(err, 0, "exec needs a command (or --process FILE)");
    }
  strv_free(p->args);
  p->args = strv_copy(o->args, &p->n_args);
  char **env = exec_env_merge(p->env, o->env);
  strv_free(p->env);
  p->env = env;
  p->n_env = strv_len(env);
  if (o->cwd)
    {
      if (o->cwd[0] != '/')
        {
          spec_process_free(p);
          return berth_fail(err, 0, "invalid --cwd \"%s\": not an absolute path", o->cwd);
        }
      replace_str(&p->cwd, o->cwd);
    }
  if (o->user)
    {
      uint32_t uid, gid;
      bool gid_set;
      if (exec_parse_user(o->user, &uid, &gid, &gid_set, err) < 0)
        {
          spec_process_free(p);
          return -1;
        }
      p->user.uid = uid;
      if (gid_set)
        p->user.gid = gid;
    }
  if (apply_additional_gids(&p->user, o->additional_gids, err) < 0)
    {
      spec_process_free(p);
      return -1;
    }
  if (o->caps && o->caps[0] && !p->capabilities)
    p->capabilities = xcalloc(1, sizeof *p->capabilities);
  for (size_t i = 0; o->caps && o->caps[i]; i++)
    {
      cap_set_add(&p->capabilities->bounding, o->caps[i]);
      cap_set_add(&p->capabilities->effective, o->caps[i]);
      cap_set_add(&p->capabilities->permitted, o->caps[i]);
    }
  if (o->no_new_privs)
    p->no_new_privileges = true;
  if (o->apparmor)
    replace_str(&p->apparmor_profile, o->apparmor);
  if (o->process_label)
    replace_str(&p->selinux_label, o->process_label);
  p->terminal = o->tty;
  *out = p;
  return 0;
}

int exec_process_from_file(const struct exec_options *o, struct spec_process **out, berth_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (read_file_at(AT_FDCWD, o->process_path, PROCESS_JSON_MAX, &text, &len, err) < 0)
    return berth_wrap(err, "--process");
  if (spec_process_parse(text, len, o->process_path, out, err) < 0)
    return -1;
  if (o->tty)
    (*out)->terminal = true;
  return 0;
}

/* ------------------------------------------------------------------ the namespaces to join */

/* theirs_fd: the init's namespace from the gate, else -1 (theirs is the
 * path then) */
static bool same_file(const char *mine, const char *theirs, int theirs_fd)
{
  struct stat sa, sb;
  if (stat(mine, &sa) < 0 || (theirs_fd >= 0 ? fstat(theirs_fd, &sb) : stat(theirs, &sb)) < 0)
    return true; /* a kind this kernel lacks: nothing to join */
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Every namespace the init is in that we are not (user included: joining
 * one's own user namespace is an error). gate: the init's namespaces
 * handed over (nsgate.h), or NULL. */
static int namespaces_to_join(pid_t init, const struct nsgate_fds *gate)
{
  int flags = 0;
  for (size_t i = 0; i < NS_KINDS; i++)
    {
      if (gate && gate->ns[i] < 0)
        continue;
      _cleanup_free_ char *mine = xasprintf("/proc/self/ns/%s", ns_kinds[i].name);
      _cleanup_free_ char *theirs = xasprintf("/proc/%d/ns/%s", (int) init, ns_kinds[i].name);
      if (!same_file(mine, theirs, gate ? gate->ns[i] : -1))
        flags |= ns_kinds[i].flag;
    }
  return flags;
}

static bool init_reachable(pid_t init)
{
  _cleanup_free_ char *path = xasprintf("/proc/%d/ns/user", (int) init);
  struct stat st;
  return stat(path, &st) == 0 || (errno != EACCES && errno != EPERM);
}

/* Kernels without setns(pidfd) (< 5.8): one /proc/PID/ns/KIND fd each,
 * all opened before the first setns, the user namespace joined first. */
static int join_by_proc(pid_t init, int flags, berth_error_t *err)
{
  int fds[NS_KINDS];
  for (size_t i = 0; i < NS_KINDS; i++)
    {
      fds[i] = -1;
      if (!(flags & ns_kinds[i].flag))
        continue;
      _cleanup_free_ char *path = xasprintf("/proc/%d/ns/%s", (int) init, ns_kinds[i].name);
      fds[i] = open(path, O_RDONLY | O_CLOEXEC);
      if (fds[i] < 0)
        {
          int e = errno;
          for (size_t j = 0; j < i; j++)
            if (fds[j] >= 0)
              close(fds[j]);
          return berth_fail(err, e, "open %s", path);
        }
    }
  int r = 0;
  for (size_t i = 0; i < NS_KINDS; i++) /* "user" is first in the table */
    {
      if (fds[i] < 0)
        continue;
      if (r == 0 && setns(fds[i], ns_kinds[i].flag) < 0)
        r = berth_fail_sys(err, "join the container's %s namespace", ns_kinds[i].name);
      close(fds[i]);
    }
  return r;
}

static void log_joined_namespaces(pid_t init, int flags)
{
  if (!berth_log_enabled(BERTH_LOG_DEBUG))
    return;
  for (size_t i = 0; i < NS_KINDS; i++)
    if (flags & ns_kinds[i].flag)
      berth_log_debug("namespace %s: join the container's (/proc/%d/ns/%s)", ns_kinds[i].name, (int) init,
                      ns_kinds[i].name);
}

/* The fds the init handed over, user namespace first. */
static int join_by_gate(const struct nsgate_fds *gate, int flags, berth_error_t *err)
{
  for (size_t i = 0; i < NS_KINDS; i++)
    if ((flags & ns_kinds[i].flag) && setns(gate->ns[i], ns_kinds[i].flag) < 0)
      return berth_fail_sys(err, "join the container's %s namespace", ns_kinds[i].name);
  return 0;
}

/* setns through the pidfd: every kind at once, the kernel orders them
 * (user namespace first). */
static int join_namespaces(int pidfd, pid_t init, const struct nsgate_fds *gate, int flags, berth_error_t *err)
{
  if (!flags)
    return 0;
  if (gate)
    return join_by_gate(gate, flags, err);
  if (pidfd >= 0 && setns(pidfd, flags) == 0)
    return 0;
  if (pidfd >= 0 && errno != EINVAL)
    return berth_fail_sys(err, "join the container's namespaces (setns 0x%x through the init's pidfd)",
                          (unsigned) flags);
  return join_by_proc(init, flags, err);
}

/* ------------------------------------------------------------------ the child */

struct exec_child
{
  const struct spec_config *config;
  const struct spec_process *process;
  pid_t init_pid;
  int init_pidfd; /* -1 without pidfd support */
  int ns_flags;   /* without CLONE_NEWPID: that one the parent joined for us */
  const struct nsgate_fds *gate; /* rootless, created container: its init's namespaces, else NULL */
  int sync_fd;
  int console_fd; /* -1 without a terminal */
  int lock_fd;    /* the state store's lock, shared with the parent: let go */
  int preserve_fds;
  const struct spec_state *state;  /* for the seccomp agent */
  struct seccomp_program *seccomp; /* compiled by the parent, or NULL */
};

/* Without a mount namespace of its own the container is only a chroot
 * (rootfs.c): the exec'd process gets the init's root, not the caller's.
 * The pidfd check makes sure the root opened is the init's, not that of a
 * process that reused its pid. */
static int open_init_root(const struct exec_child *a, berth_error_t *err)
{
  if (a->gate)
    {
      int fd = fcntl(a->gate->root, F_DUPFD_CLOEXEC, 3);
      return fd < 0 ? berth_fail_sys(err, "the container's root from its init") : fd;
    }
  _cleanup_free_ char *path = xasprintf("/proc/%d/root", (int) a->init_pid);
  _cleanup_close_ int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "open the container's root %s", path);
  if (a->init_pidfd >= 0 && syscall(SYS_pidfd_send_signal, a->init_pidfd, 0, NULL, 0) < 0)
    return berth_fail_sys(err, "the container's init is gone");
  return steal_fd(&fd);
}

static int chroot_to(int root_fd, berth_error_t *err)
{
  if (fchdir(root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
    return berth_fail_sys(err, "chroot into the container's root");
  return 0;
}

static int exec_child_prepare(struct exec_child *a, char **exec_path, char ***env, berth_error_t *err)
{
  int32_t host_pid;
  if (sync_expect(a->sync_fd, SYNC_GO, &host_pid, err) < 0)
    return berth_wrap(err, "wait for the runtime");
  _cleanup_close_ int root_fd = -1;
  if (!spec_find_namespace(a->config, SPEC_NS_MOUNT) && (root_fd = open_init_root(a, err)) < 0)
    return -1;
  if (join_namespaces(a->init_pidfd, a->init_pid, a->gate, a->ns_flags, err) < 0)
    return -1;
  if (root_fd >= 0 && chroot_to(root_fd, err) < 0)
    return -1;
  /* not the caller's session keyring (the host's keys) */
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
    return berth_fail_sys(err, "create a session keyring");
  struct init_ctx ctx = {.config = a->config, .process = a->process};
  if (process_apply_container(&ctx, err) < 0)
    return -1;
  if (a->process->terminal && console_setup(a->process, steal_fd(&a->console_fd), false, err) < 0)
    return -1;
  if (process_find_executable(a->process, exec_path, err) < 0)
    return -1;
  *env = process_env_with_home(a->process);
  struct seccomp_notify_info who = {.state = a->state, .status = "running", .pid = host_pid};
  berth_log_phase("seccomp");
  if (seccomp_install(a->seccomp, SECCOMP_STAGE_IDENTITY, &who, err) < 0)
    return -1;
  bool keep_groups = str_eq(spec_annotation(a->config, ANNOTATION_KEEP_ORIGINAL_GROUPS), "1");
  if (process_apply_identity(a->process, keep_groups, err) < 0)
    return -1;
  /* a uid/gid switch may have reset it to the sysctl's value */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return 0;
}

static __attribute__((noreturn)) void exec_child_main(struct exec_child *a)
{
  _cleanup_error_ berth_error_t err = NULL;
  _cleanup_free_ char *exec_path = NULL;
  _cleanup_strv_ char **env = NULL;
  /* the flock belongs to the open file: a frozen child must not keep
   * `resume` or `delete` waiting for it */
  close(a->lock_fd);
  spawn_reset_signals();
  berth_log_set_stderr(false); /* the process's stderr is the user's */
  if (exec_child_prepare(a, &exec_path, &env, &err) == 0)
    {
      struct spec_process p = *a->process;
      if (env)
        p.env = env;
      berth_log_phase("exec");
      spawn_exec(exec_path, &p, a->preserve_fds, 0, a->sync_fd, seccomp_before_execve, a->seccomp, &err);
    }
  sync_notify(a->sync_fd, SYNC_ERROR, err ? err->errnum : 0, err ? berth_error_msg(err) : "exec failed");
  _exit(1);
}

/* ------------------------------------------------------------------ the parent */

struct exec_run
{
  struct lifecycle *l;
  struct spec_process *process;
  int init_pidfd;
  int sync_fd;     /* our end */
  int child_sync;  /* the child's end */
  int console_fd;  /* the child's console socket, -1 */
  int tty_recv;    /* foreground -t: our end, receives the master */
  int master;
  pid_t pid;       /* the exec process, 0 once reaped */
  int pidfd;
  bool via_gate;   /* gate holds the created init's namespaces (rootless) */
  struct nsgate_fds gate;
};

static void exec_run_cleanup(struct exec_run *r)
{
  if (r->pid > 0)
    {
      send_signal(r->pidfd, r->pid, SIGKILL);
      while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  int fds[] = {r->sync_fd, r->child_sync, r->console_fd, r->tty_recv, r->master, r->pidfd};
  for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
    if (fds[i] >= 0)
      close(fds[i]);
  if (r->init_pidfd >= 0)
    close(r->init_pidfd);
  if (r->via_gate)
    nsgate_fds_close(&r->gate);
  spec_process_free(r->process);
  lifecycle_free(r->l);
}

static int check_status(const char *status, bool ignore_paused, berth_error_t *err)
{
  if (str_eq(status, "stopped"))
    return berth_fail(err, ESRCH, "container not running");
  if (str_eq(status, "paused") && !ignore_paused)
    return berth_fail(err, 0, "cannot exec in a paused container (use --ignore-paused)");
  if (str_eq(status, "creating"))
    return berth_fail(err, 0, "cannot exec in a container that is still being created");
  return 0;
}

static int check_terminal_options(const struct exec_options *o, bool terminal, berth_error_t *err)
{
  if (terminal && o->detach && !o->console_socket)
    return berth_fail(err, 0, "cannot allocate a tty with --detach without --console-socket");
  if (!terminal && o->console_socket)
    return berth_fail(err, 0, "--console-socket needs a tty (-t or process.terminal)");
  return 0;
}

static int load_process(struct exec_run *r, const struct exec_options *o, berth_error_t *err)
{
  if (o->process_path)
    {
      if (o->args && o->args[0])
        return berth_fail(err, 0, "--process and a command cannot be given together");
      return exec_process_from_file(o, &r->process, err);
    }
  if (load_config_copy(r->l, err) < 0)
    return -1;
  if (!r->l->config->process)
    return berth_fail(err, 0, "config.json: .process: missing");
  return exec_process_from_options(&r->l->config->process, o, &r->process, err);
}

/* --cgroup: the process is born in (or moved to) sub-cgroups of the
 * container's instead */
static int enter_sub_cgroup(struct exec_run *r, const struct exec_options *o, berth_error_t *err)
{
  if (!o->sub_cgroups || !o->sub_cgroups[0])
    return 0;
  if (!r->l->cg)
    return berth_fail(err, EINVAL, "--cgroup: the container has no cgroup of its own");
  struct berth_cgroup *sub = NULL;
  if (cgroup_open_sub(r->l->cg, (char *const *) o->sub_cgroups, &sub, err) < 0)
    return -1;
  cgroup_free(r->l->cg);
  r->l->cg = sub;
  return 0;
}

static int open_container(struct exec_run *r, const struct global_opts *g, const char *id,
                          const struct exec_options *o, berth_error_t *err)
{
  const char *status;
  berth_log_phase("parse");
  if (lifecycle_open(g, id, false, &r->l, &status, err) < 0)
    return -1;
  if (check_status(status, o->ignore_paused, err) < 0)
    return -1;
  int fd = open_recorded_init(r->l->state);
  if (fd < 0)
    return berth_fail(err, ESRCH, "container not running");
  r->init_pidfd = fd == INT_MAX ? -1 : fd;
  if (o->process_path && load_config_copy(r->l, err) < 0)
    return -1;
  if (load_process(r, o, err) < 0)
    return -1;
  if (hostcheck_exec(r->l->config, r->process, o->process_path ? "" : ".process", err) < 0)
    return o->process_path ? berth_wrap(err, "%s", o->process_path) : -1;
  if (check_terminal_options(o, r->process->terminal, err) < 0)
    return -1;
  if (r->l->state->cgroup_path && cgroup_open(r->l->state->cgroup_path, &r->l->cg, err) < 0)
    return berth_wrap(err, "open the container's cgroup");
  return enter_sub_cgroup(r, o, err);
}

static int setup_channels(struct exec_run *r, const struct exec_options *o, berth_error_t *err)
{
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
    return berth_fail_sys(err, "socketpair");
  r->sync_fd = pair[0];
  r->child_sync = pair[1];
  if (!r->process->terminal)
    return 0;
  if (o->console_socket)
    {
      r->console_fd = connect_console_socket(o->console_socket, err);
      return r->console_fd < 0 ? -1 : 0;
    }
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
    return berth_fail_sys(err, "socketpair");
  r->tty_recv = pair[0];
  r->console_fd = pair[1];
  return 0;
}

/* Rootless: only in the container's user namespace may we join its pid
 * namespace, and there is no way back out of it (we have nothing left to
 * do outside: our children are the exec process). */
static int enter_user_namespace(const struct exec_run *r, berth_error_t *err)
{
  if (r->via_gate)
    return setns(r->gate.ns[NS_KIND_USER], CLONE_NEWUSER) < 0
             ? berth_fail_sys(err, "join the container's user namespace")
             : 0;
  if (r->init_pidfd >= 0 && setns(r->init_pidfd, CLONE_NEWUSER) == 0)
    return 0;
  _cleanup_free_ char *path = xasprintf("/proc/%d/ns/user", (int) r->l->pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "open %s", path);
  if (setns(fd, CLONE_NEWUSER) < 0)
    return berth_fail_sys(err, "join the container's user namespace");
  return 0;
}

/* Our children are born in the init's pid namespace from here on. */
static int enter_pid_namespace(const struct exec_run *r, int *own, berth_error_t *err)
{
  *own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  if (*own < 0)
    return berth_fail_sys(err, "open /proc/self/ns/pid");
  if (r->via_gate)
    return setns(r->gate.ns[NS_KIND_PID], CLONE_NEWPID) < 0
             ? berth_fail_sys(err, "join the container's pid namespace")
             : 0;
  if (r->init_pidfd >= 0 && setns(r->init_pidfd, CLONE_NEWPID) == 0)
    return 0;
  _cleanup_free_ char *path = xasprintf("/proc/%d/ns/pid", (int) r->l->pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "open %s", path);
  if (setns(fd, CLONE_NEWPID) < 0)
    return berth_fail_sys(err, "join the container's pid namespace");
  return 0;
}

/* A rootless caller cannot open the /proc files of a created container's
 * init (nor setns through its pidfd: the same ptrace check): it is berth,
 * cloned on the host side and not dumpable. That init hands its
 * namespaces to their owner itself (nsgate.h). Once started, the init
 * runs a program exec'd inside the user namespace: /proc again. */
static int reach_created_init(struct exec_run *r, berth_error_t *err)
{
  for (int tries = 0;; tries++)
    {
      if (init_reachable(r->l->pid))
        return 0;
      if (nsgate_fetch(r->l->c->dir_fd, r->l->pid, &r->gate, err) == 0)
        {
          r->via_gate = true;
          return 0;
        }
      /* a start that closed the gate but has not exec'd the program yet */
      int e = (*err)->errnum;
      bool closing = e == ECONNREFUSED || e == ECONNRESET || e == ENOENT;
      if (!closing || tries >= GATE_CLOSING_TRIES)
        break;
      berth_error_free(err);
      usleep(GATE_CLOSING_WAIT_US);
    }
  return berth_wrap(err, "join the namespaces of the container's init (pid %d), not started yet", (int) r->l->pid);
}

static int spawn_child(struct exec_run *r, const struct exec_options *o, berth_error_t *err)
{
  /* the container's profile, compiled here (the child only loads it) */
  const struct spec_linux *lx = r->l->config->linux_;
  _cleanup_(seccomp_program_freep) struct seccomp_program *filter = NULL;
  if (lx && lx->seccomp && seccomp_prepare(lx->seccomp, r->process, &filter, err) < 0)
    return -1;
  if (geteuid() != 0 && reach_created_init(r, err) < 0)
    return -1;
  const struct nsgate_fds *gate = r->via_gate ? &r->gate : NULL;
  int flags = namespaces_to_join(r->l->pid, gate);
  log_joined_namespaces(r->l->pid, flags);
  struct exec_child child = {
    .config = r->l->config,
    .process = r->process,
    .init_pid = r->l->pid,
    .init_pidfd = r->init_pidfd,
    .ns_flags = flags & ~CLONE_NEWPID,
    .gate = gate,
    .sync_fd = r->child_sync,
    .console_fd = r->console_fd,
    .lock_fd = r->l->c->lock_fd,
    .preserve_fds = o->preserve_fds,
    .state = r->l->state,
    .seccomp = filter,
  };
  _cleanup_close_ int own_pid_ns = -1;
  if ((flags & CLONE_NEWPID) && (flags & CLONE_NEWUSER) && geteuid() != 0)
    {
      if (enter_user_namespace(r, err) < 0)
        return -1;
      child.ns_flags &= ~CLONE_NEWUSER;
    }
  if ((flags & CLONE_NEWPID) && enter_pid_namespace(r, &own_pid_ns, err) < 0)
    return -1;
  if (!(child.ns_flags & CLONE_NEWUSER) && (flags & CLONE_NEWUSER))
    close(steal_fd(&own_pid_ns)); /* its owner is not ours any more: no way back */
  int cgroup_fd = r->l->cg ? cgroup_clone_fd(r->l->cg) : -1;
  bool in_cgroup = false;
  berth_log_phase("clone");
  pid_t pid = clone_init(0, cgroup_fd, &r->pidfd, &in_cgroup);
  if (pid == 0)
    {
      close(r->sync_fd);
      exec_child_main(&child);
    }
  int clone_errno = errno;
  /* EPERM: our pid namespace belongs to a user namespace we are not root
   * of (rootless Podman runs us as root of its own): nothing is cloned
   * after this, so staying is harmless */
  if (own_pid_ns >= 0 && setns(own_pid_ns, CLONE_NEWPID) < 0)
    berth_log(errno == EPERM ? BERTH_LOG_DEBUG : BERTH_LOG_WARNING, "return to our own pid namespace: %s",
              strerror(errno));
  if (pid < 0)
    return berth_fail(err, clone_errno, "clone the exec process");
  r->pid = pid;
  close(steal_fd(&r->child_sync));
  if (r->console_fd >= 0)
    close(steal_fd(&r->console_fd));
  if (!in_cgroup && r->l->cg && cgroup_enter(r->l->cg, pid, err) < 0)
    return berth_wrap(err, "put the exec process in the container's cgroup");
  return sync_send(r->sync_fd, SYNC_GO, pid, NULL, err);
}

/* EOF: the child exec'd (its end is close-on-exec); else its error. */
static int wait_exec(struct exec_run *r, berth_error_t *err)
{
  struct sync_msg m;
  _cleanup_free_ char *text = NULL;
  if (sync_recv(r->sync_fd, &m, &text, err) < 0)
    {
      if ((*err)->errnum != EPIPE)
        return berth_wrap(err, "exec process");
      berth_error_free(err);
      return 0;
    }
  if (m.type == SYNC_ERROR)
    {
      berth_fail(err, 0, "%s", text ? text : "exec failed");
      (*err)->errnum = m.value;
      return m.value > 0 ? -m.value : -1;
    }
  return berth_fail(err, EPROTO, "exec process sent unexpected message %u", m.type);
}

static int write_pid_file(const char *path, pid_t pid, berth_error_t *err)
{
  _cleanup_free_ char *text = pidfile_content(pid);
  if (write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0644, err) < 0)
    return berth_wrap(err, "pid file %s", path);
  return 0;
}

int exec_run(const struct global_opts *g, const char *id, const struct exec_options *o, berth_error_t *err)
{
  /* an exec that cannot start (or be waited for) exits 255, as with runc */
  cli_set_failure_status(255);
  if (o->preserve_fds < 0)
    return berth_fail(err, 0, "--preserve-fds must not be negative");
  if (check_preserved_fds(o->preserve_fds, err) < 0)
    return -1;
  /* inherited by the child: nothing in the container may ptrace it or
   * open its /proc files (berth's executable, host fds) before execve */
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return berth_fail_sys(err, "prctl(PR_SET_DUMPABLE)");
  _cleanup_(exec_run_cleanup) struct exec_run r = {
    .init_pidfd = -1, .sync_fd = -1, .child_sync = -1, .console_fd = -1,
    .tty_recv = -1, .master = -1, .pidfd = -1,
  };
  if (open_container(&r, g, id, o, err) < 0 || setup_channels(&r, o, err) < 0)
    return -1;
  sigset_t mask;
  sigemptyset(&mask);
  if (!o->detach)
    foreground_block_signals(&mask);
  if (spawn_child(&r, o, err) < 0)
    return -1;
  /* the process is in the container's cgroup: from here, delete --force
   * or a paused container's resume must not wait for us */
  flock(r.l->c->lock_fd, LOCK_UN); /* the child's copy of the fd must not keep it */
  lifecycle_unlock(r.l);
  if (wait_exec(&r, err) < 0)
    return -1;
  berth_log_phase("started");
  if (r.tty_recv >= 0 && (r.master = foreground_recv_master(r.tty_recv, err)) < 0)
    return -1;
  if (o->pid_file && write_pid_file(o->pid_file, r.pid, err) < 0)
    return -1;
  if (o->detach)
    {
      r.pid = 0; /* it is the caller's now (reparented once we exit) */
      return 0;
    }
  int code = foreground_wait(r.pid, r.pidfd, &mask, r.master, err);
  r.pid = 0;
  return code;
}
