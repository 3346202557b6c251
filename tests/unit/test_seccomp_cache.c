/* seccomp_cache.c: the key covers what the program depends on, entries
 * round-trip and every malformed or foreign entry is refused, the
 * directory and entry ownership checks, the file bound. No root needed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/seccomp.h"
#include "runtime/seccomp_cache.h"
#include "spec/spec.h"
#include "tap.h"
#include "util/util.h"

static char *tmpdir;

/* the key of a profile given as JSON */
static void key_of(const char *seccomp_json, struct seccomp_cache_key *key)
{
  _cleanup_free_ char *json = xasprintf("{\"ociVersion\":\"1.2.0\",\"linux\":{\"seccomp\":%s}}", seccomp_json);
  struct spec_config *c = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  struct seccomp_plan *plan = NULL;
  if (spec_config_parse(json, strlen(json), "test", &c, &err) < 0 ||
      seccomp_plan_build(c->linux_->seccomp, false, &plan, &err) < 0)
    {
      printf("# %s: %s\n", seccomp_json, berth_error_msg(err));
      abort();
    }
  seccomp_cache_key_build(plan, key);
  seccomp_plan_free(plan);
  spec_config_free(c);
}

#define BASE "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}"
static const char *const profiles[] = {
  BASE "]}",
  "{\"defaultAction\":\"SCMP_ACT_KILL\",\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
  "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,\"syscalls\":[{\"names\":[\"read\",\"write\"],"
  "\"action\":\"SCMP_ACT_ALLOW\"}]}",
  "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"write\",\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
  "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86\"],\"syscalls\":[{\"names\":[\"read\","
  "\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
  BASE ",{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1}]}",
  BASE ",{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":2}]}",
  BASE ",{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":8,\"op\":"
  "\"SCMP_CMP_EQ\"}]}]}",
  BASE ",{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":9,\"op\":"
  "\"SCMP_CMP_EQ\"}]}]}",
  BASE ",{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":1,\"value\":8,\"op\":"
  "\"SCMP_CMP_EQ\"}]}]}",
  BASE ",{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":8,\"op\":"
  "\"SCMP_CMP_NE\"}]}]}",
};

static void test_key(void)
{
  struct seccomp_cache_key keys[ARRAY_SIZE(profiles)];
  for (size_t i = 0; i < ARRAY_SIZE(profiles); i++)
    key_of(profiles[i], &keys[i]);
  _cleanup_(seccomp_cache_key_free) struct seccomp_cache_key again = {0};
  key_of(profiles[0], &again);
  ok(again.len == keys[0].len && memcmp(again.data, keys[0].data, again.len) == 0,
     "the same profile gives the same key");
  _cleanup_free_ char *n1 = seccomp_cache_entry_name(&keys[0]), *n2 = seccomp_cache_entry_name(&again);
  is_str(n1, n2, "and the same file name");
  ok(strlen(n1) == 16 && strspn(n1, "0123456789abcdef") == 16, "the name is 16 hex digits: %s", n1);
  ok(memmem(keys[0].data, keys[0].len, PACKAGE_VERSION, strlen(PACKAGE_VERSION)) != NULL,
     "the key holds berth's version");
  for (size_t i = 0; i < ARRAY_SIZE(profiles); i++)
    for (size_t j = i + 1; j < ARRAY_SIZE(profiles); j++)
      ok(keys[i].len != keys[j].len || memcmp(keys[i].data, keys[j].data, keys[i].len) != 0,
         "profiles %zu and %zu have different keys", i, j);
  for (size_t i = 0; i < ARRAY_SIZE(profiles); i++)
    seccomp_cache_key_free(&keys[i]);
}

static void test_hash(void)
{
  ok(seccomp_cache_hash("", 0) == 0xcbf29ce484222325ULL, "FNV-1a of nothing");
  ok(seccomp_cache_hash("a", 1) == 0xaf63dc4c8601ec8cULL, "FNV-1a of \"a\"");
}

static const struct sock_filter prog[] = {
  {.code = BPF_LD | BPF_W | BPF_ABS, .k = 4},
  {.code = BPF_RET | BPF_K, .k = 0x7fff0000},
  {.code = BPF_RET | BPF_K, .k = 0x00050001},
};

static bool parses(const unsigned char *data, size_t len, const struct seccomp_cache_key *key)
{
  struct sock_filter *insns = NULL;
  size_t n = 0;
  bool ret = seccomp_cache_entry_parse(data, len, key, &insns, &n);
  free(insns);
  return ret;
}

static void test_entry(void)
{
  _cleanup_(seccomp_cache_key_free) struct seccomp_cache_key key = {0}, other = {0};
  key_of(profiles[0], &key);
  key_of(profiles[1], &other);
  size_t len;
  _cleanup_free_ unsigned char *e = seccomp_cache_entry_build(&key, prog, ARRAY_SIZE(prog), &len);
  struct sock_filter *insns = NULL;
  size_t n = 0;
  ok(seccomp_cache_entry_parse(e, len, &key, &insns, &n) && n == ARRAY_SIZE(prog) &&
       memcmp(insns, prog, sizeof prog) == 0, "an entry round-trips");
  free(insns);
  ok(!parses(e, len, &other), "an entry for another key is refused");
  bool any = false;
  for (size_t cut = 0; cut < len; cut++)
    any |= parses(e, cut, &key);
  ok(!any, "every truncation is refused");
  _cleanup_free_ unsigned char *longer = xmalloc(len + 1);
  memcpy(longer, e, len);
  longer[len] = 0;
  ok(!parses(longer, len + 1, &key), "trailing bytes are refused");
  /* magic 8, format 8, key length 8, key, count 8 */
  size_t key_at = 24, count_at = key_at + key.len;
  unsigned char saved = e[key_at + key.len / 2];
  e[key_at + key.len / 2] ^= 1;
  ok(!parses(e, len, &key), "one flipped key byte is refused");
  e[key_at + key.len / 2] = saved;
  e[0] ^= 1;
  ok(!parses(e, len, &key), "a bad magic is refused");
  e[0] ^= 1;
  e[8] ^= 0x80;
  ok(!parses(e, len, &key), "another format is refused");
  e[8] ^= 0x80;
  uint64_t huge = 1ULL << 40, zero = 0, orig;
  memcpy(&orig, e + count_at, 8);
  memcpy(e + count_at, &huge, 8);
  ok(!parses(e, len, &key), "an absurd instruction count is refused");
  memcpy(e + count_at, &zero, 8);
  ok(!parses(e, len, &key), "an empty program is refused");
  memcpy(e + count_at, &orig, 8);
  memcpy(e + 16, &huge, 8);
  ok(!parses(e, len, &key), "an absurd key length is refused");
  ok(!parses((const unsigned char *) "garbage", 7, &key), "garbage is refused");
}

static void write_bytes(const char *path, const void *data, size_t len)
{
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write_all(fd, data, len) < 0)
    abort();
}

static void test_dir(void)
{
  _cleanup_free_ char *path = xasprintf("%s/a/b/seccomp", tmpdir);
  _cleanup_error_ berth_error_t err = NULL;
  _cleanup_close_ int fd = seccomp_cache_open_dir(path, &err);
  struct stat st;
  ok(fd >= 0 && stat(path, &st) == 0 && (st.st_mode & 07777) == 0700, "the directory is created 0700");
  for (mode_t mode = 0; mode <= 1; mode++)
    {
      mode_t bad = mode ? 0770 : 0777;
      chmod(path, bad);
      berth_error_t e = NULL;
      int bad_fd = seccomp_cache_open_dir(path, &e);
      ok(bad_fd < 0 && e && strstr(berth_error_msg(e), "not used"), "mode %04o is refused", (unsigned) bad);
      if (bad_fd >= 0)
        close(bad_fd);
      berth_error_free(&e);
    }
  chmod(path, 0700);
  _cleanup_free_ char *link = xasprintf("%s/link", tmpdir);
  symlink(path, link);
  berth_error_t e = NULL;
  int link_fd = seccomp_cache_open_dir(link, &e);
  ok(link_fd < 0, "a symlink to the directory is refused");
  if (link_fd >= 0)
    close(link_fd);
  berth_error_free(&e);

  _cleanup_(seccomp_cache_key_free) struct seccomp_cache_key key = {0};
  key_of(profiles[0], &key);
  struct sock_filter *insns = NULL;
  size_t n = 0;
  ok(!seccomp_cache_lookup(fd, &key, &insns, &n), "an empty cache misses");
  ok(seccomp_cache_store(fd, &key, prog, ARRAY_SIZE(prog)), "store");
  ok(seccomp_cache_lookup(fd, &key, &insns, &n) && n == ARRAY_SIZE(prog), "then a hit");
  free(insns);
  _cleanup_free_ char *name = seccomp_cache_entry_name(&key);
  _cleanup_free_ char *entry = xasprintf("%s/%s", path, name);
  ok(stat(entry, &st) == 0 && (st.st_mode & 07777) == 0600, "the entry is 0600");
  chmod(entry, 0666);
  ok(!seccomp_cache_lookup(fd, &key, &insns, &n), "an entry writable by others misses");
  write_bytes(entry, "garbage", 7);
  ok(!seccomp_cache_lookup(fd, &key, &insns, &n), "a garbage entry misses");
  ok(seccomp_cache_store(fd, &key, prog, ARRAY_SIZE(prog)) && seccomp_cache_lookup(fd, &key, &insns, &n),
     "and is replaced by the next store");
  free(insns);
  _cleanup_free_ char *real = xasprintf("%s/real", tmpdir);
  size_t len;
  _cleanup_free_ unsigned char *e2 = seccomp_cache_entry_build(&key, prog, ARRAY_SIZE(prog), &len);
  write_bytes(real, e2, len);
  unlink(entry);
  symlink(real, entry);
  ok(!seccomp_cache_lookup(fd, &key, &insns, &n), "a symlinked entry misses");
  unlink(entry);
  for (int i = 0; i < SECCOMP_CACHE_MAX_FILES; i++)
    {
      _cleanup_free_ char *f = xasprintf("%s/filler%d", path, i);
      write_bytes(f, "", 0);
    }
  ok(!seccomp_cache_store(fd, &key, prog, ARRAY_SIZE(prog)) && access(entry, F_OK) < 0,
     "a full cache adds nothing");
}

int main(void)
{
  char tmpl[] = "/tmp/berth-test-seccomp-cache-XXXXXX";
  tmpdir = mkdtemp(tmpl);
  if (!tmpdir)
    return 1;
  test_key();
  test_hash();
  test_entry();
  test_dir();
  _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", tmpdir);
  return tap_done();
}
