#include "runtime/sync.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include "util/log.h"
#include "util/util.h"

int sync_send(int fd, enum sync_type type, int32_t value, const char *text, berth_error_t *err)
{
  struct sync_msg m = {.type = type, .value = value};
  size_t tlen = text ? strnlen(text, SYNC_TEXT_MAX) : 0;
  struct iovec iov[2] = {{&m, sizeof m}, {(void *) text, tlen}};
  struct msghdr mh = {.msg_iov = iov, .msg_iovlen = tlen ? 2 : 1};
  ssize_t r;
  do
    r = sendmsg(fd, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return berth_fail_sys(err, "send message %d to the %s", (int) type,
                          type == SYNC_GO || type == SYNC_HOOKS_DONE ? "container init" : "runtime");
  return 0;
}

void sync_notify(int fd, enum sync_type type, int32_t value, const char *text)
{
  _cleanup_error_ berth_error_t err = NULL;
  if (sync_send(fd, type, value, text, &err) < 0)
    berth_log_debug("%s", berth_error_msg(err));
}

int sync_recv(int fd, struct sync_msg *msg, char **text, berth_error_t *err)
{
  _cleanup_free_ char *buf = xmalloc(sizeof *msg + SYNC_TEXT_MAX + 1);
  ssize_t r;
  do
    r = recv(fd, buf, sizeof *msg + SYNC_TEXT_MAX, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return berth_fail_sys(err, "receive a message");
  if (r == 0)
    return berth_fail(err, EPIPE, "peer closed the connection");
  if ((size_t) r < sizeof *msg)
    return berth_fail(err, EPROTO, "short message (%zd bytes)", r);
  memcpy(msg, buf, sizeof *msg);
  if (text)
    {
      size_t tlen = (size_t) r - sizeof *msg;
      *text = tlen ? xstrndup(buf + sizeof *msg, tlen) : NULL;
    }
  return 0;
}

int sync_expect(int fd, enum sync_type type, int32_t *value, berth_error_t *err)
{
  struct sync_msg m;
  _cleanup_free_ char *text = NULL;
  if (sync_recv(fd, &m, &text, err) < 0)
    return -1;
  if (m.type == SYNC_ERROR)
    {
      int r = berth_fail(err, 0, "%s", text ? text : "unknown error");
      (*err)->errnum = m.value;
      return m.value > 0 ? -m.value : r;
    }
  if (m.type != type)
    return berth_fail(err, EPROTO, "unexpected message %u (wanted %d)", m.type, (int) type);
  if (value)
    *value = m.value;
  return 0;
}
