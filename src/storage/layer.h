/* One image layer blob unpacked into a directory, verified.
 *
 * The blob (tar, tar+gzip or tar+zstd) is read once through libarchive:
 * its bytes are hashed (the compressed digest the manifest names), the
 * decompressed stream is hashed too (the diffID the image config names)
 * and counted against a size cap, and the tar entries are created beneath
 * dir_fd with the in-root resolution of storage.h: a name with "..", an
 * absolute name, a symlink in the layer or a hardlink target never reach
 * outside the directory. OCI whiteouts become overlayfs whiteouts (char
 * 0/0) and opaque directories (trusted.overlay.opaque=y, or
 * user.overlay.opaque=y for a rootless store: the overlay is then mounted
 * with userxattr). Any failure leaves the directory half-filled: the
 * caller removes it (layer_store in image.c unpacks into a temporary
 * directory and renames it into place only on success). */
#ifndef BERTH_STORAGE_LAYER_H
#define BERTH_STORAGE_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

#define LAYER_DEFAULT_MAX_SIZE (10ull << 30) /* --max-layer-size default: 10 GiB */

struct layer_unpack_opts
{
  int compression;            /* enum image_compression */
  const char *digest;         /* expected digest of the blob ("sha256:...") */
  int64_t size;               /* expected size of the blob, -1: unchecked */
  const char *diff_id;        /* expected digest of the uncompressed tar */
  uint64_t max_size;          /* cap on uncompressed bytes, 0: LAYER_DEFAULT_MAX_SIZE */
  bool rootless;              /* no chown, no device nodes, user.overlay.* xattrs */
  const char *label;          /* names the blob in errors ("blob sha256:ab12...") */
};

struct layer_unpack_stats
{
  uint64_t compressed, uncompressed, entries, skipped;
};

/* Unpack the blob read from blob_fd into the (empty) directory dir_fd. */
int layer_unpack(int blob_fd, int dir_fd, const struct layer_unpack_opts *o, struct layer_unpack_stats *stats,
                 berth_error_t *err);

/* Remove name beneath parent_fd and, for a directory, everything in it,
 * never following a symlink (0 when it does not exist). */
int layer_remove_tree(int parent_fd, const char *name, berth_error_t *err);

#endif
