/* OCI image layouts and the shared layer store (see image.h). */
#include "storage/image.h"
#include "storage/imagelibs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/layer.h"
#include "storage/storage.h"
#include "util/log.h"
#include "util/util.h"

char *image_store_default_root(bool rootless)
{
  if (!rootless && geteuid() == 0)
    return xstrdup(IMAGE_STORE_DEFAULT);
  const char *xdg = getenv("XDG_DATA_HOME");
  if (xdg && xdg[0] == '/')
    return xasprintf("%s/berth/layers", xdg);
  const char *home = getenv("HOME");
  return xasprintf("%s/.local/share/berth/layers", home && *home ? home : "/tmp");
}

static const char *hex_of(const char *digest)
{
  return digest + strlen("sha256:");
}

static char *sha256_of(const void *data, size_t len)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1)
    return NULL;
  char *out = xmalloc(strlen("sha256:") + 2 * mdlen + 1);
  char *w = stpcpy(out, "sha256:");
  for (unsigned i = 0; i < mdlen; i++)
    w += sprintf(w, "%02x", md[i]);
  return out;
}

/* ------------------------------------------------------------ the layout */

void image_ref_free(struct image_ref *r)
{
  if (!r)
    return;
  free(r->dir);
  free(r->tag);
  if (r->layout_fd >= 0)
    close(r->layout_fd);
  image_manifest_free(r->manifest);
  image_config_free(r->config);
  free(r);
}

/* a file of the layout, resolved inside it (a symlink in the layout can
 * not make berth read a host file) and regular */
static int read_layout_file(const struct image_ref *r, const char *name, size_t max, char **text, size_t *len,
                            berth_error_t *err)
{
  _cleanup_close_ int fd = storage_open_in_root(r->layout_fd, name, O_RDONLY | O_NONBLOCK, 0, err);
  if (fd < 0)
    return berth_wrap(err, "image %s (an OCI image layout): %s", r->dir, name);
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
    return berth_fail(err, 0, "image %s: %s is not a regular file", r->dir, name);
  if (read_all_fd(fd, max, text, len, err) < 0)
    return berth_wrap(err, "image %s: %s", r->dir, name);
  return 0;
}

static int open_blob(const struct image_ref *r, const char *digest, berth_error_t *err)
{
  _cleanup_free_ char *path = xasprintf("blobs/sha256/%s", hex_of(digest));
  /* O_NONBLOCK: a fifo planted as a blob must not hang us (ignored on files) */
  int fd = storage_open_in_root(r->layout_fd, path, O_RDONLY | O_NONBLOCK, 0, err);
  if (fd < 0)
    return berth_wrap(err, "image %s: blob %s", r->dir, digest);
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
    {
      close(fd);
      return berth_fail(err, 0, "image %s: blob %s is not a regular file", r->dir, digest);
    }
  return fd;
}

/* A small JSON blob (index, manifest, config), checked against its descriptor. */
static int read_verified(const struct image_ref *r, const struct image_descriptor *d, char **text, size_t *len,
                         berth_error_t *err)
{
  if (d->size > (int64_t) IMAGE_MAX_DOCUMENT)
    return berth_fail(err, 0, "image %s: blob %s: %lld bytes, more than a document berth reads", r->dir, d->digest,
                      (long long) d->size);
  _cleanup_close_ int fd = open_blob(r, d->digest, err);
  if (fd < 0)
    return -1;
  _cleanup_free_ char *buf = NULL;
  if (read_all_fd(fd, IMAGE_MAX_DOCUMENT, &buf, len, err) < 0)
    return berth_wrap(err, "image %s: blob %s", r->dir, d->digest);
  _cleanup_free_ char *got = sha256_of(buf, *len);
  if (!got || !str_eq(got, d->digest) || (int64_t) *len != d->size)
    return berth_fail(err, 0, "image %s: blob %s: digest mismatch: the data hashes to %s (%zu bytes, %lld named)",
                      r->dir, d->digest, got ? got : "?", *len, (long long) d->size);
  *text = steal_pointer(&buf);
  return 0;
}

/* index.json -> the descriptor of the manifest TAG names (through one
 * nested index, as a multi-platform image has) */
static int pick_manifest(struct image_ref *r, struct image_descriptor *out, berth_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (read_layout_file(r, "index.json", IMAGE_MAX_DOCUMENT, &text, &len, err) < 0)
    return -1;
  _cleanup_free_ char *label = xasprintf("%s/index.json", r->dir);
  _cleanup_(image_index_freep) struct image_index *idx = NULL;
  size_t i;
  if (image_index_parse(text, len, label, &idx, err) < 0
      || image_index_pick(idx, r->tag, image_host_arch(), label, &i, err) < 0)
    return -1;
  struct image_descriptor d = idx->manifests[i];
  if (image_descriptor_is_index(&d))
    {
      _cleanup_free_ char *sub = NULL;
      size_t sublen;
      if (read_verified(r, &d, &sub, &sublen, err) < 0)
        return -1;
      _cleanup_free_ char *sublabel = xasprintf("%s: blob %s", r->dir, d.digest);
      _cleanup_(image_index_freep) struct image_index *nested = NULL;
      if (image_index_parse(sub, sublen, sublabel, &nested, err) < 0
          || image_index_pick(nested, NULL, image_host_arch(), sublabel, &i, err) < 0)
        return -1;
      if (image_descriptor_is_index(&nested->manifests[i]))
        return berth_fail(err, 0, "%s: an index nested in a nested index", sublabel);
      out->digest = xstrdup(nested->manifests[i].digest);
      out->size = nested->manifests[i].size;
      return 0;
    }
  out->digest = xstrdup(d.digest);
  out->size = d.size;
  return 0;
}

static int load_documents(struct image_ref *r, berth_error_t *err)
{
  struct image_descriptor md = { 0 };
  _cleanup_free_ char *md_digest = NULL;
  if (pick_manifest(r, &md, err) < 0)
    return -1;
  md_digest = md.digest;
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (read_verified(r, &md, &text, &len, err) < 0)
    return -1;
  _cleanup_free_ char *label = xasprintf("%s: manifest %s", r->dir, md.digest);
  if (image_manifest_parse(text, len, label, &r->manifest, err) < 0)
    return -1;
  _cleanup_free_ char *ctext = NULL;
  if (read_verified(r, &r->manifest->config, &ctext, &len, err) < 0)
    return -1;
  _cleanup_free_ char *clabel = xasprintf("%s: config %s", r->dir, r->manifest->config.digest);
  if (image_config_parse(ctext, len, clabel, &r->config, err) < 0)
    return -1;
  if (r->config->n_diff_ids != r->manifest->n_layers)
    return berth_fail(err, 0, "%s: .rootfs.diff_ids has %zu entries, the manifest %zu layers", clabel,
                      r->config->n_diff_ids, r->manifest->n_layers);
  if (r->manifest->n_layers == 0)
    return berth_fail(err, 0, "%s: the image has no layers", label);
  return 0;
}

int image_ref_open(const char *ref, struct image_ref **out, berth_error_t *err)
{
  if (image_libs_load_crypto(err) < 0)
    return berth_wrap(err, "image %s", ref);
  _cleanup_(image_ref_freep) struct image_ref *r = xcalloc(1, sizeof *r);
  r->layout_fd = -1;
  if (image_ref_split(ref, &r->dir, &r->tag, err) < 0)
    return -1;
  r->layout_fd = open(r->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->layout_fd < 0)
    return berth_fail_sys(err, "image %s", r->dir);
  _cleanup_free_ char *layout = NULL;
  size_t len;
  if (read_layout_file(r, "oci-layout", 4096, &layout, &len, err) < 0)
    return -1;
  if (load_documents(r, err) < 0)
    return -1;
  *out = steal_pointer(&r);
  return 0;
}

/* ------------------------------------------------------------ the store */

static int mkdir_at(int dir_fd, const char *name, mode_t mode, const char *what, berth_error_t *err)
{
  if (mkdirat(dir_fd, name, mode) < 0 && errno != EEXIST)
    return berth_fail_sys(err, "create %s", what);
  int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "open %s", what);
  return fd;
}

struct store
{
  const char *root;
  int root_fd, layers_fd, tmp_fd, locks_fd, users_fd;
};

static void store_close(struct store *s)
{
  int *fds[] = { &s->root_fd, &s->layers_fd, &s->tmp_fd, &s->locks_fd, &s->users_fd };
  for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
    if (*fds[i] >= 0)
      {
        close(*fds[i]);
        *fds[i] = -1;
      }
}

/* the store and its subdirectories, made when missing (create) or not */
static int store_open(const char *root, bool create, struct store *s, berth_error_t *err)
{
  *s = (struct store){ .root = root, .root_fd = -1, .layers_fd = -1, .tmp_fd = -1, .locks_fd = -1, .users_fd = -1 };
  if (root[0] != '/')
    return berth_fail(err, 0, "--storage-root %s: not an absolute path", root);
  if (create)
    {
      _cleanup_free_ char *parent = storage_path_dir(root);
      /* every directory on the way searchable: containers with a user
       * namespace mount the layers from inside it */
      for (char *p = parent + 1; *p; p++)
        if (*p == '/')
          {
            *p = '\0';
            mkdir(parent, 0755);
            *p = '/';
          }
      mkdir(parent, 0755);
      if (mkdir(root, 0711) < 0 && errno != EEXIST)
        return berth_fail_sys(err, "create the layer store %s", root);
    }
  s->root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->root_fd < 0)
    return berth_fail_sys(err, "layer store %s", root);
  _cleanup_free_ char *l = xasprintf("%s/sha256", root), *t = xasprintf("%s/tmp", root);
  _cleanup_free_ char *k = xasprintf("%s/locks", root), *u = xasprintf("%s/users", root);
  if ((s->layers_fd = mkdir_at(s->root_fd, "sha256", 0711, l, err)) < 0
      || (s->tmp_fd = mkdir_at(s->root_fd, "tmp", 0700, t, err)) < 0
      || (s->locks_fd = mkdir_at(s->root_fd, "locks", 0700, k, err)) < 0
      || (s->users_fd = mkdir_at(s->root_fd, "users", 0700, u, err)) < 0)
    {
      store_close(s);
      return -1;
    }
  return 0;
}

static int lock_layer(struct store *s, const char *hex, berth_error_t *err)
{
  int fd = openat(s->locks_fd, hex, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return berth_fail_sys(err, "%s/locks/%s", s->root, hex);
  while (flock(fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        close(fd);
        return berth_fail_sys(err, "lock %s/locks/%s", s->root, hex);
      }
  return fd;
}

static bool layer_present(struct store *s, const char *hex)
{
  struct stat st;
  return fstatat(s->layers_fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Under the layer's lock: unpack into tmp/HEX, verify, rename into sha256/HEX. */
static int unpack_layer(struct store *s, const struct image_ref *r, size_t i, const struct image_store_opts *o,
                        berth_error_t *err)
{
  const struct image_descriptor *d = &r->manifest->layers[i];
  const char *diff_id = r->config->diff_ids[i];
  const char *hex = hex_of(diff_id);
  if (layer_remove_tree(s->tmp_fd, hex, err) < 0)
    return berth_wrap(err, "%s/tmp: a leftover", s->root);
  enum image_compression comp;
  if (image_layer_compression(d->media_type, &comp, err) < 0)
    return -1;
  _cleanup_close_ int blob = open_blob(r, d->digest, err);
  if (blob < 0)
    return -1;
  if (mkdirat(s->tmp_fd, hex, 0755) < 0)
    return berth_fail_sys(err, "create %s/tmp/%s", s->root, hex);
  _cleanup_close_ int dir = openat(s->tmp_fd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  _cleanup_free_ char *label = xasprintf("image %s: layer %zu, blob %s", r->dir, i, d->digest);
  const struct layer_unpack_opts lo = {
    .compression = (int) comp, .digest = d->digest, .size = d->size, .diff_id = diff_id,
    .max_size = o->max_layer_size, .rootless = o->rootless, .label = label,
  };
  struct layer_unpack_stats st = { 0 };
  int ret = dir < 0 ? berth_fail_sys(err, "open %s/tmp/%s", s->root, hex) : layer_unpack(blob, dir, &lo, &st, err);
  if (ret == 0 && renameat(s->tmp_fd, hex, s->layers_fd, hex) < 0)
    ret = berth_fail_sys(err, "rename %s/tmp/%s into %s/sha256", s->root, hex, s->root);
  if (ret < 0)
    {
      berth_error_t ignored = NULL;
      layer_remove_tree(s->tmp_fd, hex, &ignored);
      berth_error_free(&ignored);
      return -1;
    }
  berth_log_info("layer %s unpacked: %llu bytes, %llu uncompressed, %llu entries", diff_id,
                 (unsigned long long) st.compressed, (unsigned long long) st.uncompressed,
                 (unsigned long long) st.entries);
  return 0;
}

/* one record per create: a failed create of an existing ID never
 * replaces the record of the container that has it */
static char *user_key(const char *user)
{
  _cleanup_free_ char *d = sha256_of(user, strlen(user));
  return xasprintf("%s-%d", d ? hex_of(d) : "unknown", (int) getpid());
}

static int record_user(struct store *s, const struct image_ref *r, const char *user, berth_error_t *err)
{
  _cleanup_free_ char *text = xasprintf("%s\n%d\n", user, (int) getpid());
  for (size_t i = 0; i < r->config->n_diff_ids; i++)
    {
      char *next = xasprintf("%s%s\n", text, r->config->diff_ids[i]);
      free(text);
      text = next;
    }
  _cleanup_free_ char *key = user_key(user);
  if (write_file_atomic_at(s->users_fd, key, text, strlen(text), 0600, err) < 0)
    return berth_wrap(err, "record the layers %s uses in %s/users", user, s->root);
  return 0;
}

int image_prepare_layers(const char *image_ref, const struct image_store_opts *o, char ***layer_dirs, size_t *n,
                         struct image_config **config_out, berth_error_t *err)
{
  _cleanup_(image_ref_freep) struct image_ref *r = NULL;
  if (image_ref_open(image_ref, &r, err) < 0)
    return -1;
  _cleanup_free_ char *default_root = o->root ? NULL : image_store_default_root(o->rootless);
  const char *root = o->root ? o->root : default_root;
  struct store s;
  if (store_open(root, true, &s, err) < 0)
    return -1;
  int ret = o->user ? record_user(&s, r, o->user, err) : 0;
  size_t count = r->config->n_diff_ids;
  char **dirs = xcalloc(count + 1, sizeof *dirs);
  for (size_t i = 0; ret == 0 && i < count; i++)
    {
      const char *hex = hex_of(r->config->diff_ids[i]);
      int lock = lock_layer(&s, hex, err);
      if (lock < 0)
        {
          ret = -1;
          break;
        }
      if (!layer_present(&s, hex))
        ret = unpack_layer(&s, r, i, o, err);
      close(lock);
      dirs[i] = xasprintf("%s/sha256/%s", root, hex);
    }
  store_close(&s);
  if (ret < 0)
    {
      strv_free(dirs);
      return -1;
    }
  *layer_dirs = dirs;
  *n = count;
  if (config_out)
    *config_out = steal_pointer(&r->config);
  return 0;
}

/* ------------------------------------------------------------ /etc/passwd from the blobs */

static int read_entry_text(struct archive *a, char **out)
{
  size_t cap = 0, len = 0;
  char *buf = NULL;
  char chunk[8192];
  la_ssize_t n;
  while ((n = archive_read_data(a, chunk, sizeof chunk)) > 0)
    {
      if (len + (size_t) n > (1u << 20))
        break;
      if (len + (size_t) n + 1 > cap)
        {
          cap = (len + (size_t) n + 1) * 2;
          buf = xrealloc(buf, cap);
        }
      memcpy(buf + len, chunk, (size_t) n);
      len += (size_t) n;
    }
  buf = xrealloc(buf, len + 1);
  buf[len] = '\0';
  free(*out);
  *out = buf;
  return 0;
}

/* one layer: the last etc/passwd and etc/group entries in it */
static void scan_layer(int fd, char **passwd, char **group)
{
  struct archive *a = archive_read_new();
  archive_read_support_filter_gzip(a);
  archive_read_support_filter_zstd(a);
  archive_read_support_format_tar(a);
  if (archive_read_open_fd(a, fd, 64 * 1024) == ARCHIVE_OK)
    {
      struct archive_entry *e;
      while (archive_read_next_header(a, &e) == ARCHIVE_OK)
        {
          const char *name = archive_entry_pathname(e);
          if (!name || archive_entry_filetype(e) != AE_IFREG)
            continue;
          while (name[0] == '/' || (name[0] == '.' && name[1] == '/'))
            name += name[0] == '/' ? 1 : 2;
          if (str_eq(name, "etc/passwd"))
            read_entry_text(a, passwd);
          else if (str_eq(name, "etc/group"))
            read_entry_text(a, group);
        }
    }
  archive_read_free(a);
}

int image_read_user_db(const struct image_ref *r, char **passwd, char **group, berth_error_t *err)
{
  *passwd = *group = NULL;
  if (image_libs_load(err) < 0)
    return -1;
  for (size_t i = r->manifest->n_layers; i-- > 0 && (!*passwd || !*group);)
    {
      _cleanup_close_ int fd = open_blob(r, r->manifest->layers[i].digest, err);
      if (fd < 0)
        return -1;
      char *p = NULL, *g = NULL;
      scan_layer(fd, &p, &g);
      if (!*passwd)
        *passwd = p;
      else
        free(p);
      if (!*group)
        *group = g;
      else
        free(g);
    }
  return 0;
}

/* ------------------------------------------------------------ ls, prune */

struct user_record
{
  char *user;
  char **diff_ids;
  bool live;
};

static bool record_live(const char *user, const char *pid_text)
{
  struct stat st;
  if (stat(user, &st) == 0)
    return true;
  long long pid;
  return parse_int64(pid_text, &pid) == 0 && pid > 0 && (kill((pid_t) pid, 0) == 0 || errno == EPERM);
}

static int read_records(struct store *s, struct user_record **out, size_t *n, berth_error_t *err)
{
  *out = NULL;
  *n = 0;
  int dup_fd = openat(s->users_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* own offset */
  DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
  if (!d)
    {
      if (dup_fd >= 0)
        close(dup_fd);
      return berth_fail_sys(err, "read %s/users", s->root);
    }
  struct dirent *de;
  while ((de = readdir(d)))
    {
      if (de->d_name[0] == '.')
        continue;
      _cleanup_free_ char *text = NULL;
      size_t len;
      berth_error_t ignored = NULL;
      if (read_file_at(s->users_fd, de->d_name, 1 << 20, &text, &len, &ignored) < 0)
        {
          berth_error_free(&ignored);
          continue;
        }
      char *save = NULL;
      char *user = strtok_r(text, "\n", &save);
      char *pid = user ? strtok_r(NULL, "\n", &save) : NULL;
      if (!pid)
        continue;
      *out = xreallocarray(*out, *n + 1, sizeof **out);
      struct user_record *rec = &(*out)[(*n)++];
      *rec = (struct user_record){ .user = xstrdup(user), .live = record_live(user, pid) };
      size_t k = 0;
      for (char *l = strtok_r(NULL, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        {
          rec->diff_ids = xreallocarray(rec->diff_ids, k + 2, sizeof(char *));
          rec->diff_ids[k++] = xstrdup(l);
          rec->diff_ids[k] = NULL;
        }
      if (!rec->live)
        unlinkat(s->users_fd, de->d_name, 0); /* stale: its container is gone */
    }
  closedir(d);
  return 0;
}

static void records_free(struct user_record *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free(v[i].user);
      strv_free(v[i].diff_ids);
    }
  free(v);
}

static char **users_of(const struct user_record *v, size_t n, const char *hex)
{
  char **users = xcalloc(1, sizeof *users);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; v[i].live && v[i].diff_ids && v[i].diff_ids[j]; j++)
      if (str_eq(hex_of(v[i].diff_ids[j]), hex))
        {
          users = xreallocarray(users, k + 2, sizeof *users);
          users[k++] = xstrdup(v[i].user);
          users[k] = NULL;
          break;
        }
  return users;
}

static uint64_t tree_bytes(int dir_fd)
{
  uint64_t total = 0;
  int dup_fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* own offset */
  DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
  if (!d)
    {
      if (dup_fd >= 0)
        close(dup_fd);
      return 0;
    }
  struct dirent *de;
  while ((de = readdir(d)))
    {
      if (str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
        continue;
      struct stat st;
      if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      total += (uint64_t) st.st_blocks * 512;
      if (S_ISDIR(st.st_mode))
        {
          _cleanup_close_ int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (sub >= 0)
            total += tree_bytes(sub);
        }
    }
  closedir(d);
  return total;
}

/* the layer names in sha256/ (64 hex digits each) */
static char **layer_names(struct store *s)
{
  char **names = xcalloc(1, sizeof *names);
  size_t k = 0;
  int dup_fd = openat(s->layers_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* own offset */
  DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
  if (!d)
    {
      if (dup_fd >= 0)
        close(dup_fd);
      return names;
    }
  struct dirent *de;
  while ((de = readdir(d)))
    {
      _cleanup_free_ char *digest = xasprintf("sha256:%s", de->d_name);
      if (!image_digest_valid(digest))
        continue;
      names = xreallocarray(names, k + 2, sizeof *names);
      names[k++] = xstrdup(de->d_name);
      names[k] = NULL;
    }
  closedir(d);
  return names;
}

void image_layer_info_free(struct image_layer_info *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free(v[i].diff_id);
      strv_free(v[i].users);
    }
  free(v);
}

int image_store_list(const char *root, struct image_layer_info **out, size_t *n, berth_error_t *err)
{
  struct store s;
  *out = NULL;
  *n = 0;
  if (access(root, F_OK) < 0 && errno == ENOENT)
    return 0;
  if (store_open(root, false, &s, err) < 0)
    return -1;
  struct user_record *recs = NULL;
  size_t n_recs = 0;
  if (read_records(&s, &recs, &n_recs, err) < 0)
    {
      store_close(&s);
      return -1;
    }
  char **names = layer_names(&s);
  size_t count = strv_len(names);
  struct image_layer_info *v = xcalloc(count + 1, sizeof *v);
  for (size_t i = 0; i < count; i++)
    {
      v[i].diff_id = xasprintf("sha256:%s", names[i]);
      v[i].users = users_of(recs, n_recs, names[i]);
      _cleanup_close_ int fd = openat(s.layers_fd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      v[i].bytes = fd >= 0 ? tree_bytes(fd) : 0;
    }
  strv_free(names);
  records_free(recs, n_recs);
  store_close(&s);
  *out = v;
  *n = count;
  return 0;
}

/* under the layer's lock, so no create is between "recorded" and "unpacked" */
static int prune_layer(struct store *s, const char *hex, bool *removed, berth_error_t *err)
{
  *removed = false;
  _cleanup_close_ int lock = lock_layer(s, hex, err);
  if (lock < 0)
    return -1;
  struct user_record *recs = NULL;
  size_t n_recs = 0;
  if (read_records(s, &recs, &n_recs, err) < 0)
    return -1;
  char **users = users_of(recs, n_recs, hex);
  bool used = users[0] != NULL;
  strv_free(users);
  records_free(recs, n_recs);
  if (used)
    return 0;
  /* out of sha256/ first (atomic), then removed at leisure */
  if (renameat(s->layers_fd, hex, s->tmp_fd, hex) < 0)
    return berth_fail_sys(err, "move %s/sha256/%s out", s->root, hex);
  if (layer_remove_tree(s->tmp_fd, hex, err) < 0)
    return berth_wrap(err, "remove layer %s/tmp/%s", s->root, hex);
  unlinkat(s->locks_fd, hex, 0);
  *removed = true;
  return 0;
}

int image_store_prune(const char *root, bool all, size_t *removed, berth_error_t *err)
{
  *removed = 0;
  if (access(root, F_OK) < 0 && errno == ENOENT)
    return 0;
  struct store s;
  if (store_open(root, false, &s, err) < 0)
    return -1;
  char **names = layer_names(&s);
  int ret = 0;
  for (size_t i = 0; ret == 0 && names[i]; i++)
    {
      bool gone = false;
      ret = prune_layer(&s, names[i], &gone, err);
      *removed += gone;
    }
  strv_free(names);
  if (ret == 0 && all)
    {
      /* leftovers of unpacks that died; a running unpack holds its lock */
      int dup_fd = openat(s.tmp_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* own offset */
      DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
      struct dirent *de;
      while (d && (de = readdir(d)))
        {
          if (de->d_name[0] == '.')
            continue;
          _cleanup_close_ int lock = openat(s.locks_fd, de->d_name, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
          if (lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) < 0)
            continue;
          berth_error_t ignored = NULL;
          layer_remove_tree(s.tmp_fd, de->d_name, &ignored);
          berth_error_free(&ignored);
        }
      if (d)
        closedir(d);
    }
  store_close(&s);
  return ret;
}
