/* SIGINT, SIGTERM and SIGHUP while create or run sets a container up
 * (issue 13, item 4): berth must stop and roll back, not hang or die
 * half-way. The handler records the signal and kills the children berth
 * is waiting for (the container init, a hook's guard), so every wait
 * ends with an error and the ordinary rollback runs; interrupt_check()
 * turns the recorded signal into an error at the points in between.
 * Once the container's program runs, run blocks these signals and
 * forwards them instead (foreground.h). */
#ifndef BERTH_INTERRUPT_H
#define BERTH_INTERRUPT_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* Install the handler (without SA_RESTART) and unblock the signals. */
void interrupt_arm(void);
/* Back to the default dispositions with the signals blocked: one that
 * arrives from now on stays pending (run reads it from its signalfd). */
void interrupt_disarm(void);
/* In a child berth cloned (the container init): the defaults again. */
void interrupt_forget(void);

/* Kill pid with sig when an interrupt comes (at once when one came
 * already). At most a few at a time: the init and one hook. */
void interrupt_watch(pid_t pid, int sig);
void interrupt_unwatch(pid_t pid);

/* The signal that interrupted us, 0 when none. */
int interrupt_signal(void);
/* < 0 with "interrupted by SIGTERM" in *err once interrupted, else 0. */
int interrupt_check(berth_error_t *err);

#endif
