/* NOTIFY_SOCKET (sd_notify) relay, as runc does it. When create or run
 * has NOTIFY_SOCKET in its environment, the container gets the state
 * dir's "notify" directory bind-mounted read-only on /run/notify and
 * NOTIFY_SOCKET=/run/notify/notify.sock. start (and run) binds the
 * listener there right before releasing the init, then waits for the
 * container's READY=1 and sends "READY=1\nMAINPID=<init pid>" to the
 * caller's NOTIFY_SOCKET. The wait ends early when the init exits.
 *
 * The listener is made at start, not at create (nobody would hold it in
 * between), which is why a directory is mounted and not the socket. */
#ifndef BERTH_NOTIFY_H
#define BERTH_NOTIFY_H

#include <stdbool.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

#define NOTIFY_CONTAINER_DIR "/run/notify"
#define NOTIFY_CONTAINER_SOCKET NOTIFY_CONTAINER_DIR "/notify.sock"

/* The caller's NOTIFY_SOCKET, NULL when unset or empty. */
const char *notify_host_socket(void);

/* create: with NOTIFY_SOCKET set, make STATE_DIR/notify and add its mount
 * and NOTIFY_SOCKET to c (in memory, not to the config copy). A value
 * that is neither an absolute path nor "@abstract" is refused. */
int notify_prepare_create(struct spec_config *c, int state_dir_fd, const char *state_dir, berth_error_t *err);

/* start: when the caller has NOTIFY_SOCKET and the container was created
 * with one, bind the listener (SOCK_DGRAM, non-blocking) in
 * STATE_DIR/notify; *fd = -1 otherwise. */
int notify_listen(int state_dir_fd, int *fd, berth_error_t *err);

/* Read one datagram from the listener; when a line of it is READY=1,
 * send "READY=1\nMAINPID=<pid>\n" to the caller's NOTIFY_SOCKET and
 * return 1; 0 when it was something else (or nothing yet). */
int notify_relay_message(int fd, pid_t pid, berth_error_t *err);

/* Relay until READY=1 was sent (1) or the init (pidfd, or pid polled
 * when pidfd < 0) exited first (0). No timeout, as runc: a container that
 * never sends READY=1 keeps the caller waiting until it exits or is
 * killed (kill and delete do not need the lock the waiter released). */
int notify_wait_ready(int fd, pid_t pid, int pidfd, berth_error_t *err);

/* Pure (unit-tested): does a datagram hold a line that is exactly
 * "READY=1"? */
bool notify_message_is_ready(const char *msg, size_t len);

#endif
