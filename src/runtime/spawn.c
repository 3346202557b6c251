/* The final steps of a container process (init and exec): see spawn.h. */
#include "runtime/spawn.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/signals.h"
#include "storage/procfs.h"
#include "util/log.h"
#include "util/util.h"

void spawn_reset_signals(void)
{
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      signal(s, SIG_DFL);
}

/* close [from, to] (to may be ~0U); false when close_range is missing */
static bool close_fd_range(unsigned from, unsigned to)
{
  if (from > to)
    return true;
  return syscall(SYS_close_range, from, to, 0) == 0;
}

static bool is_kept(int fd, const int *keep, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (keep[i] == fd)
      return true;
  return false;
}

/* kernels before 5.9: close what /proc/self/fd lists */
static int close_fds_by_listing(int first, const int *keep, size_t n_keep, berth_error_t *err)
{
  _cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
  if (!d)
    return berth_fail_sys(err, "list /proc/self/fd to close inherited fds");
  int own = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d)))
    {
      long long fd;
      if (parse_int64(e->d_name, &fd) < 0 || fd < first || fd == own || fd > INT32_MAX)
        continue;
      if (!is_kept((int) fd, keep, n_keep))
        close((int) fd);
    }
  return 0;
}

int spawn_close_fds(int preserve, int keep_fd, berth_error_t *err)
{
  int first = 3 + preserve;
  int keep[2] = {keep_fd, berth_log_fd()};
  if (keep[0] > keep[1])
    {
      int t = keep[0];
      keep[0] = keep[1];
      keep[1] = t;
    }
  bool ok = true;
  unsigned from = (unsigned) first;
  for (size_t i = 0; i < ARRAY_SIZE(keep) && ok; i++)
    {
      if (keep[i] < first || (i > 0 && keep[i] == keep[i - 1]))
        continue;
      ok = close_fd_range(from, (unsigned) keep[i] - 1);
      from = (unsigned) keep[i] + 1;
    }
  if (ok)
    ok = close_fd_range(from, ~0U);
  if (!ok && close_fds_by_listing(first, keep, ARRAY_SIZE(keep), err) < 0)
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE(keep); i++)
    if (keep[i] >= 0 && fcntl(keep[i], F_SETFD, FD_CLOEXEC) < 0)
      return berth_fail_sys(err, "mark fd %d close-on-exec", keep[i]);
  for (int fd = 3; fd < first; fd++)
    {
      int fl = fcntl(fd, F_GETFD);
      if (fl >= 0 && fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
        return berth_fail_sys(err, "keep preserved fd %d", fd);
    }
  return 0;
}

char **spawn_environment(const struct spec_process *p, int preserve, int listen_fds)
{
  size_t n = p->env ? strv_len(p->env) : 0;
  char **env = xcalloc(n + 1, sizeof *env);
  for (size_t i = 0; i < n; i++)
    env[i] = xstrdup(p->env[i]);
  if (preserve > 0)
    {
      _cleanup_free_ char *nfds = xasprintf("%d", listen_fds > 0 ? listen_fds : preserve);
      _cleanup_free_ char *pid = xasprintf("%d", (int) getpid());
      char **e1 = env_set(env, "LISTEN_FDS", nfds);
      strv_free(env);
      env = env_set(e1, "LISTEN_PID", pid);
      strv_free(e1);
    }
  const char *names = getenv("LISTEN_FDNAMES");
  if (preserve > 0 && listen_fds > 0 && names)
    {
      char **e1 = env_set(env, "LISTEN_FDNAMES", names);
      strv_free(env);
      env = e1;
    }
  return env;
}

/* The label the kernel gives the process at its next execve. This runs
 * after the identity switch and maybe under seccomp: no new procfs
 * instance, the container's /proc checked, and no mount the container
 * made over /proc/self/attr can take the write. */
static int write_exec_attr(const char *path, const char *text, const char *what, berth_error_t *err)
{
  _cleanup_close_ int proc = procfs_open(PROCFS_MOUNTED, err);
  if (proc < 0 || procfs_write(proc, path, text, strlen(text), err) < 0)
    return berth_wrap(err, "set %s", what);
  return 0;
}

static bool apparmor_has_own_attr_dir(void)
{
  _cleanup_error_ berth_error_t ignored = NULL;
  _cleanup_close_ int proc = procfs_open(PROCFS_MOUNTED, &ignored);
  return proc >= 0 && procfs_exists(proc, "self/attr/apparmor/exec");
}

int spawn_apply_lsm_labels(const struct spec_process *p, berth_error_t *err)
{
  if (p->apparmor_profile && *p->apparmor_profile)
    {
      _cleanup_free_ char *text = xasprintf("exec %s", p->apparmor_profile);
      _cleanup_free_ char *what = xasprintf("apparmor profile \"%s\"", p->apparmor_profile);
      const char *attr = apparmor_has_own_attr_dir() ? "self/attr/apparmor/exec" : "self/attr/exec";
      if (write_exec_attr(attr, text, what, err) < 0)
        return -1;
    }
  if (p->selinux_label && *p->selinux_label)
    {
      _cleanup_free_ char *what = xasprintf("selinux label \"%s\"", p->selinux_label);
      if (write_exec_attr("self/attr/exec", p->selinux_label, what, err) < 0)
        return -1;
    }
  return 0;
}

int spawn_exec(const char *exec_path, const struct spec_process *p, int preserve, int listen_fds, int keep_fd,
               spawn_before_execve_fn before_execve, void *data, berth_error_t *err)
{
  _cleanup_strv_ char **env = spawn_environment(p, preserve, listen_fds);
  if (spawn_apply_lsm_labels(p, err) < 0)
    return -1;
  if (spawn_close_fds(preserve, keep_fd, err) < 0)
    return -1;
  signal(SIGPIPE, SIG_DFL);
  if (before_execve && before_execve(data, err) < 0)
    return -1;
  execve(exec_path, p->args, env);
  return berth_fail_sys(err, "exec %s", exec_path);
}
