/* linux.seccomp through libseccomp.
 *
 * The profile is checked and compiled to a classic BPF program by the
 * parent (create, exec) before it clones the child; the child, which
 * shares the parent's memory image (clone/fork, never exec), only hands
 * the finished program to the kernel with seccomp(2). So a bad profile
 * fails early with an error that names the field, and the container's
 * init does no libseccomp work after `start`.
 *
 * Use (create does exactly this; exec must do the same):
 *
 *   parent, before the clone:
 *     struct seccomp_program *prog = NULL;
 *     if (lx && lx->seccomp && seccomp_prepare(lx->seccomp, process, &prog, err) < 0)
 *       fail;
 *   child, right before process_apply_identity():
 *     struct seccomp_notify_info who = {.state = state, .status = "created", .pid = host_pid};
 *     if (seccomp_install(prog, SECCOMP_STAGE_IDENTITY, &who, err) < 0)
 *       fail;
 *   child, as spawn_exec()'s before_execve hook (after the fds are closed):
 *     spawn_exec(path, process, preserve, keep_fd, seccomp_before_execve, prog, err)
 *   parent, once the child exists: seccomp_program_free(prog)
 *
 * exec: call seccomp_prepare() before the parent leaves the host's mount
 * namespace (it connects to listenerPath, a host path); in `who` pass
 * .status "running" and .pid the exec'd process as the host sees it.
 *
 * A NULL prog is fine everywhere (no linux.seccomp: nothing happens); the
 * filter is loaded by exactly one of the two stages:
 *
 * When: as late as possible. The kernel only accepts a filter from a
 * task with no_new_privs or CAP_SYS_ADMIN (in its user namespace). When
 * the process gets noNewPrivileges or keeps CAP_SYS_ADMIN in its
 * effective set, the filter is loaded at SECCOMP_STAGE_EXEC, after the
 * uid/gid/capability switch, the LSM labels and the fd cleanup: only
 * rt_sigaction and execve run under it. Otherwise it is loaded at
 * SECCOMP_STAGE_IDENTITY, while the process still has its capabilities
 * (setting no_new_privs behind the user's back would break setuid
 * programs): then the identity switch (prlimit, prctl, setgroups,
 * setres[ug]id, capset), the LSM label writes and close_range run under
 * the filter too, and the profile must allow them, as with runc.
 *
 * SCMP_ACT_NOTIFY: the parent connects to listenerPath (a host path, not
 * reachable after pivot_root) in seccomp_prepare; the child inherits the
 * connected socket. The filter is loaded with SECCOMP_FILTER_FLAG_NEW_LISTENER,
 * and right after the load the child sends the notify fd (SCM_RIGHTS) with
 * the container process state JSON ({"ociVersion", "fds": ["seccompFd"],
 * "pid", "metadata": listenerMetadata, "state"}) and closes the socket.
 * The create parent is gone by `start`, so the child sends it itself; the
 * agent gets the fd when the process is about to exec (status "created"
 * for the init; exec passes "running"). A profile with NOTIFY is always
 * loaded at SECCOMP_STAGE_IDENTITY: spawn_exec() closes every fd (the
 * socket too) before its before_execve hook; from then on the agent
 * already answers what the identity switch does. Because the send runs
 * under the filter, a profile that would NOTIFY sendmsg is refused (the
 * agent cannot answer before it has the fd). NOTIFY without listenerPath,
 * listenerMetadata without listenerPath: errors.
 *
 * flags go to seccomp(2) as they are (the raw load needs no libseccomp
 * attribute): LOG, SPEC_ALLOW, TSYNC (with TSYNC_ESRCH next to a
 * listener, as the kernel demands), WAIT_KILLABLE_RECV (dropped without
 * NOTIFY: it only means something with a listener). A flag the running
 * kernel lacks fails seccomp_prepare().
 *
 * With an SCMP_ACT_ERRNO defaultAction, syscalls the profile does not know
 * fail with ENOSYS instead (so glibc falls back to older calls): those
 * numbered above every syscall the profile names, and clone3/faccessat2
 * when unnamed; the why and how are in seccomp.c.
 *
 * Unknown syscall names are skipped with a warning in the log (as runc);
 * unknown action, operator, architecture or flag names, errnoRet on an
 * action without one, and arg indexes above 5 are errors such as
 *   .linux.seccomp.syscalls[3].action: unknown action "SCMP_ACT_FOO"
 * Several args on one rule are ANDed; when two args name the same index,
 * every arg becomes a rule of its own (ORed), runc's convention. */
#ifndef BERTH_SECCOMP_H
#define BERTH_SECCOMP_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

struct seccomp_program;

/* Check the profile only (names, errnoRet, indexes, listener fields); no
 * libseccomp context, nothing logged. create calls it before it builds
 * anything. */
int seccomp_validate(const struct spec_seccomp *s, berth_error_t *err);

/* Validate and compile s for the process p (p decides the load stage:
 * noNewPrivileges, CAP_SYS_ADMIN in effective), connect to listenerPath
 * when the profile uses SCMP_ACT_NOTIFY. Unknown syscall names are logged
 * as warnings here. */
int seccomp_prepare(const struct spec_seccomp *s, const struct spec_process *p,
                    struct seccomp_program **out, berth_error_t *err);
void seccomp_program_free(struct seccomp_program *prog);
/* The socket connected to listenerPath that the init sends the notify fd
 * over, -1 when there is none: the init must keep it open. */
int seccomp_program_listener_fd(const struct seccomp_program *prog);
static inline void seccomp_program_freep(struct seccomp_program **prog)
{
  seccomp_program_free(*prog);
}

enum seccomp_stage
{
  SECCOMP_STAGE_IDENTITY, /* right before process_apply_identity() */
  SECCOMP_STAGE_EXEC,     /* right before execve() */
};

/* Who the filter is for: what the seccomp agent is told (NOTIFY only). */
struct seccomp_notify_info
{
  const struct spec_state *state; /* the container: id, bundle, annotations, init pid */
  const char *status;             /* the status to report, e.g. "created" */
  pid_t pid;                      /* this process as the runtime (host pid namespace) sees it */
};

/* Load the filter if this is its stage (see above); with NOTIFY, send the
 * agent its fd and the state. NULL prog: nothing to do. */
int seccomp_install(struct seccomp_program *prog, enum seccomp_stage stage,
                    const struct seccomp_notify_info *who, berth_error_t *err);

/* A spawn_before_execve_fn (spawn.h): seccomp_install(data, SECCOMP_STAGE_EXEC). */
int seccomp_before_execve(void *prog, berth_error_t *err);

/* ------------------------------------------------------------ features */

/* NULL-terminated lists of static strings for `berth features`: the
 * actions, operators and architectures this berth understands and the
 * linked libseccomp and running kernel support, the flags it knows, and
 * the flags the kernel accepts. */
struct seccomp_features
{
  const char *actions[16];
  const char *operators[8];
  const char *archs[32];
  const char *known_flags[8];
  const char *supported_flags[8];
};
void seccomp_features_get(struct seccomp_features *f);

/* ------------------------------------------------------------ internals, for unit tests */

/* name tables; < 0 for unknown names */
int seccomp_action_by_name(const char *name, uint32_t *action); /* SCMP_ACT_ERRNO/TRACE: data 0 */
int seccomp_operator_by_name(const char *name, enum scmp_compare *op);
int seccomp_arch_by_name(const char *name, uint32_t *arch); /* needs libseccomp to know it */
int seccomp_flag_by_name(const char *name, unsigned *flag); /* SECCOMP_FILTER_FLAG_* */

#define SECCOMP_MAX_ARGS 6

/* One libseccomp rule: action for syscall nr when every cmp holds. */
struct seccomp_rule
{
  const char *name; /* borrowed from the profile */
  int nr;           /* libseccomp's number (negative for a syscall the native arch lacks) */
  uint32_t action;
  unsigned n_cmp;
  struct scmp_arg_cmp cmp[SECCOMP_MAX_ARGS];
  size_t syscall_index; /* .syscalls[i] it came from */
};

/* The profile translated, before libseccomp sees it. */
struct seccomp_plan
{
  uint32_t default_action;
  uint32_t *archs; /* extra architectures (the native one is always there) */
  size_t n_archs;
  unsigned flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2), without NEW_LISTENER */
  bool notify;    /* some action is SCMP_ACT_NOTIFY */
  struct seccomp_rule *rules;
  size_t n_rules;
  size_t n_skipped; /* names libseccomp does not know */
};

/* warn: log each unknown syscall name (berth_log_warning) */
int seccomp_plan_build(const struct spec_seccomp *s, bool warn, struct seccomp_plan **out,
                       berth_error_t *err);
void seccomp_plan_free(struct seccomp_plan *plan);

/* libseccomp context from the plan, exported as BPF (malloc'ed). */
int seccomp_plan_compile(const struct seccomp_plan *plan, struct sock_filter **insns, size_t *n_insns,
                         berth_error_t *err);

#endif
