/* Test helper: recvtty SOCKET OUTFILE
 * Listens on a unix socket like containerd's shim does for
 * --console-socket, accepts one connection, receives one SCM_RIGHTS fd
 * (the pty master) and writes "payload=<N> fds=<N>" to OUTFILE, then
 * copies the master's output to OUTFILE until EOF/EIO. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  if (argc != 3)
    {
      fprintf(stderr, "usage: recvtty SOCKET OUTFILE\n");
      return 2;
    }
  int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
  unlink(argv[1]);
  if (ls < 0 || bind(ls, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(ls, 1) < 0)
    {
      perror("recvtty: listen");
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
  char data[256];
  union
  {
    char buf[CMSG_SPACE(sizeof(int) * 4)];
    struct cmsghdr align;
  } u;
  struct iovec iov = {data, sizeof data};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
  ssize_t r = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
  int nfds = 0, master = -1;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      {
        nfds += (int) ((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(&master, CMSG_DATA(cm), sizeof master);
      }
  fprintf(out, "payload=%zd fds=%d\n", r, nfds);
  fflush(out);
  if (master < 0)
    return 1;
  char buf[4096];
  ssize_t n;
  while ((n = read(master, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      {
        fwrite(buf, 1, (size_t) n, out);
        fflush(out);
      }
  return 0;
}
