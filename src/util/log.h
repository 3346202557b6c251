/* Logging for every module. berth writes diagnostics to stderr and, with
 * --log, to a file; with --log-format json each line in the file is one
 * JSON object {"level":"error","msg":"...","time":"<RFC3339>"} as containerd
 * and Podman read it. Nothing is ever written to stdout. */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H

#include <stdbool.h>

#include "util/error.h"

enum berth_log_level
{
  BERTH_LOG_ERROR = 0,
  BERTH_LOG_WARNING,
  BERTH_LOG_INFO,
  BERTH_LOG_DEBUG,
};

enum berth_log_format
{
  BERTH_LOG_TEXT = 0,
  BERTH_LOG_JSON,
};

/* path may be NULL (stderr only). Opens the file O_APPEND|O_CLOEXEC. */
int berth_log_init(const char *path, enum berth_log_format format, enum berth_log_level level,
                   berth_error_t *err);
/* parse "error|warn|warning|info|debug"; < 0 if unknown */
int berth_log_level_parse(const char *s, enum berth_log_level *out);

void berth_log(enum berth_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Whether a message of this level is written: check it before building
 * costly arguments (lists, joined options) for a debug line. */
bool berth_log_enabled(enum berth_log_level level);
#define berth_log_error(...) berth_log(BERTH_LOG_ERROR, __VA_ARGS__)
#define berth_log_warning(...) berth_log(BERTH_LOG_WARNING, __VA_ARGS__)
#define berth_log_info(...) berth_log(BERTH_LOG_INFO, __VA_ARGS__)
#define berth_log_debug(...) berth_log(BERTH_LOG_DEBUG, __VA_ARGS__)

/* Phase timings for --log-level debug: one line per phase,
 *   phase=<name> t_us=<microseconds since berth started>
 * on the monotonic clock, logged when the phase begins (berth.8 lists the
 * names). Below debug this returns at once, without reading the clock. */
void berth_log_phase(const char *name);

/* Pass berth's start time on through the environment to the sealed copy
 * it is about to exec (debug only), so its phases count from the same
 * start; the copy takes the variable out of its environment again. */
void berth_log_phase_export_start(void);

/* Quiet stderr: only the log file gets messages (the container init uses
 * this once the user's stderr belongs to the container). */
void berth_log_set_stderr(bool enabled);

/* The fd of the log file, or -1: the container init keeps it across
 * namespace changes so late errors still reach the log. */
int berth_log_fd(void);

/* Move the log file's fd to a number >= min (close-on-exec): main opens
 * it before a command knows which fds it must pass on (--preserve-fds). */
void berth_log_move_fd_above(int min);

#endif
