/* The namespace gate (see nsgate.h). */
#include "runtime/nsgate.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "util/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#define GATE_BACKLOG 16
#define GATE_STACK (128u << 10)
#define GATE_RECV_TIMEOUT_S 10

const struct ns_kind_info ns_kinds[NS_KINDS] = {
  [NS_KIND_USER] = {"user", CLONE_NEWUSER}, [NS_KIND_MNT] = {"mnt", CLONE_NEWNS},
  [NS_KIND_PID] = {"pid", CLONE_NEWPID},    [NS_KIND_NET] = {"net", CLONE_NEWNET},
  [NS_KIND_IPC] = {"ipc", CLONE_NEWIPC},    [NS_KIND_UTS] = {"uts", CLONE_NEWUTS},
  [NS_KIND_CGROUP] = {"cgroup", CLONE_NEWCGROUP}, [NS_KIND_TIME] = {"time", CLONE_NEWTIME},
};

/* through our fd of the directory: the state dir's path may be longer
 * than sun_path allows */
static int gate_address(int dir_fd, struct sockaddr_un *sa, berth_error_t *err)
{
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  int n = snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/%s", dir_fd, NSGATE_SOCKET);
  if (n < 0 || (size_t) n >= sizeof sa->sun_path)
    return berth_fail(err, ENAMETOOLONG, "%s", NSGATE_SOCKET);
  return 0;
}

int nsgate_bind(int dir_fd, const char *dir, berth_error_t *err)
{
  _cleanup_close_ int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return berth_fail_sys(err, "namespace gate: socket");
  struct sockaddr_un sa;
  if (gate_address(dir_fd, &sa, err) < 0)
    return -1;
  if (bind(sock, (struct sockaddr *) &sa, sizeof sa) < 0)
    return berth_fail_sys(err, "namespace gate: bind %s/%s", dir, NSGATE_SOCKET);
  /* connect needs write permission: the owner's only (the directory is
   * the owner's only already) */
  if (fchmodat(dir_fd, NSGATE_SOCKET, 0600, 0) < 0)
    return berth_fail_sys(err, "namespace gate: chmod %s/%s", dir, NSGATE_SOCKET);
  return steal_fd(&sock);
}

/* ------------------------------------------------------------------ the init's side */

struct nsgate
{
  int sock;
  int stop[2];           /* a pipe: readable = stop serving */
  int fds[NS_KINDS];     /* the namespaces the init has, in ns_kinds order */
  size_t n_fds;
  uint32_t mask;         /* bit i: ns_kinds[i] is among fds */
  uid_t owner;           /* the user namespace's owner, as we see it */
  pthread_t thread;
  bool running;
};

static void gate_free(struct nsgate *g)
{
  int fds[] = {g->sock, g->stop[0], g->stop[1]};
  for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
    if (fds[i] >= 0)
      close(fds[i]);
  for (size_t i = 0; i < g->n_fds; i++)
    close(g->fds[i]);
  free(g);
}

static int open_own_namespaces(struct nsgate *g, int proc_fd_dir, berth_error_t *err)
{
  for (size_t i = 0; i < NS_KINDS; i++)
    {
      _cleanup_free_ char *rel = xasprintf("../ns/%s", ns_kinds[i].name);
      int fd = openat(proc_fd_dir, rel, O_RDONLY | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT)
        continue; /* a kind this kernel lacks */
      if (fd < 0)
        return berth_fail_sys(err, "namespace gate: open our /proc/self/ns/%s", ns_kinds[i].name);
      g->fds[g->n_fds++] = fd;
      g->mask |= 1u << i;
    }
  return 0;
}

/* Whom we serve: the owner of our user namespace (the user who created
 * the container); its uid and the peer's are both seen from in here. */
static int find_owner(struct nsgate *g, berth_error_t *err)
{
  if (!(g->mask & (1u << NS_KIND_USER)))
    return berth_fail(err, EINVAL, "namespace gate: no user namespace");
  if (ioctl(g->fds[0], NS_GET_OWNER_UID, &g->owner) < 0)
    return berth_fail_sys(err, "namespace gate: owner of our user namespace");
  return 0;
}

static void hand_over(const struct nsgate *g, int conn)
{
  struct ucred peer;
  socklen_t len = sizeof peer;
  if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0 || peer.uid != g->owner)
    return; /* EOF: refused */
  /* opened now, not held while we wait: the thread shares our root */
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return;
  int fds[NS_KINDS + 1];
  memcpy(fds, g->fds, sizeof(int) * g->n_fds);
  fds[g->n_fds] = root;
  size_t n = g->n_fds + 1;
  union
  {
    char buf[CMSG_SPACE(sizeof(int) * (NS_KINDS + 1))];
    struct cmsghdr align;
  } control;
  memset(&control, 0, sizeof control);
  uint32_t mask = g->mask;
  struct iovec iov = {.iov_base = &mask, .iov_len = sizeof mask};
  struct msghdr m = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control.buf,
    .msg_controllen = CMSG_SPACE(sizeof(int) * n),
  };
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * n);
  memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  (void) sendmsg(conn, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void *serve(void *arg)
{
  struct nsgate *g = arg;
  for (;;)
    {
      struct pollfd p[2] = {{.fd = g->sock, .events = POLLIN}, {.fd = g->stop[0], .events = POLLIN}};
      if (poll(p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[1].revents)
        break;
      int conn = accept4(g->sock, NULL, NULL, SOCK_CLOEXEC);
      if (conn < 0)
        {
          if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
            continue;
          break; /* out of fds or memory: exec before start fails, start does not */
        }
      hand_over(g, conn);
      close(conn);
    }
  return NULL;
}

/* every signal blocked: they are the init's main thread's to take */
static int start_thread(struct nsgate *g, berth_error_t *err)
{
  sigset_t all, old;
  sigfillset(&all);
  pthread_attr_t attr;
  int r = pthread_attr_init(&attr);
  if (r == 0)
    r = pthread_attr_setstacksize(&attr, GATE_STACK);
  if (r == 0)
    {
      pthread_sigmask(SIG_SETMASK, &all, &old);
      r = pthread_create(&g->thread, &attr, serve, g);
      pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
  pthread_attr_destroy(&attr);
  if (r != 0)
    return berth_fail(err, r, "namespace gate: start its thread");
  g->running = true;
  return 0;
}

int nsgate_open(int sock, int proc_fd_dir, struct nsgate **out, berth_error_t *err)
{
  struct nsgate *g = xcalloc(1, sizeof *g);
  g->sock = sock;
  g->stop[0] = g->stop[1] = -1;
  if (open_own_namespaces(g, proc_fd_dir, err) < 0 || find_owner(g, err) < 0)
    goto fail;
  if (pipe2(g->stop, O_CLOEXEC) < 0)
    {
      berth_fail_sys(err, "namespace gate: pipe");
      goto fail;
    }
  if (fcntl(sock, F_SETFL, O_NONBLOCK) < 0 || listen(sock, GATE_BACKLOG) < 0)
    {
      berth_fail_sys(err, "namespace gate: listen on %s", NSGATE_SOCKET);
      goto fail;
    }
  if (start_thread(g, err) < 0)
    goto fail;
  *out = g;
  return 0;
fail:
  gate_free(g);
  return -1;
}

void nsgate_close(struct nsgate *g)
{
  if (!g)
    return;
  if (g->running)
    {
      /* a full pipe cannot happen: one byte, written once */
      (void) write(g->stop[1], "x", 1);
      pthread_join(g->thread, NULL);
    }
  gate_free(g);
}

/* ------------------------------------------------------------------ exec's side */

void nsgate_fds_close(struct nsgate_fds *f)
{
  for (size_t i = 0; i < NS_KINDS; i++)
    if (f->ns[i] >= 0)
      close(f->ns[i]);
  if (f->root >= 0)
    close(f->root);
  for (size_t i = 0; i < NS_KINDS; i++)
    f->ns[i] = -1;
  f->root = -1;
}

static int connect_gate(int dir_fd, pid_t init, berth_error_t *err)
{
  _cleanup_close_ int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return berth_fail_sys(err, "namespace gate: socket");
  struct sockaddr_un sa;
  if (gate_address(dir_fd, &sa, err) < 0)
    return -1;
  if (connect(sock, (struct sockaddr *) &sa, sizeof sa) < 0)
    return berth_fail_sys(err, "connect to the container's init through %s", NSGATE_SOCKET);
  struct ucred peer;
  socklen_t len = sizeof peer;
  if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0)
    return berth_fail_sys(err, "%s: peer credentials", NSGATE_SOCKET);
  if (peer.pid != init)
    return berth_fail(err, EPERM, "%s is served by pid %d, not by the container's init (pid %d)", NSGATE_SOCKET,
                      (int) peer.pid, (int) init);
  struct timeval tv = {.tv_sec = GATE_RECV_TIMEOUT_S};
  if (setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
    return berth_fail_sys(err, "%s: receive timeout", NSGATE_SOCKET);
  return steal_fd(&sock);
}

/* The fds in a message (closed by the caller through *fds). */
static size_t take_fds(struct msghdr *m, int *fds, size_t max)
{
  size_t n = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
    {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        continue;
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < k; i++)
        {
          int fd;
          memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
          if (n < max)
            fds[n++] = fd;
          else
            close(fd);
        }
    }
  return n;
}

static int place_fds(uint32_t mask, int *fds, size_t n, struct nsgate_fds *out, berth_error_t *err)
{
  size_t want = 1;
  for (size_t i = 0; i < NS_KINDS; i++)
    want += (mask >> i) & 1u;
  struct stat st;
  if ((mask >> NS_KINDS) != 0 || n != want || fstat(fds[n - 1], &st) < 0 || !S_ISDIR(st.st_mode))
    return berth_fail(err, EPROTO, "%s: unexpected answer (%zu fds, mask 0x%x)", NSGATE_SOCKET, n,
                      (unsigned) mask);
  size_t next = 0;
  for (size_t i = 0; i < NS_KINDS; i++)
    if (mask & (1u << i))
      out->ns[i] = fds[next++];
  out->root = fds[next];
  return 0;
}

int nsgate_fetch(int dir_fd, pid_t init, struct nsgate_fds *out, berth_error_t *err)
{
  for (size_t i = 0; i < NS_KINDS; i++)
    out->ns[i] = -1;
  out->root = -1;
  _cleanup_close_ int sock = connect_gate(dir_fd, init, err);
  if (sock < 0)
    return -1;
  union
  {
    char buf[CMSG_SPACE(sizeof(int) * (NS_KINDS + 1))];
    struct cmsghdr align;
  } control;
  uint32_t mask = 0;
  struct iovec iov = {.iov_base = &mask, .iov_len = sizeof mask};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                     .msg_controllen = sizeof control.buf};
  ssize_t r;
  do
    r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return berth_fail_sys(err, "receive the container's namespaces through %s", NSGATE_SOCKET);
  int fds[NS_KINDS + 1];
  size_t n = take_fds(&m, fds, ARRAY_SIZE(fds));
  if (r == (ssize_t) sizeof mask && !(m.msg_flags & (MSG_CTRUNC | MSG_TRUNC))
      && place_fds(mask, fds, n, out, err) == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
  for (size_t i = 0; i < NS_KINDS; i++)
    out->ns[i] = -1;
  out->root = -1;
  if (r == 0)
    return berth_fail(err, EPERM, "the container's init refused to hand over its namespaces through %s "
                                  "(only the owner of its user namespace may)", NSGATE_SOCKET);
  if (*err)
    return -1;
  return berth_fail(err, EPROTO, "%s: truncated answer", NSGATE_SOCKET);
}
