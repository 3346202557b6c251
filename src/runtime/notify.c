/* NOTIFY_SOCKET relay: see notify.h. */
#include "runtime/notify.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/signals.h"
#include "util/log.h"
#include "util/util.h"

#define NOTIFY_DIR "notify"
#define NOTIFY_SOCKET_NAME "notify.sock"
#define NOTIFY_MSG_MAX 4096
#define NOTIFY_POLL_MS 100

const char *notify_host_socket(void)
{
  const char *s = getenv("NOTIFY_SOCKET");
  return s && *s ? s : NULL;
}

/* "@name" is an abstract address (leading NUL), else a path. */
static int host_address(const char *host, struct sockaddr_un *sa, socklen_t *len, berth_error_t *err)
{
  size_t n = strlen(host);
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if ((host[0] != '/' && host[0] != '@') || n < 2)
    return berth_fail(err, EINVAL, "NOTIFY_SOCKET %s: not an absolute path or an abstract name (@NAME)",
                      host);
  if (n >= sizeof sa->sun_path)
    return berth_fail(err, ENAMETOOLONG, "NOTIFY_SOCKET %s", host);
  memcpy(sa->sun_path, host, n);
  if (host[0] == '@')
    sa->sun_path[0] = '\0';
  *len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + (host[0] == '@' ? 0 : 1));
  return 0;
}

static void add_notify_mount(struct spec_config *c, const char *source)
{
  c->mounts = xrealloc(c->mounts, (c->n_mounts + 1) * sizeof *c->mounts);
  struct spec_mount *m = &c->mounts[c->n_mounts++];
  memset(m, 0, sizeof *m);
  static const char *const opts[] = {"bind", "ro", "nosuid", "nodev", "noexec"};
  m->destination = xstrdup(NOTIFY_CONTAINER_DIR);
  m->type = xstrdup("bind");
  m->source = xstrdup(source);
  m->n_options = ARRAY_SIZE(opts);
  m->options = xcalloc(m->n_options + 1, sizeof *m->options);
  for (size_t i = 0; i < m->n_options; i++)
    m->options[i] = xstrdup(opts[i]);
}

int notify_prepare_create(struct spec_config *c, int state_dir_fd, const char *state_dir, berth_error_t *err)
{
  const char *host = notify_host_socket();
  if (!host)
    return 0;
  struct sockaddr_un sa;
  socklen_t len;
  if (host_address(host, &sa, &len, err) < 0)
    return -1;
  /* 0755: any user of the container reaches the socket (made 0777 at start) */
  if (mkdirat(state_dir_fd, NOTIFY_DIR, 0755) < 0 || fchmodat(state_dir_fd, NOTIFY_DIR, 0755, 0) < 0)
    return berth_fail_sys(err, "create %s/%s", state_dir, NOTIFY_DIR);
  _cleanup_free_ char *dir = realpath(state_dir, NULL);
  if (!dir)
    return berth_fail_sys(err, "realpath %s", state_dir);
  _cleanup_free_ char *source = xasprintf("%s/%s", dir, NOTIFY_DIR);
  add_notify_mount(c, source);
  char **env = env_set(c->process->env, "NOTIFY_SOCKET", NOTIFY_CONTAINER_SOCKET);
  strv_free(c->process->env);
  c->process->env = env;
  c->process->n_env = strv_len(env);
  return 0;
}

/* bind() through our fd of the directory: the state dir's path may be
 * longer than sun_path allows */
static int bind_in_dir(int sock, int dir_fd, const char *name, berth_error_t *err)
{
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  int n = snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dir_fd, name);
  if (n < 0 || (size_t) n >= sizeof sa.sun_path)
    return berth_fail(err, ENAMETOOLONG, "notify socket %s", name);
  if (bind(sock, (struct sockaddr *) &sa, sizeof sa) < 0)
    return berth_fail_sys(err, "bind the notify socket %s/%s", NOTIFY_DIR, name);
  return 0;
}

int notify_listen(int state_dir_fd, int *fd, berth_error_t *err)
{
  *fd = -1;
  if (!notify_host_socket())
    return 0;
  _cleanup_close_ int dir = openat(state_dir_fd, NOTIFY_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0)
    {
      if (errno == ENOENT)
        return 0; /* created without NOTIFY_SOCKET: nothing to relay */
      return berth_fail_sys(err, "open the container's %s directory", NOTIFY_DIR);
    }
  if (unlinkat(dir, NOTIFY_SOCKET_NAME, 0) < 0 && errno != ENOENT)
    return berth_fail_sys(err, "remove a stale %s/%s", NOTIFY_DIR, NOTIFY_SOCKET_NAME);
  _cleanup_close_ int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (sock < 0)
    return berth_fail_sys(err, "notify socket");
  if (bind_in_dir(sock, dir, NOTIFY_SOCKET_NAME, err) < 0)
    return -1;
  /* connect() needs write permission: any user of the container may notify */
  if (fchmodat(dir, NOTIFY_SOCKET_NAME, 0777, 0) < 0)
    return berth_fail_sys(err, "chmod %s/%s", NOTIFY_DIR, NOTIFY_SOCKET_NAME);
  *fd = steal_fd(&sock);
  return 0;
}

bool notify_message_is_ready(const char *msg, size_t len)
{
  static const char ready[] = "READY=1";
  const size_t rlen = sizeof ready - 1;
  size_t i = 0;
  while (i < len)
    {
      const char *nl = memchr(msg + i, '\n', len - i);
      size_t end = nl ? (size_t) (nl - msg) : len;
      if (end - i == rlen && memcmp(msg + i, ready, rlen) == 0)
        return true;
      i = end + 1;
    }
  return false;
}

static int send_ready(pid_t pid, berth_error_t *err)
{
  const char *host = notify_host_socket();
  if (!host)
    return 0;
  struct sockaddr_un sa;
  socklen_t len;
  if (host_address(host, &sa, &len, err) < 0)
    return -1;
  _cleanup_close_ int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return berth_fail_sys(err, "socket for NOTIFY_SOCKET");
  _cleanup_free_ char *msg = xasprintf("READY=1\nMAINPID=%d\n", (int) pid);
  if (sendto(sock, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *) &sa, len) < 0)
    return berth_fail_sys(err, "send READY=1 to NOTIFY_SOCKET %s", host);
  return 1;
}

int notify_relay_message(int fd, pid_t pid, berth_error_t *err)
{
  char msg[NOTIFY_MSG_MAX];
  /* recv() without room for control data: fds the container attaches are
   * closed by the kernel, never installed here */
  ssize_t n = recv(fd, msg, sizeof msg, MSG_DONTWAIT);
  if (n < 0)
    {
      if (errno == EAGAIN || errno == EINTR)
        return 0;
      return berth_fail_sys(err, "read the notify socket");
    }
  if (!notify_message_is_ready(msg, (size_t) n))
    return 0;
  return send_ready(pid, err);
}

static bool init_gone(int pidfd, pid_t pid, short revents)
{
  if (pidfd >= 0)
    return (revents & POLLIN) != 0;
  return kill(pid, 0) < 0 && errno == ESRCH;
}

int notify_wait_ready(int fd, pid_t pid, int pidfd, berth_error_t *err)
{
  for (;;)
    {
      struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
      int n = poll(p, 2, pidfd >= 0 ? -1 : NOTIFY_POLL_MS);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_fail_sys(err, "wait on the notify socket");
      if (p[0].revents & POLLIN)
        {
          int r = notify_relay_message(fd, pid, err);
          if (r != 0)
            return r;
          continue;
        }
      if (init_gone(pidfd, pid, p[1].revents))
        {
          berth_log_warning("the container exited before it sent READY=1");
          return 0;
        }
    }
}
