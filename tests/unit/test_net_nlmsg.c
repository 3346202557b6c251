/* src/net: the rtnetlink requests, taken apart again with libmnl (no
 * socket, no root). */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>

#include "net/net.h"
#include "net/nl.h"
#include "tap.h"
#include "util/util.h"

#define MAXA 64

struct attrs
{
  const struct nlattr *a[MAXA];
};

static int collect_cb(const struct nlattr *attr, void *data)
{
  struct attrs *t = data;
  unsigned type = mnl_attr_get_type(attr);
  if (type < MAXA)
    t->a[type] = attr;
  return MNL_CB_OK;
}

static void parse_msg(const struct nlmsghdr *nlh, size_t hdr, struct attrs *t)
{
  memset(t, 0, sizeof *t);
  mnl_attr_parse(nlh, (unsigned) hdr, collect_cb, t);
}

static void parse_nest(const struct nlattr *nest, struct attrs *t)
{
  memset(t, 0, sizeof *t);
  if (nest)
    mnl_attr_parse_nested(nest, collect_cb, t);
}

static bool well_formed(const struct nlmsghdr *nlh)
{
  return mnl_nlmsg_ok(nlh, (int) nlh->nlmsg_len) && nlh->nlmsg_len <= NET_NLMSG_BUF;
}

static void test_getlink(void)
{
  char buf[NET_NLMSG_BUF];
  struct nlmsghdr *nlh = net_msg_getlink(buf, "berth0");
  ok(well_formed(nlh), "getlink: well formed");
  is_int(nlh->nlmsg_type, RTM_GETLINK, "getlink: type");
  ok(nlh->nlmsg_flags & NLM_F_REQUEST, "getlink: request");
  struct attrs t;
  parse_msg(nlh, sizeof(struct ifinfomsg), &t);
  is_str(t.a[IFLA_IFNAME] ? mnl_attr_get_str(t.a[IFLA_IFNAME]) : NULL, "berth0", "getlink: name");
}

static void test_bridge(void)
{
  char buf[NET_NLMSG_BUF];
  uint8_t mac[6] = {2, 1, 2, 3, 4, 5};
  struct nlmsghdr *nlh = net_msg_new_bridge(buf, "br-x", true, mac);
  ok(well_formed(nlh), "bridge: well formed");
  is_int(nlh->nlmsg_type, RTM_NEWLINK, "bridge: NEWLINK");
  ok((nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK)) == (NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK),
     "bridge: create, excl, ack");
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  ok((ifi->ifi_flags & IFF_UP) && (ifi->ifi_change & IFF_UP), "bridge: created up");
  struct attrs t, info, data;
  parse_msg(nlh, sizeof *ifi, &t);
  is_str(t.a[IFLA_IFNAME] ? mnl_attr_get_str(t.a[IFLA_IFNAME]) : NULL, "br-x", "bridge: name");
  ok(t.a[IFLA_ADDRESS] && memcmp(mnl_attr_get_payload(t.a[IFLA_ADDRESS]), mac, 6) == 0, "bridge: fixed mac");
  parse_nest(t.a[IFLA_LINKINFO], &info);
  is_str(info.a[IFLA_INFO_KIND] ? mnl_attr_get_str(info.a[IFLA_INFO_KIND]) : NULL, "bridge", "bridge: kind");
  parse_nest(info.a[IFLA_INFO_DATA], &data);
  ok(data.a[IFLA_BR_VLAN_FILTERING] && mnl_attr_get_u8(data.a[IFLA_BR_VLAN_FILTERING]) == 1,
     "bridge: vlan_filtering 1");

  nlh = net_msg_new_bridge(buf, "br-y", false, NULL);
  parse_msg(nlh, sizeof *ifi, &t);
  ok(t.a[IFLA_ADDRESS] == NULL, "bridge without mac: none");
  parse_nest(t.a[IFLA_LINKINFO], &info);
  ok(info.a[IFLA_INFO_DATA] == NULL, "bridge without vlans: no IFLA_INFO_DATA");

  nlh = net_msg_bridge_vlan_filtering(buf, 7);
  ifi = mnl_nlmsg_get_payload(nlh);
  is_int(ifi->ifi_index, 7, "vlan_filtering on: index");
  ok(!(nlh->nlmsg_flags & NLM_F_CREATE), "vlan_filtering on: no create");
  parse_msg(nlh, sizeof *ifi, &t);
  parse_nest(t.a[IFLA_LINKINFO], &info);
  parse_nest(info.a[IFLA_INFO_DATA], &data);
  ok(data.a[IFLA_BR_VLAN_FILTERING] && mnl_attr_get_u8(data.a[IFLA_BR_VLAN_FILTERING]) == 1,
     "vlan_filtering on: attribute");
}

static void test_veth(void)
{
  char buf[NET_NLMSG_BUF];
  uint8_t mac[6] = {2, 0, 0, 0, 0, 0x42};
  struct net_veth_req r = {
    .host_name = "vb12345678",
    .bridge_index = 5,
    .peer_name = "eth0",
    .peer_netns_fd = 9,
    .mtu = 1400,
    .peer_mac = mac,
  };
  struct nlmsghdr *nlh = net_msg_new_veth(buf, &r);
  ok(well_formed(nlh), "veth: well formed");
  ok((nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) == (NLM_F_CREATE | NLM_F_EXCL), "veth: create, excl");
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  ok(ifi->ifi_flags & IFF_UP, "veth: host end up");
  struct attrs t, info, data, peer;
  parse_msg(nlh, sizeof *ifi, &t);
  is_str(mnl_attr_get_str(t.a[IFLA_IFNAME]), "vb12345678", "veth: host name");
  ok(t.a[IFLA_MASTER] && mnl_attr_get_u32(t.a[IFLA_MASTER]) == 5, "veth: master is the bridge");
  ok(t.a[IFLA_MTU] && mnl_attr_get_u32(t.a[IFLA_MTU]) == 1400, "veth: host mtu");
  ok(t.a[IFLA_NET_NS_FD] == NULL, "veth: host end stays here");
  parse_nest(t.a[IFLA_LINKINFO], &info);
  is_str(info.a[IFLA_INFO_KIND] ? mnl_attr_get_str(info.a[IFLA_INFO_KIND]) : NULL, "veth", "veth: kind");
  parse_nest(info.a[IFLA_INFO_DATA], &data);
  const struct nlattr *p = data.a[VETH_INFO_PEER];
  ok(p != NULL, "veth: peer");
  if (!p)
    return;
  /* the peer nest starts with its own ifinfomsg */
  const struct ifinfomsg *pi = mnl_attr_get_payload(p);
  ok(!(pi->ifi_flags & IFF_UP), "veth: peer not up at creation (the kernel refuses: ENOTCONN)");
  memset(&peer, 0, sizeof peer);
  const char *start = (const char *) mnl_attr_get_payload(p) + MNL_ALIGN(sizeof *pi);
  const char *end = (const char *) mnl_attr_get_payload(p) + mnl_attr_get_payload_len(p);
  const struct nlattr *a;
  for (a = (const struct nlattr *) start; mnl_attr_ok(a, (int) (end - (const char *) a)); a = mnl_attr_next(a))
    collect_cb(a, &peer);
  is_str(peer.a[IFLA_IFNAME] ? mnl_attr_get_str(peer.a[IFLA_IFNAME]) : NULL, "eth0", "veth: peer name");
  ok(peer.a[IFLA_NET_NS_FD] && mnl_attr_get_u32(peer.a[IFLA_NET_NS_FD]) == 9, "veth: peer netns fd");
  ok(peer.a[IFLA_MTU] && mnl_attr_get_u32(peer.a[IFLA_MTU]) == 1400, "veth: peer mtu");
  ok(peer.a[IFLA_ADDRESS] && mnl_attr_get_payload_len(peer.a[IFLA_ADDRESS]) == 6
       && memcmp(mnl_attr_get_payload(peer.a[IFLA_ADDRESS]), mac, 6) == 0,
     "veth: peer mac");

  struct net_veth_req plain = {.host_name = "vbx", .peer_name = "eth0", .peer_netns_fd = -1};
  nlh = net_msg_new_veth(buf, &plain);
  parse_msg(nlh, sizeof *ifi, &t);
  ok(!t.a[IFLA_MASTER] && !t.a[IFLA_MTU], "veth without bridge and mtu");
}

static void test_addr_route(void)
{
  char buf[NET_NLMSG_BUF];
  struct nlmsghdr *nlh = net_msg_new_addr(buf, 3, 0x0a590005, 24);
  ok(well_formed(nlh), "addr: well formed");
  is_int(nlh->nlmsg_type, RTM_NEWADDR, "addr: NEWADDR");
  const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
  ok(ifa->ifa_family == AF_INET && ifa->ifa_prefixlen == 24 && ifa->ifa_index == 3, "addr: family, prefix, index");
  struct attrs t;
  parse_msg(nlh, sizeof *ifa, &t);
  ok(t.a[IFA_LOCAL] && ntohl(mnl_attr_get_u32(t.a[IFA_LOCAL])) == 0x0a590005, "addr: local");
  ok(t.a[IFA_ADDRESS] && ntohl(mnl_attr_get_u32(t.a[IFA_ADDRESS])) == 0x0a590005, "addr: address");
  ok(t.a[IFA_BROADCAST] && ntohl(mnl_attr_get_u32(t.a[IFA_BROADCAST])) == 0x0a5900ff, "addr: broadcast");

  nlh = net_msg_default_route(buf, 3, 0x0a590001);
  ok(well_formed(nlh), "route: well formed");
  is_int(nlh->nlmsg_type, RTM_NEWROUTE, "route: NEWROUTE");
  const struct rtmsg *rt = mnl_nlmsg_get_payload(nlh);
  ok(rt->rtm_family == AF_INET && rt->rtm_dst_len == 0 && rt->rtm_table == RT_TABLE_MAIN
       && rt->rtm_type == RTN_UNICAST,
     "route: default, main table, unicast");
  parse_msg(nlh, sizeof *rt, &t);
  ok(t.a[RTA_GATEWAY] && ntohl(mnl_attr_get_u32(t.a[RTA_GATEWAY])) == 0x0a590001, "route: gateway");
  ok(t.a[RTA_OIF] && mnl_attr_get_u32(t.a[RTA_OIF]) == 3, "route: oif");
  ok(t.a[RTA_DST] == NULL, "route: no destination");
}

static void test_link_ops(void)
{
  char buf[NET_NLMSG_BUF];
  struct nlmsghdr *nlh = net_msg_link_up(buf, 1);
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  ok(nlh->nlmsg_type == RTM_NEWLINK && ifi->ifi_index == 1 && (ifi->ifi_flags & IFF_UP) && (ifi->ifi_change & IFF_UP),
     "link up");
  ok(!(nlh->nlmsg_flags & NLM_F_CREATE), "link up creates nothing");
  nlh = net_msg_dellink(buf, "vbdeadbeef");
  struct attrs t;
  parse_msg(nlh, sizeof *ifi, &t);
  ok(nlh->nlmsg_type == RTM_DELLINK && t.a[IFLA_IFNAME] && str_eq(mnl_attr_get_str(t.a[IFLA_IFNAME]), "vbdeadbeef"),
     "dellink by name");
}

static void test_vlan(void)
{
  char buf[NET_NLMSG_BUF];
  struct nlmsghdr *nlh = net_msg_port_vlan(buf, 12, 100, true, false);
  ok(well_formed(nlh), "vlan: well formed");
  is_int(nlh->nlmsg_type, RTM_SETLINK, "vlan add: SETLINK");
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  ok(ifi->ifi_family == AF_BRIDGE && ifi->ifi_index == 12, "vlan: AF_BRIDGE, port index");
  struct attrs t, spec;
  parse_msg(nlh, sizeof *ifi, &t);
  parse_nest(t.a[IFLA_AF_SPEC], &spec);
  ok(spec.a[IFLA_BRIDGE_FLAGS] == NULL, "vlan: no BRIDGE_FLAGS (the master, not self)");
  const struct nlattr *v = spec.a[IFLA_BRIDGE_VLAN_INFO];
  ok(v && mnl_attr_get_payload_len(v) == sizeof(struct bridge_vlan_info), "vlan: vlan info");
  if (v)
    {
      const struct bridge_vlan_info *vi = mnl_attr_get_payload(v);
      is_int(vi->vid, 100, "vlan: vid");
      is_int(vi->flags, BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, "vlan: pvid untagged");
    }
  nlh = net_msg_port_vlan(buf, 12, 1, false, true);
  is_int(nlh->nlmsg_type, RTM_DELLINK, "vlan del: DELLINK");
  parse_msg(nlh, sizeof *ifi, &t);
  parse_nest(t.a[IFLA_AF_SPEC], &spec);
  v = spec.a[IFLA_BRIDGE_VLAN_INFO];
  ok(v && ((const struct bridge_vlan_info *) mnl_attr_get_payload(v))->vid == 1
       && ((const struct bridge_vlan_info *) mnl_attr_get_payload(v))->flags == 0,
     "vlan del: vid 1, no flags");
}

/* the kernel's answer, taken apart without a socket (fuzz_nlmsg's entry) */
static void test_parse_reply(void)
{
  union
  {
    uint32_t align;
    unsigned char b[128];
  } u = {0};
  /* RTM_NEWLINK, ifindex 7, IFLA_LINKINFO { IFLA_INFO_KIND "bridge" } */
  struct nlmsghdr *h = mnl_nlmsg_put_header(u.b);
  h->nlmsg_type = RTM_NEWLINK;
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof *ifi);
  ifi->ifi_index = 7;
  struct nlattr *li = mnl_attr_nest_start(h, IFLA_LINKINFO);
  mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end(h, li);
  struct nl_link l = {0};
  is_int(nl_parse_link_reply(u.b, h->nlmsg_len, 0, 0, &l), MNL_CB_OK, "a RTM_NEWLINK reply parses");
  is_int(l.index, 7, "its ifindex");
  is_str(l.kind, "bridge", "its kind");

  /* a second message whose nlmsg_len is above INT_MAX: libmnl would read
   * far past the datagram (found by fuzz_nlmsg) */
  size_t first = NLMSG_ALIGN(h->nlmsg_len);
  struct nlmsghdr bad = {.nlmsg_len = 0xffffffedu, .nlmsg_type = RTM_NEWLINK};
  memcpy(u.b + first, &bad, sizeof bad);
  errno = 0;
  is_int(nl_parse_link_reply(u.b, first + sizeof bad, 0, 0, &l), MNL_CB_ERROR, "nlmsg_len above INT_MAX: refused");
  is_int(errno, EPROTO, "as EPROTO");

  /* a RTM_NEWLINK too short for its ifinfomsg */
  struct nlmsghdr shortmsg = {.nlmsg_len = sizeof shortmsg + 2, .nlmsg_type = RTM_NEWLINK};
  memset(u.b, 0, sizeof u.b);
  memcpy(u.b, &shortmsg, sizeof shortmsg);
  is_int(nl_parse_link_reply(u.b, NLMSG_ALIGN(shortmsg.nlmsg_len), 0, 0, &l), MNL_CB_ERROR,
         "a RTM_NEWLINK without its ifinfomsg: refused");
}

int main(void)
{
  test_parse_reply();
  test_getlink();
  test_bridge();
  test_veth();
  test_addr_route();
  test_link_ops();
  test_vlan();
  return tap_done();
}
