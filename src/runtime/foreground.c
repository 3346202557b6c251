/* The foreground wait of run and exec: see foreground.h. */
#include "runtime/foreground.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/container.h"
#include "runtime/notify.h"
#include "runtime/signals.h"
#include "util/log.h"
#include "util/util.h"

static const int forwarded_signals[] = {SIGHUP, SIGINT,  SIGQUIT, SIGTERM, SIGUSR1,
                                        SIGUSR2, SIGWINCH, SIGALRM, SIGCONT};

int foreground_recv_master(int sock, berth_error_t *err)
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

void foreground_signal_mask(sigset_t *mask)
{
  sigemptyset(mask);
  for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
    sigaddset(mask, forwarded_signals[i]);
  sigaddset(mask, SIGCHLD);
}

void foreground_block_signals(sigset_t *mask)
{
  foreground_signal_mask(mask);
  sigprocmask(SIG_BLOCK, mask, NULL);
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

/* A datagram on the notify socket: relay READY=1; the socket is done
 * with once READY=1 went out or relaying failed (a warning only: the
 * container runs on). */
static void relay_notify(int *notify_fd, pid_t pid)
{
  _cleanup_error_ berth_error_t e = NULL;
  int r = notify_relay_message(*notify_fd, pid, &e);
  if (r < 0)
    berth_log_warning("%s", berth_error_msg(e));
  if (r != 0)
    *notify_fd = -1;
}

/* What the container sent before it exited (the loop may reap it first) */
static void drain_notify(int *notify_fd, pid_t pid)
{
  struct pollfd p = {.fd = *notify_fd, .events = POLLIN};
  while (*notify_fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN))
    relay_notify(notify_fd, pid);
}

int foreground_wait(pid_t pid, int pidfd, const sigset_t *mask, int master, berth_error_t *err)
{
  return foreground_wait_notify(pid, pidfd, mask, master, -1, err);
}

int foreground_wait_notify(pid_t pid, int pidfd, const sigset_t *mask, int master, int notify_fd,
                           berth_error_t *err)
{
  return foreground_wait_watch(pid, pidfd, mask, master, notify_fd, NULL, err);
}

int foreground_wait_watch(pid_t pid, int pidfd, const sigset_t *mask, int master, int notify_fd,
                          struct foreground_watch *watch, berth_error_t *err)
{
  _cleanup_close_ int sfd = signalfd(-1, mask, SFD_CLOEXEC);
  if (sfd < 0)
    return berth_fail_sys(err, "signalfd");
  struct tty_copy t = {.master = master};
  int status = 0;
  tty_start(&t);
  while (!reap(pid, &status))
    {
      struct pollfd p[5] = {{.fd = sfd, .events = POLLIN},
                            {.fd = t.master_open ? t.master : -1, .events = POLLIN},
                            {.fd = t.master >= 0 && t.stdin_open ? 0 : -1, .events = POLLIN},
                            {.fd = notify_fd, .events = POLLIN},
                            {.fd = watch ? watch->fd : -1, .events = POLLIN}};
      if (poll(p, ARRAY_SIZE(p), -1) < 0)
        {
          if (errno == EINTR)
            continue;
          tty_stop(&t);
          return berth_fail_sys(err, "poll");
        }
      /* EIO once every slave fd is closed: the process is exiting */
      if (t.master_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) && !copy_once(t.master, 1))
        t.master_open = false;
      if (t.master >= 0 && (p[2].revents & (POLLIN | POLLHUP)) && !copy_once(0, t.master))
        t.stdin_open = false;
      if (notify_fd >= 0 && (p[3].revents & POLLIN))
        relay_notify(&notify_fd, pid);
      if (watch && (p[4].revents & POLLIN))
        watch->on_fd(watch->data);
      if (!(p[0].revents & POLLIN))
        continue;
      struct signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) != sizeof si)
        continue;
      if (si.ssi_signo == SIGCHLD)
        continue;
      if (watch && watch->on_signal && watch->on_signal(watch->data, (int) si.ssi_signo))
        continue;
      if (si.ssi_signo == SIGWINCH && t.master >= 0)
        tty_resize(&t);
      else
        send_signal(pidfd, pid, (int) si.ssi_signo);
    }
  drain_master(&t);
  drain_notify(&notify_fd, pid);
  tty_stop(&t);
  if (watch)
    watch->raw_status = status;
  return wait_status_to_exit_code(status);
}
