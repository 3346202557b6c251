/* storage path helpers: lexical cleaning/joining and resolution beneath a
 * root against a temp tree full of escaping symlinks (no root needed). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/storage.h"
#include "tap.h"
#include "util/util.h"

static void test_clean(void)
{
  static const char *cases[][2] = {
    { "", "." },           { "/", "/" },         { "//", "/" },         { "/a/b/", "/a/b" },
    { "/a//b/./c", "/a/b/c" }, { "/a/../b", "/b" }, { "/../..", "/" },   { "/../a/../../b", "/b" },
    { "a/../..", ".." },   { "../a", "../a" },   { "./a/./", "a" },     { "a/b/../../c", "c" },
    { "/a/b/c/../../..", "/" }, { "...", "..." }, { "/.a/..b", "/.a/..b" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
    {
      _cleanup_free_ char *c = storage_path_clean(cases[i][0]);
      is_str(c, cases[i][1], "clean \"%s\"", cases[i][0]);
    }
}

static void test_join(void)
{
  static const char *cases[][3] = {
    { "/r", "etc", "/r/etc" },         { "/r", "/etc/", "/r/etc" },
    { "/r", "../../etc", "/r/etc" },   { "/r", "a/../../../b", "/r/b" },
    { "/r/", "", "/r" },               { "/r", "/", "/r" },
    { "/", "x/y", "/x/y" },            { "/r/s", "..", "/r/s" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
    {
      _cleanup_free_ char *j = storage_path_join(cases[i][0], cases[i][1]);
      is_str(j, cases[i][2], "join \"%s\" \"%s\"", cases[i][0], cases[i][1]);
    }
}

static void test_base_dir(void)
{
  _cleanup_free_ char *b1 = storage_path_base("/a/b/");
  _cleanup_free_ char *b2 = storage_path_base("/");
  _cleanup_free_ char *b3 = storage_path_base("x");
  _cleanup_free_ char *d1 = storage_path_dir("/a/b");
  _cleanup_free_ char *d2 = storage_path_dir("/a");
  _cleanup_free_ char *d3 = storage_path_dir("x");
  is_str(b1, "b", "base /a/b/");
  is_str(b2, "/", "base /");
  is_str(b3, "x", "base x");
  is_str(d1, "/a", "dir /a/b");
  is_str(d2, "/", "dir /a");
  is_str(d3, ".", "dir x");
}

/* ------------------------------------------------------------ tree */

static char *top;  /* tmp dir: top/root is the root, top/outside is the host */
static int root_fd = -1;

static void mk(const char *rel, bool dir)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", top, rel);
  if (dir)
    (void) !mkdir(p, 0755);
  else
    {
      int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      if (fd >= 0)
        close(fd);
    }
}

static void ln(const char *target, const char *rel)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", top, rel);
  (void) !symlink(target, p);
}

static bool exists(const char *rel)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", top, rel);
  struct stat st;
  return lstat(p, &st) == 0;
}

static void build_tree(void)
{
  char tmpl[] = "/tmp/berth-test-storage-XXXXXX";
  top = xstrdup(mkdtemp(tmpl));
  mk("root", true);
  mk("root/etc", true);
  mk("root/etc/passwd", false);
  mk("root/dev", true);
  mk("outside", true);
  mk("outside/secret", false);
  ln("/etc", "root/abs");
  ln("../../../../etc", "root/rel");
  ln("/", "root/escape");
  ln("../outside", "root/up");
  ln("loop2", "root/loop1");
  ln("loop1", "root/loop2");
  ln("/nonexistent/dir", "root/dangling");
  ln("/proc/self/root", "root/magic");
  ln("passwd", "root/etc/pw");
  ln("../etc/./pw", "root/dev/pwlink");
  /* chains: chain0 -> chain1 -> ... -> chainN -> etc */
  for (int i = 0; i < 50; i++)
    {
      _cleanup_free_ char *target = i == 49 ? xstrdup("etc") : xasprintf("chain%d", i + 1);
      _cleanup_free_ char *name = xasprintf("root/chain%d", i);
      ln(target, name);
    }
  _cleanup_free_ char *rootp = xasprintf("%s/root", top);
  root_fd = open(rootp, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void remove_tree(void)
{
  _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", top);
  (void) !system(cmd);
}

static bool same_file(int fd, const char *rel)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", top, rel);
  struct stat a, b;
  return fd >= 0 && fstat(fd, &a) == 0 && lstat(p, &b) == 0 && a.st_ino == b.st_ino
         && a.st_dev == b.st_dev;
}

static void expect_open(unsigned mode, const char *path, int flags, unsigned rflags, const char *want)
{
  berth_error_t err = NULL;
  int fd = storage_open_in_root(root_fd, path, flags, rflags | mode, &err);
  ok(same_file(fd, want), "%s: %s -> %s", mode ? "fallback" : "openat2", path, want);
  if (fd < 0)
    printf("#   %s\n", berth_error_msg(err));
  else
    close(fd);
  berth_error_free(&err);
}

static void expect_errno(unsigned mode, const char *path, int flags, unsigned rflags, int want)
{
  berth_error_t err = NULL;
  int fd = storage_open_in_root(root_fd, path, flags, rflags | mode, &err);
  ok(fd < 0 && berth_error_ret(err) == -want, "%s: %s fails with %s", mode ? "fallback" : "openat2",
     path, berth_errno_name(want));
  if (fd >= 0)
    close(fd);
  else if (berth_error_ret(err) != -want)
    printf("#   %s\n", berth_error_msg(err));
  berth_error_free(&err);
}

static void test_resolve(unsigned mode)
{
  expect_open(mode, "/etc/passwd", O_PATH, 0, "root/etc/passwd");
  expect_open(mode, "etc/passwd", O_RDONLY, 0, "root/etc/passwd");
  expect_open(mode, "/abs/passwd", O_PATH, 0, "root/etc/passwd");
  expect_open(mode, "/rel/passwd", O_PATH, 0, "root/etc/passwd");
  expect_open(mode, "/escape/../../../etc/passwd", O_PATH, 0, "root/etc/passwd");
  expect_open(mode, "/../../etc", O_PATH | O_DIRECTORY, 0, "root/etc");
  expect_open(mode, "/", O_PATH, 0, "root");
  expect_open(mode, "/etc/pw", O_RDONLY, 0, "root/etc/passwd");
  expect_open(mode, "/dev/pwlink", O_PATH, 0, "root/etc/passwd");
  expect_open(mode, "/abs/../etc/pw", O_PATH, 0, "root/etc/passwd");
  expect_open(mode, "/chain20", O_PATH | O_DIRECTORY, 0, "root/etc");
  expect_open(mode, "/abs", O_PATH, STORAGE_NOFOLLOW, "root/abs");
  expect_errno(mode, "/up/secret", O_PATH, 0, ENOENT);
  expect_errno(mode, "/rel/../../outside/secret", O_PATH, 0, ENOENT);
  expect_errno(mode, "/loop1", O_PATH, 0, ELOOP);
  expect_errno(mode, "/loop1/x", O_PATH, 0, ELOOP);
  expect_errno(mode, "/chain0", O_PATH, 0, ELOOP);
  expect_errno(mode, "/dangling", O_PATH, 0, ENOENT);
  expect_errno(mode, "/abs/passwd", O_PATH, STORAGE_NO_SYMLINKS, ELOOP);
  expect_errno(mode, "/etc/passwd/x", O_PATH, 0, ENOTDIR);
  expect_errno(mode, "/etc/passwd", O_PATH | O_DIRECTORY, 0, ENOTDIR);
  expect_errno(mode, "/abs", O_RDONLY, STORAGE_NOFOLLOW, ELOOP);
  /* an absolute target is taken inside the root: no /proc there */
  expect_errno(mode, "/magic/etc", O_PATH, 0, ENOENT);
}

static void test_create(void)
{
  berth_error_t err = NULL;
  int fd = storage_mkdir_in_root(root_fd, "/abs/new/sub", 0755, &err);
  ok(same_file(fd, "root/etc/new/sub"), "mkdir through an absolute symlink stays inside");
  if (fd >= 0)
    close(fd);
  berth_error_free(&err);

  fd = storage_mkdir_in_root(root_fd, "/up/made", 0755, &err);
  ok(fd >= 0 && exists("root/outside/made") && !exists("outside/made"),
     "mkdir through ../outside creates inside the root");
  if (fd >= 0)
    close(fd);
  berth_error_free(&err);

  fd = storage_create_target(root_fd, "/rel/target-file", false, &err);
  struct stat st;
  ok(same_file(fd, "root/etc/target-file") && fstat(fd, &st) == 0 && S_ISREG(st.st_mode),
     "file target through a relative escaping symlink is created inside");
  if (fd >= 0)
    close(fd);
  berth_error_free(&err);

  fd = storage_create_target(root_fd, "/escape/../../top-dir/x", true, &err);
  ok(same_file(fd, "root/top-dir/x"), "dir target with .. above root is created inside");
  if (fd >= 0)
    close(fd);
  berth_error_free(&err);

  fd = storage_create_target(root_fd, "/etc/passwd", true, &err);
  ok(same_file(fd, "root/etc/passwd"), "existing target of another kind is returned as is");
  if (fd >= 0)
    close(fd);
  berth_error_free(&err);

  fd = storage_create_target(root_fd, "/loop1/x", true, &err);
  ok(fd < 0 && berth_error_ret(err) == -ELOOP, "target under a symlink loop fails with ELOOP");
  berth_error_free(&err);

  fd = storage_create_target(root_fd, "/etc/passwd/x", false, &err);
  ok(fd < 0 && berth_error_ret(err) == -ENOTDIR, "target under a file fails with ENOTDIR");
  berth_error_free(&err);

  fd = storage_create_target(root_fd, "/dangling", false, &err);
  ok(same_file(fd, "root/nonexistent/dir") && fstat(fd, &st) == 0 && S_ISREG(st.st_mode),
     "a dangling absolute symlink target is created inside the root");
  if (fd >= 0)
    close(fd);
  berth_error_free(&err);

  ln("../../../outside/new-secret", "root/etc/dangling-rel");
  fd = storage_create_target(root_fd, "/etc/dangling-rel", false, &err);
  ok(same_file(fd, "root/outside/new-secret") && !exists("outside/new-secret"),
     "a dangling relative escaping symlink target is created inside the root");
  if (fd >= 0)
    close(fd);
  berth_error_free(&err);

  fd = storage_create_target(root_fd, "/loop1", false, &err);
  ok(fd < 0 && berth_error_ret(err) == -ELOOP, "a symlink loop as target fails with ELOOP");
  berth_error_free(&err);

  _cleanup_free_ char *fdp = storage_fd_path(7);
  is_str(fdp, "/proc/self/fd/7", "fd path");
}

int main(void)
{
  test_clean();
  test_join();
  test_base_dir();
  build_tree();
  ok(root_fd >= 0, "temp tree built");
  test_resolve(0);
  test_resolve(STORAGE_FORCE_FALLBACK);
  test_create();
  remove_tree();
  return tap_done();
}
