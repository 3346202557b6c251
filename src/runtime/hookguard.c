/* See hookguard.h. Runs between fork and exec: no allocation, no stdio. */
#include "runtime/hookguard.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* SIGKILL every pid listed in /proc/self/task/TID/children (the guard is
 * single-threaded: its own tid). Returns how many were listed. */
static int kill_listed_children(void)
{
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/children", (int) getpid());
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  char buf[4096];
  int n = 0;
  ssize_t r;
  long pid = 0;
  bool in_num = false;
  /* a read may end inside a number: keep the partial value across reads */
  while ((r = read(fd, buf, sizeof buf)) > 0)
    for (ssize_t i = 0; i < r; i++)
      {
        if (buf[i] >= '0' && buf[i] <= '9')
          {
            pid = pid * 10 + (buf[i] - '0');
            in_num = true;
            continue;
          }
        if (in_num && pid > 0)
          {
            kill((pid_t) pid, SIGKILL);
            n++;
          }
        pid = 0;
        in_num = false;
      }
  if (in_num && pid > 0)
    {
      kill((pid_t) pid, SIGKILL);
      n++;
    }
  close(fd);
  return n;
}

static __attribute__((noreturn)) void kill_everything(pid_t hook)
{
  for (;;)
    {
      kill(-hook, SIGKILL);
      kill_listed_children();
      pid_t p = waitpid(-1, NULL, 0);
      if (p < 0 && errno == ECHILD)
        _exit(128 + SIGKILL);
    }
}

/* End the guard the way the hook ended, so that berth reports the hook's
 * own status. */
static __attribute__((noreturn)) void mirror_status(int status)
{
  if (WIFSIGNALED(status))
    {
      int sig = WTERMSIG(status);
      struct rlimit no_core = {0, 0};
      setrlimit(RLIMIT_CORE, &no_core);
      signal(sig, SIG_DFL);
      sigset_t only;
      sigemptyset(&only);
      sigaddset(&only, sig);
      sigprocmask(SIG_UNBLOCK, &only, NULL);
      raise(sig);
      _exit(128 + sig);
    }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 255);
}

void hook_guard_fork(pid_t berth_pid)
{
  sigset_t all, waited;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  sigemptyset(&waited);
  sigaddset(&waited, SIGCHLD);
  sigaddset(&waited, SIGTERM);
  /* SIGTERM when berth dies; checked once more after setting it, as berth
   * may already be gone */
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != berth_pid)
    _exit(127);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
    _exit(127);
  pid_t guard = getpid();
  pid_t hook = fork();
  if (hook < 0)
    _exit(127);
  if (hook == 0)
    {
      if (setpgid(0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != guard)
        _exit(127);
      return;
    }
  setpgid(hook, hook); /* also here: no window where a kill of the group misses it */
  /* berth's fds are not the guard's business: the hook's stdin pipe must
   * see EOF once berth closes its end, and no lock may outlive berth */
  if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
    for (int fd = 3; fd < 1024; fd++)
      close(fd);
  for (;;)
    {
      siginfo_t si;
      if (sigwaitinfo(&waited, &si) < 0)
        {
          if (errno == EINTR)
            continue;
          /* refused (a seccomp filter, say): plain wait, as a hook had before */
          int status;
          while (waitpid(hook, &status, 0) < 0)
            if (errno != EINTR)
              _exit(127);
          mirror_status(status);
        }
      if (si.si_signo == SIGTERM)
        kill_everything(hook);
      int status;
      pid_t p;
      while ((p = waitpid(-1, &status, WNOHANG)) > 0)
        if (p == hook)
          mirror_status(status);
    }
}
