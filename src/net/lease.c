/* The address lease store: one directory per bridge, one file per leased
 * address naming its container, a flock()ed "lock" file around every
 * change so that concurrent creates never hand out one address twice. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/net.h"
#include "util/util.h"

#define LEASE_MAX_SIZE 8192

struct lease
{
  uint32_t addr;
  char *id;
  char *root;
  char *subnet;
};

static void lease_clear(struct lease *l)
{
  free(l->id);
  free(l->root);
  free(l->subnet);
  memset(l, 0, sizeof *l);
}

static char *lease_content(const char *root, const char *id, const struct net_subnet *s)
{
  char a[16];
  return xasprintf("%s\n%s\n%s/%u\n", id, root, net_ipv4_format(s->addr, a), s->prefix);
}

/* "id\nroot\nsubnet\n"; false when the file is not one of ours or is
 * torn (a writer that crashed: it held the lock, so nobody else can be
 * writing it now) */
static bool lease_read(int dirfd, const char *name, struct lease *out)
{
  uint32_t addr;
  if (net_ipv4_parse(name, &addr, NULL) < 0)
    return false;
  _cleanup_free_ char *text = NULL;
  size_t len;
  _cleanup_error_ berth_error_t ignored = NULL;
  if (read_file_at(dirfd, name, LEASE_MAX_SIZE, &text, &len, &ignored) < 0)
    return false;
  char *id = text, *root = strchr(id, '\n');
  if (!root)
    return false;
  *root++ = '\0';
  char *subnet = strchr(root, '\n');
  if (!subnet)
    return false;
  *subnet++ = '\0';
  char *end = strchr(subnet, '\n');
  if (!end || !*id || root[0] != '/')
    return false;
  *end = '\0';
  out->addr = addr;
  out->id = xstrdup(id);
  out->root = xstrdup(root);
  out->subnet = xstrdup(subnet);
  return true;
}

/* The container a lease names still has its state directory. */
static bool lease_owner_exists(const struct lease *l)
{
  _cleanup_free_ char *path = xasprintf("%s/%s", l->root, l->id);
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool lease_is_of(const struct lease *l, const char *root, const char *id)
{
  return str_eq(l->root, root) && str_eq(l->id, id);
}

static int mkdir_parents(const char *path, berth_error_t *err)
{
  _cleanup_free_ char *p = xstrdup(path);
  for (char *s = strchr(p + 1, '/');; s = strchr(s + 1, '/'))
    {
      if (s)
        *s = '\0';
      if (mkdir(p, s ? 0755 : 0700) < 0 && errno != EEXIST)
        return berth_fail_sys(err, "create the lease directory %s", p);
      if (!s)
        return 0;
      *s = '/';
    }
}

struct store
{
  int dirfd;
  int lockfd;
  char *dir;
};

static void store_close(struct store *s)
{
  if (s->lockfd >= 0)
    close(s->lockfd); /* drops the flock */
  if (s->dirfd >= 0)
    close(s->dirfd);
  free(s->dir);
}

static int store_open(const char *dir, const char *bridge, bool create, struct store *s, berth_error_t *err)
{
  s->dirfd = s->lockfd = -1;
  s->dir = dir ? xstrdup(dir) : xasprintf("%s/%s", NET_LEASE_BASE, bridge);
  if (create && mkdir_parents(s->dir, err) < 0)
    return -1;
  s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->dirfd < 0)
    {
      if (!create && errno == ENOENT)
        return 0;
      return berth_fail_sys(err, "open the lease directory %s", s->dir);
    }
  s->lockfd = openat(s->dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (s->lockfd < 0)
    return berth_fail_sys(err, "open %s/lock", s->dir);
  while (flock(s->lockfd, LOCK_EX) < 0)
    if (errno != EINTR)
      return berth_fail_sys(err, "lock %s/lock", s->dir);
  return 0;
}

/* Calls fn for every lease file; fn returns < 0 to stop with an error. */
typedef int (*lease_fn)(struct store *s, const char *name, struct lease *l, void *data, berth_error_t *err);

static int store_scan(struct store *s, lease_fn fn, void *data, berth_error_t *err)
{
  int fd = openat(s->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "open %s", s->dir);
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d)
    {
      close(fd);
      return berth_fail_sys(err, "read %s", s->dir);
    }
  struct dirent *de;
  while ((errno = 0, de = readdir(d)) != NULL)
    {
      uint32_t addr;
      if (de->d_name[0] == '.' || net_ipv4_parse(de->d_name, &addr, NULL) < 0)
        continue;
      struct lease l = {0};
      bool ok = lease_read(s->dirfd, de->d_name, &l);
      int r = fn(s, de->d_name, ok ? &l : NULL, data, err);
      lease_clear(&l);
      if (r < 0)
        return -1;
    }
  if (errno != 0)
    return berth_fail_sys(err, "read %s", s->dir);
  return 0;
}

static int remove_lease(struct store *s, const char *name, berth_error_t *err)
{
  if (unlinkat(s->dirfd, name, 0) < 0 && errno != ENOENT)
    return berth_fail_sys(err, "remove the lease %s/%s", s->dir, name);
  return 0;
}

struct acquire
{
  const struct net_config *c;
  const char *root, *id;
  char *subnet;
  uint32_t *used;
  size_t n_used;
};

static int collect_live(struct store *s, const char *name, struct lease *l, void *data, berth_error_t *err)
{
  struct acquire *a = data;
  /* torn, ours from an earlier container of this id, or its container is gone */
  if (!l || lease_is_of(l, a->root, a->id) || !lease_owner_exists(l))
    return remove_lease(s, name, err);
  if (!str_eq(l->subnet, a->subnet))
    return berth_fail(err, 0, "bridge leases in %s are for subnet %s (container %s has %s), not %s", s->dir,
                      l->subnet, l->id, name, a->subnet);
  if (a->c->static_ip && l->addr == a->c->ip)
    return berth_fail(err, EADDRINUSE, "%s is taken by container %s (lease %s/%s)", name, l->id, s->dir, name);
  a->used = xreallocarray(a->used, a->n_used + 1, sizeof *a->used);
  a->used[a->n_used++] = l->addr;
  return 0;
}

static int write_lease(struct store *s, uint32_t addr, const char *content, berth_error_t *err)
{
  char name[16];
  net_ipv4_format(addr, name);
  _cleanup_close_ int fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return berth_fail_sys(err, "create the lease %s/%s", s->dir, name);
  if (write_all(fd, content, strlen(content)) < 0)
    {
      int saved = errno;
      unlinkat(s->dirfd, name, 0);
      return berth_fail(err, saved, "write the lease %s/%s", s->dir, name);
    }
  return 0;
}

int net_lease_acquire(const char *dir, const struct net_config *c, const char *root, const char *id,
                      uint32_t *out, berth_error_t *err)
{
  _cleanup_(store_close) struct store s = {.dirfd = -1, .lockfd = -1};
  if (store_open(dir, c->bridge, true, &s, err) < 0)
    return -1;
  char a[16];
  struct acquire acq = {.c = c, .root = root, .id = id};
  acq.subnet = xasprintf("%s/%u", net_ipv4_format(c->subnet.addr, a), c->subnet.prefix);
  int r = store_scan(&s, collect_live, &acq, err);
  uint32_t addr = c->ip;
  if (r == 0 && !c->static_ip)
    r = net_alloc_pick(&c->subnet, c->gateway, acq.used, acq.n_used, &addr, err);
  _cleanup_free_ char *content = lease_content(root, id, &c->subnet);
  if (r == 0)
    r = write_lease(&s, addr, content, err);
  free(acq.subnet);
  free(acq.used);
  if (r < 0)
    return -1;
  *out = addr;
  return 0;
}

struct release
{
  const char *root, *id;
};

static int remove_if_ours(struct store *s, const char *name, struct lease *l, void *data, berth_error_t *err)
{
  struct release *rel = data;
  /* a torn lease is a writer's that died (we hold the lock): a create
   * killed right after it made the file; nobody else will remove it */
  if (!l || lease_is_of(l, rel->root, rel->id))
    return remove_lease(s, name, err);
  return 0;
}

int net_lease_release(const char *dir, const char *bridge, const char *root, const char *id,
                      berth_error_t *err)
{
  _cleanup_(store_close) struct store s = {.dirfd = -1, .lockfd = -1};
  if (store_open(dir, bridge, false, &s, err) < 0)
    return -1;
  if (s.dirfd < 0)
    return 0; /* no lease was ever taken on this bridge */
  struct release rel = {.root = root, .id = id};
  return store_scan(&s, remove_if_ours, &rel, err);
}
