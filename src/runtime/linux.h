/* Internal to the runtime's linux part (rootfs.c, devices.c, process.c);
 * the interface to the lifecycle code is init.h. The pure lookups are
 * exposed for unit tests. */
#ifndef BERTH_LINUX_H
#define BERTH_LINUX_H

#include <stdint.h>
#include <stdio.h>

#include "runtime/init.h"
#include "util/error.h"

/* devices.c: default devices + linux.devices (mknod, or bind mounts of the
 * host's nodes in a user namespace), /dev symlinks and /dev/ptmx, inside
 * the rootfs at root_fd. */
int devices_setup(const struct init_ctx *ctx, int root_fd, berth_error_t *err);
/* On the host side (hosttrees.h): every .linux.devices node made in
 * STATE_DIR/devices, owned by the host ids of its uid/gid in the
 * container's mappings, and a detached copy of it in fds[i]. */
int devices_make_host_nodes(const struct spec_config *c, int state_dir_fd, int *fds,
                            berth_error_t *err);

/* process.c: hostname and domainname, then linux.sysctl validated and
 * written under /proc/sys. rootfs_finish calls both right after pivot_root,
 * before readonlyPaths make /proc/sys read-only (runc's order: a
 * kernel.hostname sysctl wins over .hostname). */
int process_apply_names(const struct init_ctx *ctx, berth_error_t *err);
int sysctl_apply(const struct init_ctx *ctx, berth_error_t *err);

/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE; < 0 for unknown names */
int process_rlimit_resource(const char *name);
/* "SCHED_FIFO" -> SCHED_FIFO; < 0 for unknown */
int process_sched_policy(const char *name);
/* "SCHED_FLAG_RESET_ON_FORK" -> its bit; 0 for unknown */
unsigned long long process_sched_flag(const char *name);
/* "IOPRIO_CLASS_BE" -> 2; < 0 for unknown */
int process_ioprio_class(const char *name);

/* args[0] lookup in the colon-separated search path `path_env` (NULL: the
 * default PATH), like execvp; the error texts of process_find_executable */
int process_lookup_path(const char *name, const char *path_env, char **path_out,
                        berth_error_t *err);

/* home.c, pure: a passwd(5) line of uid -> true with *home its home
 * directory (malloc'ed; "/" when the field is empty); false for another
 * uid, a '#' comment or a line without 6 fields or a decimal uid. */
bool passwd_line_home(const char *line, uint32_t uid, char **home);
/* The home of the first line of uid in f (at most 16 MiB read), else "/". */
char *passwd_home_in_stream(FILE *f, uint32_t uid);

#endif
