/* The lifecycle's parent side: create clones the container init (init.c)
 * and drives it over a socketpair; start releases it through exec.fifo;
 * kill and delete act on the record of the state store. Every create
 * error goes through one rollback that leaves nothing behind. */
#include "runtime/container.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "net/net.h"
#include "runtime/hooks.h"
#include "runtime/hosttrees.h"
#include "runtime/hostcheck.h"
#include "runtime/imageroot.h"
#include "runtime/interrupt.h"
#include "runtime/notify.h"
#include "runtime/nsgate.h"
#include "runtime/rootless.h"
#include "runtime/seccomp.h"
#include "runtime/signals.h"
#include "runtime/sync.h"
#include "storage/overlay.h"
#include "storage/procfs.h"
#include "util/log.h"
#include "util/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#define NS_GET_NSTYPE _IO(0xb7, 0x3)
#define CONFIG_MAX_SIZE (16 * 1024 * 1024)
#define INIT_EXIT_WAIT_MS 10000

/* ------------------------------------------------------------------ pids */

static int pidfd_open_pid(pid_t pid)
{
  return (int) syscall(SYS_pidfd_open, pid, 0);
}

int send_signal(int pidfd, pid_t pid, int sig)
{
  if (pidfd >= 0)
    return (int) syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
  return kill(pid, sig);
}

/* A pidfd for the record's init, or -1 with ESRCH when that process is
 * gone or the pid now belongs to another process. */
int open_recorded_init(const struct spec_state *s)
{
  if (s->pid <= 0)
    {
      errno = ESRCH;
      return -1;
    }
  int fd = pidfd_open_pid(s->pid);
  if (fd < 0 && errno != ENOSYS)
    return -1;
  /* with the pidfd held the pid cannot be reused: the start time check
   * now decides for good */
  if (s->init_start_time && process_start_time(s->pid) != s->init_start_time)
    {
      if (fd >= 0)
        close(fd);
      errno = ESRCH;
      return -1;
    }
  return fd >= 0 ? fd : INT_MAX; /* INT_MAX: alive, no pidfd support */
}

/* Wait (bounded) until the process behind pidfd is gone. */
static void wait_pidfd_exit(int pidfd, pid_t pid, int timeout_ms)
{
  if (pidfd >= 0 && pidfd != INT_MAX)
    {
      struct pollfd p = {.fd = pidfd, .events = POLLIN};
      while (poll(&p, 1, timeout_ms) < 0 && errno == EINTR)
        ;
      return;
    }
  for (int waited = 0; waited < timeout_ms && kill(pid, 0) == 0; waited += 10)
    usleep(10000);
}

/* ------------------------------------------------------------------ small pieces */

void lifecycle_unlock(struct lifecycle *l)
{
  if (l->c)
    container_close(l->c);
  l->c = NULL;
}

int lifecycle_relock(const struct global_opts *g, struct lifecycle *l, berth_error_t *err)
{
  if (l->c)
    return 0;
  return container_open(g->root, l->state->id, true, &l->c, err);
}

int lifecycle_signal(struct lifecycle *l, int sig)
{
  return send_signal(l->pidfd, l->pid, sig);
}

void lifecycle_free(struct lifecycle *l)
{
  if (!l)
    return;
  lifecycle_unlock(l);
  spec_config_free(l->config);
  spec_state_free(l->state);
  if (l->cg)
    cgroup_free(l->cg);
  if (l->pidfd >= 0)
    close(l->pidfd);
  if (l->console_recv >= 0)
    close(l->console_recv);
  if (l->console_master >= 0)
    close(l->console_master);
  net_free(l->net);
  if (l->notify_fd >= 0)
    close(l->notify_fd);
  free(l);
}

static void lifecycle_freep(struct lifecycle **l)
{
  lifecycle_free(*l);
}

struct lifecycle *lifecycle_new(void)
{
  struct lifecycle *l = xcalloc(1, sizeof *l);
  l->pidfd = l->console_recv = l->console_master = l->notify_fd = -1;
  return l;
}

static int emit_state_as(const struct spec_state *s, const char *status, char **json, size_t *len,
                         berth_error_t *err)
{
  struct spec_state copy = *s;
  copy.status = (char *) status;
  return spec_state_emit(&copy, 0, json, len, err);
}

/* prestart, createRuntime, poststart and poststop hooks run in the bundle
 * directory, as with runc's create and run (hook tools use relative
 * paths); berth's own working directory comes back after them. */
static int run_hooks(const struct lifecycle *l, const struct spec_hook_list *list, const char *stage,
                     const char *status, bool warn_only, berth_error_t *err)
{
  if (!list || list->n == 0)
    return 0;
  _cleanup_free_ char *json = NULL;
  size_t len;
  if (emit_state_as(l->state, status, &json, &len, err) < 0)
    return -1;
  _cleanup_close_ int own_cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  bool moved = own_cwd >= 0 && l->state->bundle && chdir(l->state->bundle) == 0;
  int r = hooks_run(list, stage, json, len, warn_only, err);
  if (moved && fchdir(own_cwd) < 0 && r == 0)
    return berth_fail_sys(err, "back to the working directory after the %s hooks", stage);
  return r;
}

int load_config_copy(struct lifecycle *l, berth_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (read_file_at(l->c->dir_fd, "config.json", CONFIG_MAX_SIZE, &text, &len, err) < 0)
    return berth_wrap(err, "read the container's config.json");
  return spec_config_parse(text, len, "config.json", &l->config, err);
}

/* Open an existing container: record, config copy, live status. */
int lifecycle_open(const struct global_opts *g, const char *id, bool exclusive,
                          struct lifecycle **out, const char **status, berth_error_t *err)
{
  _cleanup_(lifecycle_freep) struct lifecycle *l = lifecycle_new();
  if (container_id_validate(id, err) < 0)
    return -1;
  if (container_open(g->root, id, exclusive, &l->c, err) < 0)
    return -1;
  if (container_state_read(l->c, &l->state, err) < 0)
    return container_state_unreadable(l->c, err);
  *status = container_status(l->c, l->state, container_cgroup_frozen);
  l->pid = l->state->pid;
  *out = steal_pointer(&l);
  return 0;
}

/* ------------------------------------------------------------------ create: inputs */

int load_bundle_config(const char *config_path, char **text, size_t *len, struct spec_config **config,
                              berth_error_t *err)
{
  if (read_file_at(AT_FDCWD, config_path, CONFIG_MAX_SIZE, text, len, err) < 0)
    return berth_wrap(err, "load config");
  if (spec_config_parse(*text, *len, config_path, config, err) < 0)
    return -1;
  const struct spec_config *c = *config;
  if (!c->process)
    return berth_fail(err, 0, "%s: .process: missing (nothing to run)", config_path);
  if (!c->process->args || !c->process->args[0])
    return berth_fail(err, 0, "%s: .process.args: must not be empty", config_path);
  if (!c->root || !c->root->path || !*c->root->path)
    return berth_fail(err, 0, "%s: .root.path: missing", config_path);
  return 0;
}

int resolve_rootfs(const char *bundle, const struct spec_config *c, char **out, berth_error_t *err)
{
  _cleanup_free_ char *p = c->root->path[0] == '/' ? xstrdup(c->root->path)
                                                   : xasprintf("%s/%s", bundle, c->root->path);
  char *real = realpath(p, NULL);
  if (!real)
    return berth_fail_sys(err, "rootfs %s", p);
  struct stat st;
  if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
    {
      free(real);
      return berth_fail(err, ENOTDIR, "rootfs %s", p);
    }
  *out = real;
  return 0;
}

/* Joining the caller's own mount namespace (or its init's) would build
 * the rootfs in it: the propagation of /, pivot_root and the unmount of
 * the old root would hit every process there. Leaving the "mount" entry
 * out shares the caller's mounts safely (chroot only, rootfs.c). */
static int check_mountns_not_callers(int fd, const char *path, berth_error_t *err)
{
  static const char *const callers[] = { "/proc/self/ns/mnt", "/proc/1/ns/mnt" };
  struct stat joined, st;
  if (fstat(fd, &joined) < 0)
    return berth_fail_sys(err, ".linux.namespaces: mount namespace path %s", path);
  for (size_t i = 0; i < ARRAY_SIZE(callers); i++)
    if (stat(callers[i], &st) == 0 && st.st_dev == joined.st_dev && st.st_ino == joined.st_ino)
      return berth_fail(err, EINVAL,
                        ".linux.namespaces: mount namespace path %s is the caller's own (%s): the "
                        "rootfs would be set up in it; leave the \"mount\" entry out to share "
                        "the caller's mounts",
                        path, callers[i]);
  return 0;
}

/* Open every namespace given by path and check it is one of that type;
 * the init setns()es them (the pid namespace is joined here). */
static int open_namespace_paths(const struct spec_config *c, int fds[SPEC_NS_COUNT], berth_error_t *err)
{
  static const int type_flags[SPEC_NS_COUNT] = {
    [SPEC_NS_PID] = CLONE_NEWPID,       [SPEC_NS_NETWORK] = CLONE_NEWNET, [SPEC_NS_MOUNT] = CLONE_NEWNS,
    [SPEC_NS_IPC] = CLONE_NEWIPC,       [SPEC_NS_UTS] = CLONE_NEWUTS,     [SPEC_NS_USER] = CLONE_NEWUSER,
    [SPEC_NS_CGROUP] = CLONE_NEWCGROUP, [SPEC_NS_TIME] = CLONE_NEWTIME,
  };
  for (int t = 0; t < SPEC_NS_COUNT; t++)
    fds[t] = -1;
  const struct spec_linux *lx = c->linux_;
  for (size_t i = 0; lx && i < lx->n_namespaces; i++)
    {
      const struct spec_namespace *ns = &lx->namespaces[i];
      if (!ns->path || ns->type >= SPEC_NS_COUNT)
        continue;
      const char *name = spec_ns_type_name(ns->type);
      int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return berth_fail_sys(err, ".linux.namespaces: %s namespace path %s", name, ns->path);
      if (fds[ns->type] >= 0)
        close(fds[ns->type]);
      fds[ns->type] = fd;
      int type = ioctl(fd, NS_GET_NSTYPE);
      if (type < 0)
        return berth_fail_sys(err, ".linux.namespaces: %s namespace path %s is not a namespace", name, ns->path);
      if (type != type_flags[ns->type])
        return berth_fail(err, EINVAL, ".linux.namespaces: %s is not a %s namespace", ns->path, name);
      if (ns->type == SPEC_NS_MOUNT && check_mountns_not_callers(fd, ns->path, err) < 0)
        return -1;
    }
  return 0;
}

static void close_fds(int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (fds[i] >= 0)
      {
        close(fds[i]);
        fds[i] = -1;
      }
}

static bool ns_is_new(const struct spec_config *c, enum spec_ns_type t)
{
  const struct spec_namespace *ns = spec_find_namespace(c, t);
  return ns && !ns->path;
}

static bool ns_is_set(const struct spec_config *c, enum spec_ns_type t)
{
  return spec_find_namespace(c, t) != NULL;
}

/* The host's namespace of a type is berth's own or pid 1's: a path naming
 * either (the same nsfs inode as the fd opened from it) does not give the
 * container one of its own to set a hostname or sysctls in. */
static enum ns_owner ns_owner_of(const struct spec_config *c, const int join_fd[SPEC_NS_COUNT],
                                 enum spec_ns_type t, const char *proc_name)
{
  if (!ns_is_set(c, t))
    return NS_OWNER_HOST_NO_ENTRY;
  if (join_fd[t] < 0)
    return NS_OWNER_CONTAINER;
  struct stat joined, host;
  if (fstat(join_fd[t], &joined) < 0)
    return NS_OWNER_HOST_BY_PATH;
  _cleanup_free_ char *own = xasprintf("/proc/self/ns/%s", proc_name);
  _cleanup_free_ char *init = xasprintf("/proc/1/ns/%s", proc_name);
  if (stat(own, &host) < 0 || (host.st_dev == joined.st_dev && host.st_ino == joined.st_ino))
    return NS_OWNER_HOST_BY_PATH;
  if (stat(init, &host) == 0 && host.st_dev == joined.st_dev && host.st_ino == joined.st_ino)
    return NS_OWNER_HOST_BY_PATH;
  return NS_OWNER_CONTAINER;
}

/* LISTEN_FDS of our environment (socket activation), 0 when unset or not
 * a count in 1..65536 */
static int caller_listen_fds(void)
{
  long long n;
  const char *s = getenv("LISTEN_FDS");
  if (!s || parse_int64(s, &n) < 0 || n < 1 || n > 65536)
    return 0;
  return (int) n;
}

/* sd_listen_fds(3)'s rule: the fds are ours only when LISTEN_PID is us */
static bool listen_fds_are_ours(void)
{
  long long pid;
  const char *s = getenv("LISTEN_PID");
  return s && parse_int64(s, &pid) == 0 && pid == (long long) getpid();
}

int create_options_set_preserve_fds(struct create_options *o, long long preserve, berth_error_t *err)
{
  if (preserve < 0 || preserve > 65536)
    return berth_fail(err, 0, "invalid --preserve-fds %lld", preserve);
  o->preserve_fds = (int) preserve;
  int listen = caller_listen_fds();
  /* with --preserve-fds the caller's LISTEN_FDS are among the passed fds
   * (engines pass --preserve-fds $LISTEN_FDS); without it they are passed
   * when systemd activated us */
  if (preserve > 0)
    o->listen_fds = listen <= preserve ? listen : 0;
  else if (listen > 0 && listen_fds_are_ours())
    o->preserve_fds = o->listen_fds = listen;
  return 0;
}

/* container.h. Filling a gap (with /dev/null, say) would hand the
 * container a host file it can fchown. */
int check_preserved_fds(int n, berth_error_t *err)
{
  /* our log file must not be passed on as one of them */
  berth_log_move_fd_above(3 + n);
  for (int fd = 3; fd < 3 + n; fd++)
    {
      /* an fd the caller passed survived its exec into berth, so it has no
       * FD_CLOEXEC; one with it is berth's own, sitting in a gap */
      int flags = fcntl(fd, F_GETFD);
      if (flags < 0 || (flags & FD_CLOEXEC))
        return berth_fail(err, EBADF, "--preserve-fds %d: fd %d is not open (fds 3 to %d are passed on)",
                          n, fd, 2 + n);
    }
  return 0;
}

int connect_console_socket(const char *path, berth_error_t *err)
{
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return berth_fail(err, ENAMETOOLONG, "console socket %s", path);
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return berth_fail_sys(err, "console socket %s: socket", path);
  if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      int saved = errno;
      close(fd);
      return berth_fail(err, saved, "connect to the console socket %s", path);
    }
  return fd;
}

/* ------------------------------------------------------------------ create: the state dir */

static struct spec_kv *copy_annotations(const struct spec_config *c, size_t *n)
{
  *n = c->n_annotations;
  if (!c->n_annotations)
    return NULL;
  struct spec_kv *kv = xcalloc(c->n_annotations, sizeof *kv);
  for (size_t i = 0; i < c->n_annotations; i++)
    {
      kv[i].key = xstrdup(c->annotations[i].key);
      kv[i].value = xstrdup(c->annotations[i].value);
    }
  return kv;
}

struct spec_state *initial_state(const char *id, const char *bundle, const char *rootfs,
                                        const struct spec_config *c, const struct global_opts *g,
                                        bool detached)
{
  struct spec_state *s = xcalloc(1, sizeof *s);
  s->oci_version = xstrdup(c->oci_version ? c->oci_version : BERTH_OCI_VERSION);
  s->id = xstrdup(id);
  s->status = xstrdup("creating");
  s->bundle = xstrdup(bundle);
  s->rootfs = xstrdup(rootfs);
  s->created = rfc3339_now();
  s->owner = xstrdup("");
  s->annotations = copy_annotations(c, &s->n_annotations);
  s->cgroup_manager = xstrdup(g->cgroup_manager == CGROUP_MANAGER_DISABLED ? "disabled"
                              : g->cgroup_manager == CGROUP_MANAGER_SYSTEMD ? "systemd"
                                                                            : "cgroupfs");
  s->detached = detached;
  return s;
}

void set_status(struct spec_state *s, const char *status)
{
  free(s->status);
  s->status = xstrdup(status);
}

/* Host id that the container's id 0 maps to (for the fifo's owner). */
static bool host_id_of_root(const struct spec_id_mapping *m, size_t n, uint32_t *out)
{
  for (size_t i = 0; i < n; i++)
    if (m[i].container_id == 0 && m[i].size > 0)
      {
        *out = m[i].host_id;
        return true;
      }
  return false;
}

static int make_exec_fifo(struct lifecycle *l, bool new_userns, berth_error_t *err)
{
  int dfd = l->c->dir_fd;
  if (mkfifoat(dfd, "exec.fifo", 0600) < 0)
    return berth_fail_sys(err, "create %s/exec.fifo", l->c->dir);
  /* the init (maybe root of a user namespace) must be able to open it */
  if (fchmodat(dfd, "exec.fifo", 0622, 0) < 0)
    return berth_fail_sys(err, "chmod %s/exec.fifo", l->c->dir);
  const struct spec_linux *lx = l->config->linux_;
  uint32_t uid, gid;
  if (new_userns && lx && host_id_of_root(lx->uid_mappings, lx->n_uid_mappings, &uid)
      && host_id_of_root(lx->gid_mappings, lx->n_gid_mappings, &gid)
      && fchownat(dfd, "exec.fifo", uid, gid, 0) < 0)
    return berth_fail_sys(err, "chown %s/exec.fifo", l->c->dir);
  int fd = openat(dfd, "exec.fifo", O_PATH | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "open %s/exec.fifo", l->c->dir);
  return fd;
}

/* ------------------------------------------------------------------ create: overlay rootfs */

/* run.berth.storage.*: the rootfs is an overlay of layers that the init
 * mounts on ROOT/ID/rootfs inside its own mount namespace (see
 * storage/overlay.h and rootfs.c). *out stays NULL without layers. */
static int overlay_plan(const struct spec_config *c, const char *root, struct storage_overlay **out,
                        berth_error_t *err)
{
  if (storage_overlay_parse(spec_annotation(c, STORAGE_ANN_LAYERS), spec_annotation(c, STORAGE_ANN_UPPER),
                            "config.json", out, err) < 0)
    return -1;
  if (!*out)
    return 0;
  if (!ns_is_new(c, SPEC_NS_MOUNT))
    return berth_fail(err, 0, "config.json: .annotations[\"%s\"]: needs a new mount namespace (.linux.namespaces)",
                      STORAGE_ANN_LAYERS);
  return storage_overlay_check(*out, "config.json", root, err);
}

/* In the new state dir: mount point, upper and work (owned by the
 * container's root when it has a user namespace); the record's rootfs. */
static int overlay_prepare(struct lifecycle *l, struct storage_overlay *ov, berth_error_t *err)
{
  const struct spec_linux *lx = l->config->linux_;
  uint32_t uid, gid;
  bool chown_them = ns_is_new(l->config, SPEC_NS_USER) && lx
                    && host_id_of_root(lx->uid_mappings, lx->n_uid_mappings, &uid)
                    && host_id_of_root(lx->gid_mappings, lx->n_gid_mappings, &gid);
  _cleanup_free_ char *dir = realpath(l->c->dir, NULL);
  if (!dir)
    return berth_fail_sys(err, "realpath %s", l->c->dir);
  if (chown_them && storage_overlay_check_userns(ov, "config.json", dir, uid, gid, err) < 0)
    return -1;
  if (storage_overlay_prepare_dirs(ov, "config.json", dir, chown_them ? uid : (uid_t) -1,
                                   chown_them ? gid : (gid_t) -1, err) < 0)
    return -1;
  free(l->state->rootfs);
  l->state->rootfs = xstrdup(ov->mountpoint);
  return 0;
}

/* ------------------------------------------------------------------ create: clone */

pid_t clone_init(uint64_t flags, int cgroup_fd, int *pidfd, bool *in_cgroup)
{
  struct clone_args ca = {
    .flags = flags | CLONE_PIDFD,
    .pidfd = (uint64_t) (uintptr_t) pidfd,
    /* with CLONE_PARENT the child inherits our exit signal */
    .exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD,
  };
  if (cgroup_fd >= 0)
    {
      ca.flags |= CLONE_INTO_CGROUP;
      ca.cgroup = (uint64_t) cgroup_fd;
    }
  pid_t pid = (pid_t) syscall(SYS_clone3, &ca, sizeof ca);
  if (pid >= 0)
    {
      *in_cgroup = cgroup_fd >= 0;
      return pid;
    }
  if (cgroup_fd >= 0 && errno != ENOSYS && errno != E2BIG && errno != ENOMEM && errno != EAGAIN)
    {
      /* the cgroup refused direct placement (a v2 domain with controllers,
       * EBUSY/EOPNOTSUPP...): be born outside and be moved */
      ca.flags &= ~CLONE_INTO_CGROUP;
      ca.cgroup = 0;
      pid = (pid_t) syscall(SYS_clone3, &ca, sizeof ca);
      if (pid >= 0 || (errno != ENOSYS && errno != E2BIG))
        {
          *in_cgroup = false;
          return pid;
        }
    }
  if (errno != ENOSYS && errno != E2BIG)
    return -1;
  *in_cgroup = false;
  *pidfd = -1;
  pid = (pid_t) syscall(SYS_clone, (unsigned long) (flags | SIGCHLD), NULL, NULL, NULL, 0UL);
  if (pid > 0)
    *pidfd = pidfd_open_pid(pid);
  return pid;
}

static int write_id_map(int proc, pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n,
                        berth_error_t *err)
{
  if (n == 0)
    return 0;
  _cleanup_free_ char *text = spec_id_mappings_text(m, n);
  _cleanup_free_ char *path = xasprintf("%d/%s", (int) pid, file);
  if (procfs_write(proc, path, text, strlen(text), err) < 0)
    return berth_wrap(err, "user namespace %s", file);
  return 0;
}

static int write_id_maps(pid_t pid, const struct spec_linux *lx, berth_error_t *err)
{
  if (!lx || (lx->n_uid_mappings == 0 && lx->n_gid_mappings == 0))
    return 0;
  int written = rootless_write_id_maps(pid, lx, err);
  if (written != 0)
    return written < 0 ? -1 : 0;
  _cleanup_close_ int proc = procfs_open(PROCFS_PIDS, err);
  if (proc < 0)
    return berth_wrap(err, "user namespace mappings");
  if (write_id_map(proc, pid, "uid_map", lx->uid_mappings, lx->n_uid_mappings, err) < 0)
    return -1;
  return write_id_map(proc, pid, "gid_map", lx->gid_mappings, lx->n_gid_mappings, err);
}

/* The init's network namespace exists once it asks for the hooks (it
 * does so for the network too: init_args.wait_for_network). */
static int attach_network(struct lifecycle *l, berth_error_t *err)
{
  if (!l->net)
    return 0;
  int r = net_attach(l->net, l->pid, err);
  net_free(steal_pointer(&l->net));
  return r < 0 ? berth_wrap(err, "network") : 0;
}

/* The container's veth and address lease (delete, failed create). A
 * failure only warns: the lease is reclaimed once the state dir is gone
 * and the veth dies with the container's network namespace. */
static void teardown_network(struct lifecycle *l)
{
  _cleanup_error_ berth_error_t e = NULL;
  if (l->c && l->state && net_teardown(l->config, l->c->root, l->state->id, &e) < 0)
    berth_log_warning("network: %s", berth_error_msg(e));
}

/* how long the init may stay silent before we look at its cgroup's freezer */
#define INIT_SILENCE_CHECK_MS 1000

/* Wait until the init says something. Someone may freeze its cgroup after
 * cgroup_create checked it: then it never will, so a silent init makes us
 * look at the freezer instead of waiting forever. */
static int wait_init_message(struct lifecycle *l, int sync_fd, berth_error_t *err)
{
  for (;;)
    {
      struct pollfd p = {.fd = sync_fd, .events = POLLIN};
      int n = poll(&p, 1, INIT_SILENCE_CHECK_MS);
      if (n > 0)
        return 0;
      if (n < 0 && errno != EINTR)
        return berth_fail_sys(err, "wait for the container init");
      if (n == 0 && l->cg && cgroup_check_not_frozen(l->cg, err) < 0)
        return berth_wrap(err, "container init");
    }
}

/* Talk to the init until it is READY (or fails). */
static int drive_init(struct lifecycle *l, int sync_fd, bool in_cgroup, berth_error_t *err)
{
  const struct spec_config *c = l->config;
  if (!in_cgroup && l->cg && cgroup_enter(l->cg, l->pid, err) < 0)
    return berth_wrap(err, "put the container init in its cgroup");
  if (ns_is_new(c, SPEC_NS_USER))
    {
      berth_log_phase("idmap");
      if (write_id_maps(l->pid, c->linux_, err) < 0)
        return -1;
    }
  l->state->pid = l->pid;
  if (sync_send(sync_fd, SYNC_GO, l->pid, NULL, err) < 0)
    return -1;
  for (;;)
    {
      struct sync_msg m;
      _cleanup_free_ char *text = NULL;
      if (wait_init_message(l, sync_fd, err) < 0)
        return -1;
      if (sync_recv(sync_fd, &m, &text, err) < 0)
        {
          int status;
          /* EOF: every copy of the init's end is closed, the init is exiting */
          if ((*err)->errnum == EPIPE && waitpid(l->pid, &status, 0) == l->pid)
            {
              l->pid = 0; /* reaped */
              berth_error_free(err);
              return berth_fail(err, 0, "container init exited unexpectedly (status %d)",
                                wait_status_to_exit_code(status));
            }
          return berth_wrap(err, "container init");
        }
      switch (m.type)
        {
        case SYNC_ERROR:
          berth_fail(err, 0, "%s", text ? text : "container init failed");
          (*err)->errnum = m.value;
          return m.value > 0 ? -m.value : -1;
        case SYNC_HOOKS:
          if (attach_network(l, err) < 0)
            return -1;
          /* "created": the state the runtime-spec's lifecycle gives these hooks */
          if (c->hooks
              && (run_hooks(l, &c->hooks->prestart, "prestart", "created", false, err) < 0
                  || run_hooks(l, &c->hooks->create_runtime, "createRuntime", "created", false, err) < 0))
            return -1;
          if (sync_send(sync_fd, SYNC_HOOKS_DONE, 0, NULL, err) < 0)
            return -1;
          break;
        case SYNC_READY:
          berth_log_phase("created");
          return 0;
        default:
          return berth_fail(err, EPROTO, "container init sent unexpected message %u", m.type);
        }
    }
}

struct spawn
{
  struct init_args args;
  int parent_sync;
  int pid_ns_fd;  /* the pid namespace to join, -1 */
  int own_pid_ns; /* ours, to return to after the clone */
  struct host_trees trees;
};

static void spawn_cleanup(struct spawn *s)
{
  close_fds(s->args.join_fd, SPEC_NS_COUNT);
  int fds[] = {s->args.sync_fd, s->args.fifo_fd, s->args.console_fd, s->args.gate_fd, s->parent_sync,
               s->pid_ns_fd, s->own_pid_ns};
  close_fds(fds, ARRAY_SIZE(fds));
  host_trees_close(&s->trees);
}

static __attribute__((noreturn)) void intermediate_fail(int sync_fd, const char *what)
{
  _cleanup_free_ char *msg = xasprintf("%s: %s (%s)", what, berth_errno_name(errno), strerror(errno));
  sync_notify(sync_fd, SYNC_ERROR, errno, msg);
  _exit(1);
}

/* Some namespaces must be joined before the clone, which our own clone
 * cannot do without moving berth itself:
 *  - a user namespace joined by path with a new pid namespace: the pid
 *    namespace must be created from inside that user namespace so that it
 *    owns it (else /proc cannot be mounted);
 *  - a new user namespace with other namespaces joined by path: those
 *    (owned by the host's user namespace) can only be joined from it.
 * An intermediate process joins them, clones the init as our child
 * (CLONE_PARENT), tells us its pid and exits. */
static bool needs_intermediate(const struct spawn *sp, uint64_t flags)
{
  if (sp->args.join_fd[SPEC_NS_USER] >= 0)
    return (flags & CLONE_NEWPID) != 0;
  if (!(flags & CLONE_NEWUSER))
    return false;
  for (int t = 0; t < SPEC_NS_COUNT; t++)
    if (sp->args.join_fd[t] >= 0)
      return true;
  return false;
}

static pid_t clone_via_intermediate(struct spawn *sp, uint64_t flags, int cgroup_fd, bool *in_cgroup,
                                    berth_error_t *err)
{
  pid_t mid = fork();
  if (mid < 0)
    return berth_fail_sys(err, "fork");
  if (mid == 0)
    {
      close(sp->parent_sync);
      _cleanup_error_ berth_error_t e = NULL;
      if (init_join_namespaces(&sp->args, &e) < 0)
        {
          sync_notify(sp->args.sync_fd, SYNC_ERROR, e->errnum, berth_error_msg(e));
          _exit(1);
        }
      int pidfd = -1;
      bool born_in_cgroup = false;
      pid_t pid = clone_init(flags | CLONE_PARENT, cgroup_fd, &pidfd, &born_in_cgroup);
      if (pid == 0)
        init_main(&sp->args);
      if (pid < 0)
        intermediate_fail(sp->args.sync_fd, "clone the container init");
      sync_notify(sp->args.sync_fd, born_in_cgroup ? SYNC_PID_IN_CGROUP : SYNC_PID, pid, NULL);
      _exit(0);
    }
  while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
    ;
  struct sync_msg m;
  _cleanup_free_ char *text = NULL;
  if (sync_recv(sp->parent_sync, &m, &text, err) < 0)
    return berth_wrap(err, "clone the container init");
  if (m.type == SYNC_ERROR)
    {
      berth_fail(err, 0, "%s", text ? text : "clone the container init");
      (*err)->errnum = m.value;
      return -1;
    }
  if ((m.type != SYNC_PID && m.type != SYNC_PID_IN_CGROUP) || m.value <= 0)
    return berth_fail(err, EPROTO, "clone the container init: unexpected message %u", m.type);
  *in_cgroup = m.type == SYNC_PID_IN_CGROUP;
  return m.value;
}

/* --log-level debug: each namespace the init gets, new or joined */
static void log_namespaces(const struct spec_config *c)
{
  if (!berth_log_enabled(BERTH_LOG_DEBUG))
    return;
  for (int t = 0; t < SPEC_NS_COUNT; t++)
    {
      const struct spec_namespace *ns = spec_find_namespace(c, (enum spec_ns_type) t);
      if (!ns)
        berth_log_debug("namespace %s: berth's own (no entry)", spec_ns_type_name((enum spec_ns_type) t));
      else if (ns->path)
        berth_log_debug("namespace %s: join %s", spec_ns_type_name((enum spec_ns_type) t), ns->path);
      else
        berth_log_debug("namespace %s: new", spec_ns_type_name((enum spec_ns_type) t));
    }
}

static int spawn_init(struct lifecycle *l, struct spawn *sp, berth_error_t *err)
{
  const struct spec_config *c = l->config;
  uint64_t flags = 0;
  if (ns_is_new(c, SPEC_NS_USER))
    flags |= CLONE_NEWUSER;
  if (ns_is_new(c, SPEC_NS_PID))
    flags |= CLONE_NEWPID;
  sp->pid_ns_fd = steal_fd(&sp->args.join_fd[SPEC_NS_PID]);
  if (sp->pid_ns_fd >= 0)
    {
      sp->own_pid_ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
      if (sp->own_pid_ns < 0)
        return berth_fail_sys(err, "open /proc/self/ns/pid");
      if (setns(sp->pid_ns_fd, CLONE_NEWPID) < 0)
        return berth_fail_sys(err, "join the pid namespace");
    }
  bool in_cgroup = false;
  int cgroup_fd = l->cg ? cgroup_clone_fd(l->cg) : -1;
  int pidfd = -1;
  pid_t pid;
  berth_log_phase("clone");
  log_namespaces(c);
  if (needs_intermediate(sp, flags))
    {
      pid = clone_via_intermediate(sp, flags, cgroup_fd, &in_cgroup, err);
      if (pid < 0)
        return -1;
      pidfd = pidfd_open_pid(pid);
    }
  else
    {
      pid = clone_init(flags, cgroup_fd, &pidfd, &in_cgroup);
      if (pid == 0)
        {
          close(sp->parent_sync);
          init_main(&sp->args);
        }
    }
  int clone_errno = errno;
  if (sp->own_pid_ns >= 0 && setns(sp->own_pid_ns, CLONE_NEWPID) < 0)
    berth_log_warning("return to our own pid namespace: %s", strerror(errno));
  if (pid < 0)
    return berth_fail(err, clone_errno, "clone the container init");
  l->pid = pid;
  l->pidfd = pidfd;
  l->is_child = true;
  l->state->init_start_time = process_start_time(pid);
  if (container_init_record_write(l->c, pid, l->state->init_start_time, err) < 0)
    return -1;
  interrupt_watch(pid, SIGKILL);
  /* the init's ends are its own now */
  int *child_fds[] = {&sp->args.sync_fd, &sp->args.fifo_fd, &sp->args.console_fd, &sp->args.gate_fd};
  for (size_t i = 0; i < ARRAY_SIZE(child_fds); i++)
    close_fds(child_fds[i], 1); /* -1 too: spawn_cleanup must not close their numbers again */
  close_fds(sp->args.join_fd, SPEC_NS_COUNT);
  return drive_init(l, sp->parent_sync, in_cgroup, err);
}

static void spawn_setup_ctx(struct spawn *sp, struct lifecycle *l, const char *id,
                            const struct create_options *o)
{
  const struct spec_config *c = l->config;
  struct init_ctx *ctx = &sp->args.ctx;
  ctx->config = c;
  ctx->process = c->process;
  ctx->bundle = l->state->bundle;
  ctx->rootfs = l->state->rootfs;
  ctx->container_id = id;
  ctx->no_pivot = o->no_pivot;
  ctx->new_userns = ns_is_new(c, SPEC_NS_USER);
  ctx->new_mountns = ns_is_new(c, SPEC_NS_MOUNT);
  ctx->no_mountns = !ns_is_set(c, SPEC_NS_MOUNT);
  ctx->new_netns = ns_is_new(c, SPEC_NS_NETWORK);
  ctx->new_utsns = ns_is_new(c, SPEC_NS_UTS);
  ctx->new_ipcns = ns_is_new(c, SPEC_NS_IPC);
  ctx->new_pidns = ns_is_new(c, SPEC_NS_PID);
  ctx->new_cgroupns = ns_is_new(c, SPEC_NS_CGROUP);
  ctx->netns_owner = ns_owner_of(c, sp->args.join_fd, SPEC_NS_NETWORK, "net");
  ctx->ipcns_owner = ns_owner_of(c, sp->args.join_fd, SPEC_NS_IPC, "ipc");
  ctx->utsns_owner = ns_owner_of(c, sp->args.join_fd, SPEC_NS_UTS, "uts");
  static const struct
  {
    enum spec_ns_type t;
    int flag;
  } unshared[] = {{SPEC_NS_MOUNT, CLONE_NEWNS},   {SPEC_NS_NETWORK, CLONE_NEWNET},
                  {SPEC_NS_IPC, CLONE_NEWIPC},    {SPEC_NS_UTS, CLONE_NEWUTS},
                  {SPEC_NS_CGROUP, CLONE_NEWCGROUP}, {SPEC_NS_TIME, CLONE_NEWTIME}};
  for (size_t i = 0; i < ARRAY_SIZE(unshared); i++)
    if (ns_is_new(c, unshared[i].t))
      sp->args.unshare_flags |= unshared[i].flag;
  sp->args.any_userns = ns_is_set(c, SPEC_NS_USER);
  sp->args.dumpable_until_go = geteuid() != 0 && ns_is_new(c, SPEC_NS_USER);
  sp->args.no_new_keyring = o->no_new_keyring;
  sp->args.preserve_fds = o->preserve_fds;
  sp->args.listen_fds = o->listen_fds;
  sp->args.keep_original_groups = str_eq(spec_annotation(c, ANNOTATION_KEEP_ORIGINAL_GROUPS), "1");
  sp->args.state = l->state;
}

/* Rootless without a cgroup the caller may create: the container runs
 * without one when linux.resources asks for no limit (as runc does). */
int create_cgroup(struct lifecycle *l, bool rootless, berth_error_t *err)
{
  _cleanup_error_ berth_error_t e = NULL;
  if (cgroup_create(l->state->cgroup_path, &l->cg, &e) == 0)
    return 0;
  int r = berth_error_ret(e);
  if (!rootless || (r != -EACCES && r != -EPERM && r != -EROFS))
    {
      *err = steal_pointer(&e);
      return r;
    }
  const struct spec_linux *lx = l->config->linux_;
  const char *field = rootless_resources_field(lx ? lx->resources : NULL);
  if (field)
    return berth_fail(err, -r, "%s: a limit needs a cgroup, and this rootless caller may not create one (%s); "
                      "delegate a cgroup v2 subtree to the user and set linux.cgroupsPath inside it, or drop linux.resources",
                      field, berth_error_msg(e));
  berth_log_debug("rootless: no cgroup: %s", berth_error_msg(e));
  free(l->state->cgroup_path);
  l->state->cgroup_path = NULL;
  return 0;
}

/* Everything between "state dir exists" and "created". */
static int create_in_dir(struct lifecycle *l, const char *id, const struct create_options *o,
                         const char *config_text, size_t config_len, int ns_fds[SPEC_NS_COUNT],
                         const struct global_opts *g, berth_error_t *err)
{
  const struct spec_config *c = l->config;
  if (write_file_atomic_at(l->c->dir_fd, "config.json", config_text, config_len, 0600, err) < 0)
    return berth_wrap(err, "copy config.json into the state directory");
  const char *cgroups_path = c->linux_ ? c->linux_->cgroups_path : NULL;
  bool systemd = g->cgroup_manager == CGROUP_MANAGER_SYSTEMD;
  if (g->cgroup_manager != CGROUP_MANAGER_DISABLED
      && (systemd ? cgroup_systemd_resolve_path(cgroups_path, id, &l->state->cgroup_path, err)
                  : cgroup_resolve_path(cgroups_path, id, &l->state->cgroup_path, err)) < 0)
    return -1;
  if (container_state_write(l->c, l->state, err) < 0)
    return -1;
  if (l->state->cgroup_path)
    {
      berth_log_phase("cgroup");
      if ((systemd ? cgroup_systemd_create(cgroups_path, id, c->annotations, c->n_annotations, &l->cg, err)
                   : create_cgroup(l, g->rootless, err)) < 0)
        return -1;
    }
  if (l->cg)
    {
      berth_log_debug("cgroup driver %s, path %s",
                      g->cgroup_manager == CGROUP_MANAGER_SYSTEMD ? "systemd" : "cgroupfs", l->state->cgroup_path);
      cgroup_log_dirs(l->cg);
      /* device rules always (default deny): linux.resources.devices and the defaults */
      const struct cgroup_apply_options ao = { .devices_always = true };
      if (cgroup_apply_resources_with(l->cg, c->linux_ ? c->linux_->resources : NULL, &ao, err) < 0)
        return -1;
    }

  _cleanup_(spawn_cleanup) struct spawn sp = {.parent_sync = -1, .pid_ns_fd = -1, .own_pid_ns = -1};
  sp.args.sync_fd = sp.args.fifo_fd = sp.args.console_fd = sp.args.gate_fd = -1;
  sp.args.lock_fd = l->c->lock_fd;
  memcpy(sp.args.join_fd, ns_fds, sizeof sp.args.join_fd);
  for (int t = 0; t < SPEC_NS_COUNT; t++)
    ns_fds[t] = -1; /* owned by sp now */
  spawn_setup_ctx(&sp, l, id, o);
  if (net_prepare(l->config, l->c->root, id, l->c->dir, sp.args.ctx.new_netns, &l->net, err) < 0)
    return -1;
  sp.args.wait_for_network = l->net != NULL;

  sp.args.fifo_fd = make_exec_fifo(l, sp.args.ctx.new_userns, err);
  if (sp.args.fifo_fd < 0)
    return -1;
  if (sp.args.dumpable_until_go && (sp.args.gate_fd = nsgate_bind(l->c->dir_fd, l->c->dir, err)) < 0)
    return -1;
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
    return berth_fail_sys(err, "socketpair");
  sp.parent_sync = pair[0];
  sp.args.sync_fd = pair[1];
  if (c->process->terminal)
    {
      if (o->console_socket)
        {
          sp.args.console_fd = connect_console_socket(o->console_socket, err);
          if (sp.args.console_fd < 0)
            return -1;
        }
      else
        {
          int tty[2];
          if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tty) < 0)
            return berth_fail_sys(err, "socketpair");
          l->console_recv = tty[0];
          sp.args.console_fd = tty[1];
        }
    }
  /* compiled here, loaded by the init (seccomp.h) */
  _cleanup_(seccomp_program_freep) struct seccomp_program *filter = NULL;
  if (c->linux_ && c->linux_->seccomp && seccomp_prepare(c->linux_->seccomp, c->process, &filter, err) < 0)
    return -1;
  sp.args.seccomp = filter;
  if (host_trees_prepare(c, l->state->bundle, l->c->dir_fd, &sp.trees, err) < 0)
    return -1;
  sp.args.ctx.host_trees = &sp.trees;
  return spawn_init(l, &sp, err);
}

static int write_pid_file(const char *path, pid_t pid, berth_error_t *err)
{
  _cleanup_free_ char *text = pidfile_content(pid);
  if (write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0644, err) < 0)
    return berth_wrap(err, "pid file %s", path);
  return 0;
}

#define CREATE_ROLLBACK_REAP_MS 5000

/* Reap the child pid, waiting at most timeout_ms; false if it is still there. */
static bool reap_within(pid_t pid, int timeout_ms)
{
  for (int waited = 0;; waited++)
    {
      pid_t r = waitpid(pid, NULL, WNOHANG);
      if (r == pid || (r < 0 && errno == ECHILD))
        return true;
      if (waited >= timeout_ms)
        return false;
      usleep(1000);
    }
}

/* Undo a failed create: the init, the cgroup, the state dir. */
void create_rollback(struct lifecycle *l)
{
  _cleanup_error_ berth_error_t e = NULL;
  if (l->pid > 0)
    {
      send_signal(l->pidfd, l->pid, SIGKILL);
      /* a frozen init (its cgroup frozen during create) acts on SIGKILL
       * only once thawed; one frozen by a parent cgroup stays until that
       * is thawed: do not wait for it forever */
      if (l->cg)
        cgroup_thaw_tree(l->cg);
      if (!reap_within(l->pid, CREATE_ROLLBACK_REAP_MS))
        berth_log_warning("the killed container init %d does not exit (frozen by a parent cgroup?)", (int) l->pid);
      interrupt_unwatch(l->pid);
      l->pid = 0;
    }
  if (l->cg && cgroup_destroy(l->cg, &e) < 0)
    berth_log_warning("%s", berth_error_msg(e));
  berth_error_free(&e);
  teardown_network(l);
  if (l->c)
    {
      if (container_dir_remove(l->c, &e) < 0)
        berth_log_warning("%s", berth_error_msg(e));
      l->c = NULL; /* freed by container_dir_remove */
    }
}

/* The last check for an interrupt, with the signals held: one after it
 * no longer kills the init (the caller decides what it means). */
static int create_finish_uninterrupted(struct lifecycle *l, berth_error_t *err)
{
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_BLOCK, &set, &old);
  int r = interrupt_check(err);
  if (r == 0)
    interrupt_unwatch(l->pid);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return r;
}

int lifecycle_create(const struct global_opts *g, const char *id, const struct create_options *o,
                     struct lifecycle **out, berth_error_t *err)
{
  _cleanup_(lifecycle_freep) struct lifecycle *l = lifecycle_new();
  _cleanup_free_ char *bundle = NULL, *config_path = NULL, *config_text = NULL, *rootfs = NULL;
  _cleanup_free_ char *pid_file = NULL;
  size_t config_len = 0;
  int ns_fds[SPEC_NS_COUNT];
  for (int t = 0; t < SPEC_NS_COUNT; t++)
    ns_fds[t] = -1;

  if (container_id_validate(id, err) < 0)
    return -1;
  if (o->preserve_fds < 0)
    return berth_fail(err, 0, "--preserve-fds must not be negative");
  if (check_preserved_fds(o->preserve_fds, err) < 0)
    return -1;
  bundle = realpath(o->bundle ? o->bundle : ".", NULL);
  if (!bundle)
    return berth_fail_sys(err, "bundle %s", o->bundle ? o->bundle : ".");
  config_path = o->config_path ? xstrdup(o->config_path) : xasprintf("%s/config.json", bundle);
  if (o->pid_file)
    {
      /* relative to the caller's directory, whatever happens later */
      _cleanup_free_ char *cwd = getcwd(NULL, 0);
      pid_file = o->pid_file[0] == '/' || !cwd ? xstrdup(o->pid_file) : xasprintf("%s/%s", cwd, o->pid_file);
    }
  berth_log_phase("parse");
  berth_log_debug("config %s (bundle %s)", config_path, bundle);
  if (load_bundle_config(config_path, &config_text, &config_len, &l->config, err) < 0)
    return -1;
  if (imageroot_resolve(l->config, g, id, err) < 0)
    return -1;
  _cleanup_(storage_overlay_freep) struct storage_overlay *overlay = NULL;
  if (overlay_plan(l->config, g->root, &overlay, err) < 0)
    return -1;
  if (!ns_is_set(l->config, SPEC_NS_MOUNT) && rootfs_check_without_mountns(l->config, err) < 0)
    return berth_wrap(err, "%s", config_path);
  if (overlay)
    rootfs = xasprintf("%s/%s/rootfs", g->root, id); /* made and resolved by overlay_prepare */
  else if (resolve_rootfs(bundle, l->config, &rootfs, err) < 0)
    return -1;
  if (l->config->process->terminal && !o->console_socket && !o->foreground_tty)
    return berth_fail(err, 0, "terminal requires --console-socket or run in the foreground");
  if (g->cgroup_manager == CGROUP_MANAGER_SYSTEMD
      && cgroup_systemd_check(l->config->linux_ ? l->config->linux_->cgroups_path : NULL, id, err) < 0)
    return -1;
  if (hostcheck_create(l->config, g->cgroup_manager != CGROUP_MANAGER_DISABLED, err) < 0)
    return berth_wrap(err, "%s", config_path);
  if (l->config->linux_ && l->config->linux_->seccomp && seccomp_validate(l->config->linux_->seccomp, err) < 0)
    return berth_wrap(err, "%s", config_path);
  if (config_validate_create(l->config, err) < 0 || rootless_check_config(l->config, g->rootless, err) < 0)
    return berth_wrap(err, "%s", config_path);
  if (open_namespace_paths(l->config, ns_fds, err) < 0)
    {
      close_fds(ns_fds, SPEC_NS_COUNT);
      return -1;
    }
  l->state = initial_state(id, bundle, rootfs, l->config, g, o->detached);
  if (container_dir_create(g->root, id, &l->c, err) < 0)
    {
      close_fds(ns_fds, SPEC_NS_COUNT);
      return -1;
    }

  int r = 0;
  if (ns_is_set(l->config, SPEC_NS_MOUNT))
    r = notify_prepare_create(l->config, l->c->dir_fd, l->c->dir, err);
  if (r == 0 && overlay)
    r = overlay_prepare(l, overlay, err);
  if (r == 0)
    r = create_in_dir(l, id, o, config_text, config_len, ns_fds, g, err);
  close_fds(ns_fds, SPEC_NS_COUNT);
  if (r == 0)
    {
      set_status(l->state, "created");
      r = container_state_write(l->c, l->state, err);
    }
  if (r == 0 && pid_file)
    r = write_pid_file(pid_file, l->pid, err);
  if (r == 0)
    r = create_finish_uninterrupted(l, err);
  if (r < 0)
    {
      if (interrupt_signal())
        {
          berth_error_free(err);
          interrupt_check(err);
        }
      create_rollback(l);
      return -1;
    }
  *out = steal_pointer(&l);
  return 0;
}

/* ------------------------------------------------------------------ start */

/* Read exec.fifo until EOF: empty means the init exec'ed the program,
 * text is the init's error. pidfd tells us if it died before opening. */
static int release_init(struct lifecycle *l, berth_error_t *err)
{
  _cleanup_close_ int fd = openat(l->c->dir_fd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "open %s/exec.fifo", l->c->dir);
  char msg[4096];
  size_t len = 0;
  bool connected = false;
  for (;;)
    {
      struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = l->pidfd, .events = POLLIN}};
      int n = poll(p, l->pidfd >= 0 ? 2 : 1, l->pidfd >= 0 ? -1 : 100);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_fail_sys(err, "wait on exec.fifo");
      if (p[0].revents & (POLLIN | POLLHUP))
        {
          connected = true;
          ssize_t r = read(fd, msg + len, sizeof msg - 1 - len);
          if (r > 0)
            {
              len += (size_t) r;
              if (len < sizeof msg - 1)
                continue;
            }
          else if (r < 0 && errno == EAGAIN)
            continue;
          else if (r < 0)
            return berth_fail_sys(err, "read exec.fifo");
          break; /* EOF (or a full message) */
        }
      bool dead = l->pidfd >= 0 ? (p[1].revents & POLLIN) != 0 : kill(l->pid, 0) < 0;
      if (dead && !connected)
        return berth_fail(err, 0, "container init exited before it was started");
    }
  msg[len] = '\0';
  unlinkat(l->c->dir_fd, "exec.fifo", 0);
  unlinkat(l->c->dir_fd, NSGATE_SOCKET, 0);
  if (len > 0)
    return berth_fail(err, 0, "%s", msg);
  return 0;
}

int lifecycle_start(struct lifecycle *l, berth_error_t *err)
{
  berth_log_phase("start");
  /* bound before the program runs: its first READY=1 finds a listener */
  if (notify_listen(l->c->dir_fd, &l->notify_fd, err) < 0)
    return -1;
  /* saved before the program runs: a state store that is full fails the
   * start of a container that stays created, never a started one. Until
   * exec.fifo is gone the status shows "created" whatever the record says. */
  set_status(l->state, "running");
  if (container_state_write(l->c, l->state, err) < 0)
    return -1;
  if (release_init(l, err) < 0)
    return -1;
  if (l->config->hooks)
    run_hooks(l, &l->config->hooks->poststart, "poststart", "running", true, err);
  return 0;
}

int lifecycle_wait_notify(struct lifecycle *l, berth_error_t *err)
{
  if (l->notify_fd < 0)
    return 0;
  /* kill and delete must not wait for a READY=1 that may never come */
  lifecycle_unlock(l);
  return notify_wait_ready(l->notify_fd, l->pid, l->pidfd, err) < 0 ? -1 : 0;
}

int lifecycle_start_id(const struct global_opts *g, const char *id, berth_error_t *err)
{
  _cleanup_(lifecycle_freep) struct lifecycle *l = NULL;
  const char *status;
  if (lifecycle_open(g, id, true, &l, &status, err) < 0)
    return -1;
  if (str_eq(status, "running") || str_eq(status, "paused"))
    return berth_fail(err, 0, "cannot start an already %s container", status);
  if (str_eq(status, "stopped"))
    return berth_fail(err, 0, "cannot start a container that has stopped");
  if (!str_eq(status, "created"))
    return berth_fail(err, 0, "cannot start a container that is %s", status);
  int fd = open_recorded_init(l->state);
  if (fd < 0)
    return berth_fail(err, ESRCH, "container init %d is gone", (int) l->pid);
  l->pidfd = fd == INT_MAX ? -1 : fd;
  if (load_config_copy(l, err) < 0)
    return -1;
  if (lifecycle_start(l, err) < 0)
    return -1;
  return lifecycle_wait_notify(l, err);
}

/* ------------------------------------------------------------------ kill, delete */

int lifecycle_kill_id(const struct global_opts *g, const char *id, int sig, bool all, berth_error_t *err)
{
  _cleanup_(lifecycle_freep) struct lifecycle *l = NULL;
  const char *status;
  if (lifecycle_open(g, id, false, &l, &status, err) < 0)
    return -1;
  if (all && l->state->cgroup_path)
    {
      /* like runc, --all on a stopped container signals what may be left
       * in its cgroup and is no error when nothing is */
      _cleanup_error_ berth_error_t e = NULL;
      bool stopped = str_eq(status, "stopped");
      if (cgroup_open_managed(l->state->cgroup_path, l->state->cgroup_manager, &l->cg, stopped ? &e : err) < 0)
        return stopped ? 0 : -1;
      if (cgroup_kill_all(l->cg, sig, stopped ? &e : err) < 0)
        return stopped ? 0 : -1;
      return 0;
    }
  if (str_eq(status, "stopped"))
    return berth_fail(err, ESRCH, "container not running");
  int fd = open_recorded_init(l->state);
  if (fd < 0)
    return berth_fail(err, ESRCH, "container not running");
  l->pidfd = fd == INT_MAX ? -1 : fd;
  if (send_signal(l->pidfd, l->pid, sig) < 0)
    {
      if (errno == ESRCH)
        return berth_fail(err, ESRCH, "container not running");
      return berth_fail_sys(err, "send signal %d to the container init %d", sig, (int) l->pid);
    }
  return 0;
}

static bool cgroup_has_processes(struct berth_cgroup *cg)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  _cleanup_error_ berth_error_t e = NULL;
  return cgroup_pids(cg, &pids, &n, &e) < 0 || n > 0;
}

int lifecycle_destroy(struct lifecycle *l, berth_error_t *err)
{
  _cleanup_(lifecycle_freep) struct lifecycle *owned = l;
  berth_log_phase("delete");
  if (l->pid > 0)
    {
      int fd = l->pidfd >= 0 ? l->pidfd : open_recorded_init(l->state);
      if (fd >= 0)
        {
          send_signal(fd == INT_MAX ? -1 : fd, l->pid, SIGKILL);
          if (l->state->cgroup_path)
            cgroup_thaw_path(l->state->cgroup_path); /* paused: SIGKILL waits for the thaw */
          if (l->is_child)
            waitpid(l->pid, NULL, 0);
          else
            wait_pidfd_exit(fd, l->pid, INIT_EXIT_WAIT_MS);
          if (fd != l->pidfd && fd != INT_MAX)
            close(fd);
        }
    }
  if (!l->cg && l->state->cgroup_path)
    {
      _cleanup_error_ berth_error_t ignored = NULL;
      cgroup_open_managed(l->state->cgroup_path, l->state->cgroup_manager, &l->cg, &ignored);
    }
  if (l->cg && cgroup_destroy(l->cg, err) < 0)
    {
      if (!l->cgroup_may_stay || cgroup_has_processes(l->cg))
        return berth_wrap(err, "remove the cgroup");
      berth_log_warning("the cgroup stays behind: %s", berth_error_msg(*err));
      berth_error_free(err);
    }
  if (!l->config)
    {
      _cleanup_error_ berth_error_t e = NULL;
      if (load_config_copy(l, &e) < 0)
        berth_log_warning("poststop hooks skipped: %s", berth_error_msg(e));
    }
  if (l->config && l->config->hooks)
    run_hooks(l, &l->config->hooks->poststop, "poststop", "stopped", true, err);
  teardown_network(l);
  struct container *c = steal_pointer(&l->c);
  return container_dir_remove(c, err);
}

/* A create that died after the clone left "creating" without a pid in
 * state.json: the init is in the record made right after the clone. */
static void adopt_init_record(struct lifecycle *l)
{
  pid_t pid;
  uint64_t start_time;
  if (l->pid > 0 || !container_init_record_read(l->c, &pid, &start_time))
    return;
  l->pid = l->state->pid = pid;
  l->state->init_start_time = start_time;
}

int lifecycle_delete_id(const struct global_opts *g, const char *id, bool force, berth_error_t *err)
{
  struct lifecycle *l = NULL;
  const char *status;
  if (lifecycle_open(g, id, true, &l, &status, err) < 0)
    return force ? lifecycle_delete_without_state(g, id, err) : -1;
  if ((str_eq(status, "running") || str_eq(status, "paused")) && !force)
    {
      lifecycle_free(l);
      return berth_fail(err, 0, "cannot delete container %s that is not stopped: %s", id,
                        status);
    }
  if (str_eq(status, "stopped"))
    l->pid = 0;
  if (str_eq(status, "unknown"))
    adopt_init_record(l);
  l->cgroup_may_stay = force;
  return lifecycle_destroy(l, err);
}
