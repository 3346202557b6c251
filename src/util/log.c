#include "util/log.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

static int log_fd = -1;
static enum berth_log_format log_format = BERTH_LOG_TEXT;
static enum berth_log_level log_level = BERTH_LOG_WARNING;
static bool log_stderr = true;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

#define PHASE_START_ENV "BERTH_PHASE_START_US"
static uint64_t phase_start_us; /* set by berth_log_init at debug level */

int berth_log_level_parse(const char *s, enum berth_log_level *out)
{
  if (str_eq(s, "warn"))
    s = "warning";
  for (size_t i = 0; i < ARRAY_SIZE(level_names); i++)
    if (str_eq(s, level_names[i]))
      {
        *out = (enum berth_log_level) i;
        return 0;
      }
  return -1;
}

static uint64_t monotonic_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* our own start, or the one of the berth that exec'ed us as its sealed copy */
static uint64_t phase_start(void)
{
  uint64_t now = monotonic_us();
  const char *inherited = getenv(PHASE_START_ENV);
  if (!inherited)
    return now;
  unsigned long long t;
  bool valid = parse_uint64(inherited, &t) == 0 && t <= now;
  unsetenv(PHASE_START_ENV);
  return valid ? t : now;
}

int berth_log_init(const char *path, enum berth_log_format format, enum berth_log_level level,
                   berth_error_t *err)
{
  log_format = format;
  log_level = level;
  if (level >= BERTH_LOG_DEBUG && phase_start_us == 0)
    phase_start_us = phase_start();
  if (path && *path)
    {
      int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
      if (fd < 0)
        return berth_fail_sys(err, "open log file %s", path);
      if (log_fd >= 0)
        close(log_fd);
      log_fd = fd;
    }
  return 0;
}

void berth_log_set_stderr(bool enabled)
{
  log_stderr = enabled;
}

int berth_log_fd(void)
{
  return log_fd;
}

void berth_log_move_fd_above(int min)
{
  if (log_fd < 0 || log_fd >= min)
    return;
  int fd = fcntl(log_fd, F_DUPFD_CLOEXEC, min);
  if (fd < 0)
    return; /* keep logging where we were */
  close(log_fd);
  log_fd = fd;
}

static void json_escape(FILE *f, const char *s)
{
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      switch (*p)
        {
        case '"':
          fputs("\\\"", f);
          break;
        case '\\':
          fputs("\\\\", f);
          break;
        case '\n':
          fputs("\\n", f);
          break;
        case '\t':
          fputs("\\t", f);
          break;
        case '\r':
          fputs("\\r", f);
          break;
        default:
          if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
          else
            fputc(*p, f);
        }
    }
}

static void rfc3339(char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

static void write_line(int fd, const char *line, size_t len)
{
  if (write_all(fd, line, len) < 0)
    return; /* nowhere left to report a failing log */
}

bool berth_log_enabled(enum berth_log_level level)
{
  return level <= log_level || level == BERTH_LOG_ERROR;
}

void berth_log(enum berth_log_level level, const char *fmt, ...)
{
  if (!berth_log_enabled(level))
    return;
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *raw = xvasprintf(fmt, ap);
  va_end(ap);
  int saved = errno;
  /* the one place where text from configs, hooks and inits meets a
   * terminal or a log: nothing in it may drive the terminal or break the
   * log's UTF-8 */
  _cleanup_free_ char *msg = str_escape_nonprintable(raw);

  if (log_stderr)
    {
      _cleanup_free_ char *line = level == BERTH_LOG_ERROR ? xasprintf("berth: %s\n", msg)
                                                           : xasprintf("berth: %s: %s\n", level_names[level], msg);
      write_line(2, line, strlen(line));
    }
  if (log_fd >= 0)
    {
      char ts[64];
      rfc3339(ts, sizeof ts);
      char *buf = NULL;
      size_t len = 0;
      FILE *f = open_memstream(&buf, &len);
      if (f)
        {
          if (log_format == BERTH_LOG_JSON)
            {
              fprintf(f, "{\"level\":\"%s\",\"msg\":\"", level_names[level]);
              json_escape(f, msg);
              fprintf(f, "\",\"time\":\"%s\"}\n", ts);
            }
          else
            fprintf(f, "%s %s: %s\n", ts, level_names[level], msg);
          fclose(f);
          write_line(log_fd, buf, len);
          free(buf);
        }
    }
  errno = saved;
}

void berth_log_phase(const char *name)
{
  if (log_level < BERTH_LOG_DEBUG)
    return;
  berth_log_debug("phase=%s t_us=%" PRIu64, name, monotonic_us() - phase_start_us);
}

void berth_log_phase_export_start(void)
{
  if (log_level < BERTH_LOG_DEBUG)
    return;
  char buf[24];
  snprintf(buf, sizeof buf, "%" PRIu64, phase_start_us);
  setenv(PHASE_START_ENV, buf, 1);
}
