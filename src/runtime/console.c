/* process.terminal: a pty from the container's devpts, the slave as the
 * controlling terminal, fds 0/1/2 and /dev/console, the master handed to
 * the caller over --console-socket. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/init.h"
#include "storage/storage.h"
#include "util/log.h"
#include "util/util.h"

static int open_slave(int master, berth_error_t *err)
{
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave >= 0)
    return slave;
  if (errno != EINVAL && errno != ENOTTY)
    return berth_fail_sys(err, "open the pty slave");
  /* kernels before 4.13: by name, in the container's /dev/pts */
  int n;
  if (ioctl(master, TIOCGPTN, &n) < 0)
    return berth_fail_sys(err, "get the pty number");
  _cleanup_free_ char *name = xasprintf("/dev/pts/%d", n);
  slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return berth_fail_sys(err, "open %s", name);
  return slave;
}

/* The process's user owns its terminal, as with runc (else a shell run as
 * that user cannot fully use it); the group stays devpts' own (gid=5, tty).
 * Only the pty berth made is changed, never an fd of the caller's. A uid
 * or an owner that this user namespace does not map leaves it as it is. */
static int give_slave_to_user(int slave, uid_t uid, berth_error_t *err)
{
  if (fchown(slave, uid, (gid_t) -1) == 0)
    return 0;
  if (errno == EINVAL || errno == EPERM)
    {
      berth_log_debug("the pty stays with its owner: chown to uid %u: %s", (unsigned) uid, strerror(errno));
      return 0;
    }
  return berth_fail_sys(err, "chown the pty to uid %u", (unsigned) uid);
}

static int bind_dev_console(int slave, berth_error_t *err)
{
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return berth_fail_sys(err, "open /");
  _cleanup_close_ int target = storage_create_target(root, "/dev/console", false, err);
  if (target < 0)
    return berth_wrap(err, "/dev/console");
  if (storage_bind(NULL, slave, root, "/dev/console", false, 0, err) < 0)
    return berth_wrap(err, "bind the pty on /dev/console");
  return 0;
}

static int send_master(int socket_fd, int master, const char *name, berth_error_t *err)
{
  union
  {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  /* the payload (the pty name) must not be empty: containerd and conmon
   * treat a zero-length message as a closed socket */
  struct iovec iov = { .iov_base = (void *) name, .iov_len = strlen(name) };
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control.buf,
    .msg_controllen = sizeof control.buf,
  };
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &master, sizeof(int));
  ssize_t n;
  do
    n = sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return berth_fail_sys(err, "send the pty master over the console socket");
  return 0;
}

int console_setup(const struct spec_process *p, int socket_fd, bool mount_dev_console,
                  berth_error_t *err)
{
  _cleanup_close_ int sock = socket_fd;
  _cleanup_close_ int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    return berth_fail_sys(err, "open /dev/pts/ptmx (is devpts mounted on /dev/pts?)");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
    return berth_fail_sys(err, "unlock the pty");
  _cleanup_close_ int slave = open_slave(master, err);
  if (slave < 0)
    return berth_error_ret(*err);
  if (give_slave_to_user(slave, p->user.uid, err) < 0)
    return -1;
  int n = -1;
  _cleanup_free_ char *name = ioctl(master, TIOCGPTN, &n) == 0 ? xasprintf("/dev/pts/%d", n)
                                                                : xstrdup("/dev/pts/ptmx");

  if (p->console_size)
    {
      struct winsize ws = { .ws_row = (unsigned short) p->console_size->height,
                            .ws_col = (unsigned short) p->console_size->width };
      if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
        return berth_fail_sys(err, "set .process.consoleSize");
    }
  if (mount_dev_console && bind_dev_console(slave, err) < 0)
    return berth_error_ret(*err);

  if (setsid() < 0 && errno != EPERM)
    return berth_fail_sys(err, "setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0)
    return berth_fail_sys(err, "make the pty the controlling terminal");
  for (int fd = 0; fd <= 2; fd++)
    if (dup2(slave, fd) < 0)
      return berth_fail_sys(err, "dup the pty to fd %d", fd);
  if (slave <= 2)
    steal_fd(&slave); /* it is one of the stdio fds now */

  if (socket_fd >= 0 && send_master(socket_fd, master, name, err) < 0)
    return berth_error_ret(*err);
  return 0;
}
