/* config.json: the top level, root, mounts, hooks, annotations and lookups. */
#include "spec/internal.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* ------------------------------------------------------------ free */

static void mounts_free(struct spec_mount *m, size_t n)
{
  for (size_t i = 0; m && i < n; i++)
    {
      free(m[i].destination);
      free(m[i].type);
      free(m[i].source);
      strv_free(m[i].options);
      free(m[i].uid_mappings);
      free(m[i].gid_mappings);
    }
  free(m);
}

static void hook_list_clear(struct spec_hook_list *l)
{
  for (size_t i = 0; l->hooks && i < l->n; i++)
    {
      free(l->hooks[i].path);
      strv_free(l->hooks[i].args);
      strv_free(l->hooks[i].env);
    }
  free(l->hooks);
}

static void hooks_free(struct spec_hooks *h)
{
  if (!h)
    return;
  hook_list_clear(&h->prestart);
  hook_list_clear(&h->create_runtime);
  hook_list_clear(&h->create_container);
  hook_list_clear(&h->start_container);
  hook_list_clear(&h->poststart);
  hook_list_clear(&h->poststop);
  free(h);
}

void spec_config_free(struct spec_config *c)
{
  if (!c)
    return;
  free(c->oci_version);
  if (c->root)
    {
      free(c->root->path);
      free(c->root);
    }
  mounts_free(c->mounts, c->n_mounts);
  spec_process_free(c->process);
  free(c->hostname);
  free(c->domainname);
  hooks_free(c->hooks);
  spec_kv_free(c->annotations, c->n_annotations);
  spec_linux_free(c->linux_);
  free(c);
}

/* ------------------------------------------------------------ sections */

static int parse_root(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_root *r = elem;
  if (jrequire(c, n, p, "path") < 0 || jf_str(c, n, p, "path", &r->path) < 0
      || jf_bool(c, n, p, "readonly", &r->readonly) < 0)
    return -1;
  if (!*r->path)
    return jfail(c, JP_KEY(p, "path"), "must not be empty");
  return 0;
}

static int parse_mount(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_mount *m = elem;
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jrequire(c, n, p, "destination") < 0
      || jf_str(c, n, p, "destination", &m->destination) < 0 || jf_str(c, n, p, "type", &m->type) < 0
      || jf_str(c, n, p, "source", &m->source) < 0
      || jf_strv(c, n, p, "options", &m->options, &m->n_options) < 0
      || jf_array(c, n, p, "uidMappings", sizeof *m->uid_mappings, spec_parse_id_mapping, &m->uid_mappings,
                  &m->n_uid_mappings) < 0
      || jf_array(c, n, p, "gidMappings", sizeof *m->gid_mappings, spec_parse_id_mapping, &m->gid_mappings,
                  &m->n_gid_mappings) < 0)
    return -1;
  if (!spec_is_absolute(m->destination))
    return jfail(c, JP_KEY(p, "destination"), "\"%.64s\" is not an absolute path", m->destination);
  return 0;
}

static int parse_hook(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_hook *h = elem;
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jrequire(c, n, p, "path") < 0
      || jf_str(c, n, p, "path", &h->path) < 0 || jf_strv(c, n, p, "args", &h->args, NULL) < 0
      || jf_strv(c, n, p, "env", &h->env, NULL) < 0)
    return -1;
  if (!spec_is_absolute(h->path))
    return jfail(c, JP_KEY(p, "path"), "\"%.64s\" is not an absolute path", h->path);
  const struct jnode *t = jget(n, "timeout");
  if (t)
    {
      const struct jpath *tp = JP_KEY(p, "timeout");
      h->timeout.set = true;
      if (ji64(c, t, tp, INT64_MIN, INT64_MAX, &h->timeout.value) < 0)
        return -1;
      if (h->timeout.value <= 0 || h->timeout.value > INT32_MAX)
        return jfail(c, tp, "%s is out of range (must be > 0)", t->text);
    }
  return 0;
}

static int parse_hook_list(struct jctx *c, const struct jnode *obj, const struct jpath *p, const char *key,
                           struct spec_hook_list *l)
{
  return jf_array(c, obj, p, key, sizeof *l->hooks, parse_hook, &l->hooks, &l->n);
}

static int parse_hooks(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_hooks *h = elem;
  if (parse_hook_list(c, n, p, "prestart", &h->prestart) < 0
      || parse_hook_list(c, n, p, "createRuntime", &h->create_runtime) < 0
      || parse_hook_list(c, n, p, "createContainer", &h->create_container) < 0
      || parse_hook_list(c, n, p, "startContainer", &h->start_container) < 0
      || parse_hook_list(c, n, p, "poststart", &h->poststart) < 0
      || parse_hook_list(c, n, p, "poststop", &h->poststop) < 0)
    return -1;
  return 0;
}

static int parse_config(struct jctx *c, const struct jnode *n, struct spec_config *cfg)
{
  if (jexpect(c, n, NULL, JSON_OBJECT) < 0 || jrequire(c, n, NULL, "ociVersion") < 0
      || jf_str(c, n, NULL, "ociVersion", &cfg->oci_version) < 0
      || jf_object(c, n, NULL, "root", sizeof *cfg->root, parse_root, &cfg->root) < 0
      || jf_array(c, n, NULL, "mounts", sizeof *cfg->mounts, parse_mount, &cfg->mounts, &cfg->n_mounts) < 0
      || jf_object(c, n, NULL, "process", sizeof *cfg->process, spec_parse_process, &cfg->process) < 0
      || jf_str(c, n, NULL, "hostname", &cfg->hostname) < 0
      || jf_str(c, n, NULL, "domainname", &cfg->domainname) < 0
      || jf_object(c, n, NULL, "hooks", sizeof *cfg->hooks, parse_hooks, &cfg->hooks) < 0
      || jf_kv(c, n, NULL, "annotations", &cfg->annotations, &cfg->n_annotations) < 0
      || jf_object(c, n, NULL, "linux", sizeof *cfg->linux_, spec_parse_linux, &cfg->linux_) < 0)
    return -1;
  if (!*cfg->oci_version)
    return jfail(c, JP_KEY(NULL, "ociVersion"), "must not be empty");
  return 0;
}

static void config_freep(struct spec_config **c)
{
  spec_config_free(*c);
}

int spec_config_parse(const char *json, size_t len, const char *label, struct spec_config **out,
                      berth_error_t *err)
{
  _cleanup_(json_freep) struct jnode *root = NULL;
  if (json_parse(json, len, label, &root, err) < 0)
    return -1;
  struct jctx c = { label, err };
  _cleanup_(config_freep) struct spec_config *cfg = xcalloc(1, sizeof *cfg);
  if (parse_config(&c, root, cfg) < 0)
    return -1;
  *out = steal_pointer(&cfg);
  return 0;
}

int spec_config_load(const char *path, struct spec_config **out, berth_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len;
  if (read_file_at(AT_FDCWD, path, SPEC_JSON_MAX_SIZE, &text, &len, err) < 0)
    return -1;
  return spec_config_parse(text, len, path, out, err);
}

/* ------------------------------------------------------------ lookups */

const struct spec_namespace *spec_find_namespace(const struct spec_config *c, enum spec_ns_type t)
{
  if (!c || !c->linux_)
    return NULL;
  for (size_t i = 0; i < c->linux_->n_namespaces; i++)
    if (c->linux_->namespaces[i].type == t)
      return &c->linux_->namespaces[i];
  return NULL;
}

const char *spec_annotation(const struct spec_config *c, const char *key)
{
  if (!c)
    return NULL;
  for (size_t i = 0; i < c->n_annotations; i++)
    if (str_eq(c->annotations[i].key, key))
      return c->annotations[i].value;
  return NULL;
}
