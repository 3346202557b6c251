/* delete --force of a container whose state.json cannot be read (missing,
 * truncated, corrupt, too large) or whose directory has no lock file: an
 * interrupted create or delete, or a damaged state store. Without the
 * record berth finds what it can: the init through the record create made
 * right after the clone (state.h), the cgroup from the config copy in the
 * state directory (or the default path), the network from its
 * annotations. The directory goes only once nothing of the container is
 * left alive, so that a later delete --force can try again. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "net/net.h"
#include "runtime/container.h"
#include "util/log.h"
#include "util/util.h"

#define SALVAGE_KILL_WAIT_MS 10000

static void container_closep(struct container **c)
{
  container_close(*c);
}

static void spec_config_freep(struct spec_config **c)
{
  if (*c)
    spec_config_free(*c);
}

static bool wait_gone(int pidfd, pid_t pid, int timeout_ms)
{
  if (pidfd != INT_MAX)
    {
      struct pollfd p = {.fd = pidfd, .events = POLLIN};
      int n;
      while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
      return n > 0;
    }
  for (int waited = 0; waited < timeout_ms; waited += 10)
    {
      if (kill(pid, 0) < 0 && errno == ESRCH)
        return true;
      usleep(10000);
    }
  return false;
}

/* The init that create recorded, if it is still that process. */
static int kill_recorded_init(struct container *c, berth_error_t *err)
{
  struct spec_state rec = {0};
  if (!container_init_record_read(c, &rec.pid, &rec.init_start_time))
    return 0;
  int fd = open_recorded_init(&rec);
  if (fd < 0)
    return 0; /* gone, or its pid belongs to another process now */
  send_signal(fd == INT_MAX ? -1 : fd, rec.pid, SIGKILL);
  bool gone = wait_gone(fd, rec.pid, SALVAGE_KILL_WAIT_MS);
  if (fd != INT_MAX)
    close(fd);
  if (!gone)
    return berth_fail(err, EBUSY, "the container init %d is still alive after SIGKILL", (int) rec.pid);
  return 0;
}

/* The config copy, NULL (with a warning) when it cannot be read either;
 * *missing when there is none. */
static struct spec_config *config_copy(struct container *c, bool *missing)
{
  struct lifecycle l = {.c = c, .pidfd = -1, .console_recv = -1, .console_master = -1, .notify_fd = -1};
  _cleanup_error_ berth_error_t e = NULL;
  *missing = false;
  if (load_config_copy(&l, &e) < 0)
    {
      *missing = e->errnum == ENOENT;
      if (!*missing)
        berth_log_warning("container \"%s\": %s: looking for the default cgroup", c->id, berth_error_msg(e));
      return NULL;
    }
  return l.config;
}

/* create writes the config copy before it makes the cgroup, and delete
 * removes the cgroup before the copy: without a copy there is no cgroup of
 * this container, and the default path may be another root's container of
 * the same id. */
static char *cgroup_path_of(const struct global_opts *g, const char *id, const struct spec_config *config,
                            bool config_missing)
{
  if (g->cgroup_manager == CGROUP_MANAGER_DISABLED || config_missing)
    return NULL;
  const char *wanted = config && config->linux_ ? config->linux_->cgroups_path : NULL;
  char *path = NULL;
  _cleanup_error_ berth_error_t e = NULL;
  if (cgroup_resolve_path(wanted, id, &path, &e) == 0)
    return path;
  berth_error_free(&e);
  return cgroup_resolve_path(NULL, id, &path, &e) == 0 ? path : NULL;
}

static int destroy_cgroup_at(const char *path, berth_error_t *err)
{
  struct berth_cgroup *cg = NULL;
  if (cgroup_open(path, &cg, err) < 0)
    return -1;
  int r = cgroup_destroy(cg, err);
  cgroup_free(cg);
  return r;
}

/* The container's directory, locked when it has a lock file; *c stays
 * NULL when there is no directory. */
static int open_for_salvage(const char *root, const char *id, struct container **c, berth_error_t *err)
{
  if (container_open(root, id, true, c, err) == 0)
    return 0;
  if ((*err)->errnum != ENOENT)
    return -1;
  berth_error_free(err);
  if (!container_dir_exists(root, id))
    return 0;
  /* no lock file: a create died before making it, or a delete after
   * removing it; nobody can hold a lock we could wait for */
  berth_log_warning("container \"%s\" has no lock file (an interrupted create or delete): deleting it", id);
  if (container_open_unlocked(root, id, c, err) < 0 && (*err)->errnum == ENOENT)
    {
      berth_error_free(err);
      return 0;
    }
  return *c ? 0 : -1;
}

int lifecycle_delete_without_state(const struct global_opts *g, const char *id, berth_error_t *err)
{
  _cleanup_error_ berth_error_t reason = steal_pointer(err);
  _cleanup_error_ berth_error_t invalid = NULL;
  if (container_id_validate(id, &invalid) < 0)
    {
      *err = steal_pointer(&reason);
      return -1;
    }
  _cleanup_(container_closep) struct container *c = NULL;
  if (open_for_salvage(g->root, id, &c, err) < 0)
    return -1;
  if (!c)
    return 0; /* no such container: no error with --force, as runc */
  if (c->lock_fd >= 0) /* else open_for_salvage said why */
    berth_log_warning("container \"%s\": %s: deleting it without its state", id, berth_error_msg(reason));

  bool config_missing;
  _cleanup_(spec_config_freep) struct spec_config *config = config_copy(c, &config_missing);
  _cleanup_free_ char *cgroup_path = cgroup_path_of(g, id, config, config_missing);
  if (cgroup_path)
    cgroup_thaw_path(cgroup_path); /* a paused init acts on SIGKILL only once thawed */
  _cleanup_error_ berth_error_t init_err = NULL, cgroup_err = NULL, net_err = NULL;
  kill_recorded_init(c, &init_err);
  if (cgroup_path)
    destroy_cgroup_at(cgroup_path, &cgroup_err);
  if (net_teardown(config, g->root, id, &net_err) < 0)
    berth_log_warning("network: %s", berth_error_msg(net_err));
  if (init_err || cgroup_err)
    {
      const char *what = berth_error_msg(init_err ? init_err : cgroup_err);
      return berth_fail(err, EBUSY, "container \"%s\": %s; its state directory %s stays for another delete --force",
                        id, what, c->dir);
    }
  return container_dir_remove(steal_pointer(&c), err);
}
