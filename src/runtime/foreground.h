/* Waiting in the foreground for a process berth cloned (run without
 * --detach, exec without --detach): forward signals to it, copy a pty
 * master to and from our stdio, reap, and return its exit status. */
#ifndef BERTH_FOREGROUND_H
#define BERTH_FOREGROUND_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* The signals the foreground forwards (plus SIGCHLD): block them with
 * foreground_block_signals() before cloning so none is lost. */
void foreground_signal_mask(sigset_t *mask);
void foreground_block_signals(sigset_t *mask);

/* Receive the pty master (one SCM_RIGHTS fd) from sock. */
int foreground_recv_master(int sock, berth_error_t *err);

/* Wait for our child pid (pidfd may be -1): forward the signals of mask
 * (SIGWINCH resizes the pty), copy master <-> stdio when master >= 0
 * (stdin raw while a terminal), reap every child. Returns the exit status
 * as a shell reports it (128+N when killed by signal N). */
int foreground_wait(pid_t pid, int pidfd, const sigset_t *mask, int master, berth_error_t *err);
/* The same, relaying READY=1 from notify_fd (notify.h) meanwhile when it
 * is >= 0 (run in the foreground with NOTIFY_SOCKET). */
int foreground_wait_notify(pid_t pid, int pidfd, const sigset_t *mask, int master, int notify_fd,
                           berth_error_t *err);

/* berth sandbox: one more fd to poll (on_fd runs when it is readable),
 * signals it takes over (on_signal returns true: not forwarded), and the
 * init's raw waitpid status at the end. */
struct foreground_watch
{
  int fd;
  void (*on_fd)(void *data);
  bool (*on_signal)(void *data, int sig);
  void *data;
  int raw_status;
};
int foreground_wait_watch(pid_t pid, int pidfd, const sigset_t *mask, int master, int notify_fd,
                          struct foreground_watch *watch, berth_error_t *err);

#endif
