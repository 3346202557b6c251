/* run.berth.net.* annotations -> struct net_config, and the generated
 * /etc/hosts and /etc/resolv.conf: pure logic. */
#include <stdio.h>
#include <stdlib.h>

#include "net/net.h"
#include "util/util.h"

#define MAX_NAMESERVERS 3 /* what the resolver reads (MAXNS) */

void net_config_free(struct net_config *c)
{
  if (!c)
    return;
  free(c->bridge);
  free(c->ifname);
  for (size_t i = 0; i < c->n_extra_hosts; i++)
    free(c->extra_hosts[i].name);
  free(c->extra_hosts);
  free(c->dns);
  strv_free(c->dns_search);
  strv_free(c->dns_options);
  free(c);
}

static void net_config_freep(struct net_config **c)
{
  net_config_free(*c);
}

/* Split a comma-separated list; empty items are an error. */
static int split_list(const char *s, char ***out, size_t *n, berth_error_t *err)
{
  _cleanup_strv_ char **v = xcalloc(1, sizeof *v);
  size_t count = 0;
  const char *p = s;
  for (;;)
    {
      const char *comma = strchr(p, ',');
      size_t len = comma ? (size_t) (comma - p) : strlen(p);
      if (len == 0)
        return berth_fail(err, 0, "empty item in \"%s\"", s);
      v = xreallocarray(v, count + 2, sizeof *v);
      v[count++] = xstrndup(p, len);
      v[count] = NULL;
      if (!comma)
        break;
      p = comma + 1;
    }
  *out = steal_pointer(&v);
  *n = count;
  return 0;
}

/* letters, digits, '-', '_' and '.', as in host and domain names */
static int check_name(const char *what, const char *s, berth_error_t *err)
{
  if (!*s || strlen(s) > 253)
    return berth_fail(err, 0, "\"%s\" is not a valid %s", s, what);
  for (const char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-'
          || *p == '_' || *p == '.'))
      return berth_fail(err, 0, "\"%s\" is not a valid %s", s, what);
  return 0;
}

static int parse_bool(const char *v, bool *out, berth_error_t *err)
{
  if (str_eq(v, "true"))
    *out = true;
  else if (str_eq(v, "false"))
    *out = false;
  else
    return berth_fail(err, 0, "\"%s\" is neither true nor false", v);
  return 0;
}

static int parse_range(const char *v, long long min, long long max, const char *what, unsigned *out,
                       berth_error_t *err)
{
  long long n;
  if (parse_int64(v, &n) < 0 || n < min || n > max)
    return berth_fail(err, 0, "%s is not %s (%lld..%lld)", v, what, min, max);
  *out = (unsigned) n;
  return 0;
}

/* The raw annotation values, before they are checked against each other. */
struct raw
{
  const char *mode, *bridge, *subnet, *gateway, *ip, *ifname, *mtu, *mac, *vlan, *hosts, *extra_hosts,
      *dns, *dns_search, *dns_options;
};

static const char **raw_slot(struct raw *r, const char *name)
{
  static const struct
  {
    const char *name;
    size_t offset;
  } slots[] = {
#define SLOT(n, f) {n, offsetof(struct raw, f)}
    SLOT("mode", mode),   SLOT("bridge", bridge),           SLOT("subnet", subnet),
    SLOT("gateway", gateway), SLOT("ip", ip),               SLOT("ifname", ifname),
    SLOT("mtu", mtu),     SLOT("mac", mac),                 SLOT("vlan", vlan),
    SLOT("hosts", hosts), SLOT("extra-hosts", extra_hosts), SLOT("dns", dns),
    SLOT("dns-search", dns_search), SLOT("dns-options", dns_options),
#undef SLOT
  };
  for (size_t i = 0; i < ARRAY_SIZE(slots); i++)
    if (str_eq(slots[i].name, name))
      return (const char **) ((char *) r + slots[i].offset);
  return NULL;
}

#define KEYFMT ".annotations[\"" NET_ANNOTATION_PREFIX "%s\"]"

static int parse_extra_hosts(struct net_config *c, const char *v, berth_error_t *err)
{
  _cleanup_strv_ char **items = NULL;
  size_t n;
  if (split_list(v, &items, &n, err) < 0)
    return -1;
  c->extra_hosts = xcalloc(n, sizeof *c->extra_hosts);
  for (size_t i = 0; i < n; i++)
    {
      char *eq = strchr(items[i], '=');
      if (!eq)
        return berth_fail(err, 0, "\"%s\" is not NAME=ADDRESS", items[i]);
      *eq = '\0';
      if (check_name("host name", items[i], err) < 0 || net_ipv4_parse(eq + 1, &c->extra_hosts[i].addr, err) < 0)
        return -1;
      c->extra_hosts[i].name = xstrdup(items[i]);
      c->n_extra_hosts++;
    }
  return 0;
}

static int parse_dns(struct net_config *c, const char *v, berth_error_t *err)
{
  _cleanup_strv_ char **items = NULL;
  size_t n;
  if (split_list(v, &items, &n, err) < 0)
    return -1;
  if (n > MAX_NAMESERVERS)
    return berth_fail(err, 0, "%zu nameservers, the resolver reads at most %d", n, MAX_NAMESERVERS);
  c->dns = xcalloc(n, sizeof *c->dns);
  for (size_t i = 0; i < n; i++)
    if (net_ipv4_parse(items[i], &c->dns[i], err) < 0)
      return -1;
  c->n_dns = n;
  return 0;
}

static int parse_words(const char *what, const char *v, char ***out, berth_error_t *err)
{
  _cleanup_strv_ char **items = NULL;
  size_t n;
  if (split_list(v, &items, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      if (str_eq(what, "domain") && check_name(what, items[i], err) < 0)
        return -1;
      for (const char *p = items[i]; *p; p++)
        if ((unsigned char) *p <= ' ' || *p == 0x7f)
          return berth_fail(err, 0, "\"%s\": a resolver option may not contain whitespace", items[i]);
    }
  *out = steal_pointer(&items);
  return 0;
}

/* Each value on its own; failures name the key through the caller. */
static int parse_single(struct net_config *c, const struct raw *r, const char **failed_key,
                        char **ip_prefix, berth_error_t *err)
{
#define TRY(key, expr)                                                                           \
  do                                                                                             \
    {                                                                                            \
      *failed_key = key;                                                                         \
      if (expr)                                                                                  \
        return -1;                                                                               \
    }                                                                                            \
  while (0)
  if (r->mode)
    {
      *failed_key = "mode";
      if (str_eq(r->mode, "bridge"))
        c->mode = NET_MODE_BRIDGE;
      else if (!str_eq(r->mode, "none"))
        return berth_fail(err, 0, "\"%s\" is not a network mode (bridge or none)", r->mode);
    }
  c->bridge = xstrdup(r->bridge ? r->bridge : NET_DEFAULT_BRIDGE);
  TRY("bridge", net_ifname_validate(c->bridge, err) < 0);
  c->ifname = xstrdup(r->ifname ? r->ifname : NET_DEFAULT_IFNAME);
  TRY("ifname", net_ifname_validate(c->ifname, err) < 0);
  if (r->subnet)
    TRY("subnet", net_subnet_parse(r->subnet, &c->subnet, err) < 0);
  if (r->gateway)
    TRY("gateway", net_ipv4_parse(r->gateway, &c->gateway, err) < 0);
  if (r->ip)
    {
      const char *slash = strchr(r->ip, '/');
      _cleanup_free_ char *addr = slash ? xstrndup(r->ip, (size_t) (slash - r->ip)) : xstrdup(r->ip);
      TRY("ip", net_ipv4_parse(addr, &c->ip, err) < 0);
      c->static_ip = true;
      if (slash)
        *ip_prefix = xstrdup(slash + 1);
    }
  if (r->mtu)
    TRY("mtu", parse_range(r->mtu, 68, 65535, "an MTU", &c->mtu, err) < 0);
  if (r->mac)
    {
      TRY("mac", net_mac_parse(r->mac, c->mac, err) < 0);
      c->mac_set = true;
    }
  if (r->vlan)
    TRY("vlan", parse_range(r->vlan, 1, 4094, "a VLAN id", &c->vlan, err) < 0);
  if (r->hosts)
    TRY("hosts", parse_bool(r->hosts, &c->write_hosts, err) < 0);
  if (r->extra_hosts)
    TRY("extra-hosts", parse_extra_hosts(c, r->extra_hosts, err) < 0);
  if (r->dns)
    TRY("dns", parse_dns(c, r->dns, err) < 0);
  if (r->dns_search)
    TRY("dns-search", parse_words("domain", r->dns_search, &c->dns_search, err) < 0);
  if (r->dns_options)
    TRY("dns-options", parse_words("option", r->dns_options, &c->dns_options, err) < 0);
#undef TRY
  return 0;
}

/* subnet, gateway and ip against each other */
static int check_addresses(struct net_config *c, const struct raw *r, const char *ip_prefix,
                           const char **failed_key, berth_error_t *err)
{
  char a[16], b[16];
  if (ip_prefix)
    {
      _cleanup_free_ char *cidr = xasprintf("%s/%s", net_ipv4_format(c->ip, a), ip_prefix);
      struct net_subnet own;
      long long prefix;
      *failed_key = "ip";
      if (parse_int64(ip_prefix, &prefix) < 0 || prefix < 0 || prefix > 32)
        return berth_fail(err, 0, "\"%s\": the prefix length must be 0..32", r->ip);
      own.prefix = (unsigned) prefix;
      own.addr = c->ip & net_subnet_mask(own.prefix);
      if (!r->subnet)
        c->subnet = own;
      else if (own.prefix != c->subnet.prefix)
        return berth_fail(err, 0, "%s does not match the subnet %s", r->ip, r->subnet);
    }
  else if (!r->subnet)
    {
      if (net_subnet_parse(NET_DEFAULT_SUBNET, &c->subnet, err) < 0)
        return -1;
    }
  if (c->subnet.prefix > 30)
    {
      *failed_key = r->subnet ? "subnet" : "ip";
      return berth_fail(err, 0, "a /%u subnet has no room for a gateway and a container", c->subnet.prefix);
    }
  if (!r->gateway)
    c->gateway = c->subnet.addr + 1;
  else
    {
      *failed_key = "gateway";
      /* 0.0.0.0 is never inside a subnet of /1 or longer; passing it as
       * "the gateway" keeps the check about network and broadcast only */
      if (!net_subnet_host_ok(&c->subnet, 0, c->gateway))
        return berth_fail(err, 0, "%s is not a host address of %s/%u", r->gateway,
                          net_ipv4_format(c->subnet.addr, a), c->subnet.prefix);
    }
  if (c->static_ip && !net_subnet_host_ok(&c->subnet, c->gateway, c->ip))
    {
      *failed_key = "ip";
      if (c->ip == c->gateway)
        return berth_fail(err, 0, "%s is the gateway's address", net_ipv4_format(c->ip, a));
      return berth_fail(err, 0, "%s is not a host address of %s/%u", net_ipv4_format(c->ip, a),
                        net_ipv4_format(c->subnet.addr, b), c->subnet.prefix);
    }
  return 0;
}

int net_config_parse(const struct spec_kv *annotations, size_t n, struct net_config **out,
                     berth_error_t *err)
{
  struct raw r = {0};
  for (size_t i = 0; i < n; i++)
    {
      const char *key = annotations[i].key;
      if (!str_has_prefix(key, NET_ANNOTATION_PREFIX))
        continue;
      const char **slot = raw_slot(&r, key + strlen(NET_ANNOTATION_PREFIX));
      if (!slot)
        return berth_fail(err, 0, ".annotations[\"%s\"]: unknown network setting (see berth-config(5))",
                          key);
      *slot = annotations[i].value; /* a repeated key: the last one wins */
    }
  _cleanup_(net_config_freep) struct net_config *c = xcalloc(1, sizeof *c);
  _cleanup_free_ char *ip_prefix = NULL;
  const char *key = NULL;
  if (parse_single(c, &r, &key, &ip_prefix, err) < 0 || check_addresses(c, &r, ip_prefix, &key, err) < 0)
    return berth_wrap(err, KEYFMT, key);
  *out = steal_pointer(&c);
  return 0;
}

char *net_hosts_content(const struct net_config *c, uint32_t ip, const char *hostname)
{
  char a[16];
  _cleanup_free_ char *text = xstrdup("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
  if (hostname && *hostname)
    {
      char *t = xasprintf("%s%s\t%s\n", text, net_ipv4_format(ip, a), hostname);
      free(text);
      text = t;
    }
  for (size_t i = 0; i < c->n_extra_hosts; i++)
    {
      char *t = xasprintf("%s%s\t%s\n", text, net_ipv4_format(c->extra_hosts[i].addr, a), c->extra_hosts[i].name);
      free(text);
      text = t;
    }
  return steal_pointer(&text);
}

static char *append_words(char *text, const char *label, char **words)
{
  if (!words || !words[0])
    return text;
  char *t = xasprintf("%s%s", text, label);
  free(text);
  for (char **w = words; *w; w++)
    {
      char *u = xasprintf("%s %s", t, *w);
      free(t);
      t = u;
    }
  char *u = xasprintf("%s\n", t);
  free(t);
  return u;
}

char *net_resolv_content(const struct net_config *c)
{
  char a[16];
  char *text = xstrdup("");
  text = append_words(text, "search", c->dns_search);
  for (size_t i = 0; i < c->n_dns; i++)
    {
      char *t = xasprintf("%snameserver %s\n", text, net_ipv4_format(c->dns[i], a));
      free(text);
      text = t;
    }
  return append_words(text, "options", c->dns_options);
}
