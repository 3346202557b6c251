/* berth restore [options] ID: bring a checkpoint (berth checkpoint) back
 * as container ID from a bundle: the state directory, config copy and
 * cgroup are made as create makes them, then criu restores the process
 * tree, its namespaces and mounts into the bundle's rootfs. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "runtime/cli.h"
#include "runtime/container.h"
#include "runtime/criu.h"
#include "runtime/init.h"
#include "runtime/rootless.h"
#include "runtime/signals.h"
#include "storage/storage.h"
#include "util/util.h"

#define STDIO_RECORD "berth-stdio"
#define SHELL_JOB_MARK "berth-shell-job" /* made by checkpoint (cmd_checkpoint.c) */
#define CRIU_PID_FILE "criu.pid"

struct restore_options
{
  const char *bundle;
  const char *pid_file; /* absolute or NULL */
  const char *console_socket;
  bool detach;
  bool no_subreaper;
  bool no_pivot;
};

static const char *joined_netns_path(const struct spec_config *c)
{
  const struct spec_linux *lx = c->linux_;
  for (size_t i = 0; lx && i < lx->n_namespaces; i++)
    if (lx->namespaces[i].type == SPEC_NS_NETWORK)
      return lx->namespaces[i].path;
  return NULL;
}

/* The cgroup as create makes it: path, cgroup, resources. */
static int restore_cgroup(struct lifecycle *l, const struct global_opts *g, const char *id, berth_error_t *err)
{
  const struct spec_config *c = l->config;
  const char *cgroups_path = c->linux_ ? c->linux_->cgroups_path : NULL;
  bool systemd = g->cgroup_manager == CGROUP_MANAGER_SYSTEMD;
  if (g->cgroup_manager == CGROUP_MANAGER_DISABLED)
    return 0;
  if ((systemd ? cgroup_systemd_resolve_path(cgroups_path, id, &l->state->cgroup_path, err)
               : cgroup_resolve_path(cgroups_path, id, &l->state->cgroup_path, err)) < 0)
    return -1;
  if (container_state_write(l->c, l->state, err) < 0)
    return -1;
  if ((systemd ? cgroup_systemd_create(cgroups_path, id, c->annotations, c->n_annotations, &l->cg, err)
               : create_cgroup(l, g->rootless, err)) < 0)
    return -1;
  if (!l->cg)
    return 0;
  const struct cgroup_apply_options ao = {.devices_always = true};
  return cgroup_apply_resources_with(l->cg, c->linux_ ? c->linux_->resources : NULL, &ao, err);
}

/* criu wants the root it restores into to be a mount point. The bind is
 * made in a mount namespace of our own (a slave copy of the caller's):
 * it never shows on the host and goes away with us, whatever happens. */
static int mount_root_for_criu(const char *rootfs, berth_error_t *err)
{
  if (unshare(CLONE_NEWNS) < 0)
    return berth_fail_sys(err, "restore: a mount namespace for criu");
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return berth_fail_sys(err, "restore: make our mounts slaves");
  if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return berth_fail_sys(err, "restore: bind %s on itself", rootfs);
  return 0;
}

static bool below_tmpfs(const struct spec_config *c, const char *dest)
{
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      const struct spec_mount *m = &c->mounts[i];
      if (!m->destination || !str_eq(m->type, "tmpfs"))
        continue;
      _cleanup_free_ char *abs = xasprintf("/%s", m->destination);
      _cleanup_free_ char *t = storage_path_clean(abs);
      size_t n = strlen(t);
      if (strncmp(dest, t, n) == 0 && (dest[n] == '/' || (n == 1 && dest[1])))
        return true;
    }
  return false;
}

/* criu mounts the checkpointed mounts on their mount points in the new
 * rootfs and fails when one is missing: an engine's fresh rootfs (Podman's
 * import, containerd's new snapshot) lacks those that create made, such as
 * the /etc/hosts of a bind. Made here beneath the rootfs as create makes
 * them, never through a symlink out of it; those under a tmpfs come back
 * with the tmpfs from the images. */
static int make_mount_points(const char *rootfs, const char *bundle, const struct spec_config *c, berth_error_t *err)
{
  _cleanup_close_ int root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return berth_fail_sys(err, "restore: rootfs %s", rootfs);
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      const struct spec_mount *m = &c->mounts[i];
      if (!m->destination)
        continue;
      _cleanup_free_ char *abs = xasprintf("/%s", m->destination);
      _cleanup_free_ char *dest = storage_path_clean(abs);
      if (str_eq(dest, "/") || below_tmpfs(c, dest))
        continue;
      bool directory = true;
      if (criu_mount_is_bind(m) && m->source && *m->source)
        {
          _cleanup_free_ char *src = m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", bundle, m->source);
          struct stat st;
          directory = stat(src, &st) < 0 || S_ISDIR(st.st_mode);
        }
      _cleanup_close_ int fd = storage_create_target(root_fd, dest, directory, err);
      if (fd < 0)
        return berth_wrap(err, "restore: .mounts[%zu].destination %s: its mount point", i, dest);
    }
  return 0;
}

static void read_stdio_record(const char *image_path, char *keys[3])
{
  _cleanup_free_ char *path = xasprintf("%s/" STDIO_RECORD, image_path);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  _cleanup_error_ berth_error_t ignored = NULL;
  keys[0] = keys[1] = keys[2] = NULL;
  if (read_file_at(AT_FDCWD, path, 4096, &text, &len, &ignored) == 0)
    criu_stdio_parse(text, len, keys);
}

static int read_restored_pid(struct container *c, pid_t *pid, berth_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (read_file_at(c->dir_fd, CRIU_PID_FILE, 64, &text, &len, err) < 0)
    return berth_wrap(err, "the pid criu restored");
  while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
    text[--len] = '\0';
  long long v;
  if (parse_int64(text, &v) < 0 || v <= 0 || v > INT32_MAX)
    return berth_fail(err, 0, "criu's pid file says \"%s\", not a pid", text);
  *pid = (pid_t) v;
  unlinkat(c->dir_fd, CRIU_PID_FILE, 0);
  return 0;
}

static int run_criu_restore(struct lifecycle *l, const struct criu_options *o, int netns_fd, berth_error_t *err)
{
  char *keys[3];
  read_stdio_record(o->image_path, keys);
  _cleanup_free_ char *pid_file = xasprintf("%s/" CRIU_PID_FILE, l->c->dir);
  struct criu_facts f = {
    .root = l->state->rootfs,
    .bundle = l->state->bundle,
    .pid_file = pid_file,
    .cgroup_root = l->cg ? l->state->cgroup_path : NULL,
    .netns_joined = netns_fd >= 0,
    .stdio_keys = {keys[0], keys[1], keys[2]},
  };
  _cleanup_strv_ char **argv = NULL;
  int r = criu_build_argv(CRIU_RESTORE, o, l->config, &f, &argv, err);
  for (int i = 0; i < 3; i++)
    free(keys[i]);
  if (r < 0)
    return -1;
  if (o->work_path && criu_make_dirs(o->work_path, err) < 0)
    return -1;
  if (make_mount_points(l->state->rootfs, l->state->bundle, l->config, err) < 0)
    return -1;
  if (mount_root_for_criu(l->state->rootfs, err) < 0)
    return -1;
  const int inherit[] = {f.stdio_keys[0] ? 0 : -1, f.stdio_keys[1] ? 1 : -1, f.stdio_keys[2] ? 2 : -1, netns_fd};
  _cleanup_free_ char *log = xasprintf("%s/restore.log", o->work_path ? o->work_path : o->image_path);
  return criu_run(argv, inherit, 4, log, err);
}

static int record_restored(struct lifecycle *l, const struct restore_options *ro, berth_error_t *err)
{
  pid_t pid = 0;
  if (read_restored_pid(l->c, &pid, err) < 0)
    return -1;
  l->pid = l->state->pid = pid;
  l->is_child = true; /* --restore-sibling */
  l->state->init_start_time = process_start_time(pid);
  if (container_init_record_write(l->c, pid, l->state->init_start_time, err) < 0)
    return -1;
  set_status(l->state, "running");
  if (container_state_write(l->c, l->state, err) < 0)
    return -1;
  if (!ro->pid_file)
    return 0;
  _cleanup_free_ char *text = pidfile_content(pid);
  if (write_file_atomic_at(AT_FDCWD, ro->pid_file, text, strlen(text), 0644, err) < 0)
    return berth_wrap(err, "pid file %s", ro->pid_file);
  return 0;
}

static int restore_in_dir(struct lifecycle *l, const struct global_opts *g, const char *id,
                          const struct criu_options *o, const struct restore_options *ro, const char *config_text,
                          size_t config_len, int netns_fd, berth_error_t *err)
{
  if (write_file_atomic_at(l->c->dir_fd, "config.json", config_text, config_len, 0600, err) < 0)
    return berth_wrap(err, "copy config.json into the state directory");
  if (restore_cgroup(l, g, id, err) < 0)
    return -1;
  if (run_criu_restore(l, o, netns_fd, err) < 0)
    return -1;
  return record_restored(l, ro, err);
}

/* Without --detach: wait for the restored init like `run`, then delete. */
static int wait_restored(const struct global_opts *g, struct lifecycle *l, berth_error_t *err)
{
  pid_t pid = l->pid;
  _cleanup_free_ char *id = xstrdup(l->state->id);
  lifecycle_free(l); /* unlocks: kill, state and delete work meanwhile */
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return berth_fail_sys(err, "wait for the restored container");
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (lifecycle_delete_id(g, id, false, err) < 0)
    return -1;
  return code;
}

static int restore(const struct global_opts *g, const char *id, const struct criu_options *o,
                   const struct restore_options *ro, berth_error_t *err)
{
  if (container_id_validate(id, err) < 0)
    return -1;
  _cleanup_free_ char *bundle = realpath(ro->bundle ? ro->bundle : ".", NULL);
  if (!bundle)
    return berth_fail_sys(err, "bundle %s", ro->bundle ? ro->bundle : ".");
  _cleanup_free_ char *config_path = xasprintf("%s/config.json", bundle);
  _cleanup_free_ char *config_text = NULL, *rootfs = NULL;
  size_t config_len = 0;
  struct lifecycle *l = lifecycle_new();
  int r = load_bundle_config(config_path, &config_text, &config_len, &l->config, err);
  if (r == 0 && (config_validate_create(l->config, err) < 0 || rootless_check_config(l->config, g->rootless, err) < 0))
    r = berth_wrap(err, "%s", config_path);
  if (r == 0)
    r = resolve_rootfs(bundle, l->config, &rootfs, err);
  if (r == 0 && l->config->process->terminal)
    r = berth_fail(err, EOPNOTSUPP, "%s: .process.terminal: restoring a container with a terminal is not supported",
                   config_path);
  if (r == 0 && access(o->image_path, R_OK | X_OK) < 0)
    r = berth_fail_sys(err, "--image-path %s", o->image_path);
  _cleanup_close_ int netns_fd = -1;
  const char *netns = r == 0 ? joined_netns_path(l->config) : NULL;
  if (netns && (netns_fd = open(netns, O_RDONLY | O_CLOEXEC)) < 0)
    r = berth_fail_sys(err, ".linux.namespaces: network %s", netns);
  if (r == 0)
    {
      l->state = initial_state(id, bundle, rootfs, l->config, g, ro->detach);
      r = container_dir_create(g->root, id, &l->c, err);
    }
  if (r < 0)
    {
      lifecycle_free(l);
      return -1;
    }
  if (restore_in_dir(l, g, id, o, ro, config_text, config_len, netns_fd, err) < 0)
    {
      create_rollback(l);
      lifecycle_free(l);
      return -1;
    }
  if (!ro->detach)
    return wait_restored(g, l, err);
  lifecycle_free(l);
  return 0;
}

int cmd_restore(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  struct criu_options o = {.status_fd = -1};
  struct restore_options ro = {0};
  const char *image = "checkpoint", *work = NULL, *pid_file = NULL;
  const struct cli_option opts[] = {
    {"image-path", 0, CLI_STRING, &image, "DIR", "the criu images (default: ./checkpoint)"},
    {"work-path", 0, CLI_STRING, &work, "DIR", "where criu's log goes (default: the image path)"},
    {"bundle", 'b', CLI_STRING, &ro.bundle, "DIR", "the bundle directory (default: the current directory)"},
    {"detach", 'd', CLI_BOOL, &ro.detach, NULL, "return once restored (else wait for the container, then delete it)"},
    {"pid-file", 0, CLI_STRING, &pid_file, "FILE", "write the restored init's pid to FILE"},
    {"console-socket", 0, CLI_STRING, &ro.console_socket, "PATH", "accepted for runc compatibility (no terminal restore)"},
    {"no-subreaper", 0, CLI_BOOL, &ro.no_subreaper, NULL, "accepted for runc compatibility (berth is never a subreaper)"},
    {"no-pivot", 0, CLI_BOOL, &ro.no_pivot, NULL, "accepted for runc compatibility (criu sets up the root)"},
    {"tcp-established", 0, CLI_BOOL, &o.tcp_established, NULL, "restore established TCP connections"},
    {"ext-unix-sk", 0, CLI_BOOL, &o.ext_unix_sk, NULL, "allow unix sockets connected outside the container"},
    {"shell-job", 0, CLI_BOOL, &o.shell_job, NULL, "the container is a shell job"},
    {"file-locks", 0, CLI_BOOL, &o.file_locks, NULL, "restore file locks"},
    {"manage-cgroups-mode", 0, CLI_STRING, &o.manage_cgroups_mode, "MODE", "soft, full, strict or ignore (default soft)"},
    {"lsm-profile", 0, CLI_STRING, &o.lsm_profile, "TYPE:NAME", "the LSM profile of the restored processes"},
    {"lsm-mount-context", 0, CLI_STRING, &o.lsm_mount_context, "CONTEXT", "the SELinux mount context of restored mounts"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  static const struct cli_usage usage = {
    "restore", "[options] ID",
    "Restore container ID from a checkpoint made by `berth checkpoint`, with\n"
    "the bundle's config.json and rootfs. Without --detach berth waits for\n"
    "the container, exits with its status and deletes it.",
    1, 1, "exactly one container ID", false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;
  if (criu_common_options_check(image, work, &o, err) < 0)
    return -1;
  if (o.lsm_profile && !strchr(o.lsm_profile, ':'))
    return berth_fail(err, 0, "--lsm-profile %s: must be TYPE:NAME (apparmor:NAME, selinux:LABEL)", o.lsm_profile);
  _cleanup_free_ char *image_abs = criu_absolute_path(image);
  _cleanup_free_ char *work_abs = work ? criu_absolute_path(work) : NULL;
  _cleanup_free_ char *mark = xasprintf("%s/" SHELL_JOB_MARK, image_abs);
  if (access(mark, F_OK) == 0)
    o.shell_job = true;
  _cleanup_free_ char *pid_abs = pid_file ? criu_absolute_path(pid_file) : NULL;
  o.image_path = image_abs;
  o.work_path = work_abs;
  ro.pid_file = pid_abs;
  return restore(g, pos[0], &o, &ro, err);
}
