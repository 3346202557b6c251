/* Writes into procfs that no mount can redirect (sysctls, oom_score_adj,
 * uid_map, attr/exec...). A handle is the root of a procfs berth checked:
 * a private instance (fsopen("proc") + fsmount, attached nowhere, so
 * nothing can be mounted over its entries) where the kernel and the
 * namespaces allow one, else the /proc of the current mount namespace once
 * fstatfs says procfs and it is that procfs's root. Paths below a handle
 * are opened with openat2 RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
 * RESOLVE_NO_XDEV: a mount anywhere on the way (a bind over /proc/sys/net,
 * a tmpfs over /proc/self/attr) makes the open fail instead of writing
 * into whatever was mounted there. */
#ifndef BERTH_STORAGE_PROCFS_H
#define BERTH_STORAGE_PROCFS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

enum procfs_kind
{
  PROCFS_PIDS,    /* private instance with subset=pid where possible: /proc/self/... */
  PROCFS_FULL,    /* private full instance: /proc/sys/... */
  PROCFS_MOUNTED, /* no new instance (e.g. after seccomp and the identity switch):
                     the current /proc, checked */
};

/* An O_PATH fd of a checked procfs root (see above). */
int procfs_open(enum procfs_kind kind, berth_error_t *err);

/* True when fd is on procfs. */
bool procfs_fd_is_procfs(int fd);

/* True when fd is the root directory of a procfs. */
bool procfs_fd_is_root(int fd);

/* Open `path` (relative: "sys/net/ipv4/ip_forward", "self/oom_score_adj";
 * no "..", not absolute) below the handle, never through a mount or a
 * magic link. Without openat2 (or when a seccomp filter refuses it) the
 * file is opened with O_NOFOLLOW and must be on procfs and on the handle's
 * mount (its fdinfo mnt_id). Errors name the file as /proc/PATH. */
int procfs_open_file(int proc_fd, const char *path, int open_flags, berth_error_t *err);

/* Like procfs_open_file, always the fallback without openat2 (tests). */
int procfs_open_file_legacy(int proc_fd, const char *path, int open_flags, berth_error_t *err);

/* One write(2) of data into path below the handle (procfs wants the whole
 * value in one write). */
int procfs_write(int proc_fd, const char *path, const char *data, size_t len, berth_error_t *err);

/* procfs_open(kind) + procfs_write + close. */
int procfs_write_once(enum procfs_kind kind, const char *path, const char *data, size_t len,
                      berth_error_t *err);

/* Whether path exists below the handle (the same resolution rules). */
bool procfs_exists(int proc_fd, const char *path);

#endif
