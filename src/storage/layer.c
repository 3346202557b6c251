/* One layer blob -> a directory: libarchive reads, libcrypto hashes, and
 * every entry is created through the in-root resolution of storage.h. */
#include "storage/layer.h"
#include "storage/imagelibs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "spec/image.h"
#include "storage/storage.h"
#include "util/log.h"
#include "util/util.h"

#define BLOCK (128 * 1024)

/* ------------------------------------------------------------ hashing streams */

struct sha
{
  EVP_MD_CTX *ctx;
};

static int sha_init(struct sha *s)
{
  s->ctx = EVP_MD_CTX_new();
  return s->ctx && EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

static void sha_free(struct sha *s)
{
  EVP_MD_CTX_free(s->ctx);
  s->ctx = NULL;
}

/* "sha256:<hex>", newly allocated */
static char *sha_finish(struct sha *s)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (EVP_DigestFinal_ex(s->ctx, md, &len) != 1)
    return NULL;
  char *out = xmalloc(strlen("sha256:") + 2 * len + 1);
  char *w = stpcpy(out, "sha256:");
  for (unsigned i = 0; i < len; i++)
    w += sprintf(w, "%02x", md[i]);
  return out;
}

/* The blob as read from its file: hashed and counted. */
struct blob_reader
{
  int fd;
  struct sha sha;
  uint64_t bytes;
  int read_errno;
  unsigned char buf[BLOCK];
};

static la_ssize_t blob_read(struct archive *a, void *data, const void **buf)
{
  struct blob_reader *r = data;
  ssize_t n;
  do
    n = read(r->fd, r->buf, sizeof r->buf);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    {
      r->read_errno = errno;
      archive_set_error(a, errno, "read");
      return -1;
    }
  EVP_DigestUpdate(r->sha.ctx, r->buf, (size_t) n);
  r->bytes += (uint64_t) n;
  *buf = r->buf;
  return n;
}

/* The decompressed tar stream (the "raw" entry of the outer archive):
 * hashed for the diffID and counted against the cap. */
struct tar_reader
{
  struct archive *outer;
  struct sha sha;
  uint64_t bytes, max;
  bool over_cap;
  unsigned char buf[BLOCK];
};

/* count and hash n decompressed bytes; false past the cap */
static bool tar_account(struct tar_reader *r, size_t n)
{
  r->bytes += n;
  if (r->bytes > r->max)
    {
      r->over_cap = true;
      return false;
    }
  EVP_DigestUpdate(r->sha.ctx, r->buf, n);
  return true;
}

static la_ssize_t tar_read(struct archive *a, void *data, const void **buf)
{
  struct tar_reader *r = data;
  la_ssize_t n = archive_read_data(r->outer, r->buf, sizeof r->buf);
  if (n < 0)
    {
      archive_set_error(a, archive_errno(r->outer), "%s", archive_error_string(r->outer));
      return -1;
    }
  if (!tar_account(r, (size_t) n))
    {
      archive_set_error(a, EFBIG, "over the size cap");
      return -1;
    }
  *buf = r->buf;
  return n;
}

static void archive_freep(struct archive **a)
{
  if (*a)
    archive_read_free(*a);
}

/* ------------------------------------------------------------ removal */

static int remove_contents(int dir_fd, berth_error_t *err);

int layer_remove_tree(int parent_fd, const char *name, berth_error_t *err)
{
  if (unlinkat(parent_fd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return berth_fail_sys(err, "remove %s", name);
  _cleanup_close_ int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == EACCES)
    {
      /* a directory of mode 0 from a layer, in a rootless store */
      fchmodat(parent_fd, name, 0700, 0);
      fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
  if (fd < 0)
    return berth_fail_sys(err, "open %s", name);
  /* a read-only directory of a rootless store: its entries could not go */
  (void) fchmod(fd, 0700);
  if (remove_contents(fd, err) < 0)
    return berth_wrap(err, "%s", name);
  if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return berth_fail_sys(err, "remove %s", name);
  return 0;
}

static int remove_contents(int dir_fd, berth_error_t *err)
{
  int dup_fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* own offset */
  if (dup_fd < 0)
    return berth_fail_sys(err, "dup");
  DIR *d = fdopendir(dup_fd);
  if (!d)
    {
      close(dup_fd);
      return berth_fail_sys(err, "opendir");
    }
  int r = 0;
  struct dirent *de;
  while (r == 0 && (de = readdir(d)))
    {
      if (str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
        continue;
      r = layer_remove_tree(dirfd(d), de->d_name, err);
    }
  closedir(d);
  return r;
}

/* ------------------------------------------------------------ entries */

struct dir_fixup
{
  char *path;
  mode_t mode;
  struct timespec mtime;
};

struct unpack
{
  int root_fd;
  const struct layer_unpack_opts *o;
  struct layer_unpack_stats *stats;
  struct dir_fixup *dirs;
  size_t n_dirs;
};

/* A tar name -> a clean path relative to the layer root ("." for the
 * root). "..", anywhere, is refused: a layer has no business naming it. */
static int entry_path(const char *name, const char *label, char **out, berth_error_t *err)
{
  if (!name || !*name)
    return berth_fail(err, 0, "%s: an entry has no name", label);
  for (const char *p = name; *p;)
    {
      const char *end = strchrnul(p, '/');
      if (end - p == 2 && p[0] == '.' && p[1] == '.')
        return berth_fail(err, 0, "%s: entry \"%s\": \"..\" in a layer path", label, name);
      p = *end ? end + 1 : end;
    }
  _cleanup_free_ char *abs = xasprintf("/%s", name);
  _cleanup_free_ char *clean = storage_path_clean(abs);
  *out = xstrdup(str_eq(clean, "/") ? "." : clean + 1);
  return 0;
}

static bool is_overlay_xattr(const char *name)
{
  return str_has_prefix(name, "trusted.overlay.") || str_has_prefix(name, "user.overlay.");
}

/* xattrs of a file or directory (fd opened O_RDONLY); the overlay's own
 * are never taken from a layer (they would steer the overlay: redirects,
 * metacopy), and a rootless store can only set user.* ones. */
static int set_xattrs(struct unpack *u, struct archive_entry *e, int fd, const char *path, berth_error_t *err)
{
  const char *name;
  const void *value;
  size_t size;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
    {
      if (is_overlay_xattr(name) || (u->o->rootless && !str_has_prefix(name, "user.")))
        {
          berth_log_debug("%s: %s: xattr %s not set", u->o->label, path, name);
          continue;
        }
      if (fsetxattr(fd, name, value, size, 0) < 0)
        {
          if (errno == ENOTSUP || errno == EPERM)
            {
              berth_log_debug("%s: %s: xattr %s: %s", u->o->label, path, name, strerror(errno));
              continue;
            }
          return berth_fail_sys(err, "%s: %s: set xattr %s", u->o->label, path, name);
        }
    }
  return 0;
}

static int set_owner_at(struct unpack *u, int parent, const char *base, struct archive_entry *e, const char *path,
                        berth_error_t *err)
{
  if (u->o->rootless)
    return 0;
  if (fchownat(parent, base, (uid_t) archive_entry_uid(e), (gid_t) archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
    return berth_fail_sys(err, "%s: %s: chown", u->o->label, path);
  return 0;
}

static int set_mtime_at(int parent, const char *base, struct archive_entry *e)
{
  struct timespec ts[2] = {
    { .tv_sec = archive_entry_mtime(e), .tv_nsec = archive_entry_mtime_nsec(e) },
    { .tv_sec = archive_entry_mtime(e), .tv_nsec = archive_entry_mtime_nsec(e) },
  };
  return utimensat(parent, base, ts, AT_SYMLINK_NOFOLLOW);
}

/* Make room for a new entry named base: whatever a previous entry of the
 * same layer left there goes, except a directory when a directory comes. */
static int clear_name(int parent, const char *base, bool keep_dir, const char *label, const char *path,
                      berth_error_t *err)
{
  struct stat st;
  if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : berth_fail_sys(err, "%s: %s", label, path);
  if (S_ISDIR(st.st_mode) && keep_dir)
    return 1;
  return layer_remove_tree(parent, base, err) < 0 ? berth_wrap(err, "%s: %s", label, path) : 0;
}

static int write_data(struct unpack *u, struct archive *a, struct archive_entry *e, int fd, const char *path,
                      berth_error_t *err)
{
  const void *buf;
  size_t size;
  la_int64_t offset;
  int r;
  while ((r = archive_read_data_block(a, &buf, &size, &offset)) == ARCHIVE_OK)
    if (size && pwrite(fd, buf, size, offset) != (ssize_t) size)
      return berth_fail_sys(err, "%s: %s: write", u->o->label, path);
  if (r != ARCHIVE_EOF)
    return berth_fail(err, archive_errno(a), "%s: %s: read: %s", u->o->label, path, archive_error_string(a));
  /* a sparse file may end in a hole */
  if (archive_entry_size_is_set(e) && ftruncate(fd, archive_entry_size(e)) < 0)
    return berth_fail_sys(err, "%s: %s: truncate", u->o->label, path);
  return 0;
}

static int make_file(struct unpack *u, struct archive *a, struct archive_entry *e, int parent, const char *base,
                     const char *path, berth_error_t *err)
{
  if (clear_name(parent, base, false, u->o->label, path, err) < 0)
    return -1;
  _cleanup_close_ int fd = openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return berth_fail_sys(err, "%s: %s: create", u->o->label, path);
  if (write_data(u, a, e, fd, path, err) < 0 || set_xattrs(u, e, fd, path, err) < 0)
    return -1;
  if (!u->o->rootless && fchown(fd, (uid_t) archive_entry_uid(e), (gid_t) archive_entry_gid(e)) < 0)
    return berth_fail_sys(err, "%s: %s: chown", u->o->label, path);
  /* after chown, which clears setuid bits */
  if (fchmod(fd, archive_entry_perm(e)) < 0)
    return berth_fail_sys(err, "%s: %s: chmod", u->o->label, path);
  struct timespec ts[2] = {
    { .tv_sec = archive_entry_mtime(e), .tv_nsec = archive_entry_mtime_nsec(e) },
    { .tv_sec = archive_entry_mtime(e), .tv_nsec = archive_entry_mtime_nsec(e) },
  };
  futimens(fd, ts);
  return 0;
}

/* Directory modes and mtimes are set once every entry is in (a read-only
 * directory would refuse its own entries to a rootless store, and each
 * entry created in it changes its mtime). */
static void remember_dir(struct unpack *u, const char *path, struct archive_entry *e)
{
  u->dirs = xreallocarray(u->dirs, u->n_dirs + 1, sizeof *u->dirs);
  u->dirs[u->n_dirs++] = (struct dir_fixup){
    .path = xstrdup(path),
    .mode = archive_entry_perm(e),
    .mtime = { .tv_sec = archive_entry_mtime(e), .tv_nsec = archive_entry_mtime_nsec(e) },
  };
}

static int make_dir(struct unpack *u, struct archive_entry *e, int parent, const char *base, const char *path,
                    berth_error_t *err)
{
  _cleanup_close_ int fd = -1;
  if (str_eq(path, "."))
    fd = openat(u->root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  else
    {
      int r = clear_name(parent, base, true, u->o->label, path, err);
      if (r < 0)
        return -1;
      if (r == 0 && mkdirat(parent, base, 0700) < 0)
        return berth_fail_sys(err, "%s: %s: mkdir", u->o->label, path);
      fd = openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
  if (fd < 0)
    return berth_fail_sys(err, "%s: %s: open", u->o->label, path);
  if (set_xattrs(u, e, fd, path, err) < 0)
    return -1;
  if (!u->o->rootless && fchown(fd, (uid_t) archive_entry_uid(e), (gid_t) archive_entry_gid(e)) < 0)
    return berth_fail_sys(err, "%s: %s: chown", u->o->label, path);
  remember_dir(u, path, e);
  return 0;
}

static int make_symlink(struct unpack *u, struct archive_entry *e, int parent, const char *base, const char *path,
                        berth_error_t *err)
{
  const char *target = archive_entry_symlink(e);
  if (!target)
    return berth_fail(err, 0, "%s: %s: a symlink without a target", u->o->label, path);
  if (clear_name(parent, base, false, u->o->label, path, err) < 0)
    return -1;
  /* the target is only text: lookups through it stay in the root (here
   * and in the container alike) */
  if (symlinkat(target, parent, base) < 0)
    return berth_fail_sys(err, "%s: %s: symlink", u->o->label, path);
  if (set_owner_at(u, parent, base, e, path, err) < 0)
    return -1;
  set_mtime_at(parent, base, e);
  return 0;
}

/* A hard link to an earlier entry of this layer, resolved in the root
 * (never to a file outside it) and only to a regular file. */
static int make_hardlink(struct unpack *u, struct archive_entry *e, int parent, const char *base, const char *path,
                         berth_error_t *err)
{
  _cleanup_free_ char *target = NULL;
  if (entry_path(archive_entry_hardlink(e), u->o->label, &target, err) < 0)
    return -1;
  _cleanup_close_ int tfd = storage_open_in_root(u->root_fd, target, O_PATH, STORAGE_NOFOLLOW, err);
  if (tfd < 0)
    return berth_wrap(err, "%s: %s: hard link to %s", u->o->label, path, target);
  struct stat st;
  if (fstat(tfd, &st) < 0)
    return berth_fail_sys(err, "%s: %s: stat %s", u->o->label, path, target);
  if (!S_ISREG(st.st_mode))
    return berth_fail(err, 0, "%s: %s: hard link to %s, which is not a regular file", u->o->label, path, target);
  if (clear_name(parent, base, false, u->o->label, path, err) < 0)
    return -1;
  _cleanup_free_ char *magic = storage_fd_path(tfd);
  if (linkat(AT_FDCWD, magic, parent, base, AT_SYMLINK_FOLLOW) < 0)
    return berth_fail_sys(err, "%s: %s: hard link to %s", u->o->label, path, target);
  return 0;
}

static int make_node(struct unpack *u, struct archive_entry *e, int parent, const char *base, const char *path,
                     berth_error_t *err)
{
  mode_t type = archive_entry_filetype(e);
  if (u->o->rootless && type != AE_IFIFO)
    {
      berth_log_warning("%s: %s: device node skipped (a rootless store cannot make one)", u->o->label, path);
      u->stats->skipped++;
      return 0;
    }
  if (clear_name(parent, base, false, u->o->label, path, err) < 0)
    return -1;
  dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
  if (mknodat(parent, base, (type == AE_IFIFO ? S_IFIFO : type) | 0600, dev) < 0)
    return berth_fail_sys(err, "%s: %s: mknod", u->o->label, path);
  if (set_owner_at(u, parent, base, e, path, err) < 0)
    return -1;
  if (fchmodat(parent, base, archive_entry_perm(e), 0) < 0)
    return berth_fail_sys(err, "%s: %s: chmod", u->o->label, path);
  set_mtime_at(parent, base, e);
  return 0;
}

/* ".wh.NAME": NAME of a lower layer is deleted: an overlayfs whiteout */
static int make_whiteout(struct unpack *u, int parent, const char *target, const char *path, berth_error_t *err)
{
  if (clear_name(parent, target, false, u->o->label, path, err) < 0)
    return -1;
  if (mknodat(parent, target, S_IFCHR | 0000, makedev(0, 0)) < 0)
    return berth_fail_sys(err, "%s: %s: make the overlay whiteout", u->o->label, path);
  return 0;
}

/* ".wh..wh..opq": the directory hides what lower layers have in it. Root
 * sets both forms: a container with a user namespace mounts the overlay
 * with userxattr, which reads only user.overlay.*; a rootless store can
 * only set that one. */
static int make_opaque(struct unpack *u, int parent, const char *path, berth_error_t *err)
{
  static const char *const names[] = { "user.overlay.opaque", "trusted.overlay.opaque" };
  _cleanup_close_ int fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "%s: %s: open the directory", u->o->label, path);
  for (size_t i = 0; i < (u->o->rootless ? 1 : ARRAY_SIZE(names)); i++)
    if (fsetxattr(fd, names[i], "y", 1, 0) < 0)
      return berth_fail_sys(err, "%s: %s: set %s on the directory", u->o->label, path, names[i]);
  return 0;
}

static int unpack_entry(struct unpack *u, struct archive *a, struct archive_entry *e, berth_error_t *err)
{
  _cleanup_free_ char *path = NULL;
  if (entry_path(archive_entry_pathname(e), u->o->label, &path, err) < 0)
    return -1;
  _cleanup_free_ char *dir = storage_path_dir(path);
  _cleanup_free_ char *base = storage_path_base(path);
  /* parents a layer does not list are made 0755, as tar does */
  _cleanup_close_ int parent = storage_mkdir_in_root(u->root_fd, dir, 0755, err);
  if (parent < 0)
    return berth_wrap(err, "%s: entry %s", u->o->label, path);
  u->stats->entries++;
  const char *target;
  int kind = str_eq(path, ".") ? IMAGE_ENTRY_PLAIN : image_whiteout_classify(base, &target, err);
  if (kind < 0)
    return berth_wrap(err, "%s: entry %s", u->o->label, path);
  if (kind == IMAGE_ENTRY_OPAQUE)
    return make_opaque(u, parent, path, err);
  if (kind == IMAGE_ENTRY_AUFS_META)
    {
      berth_log_debug("%s: %s: aufs metadata skipped", u->o->label, path);
      u->stats->skipped++;
      return 0;
    }
  if (kind == IMAGE_ENTRY_WHITEOUT)
    return make_whiteout(u, parent, target, path, err);
  if (archive_entry_hardlink(e))
    return make_hardlink(u, e, parent, base, path, err);
  switch (archive_entry_filetype(e))
    {
    case AE_IFREG:
      return make_file(u, a, e, parent, base, path, err);
    case AE_IFDIR:
      return make_dir(u, e, parent, base, path, err);
    case AE_IFLNK:
      return make_symlink(u, e, parent, base, path, err);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      return make_node(u, e, parent, base, path, err);
    default:
      return berth_fail(err, 0, "%s: %s: unsupported entry type 0%o", u->o->label, path,
                        (unsigned) archive_entry_filetype(e));
    }
}

/* The recorded directory modes and mtimes, last first: a parent made
 * read-only before its children are fixed would stop a rootless store. */
static int fix_dirs(struct unpack *u, berth_error_t *err)
{
  for (size_t i = u->n_dirs; i-- > 0;)
    {
      struct dir_fixup *d = &u->dirs[i];
      _cleanup_close_ int fd = storage_open_in_root(u->root_fd, d->path, O_RDONLY | O_DIRECTORY,
                                                    STORAGE_NO_SYMLINKS, err);
      int r = berth_error_ret(*err);
      if (fd < 0 && (r == -ELOOP || r == -ENOENT || r == -ENOTDIR))
        {
          /* a later entry replaced the directory or a parent: nothing to fix */
          berth_error_free(err);
          continue;
        }
      if (fd < 0)
        return berth_wrap(err, "%s: directory %s", u->o->label, d->path);
      if (fchmod(fd, d->mode) < 0)
        return berth_fail_sys(err, "%s: %s: chmod", u->o->label, d->path);
      struct timespec ts[2] = { d->mtime, d->mtime };
      futimens(fd, ts);
    }
  return 0;
}

static void unpack_clear(struct unpack *u)
{
  for (size_t i = 0; i < u->n_dirs; i++)
    free(u->dirs[i].path);
  free(u->dirs);
}

/* ------------------------------------------------------------ the stream */

static int expected_filter(int compression)
{
  switch (compression)
    {
    case IMAGE_LAYER_GZIP:
      return ARCHIVE_FILTER_GZIP;
    case IMAGE_LAYER_ZSTD:
      return ARCHIVE_FILTER_ZSTD;
    default:
      return ARCHIVE_FILTER_NONE;
    }
}

static int open_outer(struct archive **out, struct blob_reader *br, const struct layer_unpack_opts *o,
                      berth_error_t *err)
{
  struct archive *a = archive_read_new();
  *out = a;
  if (o->compression == IMAGE_LAYER_GZIP)
    archive_read_support_filter_gzip(a);
  else if (o->compression == IMAGE_LAYER_ZSTD)
    archive_read_support_filter_zstd(a);
  archive_read_support_format_raw(a);
  struct archive_entry *e;
  if (archive_read_open2(a, br, NULL, blob_read, NULL, NULL) != ARCHIVE_OK
      || archive_read_next_header(a, &e) != ARCHIVE_OK)
    {
      if (br->read_errno)
        return berth_fail(err, br->read_errno, "%s: read", o->label);
      return berth_fail(err, 0, "%s: not a layer: %s", o->label, archive_error_string(a));
    }
  if (archive_filter_code(a, 0) != expected_filter(o->compression))
    return berth_fail(err, 0, "%s: the data is compressed as %s, the media type says otherwise", o->label,
                      archive_filter_name(a, 0));
  return 0;
}

static int open_inner(struct archive **out, struct tar_reader *tr, const char *label, berth_error_t *err)
{
  struct archive *a = archive_read_new();
  *out = a;
  archive_read_support_format_tar(a);
  if (archive_read_open2(a, tr, NULL, tar_read, NULL, NULL) != ARCHIVE_OK)
    return berth_fail(err, 0, "%s: not a tar stream: %s", label, archive_error_string(a));
  return 0;
}

static int stream_error(struct archive *a, struct tar_reader *tr, const struct layer_unpack_opts *o,
                        berth_error_t *err)
{
  if (tr->over_cap)
    return berth_fail(err, EFBIG, "%s: more than %llu bytes uncompressed (--max-layer-size)", o->label,
                      (unsigned long long) tr->max);
  return berth_fail(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "%s: bad tar stream: %s", o->label,
                    archive_error_string(a));
}

/* Read what is left of a stream (tar padding, trailing bytes) so both
 * digests cover everything. */
static int drain(struct archive *outer, struct tar_reader *tr, struct blob_reader *br,
                 const struct layer_unpack_opts *o, berth_error_t *err)
{
  la_ssize_t n;
  while ((n = archive_read_data(outer, tr->buf, sizeof tr->buf)) > 0)
    if (!tar_account(tr, (size_t) n))
      return stream_error(outer, tr, o, err);
  if (n < 0)
    return stream_error(outer, tr, o, err);
  while ((n = read(br->fd, br->buf, sizeof br->buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      {
        EVP_DigestUpdate(br->sha.ctx, br->buf, (size_t) n);
        br->bytes += (uint64_t) n;
      }
  if (n < 0)
    return berth_fail_sys(err, "%s: read", o->label);
  return 0;
}

static int check_digest(struct sha *s, const char *want, const char *what, const struct layer_unpack_opts *o,
                        berth_error_t *err)
{
  _cleanup_free_ char *got = sha_finish(s);
  if (!got)
    return berth_fail(err, 0, "%s: SHA-256 failed", o->label);
  if (!str_eq(got, want))
    return berth_fail(err, 0, "%s: %s mismatch: the data hashes to %s, the image names %s", o->label, what, got,
                      want);
  return 0;
}

static int unpack_entries(struct unpack *u, struct archive *inner, struct tar_reader *tr, berth_error_t *err)
{
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header(inner, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
    if (unpack_entry(u, inner, e, err) < 0)
      {
        if (tr->over_cap)
          {
            berth_error_free(err);
            return stream_error(inner, tr, u->o, err);
          }
        return -1;
      }
  if (r != ARCHIVE_EOF)
    return stream_error(inner, tr, u->o, err);
  return fix_dirs(u, err);
}

int layer_unpack(int blob_fd, int dir_fd, const struct layer_unpack_opts *o, struct layer_unpack_stats *stats,
                 berth_error_t *err)
{
  if (image_libs_load(err) < 0)
    return berth_wrap(err, "%s", o->label);
  _cleanup_free_ struct blob_reader *br = xcalloc(1, sizeof *br);
  _cleanup_free_ struct tar_reader *tr = xcalloc(1, sizeof *tr);
  br->fd = blob_fd;
  tr->max = o->max_size ? o->max_size : LAYER_DEFAULT_MAX_SIZE;
  struct layer_unpack_stats local = { 0 };
  if (!stats)
    stats = &local;
  if (sha_init(&br->sha) < 0 || sha_init(&tr->sha) < 0)
    {
      sha_free(&br->sha);
      sha_free(&tr->sha);
      return berth_fail(err, 0, "%s: SHA-256 unavailable (libcrypto)", o->label);
    }
  _cleanup_(archive_freep) struct archive *outer = NULL;
  _cleanup_(archive_freep) struct archive *inner = NULL;
  struct unpack u = { .root_fd = dir_fd, .o = o, .stats = stats };
  int r = open_outer(&outer, br, o, err);
  tr->outer = outer;
  if (r == 0)
    r = open_inner(&inner, tr, o->label, err);
  if (r == 0)
    r = unpack_entries(&u, inner, tr, err);
  if (r == 0)
    r = drain(outer, tr, br, o, err);
  stats->compressed = br->bytes;
  stats->uncompressed = tr->bytes;
  if (r == 0 && o->size >= 0 && br->bytes != (uint64_t) o->size)
    r = berth_fail(err, 0, "%s: size mismatch: %llu bytes, the manifest says %lld", o->label,
                   (unsigned long long) br->bytes, (long long) o->size);
  if (r == 0)
    r = check_digest(&br->sha, o->digest, "digest", o, err);
  if (r == 0)
    r = check_digest(&tr->sha, o->diff_id, "diffID (uncompressed digest)", o, err);
  unpack_clear(&u);
  sha_free(&br->sha);
  sha_free(&tr->sha);
  return r;
}
