/* rtnetlink requests, built into a caller's buffer without any I/O so
 * the unit tests can take them apart. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>

#include "net/net.h"
#include "util/util.h"

static struct nlmsghdr *put_header(void *buf, uint16_t type, uint16_t flags)
{
  struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  return nlh;
}

static struct ifinfomsg *put_ifinfo(struct nlmsghdr *nlh, uint8_t family, int ifindex, unsigned up)
{
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
  ifi->ifi_family = family;
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = up;
  ifi->ifi_change = up;
  return ifi;
}

struct nlmsghdr *net_msg_getlink(void *buf, const char *name)
{
  struct nlmsghdr *nlh = put_header(buf, RTM_GETLINK, 0);
  put_ifinfo(nlh, AF_UNSPEC, 0, 0);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  return nlh;
}

static void put_bridge_linkinfo(struct nlmsghdr *nlh, bool vlan_filtering)
{
  struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
  if (vlan_filtering)
    {
      struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
      mnl_attr_put_u8(nlh, IFLA_BR_VLAN_FILTERING, 1);
      mnl_attr_nest_end(nlh, data);
    }
  mnl_attr_nest_end(nlh, info);
}

struct nlmsghdr *net_msg_new_bridge(void *buf, const char *name, bool vlan_filtering, const uint8_t *mac)
{
  struct nlmsghdr *nlh = put_header(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  put_ifinfo(nlh, AF_UNSPEC, 0, IFF_UP);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  if (mac)
    mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
  put_bridge_linkinfo(nlh, vlan_filtering);
  return nlh;
}

struct nlmsghdr *net_msg_bridge_vlan_filtering(void *buf, int ifindex)
{
  struct nlmsghdr *nlh = put_header(buf, RTM_NEWLINK, NLM_F_ACK);
  put_ifinfo(nlh, AF_UNSPEC, ifindex, 0);
  put_bridge_linkinfo(nlh, true);
  return nlh;
}

struct nlmsghdr *net_msg_new_veth(void *buf, const struct net_veth_req *r)
{
  struct nlmsghdr *nlh = put_header(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  put_ifinfo(nlh, AF_UNSPEC, 0, IFF_UP);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, r->host_name);
  if (r->bridge_index > 0)
    mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t) r->bridge_index);
  if (r->mtu)
    mnl_attr_put_u32(nlh, IFLA_MTU, r->mtu);
  struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
  struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  /* the peer's attributes follow its own ifinfomsg, as in a NEWLINK */
  struct ifinfomsg *pi = (struct ifinfomsg *) ((char *) nlh + nlh->nlmsg_len);
  memset(pi, 0, MNL_ALIGN(sizeof *pi));
  nlh->nlmsg_len += MNL_ALIGN(sizeof *pi);
  pi->ifi_family = AF_UNSPEC;
  /* no IFF_UP here: the kernel configures the peer before the pair is
   * joined, and opening it then fails with ENOTCONN */
  mnl_attr_put_strz(nlh, IFLA_IFNAME, r->peer_name);
  if (r->peer_netns_fd >= 0)
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t) r->peer_netns_fd);
  if (r->mtu)
    mnl_attr_put_u32(nlh, IFLA_MTU, r->mtu);
  if (r->peer_mac)
    mnl_attr_put(nlh, IFLA_ADDRESS, 6, r->peer_mac);
  mnl_attr_nest_end(nlh, peer);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, info);
  return nlh;
}

struct nlmsghdr *net_msg_link_up(void *buf, int ifindex)
{
  struct nlmsghdr *nlh = put_header(buf, RTM_NEWLINK, NLM_F_ACK);
  put_ifinfo(nlh, AF_UNSPEC, ifindex, IFF_UP);
  return nlh;
}

struct nlmsghdr *net_msg_dellink(void *buf, const char *name)
{
  struct nlmsghdr *nlh = put_header(buf, RTM_DELLINK, NLM_F_ACK);
  put_ifinfo(nlh, AF_UNSPEC, 0, 0);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  return nlh;
}

struct nlmsghdr *net_msg_new_addr(void *buf, int ifindex, uint32_t addr, unsigned prefix)
{
  struct nlmsghdr *nlh = put_header(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = (uint8_t) prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = (uint32_t) ifindex;
  mnl_attr_put_u32(nlh, IFA_LOCAL, htonl(addr));
  mnl_attr_put_u32(nlh, IFA_ADDRESS, htonl(addr));
  if (prefix <= 30)
    mnl_attr_put_u32(nlh, IFA_BROADCAST, htonl(addr | ~net_subnet_mask(prefix)));
  return nlh;
}

struct nlmsghdr *net_msg_default_route(void *buf, int ifindex, uint32_t gateway)
{
  struct nlmsghdr *nlh = put_header(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  struct rtmsg *rt = mnl_nlmsg_put_extra_header(nlh, sizeof *rt);
  rt->rtm_family = AF_INET;
  rt->rtm_dst_len = 0;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(gateway));
  mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t) ifindex);
  return nlh;
}

struct nlmsghdr *net_msg_port_vlan(void *buf, int ifindex, unsigned vid, bool pvid_untagged, bool del)
{
  struct nlmsghdr *nlh = put_header(buf, del ? RTM_DELLINK : RTM_SETLINK, NLM_F_ACK);
  put_ifinfo(nlh, AF_BRIDGE, ifindex, 0);
  struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
  struct bridge_vlan_info vi = {
    .flags = pvid_untagged ? BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED : 0,
    .vid = (uint16_t) vid,
  };
  mnl_attr_put(nlh, IFLA_BRIDGE_VLAN_INFO, sizeof vi, &vi);
  mnl_attr_nest_end(nlh, spec);
  return nlh;
}
