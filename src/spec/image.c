/* OCI image-spec documents: parsing, validation and pure conversions. */
#include "spec/image.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "spec/internal.h"
#include "util/util.h"

/* ------------------------------------------------------------ free */

static void descriptor_clear(struct image_descriptor *d)
{
  free(d->media_type);
  free(d->digest);
  free(d->ref_name);
  free(d->os);
  free(d->architecture);
  free(d->variant);
}

void image_index_free(struct image_index *i)
{
  if (!i)
    return;
  for (size_t k = 0; k < i->n_manifests; k++)
    descriptor_clear(&i->manifests[k]);
  free(i->manifests);
  free(i);
}

void image_manifest_free(struct image_manifest *m)
{
  if (!m)
    return;
  descriptor_clear(&m->config);
  for (size_t k = 0; k < m->n_layers; k++)
    descriptor_clear(&m->layers[k]);
  free(m->layers);
  free(m);
}

static void strv_free_n(char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

void image_config_free(struct image_config *c)
{
  if (!c)
    return;
  free(c->architecture);
  free(c->os);
  free(c->user);
  free(c->working_dir);
  strv_free_n(c->env);
  strv_free_n(c->entrypoint);
  strv_free_n(c->cmd);
  strv_free_n(c->diff_ids);
  free(c);
}

void image_process_free(struct image_process *p)
{
  strv_free_n(p->args);
  strv_free_n(p->env);
  free(p->cwd);
  free(p->additional_gids);
  memset(p, 0, sizeof *p);
}

/* ------------------------------------------------------------ parse */

bool image_digest_valid(const char *digest)
{
  if (!digest || !str_has_prefix(digest, "sha256:"))
    return false;
  const char *hex = digest + strlen("sha256:");
  if (strlen(hex) != 64)
    return false;
  for (const char *p = hex; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}

static int parse_digest(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
                        char **out)
{
  if (jrequire(c, obj, p, key) < 0 || jf_str(c, obj, p, key, out) < 0)
    return -1;
  if (!image_digest_valid(*out))
    return jfail(c, JP_KEY(p, key), "\"%s\" is not a sha256 digest (sha256:<64 lowercase hex digits>)", *out);
  return 0;
}

static int parse_descriptor(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct image_descriptor *d = elem;
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jrequire(c, n, p, "mediaType") < 0
      || jf_str(c, n, p, "mediaType", &d->media_type) < 0 || parse_digest(c, n, p, "digest", &d->digest) < 0
      || jrequire(c, n, p, "size") < 0 || jf_i64(c, n, p, "size", 0, INT64_MAX, &d->size) < 0)
    return -1;
  const struct jnode *ann = jget(n, "annotations");
  if (ann)
    {
      const struct jpath *ap = JP_KEY(p, "annotations");
      if (jexpect(c, ann, ap, JSON_OBJECT) < 0 || jf_str(c, ann, ap, IMAGE_REF_NAME, &d->ref_name) < 0)
        return -1;
    }
  const struct jnode *plat = jget(n, "platform");
  if (plat)
    {
      const struct jpath *pp = JP_KEY(p, "platform");
      if (jexpect(c, plat, pp, JSON_OBJECT) < 0 || jf_str(c, plat, pp, "os", &d->os) < 0
          || jf_str(c, plat, pp, "architecture", &d->architecture) < 0
          || jf_str(c, plat, pp, "variant", &d->variant) < 0)
        return -1;
    }
  return 0;
}

static int check_schema_version(struct jctx *c, const struct jnode *root)
{
  int64_t v = 0;
  if (jexpect(c, root, NULL, JSON_OBJECT) < 0 || jrequire(c, root, NULL, "schemaVersion") < 0
      || jf_i64(c, root, NULL, "schemaVersion", 0, INT64_MAX, &v) < 0)
    return -1;
  if (v != 2)
    return jfail(c, JP_KEY(NULL, "schemaVersion"), "%lld is not supported (2 is)", (long long) v);
  return 0;
}

int image_index_parse(const char *text, size_t len, const char *label, struct image_index **out,
                      berth_error_t *err)
{
  _cleanup_(json_freep) struct jnode *root = NULL;
  if (json_parse(text, len, label, &root, err) < 0)
    return -1;
  struct jctx c = { label, err };
  struct image_index *idx = xcalloc(1, sizeof *idx);
  if (check_schema_version(&c, root) < 0 || jrequire(&c, root, NULL, "manifests") < 0
      || jf_array(&c, root, NULL, "manifests", sizeof *idx->manifests, parse_descriptor, &idx->manifests,
                  &idx->n_manifests) < 0)
    {
      image_index_free(idx);
      return -1;
    }
  *out = idx;
  return 0;
}

int image_manifest_parse(const char *text, size_t len, const char *label, struct image_manifest **out,
                         berth_error_t *err)
{
  _cleanup_(json_freep) struct jnode *root = NULL;
  if (json_parse(text, len, label, &root, err) < 0)
    return -1;
  struct jctx c = { label, err };
  struct image_manifest *m = xcalloc(1, sizeof *m);
  const struct jnode *cfg = jget(root, "config");
  int r = check_schema_version(&c, root);
  if (r == 0 && !cfg)
    r = jrequire(&c, root, NULL, "config");
  if (r == 0)
    r = parse_descriptor(&c, cfg, JP_KEY(NULL, "config"), &m->config);
  if (r == 0)
    r = jrequire(&c, root, NULL, "layers");
  if (r == 0)
    r = jf_array(&c, root, NULL, "layers", sizeof *m->layers, parse_descriptor, &m->layers, &m->n_layers);
  if (r == 0 && !str_eq(m->config.media_type, IMAGE_MT_CONFIG)
      && !str_eq(m->config.media_type, IMAGE_MT_DOCKER_CONFIG))
    r = jfail(&c, JP_KEY(JP_KEY(NULL, "config"), "mediaType"), "\"%s\" is not an image config", m->config.media_type);
  for (size_t i = 0; r == 0 && i < m->n_layers; i++)
    {
      enum image_compression comp;
      if (image_layer_compression(m->layers[i].media_type, &comp, err) < 0)
        {
          _cleanup_free_ char *path = jpath_render(JP_KEY(JP_IDX(JP_KEY(NULL, "layers"), i), "mediaType"));
          r = berth_wrap(err, "%s: %s", label, path);
        }
    }
  if (r < 0)
    {
      image_manifest_free(m);
      return -1;
    }
  *out = m;
  return 0;
}

static int parse_config_section(struct jctx *c, const struct jnode *n, const struct jpath *p,
                                struct image_config *ic)
{
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jf_str(c, n, p, "User", &ic->user) < 0
      || jf_str(c, n, p, "WorkingDir", &ic->working_dir) < 0
      || jf_strv(c, n, p, "Env", &ic->env, &ic->n_env) < 0
      || jf_strv(c, n, p, "Entrypoint", &ic->entrypoint, &ic->n_entrypoint) < 0
      || jf_strv(c, n, p, "Cmd", &ic->cmd, &ic->n_cmd) < 0)
    return -1;
  for (size_t i = 0; i < ic->n_env; i++)
    if (!strchr(ic->env[i], '=') || ic->env[i][0] == '=')
      return jfail(c, JP_IDX(JP_KEY(p, "Env"), i), "\"%s\" is not KEY=VALUE", ic->env[i]);
  if (ic->working_dir && *ic->working_dir && ic->working_dir[0] != '/')
    return jfail(c, JP_KEY(p, "WorkingDir"), "\"%s\" is not an absolute path", ic->working_dir);
  return 0;
}

int image_config_parse(const char *text, size_t len, const char *label, struct image_config **out,
                       berth_error_t *err)
{
  _cleanup_(json_freep) struct jnode *root = NULL;
  if (json_parse(text, len, label, &root, err) < 0)
    return -1;
  struct jctx c = { label, err };
  struct image_config *ic = xcalloc(1, sizeof *ic);
  int r = jexpect(&c, root, NULL, JSON_OBJECT);
  if (r == 0)
    r = jf_str(&c, root, NULL, "architecture", &ic->architecture) < 0 || jf_str(&c, root, NULL, "os", &ic->os) < 0
          ? -1 : 0;
  const struct jnode *cfg = r == 0 ? jget(root, "config") : NULL;
  if (cfg)
    r = parse_config_section(&c, cfg, JP_KEY(NULL, "config"), ic);
  const struct jnode *rootfs = r == 0 ? jget(root, "rootfs") : NULL;
  const struct jpath *rp = JP_KEY(NULL, "rootfs");
  if (r == 0 && !rootfs)
    r = jrequire(&c, root, NULL, "rootfs");
  if (r == 0)
    r = jexpect(&c, rootfs, rp, JSON_OBJECT) < 0 || jrequire(&c, rootfs, rp, "diff_ids") < 0
            || jf_strv(&c, rootfs, rp, "diff_ids", &ic->diff_ids, &ic->n_diff_ids) < 0
          ? -1 : 0;
  for (size_t i = 0; r == 0 && i < ic->n_diff_ids; i++)
    if (!image_digest_valid(ic->diff_ids[i]))
      r = jfail(&c, JP_IDX(JP_KEY(rp, "diff_ids"), i), "\"%s\" is not a sha256 digest", ic->diff_ids[i]);
  if (r < 0)
    {
      image_config_free(ic);
      return -1;
    }
  *out = ic;
  return 0;
}

/* ------------------------------------------------------------ media types, tags */

int image_layer_compression(const char *mt, enum image_compression *out, berth_error_t *err)
{
  static const struct
  {
    const char *type;
    enum image_compression comp;
  } known[] = {
    { "application/vnd.oci.image.layer.v1.tar", IMAGE_LAYER_TAR },
    { "application/vnd.oci.image.layer.v1.tar+gzip", IMAGE_LAYER_GZIP },
    { "application/vnd.oci.image.layer.v1.tar+zstd", IMAGE_LAYER_ZSTD },
    { "application/vnd.docker.image.rootfs.diff.tar", IMAGE_LAYER_TAR },
    { "application/vnd.docker.image.rootfs.diff.tar.gzip", IMAGE_LAYER_GZIP },
    { "application/vnd.docker.image.rootfs.diff.tar.zstd", IMAGE_LAYER_ZSTD },
  };
  for (size_t i = 0; i < ARRAY_SIZE(known); i++)
    if (str_eq(mt, known[i].type))
      {
        *out = known[i].comp;
        return 0;
      }
  return berth_fail(err, 0, "layer media type \"%s\" is not supported (tar, tar+gzip or tar+zstd)", mt ? mt : "");
}

bool image_descriptor_is_index(const struct image_descriptor *d)
{
  return str_eq(d->media_type, IMAGE_MT_INDEX) || str_eq(d->media_type, IMAGE_MT_DOCKER_LIST);
}

const char *image_host_arch(void)
{
  static const struct
  {
    const char *machine, *goarch;
  } map[] = {
    { "x86_64", "amd64" }, { "aarch64", "arm64" }, { "i686", "386" }, { "i386", "386" },
    { "armv7l", "arm" },   { "ppc64le", "ppc64le" }, { "s390x", "s390x" }, { "riscv64", "riscv64" },
  };
  static struct utsname u;
  if (uname(&u) < 0)
    return "amd64";
  for (size_t i = 0; i < ARRAY_SIZE(map); i++)
    if (str_eq(u.machine, map[i].machine))
      return map[i].goarch;
  return u.machine;
}

static bool platform_is(const struct image_descriptor *d, const char *arch)
{
  return (!d->os || str_eq(d->os, "linux")) && d->architecture && str_eq(d->architecture, arch);
}

/* several candidates: the host's arch, then amd64 */
static int pick_platform(const struct image_index *idx, const bool *cand, const char *arch, size_t *out)
{
  const char *prefs[] = { arch, "amd64" };
  for (size_t a = 0; a < ARRAY_SIZE(prefs); a++)
    for (size_t i = 0; i < idx->n_manifests; i++)
      if (cand[i] && platform_is(&idx->manifests[i], prefs[a]))
        {
          *out = i;
          return 0;
        }
  return -1;
}

int image_index_pick(const struct image_index *idx, const char *tag, const char *arch, const char *label,
                     size_t *out, berth_error_t *err)
{
  _cleanup_free_ bool *cand = xcalloc(idx->n_manifests + 1, sizeof *cand);
  size_t n = 0, last = 0;
  for (size_t i = 0; i < idx->n_manifests; i++)
    if (!tag || str_eq(idx->manifests[i].ref_name, tag))
      {
        cand[i] = true;
        n++;
        last = i;
      }
  if (n == 0 && tag)
    return berth_fail(err, 0, "%s: no manifest has the tag \"%s\" (%s)", label, tag, IMAGE_REF_NAME);
  if (n == 0)
    return berth_fail(err, 0, "%s: .manifests is empty", label);
  if (n == 1)
    {
      *out = last;
      return 0;
    }
  if (pick_platform(idx, cand, arch, out) == 0)
    return 0;
  if (tag)
    return berth_fail(err, 0, "%s: %zu manifests have the tag \"%s\" and none is for linux/%s or linux/amd64",
                      label, n, tag, arch);
  return berth_fail(err, 0, "%s: %zu manifests and none is for linux/%s or linux/amd64: name one with DIR:TAG",
                    label, n, arch);
}

int image_ref_split(const char *ref, char **dir, char **tag, berth_error_t *err)
{
  if (!ref || !*ref)
    return berth_fail(err, 0, "the image reference is empty (DIR[:TAG])");
  const char *colon = strrchr(ref, ':');
  const char *slash = strrchr(ref, '/');
  if (colon && (!slash || colon > slash))
    {
      if (colon == ref || !colon[1])
        return berth_fail(err, 0, "image \"%s\": DIR and TAG must not be empty (DIR[:TAG])", ref);
      *dir = xstrndup(ref, (size_t) (colon - ref));
      *tag = xstrdup(colon + 1);
      return 0;
    }
  *dir = xstrdup(ref);
  *tag = NULL;
  return 0;
}

/* ------------------------------------------------------------ whiteouts */

#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

int image_whiteout_classify(const char *base, const char **target, berth_error_t *err)
{
  *target = NULL;
  if (!str_has_prefix(base, WH_PREFIX))
    return IMAGE_ENTRY_PLAIN;
  if (str_eq(base, WH_OPAQUE))
    return IMAGE_ENTRY_OPAQUE;
  const char *t = base + strlen(WH_PREFIX);
  if (str_has_prefix(t, WH_PREFIX))
    return IMAGE_ENTRY_AUFS_META;
  if (!*t || str_eq(t, ".") || str_eq(t, "..") || strchr(t, '/'))
    return berth_fail(err, 0, "whiteout \"%s\": names no file", base);
  *target = t;
  return IMAGE_ENTRY_WHITEOUT;
}

/* ------------------------------------------------------------ process conversion */

static char **strv_dup_append(char **v, size_t *n, const char *s)
{
  v = xreallocarray(v, *n + 2, sizeof *v);
  v[(*n)++] = xstrdup(s);
  v[*n] = NULL;
  return v;
}

static void env_set(struct image_process *p, const char *kv)
{
  size_t klen = (size_t) (strchr(kv, '=') - kv);
  for (size_t i = 0; i < p->n_env; i++)
    if (strncmp(p->env[i], kv, klen) == 0 && p->env[i][klen] == '=')
      {
        free(p->env[i]);
        p->env[i] = xstrdup(kv);
        return;
      }
  p->env = strv_dup_append(p->env, &p->n_env, kv);
}

static bool parse_u32(const char *s, uint32_t *out)
{
  if (!*s || *s < '0' || *s > '9')
    return false;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > INT32_MAX)
    return false;
  *out = (uint32_t) v;
  return true;
}

/* the colon-separated fields of a passwd/group line; fields[] point into line */
static size_t split_fields(char *line, char **fields, size_t max)
{
  size_t n = 0;
  for (char *p = line; n < max;)
    {
      fields[n++] = p;
      char *c = strchr(p, ':');
      if (!c)
        break;
      *c = '\0';
      p = c + 1;
    }
  return n;
}

/* Find a line of an /etc/passwd or /etc/group text whose name (field 0) or,
 * numeric, id (field 2) is key; fn gets the fields. */
typedef void (*db_line_fn)(char **fields, size_t n, void *data);
static bool db_find(const char *text, const char *key, bool by_id, size_t want_fields, db_line_fn fn, void *data)
{
  if (!text)
    return false;
  _cleanup_free_ char *copy = xstrdup(text);
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
    {
      char *f[8];
      size_t n = split_fields(line, f, ARRAY_SIZE(f));
      if (n < want_fields || line[0] == '#')
        continue;
      if (str_eq(f[by_id ? 2 : 0], key))
        {
          fn(f, n, data);
          return true;
        }
    }
  return false;
}

struct pw_hit
{
  uint32_t uid, gid;
  char *name;
  bool ok;
};

static void take_passwd(char **f, size_t n, void *data)
{
  struct pw_hit *h = data;
  h->ok = parse_u32(f[2], &h->uid) && parse_u32(f[3], &h->gid);
  h->name = xstrdup(f[0]);
}

static void take_gid(char **f, size_t n, void *data)
{
  struct pw_hit *h = data;
  h->ok = parse_u32(f[2], &h->gid);
}

/* supplementary groups: every group whose member list names the user */
static void add_supplementary(const char *group, const char *name, uint32_t primary, struct image_process *p)
{
  if (!group || !name)
    return;
  _cleanup_free_ char *copy = xstrdup(group);
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
    {
      char *f[4];
      uint32_t gid;
      if (split_fields(line, f, 4) < 4 || !parse_u32(f[2], &gid) || gid == primary)
        continue;
      char *msave = NULL;
      for (char *m = strtok_r(f[3], ",", &msave); m; m = strtok_r(NULL, ",", &msave))
        if (str_eq(m, name))
          {
            p->additional_gids = xreallocarray(p->additional_gids, p->n_additional_gids + 1, sizeof(uint32_t));
            p->additional_gids[p->n_additional_gids++] = gid;
            break;
          }
    }
}

static int resolve_user(const char *user, const char *passwd, const char *group, struct image_process *p,
                        berth_error_t *err)
{
  if (!user || !*user)
    return 0;
  _cleanup_free_ char *u = xstrdup(user);
  char *g = strchr(u, ':');
  if (g)
    *g++ = '\0';
  struct pw_hit pw = { 0 };
  bool numeric = parse_u32(u, &pw.uid);
  bool found = db_find(passwd, u, numeric, 4, take_passwd, &pw);
  _cleanup_free_ char *pw_name = pw.name;
  if (!numeric && !found)
    return berth_fail(err, 0, ".config.User \"%s\": no user \"%s\" in the image's /etc/passwd", user, u);
  if (found && !pw.ok)
    return berth_fail(err, 0, ".config.User \"%s\": the image's /etc/passwd has a bad entry for it", user);
  p->uid = pw.uid;
  p->gid = found ? pw.gid : 0;
  if (g)
    {
      struct pw_hit gr = { 0 };
      if (parse_u32(g, &gr.gid))
        p->gid = gr.gid;
      else if (db_find(group, g, false, 3, take_gid, &gr) && gr.ok)
        p->gid = gr.gid;
      else
        return berth_fail(err, 0, ".config.User \"%s\": no group \"%s\" in the image's /etc/group", user, g);
      return 0; /* an explicit group: no supplementary groups (as docker does) */
    }
  add_supplementary(group, found ? pw_name : NULL, p->gid, p);
  return 0;
}

int image_config_to_process(const struct image_config *c, const char *const *base_env, const char *passwd,
                            const char *group, struct image_process *out, berth_error_t *err)
{
  struct image_process p = { 0 };
  for (size_t i = 0; i < c->n_entrypoint; i++)
    p.args = strv_dup_append(p.args, &p.n_args, c->entrypoint[i]);
  for (size_t i = 0; i < c->n_cmd; i++)
    p.args = strv_dup_append(p.args, &p.n_args, c->cmd[i]);
  if (p.n_args == 0)
    {
      image_process_free(&p);
      return berth_fail(err, 0, "image config: neither .config.Entrypoint nor .config.Cmd names a program");
    }
  for (size_t i = 0; base_env && base_env[i]; i++)
    p.env = strv_dup_append(p.env, &p.n_env, base_env[i]);
  for (size_t i = 0; i < c->n_env; i++)
    env_set(&p, c->env[i]);
  p.cwd = xstrdup(c->working_dir && *c->working_dir ? c->working_dir : "/");
  if (resolve_user(c->user, passwd, group, &p, err) < 0)
    {
      image_process_free(&p);
      return -1;
    }
  *out = p;
  return 0;
}
