/* OCI image layouts and the shared layer store.
 *
 * An image layout (oci-layout, index.json, blobs/sha256/...) names its
 * layers; each is unpacked once into STORE/sha256/<hex of its diffID> and
 * shared read-only, as an overlay lower layer, by every container using it.
 *
 *   STORE/sha256/HEX   unpacked layers (renamed in from tmp/ when verified)
 *   STORE/tmp/HEX      a layer being unpacked (under its lock)
 *   STORE/locks/HEX    per-layer flock: one unpack, the others wait and reuse
 *   STORE/users/KEY    who uses which layers: line 1 the user (a container's
 *                      state dir), line 2 the creating pid, then diffIDs
 *
 * A user record is written before any layer is looked at, and prune takes
 * each layer's lock before reading the records: so prune never removes a
 * layer a create is about to mount. A record is live while its state dir
 * exists or its creating process runs. */
#ifndef BERTH_STORAGE_IMAGE_H
#define BERTH_STORAGE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/image.h"
#include "util/error.h"

#define STORAGE_ANN_IMAGE "run.berth.storage.image"
#define IMAGE_STORE_DEFAULT "/var/lib/berth/layers"

struct image_store_opts
{
  const char *root;        /* the store; NULL: image_store_default_root() */
  uint64_t max_layer_size; /* 0: LAYER_DEFAULT_MAX_SIZE */
  bool rootless;
  const char *user;        /* recorded as using the layers (a state dir), NULL: not recorded */
};

/* /var/lib/berth/layers; rootless $XDG_DATA_HOME/berth/layers (or
 * ~/.local/share/berth/layers) */
char *image_store_default_root(bool rootless);

/* A parsed image layout: the manifest and config TAG names, verified
 * against their digests. */
struct image_ref
{
  char *dir, *tag;
  int layout_fd;
  struct image_manifest *manifest;
  struct image_config *config;
};
int image_ref_open(const char *ref, struct image_ref **out, berth_error_t *err);
void image_ref_free(struct image_ref *r);
static inline void image_ref_freep(struct image_ref **r) { image_ref_free(*r); }

/* The function the create path (and `berth sandbox`) calls: open the
 * image "DIR[:TAG]", unpack and verify every layer missing from the store,
 * record o->user as using them, and return the layer directories bottom
 * first (NULL-terminated, *n entries). config_out (may be NULL) gets the
 * image config. */
int image_prepare_layers(const char *image_ref, const struct image_store_opts *o, char ***layer_dirs, size_t *n,
                         struct image_config **config_out, berth_error_t *err);

/* The image's /etc/passwd and /etc/group as its layers have them (read
 * from the blobs, top layer first; NULL when missing). */
int image_read_user_db(const struct image_ref *r, char **passwd, char **group, berth_error_t *err);

/* berth storage ls / prune */
struct image_layer_info
{
  char *diff_id;
  uint64_t bytes;
  char **users; /* live users, NULL-terminated */
};
int image_store_list(const char *root, struct image_layer_info **out, size_t *n, berth_error_t *err);
void image_layer_info_free(struct image_layer_info *v, size_t n);
/* remove layers no live user has (all: also... every layer, refused when
 * one is in use); *removed counts them */
int image_store_prune(const char *root, bool all, size_t *removed, berth_error_t *err);

#endif
