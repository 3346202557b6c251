/* The last steps before a container process becomes the user's program,
 * shared by the container init (init.c) and exec (exec.c) so both leave
 * the same things behind: signals reset, the LSM labels for the exec,
 * the environment, every fd closed except stdio, the preserved ones and
 * one error channel (close-on-exec), then execve. */
#ifndef BERTH_SPAWN_H
#define BERTH_SPAWN_H

#include "spec/spec.h"
#include "util/error.h"

/* Unblock every signal and reset every disposition to the default. */
void spawn_reset_signals(void);

/* Close every fd >= 3 + preserve except keep_fd and the log's fd, which
 * become close-on-exec (execve closes them); fds 3..3+preserve-1 lose
 * close-on-exec. keep_fd may be -1. */
int spawn_close_fds(int preserve, int keep_fd, berth_error_t *err);

/* process.env (NULL-terminated, malloc'ed copy), with LISTEN_FDS and
 * LISTEN_PID set when fds are preserved: LISTEN_FDS is listen_fds (the
 * caller's socket-activation fds, first of the preserved ones) when > 0,
 * else preserve; with listen_fds, the caller's LISTEN_FDNAMES too. */
char **spawn_environment(const struct spec_process *p, int preserve, int listen_fds);

/* apparmorProfile and selinuxLabel for the coming execve. create and exec
 * refused a label whose LSM the host lacks (hostcheck.h), so a label set
 * here is always written: never probed again from inside the container,
 * whose /sys could pretend the LSM is off. */
int spawn_apply_lsm_labels(const struct spec_process *p, berth_error_t *err);

/* Runs after the last env/fd work, right before execve: where the
 * seccomp filter's SECCOMP_STAGE_EXEC is installed (seccomp.h). */
typedef int (*spawn_before_execve_fn)(void *data, berth_error_t *err);

/* Environment, LSM labels, fds (keep_fd is the caller's error channel),
 * before_execve(data) when not NULL, execve(exec_path, p->args). Returns
 * only on failure. */
int spawn_exec(const char *exec_path, const struct spec_process *p, int preserve, int listen_fds, int keep_fd,
               spawn_before_execve_fn before_execve, void *data, berth_error_t *err);

#endif
