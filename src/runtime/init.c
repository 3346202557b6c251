/* The container init: the child create clones. It enters the
 * namespaces, has the rootfs and the process prepared (rootfs.c,
 * process.c), waits on exec.fifo for `start` and execs the user program.
 * Before READY every error goes to the parent over the sync socket (and
 * fails `create`); after it, errors are written into exec.fifo for
 * `start` to report. The order follows init.h. */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/net.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/hosttrees.h"
#include "runtime/interrupt.h"
#include "runtime/nsgate.h"
#include "runtime/seccomp.h"
#include "runtime/signals.h"
#include "runtime/spawn.h"
#include "runtime/sync.h"
#include "storage/procfs.h"
#include "util/log.h"
#include "util/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#define KEYCTL_JOIN_SESSION_KEYRING 1

static int ns_clone_flag(enum spec_ns_type t)
{
  switch (t)
    {
    case SPEC_NS_PID: return CLONE_NEWPID;
    case SPEC_NS_NETWORK: return CLONE_NEWNET;
    case SPEC_NS_MOUNT: return CLONE_NEWNS;
    case SPEC_NS_IPC: return CLONE_NEWIPC;
    case SPEC_NS_UTS: return CLONE_NEWUTS;
    case SPEC_NS_USER: return CLONE_NEWUSER;
    case SPEC_NS_CGROUP: return CLONE_NEWCGROUP;
    case SPEC_NS_TIME: return CLONE_NEWTIME;
    default: return 0;
    }
}

static int join_namespace(struct init_args *a, enum spec_ns_type t, berth_error_t *err)
{
  if (a->join_fd[t] < 0)
    return 0;
  if (setns(a->join_fd[t], ns_clone_flag(t)) < 0)
    return berth_fail_sys(err, "join the %s namespace", spec_ns_type_name(t));
  close(a->join_fd[t]);
  a->join_fd[t] = -1;
  return 0;
}

int init_join_namespaces(struct init_args *a, berth_error_t *err)
{
  static const enum spec_ns_type order[] = {SPEC_NS_IPC, SPEC_NS_UTS, SPEC_NS_NETWORK,
                                            SPEC_NS_CGROUP, SPEC_NS_TIME, SPEC_NS_MOUNT};
  if (join_namespace(a, SPEC_NS_USER, err) < 0)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE(order); i++)
    if (join_namespace(a, order[i], err) < 0)
      return -1;
  return 0;
}

/* groups_allowed false keeps our groups: setgroups is denied, or they are
 * the caller's, kept (run.oci.keep_original_groups) */
static int become_root_in_userns(bool groups_allowed, berth_error_t *err)
{
  if (setresgid(0, 0, 0) < 0)
    return berth_fail_sys(err, "setresgid(0) in the user namespace (is gid 0 mapped?)");
  if (groups_allowed && setgroups(0, NULL) < 0 && errno != EPERM)
    return berth_fail_sys(err, "setgroups([]) in the user namespace");
  if (setresuid(0, 0, 0) < 0)
    return berth_fail_sys(err, "setresuid(0) in the user namespace (is uid 0 mapped?)");
  return 0;
}

static int write_time_offsets(const struct spec_linux *lx, berth_error_t *err)
{
  const struct spec_time_offset *mono = lx ? lx->time_offset_monotonic : NULL;
  const struct spec_time_offset *boot = lx ? lx->time_offset_boottime : NULL;
  if (!mono && !boot)
    return 0;
  _cleanup_free_ char *m = mono ? xasprintf("monotonic %lld %u\n", (long long) mono->secs, mono->nanosecs)
                                : xstrdup("");
  _cleanup_free_ char *b = boot ? xasprintf("boottime %lld %u\n", (long long) boot->secs, boot->nanosecs)
                                : xstrdup("");
  _cleanup_free_ char *text = xasprintf("%s%s", m, b);
  if (procfs_write_once(PROCFS_PIDS, "self/timens_offsets", text, strlen(text), err) < 0)
    return berth_wrap(err, "time namespace offsets");
  return 0;
}

/* unshare(CLONE_NEWTIME) only moves our children, and some kernels
 * (Debian 12's 6.1, seen in tests/vm) do not move us at execve either:
 * join the new namespace explicitly, after its offsets are written. */
static int enter_time_for_children(berth_error_t *err)
{
  _cleanup_close_ int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "open /proc/self/ns/time_for_children");
  if (setns(fd, CLONE_NEWTIME) < 0)
    return berth_fail_sys(err, "enter the time namespace");
  return 0;
}

static int enter_namespaces(struct init_args *a, berth_error_t *err)
{
  /* the user namespace first: the others are then judged (and, when new,
   * owned) by it */
  if (join_namespace(a, SPEC_NS_USER, err) < 0)
    return -1;
  int32_t pid_seen_by_parent;
  if (sync_expect(a->sync_fd, SYNC_GO, &pid_seen_by_parent, err) < 0)
    return berth_wrap(err, "wait for the runtime");
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return berth_fail_sys(err, "prctl(PR_SET_DUMPABLE)");
  a->state->pid = pid_seen_by_parent;
  /* the time namespace before we become root of the user namespace: our
   * non-dumpable /proc/self/timens_offsets belongs to the host's root,
   * which we still are (with every capability of the new namespace) */
  if (a->unshare_flags & CLONE_NEWTIME)
    {
      if (unshare(CLONE_NEWTIME) < 0)
        return berth_fail_sys(err, "create the time namespace");
      if (write_time_offsets(a->ctx.config->linux_, err) < 0)
        return -1;
      if (enter_time_for_children(err) < 0)
        return -1;
    }
  if (a->any_userns)
    {
      bool groups_allowed = true;
      _cleanup_free_ char *sg = NULL;
      size_t len;
      _cleanup_error_ berth_error_t ignored = NULL;
      if (read_file_at(AT_FDCWD, "/proc/self/setgroups", 64, &sg, &len, &ignored) == 0
          && str_has_prefix(sg, "deny"))
        groups_allowed = false;
      if (become_root_in_userns(groups_allowed && !a->keep_original_groups, err) < 0)
        return -1;
    }
  if (init_join_namespaces(a, err) < 0)
    return -1;
  int flags = a->unshare_flags & ~CLONE_NEWTIME;
  if (flags && unshare(flags) < 0)
    return berth_fail_sys(err, "create namespaces (unshare 0x%x)", (unsigned) flags);
  if ((flags & CLONE_NEWNET) && net_loopback_up(err) < 0)
    return -1;
  if (!a->no_new_keyring && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0
      && errno != ENOSYS)
    return berth_fail_sys(err, "create a session keyring");
  return 0;
}

static int emit_state(const struct spec_state *s, const char *status, char **json, size_t *len,
                      berth_error_t *err)
{
  struct spec_state copy = *s;
  copy.status = (char *) status;
  return spec_state_emit(&copy, 0, json, len, err);
}

static int run_container_hooks(struct init_args *a, const struct spec_hook_list *list, const char *stage,
                               const char *status, berth_error_t *err)
{
  if (list->n == 0)
    return 0;
  _cleanup_free_ char *json = NULL;
  size_t len;
  if (emit_state(a->state, status, &json, &len, err) < 0)
    return -1;
  return hooks_run(list, stage, json, len, false, err);
}

/* createContainer hooks run in the rootfs (before pivot_root), as with
 * runc: hook tools use paths relative to it */
static int run_create_container_hooks(struct init_args *a, berth_error_t *err)
{
  const struct spec_hooks *hooks = a->ctx.config->hooks;
  if (!hooks || hooks->create_container.n == 0)
    return 0;
  if (chdir(a->ctx.rootfs) < 0)
    return berth_fail_sys(err, "createContainer hooks: chdir to the rootfs %s", a->ctx.rootfs);
  return run_container_hooks(a, &hooks->create_container, "createContainer", "created", err);
}

/* startContainer hooks run under the container's seccomp filter, as with
 * runc. A filter of the identity stage is loaded already; one of the exec
 * stage must not cover the identity switch still to come, so a child
 * loads it and runs the hooks; their error comes back through a pipe. */
static int run_start_container_hooks(struct init_args *a, berth_error_t *err)
{
  const struct spec_hooks *hooks = a->ctx.config->hooks;
  if (!hooks || hooks->start_container.n == 0)
    return 0;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0)
    return berth_fail_sys(err, "startContainer hooks: pipe");
  pid_t pid = fork();
  if (pid == 0)
    {
      close(pipefd[0]);
      prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); /* not beyond a killed init */
      _cleanup_error_ berth_error_t e = NULL;
      if (seccomp_before_execve(a->seccomp, &e) == 0
          && run_container_hooks(a, &hooks->start_container, "startContainer", "created", &e) == 0)
        _exit(0);
      (void) write_all(pipefd[1], berth_error_msg(e), strlen(berth_error_msg(e)));
      _exit(1);
    }
  int saved = errno;
  close(pipefd[1]);
  _cleanup_close_ int rd = pipefd[0];
  if (pid < 0)
    return berth_fail(err, saved, "startContainer hooks: fork");
  _cleanup_free_ char *msg = NULL;
  size_t len = 0;
  _cleanup_error_ berth_error_t read_err = NULL;
  (void) read_all_fd(rd, SYNC_TEXT_MAX, &msg, &len, &read_err);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  return berth_fail(err, 0, "%s", msg && *msg ? msg : "startContainer hooks failed");
}

static bool has_runtime_hooks(const struct spec_hooks *h)
{
  return h && (h->prestart.n || h->create_runtime.n);
}

/* Steps 1-7 of init.h. *env: process.env plus HOME when it has none. */
static int init_prepare(struct init_args *a, char **exec_path, char ***env, berth_error_t *err)
{
  const struct spec_hooks *hooks = a->ctx.config->hooks;
  if (enter_namespaces(a, err) < 0)
    return -1;
  berth_log_phase("mounts");
  if (rootfs_prepare(&a->ctx, err) < 0)
    return -1;
  host_trees_close(a->ctx.host_trees);
  if (has_runtime_hooks(hooks) || a->wait_for_network)
    {
      if (sync_send(a->sync_fd, SYNC_HOOKS, 0, NULL, err) < 0
          || sync_expect(a->sync_fd, SYNC_HOOKS_DONE, NULL, err) < 0)
        return -1;
    }
  if (run_create_container_hooks(a, err) < 0)
    return -1;
  if (rootfs_finish(&a->ctx, err) < 0)
    return -1;
  if (a->ctx.process->terminal)
    {
      int fd = steal_fd(&a->console_fd);
      if (console_setup(a->ctx.process, fd, !a->ctx.no_mountns, err) < 0)
        return -1;
    }
  /* a session of its own without a terminal too, as runc's init: criu
   * dumps a pid namespace only when its init leads its session */
  else if (setsid() < 0 && errno != EPERM)
    return berth_fail_sys(err, "setsid");
  if (process_apply_container(&a->ctx, err) < 0)
    return -1;
  if (process_find_executable(a->ctx.process, exec_path, err) < 0)
    return -1;
  *env = process_env_with_home(a->ctx.process);
  return 0;
}

/* Block until `start` opens the read side. The O_PATH fd was opened
 * before pivot_root; reopen it through our own fd directory in the host's
 * procfs (fd_dir, opened before pivot_root too). */
static int wait_for_start(int fd_dir, int fifo_path_fd, berth_error_t *err)
{
  _cleanup_free_ char *link = xasprintf("%d", fifo_path_fd);
  int fd;
  do
    fd = openat(fd_dir, link, O_WRONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return berth_fail_sys(err, "open exec.fifo");
  return fd;
}

/* Step 8. Returns only on failure; fifo (close-on-exec) stays open to
 * report it. */
static int init_exec(struct init_args *a, const char *exec_path, char **env, int fifo, berth_error_t *err)
{
  struct seccomp_notify_info who = {.state = a->state, .status = "created", .pid = a->state->pid};
  berth_log_phase("seccomp");
  if (seccomp_install(a->seccomp, SECCOMP_STAGE_IDENTITY, &who, err) < 0)
    return -1;
  if (run_start_container_hooks(a, err) < 0)
    return -1;
  if (process_apply_identity(a->ctx.process, a->keep_original_groups, err) < 0)
    return -1;
  struct spec_process p = *a->ctx.process;
  if (env)
    p.env = env;
  berth_log_phase("exec");
  return spawn_exec(exec_path, &p, a->preserve_fds, a->listen_fds, fifo, seccomp_before_execve, a->seccomp,
                    err);
}

static bool is_needed_fd(const struct init_args *a, int fd)
{
  if (fd == a->sync_fd || fd == a->fifo_fd || fd == a->console_fd || fd == a->gate_fd || fd == berth_log_fd()
      || fd == seccomp_program_listener_fd(a->seccomp))
    return true;
  for (int t = 0; t < SPEC_NS_COUNT; t++)
    if (fd == a->join_fd[t])
      return true;
  return host_trees_holds(a->ctx.host_trees, fd);
}

/* The init keeps only the fds it uses: the sync socket, exec.fifo, the
 * console socket, the namespaces it joins, the seccomp listener socket and
 * berth's log. What else the parent held (the state root and the
 * container's directory, the lock, cgroup directories) and what the caller
 * leaked into berth goes: no exec happens before the user program, so
 * close-on-exec does not help. */
static int close_unneeded_fds(const struct init_args *a, berth_error_t *err)
{
  _cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
  if (!d)
    return berth_fail_sys(err, "open /proc/self/fd");
  int self = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    {
      long long fd;
      if (parse_int64(e->d_name, &fd) < 0 || fd < 3 + a->preserve_fds || fd == self || fd > INT_MAX)
        continue;
      if (!is_needed_fd(a, (int) fd))
        close((int) fd);
    }
  return 0;
}

void init_main(struct init_args *a)
{
  _cleanup_error_ berth_error_t err = NULL;
  _cleanup_free_ char *exec_path = NULL;
  _cleanup_strv_ char **env = NULL;
  struct nsgate *gate = NULL; /* rootless: serves exec before start (nsgate.h) */
  interrupt_forget(); /* berth's interrupt handler is berth's alone */
  /* the flock is shared with the parent through the open file: let go */
  if (a->lock_fd >= 0)
    close(a->lock_fd);
  spawn_reset_signals();
  /* an unprivileged parent (or its newuidmap) must open our uid_map: we
   * stay dumpable until it is written (enter_namespaces) */
  if (!a->dumpable_until_go)
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  berth_log_set_stderr(false);
  if (close_unneeded_fds(a, &err) < 0)
    {
      sync_notify(a->sync_fd, SYNC_ERROR, err->errnum, berth_error_msg(err));
      _exit(1);
    }
  /* our own fds in the host's procfs, reachable after pivot_root */
  int fd_dir = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd_dir < 0)
    berth_fail_sys(&err, "open /proc/self/fd");
  else if (init_prepare(a, &exec_path, &env, &err) == 0
           && (a->gate_fd < 0 || nsgate_open(steal_fd(&a->gate_fd), fd_dir, &gate, &err) == 0))
    sync_send(a->sync_fd, SYNC_READY, 0, NULL, &err);
  if (err)
    {
      sync_notify(a->sync_fd, SYNC_ERROR, err->errnum, berth_error_msg(err));
      _exit(1);
    }
  close(a->sync_fd);
  int fifo = wait_for_start(fd_dir, a->fifo_fd, &err);
  nsgate_close(gate); /* one thread again, before anything else */
  close(fd_dir);
  close(a->fifo_fd);
  if (fifo < 0)
    {
      berth_log_error("container init: %s", berth_error_msg(err));
      _exit(1);
    }
  int saved_errno = 0;
  if (init_exec(a, exec_path, env, fifo, &err) < 0)
    saved_errno = err->errnum;
  /* exec failed: tell `start` through the fifo (EOF means success) */
  const char *msg = berth_error_msg(err);
  (void) write_all(fifo, msg, strlen(msg));
  berth_log_error("container init: %s", msg);
  _exit(saved_errno == ENOENT ? 127 : saved_errno == EACCES ? 126 : 1);
}
