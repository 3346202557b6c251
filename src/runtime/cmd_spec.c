/* berth spec: write a default config.json into the bundle directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net.h"
#include "runtime/cli.h"
#include "spec/spec.h"
#include "storage/image.h"
#include "storage/overlay.h"
#include "storage/storage.h"
#include "util/util.h"

/* O_EXCL makes "refuse to overwrite" race-free */
static int write_new_file(const char *path, const char *data, size_t len, berth_error_t *err)
{
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0666);
  if (fd < 0)
    {
      if (errno == EEXIST)
        return berth_fail(err, 0, "File %s exists. Remove it first", path);
      return berth_fail_sys(err, "create %s", path);
    }
  if (write_all(fd, data, len) < 0)
    {
      int saved = errno;
      unlink(path);
      return berth_fail(err, saved, "write %s", path);
    }
  return 0;
}

/* ------------------------------------------------------------------ annotations
 * Options that configure berth's extensions (storage, network) become
 * run.berth.* annotations: each appends KEY=VALUE pairs to one list, which
 * is written as config.json's "annotations" (a key given twice: the last
 * value wins, so a generic --annotation after --layer overrides it). */

struct annotation_list
{
  struct spec_kv *kv;
  size_t n;
};

static void annotations_add(struct annotation_list *a, const char *key, char *value_owned)
{
  a->kv = xreallocarray(a->kv, a->n + 1, sizeof *a->kv);
  a->kv[a->n].key = xstrdup(key);
  a->kv[a->n].value = value_owned;
  a->n++;
}

static void annotations_free(struct annotation_list *a)
{
  for (size_t i = 0; i < a->n; i++)
    {
      free(a->kv[i].key);
      free(a->kv[i].value);
    }
  free(a->kv);
}

/* --annotation KEY=VALUE (repeatable) */
static int add_generic_annotations(struct annotation_list *a, const struct cli_strv *v, berth_error_t *err)
{
  for (size_t i = 0; i < v->n; i++)
    {
      const char *eq = strchr(v->v[i], '=');
      if (!eq || eq == v->v[i])
        return berth_fail(err, 0, "--annotation \"%s\": must be KEY=VALUE", v->v[i]);
      _cleanup_free_ char *key = xstrndup(v->v[i], (size_t) (eq - v->v[i]));
      annotations_add(a, key, xstrdup(eq + 1));
    }
  return 0;
}

/* a path given on the command line, absolute (relative to the current
 * directory): the annotations need absolute paths */
static char *absolute_path(const char *p)
{
  if (p[0] == '/')
    return xstrdup(p);
  _cleanup_free_ char *cwd = getcwd(NULL, 0);
  _cleanup_free_ char *joined = xasprintf("%s/%s", cwd ? cwd : "/", p);
  return storage_path_clean(joined);
}

/* --layer DIR (repeatable, bottom first) and --upper ephemeral|none|DIR,
 * checked as create will check them (the directories need not exist yet) */
static int add_storage_annotations(struct annotation_list *a, const struct cli_strv *layers,
                                   const char *upper, berth_error_t *err)
{
  if (layers->n == 0)
    {
      if (upper)
        return berth_fail(err, 0, "--upper needs at least one --layer");
      return 0;
    }
  _cleanup_free_ char *list = xstrdup("");
  for (size_t i = 0; i < layers->n; i++)
    {
      _cleanup_free_ char *abs = absolute_path(layers->v[i]);
      char *next = xasprintf("%s%s%s", list, i ? ":" : "", abs);
      free(list);
      list = next;
    }
  _cleanup_free_ char *upper_value = NULL;
  if (upper)
    upper_value = str_eq(upper, "ephemeral") || str_eq(upper, "none") ? xstrdup(upper) : absolute_path(upper);
  struct storage_overlay *o = NULL;
  if (storage_overlay_parse(list, upper_value, "config.json", &o, err) < 0)
    return -1;
  storage_overlay_free(o);
  annotations_add(a, STORAGE_ANN_LAYERS, steal_pointer(&list));
  if (upper_value)
    annotations_add(a, STORAGE_ANN_UPPER, steal_pointer(&upper_value));
  return 0;
}

/* --upper with --image and no --layer */
static int add_upper_only(struct annotation_list *a, const char *upper, berth_error_t *err)
{
  _cleanup_free_ char *value = str_eq(upper, "ephemeral") || str_eq(upper, "none") ? xstrdup(upper) : absolute_path(upper);
  struct storage_overlay *o = NULL;
  if (storage_overlay_parse("/image", value, "config.json", &o, err) < 0)
    return -1;
  storage_overlay_free(o);
  annotations_add(a, STORAGE_ANN_UPPER, steal_pointer(&value));
  return 0;
}

/* --network bridge[:BRIDGE]|none, --ip CIDR, --subnet CIDR: checked as
 * create checks them (net_config_parse), so a bad value fails here */
static int add_network_annotations(struct annotation_list *a, const char *network, const char *ip,
                                   const char *subnet, bool rootless, berth_error_t *err)
{
  if (!network)
    {
      if (ip || subnet)
        return berth_fail(err, 0, "--%s needs --network bridge", ip ? "ip" : "subnet");
      return 0;
    }
  const char *colon = strchr(network, ':');
  _cleanup_free_ char *mode = colon ? xstrndup(network, (size_t) (colon - network)) : xstrdup(network);
  if (!str_eq(mode, "bridge") && !str_eq(mode, "none"))
    return berth_fail(err, 0, "--network \"%s\": the mode is bridge or none", network);
  if (str_eq(mode, "none") && (colon || ip || subnet))
    return berth_fail(err, 0, "--network none takes no bridge, --ip or --subnet");
  if (str_eq(mode, "bridge") && rootless)
    return berth_fail(err, 0, "--network bridge needs a network namespace, which a --rootless config has not");
  struct annotation_list net = {0};
  annotations_add(&net, NET_ANNOTATION_PREFIX "mode", xstrdup(mode));
  if (colon)
    annotations_add(&net, NET_ANNOTATION_PREFIX "bridge", xstrdup(colon + 1));
  if (subnet)
    annotations_add(&net, NET_ANNOTATION_PREFIX "subnet", xstrdup(subnet));
  if (ip)
    annotations_add(&net, NET_ANNOTATION_PREFIX "ip", xstrdup(ip));
  struct net_config *checked = NULL;
  int r = net_config_parse(net.kv, net.n, &checked, err);
  net_config_free(checked);
  for (size_t i = 0; r == 0 && i < net.n; i++)
    annotations_add(a, net.kv[i].key, steal_pointer(&net.kv[i].value));
  annotations_free(&net);
  return r;
}

/* --image DIR[:TAG]: the annotation, and the process from the image
 * config (image-spec conversion rules; User resolved in the image's
 * /etc/passwd and /etc/group, read from its layer blobs) */
static int add_image(struct annotation_list *a, const char *image, struct image_process *proc, berth_error_t *err)
{
  _cleanup_free_ char *dir = NULL, *tag = NULL;
  if (image_ref_split(image, &dir, &tag, err) < 0)
    return -1;
  _cleanup_free_ char *abs = absolute_path(dir);
  _cleanup_free_ char *ref = tag ? xasprintf("%s:%s", abs, tag) : xstrdup(abs);
  _cleanup_(image_ref_freep) struct image_ref *r = NULL;
  if (image_ref_open(ref, &r, err) < 0)
    return berth_wrap(err, "--image");
  _cleanup_free_ char *passwd = NULL, *group = NULL;
  if (image_read_user_db(r, &passwd, &group, err) < 0
      || image_config_to_process(r->config, spec_default_env(), passwd, group, proc, err) < 0)
    return berth_wrap(err, "--image %s", image);
  annotations_add(a, STORAGE_ANN_IMAGE, steal_pointer(&ref));
  return 0;
}

int cmd_spec(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  const char *bundle = NULL;
  bool rootless = false;
  struct cli_strv layers = {0}, generic = {0};
  const char *upper = NULL, *image = NULL;
  const char *network = NULL, *ip = NULL, *subnet = NULL;
  const struct cli_option opts[] = {
    {"bundle", 'b', CLI_STRING, &bundle, "DIR", "write DIR/config.json (default: the current directory)"},
    {"rootless", 0, CLI_BOOL, &rootless, NULL, "a config for a container run by an unprivileged user"},
    {"layer", 0, CLI_STRV, &layers, "DIR", "a layer of an overlay root filesystem (repeat, bottom layer first)"},
    {"image", 0, CLI_STRING, &image, "DIR[:TAG]", "the root filesystem and process of an OCI image layout (see berth-config(5))"},
    {"upper", 0, CLI_STRING, &upper, "ephemeral|none|DIR", "where writes to the overlay root go (default ephemeral)"},
    {"annotation", 0, CLI_STRV, &generic, "KEY=VALUE", "add an annotation (repeatable)"},
    {"network", 0, CLI_STRING, &network, "MODE[:BRIDGE]", "bridge (default bridge berth0) or none (see berth-config(5))"},
    {"ip", 0, CLI_STRING, &ip, "CIDR", "the container's static address, e.g. 10.89.0.5/24"},
    {"subnet", 0, CLI_STRING, &subnet, "CIDR", "the bridge's subnet (default " NET_DEFAULT_SUBNET ")"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  static const struct cli_usage usage = {
    "spec",
    "[-b DIR] [--rootless] [--image DIR[:TAG]] [--layer DIR]... [--upper ephemeral|none|DIR] [--annotation KEY=VALUE]...\n"
    "       [--network bridge[:BRIDGE]|none] [--ip CIDR] [--subnet CIDR]",
    "Write a default config.json for a new bundle. The root filesystem is expected\n"
    "in the bundle's \"rootfs\" directory, or is an overlay of the --layer directories\n"
    "(see berth-config(5)), the layers of --image below them; with --image the\n"
    "process comes from the image config. An existing config.json is never overwritten.",
    0, 0, NULL, false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  _cleanup_(annotations_free) struct annotation_list ann = {0};
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  /* the option arrays are ours to free whatever happens */
  _cleanup_free_ const char **layers_v = layers.v;
  _cleanup_free_ const char **generic_v = generic.v;
  if (parsed <= 0)
    return parsed;
  _cleanup_(image_process_free) struct image_process proc = {0};
  if (image && add_image(&ann, image, &proc, err) < 0)
    return -1;
  if ((image ? (layers.n == 0 && upper ? add_upper_only(&ann, upper, err) : add_storage_annotations(&ann, &layers, upper, err))
             : add_storage_annotations(&ann, &layers, upper, err)) < 0
      || add_network_annotations(&ann, network, ip, subnet, rootless, err) < 0
      || add_generic_annotations(&ann, &generic, err) < 0)
    return -1;

  _cleanup_free_ char *json = NULL;
  size_t len = 0;
  const struct spec_default_process dp = {
    .args = (const char *const *) proc.args, .env = (const char *const *) proc.env, .cwd = proc.cwd,
    .uid = proc.uid, .gid = proc.gid, .additional_gids = proc.additional_gids,
    .n_additional_gids = proc.n_additional_gids,
  };
  const struct spec_default_opts eo = {.rootless = rootless, .annotations = ann.kv, .n_annotations = ann.n,
                                       .process = image ? &dp : NULL};
  if (spec_default_config_emit_opts(&eo, &json, &len, err) < 0)
    return -1;
  _cleanup_free_ char *path = bundle && *bundle ? xasprintf("%s/config.json", bundle) : xstrdup("config.json");
  return write_new_file(path, json, len, err);
}
