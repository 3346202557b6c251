/* OOM notifications for `events`. v1: an eventfd registered for
 * memory.oom_control through cgroup.event_control (the kernel signals it
 * on every OOM in the cgroup, and once more when the cgroup is removed).
 * v2: inotify on memory.events (the kernel sends IN_MODIFY when a counter
 * changes) and the oom_kill counter compared with the last one seen. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroups/cgroups_internal.h"
#include "cgroups/stats.h"
#include "util/util.h"

struct cgroup_oom_watch
{
  bool v2;
  int fd;        /* eventfd (v1) or inotify fd (v2) */
  char *dir;     /* the memory cgroup directory */
  uint64_t last; /* v2: oom_kill seen so far */
};

void cgroup_oom_watch_free(struct cgroup_oom_watch *w)
{
  if (!w)
    return;
  if (w->fd >= 0)
    close(w->fd);
  free(w->dir);
  free(w);
}

static void oom_watch_freep(struct cgroup_oom_watch **w)
{
  cgroup_oom_watch_free(*w);
}

static int v2_oom_kills(const char *dir, uint64_t *out, berth_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  if (cgroup_fs_read(dir, "memory.events", &text, err) < 0)
    return -1;
  *out = 0;
  cgroup_stat_lookup(text, "oom_kill", out);
  return 0;
}

static int open_v2(struct cgroup_oom_watch *w, berth_error_t *err)
{
  w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (w->fd < 0)
    return berth_fail_sys(err, "inotify_init1");
  _cleanup_free_ char *events = xasprintf("%s/memory.events", w->dir);
  if (inotify_add_watch(w->fd, events, IN_MODIFY) < 0)
    return berth_fail_sys(err, "watch %s", events);
  return v2_oom_kills(w->dir, &w->last, err);
}

static int open_v1(struct cgroup_oom_watch *w, berth_error_t *err)
{
  _cleanup_free_ char *control = xasprintf("%s/memory.oom_control", w->dir);
  _cleanup_close_ int oom_fd = open(control, O_RDONLY | O_CLOEXEC);
  if (oom_fd < 0)
    return berth_fail_sys(err, "open %s", control);
  w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (w->fd < 0)
    return berth_fail_sys(err, "eventfd");
  /* the registration lives as long as the eventfd: oom_fd may close */
  _cleanup_free_ char *line = xasprintf("%d %d", w->fd, oom_fd);
  return cgroup_fs_write(w->dir, "cgroup.event_control", line, err);
}

int cgroup_oom_watch_open(struct berth_cgroup *cg, struct cgroup_oom_watch **out, berth_error_t *err)
{
  _cleanup_(oom_watch_freep) struct cgroup_oom_watch *w = xcalloc(1, sizeof *w);
  w->fd = -1;
  int r;
  if (cg->mode == CGROUP_MODE_UNIFIED)
    {
      w->v2 = true;
      w->dir = xstrdup(cg->dirs[0].path);
      r = open_v2(w, err);
    }
  else
    {
      const struct cgroup_dir *d = cgroup_v1_dir_for(cg, "memory");
      if (d == NULL)
        return berth_fail(err, ENOTSUP, "watch OOM events of cgroup %s: the memory controller is not mounted",
                          cg->path);
      w->dir = xstrdup(d->path);
      r = open_v1(w, err);
    }
  if (r < 0)
    return berth_wrap(err, "watch OOM events of cgroup %s", cg->path);
  *out = steal_pointer(&w);
  return 0;
}

int cgroup_oom_watch_fd(const struct cgroup_oom_watch *w)
{
  return w->fd;
}

int cgroup_oom_watch_read(struct cgroup_oom_watch *w, uint64_t *n_ooms, bool *gone, berth_error_t *err)
{
  *n_ooms = 0;
  *gone = false;
  if (!w->v2)
    {
      uint64_t count;
      if (read(w->fd, &count, sizeof count) != (ssize_t) sizeof count)
        return errno == EAGAIN ? 0 : berth_fail_sys(err, "read the OOM eventfd of %s", w->dir);
      /* the removal of the cgroup signals the eventfd as well */
      _cleanup_free_ char *control = xasprintf("%s/cgroup.event_control", w->dir);
      if (access(control, F_OK) < 0)
        *gone = true;
      else
        *n_ooms = count;
      return 0;
    }
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  while (read(w->fd, buf, sizeof buf) > 0)
    ; /* drain: the counter says how many */
  uint64_t now;
  _cleanup_error_ berth_error_t e = NULL;
  if (v2_oom_kills(w->dir, &now, &e) < 0)
    {
      if (e->errnum == ENOENT || e->errnum == ENODEV)
        {
          *gone = true;
          return 0;
        }
      *err = steal_pointer(&e);
      return berth_error_ret(*err);
    }
  if (now > w->last)
    *n_ooms = now - w->last;
  w->last = now;
  return 0;
}
