/* The container init: the process create clones (never a re-exec of
 * berth) that enters the namespaces, builds the rootfs, waits for `start`
 * and finally execs the user program.
 *
 * Order inside the init (lifecycle code in container.c/init.c drives it):
 *   1. namespaces entered/created (user first), uid/gid maps written by the
 *      parent, lo up in a new network namespace, prctl(PR_SET_DUMPABLE, 0)
 *      for the whole time
 *   2. rootfs_prepare()                      -- mounts, devices, in the new mount ns
 *      (with copies berth made on the host side before the clone: hosttrees.h)
 *   3. createRuntime hooks (parent, host ns), createContainer hooks (here,
 *      cwd the rootfs)
 *   4. rootfs_finish()                       -- pivot_root, masked/readonly paths
 *   5. console_setup() when process.terminal
 *   6. process_apply_container(), process_find_executable() and HOME
 *      (process_env_with_home) -- errors here still fail `create`
 *   7. report ready to the parent, block on exec.fifo until `start`
 *      (rootless: meanwhile a thread hands our namespaces to exec, nsgate.h)
 *   8. seccomp filter of the identity stage, startContainer hooks (cwd
 *      process.cwd, under the filter: a child loads one of the exec stage
 *      first), process_apply_identity(), close fds, execve; the seccomp
 *      filter (compiled by the parent) is loaded right before
 *      process_apply_identity() or right before execve (seccomp.h)
 */
#ifndef BERTH_INIT_H
#define BERTH_INIT_H

#include <stdbool.h>

#include "spec/spec.h"
#include "util/error.h"

/* Whose namespace (of a type that hostname and sysctls write into) the
 * container is in. Joined by path is the container's own unless the path
 * names berth's own namespace of that type (or pid 1's): same nsfs inode. */
enum ns_owner
{
  NS_OWNER_HOST_NO_ENTRY, /* no entry in .linux.namespaces */
  NS_OWNER_HOST_BY_PATH,  /* a path that names the host's namespace */
  NS_OWNER_CONTAINER,     /* new, or joined by path and not the host's */
};

struct host_trees;

struct init_ctx
{
  const struct spec_config *config;
  const struct spec_process *process; /* config->process, or exec's process */
  const char *bundle; /* absolute */
  const char *rootfs; /* absolute host path of root.path, realpath()ed */
  const char *container_id;
  bool no_pivot;
  bool new_userns;    /* the container owns a new user namespace */
  bool new_mountns;
  bool no_mountns;    /* no "mount" entry: the caller's mounts, chroot only */
  bool new_netns;
  bool new_utsns;
  bool new_ipcns;
  bool new_pidns;
  bool new_cgroupns;
  enum ns_owner netns_owner, ipcns_owner, utsns_owner;

  /* detached mounts made on the host side (hosttrees.h), inherited at
   * clone time; NULL when none */
  struct host_trees *host_trees;
};

/* -------- rootfs.c / devices.c (src/runtime) using src/storage helpers */

/* Step 2: rootfs propagation, bind the rootfs on itself, every config
 * mount (resolved inside the rootfs, never following a symlink out), the
 * default devices and linux.devices, /dev symlinks, /dev/ptmx. */
int rootfs_prepare(const struct init_ctx *ctx, berth_error_t *err);

/* Without a mount namespace of the container's own nothing is mounted
 * and the process is only chrooted: the fields that would need a mount
 * are refused here, naming the field (create checks this up front). */
int rootfs_check_without_mountns(const struct spec_config *c, berth_error_t *err);

/* Step 4: pivot_root (or, with no_pivot, MS_MOVE + chroot after the old
 * root's other mounts are detached; chroot only with no_mountns), hostname,
 * domainname and sysctl (validated against the namespaces the container
 * owns; before readonlyPaths make /proc/sys read-only, runc's order),
 * maskedPaths, readonlyPaths, root.readonly; cwd is "/" afterwards. */
int rootfs_finish(const struct init_ctx *ctx, berth_error_t *err);

/* Step 5: open a pty from the container's /dev/pts, make the slave the
 * controlling terminal and fds 0/1/2, bind it on /dev/console, apply
 * consoleSize, send the master over socket_fd (SCM_RIGHTS, non-empty
 * payload) and close socket_fd. */
int console_setup(const struct spec_process *p, int socket_fd, bool mount_dev_console, berth_error_t *err);

/* -------- process.c (src/runtime) */

/* Step 6, still as root in the container: oomScoreAdj, personality,
 * scheduler, ioPriority, umask, chdir(cwd) + getcwd check (rootfs_prepare
 * created a missing cwd). */
int process_apply_container(const struct init_ctx *ctx, berth_error_t *err);

/* Look up args[0] in the PATH of process.env (or the default PATH when env
 * has none), like execvp. Error text on a miss (Podman maps it to 127):
 *   exec: "foo": executable file not found in $PATH
 * and for a path that does not exist: exec: "/x": no such file or directory */
int process_find_executable(const struct spec_process *p, char **path_out, berth_error_t *err);

/* Without HOME in p->env: a copy of p->env plus HOME, the home directory
 * of p->user.uid in the container's /etc/passwd (opened inside "/", which
 * must be the container's root: symlinks stay inside it), else "/".
 * NULL when env has HOME already. Before seccomp, which may forbid open. */
char **process_env_with_home(const struct spec_process *p);

/* Step 8: rlimits, additionalGids/gid/uid (keeping caps across setuid),
 * the five capability sets (libcap, ambient too), no_new_privs. With
 * keep_groups (annotation run.oci.keep_original_groups=1, as crun) the
 * supplementary groups the process has (the caller's) are kept and
 * additionalGids added to them. */
#define ANNOTATION_KEEP_ORIGINAL_GROUPS "run.oci.keep_original_groups"
int process_apply_identity(const struct spec_process *p, bool keep_groups, berth_error_t *err);

/* Sysctl key check (pure, unit-tested): the key must be namespaced and the
 * container must own that namespace, new or joined by path (net.* needs
 * the netns, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* the ipc ns,
 * kernel.hostname and kernel.domainname the uts ns); no "..", no '/',
 * value without newline. */
int sysctl_validate(const char *key, const char *value, enum ns_owner net, enum ns_owner ipc,
                    enum ns_owner uts, berth_error_t *err);

/* Why a namespace is not the container's own, for error messages. */
const char *ns_owner_why_not(enum ns_owner o);

/* validate.c, pure, at create before anything is made: a kernel.hostname
 * (kernel.domainname) sysctl together with .hostname (.domainname), and a
 * new user namespace without uidMappings or gidMappings, are refused with
 * an error naming the field. */
int config_validate_create(const struct spec_config *c, berth_error_t *err);

#endif
