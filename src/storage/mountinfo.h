/* /proc/self/mountinfo as a table, and which of its mounts lie outside a
 * directory (pure: text in, indices out; unit-tested), plus the one
 * function that reads the file. */
#ifndef BERTH_STORAGE_MOUNTINFO_H
#define BERTH_STORAGE_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct storage_mount_entry
{
  int id;
  int parent_id;
  char *mountpoint; /* unescaped (\040 and friends), absolute */
  char *fstype;
  bool shared; /* a "shared:N" optional field: in a peer group */
};

struct storage_mount_table
{
  struct storage_mount_entry *entries; /* in the file's order */
  size_t n;
};

/* Parse mountinfo text; a malformed line fails naming its number. */
int storage_mountinfo_parse(const char *text, struct storage_mount_table *out, berth_error_t *err);
void storage_mount_table_free(struct storage_mount_table *t);

/* The mounts that are neither `root` (absolute, cleaned) nor below it nor
 * on one of its ancestors ("/", and e.g. "/var" for /var/lib/x): those can
 * be detached without touching root. Indices into t, deepest mount point
 * first and, for one mount point, the later (upper) mount first, so that
 * detaching them in this order never detaches a listed mount through its
 * parent before its own turn. Returns the count; *out is NULL when 0. */
size_t storage_mounts_outside(const struct storage_mount_table *t, const char *root, size_t **out);

/* Of those, the ones whose parent is not listed: the top of each subtree
 * outside root, in the same order (*out NULL when 0). Detaching one
 * (MNT_DETACH) takes its subtree along, a mount stacked on it included,
 * but umount2() on its mount point reaches the topmost of a stack first. */
size_t storage_mounts_outside_tops(const struct storage_mount_table *t, const char *root,
                                   size_t **out);

/* Whether a mount that is not `root` nor below it (an ancestor or one that
 * storage_mounts_outside lists) is shared: unmounting below a shared
 * mount propagates to its peers. */
bool storage_mounts_shared_outside(const struct storage_mount_table *t, const char *root);

/* /proc/self/mountinfo read (from fd, rewound, or opened when fd < 0) and
 * parsed. */
int storage_mountinfo_read(int fd, struct storage_mount_table *t, berth_error_t *err);

/* The mount that holds `path` (absolute, cleaned): the one with the
 * longest mount point at or above it, the later (upper) one of a stack;
 * NULL when none. */
const struct storage_mount_entry *storage_mount_holding(const struct storage_mount_table *t,
                                                        const char *path);

/* Whether any mount lies strictly below `dir` (absolute, cleaned). */
bool storage_mounts_below(const struct storage_mount_table *t, const char *dir);

#endif
