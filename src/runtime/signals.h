/* Pure helpers of the lifecycle commands: signal names, wait statuses,
 * pid file text. No I/O: unit-tested in tests/unit/test_lifecycle.c. */
#ifndef BERTH_SIGNALS_H
#define BERTH_SIGNALS_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* "TERM", "SIGTERM", "sigterm", "15", "RTMIN+2", "SIGRTMAX-1" -> number.
 * "0" is accepted (an existence check, as kill(2) and runc take it).
 * Rejects unknown names, numbers above the last real-time signal. */
int signal_parse(const char *s, int *out, berth_error_t *err);

/* "SIGTERM" for 15, "SIGRTMIN+2", NULL for an unknown number. Static or
 * thread-unsafe static buffer for real-time signals. */
const char *signal_name(int sig);

/* A waitpid() status as a shell reports it: WEXITSTATUS, or 128+signal. */
int wait_status_to_exit_code(int status);

/* The pid file's text: the decimal pid, no newline. Malloc'ed. */
char *pidfile_content(pid_t pid);

/* Replace or add "KEY=value" in a NULL-terminated environment; returns a
 * new malloc'ed array (strings duplicated). */
char **env_set(char *const *env, const char *key, const char *value);

#endif
