/* Storage: safe path resolution inside a container rootfs, mount option
 * parsing and mount helpers. Nothing here knows about the runtime: callers
 * pass a root directory fd and paths as the image/config names them.
 *
 * Resolution rule (the same as openat2 RESOLVE_IN_ROOT): every path is
 * looked up as if the root fd were "/": ".." at the root stays at the root,
 * an absolute symlink restarts at the root, and magic links (/proc/self/fd/N,
 * /proc/PID/root) are refused. So a symlink in an image can never send a
 * lookup, a created directory, a device node or a mount outside the root. */
#ifndef BERTH_STORAGE_H
#define BERTH_STORAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* ------------------------------------------------------------ pure path helpers */

/* Lexical cleaning: collapse "//", drop ".", resolve ".." against the
 * previous component (never above "/" for absolute paths; kept at the front
 * of relative ones), no trailing '/'. "" becomes ".". Never touches the fs. */
char *storage_path_clean(const char *path);

/* Clean join of a and b; b is always taken relative to a (a leading '/' in
 * b does not restart), and the result never climbs above a:
 * storage_path_join("/r", "../../etc") == "/r/etc". */
char *storage_path_join(const char *a, const char *b);

/* Last component of a cleaned path ("/" for "/", "x" for "x") and the
 * parent ("/" for "/x", "." for "x"); both newly allocated. */
char *storage_path_base(const char *path);
char *storage_path_dir(const char *path);

/* ------------------------------------------------------------ resolution in a root */

enum storage_resolve_flags
{
  STORAGE_NOFOLLOW = 1 << 0,     /* do not follow a symlink in the last component */
  STORAGE_NO_SYMLINKS = 1 << 1,  /* fail with ELOOP on any symlink on the way */
  STORAGE_FORCE_FALLBACK = 1 << 2, /* tests: skip openat2, use the manual walk */
};

/* Open `path` beneath root_fd. open_flags are openat() flags (O_PATH,
 * O_DIRECTORY, O_RDONLY...; O_CLOEXEC is always added; O_CREAT is not
 * allowed). Uses openat2(RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS) and falls
 * back to a component-by-component walk with the same semantics when the
 * kernel has no openat2. Returns the fd (>= 0) or < 0 with *err set; the
 * errno of a plain miss is ENOENT (callers test berth_error_ret == -ENOENT). */
int storage_open_in_root(int root_fd, const char *path, int open_flags, unsigned resolve_flags,
                         berth_error_t *err);

/* mkdir -p inside the root (mode for the directories created), never
 * following a symlink out of it. Returns an O_PATH|O_DIRECTORY fd of the
 * final directory. */
int storage_mkdir_in_root(int root_fd, const char *path, mode_t mode, berth_error_t *err);

/* A mount target inside the root: the path is created when missing (parents
 * 0755; the target itself a directory 0755 or an empty regular file 0644)
 * and returned as an O_PATH fd. An existing target of the wrong kind is
 * left alone (the mount itself reports ENOTDIR). */
int storage_create_target(int root_fd, const char *path, bool directory, berth_error_t *err);

/* "/proc/self/fd/N" for an fd (newly allocated). */
char *storage_fd_path(int fd);

/* ------------------------------------------------------------ mount options */

enum storage_propagation
{
  STORAGE_PROP_NONE = 0,
  STORAGE_PROP_PRIVATE,
  STORAGE_PROP_RPRIVATE,
  STORAGE_PROP_SHARED,
  STORAGE_PROP_RSHARED,
  STORAGE_PROP_SLAVE,
  STORAGE_PROP_RSLAVE,
  STORAGE_PROP_UNBINDABLE,
  STORAGE_PROP_RUNBINDABLE,
};

struct storage_mount_opts
{
  unsigned long flags;       /* MS_* for mount(2): MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC... */
  unsigned long clear_flags; /* MS_* an option asked to clear (rw, suid, dev, exec, atime...) */
  enum storage_propagation propagation; /* the last propagation option given */
  bool bind;                 /* bind or rbind */
  bool recursive;            /* rbind */
  uint64_t rec_attr_set;     /* MOUNT_ATTR_* to set with AT_RECURSIVE (rro, rnosuid...) */
  uint64_t rec_attr_clr;     /* MOUNT_ATTR_* to clear with AT_RECURSIVE (rrw, rsuid...) */
  bool tmpcopyup;
  bool idmap;                /* idmap or ridmap: an id-mapped bind (see runtime/hosttrees.h) */
  bool idmap_recursive;      /* ridmap: every submount id-mapped too */
  char *data;                /* unknown options joined with ',', NULL when none */
};

/* Parse a mount's option list (NULL-terminated, may be NULL). Malformed
 * entries fail with a message naming the option. */
int storage_mount_opts_parse(char *const *options, struct storage_mount_opts *out,
                             berth_error_t *err);
void storage_mount_opts_free(struct storage_mount_opts *o);

/* propagation -> MS_* flags for mount(NULL, target, NULL, flags); parse a
 * rootfsPropagation value (NULL/"" = NONE); < 0 for unknown */
unsigned long storage_propagation_flags(enum storage_propagation p);
int storage_propagation_parse(const char *s, enum storage_propagation *out);

/* ------------------------------------------------------------ mount helpers
 * Targets are O_PATH fds from storage_open_in_root/storage_create_target;
 * the mount is made on the object the fd names (via the new mount API, or
 * /proc/self/fd/N with mount(2) where that API is missing). A fd names the
 * object *below* a mount made on it: reopen the path to reach the new mount. */

/* Mount a filesystem (type, source, MS_* flags, data) on target_fd. */
int storage_mount_fs(const char *source, int target_fd, const char *type, unsigned long flags,
                     const char *data, berth_error_t *err);

/* Bind src (a path, or src_fd >= 0 when src_path is NULL) onto the
 * existing `target` resolved beneath root_fd, recursively when `recursive`.
 * `flags` may hold MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC and atime
 * flags: they apply to the new top mount and, for a recursive bind, the
 * restricting ones (ro, nosuid, nodev, noexec) to every submount too (a
 * writable submount under an "rbind,ro" would defeat it); atime flags stay
 * on the top mount (rnoatime and friends are storage_set_recursive_attr's
 * job). They are set before the mount is attached where the kernel has
 * mount_setattr, else by a remount that keeps the flags the kernel locked
 * (a recursive one then fails with ENOSYS: Linux < 5.12). */
int storage_bind(const char *src_path, int src_fd, int root_fd, const char *target, bool recursive,
                 unsigned long flags, berth_error_t *err);

/* storage_bind onto the object target_fd (O_PATH) names, as opened and
 * checked by the caller; `target` only names it in messages. */
int storage_bind_fd(const char *src_path, int src_fd, int target_fd, const char *target,
                    bool recursive, unsigned long flags, berth_error_t *err);

/* The first half of a bind made where the source can be reached (berth
 * on the host, before the container's init enters a user namespace): a
 * detached copy (open_tree OPEN_TREE_CLONE, AT_RECURSIVE when `recursive`)
 * of src_path with storage_bind's flags set. ENOSYS without the new mount
 * API. The second half, in the init: storage_attach_tree. */
int storage_open_bind_tree(const char *src_path, bool recursive, unsigned long flags,
                           berth_error_t *err);

/* move_mount a detached tree onto the object target_fd (O_PATH) names,
 * then make it (recursively) a slave: no mount made on it propagates back
 * to the mount namespace the copy was made in. Before pivot_root (it goes
 * through /proc/self/fd). */
int storage_attach_tree(int tree, int target_fd, const char *target, berth_error_t *err);

/* Remount the mount at target_fd with MS_* flags added (e.g. MS_RDONLY),
 * keeping its other flags; recursively when `recursive` (mount_setattr
 * AT_RECURSIVE; without it only the top mount is changed). */
int storage_remount_flags(int target_fd, unsigned long flags, bool recursive, berth_error_t *err);

/* mount_setattr(AT_RECURSIVE) with MOUNT_ATTR_* sets; ENOSYS is an error
 * (recursive attributes need the kernel's support). */
int storage_set_recursive_attr(int target_fd, uint64_t attr_set, uint64_t attr_clr,
                               berth_error_t *err);

/* tmpfs with runc's "tmpcopyup": a new tmpfs (source as /proc/mounts
 * shows it, may be NULL; MS_* flags, data options) gets a copy of what
 * the directory target_fd holds (files, dirs, symlinks, nodes; modes,
 * owners), then replaces it on target_fd. Needs the new mount API
 * (fsopen, Linux 5.2). */
int storage_mount_tmpfs_copyup(int target_fd, const char *source, unsigned long flags, const char *data,
                               berth_error_t *err);

/* Change the propagation of the mount at target_fd. */
int storage_set_propagation(int target_fd, enum storage_propagation p, berth_error_t *err);

#endif
