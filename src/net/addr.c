/* Address arithmetic, allocation, MAC and interface names: pure logic. */
#include <stdio.h>
#include <stdlib.h>

#include "net/net.h"
#include "util/util.h"

/* berth_fail() that also takes err == NULL: callers that only want to
 * know whether a string parses (lease file names) pass NULL */
static __attribute__((format(printf, 3, 4))) int fail(berth_error_t *err, int errnum, const char *fmt, ...)
{
  if (!err)
    return errnum ? -errnum : -1;
  va_list ap;
  va_start(ap, fmt);
  int r = berth_failv(err, errnum, fmt, ap);
  va_end(ap);
  return r;
}

/* strict dotted quad: four decimal octets, no leading '+', no spaces */
int net_ipv4_parse(const char *s, uint32_t *out, berth_error_t *err)
{
  uint32_t a = 0;
  const char *p = s;
  for (int i = 0; i < 4; i++)
    {
      if (*p < '0' || *p > '9')
        return fail(err, 0, "\"%s\" is not an IPv4 address", s);
      unsigned v = 0;
      int digits = 0;
      while (*p >= '0' && *p <= '9')
        {
          v = v * 10 + (unsigned) (*p++ - '0');
          if (++digits > 3 || v > 255)
            return fail(err, 0, "\"%s\" is not an IPv4 address", s);
        }
      if (digits > 1 && p[-digits] == '0')
        return fail(err, 0, "\"%s\" is not an IPv4 address (leading zero)", s);
      a = (a << 8) | v;
      if (i < 3 && *p++ != '.')
        return fail(err, 0, "\"%s\" is not an IPv4 address", s);
    }
  if (*p)
    return fail(err, 0, "\"%s\" is not an IPv4 address", s);
  *out = a;
  return 0;
}

char *net_ipv4_format(uint32_t a, char buf[static 16])
{
  snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
  return buf;
}

uint32_t net_subnet_mask(unsigned prefix)
{
  return prefix == 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

uint32_t net_subnet_broadcast(const struct net_subnet *s)
{
  return s->addr | ~net_subnet_mask(s->prefix);
}

bool net_subnet_contains(const struct net_subnet *s, uint32_t a)
{
  return (a & net_subnet_mask(s->prefix)) == s->addr;
}

bool net_subnet_host_ok(const struct net_subnet *s, uint32_t gateway, uint32_t a)
{
  if (!net_subnet_contains(s, a) || a == gateway)
    return false;
  if (s->prefix <= 30 && (a == s->addr || a == net_subnet_broadcast(s)))
    return false;
  return true;
}

int net_subnet_parse(const char *s, struct net_subnet *out, berth_error_t *err)
{
  const char *slash = strchr(s, '/');
  if (!slash)
    return fail(err, 0, "\"%s\" is not a CIDR subnet (A.B.C.D/N)", s);
  _cleanup_free_ char *addr = xstrndup(s, (size_t) (slash - s));
  uint32_t a;
  if (net_ipv4_parse(addr, &a, err) < 0)
    return -1;
  long long prefix;
  if (parse_int64(slash + 1, &prefix) < 0 || prefix < 0 || prefix > 32)
    return fail(err, 0, "\"%s\": the prefix length must be 0..32", s);
  uint32_t mask = net_subnet_mask((unsigned) prefix);
  if (a & ~mask)
    {
      char net[16];
      return fail(err, 0, "\"%s\" has host bits set (the subnet is %s/%lld)", s,
                        net_ipv4_format(a & mask, net), prefix);
    }
  out->addr = a;
  out->prefix = (unsigned) prefix;
  return 0;
}

static int cmp_u32(const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
  return x < y ? -1 : x > y;
}

int net_alloc_pick(const struct net_subnet *s, uint32_t gateway, const uint32_t *used, size_t n,
                   uint32_t *out, berth_error_t *err)
{
  _cleanup_free_ uint32_t *sorted = xreallocarray(NULL, n + 1, sizeof *sorted);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (net_subnet_contains(s, used[i]))
      sorted[m++] = used[i];
  qsort(sorted, m, sizeof *sorted, cmp_u32);
  uint64_t last = (uint64_t) net_subnet_broadcast(s);
  size_t j = 0;
  for (uint64_t a = s->addr; a <= last; a++)
    {
      while (j < m && sorted[j] < a)
        j++;
      if (j < m && sorted[j] == a)
        continue;
      if (net_subnet_host_ok(s, gateway, (uint32_t) a))
        {
          *out = (uint32_t) a;
          return 0;
        }
    }
  char net[16];
  return fail(err, ENOSPC, "no free address left in %s/%u", net_ipv4_format(s->addr, net), s->prefix);
}

static int hex_digit(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int net_mac_parse(const char *s, uint8_t out[6], berth_error_t *err)
{
  uint8_t mac[6];
  const char *p = s;
  for (int i = 0; i < 6; i++)
    {
      int hi = hex_digit(p[0]), lo = hi < 0 ? -1 : hex_digit(p[1]);
      if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':') || (i == 5 && p[2] != '\0'))
        return fail(err, 0, "\"%s\" is not a MAC address (aa:bb:cc:dd:ee:ff)", s);
      mac[i] = (uint8_t) (hi << 4 | lo);
      p += 3;
    }
  if (mac[0] & 1)
    return fail(err, 0, "\"%s\" is a multicast address", s);
  if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
    return fail(err, 0, "\"%s\" is the zero address", s);
  memcpy(out, mac, 6);
  return 0;
}

int net_ifname_validate(const char *name, berth_error_t *err)
{
  size_t len = strlen(name);
  if (len == 0 || len > NET_IFNAME_MAX)
    return fail(err, 0, "\"%s\": an interface name has 1 to %d bytes", name, NET_IFNAME_MAX);
  if (str_eq(name, ".") || str_eq(name, ".."))
    return fail(err, 0, "\"%s\" is not a valid interface name", name);
  for (const char *p = name; *p; p++)
    if (*p == '/' || *p == ':' || *p == ' ' || (unsigned char) *p <= ' ' || *p == 0x7f)
      return fail(err, 0, "\"%s\": an interface name may not contain '/', ':' or whitespace",
                        name);
  return 0;
}

/* FNV-1a: tiny, stable across versions, good enough to spread ids */
static uint32_t fnv1a(uint32_t h, const char *s, size_t len)
{
  for (size_t i = 0; i < len; i++)
    {
      h ^= (unsigned char) s[i];
      h *= 16777619u;
    }
  return h;
}

char *net_veth_host_name(const char *root, const char *id)
{
  uint32_t h = fnv1a(2166136261u, root, strlen(root) + 1); /* the NUL separates root and id */
  h = fnv1a(h, id, strlen(id));
  return xasprintf("vb%08x", h);
}
