/* The container lifecycle: create / start / kill / delete and the
 * parent's side of the container init (init.c is the child's side).
 * The cmd_*.c files parse options and call these. */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/cli.h"
#include "runtime/init.h"
#include "runtime/state.h"
#include "spec/spec.h"
#include "util/error.h"

struct berth_cgroup;
struct berth_net;

struct create_options
{
  const char *bundle;         /* NULL: the current directory */
  const char *config_path;    /* NULL: BUNDLE/config.json */
  const char *pid_file;       /* may be NULL */
  const char *console_socket; /* may be NULL */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  int listen_fds;        /* of them, the caller's LISTEN_FDS (socket activation), 0 without */
  bool detached;         /* create and run -d; false for run in the foreground */
  bool foreground_tty;   /* run in the foreground: receive the pty master ourselves */
};

/* The command-line options create and run share: they fill the fields of
 * the struct create_options *o, and --preserve-fds goes to *preserve until
 * create_options_set_preserve_fds() checks it. */
#define CREATE_CLI_OPTIONS(o, preserve)                                                            \
  {"bundle", 'b', CLI_STRING, &(o)->bundle, "DIR", "the bundle directory (default: the current directory)"}, \
  {"config", 0, CLI_STRING, &(o)->config_path, "FILE", "the config file (default: BUNDLE/config.json)"},     \
  {"pid-file", 0, CLI_STRING, &(o)->pid_file, "FILE", "write the container process's pid to FILE"},          \
  {"console-socket", 0, CLI_STRING, &(o)->console_socket, "PATH",                                         \
   "unix socket that receives the pty master when process.terminal is set"},                               \
  {"no-pivot", 0, CLI_BOOL, &(o)->no_pivot, NULL, "use MS_MOVE + chroot instead of pivot_root"},           \
  {"no-new-keyring", 0, CLI_BOOL, &(o)->no_new_keyring, NULL, "keep the caller's session keyring"},        \
  {"preserve-fds", 0, CLI_INT, (preserve), "N", "pass fds 3..3+N-1 to the container"}

int create_options_set_preserve_fds(struct create_options *o, long long preserve, berth_error_t *err);

/* A container this process created (create, run) or opened (start, kill,
 * delete). */
struct lifecycle
{
  struct container *c; /* state store handle, locked; NULL once released */
  struct spec_config *config;
  struct spec_state *state;
  struct berth_cgroup *cg;
  pid_t pid;        /* the init, as seen from our pid namespace */
  int pidfd;        /* -1 when the kernel has no pidfds */
  bool is_child;    /* we cloned it (create, run): waitpid works */
  int console_recv; /* run in the foreground with a terminal: our end */
  int console_master;
  struct berth_net *net; /* create: the network to attach (net.h), NULL without one */
  bool cgroup_may_stay;  /* delete --force: a cgroup that cannot be removed is a warning */
  int notify_fd;         /* start, run: NOTIFY_SOCKET listener (notify.h), else -1 */
};

int lifecycle_create(const struct global_opts *g, const char *id, const struct create_options *o,
                     struct lifecycle **out, berth_error_t *err);
/* Release a created container: exec.fifo, state "running", poststart. */
int lifecycle_start(struct lifecycle *l, berth_error_t *err);
/* After lifecycle_start: with a NOTIFY_SOCKET listener, unlock and relay
 * the container's READY=1 (notify.h); 0 at once without one. */
int lifecycle_wait_notify(struct lifecycle *l, berth_error_t *err);
/* Drop the state store lock (run keeps the container while it waits),
 * and take it again. */
void lifecycle_unlock(struct lifecycle *l);
int lifecycle_relock(const struct global_opts *g, struct lifecycle *l, berth_error_t *err);
/* Signal the init (through its pidfd when there is one). */
int lifecycle_signal(struct lifecycle *l, int sig);
/* Kill what is left, wait for it, poststop hooks, cgroup and state dir
 * removed. Frees l. */
int lifecycle_destroy(struct lifecycle *l, berth_error_t *err);
void lifecycle_free(struct lifecycle *l);

int lifecycle_start_id(const struct global_opts *g, const char *id, berth_error_t *err);
int lifecycle_kill_id(const struct global_opts *g, const char *id, int sig, bool all, berth_error_t *err);
int lifecycle_delete_id(const struct global_opts *g, const char *id, bool force, berth_error_t *err);
/* delete --force when lifecycle_open failed with *err: no state.json, an
 * unreadable one, no lock file (salvage.c). Kills the recorded init and
 * the cgroup, removes the directory; fails, keeping the directory, when
 * something of the container stays alive. No directory: 0. */
int lifecycle_delete_without_state(const struct global_opts *g, const char *id, berth_error_t *err);

/* ------------------------------------------------------------------ shared with exec (exec.c) */

/* Open an existing container (locked, exclusive or shared): record and
 * live status (container_status()); l->pidfd stays -1. */
int lifecycle_open(const struct global_opts *g, const char *id, bool exclusive, struct lifecycle **out,
                   const char **status, berth_error_t *err);
/* l->config from the copy of config.json in the state directory. */
int load_config_copy(struct lifecycle *l, berth_error_t *err);
/* A pidfd of the record's init; INT_MAX when alive but the kernel has no
 * pidfds; -1 with errno ESRCH when it is gone (or the pid was reused). */
int open_recorded_init(const struct spec_state *s);
/* Signal through pidfd (>= 0) or by pid. */
int send_signal(int pidfd, pid_t pid, int sig);
/* --preserve-fds n: fds 3..3+n-1 must all be the caller's (open, without
 * close-on-exec); a gap fails, naming the fd, so that nothing of berth's
 * (or of the host, as a filler) is passed on in it. Moves berth's log
 * above them first. */
int check_preserved_fds(int n, berth_error_t *err);
/* Connect to a --console-socket; returns the fd. */
int connect_console_socket(const char *path, berth_error_t *err);
/* clone3 with CLONE_PIDFD (and CLONE_INTO_CGROUP when cgroup_fd >= 0,
 * falling back to a plain clone when the cgroup refuses); *in_cgroup says
 * whether the child was born in the cgroup. Returns 0 in the child. */
pid_t clone_init(uint64_t flags, int cgroup_fd, int *pidfd, bool *in_cgroup);

/* ------------------------------------------------------------------ shared with restore (cmd_restore.c) */

/* The pieces of create that restore reuses around criu's restore. */
struct lifecycle *lifecycle_new(void);
int load_bundle_config(const char *config_path, char **text, size_t *len, struct spec_config **config,
                       berth_error_t *err);
int resolve_rootfs(const char *bundle, const struct spec_config *c, char **out, berth_error_t *err);
struct spec_state *initial_state(const char *id, const char *bundle, const char *rootfs,
                                 const struct spec_config *c, const struct global_opts *g, bool detached);
void set_status(struct spec_state *s, const char *status);
int create_cgroup(struct lifecycle *l, bool rootless, berth_error_t *err);
/* Undo a failed create: kill l->pid, remove the cgroup and the state dir. */
void create_rollback(struct lifecycle *l);

/* ------------------------------------------------------------------ internal: container.c -> init.c */

struct init_args
{
  struct init_ctx ctx;
  int sync_fd;           /* SOCK_SEQPACKET to the parent */
  int lock_fd;           /* the state store's lock: the init must not hold it */
  int fifo_fd;           /* O_PATH of exec.fifo */
  int console_fd;        /* -1 without a terminal */
  int join_fd[SPEC_NS_COUNT]; /* namespaces joined by path (pid: joined by the parent), else -1 */
  int unshare_flags;     /* new namespaces the init unshares (all but user and pid) */
  bool any_userns;       /* new or joined: become root in it */
  bool no_new_keyring;
  int preserve_fds;
  int listen_fds;        /* LISTEN_FDS for the process (create_options.listen_fds) */
  bool keep_original_groups; /* run.oci.keep_original_groups=1: no setgroups reset */
  struct spec_state *state; /* for createContainer/startContainer hooks; pid set from SYNC_GO */
  bool wait_for_network; /* send SYNC_HOOKS even without hooks: the parent attaches the network then */
  struct seccomp_program *seccomp; /* linux.seccomp compiled by the parent (seccomp.h), or NULL */
  bool dumpable_until_go; /* rootless parent: it (or newuidmap) opens our uid_map before SYNC_GO */
  int gate_fd;           /* rootless: ns.sock, bound, for exec before start (nsgate.h), else -1 */
};

/* Join the namespaces given by path (user first, pid excluded); each fd is
 * closed and set to -1. The init calls it, or the intermediate process
 * container.c uses when the namespaces must be joined before the clone. */
int init_join_namespaces(struct init_args *a, berth_error_t *err);

/* The child's side, never returns. */
__attribute__((noreturn)) void init_main(struct init_args *a);

#endif
