/* berth events [--stats] [--interval D] ID: the container's statistics
 * as runc prints them, one JSON object per line. --stats prints one
 * {"type":"stats",...} and exits; otherwise stats every interval (first
 * after one interval, as runc) and {"type":"oom","id":ID} as soon as the
 * kernel reports an OOM, until the container's init exits. */
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "runtime/cgcmds.h"
#include "spec/events.h"
#include "util/log.h"
#include "util/util.h"

#define DEFAULT_INTERVAL_NS (5ull * 1000000000ull)
/* more OOM kills than this in one wakeup are reported as this many lines */
#define OOM_LINES_MAX 64

static int print_event(const char *type, const char *id, const struct spec_stats *stats, berth_error_t *err)
{
  _cleanup_free_ char *json = NULL;
  size_t len = 0;
  if (spec_event_emit(type, id, stats, &json, &len, err) < 0)
    return -1;
  fwrite(json, 1, len, stdout);
  putchar('\n');
  if (fflush(stdout) != 0)
    return berth_fail_sys(err, "write to stdout");
  return 0;
}

static int print_stats(const struct cg_target *t, berth_error_t *err)
{
  struct spec_stats stats;
  int r = cgroup_read_stats(t->cg, &stats, err);
  if (r == 0)
    r = print_event("stats", t->state->id, &stats, err);
  spec_stats_clear(&stats);
  return r;
}

/* a pidfd of the container's init, or -1 when it is gone (or the pid was
 * reused: the recorded start time differs) */
static int open_init_pidfd(const struct spec_state *s)
{
  if (s->pid <= 0)
    return -1;
  int fd = (int) syscall(SYS_pidfd_open, s->pid, 0);
  if (fd < 0)
    return -1;
  if (s->init_start_time && process_start_time(s->pid) != s->init_start_time)
    {
      close(fd);
      return -1;
    }
  return fd;
}

static long long monotonic_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int report_ooms(struct cgroup_oom_watch *w, const char *id, bool *gone, berth_error_t *err)
{
  uint64_t n;
  if (cgroup_oom_watch_read(w, &n, gone, err) < 0)
    return -1;
  for (uint64_t i = 0; i < n && i < OOM_LINES_MAX; i++)
    if (print_event("oom", id, NULL, err) < 0)
      return -1;
  return 0;
}

static void oom_watch_freep(struct cgroup_oom_watch **w)
{
  cgroup_oom_watch_free(*w);
}

static int follow(const struct cg_target *t, uint64_t interval_ns, berth_error_t *err)
{
  _cleanup_close_ int pidfd = open_init_pidfd(t->state);
  if (pidfd < 0)
    return 0; /* already gone: nothing more will happen */
  _cleanup_(oom_watch_freep) struct cgroup_oom_watch *oom = NULL;
  _cleanup_error_ berth_error_t oom_err = NULL;
  if (cgroup_oom_watch_open(t->cg, &oom, &oom_err) < 0)
    berth_log_warning("no OOM events: %s", berth_error_msg(oom_err));

  long long interval_ms = (long long) (interval_ns / 1000000);
  if (interval_ms < 1)
    interval_ms = 1;
  long long next = monotonic_ms() + interval_ms;
  for (;;)
    {
      struct pollfd fds[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = oom ? cgroup_oom_watch_fd(oom) : -1, .events = POLLIN } };
      long long wait = next - monotonic_ms();
      int n = poll(fds, 2, wait < 0 ? 0 : wait > INT_MAX ? INT_MAX : (int) wait);
      if (n < 0 && errno != EINTR)
        return berth_fail_sys(err, "poll");
      bool gone = false;
      /* OOM first: an OOM kill of the init also ends the container */
      if (oom && (n > 0 || (fds[0].revents & POLLIN)) && report_ooms(oom, t->state->id, &gone, err) < 0)
        return -1;
      if ((fds[0].revents & (POLLIN | POLLHUP)) || gone)
        return 0;
      if (monotonic_ms() >= next)
        {
          if (print_stats(t, err) < 0)
            return -1;
          next += interval_ms;
          if (next < monotonic_ms())
            next = monotonic_ms() + interval_ms;
        }
    }
}

int cmd_events(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  bool stats = false;
  char *interval = NULL;
  const struct cli_option opts[] = {
    {"stats", 0, CLI_BOOL, &stats, NULL, "print the statistics once and exit"},
    {"interval", 0, CLI_STRING, &interval, "DURATION", "time between statistics (default 5s; 500ms, 1m...)"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  static const struct cli_usage usage = {
    "events", "[options] ID",
    "Print the statistics of container ID as JSON lines ({\"type\":\"stats\",...}) every\n"
    "interval, and {\"type\":\"oom\",\"id\":ID} when the kernel OOM-kills in it, until\n"
    "the container exits; with --stats once.",
    1, 1, "exactly one container ID", false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;
  uint64_t interval_ns = DEFAULT_INTERVAL_NS;
  if (interval && parse_go_duration(interval, &interval_ns, err) < 0)
    return berth_wrap(err, "--interval");

  struct cg_target t;
  if (cg_target_open(g, pos[0], false, &t, err) < 0)
    return -1;
  int r;
  if (!cg_target_alive(&t))
    r = berth_fail(err, 0, "container not running");
  else if (cg_target_need_cgroup(&t, "read events", err) < 0)
    r = -1;
  else if (stats)
    r = print_stats(&t, err);
  else
    r = follow(&t, interval_ns, err);
  cg_target_close(&t);
  return r;
}
