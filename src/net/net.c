/* The runtime's entry points: prepare (config, lease, files), attach
 * (bridge, veth, address, route through netlink) and teardown. */
#include <fcntl.h>
#include <linux/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "net/net.h"
#include "net/nl.h"
#include "util/log.h"
#include "util/util.h"

#define LOOPBACK_INDEX 1 /* the kernel's LOOPBACK_IFINDEX, in every namespace */

struct berth_net
{
  struct net_config *cfg;
  char *root;
  char *id;
  char *veth; /* host end */
  uint32_t ip;
};

void net_free(struct berth_net *n)
{
  if (!n)
    return;
  net_config_free(n->cfg);
  free(n->root);
  free(n->id);
  free(n->veth);
  free(n);
}

static void net_freep(struct berth_net **n)
{
  net_free(*n);
}

static void net_config_freep(struct net_config **c)
{
  net_config_free(*c);
}

/* ------------------------------------------------------------------ prepare */

static long long elapsed_us(const struct timespec *t0)
{
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return (t1.tv_sec - t0->tv_sec) * 1000000LL + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

static void add_bind_mount(struct spec_config *c, const char *source, const char *destination)
{
  c->mounts = xreallocarray(c->mounts, c->n_mounts + 1, sizeof *c->mounts);
  struct spec_mount *m = &c->mounts[c->n_mounts++];
  memset(m, 0, sizeof *m);
  m->destination = xstrdup(destination);
  m->type = xstrdup("bind");
  m->source = xstrdup(source);
  m->options = xcalloc(3, sizeof *m->options);
  m->options[0] = xstrdup("bind");
  m->options[1] = xstrdup("private");
  m->n_options = 2;
}

static int write_generated(struct spec_config *c, const char *state_dir, const char *name,
                           const char *destination, const char *content, berth_error_t *err)
{
  _cleanup_free_ char *path = xasprintf("%s/%s", state_dir, name);
  if (write_file_atomic_at(AT_FDCWD, path, content, strlen(content), 0644, err) < 0)
    return berth_wrap(err, "write %s for the container", destination);
  add_bind_mount(c, path, destination);
  return 0;
}

static int write_files(struct spec_config *c, const struct berth_net *n, const char *state_dir,
                       berth_error_t *err)
{
  if (n->cfg->write_hosts)
    {
      _cleanup_free_ char *hosts = net_hosts_content(n->cfg, n->ip, c->hostname);
      if (write_generated(c, state_dir, "hosts", "/etc/hosts", hosts, err) < 0)
        return -1;
    }
  if (n->cfg->n_dns > 0)
    {
      _cleanup_free_ char *resolv = net_resolv_content(n->cfg);
      if (write_generated(c, state_dir, "resolv.conf", "/etc/resolv.conf", resolv, err) < 0)
        return -1;
    }
  return 0;
}

int net_prepare(struct spec_config *c, const char *root, const char *id, const char *state_dir,
                bool new_netns, struct berth_net **out, berth_error_t *err)
{
  *out = NULL;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  _cleanup_(net_config_freep) struct net_config *cfg = NULL;
  if (net_config_parse(c->annotations, c->n_annotations, &cfg, err) < 0)
    return berth_wrap(err, "config.json");
  if (cfg->mode == NET_MODE_NONE)
    return 0;
  if (!new_netns)
    return berth_fail(err, 0,
                      "config.json: .annotations[\"" NET_ANNOTATION_PREFIX "mode\"]: bridge needs a new network "
                      "namespace (a \"network\" entry without a path in .linux.namespaces)");
  _cleanup_(net_freep) struct berth_net *n = xcalloc(1, sizeof *n);
  n->cfg = steal_pointer(&cfg);
  n->root = xstrdup(root);
  n->id = xstrdup(id);
  n->veth = net_veth_host_name(root, id);
  if (net_lease_acquire(NULL, n->cfg, root, id, &n->ip, err) < 0)
    {
      if ((*err)->errnum == EADDRINUSE)
        return berth_wrap(err, "config.json: .annotations[\"" NET_ANNOTATION_PREFIX "ip\"]");
      return berth_wrap(err, "address for the container on bridge %s", n->cfg->bridge);
    }
  if (write_files(c, n, state_dir, err) < 0)
    {
      _cleanup_error_ berth_error_t e = NULL;
      if (net_lease_release(NULL, n->cfg->bridge, root, id, &e) < 0)
        berth_log_warning("%s", berth_error_msg(e));
      return -1;
    }
  char a[16];
  berth_log_debug("network: leased %s on %s in %lld us", net_ipv4_format(n->ip, a), n->cfg->bridge,
                  elapsed_us(&t0));
  *out = steal_pointer(&n);
  return 0;
}

/* ------------------------------------------------------------------ attach: host side */

/* Kernels built without CONFIG_BRIDGE_VLAN_FILTERING refuse the option */
static const char *vlan_hint(const struct net_config *cfg, int r)
{
  return cfg->vlan && r == -EOPNOTSUPP
             ? " with VLAN filtering (" NET_ANNOTATION_PREFIX "vlan; this kernel has no CONFIG_BRIDGE_VLAN_FILTERING)"
             : "";
}

static int bridge_create(struct nl *nl, const struct net_config *cfg, berth_error_t *err)
{
  char buf[NET_NLMSG_BUF];
  uint8_t mac[6];
  if (getrandom(mac, sizeof mac, 0) != (ssize_t) sizeof mac)
    return berth_fail_sys(err, "random MAC address for the bridge %s", cfg->bridge);
  mac[0] = (uint8_t) ((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
  int r = nl_talk(nl, net_msg_new_bridge(buf, cfg->bridge, cfg->vlan != 0, mac), NULL, NULL);
  if (r < 0 && r != -EEXIST) /* EEXIST: a concurrent create made it */
    return berth_fail(err, -r, "create the bridge %s%s", cfg->bridge, vlan_hint(cfg, r));
  return 0;
}

/* The bridge exists, has the gateway address, is up and filters VLANs
 * when asked to. Returns its index. */
static int bridge_ensure(struct nl *nl, const struct net_config *cfg, berth_error_t *err)
{
  char buf[NET_NLMSG_BUF], gw[16];
  struct nl_link br;
  int r = nl_get_link(nl, cfg->bridge, &br);
  if (r == 0 && br.index == 0)
    {
      if (bridge_create(nl, cfg, err) < 0)
        return -1;
      r = nl_get_link(nl, cfg->bridge, &br);
      if (r == 0 && br.index == 0)
        r = -ENODEV;
    }
  if (r < 0)
    return berth_fail(err, -r, "look up the bridge %s", cfg->bridge);
  if (!str_eq(br.kind, "bridge"))
    return berth_fail(err, 0, "%s exists and is not a bridge (it is a %s link)", cfg->bridge,
                      br.kind[0] ? br.kind : "plain");
  if (cfg->vlan && !br.vlan_filtering)
    {
      r = nl_talk(nl, net_msg_bridge_vlan_filtering(buf, br.index), NULL, NULL);
      if (r < 0)
        return berth_fail(err, -r, "turn on VLAN filtering on the bridge %s%s", cfg->bridge, vlan_hint(cfg, r));
    }
  /* every time, not only when we made it: a create that crashed in
   * between must not leave a bridge without its gateway */
  r = nl_talk(nl, net_msg_new_addr(buf, br.index, cfg->gateway, cfg->subnet.prefix), NULL, NULL);
  if (r < 0 && r != -EEXIST)
    return berth_fail(err, -r, "add the gateway address %s/%u to the bridge %s", net_ipv4_format(cfg->gateway, gw),
                      cfg->subnet.prefix, cfg->bridge);
  if (!(br.flags & IFF_UP))
    {
      r = nl_talk(nl, net_msg_link_up(buf, br.index), NULL, NULL);
      if (r < 0)
        return berth_fail(err, -r, "set the bridge %s up", cfg->bridge);
    }
  return br.index;
}

static int veth_create(struct nl *nl, const struct berth_net *n, int bridge_index, int netns_fd,
                       berth_error_t *err)
{
  char buf[NET_NLMSG_BUF];
  const struct net_config *cfg = n->cfg;
  struct net_veth_req req = {
    .host_name = n->veth,
    .bridge_index = bridge_index,
    .peer_name = cfg->ifname,
    .peer_netns_fd = netns_fd,
    .mtu = cfg->mtu,
    .peer_mac = cfg->mac_set ? cfg->mac : NULL,
  };
  int r = nl_talk(nl, net_msg_new_veth(buf, &req), NULL, NULL);
  if (r == -EEXIST)
    {
      /* named after our root and id: a leftover of an earlier container
       * with this id whose namespace something still holds */
      berth_log_warning("removing the leftover veth %s", n->veth);
      nl_talk(nl, net_msg_dellink(buf, n->veth), NULL, NULL);
      r = nl_talk(nl, net_msg_new_veth(buf, &req), NULL, NULL);
    }
  if (r < 0)
    return berth_fail(err, -r, "create the veth pair %s (bridge %s) / %s (container)", n->veth, cfg->bridge,
                      cfg->ifname);
  return 0;
}

/* The port's only VLAN is vid, as PVID and egress untagged. */
static int port_vlan_set(struct nl *nl, const struct berth_net *n, berth_error_t *err)
{
  char buf[NET_NLMSG_BUF];
  unsigned vid = n->cfg->vlan;
  struct nl_link port;
  int r = nl_get_link(nl, n->veth, &port);
  if (r == 0 && port.index == 0)
    r = -ENODEV;
  if (r == 0)
    r = nl_talk(nl, net_msg_port_vlan(buf, port.index, vid, true, false), NULL, NULL);
  if (r < 0)
    return berth_fail(err, -r, "put %s on VLAN %u of the bridge %s", n->veth, vid, n->cfg->bridge);
  if (vid != 1)
    {
      /* the bridge's default VLAN 1, which every new port joins */
      r = nl_talk(nl, net_msg_port_vlan(buf, port.index, 1, false, true), NULL, NULL);
      if (r < 0 && r != -ENOENT && r != -EINVAL)
        return berth_fail(err, -r, "take %s off the bridge's default VLAN 1", n->veth);
    }
  return 0;
}

/* ------------------------------------------------------------------ attach: container side */

static int container_configure(struct nl *nl, const struct berth_net *n, berth_error_t *err)
{
  char buf[NET_NLMSG_BUF], a[16];
  const struct net_config *cfg = n->cfg;
  int r = nl_talk(nl, net_msg_link_up(buf, LOOPBACK_INDEX), NULL, NULL);
  if (r < 0)
    return berth_fail(err, -r, "set lo up in the container");
  struct nl_link eth;
  r = nl_get_link(nl, cfg->ifname, &eth);
  if (r == 0 && eth.index == 0)
    r = -ENODEV;
  if (r < 0)
    return berth_fail(err, -r, "look up %s in the container", cfg->ifname);
  r = nl_talk(nl, net_msg_link_up(buf, eth.index), NULL, NULL);
  if (r < 0)
    return berth_fail(err, -r, "set %s up in the container", cfg->ifname);
  r = nl_talk(nl, net_msg_new_addr(buf, eth.index, n->ip, cfg->subnet.prefix), NULL, NULL);
  if (r < 0)
    return berth_fail(err, -r, "add %s/%u to %s in the container", net_ipv4_format(n->ip, a), cfg->subnet.prefix,
                      cfg->ifname);
  r = nl_talk(nl, net_msg_default_route(buf, eth.index, cfg->gateway), NULL, NULL);
  if (r < 0)
    return berth_fail(err, -r, "add the default route via %s in the container", net_ipv4_format(cfg->gateway, a));
  return 0;
}

int net_loopback_up(berth_error_t *err)
{
  _cleanup_(nl_close) struct nl nl = {0};
  if (nl_open(&nl, err) < 0)
    return berth_wrap(err, "set lo up");
  char buf[NET_NLMSG_BUF];
  int r = nl_talk(&nl, net_msg_link_up(buf, LOOPBACK_INDEX), NULL, NULL);
  if (r < 0)
    return berth_fail(err, -r, "set lo up in the container's new network namespace");
  return 0;
}

int net_attach(struct berth_net *n, pid_t pid, berth_error_t *err)
{
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  _cleanup_free_ char *ns_path = xasprintf("/proc/%d/ns/net", (int) pid);
  _cleanup_close_ int netns_fd = open(ns_path, O_RDONLY | O_CLOEXEC);
  if (netns_fd < 0)
    return berth_fail_sys(err, "open the container's network namespace %s", ns_path);
  _cleanup_(nl_close) struct nl host = {0};
  _cleanup_(nl_close) struct nl inside = {0};
  if (nl_open(&host, err) < 0)
    return -1;
  int bridge_index = bridge_ensure(&host, n->cfg, err);
  if (bridge_index < 0)
    return -1;
  if (veth_create(&host, n, bridge_index, netns_fd, err) < 0)
    return -1;
  if (n->cfg->vlan && port_vlan_set(&host, n, err) < 0)
    return -1;
  if (nl_open_in_netns(&inside, netns_fd, err) < 0)
    return -1;
  if (container_configure(&inside, n, err) < 0)
    return -1;
  char a[16], gw[16];
  berth_log_debug("network: %s %s/%u on %s via %s, veth %s, set up in %lld us", n->cfg->ifname,
                  net_ipv4_format(n->ip, a), n->cfg->subnet.prefix, n->cfg->bridge,
                  net_ipv4_format(n->cfg->gateway, gw), n->veth, elapsed_us(&t0));
  return 0;
}

/* ------------------------------------------------------------------ teardown */

int net_teardown(const struct spec_config *c, const char *root, const char *id, berth_error_t *err)
{
  if (!c)
    return 0;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  _cleanup_(net_config_freep) struct net_config *cfg = NULL;
  _cleanup_error_ berth_error_t invalid = NULL;
  /* a config that does not parse never got a network */
  if (net_config_parse(c->annotations, c->n_annotations, &cfg, &invalid) < 0 || cfg->mode == NET_MODE_NONE)
    return 0;
  _cleanup_free_ char *veth = net_veth_host_name(root, id);
  _cleanup_(nl_close) struct nl host = {0};
  if (nl_open(&host, err) < 0)
    return -1;
  char buf[NET_NLMSG_BUF];
  int r = nl_talk(&host, net_msg_dellink(buf, veth), NULL, NULL);
  if (r < 0 && r != -ENODEV)
    return berth_fail(err, -r, "remove the container's veth %s", veth);
  if (net_lease_release(NULL, cfg->bridge, root, id, err) < 0)
    return berth_wrap(err, "release the container's address on bridge %s", cfg->bridge);
  berth_log_debug("network: veth %s and lease on %s removed in %lld us", veth, cfg->bridge, elapsed_us(&t0));
  return 0;
}
