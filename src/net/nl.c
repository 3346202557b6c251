/* Route netlink sockets through libmnl: open one here or in another
 * network namespace, send a request, read its answers. */
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "net/net.h"
#include "net/nl.h"
#include "util/util.h"

static int nl_bind(struct nl *nl, berth_error_t *err)
{
  if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
    {
      int saved = errno;
      nl_close(nl);
      return berth_fail(err, saved, "bind a netlink socket");
    }
  nl->portid = mnl_socket_get_portid(nl->sock);
  nl->seq = (uint32_t) time(NULL);
  return 0;
}

int nl_open(struct nl *nl, berth_error_t *err)
{
  nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!nl->sock)
    return berth_fail_sys(err, "open a netlink socket");
  return nl_bind(nl, err);
}

struct in_netns
{
  int netns_fd;
  struct mnl_socket *sock;
  int errnum;
  const char *what;
};

static void *open_in_netns_thread(void *p)
{
  struct in_netns *a = p;
  if (setns(a->netns_fd, CLONE_NEWNET) < 0)
    {
      a->errnum = errno;
      a->what = "enter the container's network namespace";
      return NULL;
    }
  a->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!a->sock)
    {
      a->errnum = errno;
      a->what = "open a netlink socket in the container's network namespace";
    }
  return NULL;
}

int nl_open_in_netns(struct nl *nl, int netns_fd, berth_error_t *err)
{
  struct in_netns a = {.netns_fd = netns_fd};
  pthread_t t;
  int r = pthread_create(&t, NULL, open_in_netns_thread, &a);
  if (r != 0)
    return berth_fail(err, r, "start a thread to enter the container's network namespace");
  pthread_join(t, NULL);
  if (!a.sock)
    return berth_fail(err, a.errnum, "%s", a.what);
  nl->sock = a.sock;
  return nl_bind(nl, err);
}

void nl_close(struct nl *nl)
{
  if (nl->sock)
    mnl_socket_close(nl->sock);
  nl->sock = NULL;
}

/* libmnl trusts each nlmsg_len as an int: one above INT_MAX passes its
 * bounds check and sends it reading far outside the datagram (found by
 * tests/fuzz/fuzz_nlmsg.c). Check the framing first. */
static bool nl_datagram_well_formed(const void *buf, size_t len)
{
  const unsigned char *p = buf;
  while (len > 0)
    {
      struct nlmsghdr h;
      if (len < sizeof h)
        return false;
      memcpy(&h, p, sizeof h);
      if (h.nlmsg_len < sizeof h || h.nlmsg_len > len)
        return false;
      size_t step = NLMSG_ALIGN((size_t) h.nlmsg_len);
      if (step >= len)
        break;
      p += step;
      len -= step;
    }
  return true;
}

static int nl_run_callbacks(const void *buf, size_t len, uint32_t seq, uint32_t portid, mnl_cb_t cb, void *data)
{
  if (!nl_datagram_well_formed(buf, len))
    {
      errno = EPROTO;
      return MNL_CB_ERROR;
    }
  errno = 0;
  return mnl_cb_run(buf, len, seq, portid, cb, data);
}

int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
  uint32_t seq = ++nl->seq;
  nlh->nlmsg_seq = seq;
  if (!(nlh->nlmsg_flags & NLM_F_DUMP))
    nlh->nlmsg_flags |= NLM_F_ACK;
  if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
    return -errno;
  char buf[8192]; /* MNL_SOCKET_BUFFER_SIZE's upper bound, without a VLA */
  for (;;)
    {
      ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof buf);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      int r = nl_run_callbacks(buf, (size_t) n, seq, nl->portid, cb, data);
      if (r == MNL_CB_ERROR)
        return errno ? -errno : -EPROTO;
      if (r == MNL_CB_STOP)
        return 0;
    }
}

/* ------------------------------------------------------------------ link lookup */

static int linkinfo_data_cb(const struct nlattr *a, void *data)
{
  struct nl_link *l = data;
  if (mnl_attr_get_type(a) == IFLA_BR_VLAN_FILTERING && mnl_attr_validate(a, MNL_TYPE_U8) == 0)
    l->vlan_filtering = mnl_attr_get_u8(a) != 0;
  return MNL_CB_OK;
}

static int linkinfo_cb(const struct nlattr *a, void *data)
{
  struct nl_link *l = data;
  switch (mnl_attr_get_type(a))
    {
    case IFLA_INFO_KIND:
      if (mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
        {
          size_t len = mnl_attr_get_payload_len(a);
          if (len >= sizeof l->kind)
            len = sizeof l->kind - 1;
          memcpy(l->kind, mnl_attr_get_str(a), len);
          l->kind[len] = '\0';
        }
      break;
    case IFLA_INFO_DATA:
      mnl_attr_parse_nested(a, linkinfo_data_cb, l);
      break;
    }
  return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *a, void *data)
{
  if (mnl_attr_get_type(a) == IFLA_LINKINFO && mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
    mnl_attr_parse_nested(a, linkinfo_cb, data);
  return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
  struct nl_link *l = data;
  if (nlh->nlmsg_type != RTM_NEWLINK)
    return MNL_CB_OK;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg))
    {
      errno = EPROTO; /* a short RTM_NEWLINK: nothing to read */
      return MNL_CB_ERROR;
    }
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  l->index = ifi->ifi_index;
  l->flags = ifi->ifi_flags;
  mnl_attr_parse(nlh, sizeof *ifi, link_attr_cb, l);
  return MNL_CB_OK;
}

int nl_parse_link_reply(const void *buf, size_t len, uint32_t seq, uint32_t portid, struct nl_link *out)
{
  return nl_run_callbacks(buf, len, seq, portid, link_cb, out);
}

int nl_get_link(struct nl *nl, const char *name, struct nl_link *out)
{
  char buf[NET_NLMSG_BUF];
  memset(out, 0, sizeof *out);
  int r = nl_talk(nl, net_msg_getlink(buf, name), link_cb, out);
  if (r == -ENODEV)
    {
      memset(out, 0, sizeof *out);
      return 0;
    }
  return r;
}
