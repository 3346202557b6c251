/* OCI image-spec documents (1.0/1.1): index.json / image index, image
 * manifest and image config, parsed into typed structs with validation
 * naming the JSON path ("index.json: .manifests[0].digest: ..."), plus the
 * pure conversions berth needs: which manifest a TAG names, which layer
 * media types it can read, and the image config -> process conversion
 * (image-spec "conversion.md"), user names resolved in passwd/group text.
 * Everything here is pure: callers read the files. */
#ifndef BERTH_SPEC_IMAGE_H
#define BERTH_SPEC_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

#define IMAGE_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define IMAGE_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define IMAGE_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define IMAGE_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define IMAGE_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define IMAGE_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define IMAGE_REF_NAME "org.opencontainers.image.ref.name"
/* manifests, configs and index files berth reads are at most this big */
#define IMAGE_MAX_DOCUMENT (4u << 20)

struct image_descriptor
{
  char *media_type;
  char *digest; /* "sha256:<64 lowercase hex>" (validated) */
  int64_t size;
  char *ref_name;      /* annotations["org.opencontainers.image.ref.name"] or NULL */
  char *os, *architecture, *variant; /* platform, NULL when absent */
};

struct image_index
{
  struct image_descriptor *manifests;
  size_t n_manifests;
};

struct image_manifest
{
  struct image_descriptor config;
  struct image_descriptor *layers; /* bottom first */
  size_t n_layers;
};

struct image_config
{
  char *architecture, *os;
  char *user, *working_dir;
  char **env, **entrypoint, **cmd; /* NULL-terminated or NULL */
  size_t n_env, n_entrypoint, n_cmd;
  char **diff_ids; /* rootfs.diff_ids, NULL-terminated, validated digests */
  size_t n_diff_ids;
};

enum image_compression
{
  IMAGE_LAYER_TAR = 0,
  IMAGE_LAYER_GZIP,
  IMAGE_LAYER_ZSTD,
};

/* label names the document in errors ("index.json", "blob sha256:ab..") */
int image_index_parse(const char *text, size_t len, const char *label, struct image_index **out,
                      berth_error_t *err);
int image_manifest_parse(const char *text, size_t len, const char *label, struct image_manifest **out,
                         berth_error_t *err);
int image_config_parse(const char *text, size_t len, const char *label, struct image_config **out,
                       berth_error_t *err);
void image_index_free(struct image_index *i);
void image_manifest_free(struct image_manifest *m);
void image_config_free(struct image_config *c);
static inline void image_index_freep(struct image_index **i) { image_index_free(*i); }
static inline void image_manifest_freep(struct image_manifest **m) { image_manifest_free(*m); }
static inline void image_config_freep(struct image_config **c) { image_config_free(*c); }

/* "sha256:" + 64 lowercase hex digits (the only algorithm berth verifies) */
bool image_digest_valid(const char *digest);

/* A layer's media type -> compression; unknown (or a foreign/non-
 * distributable type berth does not fetch) fails naming it. */
int image_layer_compression(const char *media_type, enum image_compression *out, berth_error_t *err);

/* Is this descriptor an index (nested, as skopeo writes multi-arch images)? */
bool image_descriptor_is_index(const struct image_descriptor *d);

/* Pick the manifest of an index: with tag, the entry whose ref.name is
 * tag (several: the one for the platform); without, the only entry, or
 * among several the one for linux/`arch` (then linux/amd64). *out is the
 * index of the entry. arch is a GOARCH name ("amd64", "arm64"). */
int image_index_pick(const struct image_index *idx, const char *tag, const char *arch, const char *label,
                     size_t *out, berth_error_t *err);

/* The host's GOARCH name ("amd64" on x86_64...) */
const char *image_host_arch(void);

/* "DIR[:TAG]" -> dir, tag (NULL without). The tag is what follows the
 * last ':' when that is after the last '/' (so "/a:b/c" has no tag). */
int image_ref_split(const char *ref, char **dir, char **tag, berth_error_t *err);

/* ------------------------------------------------------------ process conversion */

struct image_process
{
  char **args; /* Entrypoint + Cmd, NULL-terminated */
  size_t n_args;
  char **env; /* base env with the image's entries merged (same key replaced) */
  size_t n_env;
  char *cwd; /* WorkingDir or "/" */
  uint32_t uid, gid;
  uint32_t *additional_gids;
  size_t n_additional_gids;
};
void image_process_free(struct image_process *p);

/* Convert config (with base_env, NULL-terminated, e.g. the default PATH
 * and TERM); passwd/group are the image's /etc/passwd and /etc/group
 * (NULL when the image has none). User: "", "uid", "name", "uid:gid",
 * "name:group"...; a name not found is an error naming it. Neither
 * Entrypoint nor Cmd: an error (nothing to run). */
int image_config_to_process(const struct image_config *c, const char *const *base_env, const char *passwd,
                            const char *group, struct image_process *out, berth_error_t *err);

/* Whiteouts: a layer entry's base name */
enum image_whiteout
{
  IMAGE_ENTRY_PLAIN = 0,
  IMAGE_ENTRY_WHITEOUT, /* ".wh.NAME": NAME deleted (*target = NAME) */
  IMAGE_ENTRY_OPAQUE,   /* ".wh..wh..opq": the directory is opaque */
  IMAGE_ENTRY_AUFS_META, /* other ".wh..wh.*" names (aufs' hardlink dirs): skipped */
};
/* base is a path's last component; invalid whiteouts (".wh." alone, a
 * target of "." or "..") fail. */
int image_whiteout_classify(const char *base, const char **target, berth_error_t *err);

#endif
