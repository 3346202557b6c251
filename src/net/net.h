/* Bridge networking from config.json annotations (man berth-config.5,
 * NETWORK): a bridge (created when missing, with the gateway address),
 * a veth pair whose host end is a port of the bridge and whose other end
 * is born in the container's network namespace, the container's address
 * from a lease store, loopback up and a default route. Everything goes
 * through rtnetlink with libmnl; nothing is exec'ed.
 *
 * The runtime drives it in three steps:
 *   net_prepare()   create, before the init is cloned: validates the
 *                   annotations, takes an address lease, writes the
 *                   optional hosts/resolv.conf files and adds their bind
 *                   mounts to the config;
 *   net_attach()    once the init's new network namespace exists (before
 *                   the createRuntime hooks): the links, address and route;
 *   net_teardown()  delete and a failed create: the veth and the lease.
 *
 * IPv4 only. This module knows nothing of the runtime: it gets the
 * container's id, the state root and the init's pid. */
#ifndef BERTH_NET_H
#define BERTH_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

#define NET_ANNOTATION_PREFIX "run.berth.net."
#define NET_DEFAULT_BRIDGE "berth0"
#define NET_DEFAULT_SUBNET "10.89.0.0/24"
#define NET_DEFAULT_IFNAME "eth0"
/* leases live in NET_LEASE_BASE/<bridge>/ */
#define NET_LEASE_BASE "/var/lib/berth/net"
#define NET_IFNAME_MAX 15 /* IFNAMSIZ - 1 */

/* ------------------------------------------------------------------ addresses (pure) */

struct net_subnet
{
  uint32_t addr; /* network address, host byte order */
  unsigned prefix; /* 0..32 */
};

/* The parsers below take err == NULL when only the verdict matters. */

/* "A.B.C.D/N" -> subnet; the host bits must be zero. */
int net_subnet_parse(const char *s, struct net_subnet *out, berth_error_t *err);
/* "A.B.C.D" -> host byte order */
int net_ipv4_parse(const char *s, uint32_t *out, berth_error_t *err);
/* "A.B.C.D" of a host-order address; returns buf (at least 16 bytes) */
char *net_ipv4_format(uint32_t a, char buf[static 16]);
uint32_t net_subnet_mask(unsigned prefix);
uint32_t net_subnet_broadcast(const struct net_subnet *s);
bool net_subnet_contains(const struct net_subnet *s, uint32_t a);
/* An address a container may get: inside, not the network or broadcast
 * address (for prefixes up to /30), not the gateway. */
bool net_subnet_host_ok(const struct net_subnet *s, uint32_t gateway, uint32_t a);

/* The lowest usable address of s that is not in used[0..n) and not the
 * gateway; -ENOSPC (error names the subnet) when there is none. used need
 * not be sorted. */
int net_alloc_pick(const struct net_subnet *s, uint32_t gateway, const uint32_t *used, size_t n,
                   uint32_t *out, berth_error_t *err);

/* "aa:bb:cc:dd:ee:ff" -> 6 bytes; a unicast, non-zero address only. */
int net_mac_parse(const char *s, uint8_t out[6], berth_error_t *err);
/* A network interface name the kernel accepts: 1..15 bytes, no '/', ':',
 * whitespace, not "." or "..". */
int net_ifname_validate(const char *name, berth_error_t *err);

/* The host end of the container's veth: "vb" + 8 hex digits of a hash of
 * the state root and the id, so delete finds it without any record. */
char *net_veth_host_name(const char *root, const char *id);

/* ------------------------------------------------------------------ configuration (pure) */

enum net_mode
{
  NET_MODE_NONE = 0,
  NET_MODE_BRIDGE,
};

struct net_host_entry
{
  char *name;
  uint32_t addr;
};

struct net_config
{
  enum net_mode mode;
  char *bridge;
  struct net_subnet subnet;
  uint32_t gateway;
  bool static_ip; /* ip was asked for */
  uint32_t ip;
  char *ifname;
  unsigned mtu; /* 0: the kernel's default */
  bool mac_set;
  uint8_t mac[6];
  unsigned vlan; /* 0: none */
  bool write_hosts;
  struct net_host_entry *extra_hosts;
  size_t n_extra_hosts;
  uint32_t *dns; /* nameservers; resolv.conf is written when n_dns > 0 */
  size_t n_dns;
  char **dns_search; /* NULL-terminated, may be NULL */
  char **dns_options;
};

/* Read the run.berth.net.* annotations. Unknown keys under the prefix and
 * bad values fail with an error naming the key:
 *   .annotations["run.berth.net.vlan"]: 5000 is not a VLAN id (1..4094)
 * With no mode (or mode none) *out is a config with mode NET_MODE_NONE. */
int net_config_parse(const struct spec_kv *annotations, size_t n, struct net_config **out,
                     berth_error_t *err);
void net_config_free(struct net_config *c);

/* Contents of the generated files (malloc'ed). hostname may be NULL. */
char *net_hosts_content(const struct net_config *c, uint32_t ip, const char *hostname);
char *net_resolv_content(const struct net_config *c);

/* ------------------------------------------------------------------ lease store */

/* Lease files are NET_LEASE_BASE/<bridge>/<address>, each naming the
 * container ("<id>\n<root>\n<subnet>\n"); the directory's "lock" is
 * flock()ed around every change. A lease whose container has no state
 * directory (root/id) any more is stale and reused. dir NULL: the default
 * directory of the bridge. */
int net_lease_acquire(const char *dir, const struct net_config *c, const char *root, const char *id,
                      uint32_t *out, berth_error_t *err);
/* Remove every lease of root/id on the bridge; none is fine. */
int net_lease_release(const char *dir, const char *bridge, const char *root, const char *id,
                      berth_error_t *err);

/* ------------------------------------------------------------------ the runtime's entry points */

struct berth_net; /* one container's network while it is created */

/* Before the clone. *out is NULL when no network is asked for. With
 * bridge mode the container must get a new network namespace
 * (new_netns). The files go in state_dir (hosts, resolv.conf) and their
 * bind mounts are appended to c->mounts. On failure nothing is left. */
int net_prepare(struct spec_config *c, const char *root, const char *id, const char *state_dir,
                bool new_netns, struct berth_net **out, berth_error_t *err);
/* The links, address and route; pid is the init, whose network namespace
 * is the container's. */
int net_attach(struct berth_net *n, pid_t pid, berth_error_t *err);
void net_free(struct berth_net *n);

/* Bring lo up in the caller's network namespace: the init calls it right
 * after it creates one, whatever the network mode (runc and crun do, and
 * engines rely on 127.0.0.1 in `--network none` containers). */
int net_loopback_up(berth_error_t *err);

/* Remove the container's veth and lease (both may be gone already).
 * Reads only the annotations of c; c NULL or without network: no-op. */
int net_teardown(const struct spec_config *c, const char *root, const char *id, berth_error_t *err);

/* ------------------------------------------------------------------ netlink messages (pure) */

/* Builders fill buf (at least NET_NLMSG_BUF bytes) with one request and
 * return the nlmsghdr; seq is set by the caller. Unit-tested. */
#define NET_NLMSG_BUF 4096
struct nlmsghdr;

struct net_veth_req
{
  const char *host_name;
  int bridge_index;
  const char *peer_name;
  int peer_netns_fd;
  unsigned mtu;
  const uint8_t *peer_mac; /* NULL: the kernel picks */
};

struct nlmsghdr *net_msg_getlink(void *buf, const char *name);
/* mac: a fixed address (else the bridge takes the lowest of its ports',
 * which changes as containers come and go), may be NULL */
struct nlmsghdr *net_msg_new_bridge(void *buf, const char *name, bool vlan_filtering, const uint8_t *mac);
struct nlmsghdr *net_msg_bridge_vlan_filtering(void *buf, int ifindex);
struct nlmsghdr *net_msg_new_veth(void *buf, const struct net_veth_req *r);
struct nlmsghdr *net_msg_link_up(void *buf, int ifindex);
struct nlmsghdr *net_msg_dellink(void *buf, const char *name);
struct nlmsghdr *net_msg_new_addr(void *buf, int ifindex, uint32_t addr, unsigned prefix);
struct nlmsghdr *net_msg_default_route(void *buf, int ifindex, uint32_t gateway);
/* add (or with del, remove) VLAN vid on a bridge port; pvid_untagged:
 * the port's PVID, egress untagged */
struct nlmsghdr *net_msg_port_vlan(void *buf, int ifindex, unsigned vid, bool pvid_untagged, bool del);

#endif
