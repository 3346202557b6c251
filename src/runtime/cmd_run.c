/* berth run: create + start in one process. Without --detach berth stays
 * the init's parent: it is a subreaper for the container's orphans,
 * forwards signals, copies a terminal when there is one, exits with the
 * container's status and deletes it (unless --keep). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/cli.h"
#include "runtime/container.h"
#include "runtime/foreground.h"
#include "runtime/interrupt.h"
#include "runtime/signals.h"
#include "util/log.h"
#include "util/util.h"

/* run --detach once the container runs: the default dispositions, as before create */
static void unblock_interrupt_signals(void)
{
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int cmd_run(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  struct create_options o = {0};
  bool detach = false, keep = false;
  long long preserve_fds = 0;
  const struct cli_option opts[] = {
    CREATE_CLI_OPTIONS(&o, &preserve_fds),
    {"detach", 'd', CLI_BOOL, &detach, NULL, "return once the container runs"},
    {"keep", 0, CLI_BOOL, &keep, NULL, "do not delete the container when it exits"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  static const struct cli_usage usage = {
    "run", "[options] ID",
    "Create and start container ID. Without --detach, wait for it, forward\n"
    "signals to it, exit with its status (128+N when killed by signal N) and\n"
    "delete it unless --keep.",
    1, 1, "exactly one container ID", false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;
  if (create_options_set_preserve_fds(&o, preserve_fds, err) < 0)
    return -1;

  sigset_t mask;
  sigemptyset(&mask);
  if (!detach)
    {
      /* orphans of a container without its own pid namespace come to us */
      prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
      foreground_block_signals(&mask);
    }
  /* until the container's program runs, SIGINT/SIGTERM/SIGHUP abort (interrupt.h) */
  interrupt_arm();
  o.detached = detach;
  o.foreground_tty = !detach && !o.console_socket;
  struct lifecycle *l = NULL;
  if (lifecycle_create(g, pos[0], &o, &l, err) < 0)
    {
      interrupt_disarm();
      return -1;
    }
  interrupt_watch(l->pid, SIGKILL);
  if (interrupt_check(err) < 0)
    {
      interrupt_disarm();
      _cleanup_error_ berth_error_t e2 = NULL;
      if (lifecycle_destroy(l, &e2) < 0)
        berth_log_warning("%s", berth_error_msg(e2));
      return -1;
    }
  if (l->console_recv >= 0)
    {
      l->console_master = foreground_recv_master(l->console_recv, err);
      if (l->console_master < 0)
        {
          _cleanup_error_ berth_error_t e2 = NULL;
          lifecycle_destroy(l, &e2);
          return -1;
        }
    }
  int started = lifecycle_start(l, err);
  /* from here on the container's program runs: signals are forwarded */
  interrupt_unwatch(l->pid);
  interrupt_disarm();
  if (!detach)
    foreground_block_signals(&mask);
  else
    unblock_interrupt_signals();
  if (started < 0 || interrupt_signal())
    {
      if (interrupt_signal())
        {
          berth_error_free(err);
          interrupt_check(err);
        }
      _cleanup_error_ berth_error_t e2 = NULL;
      if (lifecycle_destroy(l, &e2) < 0)
        berth_log_warning("%s", berth_error_msg(e2));
      return -1;
    }
  if (detach)
    {
      int r = lifecycle_wait_notify(l, err);
      lifecycle_free(l);
      return r;
    }
  lifecycle_unlock(l);
  int code = foreground_wait_notify(l->pid, l->pidfd, &mask, l->console_master, l->notify_fd, err);
  l->pid = 0; /* reaped: never signal that number again */
  if (code < 0)
    {
      lifecycle_free(l);
      return -1;
    }
  if (keep)
    {
      lifecycle_free(l);
      return code;
    }
  _cleanup_error_ berth_error_t e2 = NULL;
  if (lifecycle_relock(g, l, &e2) < 0)
    {
      /* someone deleted it meanwhile: nothing left to do */
      lifecycle_free(l);
      return code;
    }
  if (lifecycle_destroy(l, err) < 0)
    return -1;
  return code;
}
