/* Test helper: seccomp_listener SOCKET OUTFILE ERRNO
 * A minimal seccomp agent (runtime-spec linux.seccomp.listenerPath):
 * listens on the unix socket SOCKET, accepts one connection, receives the
 * seccomp notify fd (SCM_RIGHTS) and the container process state JSON (up
 * to EOF), and writes to OUTFILE:
 *   listening                       once the socket is ready
 *   fds=<n received> state=<JSON>   after the connection
 *   notify nr=<syscall nr> pid=<pid>   for each notification
 * Each notification is answered with -ERRNO (ERRNO 0: let the syscall run,
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE). It exits when every process using the
 * filter is gone, or after 60 seconds. */
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define STATE_MAX (1 << 20)

static int listen_on(const char *path)
{
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return -1;
  strcpy(sa.sun_path, path);
  unlink(path);
  int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0 || bind(ls, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(ls, 1) < 0)
    return -1;
  return ls;
}

/* first message with the fd, then the rest of the JSON up to EOF */
static int receive_state(int c, char *buf, size_t cap, int *fd, int *n_fds)
{
  union
  {
    char b[CMSG_SPACE(4 * sizeof(int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = {.iov_base = buf, .iov_len = cap - 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.b,
                       .msg_controllen = sizeof control.b};
  ssize_t n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0)
    return -1;
  *fd = -1;
  *n_fds = 0;
  for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h))
    if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
      {
        *n_fds = (int) ((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(fd, CMSG_DATA(h), sizeof(int));
      }
  size_t len = (size_t) n;
  while (n > 0 && len < cap - 1)
    {
      n = read(c, buf + len, cap - 1 - len);
      if (n > 0)
        len += (size_t) n;
    }
  buf[len] = '\0';
  return 0;
}

static int answer(int nfd, int err, FILE *out)
{
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  memset(&req, 0, sizeof req);
  if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
    return errno == EINTR || errno == ENOENT ? 0 : -1;
  fprintf(out, "notify nr=%d pid=%u\n", req.data.nr, req.pid);
  fflush(out);
  memset(&resp, 0, sizeof resp);
  resp.id = req.id;
  if (err == 0)
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  else
    resp.error = -err;
  /* ENOENT: the task was gone before the answer */
  if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
    return -1;
  return 0;
}

int main(int argc, char **argv)
{
  if (argc != 4)
    {
      fprintf(stderr, "usage: seccomp_listener SOCKET OUTFILE ERRNO\n");
      return 2;
    }
  int err = atoi(argv[3]);
  alarm(60);
  int ls = listen_on(argv[1]);
  if (ls < 0)
    {
      perror("seccomp_listener: listen");
      return 1;
    }
  FILE *out = fopen(argv[2], "w");
  if (!out)
    return 1;
  fprintf(out, "listening\n");
  fflush(out);
  int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
  if (c < 0)
    return 1;
  char *buf = malloc(STATE_MAX);
  int nfd, n_fds;
  if (!buf || receive_state(c, buf, STATE_MAX, &nfd, &n_fds) < 0)
    return 1;
  close(c);
  fprintf(out, "fds=%d state=%s\n", n_fds, buf);
  fflush(out);
  if (nfd < 0)
    return 1;
  for (;;)
    {
      struct pollfd p = {.fd = nfd, .events = POLLIN};
      if (poll(&p, 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return 1;
        }
      if (p.revents & POLLIN)
        {
          if (answer(nfd, err, out) < 0)
            return 1;
          continue;
        }
      if (p.revents & (POLLHUP | POLLERR))
        break;
    }
  fprintf(out, "done\n");
  return 0;
}
