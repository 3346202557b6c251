/* Checkpoint and restore through CRIU (`berth checkpoint`, `berth restore`).
 *
 * berth drives the `criu` binary through its command line (dump,
 * pre-dump, restore, check), not through `criu swrk`: the RPC speaks
 * protobuf, a library and a schema berth would carry for four commands
 * that are nowhere near the hot path, while the command line is stable
 * and documented in criu(8). It is the second allowed subprocess (after
 * newuidmap/newgidmap, rootless.h): CRIU has to be an external tool, it
 * needs its own ptrace/parasite machinery. Only checkpoint, restore,
 * `features` and `--version` ever run it.
 *
 * The argument vector is built by a pure function from the options, the
 * container's spec and a few facts read from the live system (criu_facts),
 * so that what is passed as external is unit-tested without root. */
#ifndef BERTH_CRIU_H
#define BERTH_CRIU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

enum criu_action
{
  CRIU_DUMP,
  CRIU_PRE_DUMP,
  CRIU_RESTORE,
};

/* The options of `berth checkpoint` and `berth restore` (runc's names). */
struct criu_options
{
  const char *image_path;  /* absolute */
  const char *work_path;   /* absolute; NULL: image_path */
  const char *parent_path; /* checkpoint: previous images, relative to image_path (as criu wants) */
  bool leave_running;
  bool tcp_established;
  bool ext_unix_sk;
  bool shell_job;
  bool file_locks;
  bool auto_dedup;
  const char *manage_cgroups_mode; /* soft|full|strict|ignore, NULL: criu's default */
  const char *empty_ns;            /* checkpoint: "network" or NULL */
  long long status_fd;             /* checkpoint: -1 when not given */
  const char *lsm_profile;         /* restore: TYPE:NAME, NULL: none */
  const char *lsm_mount_context;   /* restore: SELinux context of restored mounts, NULL: as dumped */
};

/* Facts the pure builder needs from the live system or from berth's state. */
struct criu_facts
{
  pid_t pid;          /* dump: the container's init */
  const char *root;   /* restore: where the rootfs is mounted for criu */
  const char *bundle; /* restore: relative bind sources are under it */
  const char *pid_file;    /* restore: criu writes the restored init's pid there */
  const char *cgroup_root; /* restore: the container's cgroup below the hierarchy root, or NULL */
  uint64_t netns_inode;    /* dump: inode of a network namespace joined by path, else 0 */
  bool netns_joined;       /* restore: that namespace is criu's fd CRIU_FD_NETNS */
  /* dump: files in the container that are mounts of a single node (masked
   * paths bound from /dev/null, device nodes bound from the host): CRIU
   * cannot dump them, they are external; NULL-terminated or NULL */
  const char *const *bound_files;
  /* restore: the container's stdio as the checkpoint recorded it
   * ("pipe:[123]"); our fd i is criu's fd CRIU_FD_STDIO + i; NULL: none */
  const char *stdio_keys[3];
};

#define CRIU_NETNS_KEY "extRootNetNS"
/* criu's fd numbers of what restore hands over (criu_run's inherit[]) */
#define CRIU_FD_STDIO 3
#define CRIU_FD_NETNS 6

/* The argv of criu for action (argv[0] is "criu"), NULL-terminated and
 * malloc'ed (strv_free). Fails on options that do not fit together. */
int criu_build_argv(enum criu_action action, const struct criu_options *o, const struct spec_config *c,
                    const struct criu_facts *f, char ***argv, berth_error_t *err);

/* Whether a spec mount is a bind (type or option bind/rbind). */
bool criu_mount_is_bind(const struct spec_mount *m);

/* Whether a manage-cgroups mode is one runc accepts. */
bool criu_cgroups_mode_valid(const char *mode);

/* The options checkpoint and restore share: a non-empty --image-path, a
 * --work-path that is not empty when given, a known --manage-cgroups-mode. */
int criu_common_options_check(const char *image, const char *work, const struct criu_options *o,
                              berth_error_t *err);

/* The message of the first error line in a criu log ("(00.01) Error
 * (criu/x.c:12): what" -> "what"), else the last non-empty line; NULL
 * for an empty log. Malloc'ed. */
char *criu_first_error(const char *log, size_t len);

/* The record of the container's stdio written next to the images: one
 * line per fd 0..2, "pipe:[N]" or "-" (anything else). Parse is strict:
 * only pipe:[digits] keys come back, the rest is NULL. */
char *criu_stdio_record(const char *const links[3]);
void criu_stdio_parse(const char *text, size_t len, char *keys[3]);

/* ------------------------------------------------------------------ I/O */

/* The criu executable: "criu" in PATH, else /usr/sbin/criu, /sbin/criu;
 * NULL when none. Malloc'ed. */
char *criu_find(void);

/* `criu check`: 0 when CRIU works here, else < 0 with criu's first error. */
int criu_check(berth_error_t *err);

/* Run criu with argv: its stdin is /dev/null, its stdout and stderr are
 * kept for the error; inherit[i] (>= 0) becomes criu's fd 3 + i. When criu
 * fails, the error quotes the first error line of log_path (absolute),
 * else of its output. */
int criu_run(char **argv, const int *inherit, size_t n_inherit, const char *log_path, berth_error_t *err);

/* An option's path made absolute against the working directory (criu
 * changes its own). Malloc'ed. */
char *criu_absolute_path(const char *path);
/* mkdir -p; what it makes is 0700. */
int criu_make_dirs(const char *path, berth_error_t *err);

#endif
