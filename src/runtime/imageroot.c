/* run.berth.storage.image -> run.berth.storage.layers (see imageroot.h). */
#include "runtime/imageroot.h"

#include <stdlib.h>
#include <string.h>

#include "storage/image.h"
#include "storage/overlay.h"
#include "util/log.h"
#include "util/util.h"

static void set_annotation(struct spec_config *c, const char *key, char *value_owned)
{
  for (size_t i = 0; i < c->n_annotations; i++)
    if (str_eq(c->annotations[i].key, key))
      {
        free(c->annotations[i].value);
        c->annotations[i].value = value_owned;
        return;
      }
  c->annotations = xreallocarray(c->annotations, c->n_annotations + 1, sizeof *c->annotations);
  c->annotations[c->n_annotations++] = (struct spec_kv){ .key = xstrdup(key), .value = value_owned };
}

int imageroot_resolve(struct spec_config *c, const struct global_opts *g, const char *id, berth_error_t *err)
{
  const char *ref = spec_annotation(c, STORAGE_ANN_IMAGE);
  if (!ref)
    return 0;
  /* before anything is unpacked: the overlay needs a mount namespace of its own */
  const struct spec_namespace *mnt = spec_find_namespace(c, SPEC_NS_MOUNT);
  if (!mnt || mnt->path)
    return berth_fail(err, 0, "config.json: .annotations[\"%s\"]: needs a new mount namespace (.linux.namespaces)",
                      STORAGE_ANN_IMAGE);
  berth_log_phase("image");
  _cleanup_free_ char *user = xasprintf("%s/%s", g->root, id);
  const struct image_store_opts o = {
    .root = g->storage_root, .max_layer_size = g->max_layer_size, .rootless = g->rootless, .user = user,
  };
  char **dirs = NULL;
  size_t n = 0;
  if (image_prepare_layers(ref, &o, &dirs, &n, NULL, err) < 0)
    return berth_wrap(err, "config.json: .annotations[\"%s\"]", STORAGE_ANN_IMAGE);
  const char *above = spec_annotation(c, STORAGE_ANN_LAYERS);
  char *list = xstrdup("");
  for (size_t i = 0; i < n; i++)
    {
      char *next = xasprintf("%s%s%s", list, i ? ":" : "", dirs[i]);
      free(list);
      list = next;
    }
  strv_free(dirs);
  if (above && *above)
    {
      char *next = xasprintf("%s:%s", list, above);
      free(list);
      list = next;
    }
  set_annotation(c, STORAGE_ANN_LAYERS, list);
  return 0;
}
