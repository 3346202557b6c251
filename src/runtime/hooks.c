#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/hookguard.h"
#include "runtime/interrupt.h"
#include "runtime/signals.h"
#include "util/log.h"
#include "util/util.h"

#define HOOK_OUTPUT_MAX 4096

static char **strv_copy(char *const *v)
{
  size_t n = v ? strv_len(v) : 0;
  char **out = xcalloc(n + 1, sizeof *out);
  for (size_t i = 0; i < n; i++)
    out[i] = xstrdup(v[i]);
  return out;
}

char **hook_build_argv(const struct spec_hook *h)
{
  if (h->args && h->args[0])
    return strv_copy(h->args);
  char **out = xcalloc(2, sizeof *out);
  out[0] = xstrdup(h->path);
  return out;
}

char **hook_build_env(const struct spec_hook *h, char *const *inherited)
{
  return strv_copy(h->env ? h->env : inherited);
}

static int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static __attribute__((noreturn)) void hook_child(int in_fd, int out_fd, const char *path, char **argv,
                                                 char **envp)
{
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
    _exit(127);
  /* nothing of berth's (or of whoever started berth) reaches the hook */
  if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
    {
      long max = sysconf(_SC_OPEN_MAX);
      for (long fd = 3; fd < (max > 0 ? max : 65536); fd++)
        close((int) fd);
    }
  execve(path, argv, envp);
  dprintf(2, "exec %s: %s", path, strerror(errno));
  _exit(127);
}

struct hook_io
{
  int in_fd;  /* write end of the hook's stdin, -1 once done */
  int out_fd; /* read end of its stdout+stderr */
  const char *json;
  size_t json_len, json_off;
  char out[HOOK_OUTPUT_MAX + 1];
  size_t out_len;
};

static void hook_drain_output(struct hook_io *io)
{
  for (;;)
    {
      char buf[1024];
      ssize_t r = read(io->out_fd, buf, sizeof buf);
      if (r <= 0)
        return;
      size_t take = (size_t) r;
      if (take > HOOK_OUTPUT_MAX - io->out_len)
        take = HOOK_OUTPUT_MAX - io->out_len;
      memcpy(io->out + io->out_len, buf, take);
      io->out_len += take;
    }
}

static void hook_feed_stdin(struct hook_io *io)
{
  while (io->in_fd >= 0 && io->json_off < io->json_len)
    {
      ssize_t w = write(io->in_fd, io->json + io->json_off, io->json_len - io->json_off);
      if (w < 0 && errno == EAGAIN)
        return;
      if (w <= 0) /* EPIPE: the hook does not read its stdin; fine */
        break;
      io->json_off += (size_t) w;
    }
  if (io->in_fd >= 0)
    {
      close(io->in_fd);
      io->in_fd = -1;
    }
}

/* Wait for the hook, feeding its stdin and collecting its output. Returns
 * 0 with *status, or -ETIME on timeout (the hook is killed and reaped). */
static int hook_wait(pid_t pid, struct hook_io *io, int64_t timeout_s, int *status)
{
  _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
  int64_t deadline = timeout_s > 0 ? now_ms() + timeout_s * 1000 : -1;
  for (;;)
    {
      hook_feed_stdin(io);
      hook_drain_output(io);
      pid_t r = waitpid(pid, status, WNOHANG);
      if (r == pid)
        {
          hook_drain_output(io);
          return 0;
        }
      int wait_ms = pidfd >= 0 ? 1000 : 10;
      if (deadline >= 0)
        {
          int64_t left = deadline - now_ms();
          if (left <= 0)
            {
              kill(pid, SIGTERM); /* the guard kills the hook and all it started */
              while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
              return -ETIME;
            }
          if (left < wait_ms)
            wait_ms = (int) left;
        }
      struct pollfd p[3];
      nfds_t n = 0;
      if (pidfd >= 0)
        p[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
      if (io->out_fd >= 0)
        p[n++] = (struct pollfd){.fd = io->out_fd, .events = POLLIN};
      if (io->in_fd >= 0)
        p[n++] = (struct pollfd){.fd = io->in_fd, .events = POLLOUT};
      if (poll(p, n, wait_ms) < 0 && errno != EINTR)
        return -errno;
      /* output EOF with the hook still alive: stop polling it */
      for (nfds_t i = 0; i < n; i++)
        if (p[i].fd == io->out_fd && (p[i].revents & POLLHUP) && !(p[i].revents & POLLIN))
          {
            close(io->out_fd);
            io->out_fd = -1;
          }
    }
}

static void trim_trailing_space(char *s, size_t *len)
{
  while (*len > 0 && (s[*len - 1] == '\n' || s[*len - 1] == ' ' || s[*len - 1] == '\r'))
    (*len)--;
  s[*len] = '\0';
}

static int hook_run_one(const struct spec_hook *h, const char *stage, const char *json, size_t len,
                        berth_error_t *err)
{
  _cleanup_strv_ char **argv = hook_build_argv(h);
  _cleanup_strv_ char **envp = hook_build_env(h, environ);
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) < 0)
    return berth_fail_sys(err, "%s hook %s: pipe", stage, h->path);
  if (pipe2(out, O_CLOEXEC) < 0)
    {
      int saved = errno;
      close(in[0]), close(in[1]);
      return berth_fail(err, saved, "%s hook %s: pipe", stage, h->path);
    }
  pid_t berth_pid = getpid();
  pid_t pid = fork();
  if (pid == 0)
    {
      hook_guard_fork(berth_pid);
      hook_child(in[0], out[1], h->path, argv, envp);
    }
  int fork_errno = errno;
  close(in[0]);
  close(out[1]);
  struct hook_io io = {.in_fd = in[1], .out_fd = out[0], .json = json, .json_len = len};
  if (pid < 0)
    {
      close(in[1]), close(out[0]);
      return berth_fail(err, fork_errno, "%s hook %s: fork", stage, h->path);
    }
  fcntl(io.in_fd, F_SETFL, O_NONBLOCK);
  fcntl(io.out_fd, F_SETFL, O_NONBLOCK);
  int status = 0;
  interrupt_watch(pid, SIGTERM); /* the guard's SIGTERM: the hook and all it started */
  int r = hook_wait(pid, &io, h->timeout.set ? h->timeout.value : 0, &status);
  interrupt_unwatch(pid);
  if (io.in_fd >= 0)
    close(io.in_fd);
  if (io.out_fd >= 0)
    close(io.out_fd);
  trim_trailing_space(io.out, &io.out_len);
  const char *sep = io.out_len ? ": " : "";
  if (r == -ETIME)
    return berth_fail(err, 0, "%s hook %s timed out after %lld s%s%s", stage, h->path,
                      (long long) h->timeout.value, sep, io.out);
  if (r < 0)
    return berth_fail(err, -r, "%s hook %s: wait", stage, h->path);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  if (WIFSIGNALED(status))
    {
      const char *name = signal_name(WTERMSIG(status));
      return berth_fail(err, 0, "%s hook %s killed by %s%s%s", stage, h->path, name ? name : "a signal",
                        sep, io.out);
    }
  return berth_fail(err, 0, "%s hook %s exited with status %d%s%s", stage, h->path,
                    WEXITSTATUS(status), sep, io.out);
}

int hooks_run(const struct spec_hook_list *list, const char *stage, const char *state_json,
              size_t state_len, bool warn_only, berth_error_t *err)
{
  if (list == NULL || list->n == 0)
    return 0;
  struct sigaction ign = {.sa_handler = SIG_IGN}, old;
  sigemptyset(&ign.sa_mask);
  sigaction(SIGPIPE, &ign, &old);
  int ret = 0;
  for (size_t i = 0; i < list->n; i++)
    {
      _cleanup_error_ berth_error_t hook_err = NULL;
      int r = hook_run_one(&list->hooks[i], stage, state_json, state_len, &hook_err);
      berth_log_debug("%s hook %zu %s: %s", stage, i, list->hooks[i].path,
                      r == 0 ? "exited with status 0" : berth_error_msg(hook_err));
      if (r == 0)
        continue;
      if (warn_only)
        {
          berth_log_warning("%s", berth_error_msg(hook_err));
          continue;
        }
      *err = steal_pointer(&hook_err);
      ret = -1;
      break;
    }
  sigaction(SIGPIPE, &old, NULL);
  return ret;
}
