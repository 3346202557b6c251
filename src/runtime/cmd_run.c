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
#include "runtime/signals.h"
#include "util/log.h"
#include "util/util.h"

static const int forwarded_signals[] = {SIGHUP, SIGINT,  SIGQUIT, SIGTERM, SIGUSR1,
                                        SIGUSR2, SIGWINCH, SIGALRM, SIGCONT};

static int recv_master(int sock, berth_error_t *err)
{
  char data[64];
  union
  {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = {data, sizeof data};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  ssize_t r;
  do
    r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return berth_fail_sys(err, "receive the pty master");
  struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
  if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
    return berth_fail(err, EPROTO, "receive the pty master: no fd in the message");
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof fd);
  return fd;
}

struct tty_copy
{
  int master;
  bool master_open;
  bool stdin_open;
  bool raw;
  struct termios saved;
};

static void tty_resize(struct tty_copy *t)
{
  struct winsize ws;
  if (t->master >= 0 && ioctl(0, TIOCGWINSZ, &ws) == 0)
    ioctl(t->master, TIOCSWINSZ, &ws);
}

static void tty_start(struct tty_copy *t)
{
  if (t->master < 0)
    return;
  t->stdin_open = true;
  t->master_open = true;
  if (isatty(0) && tcgetattr(0, &t->saved) == 0)
    {
      struct termios raw = t->saved;
      cfmakeraw(&raw);
      if (tcsetattr(0, TCSANOW, &raw) == 0)
        t->raw = true;
      tty_resize(t);
    }
}

static void tty_stop(struct tty_copy *t)
{
  if (t->raw)
    tcsetattr(0, TCSANOW, &t->saved);
}

/* false on EOF/error of the source */
static bool copy_once(int from, int to)
{
  char buf[8192];
  ssize_t r = read(from, buf, sizeof buf);
  if (r < 0 && (errno == EAGAIN || errno == EINTR))
    return true;
  if (r <= 0)
    return false;
  return write_all(to, buf, (size_t) r) == 0;
}

static void drain_master(struct tty_copy *t)
{
  if (!t->master_open)
    return;
  fcntl(t->master, F_SETFL, O_NONBLOCK);
  while (copy_once(t->master, 1))
    {
      struct pollfd p = {.fd = t->master, .events = POLLIN};
      if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
        break;
    }
}

/* Reap children; true (with *status) once the init is gone. */
static bool reap(pid_t init, int *status)
{
  bool done = false;
  int st;
  pid_t p;
  while ((p = waitpid(-1, &st, WNOHANG)) > 0)
    if (p == init)
      {
        *status = st;
        done = true;
      }
  return done;
}

static int foreground_wait(struct lifecycle *l, const sigset_t *mask, struct tty_copy *t, berth_error_t *err)
{
  _cleanup_close_ int sfd = signalfd(-1, mask, SFD_CLOEXEC);
  if (sfd < 0)
    return berth_fail_sys(err, "signalfd");
  int status = 0;
  tty_start(t);
  while (!reap(l->pid, &status))
    {
      struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
                            {.fd = t->master_open ? t->master : -1, .events = POLLIN},
                            {.fd = t->stdin_open ? 0 : -1, .events = POLLIN}};
      if (poll(p, t->master >= 0 ? 3 : 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          tty_stop(t);
          return berth_fail_sys(err, "poll");
        }
      /* EIO once every slave fd is closed: the container is exiting */
      if (t->master_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) && !copy_once(t->master, 1))
        t->master_open = false;
      if (t->master >= 0 && (p[2].revents & (POLLIN | POLLHUP)) && !copy_once(0, t->master))
        t->stdin_open = false;
      if (!(p[0].revents & POLLIN))
        continue;
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) != sizeof si)
        continue;
      if (si.ssi_signo == SIGCHLD)
        continue;
      if (si.ssi_signo == SIGWINCH && t->master >= 0)
        tty_resize(t);
      else
        lifecycle_signal(l, (int) si.ssi_signo);
    }
  drain_master(t);
  tty_stop(t);
  l->pid = 0; /* reaped: never signal that number again */
  return wait_status_to_exit_code(status);
}

int cmd_run(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  const char *bundle = NULL, *pid_file = NULL, *console_socket = NULL, *config = NULL;
  bool no_pivot = false, no_new_keyring = false, detach = false, keep = false;
  long long preserve_fds = 0;
  const struct cli_option opts[] = {
    {"bundle", 'b', CLI_STRING, &bundle, "DIR", "the bundle directory (default: the current directory)"},
    {"config", 0, CLI_STRING, &config, "FILE", "the config file (default: BUNDLE/config.json)"},
    {"detach", 'd', CLI_BOOL, &detach, NULL, "return once the container runs"},
    {"keep", 0, CLI_BOOL, &keep, NULL, "do not delete the container when it exits"},
    {"pid-file", 0, CLI_STRING, &pid_file, "FILE", "write the container process's pid to FILE"},
    {"console-socket", 0, CLI_STRING, &console_socket, "PATH",
     "unix socket that receives the pty master when process.terminal is set"},
    {"no-pivot", 0, CLI_BOOL, &no_pivot, NULL, "use MS_MOVE + chroot instead of pivot_root"},
    {"no-new-keyring", 0, CLI_BOOL, &no_new_keyring, NULL, "keep the caller's session keyring"},
    {"preserve-fds", 0, CLI_INT, &preserve_fds, "N", "pass fds 3..3+N-1 to the container"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  bool help;
  _cleanup_free_ char **pos = NULL;
  int npos;
  if (cli_parse(argc, argv, opts, false, &help, &pos, &npos, err) < 0)
    return -1;
  if (help)
    {
      cli_print_help("run", "[options] ID",
                     "Create and start container ID. Without --detach, wait for it, forward\n"
                     "signals to it, exit with its status (128+N when killed by signal N) and\n"
                     "delete it unless --keep.",
                     opts);
      return 0;
    }
  if (npos != 1)
    return berth_fail(err, 0, "expected exactly one container ID, got %d arguments", npos);
  if (preserve_fds < 0 || preserve_fds > 65536)
    return berth_fail(err, 0, "invalid --preserve-fds %lld", preserve_fds);

  sigset_t mask, old;
  sigemptyset(&mask);
  if (!detach)
    {
      /* orphans of a container without its own pid namespace come to us */
      prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
      for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
        sigaddset(&mask, forwarded_signals[i]);
      sigaddset(&mask, SIGCHLD);
      sigprocmask(SIG_BLOCK, &mask, &old);
    }
  struct create_options o = {
    .bundle = bundle,
    .config_path = config,
    .pid_file = pid_file,
    .console_socket = console_socket,
    .no_pivot = no_pivot,
    .no_new_keyring = no_new_keyring,
    .preserve_fds = (int) preserve_fds,
    .detached = detach,
    .foreground_tty = !detach && !console_socket,
  };
  struct lifecycle *l = NULL;
  if (lifecycle_create(g, pos[0], &o, &l, err) < 0)
    return -1;
  struct tty_copy t = {.master = -1};
  if (l->console_recv >= 0)
    {
      l->console_master = recv_master(l->console_recv, err);
      if (l->console_master < 0)
        {
          _cleanup_error_ berth_error_t e2 = NULL;
          lifecycle_destroy(l, &e2);
          return -1;
        }
      t.master = l->console_master;
    }
  if (lifecycle_start(l, err) < 0)
    {
      _cleanup_error_ berth_error_t e2 = NULL;
      if (lifecycle_destroy(l, &e2) < 0)
        berth_log_warning("%s", berth_error_msg(e2));
      return -1;
    }
  if (detach)
    {
      lifecycle_free(l);
      return 0;
    }
  lifecycle_unlock(l);
  int code = foreground_wait(l, &mask, &t, err);
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
