/* src/net: address arithmetic, allocation, annotations, generated files,
 * and the lease store in a temporary directory (no root, no netlink). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/net.h"
#include "tap.h"
#include "util/util.h"

static uint32_t ip(const char *s)
{
  uint32_t a = 0;
  if (net_ipv4_parse(s, &a, NULL) < 0)
    {
      printf("# bad test address %s\n", s);
      abort();
    }
  return a;
}

static void test_ipv4(void)
{
  berth_error_t e = NULL;
  uint32_t a;
  char buf[16];
  ok(net_ipv4_parse("10.89.0.1", &a, &e) == 0 && a == 0x0a590001, "parse 10.89.0.1");
  is_str(net_ipv4_format(0xc0a80aff, buf), "192.168.10.255", "format");
  const char *bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "01.2.3.4", "1..3.4",
                       "a.b.c.d", "1.2.3.-4", "1.2.3.4/24"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    {
      is_err(net_ipv4_parse(bad[i], &a, &e), e, "is not an IPv4 address", "reject \"%s\"", bad[i]);
      berth_error_free(&e);
    }
}

static void test_subnet(void)
{
  berth_error_t e = NULL;
  struct net_subnet s;
  ok(net_subnet_parse("10.89.0.0/24", &s, &e) == 0 && s.addr == 0x0a590000 && s.prefix == 24, "parse /24");
  is_int(net_subnet_broadcast(&s), 0x0a5900ff, "broadcast");
  ok(net_subnet_contains(&s, ip("10.89.0.77")) && !net_subnet_contains(&s, ip("10.89.1.1")), "contains");
  ok(!net_subnet_host_ok(&s, ip("10.89.0.1"), ip("10.89.0.0")), "network address is no host");
  ok(!net_subnet_host_ok(&s, ip("10.89.0.1"), ip("10.89.0.255")), "broadcast is no host");
  ok(!net_subnet_host_ok(&s, ip("10.89.0.1"), ip("10.89.0.1")), "gateway is no host");
  ok(net_subnet_host_ok(&s, ip("10.89.0.1"), ip("10.89.0.2")), ".2 is a host");
  is_err(net_subnet_parse("10.89.0.1/24", &s, &e), e, "host bits set (the subnet is 10.89.0.0/24)", "host bits");
  berth_error_free(&e);
  is_err(net_subnet_parse("10.89.0.0/33", &s, &e), e, "prefix length must be 0..32", "prefix 33");
  berth_error_free(&e);
  is_err(net_subnet_parse("10.89.0.0", &s, &e), e, "not a CIDR subnet", "no prefix");
  berth_error_free(&e);
  is_int(net_subnet_mask(0), 0, "mask /0");
  is_int(net_subnet_mask(32), 0xffffffffu, "mask /32");
}

static void test_alloc(void)
{
  berth_error_t e = NULL;
  struct net_subnet s;
  net_subnet_parse("10.89.0.0/24", &s, NULL);
  uint32_t gw = ip("10.89.0.1"), out = 0;
  ok(net_alloc_pick(&s, gw, NULL, 0, &out, &e) == 0 && out == ip("10.89.0.2"), "first is .2");
  uint32_t used[] = {ip("10.89.0.4"), ip("10.89.0.2"), ip("10.89.0.3"), ip("192.168.0.2")};
  ok(net_alloc_pick(&s, gw, used, ARRAY_SIZE(used), &out, &e) == 0 && out == ip("10.89.0.5"), "lowest free, unsorted");
  uint32_t hole[] = {ip("10.89.0.2"), ip("10.89.0.4")};
  ok(net_alloc_pick(&s, gw, hole, 2, &out, &e) == 0 && out == ip("10.89.0.3"), "fills a hole");
  /* gateway elsewhere: .1 is free for containers */
  ok(net_alloc_pick(&s, ip("10.89.0.254"), NULL, 0, &out, &e) == 0 && out == ip("10.89.0.1"), "gateway .254");

  struct net_subnet small;
  net_subnet_parse("10.0.0.0/30", &small, NULL);
  ok(net_alloc_pick(&small, ip("10.0.0.1"), NULL, 0, &out, &e) == 0 && out == ip("10.0.0.2"), "/30 has one");
  uint32_t full[] = {ip("10.0.0.2")};
  is_err(net_alloc_pick(&small, ip("10.0.0.1"), full, 1, &out, &e), e, "no free address left in 10.0.0.0/30",
         "/30 full");
  is_int(e ? e->errnum : 0, ENOSPC, "ENOSPC");
  berth_error_free(&e);

  /* a /24 filled completely but for one */
  uint32_t many[253];
  size_t n = 0;
  for (uint32_t a = ip("10.89.0.2"); a <= ip("10.89.0.254"); a++)
    if (a != ip("10.89.0.200"))
      many[n++] = a;
  ok(net_alloc_pick(&s, gw, many, n, &out, &e) == 0 && out == ip("10.89.0.200"), "last free one");
}

static void test_mac_ifname_veth(void)
{
  berth_error_t e = NULL;
  uint8_t mac[6];
  ok(net_mac_parse("02:42:ac:11:00:0A", mac, &e) == 0 && mac[0] == 2 && mac[5] == 10, "mac");
  is_err(net_mac_parse("01:00:5e:00:00:01", mac, &e), e, "multicast", "multicast mac");
  berth_error_free(&e);
  is_err(net_mac_parse("00:00:00:00:00:00", mac, &e), e, "zero address", "zero mac");
  berth_error_free(&e);
  const char *bad_macs[] = {"02:42:ac:11:00", "02:42:ac:11:00:0a:", "02-42-ac-11-00-0a", "2:42:ac:11:00:0a", "zz:42:ac:11:00:0a"};
  for (size_t i = 0; i < ARRAY_SIZE(bad_macs); i++)
    {
      is_err(net_mac_parse(bad_macs[i], mac, &e), e, "is not a MAC address", "reject mac %s", bad_macs[i]);
      berth_error_free(&e);
    }
  ok(net_ifname_validate("eth0", &e) == 0, "eth0");
  ok(net_ifname_validate("abcdefghijklmno", &e) == 0, "15 bytes");
  const char *bad_names[] = {"", "abcdefghijklmnop", ".", "..", "a/b", "a:b", "a b", "a\tb"};
  for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++)
    {
      ok(net_ifname_validate(bad_names[i], &e) < 0, "reject ifname \"%s\"", bad_names[i]);
      berth_error_free(&e);
    }
  _cleanup_free_ char *v1 = net_veth_host_name("/run/berth", "c1");
  _cleanup_free_ char *v2 = net_veth_host_name("/run/berth", "c1");
  _cleanup_free_ char *v3 = net_veth_host_name("/run/berth", "c2");
  _cleanup_free_ char *v4 = net_veth_host_name("/run/berth2", "c1");
  _cleanup_free_ char *v5 = net_veth_host_name("/run/berth/c", "1"); /* root and id are kept apart */
  ok(strlen(v1) == 10 && str_has_prefix(v1, "vb"), "veth name %s is vb + 8 hex", v1);
  ok(net_ifname_validate(v1, NULL) == 0, "veth name is a valid ifname");
  is_str(v1, v2, "veth name is deterministic");
  ok(!str_eq(v1, v3) && !str_eq(v1, v4) && !str_eq(v4, v5) && !str_eq(v1, v5), "veth names differ");
}

/* ------------------------------------------------------------------ annotations */

static struct spec_kv kv(const char *k, const char *v)
{
  return (struct spec_kv){(char *) k, (char *) v};
}

static int parse(struct net_config **c, berth_error_t *e, size_t n, ...)
{
  struct spec_kv a[16];
  va_list ap;
  va_start(ap, n);
  for (size_t i = 0; i < n; i++)
    {
      const char *k = va_arg(ap, const char *);
      const char *v = va_arg(ap, const char *);
      a[i] = kv(k, v);
    }
  va_end(ap);
  net_config_free(*c);
  *c = NULL;
  return net_config_parse(a, n, c, e);
}

#define P(...) parse(&c, &e, __VA_ARGS__)

static void test_config(void)
{
  struct net_config *c = NULL;
  berth_error_t e = NULL;
  char a[16];

  ok(P(1, "org.example", "x") == 0 && c->mode == NET_MODE_NONE, "no annotation: no network");
  ok(P(1, "run.berth.net.mode", "bridge") == 0 && c->mode == NET_MODE_BRIDGE, "bridge");
  is_str(c->bridge, "berth0", "default bridge");
  is_str(c->ifname, "eth0", "default ifname");
  is_str(net_ipv4_format(c->subnet.addr, a), "10.89.0.0", "default subnet");
  is_int(c->subnet.prefix, 24, "default prefix");
  is_str(net_ipv4_format(c->gateway, a), "10.89.0.1", "default gateway");
  ok(!c->static_ip && !c->mtu && !c->mac_set && !c->vlan && !c->write_hosts && !c->n_dns, "defaults off");

  ok(P(8, "run.berth.net.mode", "bridge", "run.berth.net.bridge", "br-test", "run.berth.net.subnet",
       "172.30.0.0/16", "run.berth.net.ip", "172.30.5.6", "run.berth.net.ifname", "net0", "run.berth.net.mtu",
       "1400", "run.berth.net.mac", "02:00:00:00:00:01", "run.berth.net.vlan", "10")
         == 0,
     "all settings");
  if (c)
    {
      is_str(c->bridge, "br-test", "bridge name");
      is_str(net_ipv4_format(c->gateway, a), "172.30.0.1", "gateway of /16");
      ok(c->static_ip && c->ip == ip("172.30.5.6"), "static ip");
      is_str(c->ifname, "net0", "ifname");
      is_int(c->mtu, 1400, "mtu");
      ok(c->mac_set && c->mac[5] == 1, "mac");
      is_int(c->vlan, 10, "vlan");
    }

  ok(P(2, "run.berth.net.mode", "bridge", "run.berth.net.ip", "192.168.7.9/28") == 0, "ip with a prefix");
  if (c)
    {
      is_str(net_ipv4_format(c->subnet.addr, a), "192.168.7.0", "subnet from the ip's prefix");
      is_int(c->subnet.prefix, 28, "its prefix");
      is_str(net_ipv4_format(c->gateway, a), "192.168.7.1", "its gateway");
    }
  ok(P(3, "run.berth.net.mode", "bridge", "run.berth.net.subnet", "10.1.0.0/24", "run.berth.net.gateway",
       "10.1.0.254")
         == 0
       && c->gateway == ip("10.1.0.254"),
     "explicit gateway");

  struct
  {
    const char *key, *value, *want;
  } bad[] = {
    {"run.berth.net.mode", "host", ".annotations[\"run.berth.net.mode\"]: \"host\" is not a network mode"},
    {"run.berth.net.bridge", "a/b", ".annotations[\"run.berth.net.bridge\"]"},
    {"run.berth.net.ifname", "waytoolonginterfacename", ".annotations[\"run.berth.net.ifname\"]"},
    {"run.berth.net.subnet", "10.0.0.1/8", ".annotations[\"run.berth.net.subnet\"]: \"10.0.0.1/8\" has host bits"},
    {"run.berth.net.subnet", "10.0.0.0/31", ".annotations[\"run.berth.net.subnet\"]: a /31 subnet has no room"},
    {"run.berth.net.ip", "10.89.1.5", ".annotations[\"run.berth.net.ip\"]: 10.89.1.5 is not a host address of 10.89.0.0/24"},
    {"run.berth.net.ip", "10.89.0.1", ".annotations[\"run.berth.net.ip\"]: 10.89.0.1 is the gateway's address"},
    {"run.berth.net.ip", "10.89.0.255", ".annotations[\"run.berth.net.ip\"]: 10.89.0.255 is not a host address"},
    {"run.berth.net.ip", "10.89.0.5/40", ".annotations[\"run.berth.net.ip\"]"},
    {"run.berth.net.gateway", "10.89.0.0", ".annotations[\"run.berth.net.gateway\"]: 10.89.0.0 is not a host address"},
    {"run.berth.net.gateway", "10.90.0.1", ".annotations[\"run.berth.net.gateway\"]"},
    {"run.berth.net.mtu", "67", ".annotations[\"run.berth.net.mtu\"]: 67 is not an MTU (68..65535)"},
    {"run.berth.net.mtu", "1500x", ".annotations[\"run.berth.net.mtu\"]"},
    {"run.berth.net.mac", "ff:ff:ff:ff:ff:ff", ".annotations[\"run.berth.net.mac\"]: \"ff:ff:ff:ff:ff:ff\" is a multicast"},
    {"run.berth.net.vlan", "0", ".annotations[\"run.berth.net.vlan\"]: 0 is not a VLAN id (1..4094)"},
    {"run.berth.net.vlan", "4095", ".annotations[\"run.berth.net.vlan\"]: 4095 is not a VLAN id"},
    {"run.berth.net.hosts", "yes", ".annotations[\"run.berth.net.hosts\"]: \"yes\" is neither true nor false"},
    {"run.berth.net.extra-hosts", "db", ".annotations[\"run.berth.net.extra-hosts\"]: \"db\" is not NAME=ADDRESS"},
    {"run.berth.net.extra-hosts", "d b=1.2.3.4", ".annotations[\"run.berth.net.extra-hosts\"]: \"d b\" is not a valid host name"},
    {"run.berth.net.dns", "1.1.1.1,,8.8.8.8", ".annotations[\"run.berth.net.dns\"]: empty item"},
    {"run.berth.net.dns", "1.1.1.1,8.8.8.8,9.9.9.9,8.8.4.4", ".annotations[\"run.berth.net.dns\"]: 4 nameservers"},
    {"run.berth.net.dns-search", "ex ample.com", ".annotations[\"run.berth.net.dns-search\"]"},
    {"run.berth.net.dns-options", "ndots: 2", ".annotations[\"run.berth.net.dns-options\"]"},
    {"run.berth.net.colour", "blue", ".annotations[\"run.berth.net.colour\"]: unknown network setting"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    {
      is_err(P(2, "run.berth.net.mode", "bridge", bad[i].key, bad[i].value), e, bad[i].want, "reject %s=%s",
             bad[i].key, bad[i].value);
      berth_error_free(&e);
    }
  is_err(P(3, "run.berth.net.mode", "bridge", "run.berth.net.subnet", "10.1.0.0/24", "run.berth.net.ip",
           "10.1.0.5/16"),
         e, ".annotations[\"run.berth.net.ip\"]: 10.1.0.5/16 does not match the subnet 10.1.0.0/24",
         "ip prefix differs from the subnet");
  berth_error_free(&e);
  net_config_free(c);
}

static void test_files(void)
{
  struct net_config *c = NULL;
  berth_error_t e = NULL;
  ok(P(5, "run.berth.net.mode", "bridge", "run.berth.net.hosts", "true", "run.berth.net.extra-hosts",
       "db=10.89.0.10,cache.local=10.89.0.11", "run.berth.net.dns", "1.1.1.1,9.9.9.9", "run.berth.net.dns-search",
       "example.com,corp")
       == 0,
     "files config");
  if (!c)
    return;
  _cleanup_free_ char *hosts = net_hosts_content(c, ip("10.89.0.7"), "web");
  is_str(hosts,
         "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.89.0.7\tweb\n10.89.0.10\tdb\n"
         "10.89.0.11\tcache.local\n",
         "hosts");
  _cleanup_free_ char *nohost = net_hosts_content(c, ip("10.89.0.7"), NULL);
  ok(strstr(nohost, "10.89.0.7") == NULL, "no hostname: no line for the container");
  _cleanup_free_ char *resolv = net_resolv_content(c);
  is_str(resolv, "search example.com corp\nnameserver 1.1.1.1\nnameserver 9.9.9.9\n", "resolv.conf");
  ok(P(3, "run.berth.net.mode", "bridge", "run.berth.net.dns", "10.0.0.53", "run.berth.net.dns-options",
       "ndots:2,timeout:1")
       == 0,
     "dns options");
  _cleanup_free_ char *resolv2 = net_resolv_content(c);
  is_str(resolv2, "nameserver 10.0.0.53\noptions ndots:2 timeout:1\n", "resolv.conf with options");
  net_config_free(c);
}

/* ------------------------------------------------------------------ lease store */

static char *tmpdir(void)
{
  char tmpl[] = "/tmp/test_net_XXXXXX";
  char *d = mkdtemp(tmpl);
  return d ? xstrdup(d) : NULL;
}

static void rm_rf(const char *path)
{
  _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", path);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", path);
}

static bool lease_exists(const char *dir, const char *addr)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", dir, addr);
  return access(p, F_OK) == 0;
}

static void mkstate(const char *root, const char *id)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", root, id);
  mkdir(p, 0700);
}

static void rmstate(const char *root, const char *id)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", root, id);
  rmdir(p);
}

static void test_leases(void)
{
  _cleanup_free_ char *base = tmpdir();
  if (!ok(base != NULL, "temp dir"))
    return;
  _cleanup_free_ char *dir = xasprintf("%s/leases/br", base);
  _cleanup_free_ char *root = xasprintf("%s/root", base);
  mkdir(root, 0700);
  struct net_config *c = NULL;
  berth_error_t e = NULL;
  P(1, "run.berth.net.mode", "bridge");
  uint32_t a1 = 0, a2 = 0, a3 = 0;
  char s[16];

  mkstate(root, "c1");
  mkstate(root, "c2");
  ok(net_lease_acquire(dir, c, root, "c1", &a1, &e) == 0 && a1 == ip("10.89.0.2"), "c1 gets .2");
  ok(net_lease_acquire(dir, c, root, "c2", &a2, &e) == 0 && a2 == ip("10.89.0.3"), "c2 gets .3");
  ok(lease_exists(dir, "10.89.0.2") && lease_exists(dir, "10.89.0.3"), "lease files exist");
  struct stat st;
  ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700, "lease dir is 0700");

  /* static: taken, then free */
  struct net_config *st_c = NULL;
  parse(&st_c, &e, 2, "run.berth.net.mode", "bridge", "run.berth.net.ip", "10.89.0.3");
  mkstate(root, "c3");
  is_err(net_lease_acquire(dir, st_c, root, "c3", &a3, &e), e, "10.89.0.3 is taken by container c2",
         "static ip taken");
  is_int(e ? e->errnum : 0, EADDRINUSE, "EADDRINUSE");
  berth_error_free(&e);

  /* release frees it, the next one reuses it */
  ok(net_lease_release(dir, "br", root, "c2", &e) == 0 && !lease_exists(dir, "10.89.0.3"), "release c2");
  ok(net_lease_release(dir, "br", root, "c2", &e) == 0, "release twice is fine");
  ok(net_lease_acquire(dir, st_c, root, "c3", &a3, &e) == 0 && a3 == ip("10.89.0.3"), "static ip once free");
  net_lease_release(dir, "br", root, "c3", &e);

  /* crash: c1's state dir is gone, its lease is reclaimed */
  rmstate(root, "c1");
  mkstate(root, "c4");
  ok(net_lease_acquire(dir, c, root, "c4", &a1, &e) == 0 && a1 == ip("10.89.0.2"), "stale lease reclaimed: %s",
     net_ipv4_format(a1, s));
  /* the same id again (an earlier container of that id): its old lease goes */
  ok(net_lease_acquire(dir, c, root, "c4", &a2, &e) == 0 && a2 == ip("10.89.0.2") && lease_exists(dir, "10.89.0.2"),
     "a second lease for the same id replaces the first");

  /* another root is another container */
  _cleanup_free_ char *root2 = xasprintf("%s/root2", base);
  mkdir(root2, 0700);
  mkstate(root2, "c4");
  ok(net_lease_acquire(dir, c, root2, "c4", &a3, &e) == 0 && a3 == ip("10.89.0.3"), "same id, other root");

  /* a torn lease file (crashed writer) is free */
  _cleanup_free_ char *torn = xasprintf("%s/10.89.0.4", dir);
  int fd = open(torn, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0)
    close(fd);
  mkstate(root, "c5");
  ok(net_lease_acquire(dir, c, root, "c5", &a3, &e) == 0 && a3 == ip("10.89.0.4"), "torn lease is free");

  /* a different subnet on a bridge with live leases */
  struct net_config *other = NULL;
  parse(&other, &e, 2, "run.berth.net.mode", "bridge", "run.berth.net.subnet", "10.90.0.0/24");
  mkstate(root, "c6");
  is_err(net_lease_acquire(dir, other, root, "c6", &a3, &e), e, "are for subnet 10.89.0.0/24", "subnet mismatch");
  berth_error_free(&e);

  /* release on a bridge that never had a lease */
  ok(net_lease_release(NULL, "no-such-bridge-x", root, "c1", &e) == 0, "release without a lease dir");

  net_config_free(other);
  net_config_free(st_c);
  net_config_free(c);
  rm_rf(base);
}

/* Concurrent allocation: 8 processes, 10 leases each, all distinct. */
static void test_leases_concurrent(void)
{
  _cleanup_free_ char *base = tmpdir();
  if (!ok(base != NULL, "temp dir"))
    return;
  _cleanup_free_ char *dir = xasprintf("%s/leases", base);
  _cleanup_free_ char *root = xasprintf("%s/root", base);
  mkdir(root, 0700);
  enum { PROCS = 8, EACH = 10 };
  for (int p = 0; p < PROCS; p++)
    for (int i = 0; i < EACH; i++)
      {
        _cleanup_free_ char *id = xasprintf("p%d-%d", p, i);
        mkstate(root, id);
      }
  pid_t pids[PROCS];
  for (int p = 0; p < PROCS; p++)
    {
      pids[p] = fork();
      if (pids[p] == 0)
        {
          struct net_config *c = NULL;
          berth_error_t e = NULL;
          parse(&c, &e, 1, "run.berth.net.mode", "bridge");
          for (int i = 0; i < EACH; i++)
            {
              _cleanup_free_ char *id = xasprintf("p%d-%d", p, i);
              uint32_t a;
              if (net_lease_acquire(dir, c, root, id, &a, &e) < 0)
                _exit(1);
            }
          _exit(0);
        }
    }
  int failed = 0;
  for (int p = 0; p < PROCS; p++)
    {
      int status;
      waitpid(pids[p], &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        failed++;
    }
  is_int(failed, 0, "every concurrent acquire succeeded");
  int found = 0;
  for (uint32_t a = ip("10.89.0.2"); a < ip("10.89.0.2") + PROCS * EACH; a++)
    {
      char s[16];
      found += lease_exists(dir, net_ipv4_format(a, s));
    }
  is_int(found, PROCS * EACH, "%d distinct leases, .2 to .%d", PROCS * EACH, 1 + PROCS * EACH);
  rm_rf(base);
}

int main(void)
{
  test_ipv4();
  test_subnet();
  test_alloc();
  test_mac_ifname_veth();
  test_config();
  test_files();
  test_leases();
  test_leases_concurrent();
  return tap_done();
}
