/* Internal to src/net: a route netlink socket (libmnl) and request/ack. */
#ifndef BERTH_NET_NL_H
#define BERTH_NET_NL_H

#include <libmnl/libmnl.h>
#include <stdbool.h>

#include "util/error.h"

struct nl
{
  struct mnl_socket *sock;
  uint32_t portid;
  uint32_t seq;
};

/* A socket in our own network namespace. */
int nl_open(struct nl *nl, berth_error_t *err);
/* A socket in the network namespace of netns_fd: a short-lived thread
 * enters it and creates the socket, which stays bound to that namespace;
 * this thread never changes namespace. */
int nl_open_in_netns(struct nl *nl, int netns_fd, berth_error_t *err);
void nl_close(struct nl *nl);

/* Send one request and read the answers up to its ack (or NLMSG_DONE);
 * cb (may be NULL) sees every data message. Returns 0 or -errno (the
 * kernel's error), without touching any berth_error: callers decide
 * which errors are fine (EEXIST, ENODEV) and say what failed. */
int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

struct nl_link
{
  int index; /* 0: no such link */
  unsigned flags;
  char kind[16]; /* IFLA_INFO_KIND, "" when none */
  bool vlan_filtering; /* bridges only */
};

/* What nl_get_link makes of one datagram of the kernel's answer (pure:
 * the fuzz target's entry): mnl_cb_run's MNL_CB_OK/STOP/ERROR. */
int nl_parse_link_reply(const void *buf, size_t len, uint32_t seq, uint32_t portid, struct nl_link *out);

/* Look a link up by name; a missing one is no error (index 0). */
int nl_get_link(struct nl *nl, const char *name, struct nl_link *out);

#endif
