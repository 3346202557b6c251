/* layer_unpack on hostile and special layer tars (tests/unit/data/layers,
 * made by tests/lib/mkimage.py): nothing is written outside the layer
 * directory, digests are checked, the size cap holds, whiteouts become
 * overlay whiteouts. The rootless mode (no chown, no device nodes), so no
 * root is needed; run under ASan by tests/run. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "spec/image.h"
#include "storage/imagelibs.h"
#include "storage/layer.h"
#include "tap.h"
#include "util/util.h"

static char *tmp_root;

static char *digest_of_file(const char *path)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  berth_error_t e = NULL;
  if (read_file_at(AT_FDCWD, path, 1 << 20, &data, &len, &e) < 0)
    {
      berth_error_free(&e);
      return xstrdup("sha256:?");
    }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
  char *out = xmalloc(7 + 2 * n + 1);
  char *w = stpcpy(out, "sha256:");
  for (unsigned i = 0; i < n; i++)
    w += sprintf(w, "%02x", md[i]);
  return out;
}

/* unpack data/layers/NAME into a fresh directory; *dir_fd stays open */
static int unpack(const char *name, int comp, const char *digest, const char *diff_id, uint64_t max, int *dir_fd,
                  berth_error_t *err)
{
  _cleanup_free_ char *path = xasprintf("%s/layers/%s", TEST_DATA_DIR, name);
  _cleanup_free_ char *dir = xasprintf("%s/%s", tmp_root, name);
  mkdir(dir, 0755);
  *dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int blob = open(path, O_RDONLY | O_CLOEXEC);
  _cleanup_free_ char *d = digest ? NULL : digest_of_file(path);
  const struct layer_unpack_opts o = {
    .compression = comp, .digest = digest ? digest : d, .size = -1, .diff_id = diff_id ? diff_id : d,
    .max_size = max, .rootless = true, .label = name,
  };
  return layer_unpack(blob, *dir_fd, &o, NULL, err);
}

static bool exists_at(int fd, const char *p)
{
  struct stat st;
  return fstatat(fd, p, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void diag_error_free(berth_error_t *e)
{
  printf("# %s\n", *e ? berth_error_msg(*e) : "(no error)");
  berth_error_free(e);
}

static void test_whiteouts(void)
{
  int fd;
  berth_error_t e = NULL;
  int r = unpack("whiteouts.tar", IMAGE_LAYER_TAR, NULL, NULL, 0, &fd, &e);
  if (r < 0 && (berth_error_ret(e) == -EPERM || berth_error_ret(e) == -ENOTSUP))
    {
      ok(1, "# SKIP whiteouts: %s", berth_error_msg(e));
      berth_error_free(&e);
      close(fd);
      return;
    }
  is_int(r, 0, "whiteouts layer unpacks");
  if (r < 0)
    printf("# %s\n", berth_error_msg(e));
  struct stat st;
  ok(fstatat(fd, "gone", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0),
     ".wh.gone became the overlay whiteout gone (char 0/0)");
  ok(!exists_at(fd, ".wh.gone") && !exists_at(fd, "data/.wh..wh..opq"), "no .wh. names are kept");
  char v[4] = { 0 };
  _cleanup_free_ char *data = xasprintf("%s/whiteouts.tar/data", tmp_root);
  ok(getxattr(data, "user.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y', "data is opaque (user.overlay.opaque=y)");
  struct stat a, b;
  ok(fstatat(fd, "linked-a", &a, 0) == 0 && fstatat(fd, "linked-b", &b, 0) == 0 && a.st_ino == b.st_ino,
     "a hardlink in the layer shares the inode");
  ok(fstatat(fd, "data/new", &a, 0) == 0 && (a.st_mode & 07777) == 0640, "the mode of a file");
  berth_error_free(&e);
  close(fd);
}

static void test_hostile(void)
{
  int fd;
  berth_error_t e = NULL;
  ok(unpack("dotdot.tar", IMAGE_LAYER_TAR, NULL, NULL, 0, &fd, &e) < 0 && strstr(berth_error_msg(e), "\"..\" in a layer path"),
     "an entry with .. is refused");
  diag_error_free(&e);
  close(fd);
  ok(unpack("hardlink-out.tar", IMAGE_LAYER_TAR, NULL, NULL, 0, &fd, &e) < 0
       && strstr(berth_error_msg(e), "hard link to berth-unit-canary/canary"),
     "a hardlink to a host path is looked up in the layer (and not found)");
  diag_error_free(&e);
  close(fd);
  is_int(unpack("symlink-write.tar", IMAGE_LAYER_TAR, NULL, NULL, 0, &fd, &e), 0, "writes through symlinks unpack");
  ok(exists_at(fd, "berth-unit-canary/through-link") && exists_at(fd, "berth-unit-canary/through-relative-link"),
     "... into the layer, where the links lead when resolved in it");
  ok(access("/berth-unit-canary", F_OK) < 0, "... and never on the host");
  berth_error_free(&e);
  close(fd);
}

static void test_digests_and_cap(void)
{
  int fd;
  berth_error_t e = NULL;
  const char *zero = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
  ok(unpack("symlink-write.tar", IMAGE_LAYER_TAR, zero, NULL, 0, &fd, &e) < 0 && strstr(berth_error_msg(e), "digest mismatch"),
     "a compressed digest mismatch is an error");
  diag_error_free(&e);
  close(fd);
  ok(unpack("dotdot.tar", IMAGE_LAYER_GZIP, NULL, NULL, 0, &fd, &e) < 0
       && strstr(berth_error_msg(e), "the media type says otherwise"),
     "an uncompressed blob with a gzip media type is refused");
  diag_error_free(&e);
  close(fd);
  ok(unpack("bomb.tar.gz", IMAGE_LAYER_GZIP, NULL, zero, 1 << 20, &fd, &e) < 0
       && strstr(berth_error_msg(e), "more than 1048576 bytes uncompressed (--max-layer-size)"),
     "a decompression bomb stops at the cap");
  diag_error_free(&e);
  struct stat st;
  ok(fstatat(fd, "bomb", &st, 0) < 0 || st.st_blocks * 512 <= (2 << 20), "no more than the cap was written");
  close(fd);
}

int main(void)
{
  berth_error_t e = NULL;
  if (image_libs_load(&e) < 0)
    {
      printf("1..0 # SKIP %s\n", berth_error_msg(e));
      return 0;
    }
  char tmpl[] = "/tmp/berth-test-layer.XXXXXX";
  tmp_root = mkdtemp(tmpl);
  test_whiteouts();
  test_hostile();
  test_digests_and_cap();
  layer_remove_tree(AT_FDCWD, tmp_root, &e);
  berth_error_free(&e);
  return tap_done();
}
