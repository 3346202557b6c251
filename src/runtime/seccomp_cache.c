/* A cache of compiled seccomp filters: see seccomp_cache.h. */
#include "config.h"

#include "runtime/seccomp_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "util/log.h"
#include "util/util.h"

static const char entry_magic[8] = {'B', 'S', 'E', 'C', 'C', 'A', 'C', 'H'};

/* the ENOSYS stub in front of libseccomp's program is a few dozen
 * instructions at most; anything bigger is not an entry we wrote */
#define MAX_ENTRY_INSNS (BPF_MAXINSNS + 64)
#define MAX_KEY_LEN (16U << 20)

/* ------------------------------------------------------------ key */

static void key_put(struct seccomp_cache_key *key, const void *data, size_t len)
{
  if (key->cap - key->len < len)
    {
      key->cap = key->len + len > 2 * key->cap ? key->len + len : 2 * key->cap;
      key->data = xrealloc(key->data, key->cap);
    }
  memcpy(key->data + key->len, data, len);
  key->len += len;
}

static void key_put_u64(struct seccomp_cache_key *key, uint64_t v)
{
  key_put(key, &v, sizeof v);
}

/* length-prefixed, so "ab"+"c" and "a"+"bc" differ */
static void key_put_str(struct seccomp_cache_key *key, const char *s)
{
  size_t len = s ? strlen(s) : 0;
  key_put_u64(key, len);
  key_put(key, s ? s : "", len);
}

static void key_put_system(struct seccomp_cache_key *key)
{
  key_put_str(key, "berth seccomp cache");
  key_put_u64(key, SECCOMP_CACHE_FORMAT);
  key_put_str(key, PACKAGE_VERSION);
  const struct scmp_version *v = seccomp_version();
  key_put_u64(key, v ? v->major : 0);
  key_put_u64(key, v ? v->minor : 0);
  key_put_u64(key, v ? v->micro : 0);
  /* libseccomp probes the kernel for its API level, which changes the program */
  key_put_u64(key, seccomp_api_get());
  struct utsname u;
  if (uname(&u) < 0)
    memset(&u, 0, sizeof u);
  key_put_str(key, u.release);
  key_put_str(key, u.machine);
  key_put_u64(key, seccomp_arch_native());
}

static void key_put_rule(struct seccomp_cache_key *key, const struct seccomp_rule *r)
{
  /* the name too: the ENOSYS stub resolves it for each architecture */
  key_put_str(key, r->name);
  key_put_u64(key, (uint64_t) (int64_t) r->nr);
  key_put_u64(key, r->action);
  key_put_u64(key, r->n_cmp);
  for (unsigned i = 0; i < r->n_cmp && i < SECCOMP_MAX_ARGS; i++)
    {
      key_put_u64(key, r->cmp[i].arg);
      key_put_u64(key, r->cmp[i].op);
      key_put_u64(key, r->cmp[i].datum_a);
      key_put_u64(key, r->cmp[i].datum_b);
    }
}

void seccomp_cache_key_build(const struct seccomp_plan *plan, struct seccomp_cache_key *key)
{
  *key = (struct seccomp_cache_key) {0};
  key_put_system(key);
  key_put_u64(key, plan->default_action);
  key_put_u64(key, plan->n_archs);
  for (size_t i = 0; i < plan->n_archs; i++)
    key_put_u64(key, plan->archs[i]);
  key_put_u64(key, plan->n_rules);
  for (size_t i = 0; i < plan->n_rules; i++)
    key_put_rule(key, &plan->rules[i]);
}

void seccomp_cache_key_free(struct seccomp_cache_key *key)
{
  free(key->data);
  *key = (struct seccomp_cache_key) {0};
}

uint64_t seccomp_cache_hash(const void *data, size_t len)
{
  const unsigned char *p = data;
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < len; i++)
    {
      h ^= p[i];
      h *= 0x100000001b3ULL;
    }
  return h;
}

char *seccomp_cache_entry_name(const struct seccomp_cache_key *key)
{
  return xasprintf("%016llx", (unsigned long long) seccomp_cache_hash(key->data, key->len));
}

/* ------------------------------------------------------------ entry */

unsigned char *seccomp_cache_entry_build(const struct seccomp_cache_key *key, const struct sock_filter *insns,
                                         size_t n_insns, size_t *len)
{
  uint64_t format = SECCOMP_CACHE_FORMAT, key_len = key->len, n = n_insns;
  size_t insns_len = n_insns * sizeof *insns;
  *len = sizeof entry_magic + 3 * sizeof(uint64_t) + key->len + insns_len;
  unsigned char *out = xmalloc(*len), *p = out;
  memcpy(p, entry_magic, sizeof entry_magic), p += sizeof entry_magic;
  memcpy(p, &format, sizeof format), p += sizeof format;
  memcpy(p, &key_len, sizeof key_len), p += sizeof key_len;
  memcpy(p, key->data, key->len), p += key->len;
  memcpy(p, &n, sizeof n), p += sizeof n;
  memcpy(p, insns, insns_len);
  return out;
}

/* take len bytes off the front of *p (of *left); false when too short */
static bool take(const unsigned char **p, size_t *left, void *out, size_t len)
{
  if (*left < len)
    return false;
  if (out)
    memcpy(out, *p, len);
  *p += len;
  *left -= len;
  return true;
}

bool seccomp_cache_entry_parse(const unsigned char *data, size_t len, const struct seccomp_cache_key *key,
                               struct sock_filter **insns, size_t *n_insns)
{
  const unsigned char *p = data;
  size_t left = len;
  char magic[sizeof entry_magic];
  uint64_t format, key_len, n;
  if (!take(&p, &left, magic, sizeof magic) || memcmp(magic, entry_magic, sizeof magic) != 0)
    return false;
  if (!take(&p, &left, &format, sizeof format) || format != SECCOMP_CACHE_FORMAT)
    return false;
  if (!take(&p, &left, &key_len, sizeof key_len) || key_len != key->len || left < key_len)
    return false;
  if (memcmp(p, key->data, key->len) != 0)
    return false;
  take(&p, &left, NULL, key->len);
  if (!take(&p, &left, &n, sizeof n) || n == 0 || n > MAX_ENTRY_INSNS)
    return false;
  if (left != n * sizeof **insns)
    return false;
  *insns = xmalloc(left);
  memcpy(*insns, p, left);
  *n_insns = n;
  return true;
}

/* ------------------------------------------------------------ directory */

static bool safe_owner(const struct stat *st)
{
  return st->st_uid == geteuid() && (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

static int make_parent_dirs(const char *path, berth_error_t *err)
{
  _cleanup_free_ char *p = xstrdup(path);
  for (char *slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/'))
    {
      *slash = '\0';
      if (mkdir(p, 0755) < 0 && errno != EEXIST)
        return berth_fail_sys(err, "seccomp cache: create %s", p);
      *slash = '/';
    }
  return 0;
}

int seccomp_cache_open_dir(const char *path, berth_error_t *err)
{
  if (path[0] != '/')
    return berth_fail(err, EINVAL, "seccomp cache: %s is not an absolute path", path);
  if (make_parent_dirs(path, err) < 0)
    return -1;
  if (mkdir(path, 0700) < 0 && errno != EEXIST)
    return berth_fail_sys(err, "seccomp cache: create %s", path);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "seccomp cache: open %s", path);
  struct stat st;
  if (fstat(fd, &st) < 0)
    return berth_fail_sys(err, "seccomp cache: stat %s", path);
  if (!safe_owner(&st))
    return berth_fail(err, EPERM, "seccomp cache: %s is owned by uid %u with mode %04o, not by uid %u "
                      "and writable only by it: not used", path, (unsigned) st.st_uid,
                      (unsigned) (st.st_mode & 07777), (unsigned) geteuid());
  return steal_fd(&fd);
}

int seccomp_cache_open(void)
{
  const char *knob = getenv("BERTH_SECCOMP_CACHE");
  if ((knob && strcmp(knob, "0") == 0) || geteuid() != 0)
    return -1;
  const char *path = getenv("BERTH_SECCOMP_CACHE_DIR");
  if (!path || !*path)
    path = SECCOMP_CACHE_DIR;
  _cleanup_error_ berth_error_t err = NULL;
  int fd = seccomp_cache_open_dir(path, &err);
  if (fd < 0)
    berth_log_debug("%s", berth_error_msg(err));
  return fd;
}

bool seccomp_cache_lookup(int dirfd, const struct seccomp_cache_key *key, struct sock_filter **insns,
                          size_t *n_insns)
{
  _cleanup_free_ char *name = seccomp_cache_entry_name(key);
  _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return false;
  struct stat st;
  size_t max = sizeof entry_magic + 3 * sizeof(uint64_t) + key->len + MAX_ENTRY_INSNS * sizeof **insns;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !safe_owner(&st) || (uint64_t) st.st_size > max)
    return false;
  _cleanup_free_ char *data = NULL;
  size_t len;
  _cleanup_error_ berth_error_t err = NULL;
  if (read_all_fd(fd, max, &data, &len, &err) < 0)
    return false;
  return seccomp_cache_entry_parse((const unsigned char *) data, len, key, insns, n_insns);
}

static size_t count_files(int dirfd)
{
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return SIZE_MAX;
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d)
    {
      close(fd);
      return SIZE_MAX;
    }
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
      n++;
  return n;
}

bool seccomp_cache_store(int dirfd, const struct seccomp_cache_key *key, const struct sock_filter *insns,
                         size_t n_insns)
{
  if (key->len > MAX_KEY_LEN || n_insns == 0 || n_insns > MAX_ENTRY_INSNS)
    return false;
  if (count_files(dirfd) >= SECCOMP_CACHE_MAX_FILES)
    return false;
  _cleanup_free_ char *name = seccomp_cache_entry_name(key);
  size_t len;
  _cleanup_free_ unsigned char *data = seccomp_cache_entry_build(key, insns, n_insns, &len);
  _cleanup_error_ berth_error_t err = NULL;
  if (write_file_atomic_at(dirfd, name, data, len, 0600, &err) < 0)
    {
      berth_log_debug("seccomp cache: %s", berth_error_msg(err));
      return false;
    }
  return true;
}
