/* Overlay root filesystems from layer directories, asked for through
 * config.json annotations (documented in berth-config(5)):
 *
 *   run.berth.storage.layers  "/l/base:/l/app"  bottom layer first
 *   run.berth.storage.upper   "ephemeral" (default) | "none" | "/abs/dir"
 *
 * Three steps:
 *   1. storage_overlay_parse()   pure: the annotations -> a validated plan
 *                                (unit-tested, no I/O);
 *   2. storage_overlay_check() and storage_overlay_prepare_dirs()
 *                                the create command, on the host: layers exist
 *                                and are directories on a usable filesystem,
 *                                the upper and work directories are made;
 *   3. storage_overlay_mount()   the container init, inside the container's
 *                                new mount namespace: the overlay is mounted
 *                                on the mount point with the fd-based mount
 *                                API, so it never shows in the host's mount
 *                                table and goes away with the namespace.
 * Every error names the annotation: config.json: .annotations["KEY"]: ... */
#ifndef BERTH_STORAGE_OVERLAY_H
#define BERTH_STORAGE_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

#define STORAGE_ANN_LAYERS "run.berth.storage.layers"
#define STORAGE_ANN_UPPER "run.berth.storage.upper"
/* overlayfs's limit on lower layers (OVL_MAX_STACK) */
#define STORAGE_OVERLAY_MAX_LAYERS 500

enum storage_upper_kind
{
  STORAGE_UPPER_EPHEMERAL = 0, /* upper+work private to the container, in its state dir */
  STORAGE_UPPER_NONE,          /* no upper: read-only root */
  STORAGE_UPPER_PERSISTENT,    /* upper+work under a directory the user names, kept */
};

struct storage_overlay
{
  char **layers; /* NULL-terminated, bottom first, cleaned absolute paths */
  size_t n_layers;
  enum storage_upper_kind upper_kind;
  char *upper_base; /* PERSISTENT: the directory holding upper/ and work/ */

  /* filled by storage_overlay_prepare_dirs(); NULL before */
  char *mountpoint; /* the directory the overlay is mounted on (the container's rootfs) */
  char *upperdir;   /* NULL with STORAGE_UPPER_NONE */
  char *workdir;
  /* one layer and no upper: overlayfs wants two lowers, so an empty
   * directory in the state dir goes below the layer; else NULL */
  char *empty_layer;
};

/* Step 1 (pure). layers and upper are the annotation values (NULL when
 * absent); label names the config file in errors ("config.json"). No
 * layers annotation: 0 and *out NULL (an upper alone is an error). */
int storage_overlay_parse(const char *layers, const char *upper, const char *label,
                          struct storage_overlay **out, berth_error_t *err);
void storage_overlay_free(struct storage_overlay *o);
static inline void storage_overlay_freep(struct storage_overlay **o)
{
  storage_overlay_free(*o);
}

/* The lowerdir list overlayfs wants: top layer first, joined with ':'
 * (pure; the entries are taken as they are). */
char *storage_overlay_lowerdir(char *const *layers_bottom_first, size_t n);

/* Step 2a, before anything is created: every layer exists and is a
 * directory, no two name the same directory (also through symlinks or
 * bind mounts), none is on a filesystem overlayfs refuses as a layer; a
 * persistent upper is not on overlayfs. state_root is where the ephemeral
 * upper will live (checked likewise). */
int storage_overlay_check(const struct storage_overlay *o, const char *label, const char *state_root,
                          berth_error_t *err);

/* Step 2a for a container with a new user namespace whose root is
 * uid/gid on the host: every directory on the way to the layers, the
 * persistent upper and state_dir (where the mount point and an ephemeral
 * upper live) must be searchable by it, since the init mounts from inside
 * the namespace. */
int storage_overlay_check_userns(const struct storage_overlay *o, const char *label, const char *state_dir,
                                 uid_t uid, gid_t gid, berth_error_t *err);

/* Pure: where things go for a container whose state directory is dir:
 * mountpoint dir/rootfs; upper and work dir/upper, dir/work (ephemeral),
 * BASE/upper, BASE/work (persistent), none (none); with one layer and
 * no upper, the empty bottom layer dir/empty. */
void storage_overlay_set_paths(struct storage_overlay *o, const char *dir);

/* Step 2b, in the container's new state directory dir: the mount point
 * and, ephemeral, dir/upper + dir/work, or, persistent, BASE (its parent
 * must exist), BASE/upper and BASE/work when missing. Directories berth
 * creates for the upper are chowned to uid/gid when uid is not (uid_t) -1
 * (the container's root in a new user namespace). Calls set_paths. */
int storage_overlay_prepare_dirs(struct storage_overlay *o, const char *label, const char *dir,
                                 uid_t uid, gid_t gid, berth_error_t *err);

/* Step 3, in the container init after its mount namespace was created:
 * mount the overlay on o->mountpoint (set_paths called). Layers are added
 * one at a time ("lowerdir+", Linux 6.8) or, on older kernels, as one
 * short lowerdir list of /proc/self/fd paths. In a user namespace other
 * than the initial one the overlay keeps its metadata in user.overlay.*
 * xattrs (option userxattr; Linux 5.11). */
int storage_overlay_mount(const struct storage_overlay *o, const char *label, berth_error_t *err);

#endif
