/* berth checkpoint [options] ID: dump a running container with criu
 * (criu.h); without --leave-running (and --pre-dump) the container is gone
 * afterwards, as with runc. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "runtime/cli.h"
#include "runtime/container.h"
#include "runtime/criu.h"
#include "storage/storage.h"
#include "util/util.h"

#define STDIO_RECORD "berth-stdio"
#define SHELL_JOB_MARK "berth-shell-job"

char *criu_absolute_path(const char *path)
{
  if (path[0] == '/')
    return xstrdup(path);
  _cleanup_free_ char *cwd = getcwd(NULL, 0);
  return cwd ? xasprintf("%s/%s", cwd, path) : xstrdup(path);
}

int criu_make_dirs(const char *path, berth_error_t *err)
{
  _cleanup_free_ char *p = xstrdup(path);
  for (char *s = p + 1;; s++)
    {
      if (*s != '/' && *s != '\0')
        continue;
      char saved = *s;
      *s = '\0';
      if (mkdir(p, 0700) < 0 && errno != EEXIST)
        return berth_fail_sys(err, "create %s", p);
      *s = saved;
      if (!saved)
        break;
    }
  struct stat st;
  if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
    return berth_fail(err, ENOTDIR, "%s", path);
  return 0;
}

/* A node that is a mount of its own (a masked file bound from /dev/null,
 * a device bound from the host): criu takes it as external. Resolved
 * inside the container's root, never following its links out of it. */
static bool is_mounted_node(int root_fd, const char *path)
{
  _cleanup_error_ berth_error_t e = NULL;
  _cleanup_close_ int fd = storage_open_in_root(root_fd, path, O_PATH | O_NOFOLLOW, 0, &e);
  if (fd < 0)
    return false;
  struct statx stx;
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE, &stx) < 0)
    return false;
  return !S_ISDIR(stx.stx_mode) && !S_ISLNK(stx.stx_mode) && (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
         && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static void add_if_mounted(int root_fd, const char *path, const char ***list, size_t *n)
{
  if (!path || !is_mounted_node(root_fd, path))
    return;
  *list = xreallocarray(*list, *n + 2, sizeof **list);
  (*list)[(*n)++] = path;
  (*list)[*n] = NULL;
}

static const char **find_bound_files(pid_t pid, const struct spec_config *c)
{
  static const char *const devices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                        "/dev/urandom", "/dev/tty", NULL};
  _cleanup_free_ char *root = xasprintf("/proc/%d/root", (int) pid);
  _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return NULL;
  const char **list = NULL;
  size_t n = 0;
  const struct spec_linux *lx = c->linux_;
  for (size_t i = 0; lx && i < lx->n_masked_paths; i++)
    add_if_mounted(root_fd, lx->masked_paths[i], &list, &n);
  for (const char *const *d = devices; *d; d++)
    add_if_mounted(root_fd, *d, &list, &n);
  for (size_t i = 0; lx && i < lx->n_devices; i++)
    add_if_mounted(root_fd, lx->devices[i].path, &list, &n);
  return list;
}

static uint64_t joined_netns_inode(pid_t pid, const struct spec_config *c)
{
  const struct spec_linux *lx = c->linux_;
  for (size_t i = 0; lx && i < lx->n_namespaces; i++)
    if (lx->namespaces[i].type == SPEC_NS_NETWORK && lx->namespaces[i].path)
      {
        _cleanup_free_ char *p = xasprintf("/proc/%d/ns/net", (int) pid);
        struct stat st;
        return stat(p, &st) == 0 ? (uint64_t) st.st_ino : 0;
      }
  return 0;
}

/* what fds 0..2 of the init are: restore hands the caller's over for pipes */
static int write_stdio_record(pid_t pid, const char *image_path, berth_error_t *err)
{
  char links[3][PATH_MAX];
  const char *l[3];
  for (int i = 0; i < 3; i++)
    {
      _cleanup_free_ char *p = xasprintf("/proc/%d/fd/%d", (int) pid, i);
      ssize_t n = readlink(p, links[i], sizeof links[i] - 1);
      links[i][n > 0 ? n : 0] = '\0';
      l[i] = links[i];
    }
  _cleanup_free_ char *text = criu_stdio_record(l);
  _cleanup_free_ char *path = xasprintf("%s/" STDIO_RECORD, image_path);
  if (write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0600, err) < 0)
    return berth_wrap(err, "record the container's stdio");
  return 0;
}

/* The session of pid (field 6 of /proc/PID/stat), 0 when unknown. */
static pid_t session_of(pid_t pid)
{
  _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int) pid);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  _cleanup_error_ berth_error_t ignored = NULL;
  if (read_file_at(AT_FDCWD, path, 4096, &text, &len, &ignored) < 0)
    return 0;
  const char *p = strrchr(text, ')');
  int ppid, pgrp, session;
  char state;
  if (!p || sscanf(p + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4)
    return 0;
  return (pid_t) session;
}

/* A container without a terminal stays in its caller's session (berth
 * makes a session only for a terminal): criu dumps such a tree only as a
 * shell job, and restore must know to do the same. */
static int mark_shell_job(pid_t pid, struct criu_options *o, berth_error_t *err)
{
  _cleanup_free_ char *mark = xasprintf("%s/" SHELL_JOB_MARK, o->image_path);
  if (session_of(pid) == pid)
    {
      unlink(mark);
      return 0;
    }
  o->shell_job = true;
  if (write_file_atomic_at(AT_FDCWD, mark, "", 0, 0600, err) < 0)
    return berth_wrap(err, "record the shell job");
  return 0;
}

static int dump(struct lifecycle *l, const struct criu_options *opts, bool pre_dump, berth_error_t *err)
{
  struct criu_options copy = *opts, *o = &copy;
  pid_t pid = l->state->pid;
  _cleanup_free_ const char **bound = find_bound_files(pid, l->config);
  struct criu_facts f = {
    .pid = pid,
    .netns_inode = joined_netns_inode(pid, l->config),
    .bound_files = bound,
  };
  if (criu_make_dirs(o->image_path, err) < 0 || (o->work_path && criu_make_dirs(o->work_path, err) < 0))
    return -1;
  if (mark_shell_job(pid, o, err) < 0)
    return -1;
  _cleanup_strv_ char **argv = NULL;
  enum criu_action action = pre_dump ? CRIU_PRE_DUMP : CRIU_DUMP;
  if (criu_build_argv(action, o, l->config, &f, &argv, err) < 0)
    return -1;
  if (!pre_dump && write_stdio_record(pid, o->image_path, err) < 0)
    return -1;
  _cleanup_free_ char *log = xasprintf("%s/%s.log", o->work_path ? o->work_path : o->image_path, argv[1]);
  return criu_run(argv, NULL, 0, log, err);
}

/* containerd pauses a task around its checkpoint (and resumes it after).
 * criu seizes the processes itself and cannot seize frozen ones: thaw
 * for the dump, freeze again when the container goes on living. */
static int thaw_for_dump(struct lifecycle *l, berth_error_t *err)
{
  if (!l->state->cgroup_path)
    return berth_fail(err, 0, "container paused but without a cgroup to thaw");
  if (!l->cg && cgroup_open_managed(l->state->cgroup_path, l->state->cgroup_manager, &l->cg, err) < 0)
    return berth_wrap(err, "thaw the paused container for criu");
  if (cgroup_freeze(l->cg, false, err) < 0)
    return berth_wrap(err, "thaw the paused container for criu");
  return 0;
}

static void refreeze_after_dump(struct lifecycle *l, int *r, berth_error_t *err)
{
  if (!l->cg)
    return;
  _cleanup_error_ berth_error_t e = NULL;
  if (cgroup_freeze(l->cg, true, *r < 0 ? &e : err) < 0 && *r == 0)
    *r = berth_wrap(err, "pause the container again after the dump");
}

static int checkpoint(const struct global_opts *g, const char *id, const struct criu_options *o, bool pre_dump,
                      berth_error_t *err)
{
  struct lifecycle *l = NULL;
  const char *status;
  if (lifecycle_open(g, id, true, &l, &status, err) < 0)
    return -1;
  int r = 0;
  bool paused = str_eq(status, "paused");
  if (!str_eq(status, "running") && !paused)
    r = berth_fail(err, 0, "container not running: it is %s", status);
  if (r == 0)
    r = load_config_copy(l, err);
  if (r == 0 && paused)
    r = thaw_for_dump(l, err);
  if (r == 0)
    r = dump(l, o, pre_dump, err);
  if (paused && (r < 0 || pre_dump || o->leave_running))
    refreeze_after_dump(l, &r, err);
  if (r == 0 && o->status_fd >= 0)
    {
      (void) write_all((int) o->status_fd, "", 1);
      close((int) o->status_fd);
    }
  if (r == 0 && !pre_dump && !o->leave_running)
    return lifecycle_destroy(l, err); /* criu killed it: the container is gone, as with runc */
  lifecycle_free(l);
  return r;
}

int cmd_checkpoint(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  struct criu_options o = {.status_fd = -1};
  const char *image = "checkpoint", *work = NULL, *parent = NULL;
  bool pre_dump = false;
  long long status_fd = -1;
  const struct cli_option opts[] = {
    {"image-path", 0, CLI_STRING, &image, "DIR", "where the criu images go (default: ./checkpoint)"},
    {"work-path", 0, CLI_STRING, &work, "DIR", "where criu's log goes (default: the image path)"},
    {"parent-path", 0, CLI_STRING, &parent, "DIR", "the images of a --pre-dump, relative to the image path"},
    {"leave-running", 0, CLI_BOOL, &o.leave_running, NULL, "keep the container running after the checkpoint"},
    {"tcp-established", 0, CLI_BOOL, &o.tcp_established, NULL, "dump established TCP connections"},
    {"ext-unix-sk", 0, CLI_BOOL, &o.ext_unix_sk, NULL, "allow unix sockets connected outside the container"},
    {"shell-job", 0, CLI_BOOL, &o.shell_job, NULL, "the container is a shell job (its session is outside)"},
    {"file-locks", 0, CLI_BOOL, &o.file_locks, NULL, "dump file locks"},
    {"pre-dump", 0, CLI_BOOL, &pre_dump, NULL, "dump the memory only, the container keeps running"},
    {"manage-cgroups-mode", 0, CLI_STRING, &o.manage_cgroups_mode, "MODE", "soft, full, strict or ignore (default soft)"},
    {"empty-ns", 0, CLI_STRING, &o.empty_ns, "TYPE", "network: restore the namespace empty"},
    {"auto-dedup", 0, CLI_BOOL, &o.auto_dedup, NULL, "free the parent images' pages this dump repeats"},
    {"status-fd", 0, CLI_INT, &status_fd, "FD", "write a NUL byte to FD and close it when the dump is done"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  static const struct cli_usage usage = {
    "checkpoint", "[options] ID",
    "Checkpoint running container ID with CRIU into the image path. The\n"
    "container is stopped and deleted afterwards unless --leave-running or\n"
    "--pre-dump is given; `berth restore` brings it back.",
    1, 1, "exactly one container ID", false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;
  if (criu_common_options_check(image, work, &o, err) < 0)
    return -1;
  if (parent && (!*parent || parent[0] == '/'))
    return berth_fail(err, 0, "--parent-path %s: must be a path relative to the image path", parent);
  if (o.empty_ns && !str_eq(o.empty_ns, "network") && !str_eq(o.empty_ns, "net"))
    return berth_fail(err, 0, "--empty-ns %s: criu can leave only the network namespace empty", o.empty_ns);
  if (status_fd != -1 && (status_fd < 0 || status_fd > INT_MAX || fcntl((int) status_fd, F_GETFD) < 0))
    return berth_fail(err, EBADF, "--status-fd %lld: not an open file descriptor", status_fd);
  if (pre_dump && o.leave_running)
    berth_log_debug("--leave-running with --pre-dump: a pre-dump always leaves the container running");
  o.status_fd = status_fd;
  _cleanup_free_ char *image_abs = criu_absolute_path(image);
  _cleanup_free_ char *work_abs = work ? criu_absolute_path(work) : NULL;
  o.image_path = image_abs;
  o.work_path = work_abs;
  o.parent_path = parent;
  return checkpoint(g, pos[0], &o, pre_dump, err);
}
