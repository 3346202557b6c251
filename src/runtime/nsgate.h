/* The namespace gate: how a rootless `exec` reaches a created container.
 *
 * Until `start` the init is berth, cloned on the host side and not
 * dumpable (the CVE-2019-5736 defence), so the kernel's ptrace check
 * refuses its /proc/PID/ns files and setns(pidfd) to an ordinary user: the
 * init's memory belongs to the host's user namespace, where the user has
 * no CAP_SYS_PTRACE. The init stays non-dumpable and hands its namespace
 * fds out itself instead: `create` binds ns.sock (0600) in the container's
 * state directory; the init, once ready, opens its own namespaces (a
 * thread of the same process passes the ptrace check), listens and serves
 * each connection of the user namespace's owner from a thread, until
 * `start` opens exec.fifo; the thread is joined before anything else
 * happens, and execve closes the fds (close-on-exec). The container never
 * reaches the socket (it is on the host side of the mount namespace) and
 * the fds only let in whoever may already join the namespaces. */
#ifndef BERTH_NSGATE_H
#define BERTH_NSGATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* The namespace kinds in the order they are joined (user first). */
enum ns_kind
{
  NS_KIND_USER,
  NS_KIND_MNT,
  NS_KIND_PID,
  NS_KIND_NET,
  NS_KIND_IPC,
  NS_KIND_UTS,
  NS_KIND_CGROUP,
  NS_KIND_TIME,
  NS_KINDS
};

struct ns_kind_info
{
  const char *name; /* as in /proc/PID/ns/ */
  int flag;         /* CLONE_NEW* */
};
extern const struct ns_kind_info ns_kinds[NS_KINDS];

#define NSGATE_SOCKET "ns.sock"

/* create, before the clone: a SOCK_SEQPACKET socket bound to
 * DIR/ns.sock (0600), not listening yet (the init listens, so the socket's
 * peer credentials are the init's). Returns the fd. */
int nsgate_bind(int dir_fd, const char *dir, berth_error_t *err);

/* The init, ready, before it waits for `start`: open its namespaces (the
 * host's /proc/self/fd of the init, O_PATH, as proc_fd_dir), listen on
 * sock and serve from a thread (its root too, opened for each caller).
 * Takes sock. */
struct nsgate;
int nsgate_open(int sock, int proc_fd_dir, struct nsgate **out, berth_error_t *err);

/* Stop serving, join the thread, close everything (NULL: nothing). */
void nsgate_close(struct nsgate *g);

/* exec: the init's namespaces, -1 for a kind it lacks, and its root. */
struct nsgate_fds
{
  int ns[NS_KINDS];
  int root;
};

/* Connect to DIR/ns.sock, check that init (a host pid) serves it, receive
 * the fds (close-on-exec). On failure nothing is left open. */
int nsgate_fetch(int dir_fd, pid_t init, struct nsgate_fds *out, berth_error_t *err);

void nsgate_fds_close(struct nsgate_fds *f);

#endif
