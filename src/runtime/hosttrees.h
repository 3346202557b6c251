/* Mount trees berth makes on the host side, with its own credentials,
 * before the container's init (cloned into a new user namespace, or
 * joining one) could: detached copies (open_tree OPEN_TREE_CLONE) that
 * the init inherits at clone time and attaches with move_mount on the
 * target it resolved inside the rootfs.
 *
 *  - bind mounts of a container with a user namespace: a source the
 *    mapped root cannot reach (under a root:root 0000 directory) binds
 *    from this copy. The init still binds by path when it can: a copy made
 *    on the host side is attached without the kernel's locks, so its
 *    container could remount it without the host's ro/nosuid/nodev/noexec
 *    or unmount a submount and reveal what it covers. No copy is made of
 *    a source whose host mount has those flags (or, for rbind, submounts).
 *  - id-mapped binds (mounts[].uidMappings/gidMappings, options idmap,
 *    ridmap): mount_setattr(MOUNT_ATTR_IDMAP) needs a detached mount and
 *    privilege over the filesystem's user namespace; the id map comes
 *    from a user namespace made for it (the mount's mappings, else the
 *    container's).
 *  - linux.devices with a new user namespace while berth is real root:
 *    the node is made (mknod) in STATE_DIR/devices, owned by the host ids
 *    of the configured uid/gid, and a copy of it is handed over; mknod is
 *    not allowed in the user namespace and the host may have no such node. */
#ifndef BERTH_HOSTTREES_H
#define BERTH_HOSTTREES_H

#include <stdbool.h>
#include <stddef.h>

#include "spec/spec.h"
#include "storage/storage.h"
#include "util/error.h"

struct host_trees
{
  int *mounts; /* per .mounts[i]: a detached tree, or -1 */
  size_t n_mounts;
  int *devices; /* per .linux.devices[i]: a detached tree of its node, or -1 */
  size_t n_devices;
};

/* An id-mapped bind: an idmap/ridmap option or mappings of its own. */
bool host_trees_is_idmapped(const struct spec_mount *m, const struct storage_mount_opts *o);

/* Fill *t (fds -1 where nothing is needed). state_dir_fd: the container's
 * state directory (device nodes). Errors name the field. */
int host_trees_prepare(const struct spec_config *c, const char *bundle, int state_dir_fd,
                       struct host_trees *t, berth_error_t *err);

/* Whether fd is one of t's (the init keeps those open). */
bool host_trees_holds(const struct host_trees *t, int fd);

/* Close every fd and free the arrays (t itself stays). */
void host_trees_close(struct host_trees *t);

#endif
