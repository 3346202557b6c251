/* The criu command line (criu.h): the pure argument builder, the log
 * reader, and running the binary. */
#include "runtime/criu.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/storage.h"
#include "util/cleanup.h"
#include "util/util.h"

extern char **environ;

/* the nodes every container gets (devices.c) */
static const char *const default_device_paths[] = {
  "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", NULL,
};

struct args
{
  char **v;
  size_t n;
};

static void args_add_owned(struct args *a, char *s)
{
  a->v = xreallocarray(a->v, a->n + 2, sizeof *a->v);
  a->v[a->n++] = s;
  a->v[a->n] = NULL;
}

static void args_add(struct args *a, const char *s)
{
  args_add_owned(a, xstrdup(s));
}

static void args_add_pair(struct args *a, const char *opt, char *owned_value)
{
  args_add(a, opt);
  args_add_owned(a, owned_value);
}

bool criu_cgroups_mode_valid(const char *mode)
{
  return str_eq(mode, "soft") || str_eq(mode, "full") || str_eq(mode, "strict") || str_eq(mode, "ignore");
}

int criu_common_options_check(const char *image, const char *work, const struct criu_options *o,
                              berth_error_t *err)
{
  if (!*image)
    return berth_fail(err, 0, "--image-path: must not be empty");
  if (work && !*work)
    return berth_fail(err, 0, "--work-path: must not be empty");
  if (o->manage_cgroups_mode && !criu_cgroups_mode_valid(o->manage_cgroups_mode))
    return berth_fail(err, 0, "--manage-cgroups-mode %s: must be soft, full, strict or ignore", o->manage_cgroups_mode);
  return 0;
}

bool criu_mount_is_bind(const struct spec_mount *m)
{
  if (str_eq(m->type, "bind") || str_eq(m->type, "rbind"))
    return true;
  for (size_t i = 0; i < m->n_options; i++)
    if (str_eq(m->options[i], "bind") || str_eq(m->options[i], "rbind"))
      return true;
  return false;
}

/* criu reads "mnt[KEY]:VALUE" up to the first "]": a path with one would
 * name something else */
static int check_mount_key(const char *field, const char *path, berth_error_t *err)
{
  if (strchr(path, ']') || strchr(path, '\n'))
    return berth_fail(err, 0, "%s %s: criu cannot name a mount point with ']' or a newline", field, path);
  return 0;
}

static int add_bind_mounts(struct args *a, enum criu_action action, const struct spec_config *c,
                           const struct criu_facts *f, berth_error_t *err)
{
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      const struct spec_mount *m = &c->mounts[i];
      if (!m->destination || !criu_mount_is_bind(m))
        continue;
      _cleanup_free_ char *abs = xasprintf("/%s", m->destination);
      _cleanup_free_ char *dest = storage_path_clean(abs);
      _cleanup_free_ char *field = xasprintf(".mounts[%zu].destination", i);
      if (check_mount_key(field, dest, err) < 0)
        return -1;
      if (action != CRIU_RESTORE)
        {
          args_add_pair(a, "--external", xasprintf("mnt[%s]:%s", dest, dest));
          continue;
        }
      if (!m->source || !*m->source)
        return berth_fail(err, 0, ".mounts[%zu].source: a bind mount needs one", i);
      char *src = m->source[0] == '/' || !f->bundle ? xstrdup(m->source) : xasprintf("%s/%s", f->bundle, m->source);
      args_add_pair(a, "--external", xasprintf("mnt[%s]:%s", dest, src));
      free(src);
    }
  return 0;
}

/* restore: every node that may have been a mount at dump time; criu uses
 * the entries its images name and leaves the others */
static int add_restore_node_maps(struct args *a, const struct spec_config *c, berth_error_t *err)
{
  const struct spec_linux *lx = c->linux_;
  for (size_t i = 0; lx && i < lx->n_masked_paths; i++)
    {
      _cleanup_free_ char *p = storage_path_clean(lx->masked_paths[i]);
      if (check_mount_key(".linux.maskedPaths", p, err) < 0)
        return -1;
      args_add_pair(a, "--external", xasprintf("mnt[%s]:/dev/null", p));
    }
  for (const char *const *d = default_device_paths; *d; d++)
    args_add_pair(a, "--external", xasprintf("mnt[%s]:%s", *d, *d));
  for (size_t i = 0; lx && i < lx->n_devices; i++)
    {
      if (!lx->devices[i].path)
        continue;
      _cleanup_free_ char *p = storage_path_clean(lx->devices[i].path);
      if (check_mount_key(".linux.devices", p, err) < 0)
        return -1;
      args_add_pair(a, "--external", xasprintf("mnt[%s]:%s", p, p));
    }
  return 0;
}

/* criu can take a joined network namespace as external; any other
 * namespace of another process it would dump as the container's own */
static int check_joined_namespaces(const struct spec_config *c, berth_error_t *err)
{
  const struct spec_linux *lx = c->linux_;
  for (size_t i = 0; lx && i < lx->n_namespaces; i++)
    {
      const struct spec_namespace *ns = &lx->namespaces[i];
      if (ns->path && ns->type != SPEC_NS_NETWORK)
        return berth_fail(err, EOPNOTSUPP,
                          ".linux.namespaces[%zu]: the container joined the %s namespace %s: "
                          "criu can checkpoint only a joined network namespace",
                          i, spec_ns_type_name(ns->type), ns->path);
    }
  return 0;
}

static bool has_new_netns(const struct spec_config *c)
{
  const struct spec_linux *lx = c->linux_;
  for (size_t i = 0; lx && i < lx->n_namespaces; i++)
    if (lx->namespaces[i].type == SPEC_NS_NETWORK)
      return !lx->namespaces[i].path;
  return false;
}

static int add_dump_args(struct args *a, enum criu_action action, const struct criu_options *o,
                         const struct spec_config *c, const struct criu_facts *f, berth_error_t *err)
{
  if (f->pid <= 0)
    return berth_fail(err, 0, "checkpoint: no container process");
  if (check_joined_namespaces(c, err) < 0)
    return -1;
  args_add_pair(a, "-t", xasprintf("%d", (int) f->pid));
  if (action == CRIU_PRE_DUMP || o->parent_path)
    args_add(a, "--track-mem");
  if (o->parent_path)
    args_add_pair(a, "--prev-images-dir", xstrdup(o->parent_path));
  if (action == CRIU_DUMP && o->leave_running)
    args_add(a, "--leave-running");
  if (o->auto_dedup)
    args_add(a, "--auto-dedup");
  if (o->empty_ns)
    {
      if (!str_eq(o->empty_ns, "network") && !str_eq(o->empty_ns, "net"))
        return berth_fail(err, 0, "--empty-ns %s: criu can leave only the network namespace empty", o->empty_ns);
      if (!has_new_netns(c))
        return berth_fail(err, 0, "--empty-ns %s: the container has no network namespace of its own", o->empty_ns);
      args_add_pair(a, "--empty-ns", xstrdup("net"));
    }
  if (add_bind_mounts(a, action, c, f, err) < 0)
    return -1;
  for (const char *const *p = f->bound_files; p && *p; p++)
    {
      if (check_mount_key("mounted node", *p, err) < 0)
        return -1;
      args_add_pair(a, "--external", xasprintf("mnt[%s]:%s", *p, *p));
    }
  if (f->netns_inode)
    args_add_pair(a, "--external", xasprintf("net[%llu]:%s", (unsigned long long) f->netns_inode, CRIU_NETNS_KEY));
  return 0;
}

static int add_restore_args(struct args *a, const struct criu_options *o, const struct spec_config *c,
                            const struct criu_facts *f, berth_error_t *err)
{
  if (!f->root || !f->pid_file)
    return berth_fail(err, 0, "restore: no root or pid file for criu");
  args_add_pair(a, "--root", xstrdup(f->root));
  /* the restored init becomes our child, as a created one is */
  args_add(a, "--restore-detached");
  args_add(a, "--restore-sibling");
  args_add_pair(a, "--pidfile", xstrdup(f->pid_file));
  if (add_bind_mounts(a, CRIU_RESTORE, c, f, err) < 0 || add_restore_node_maps(a, c, err) < 0)
    return -1;
  if (f->netns_joined)
    args_add_pair(a, "--inherit-fd", xasprintf("fd[%d]:%s", CRIU_FD_NETNS, CRIU_NETNS_KEY));
  for (int i = 0; i < 3; i++)
    if (f->stdio_keys[i])
      args_add_pair(a, "--inherit-fd", xasprintf("fd[%d]:%s", CRIU_FD_STDIO + i, f->stdio_keys[i]));
  if (f->cgroup_root)
    args_add_pair(a, "--cgroup-root", xstrdup(f->cgroup_root));
  if (o->lsm_profile)
    args_add_pair(a, "--lsm-profile", xstrdup(o->lsm_profile));
  if (o->lsm_mount_context)
    args_add_pair(a, "--lsm-mount-context", xstrdup(o->lsm_mount_context));
  return 0;
}

static const char *action_word(enum criu_action action)
{
  return action == CRIU_DUMP ? "dump" : action == CRIU_PRE_DUMP ? "pre-dump" : "restore";
}

int criu_build_argv(enum criu_action action, const struct criu_options *o, const struct spec_config *c,
                    const struct criu_facts *f, char ***argv, berth_error_t *err)
{
  if (!o->image_path || o->image_path[0] != '/')
    return berth_fail(err, 0, "--image-path: must be an absolute path");
  if (o->manage_cgroups_mode && !criu_cgroups_mode_valid(o->manage_cgroups_mode))
    return berth_fail(err, 0, "--manage-cgroups-mode %s: must be soft, full, strict or ignore",
                      o->manage_cgroups_mode);
  struct args a = {0};
  args_add(&a, "criu");
  args_add(&a, action_word(action));
  args_add_pair(&a, "-D", xstrdup(o->image_path));
  if (o->work_path)
    args_add_pair(&a, "-W", xstrdup(o->work_path));
  args_add_pair(&a, "-o", xasprintf("%s.log", action_word(action)));
  args_add(&a, "-v4");
  args_add_owned(&a, xasprintf("--manage-cgroups=%s", o->manage_cgroups_mode ? o->manage_cgroups_mode : "soft"));
  if (o->tcp_established)
    args_add(&a, "--tcp-established");
  if (o->ext_unix_sk)
    args_add(&a, "--ext-unix-sk");
  if (o->shell_job)
    args_add(&a, "--shell-job");
  if (o->file_locks)
    args_add(&a, "--file-locks");
  int r = action == CRIU_RESTORE ? add_restore_args(&a, o, c, f, err) : add_dump_args(&a, action, o, c, f, err);
  if (r < 0)
    {
      strv_free(a.v);
      return -1;
    }
  *argv = a.v;
  return 0;
}

/* ------------------------------------------------------------------ logs */

static char *trimmed(const char *s, size_t n)
{
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
    n--;
  while (n && (*s == ' ' || *s == '\t'))
    s++, n--;
  _cleanup_free_ char *raw = xstrndup(s, n);
  return str_escape_nonprintable(raw);
}

char *criu_first_error(const char *log, size_t len)
{
  const char *last = NULL;
  size_t last_len = 0;
  for (const char *p = log, *end = log + len; p < end;)
    {
      const char *nl = memchr(p, '\n', (size_t) (end - p));
      size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
      const char *e = memmem(p, n, "Error (", 7);
      if (e)
        {
          const char *close = memmem(e, n - (size_t) (e - p), "): ", 3);
          const char *msg = close ? close + 3 : e;
          return trimmed(msg, n - (size_t) (msg - p));
        }
      size_t k = n;
      while (k && (p[k - 1] == ' ' || p[k - 1] == '\t' || p[k - 1] == '\r'))
        k--;
      if (k)
        last = p, last_len = n;
      p += n + 1;
    }
  return last ? trimmed(last, last_len) : NULL;
}

/* ------------------------------------------------------------------ stdio record */

static bool is_pipe_key(const char *s, size_t n)
{
  if (n < 8 || memcmp(s, "pipe:[", 6) != 0 || s[n - 1] != ']' || n > 6 + 20 + 1)
    return false;
  for (size_t i = 6; i < n - 1; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

char *criu_stdio_record(const char *const links[3])
{
  const char *k[3];
  for (int i = 0; i < 3; i++)
    k[i] = links[i] && is_pipe_key(links[i], strlen(links[i])) ? links[i] : "-";
  return xasprintf("%s\n%s\n%s\n", k[0], k[1], k[2]);
}

void criu_stdio_parse(const char *text, size_t len, char *keys[3])
{
  const char *p = text, *end = text + len;
  for (int i = 0; i < 3; i++)
    {
      keys[i] = NULL;
      if (p >= end)
        continue;
      const char *nl = memchr(p, '\n', (size_t) (end - p));
      size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
      if (is_pipe_key(p, n))
        keys[i] = xstrndup(p, n);
      p += n + 1;
    }
}

/* ------------------------------------------------------------------ running criu */

static bool is_executable_file(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *criu_find(void)
{
  const char *path = getenv("PATH");
  if (path)
    {
      _cleanup_free_ char *copy = xstrdup(path);
      char *save = NULL;
      for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
        {
          if (dir[0] != '/')
            continue; /* never a relative PATH entry for a tool run as root */
          char *p = xasprintf("%s/criu", dir);
          if (is_executable_file(p))
            return p;
          free(p);
        }
    }
  static const char *const fallback[] = {"/usr/sbin/criu", "/sbin/criu", "/usr/local/sbin/criu", NULL};
  for (const char *const *p = fallback; *p; p++)
    if (is_executable_file(*p))
      return xstrdup(*p);
  return NULL;
}

#define CRIU_OUTPUT_MAX (256 * 1024)
#define CRIU_LOG_MAX (64 * 1024 * 1024)

static int spawn_criu(const char *exe, char **argv, const int *inherit, size_t n_inherit, int out_fd,
                      pid_t *child, berth_error_t *err)
{
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
  /* the callers' fds were moved above any target (criu_run), so one
   * dup2 never overwrites another's source */
  for (size_t i = 0; i < n_inherit; i++)
    if (inherit[i] >= 0)
      posix_spawn_file_actions_adddup2(&fa, inherit[i], 3 + (int) i);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  int r = posix_spawn(child, exe, &fa, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  if (r != 0)
    {
      errno = r;
      return berth_fail_sys(err, "run %s", exe);
    }
  return 0;
}

static char *log_error_of(const char *log_path, const char *output, size_t output_len)
{
  if (log_path)
    {
      _cleanup_free_ char *log = NULL;
      size_t len = 0;
      _cleanup_error_ berth_error_t ignored = NULL;
      if (read_file_at(AT_FDCWD, log_path, CRIU_LOG_MAX, &log, &len, &ignored) == 0)
        {
          char *e = criu_first_error(log, len);
          if (e)
            return e;
        }
    }
  return output ? criu_first_error(output, output_len) : NULL;
}

int criu_run(char **argv, const int *inherit, size_t n_inherit, const char *log_path, berth_error_t *err)
{
  _cleanup_free_ char *exe = criu_find();
  if (!exe)
    return berth_fail(err, ENOENT, "criu not found (PATH, /usr/sbin, /sbin): install CRIU");
  int moved[8];
  if (n_inherit > sizeof moved / sizeof moved[0])
    return berth_fail(err, EINVAL, "criu: too many fds to hand over");
  for (size_t i = 0; i < n_inherit; i++)
    moved[i] = inherit[i] >= 0 ? fcntl(inherit[i], F_DUPFD_CLOEXEC, 64) : -1;
  int pipefd[2] = {-1, -1};
  pid_t child = -1;
  int r = pipe2(pipefd, O_CLOEXEC) < 0 ? berth_fail_sys(err, "pipe for criu") : 0;
  if (r == 0)
    r = spawn_criu(exe, argv, moved, n_inherit, pipefd[1], &child, err);
  for (size_t i = 0; i < n_inherit; i++)
    if (moved[i] >= 0)
      close(moved[i]);
  if (pipefd[1] >= 0)
    close(pipefd[1]);
  _cleanup_close_ int rd = pipefd[0];
  if (r < 0)
    return -1;
  _cleanup_free_ char *output = NULL;
  size_t len = 0;
  _cleanup_error_ berth_error_t ignored = NULL;
  (void) read_all_fd(rd, CRIU_OUTPUT_MAX, &output, &len, &ignored);
  char sink[4096];
  while (read(rd, sink, sizeof sink) > 0) /* past the limit: let criu finish */
    ;
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR)
      return berth_fail_sys(err, "wait for criu");
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  _cleanup_free_ char *why = log_error_of(log_path, output, len);
  _cleanup_free_ char *how = WIFEXITED(status) ? xasprintf("exit status %d", WEXITSTATUS(status))
                                               : xasprintf("signal %d", WTERMSIG(status));
  return berth_fail(err, 0, "criu %s failed (%s): %s%s%s%s", argv[1], how, why ? why : "no message",
                    log_path ? " (log: " : "", log_path ? log_path : "", log_path ? ")" : "");
}

int criu_check(berth_error_t *err)
{
  char *argv[] = {(char *) "criu", (char *) "check", NULL};
  return criu_run(argv, NULL, 0, NULL, err);
}
