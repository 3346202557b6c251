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

struct create_options
{
  const char *bundle;         /* NULL: the current directory */
  const char *config_path;    /* NULL: BUNDLE/config.json */
  const char *pid_file;       /* may be NULL */
  const char *console_socket; /* may be NULL */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool detached;         /* create and run -d; false for run in the foreground */
  bool foreground_tty;   /* run in the foreground: receive the pty master ourselves */
};

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
};

int lifecycle_create(const struct global_opts *g, const char *id, const struct create_options *o,
                     struct lifecycle **out, berth_error_t *err);
/* Release a created container: exec.fifo, state "running", poststart. */
int lifecycle_start(struct lifecycle *l, berth_error_t *err);
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
  struct spec_state *state; /* for createContainer/startContainer hooks; pid set from SYNC_GO */
};

/* Join the namespaces given by path (user first, pid excluded); each fd is
 * closed and set to -1. The init calls it, or the intermediate process
 * container.c uses when the namespaces must be joined before the clone. */
int init_join_namespaces(struct init_args *a, berth_error_t *err);

/* The child's side, never returns. */
__attribute__((noreturn)) void init_main(struct init_args *a);

#endif
