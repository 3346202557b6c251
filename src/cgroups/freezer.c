/* pause/resume: the v2 cgroup.freeze knob, or the v1 freezer controller
 * (on hybrid hosts too: cgroup_is_frozen asks the v1 freezer there, so
 * freezing and the "paused" status agree). Freezing is asynchronous in
 * both: write, then wait (bounded) until the kernel reports it done. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroups/cgroups_internal.h"
#include "util/util.h"

/* how long a freeze may take before we give up and thaw again */
#define FREEZE_TIMEOUT_MS 5000

static long long monotonic_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_us(long us)
{
  struct timespec ts = { .tv_sec = 0, .tv_nsec = us * 1000 };
  nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------ v2 */

static int v2_freeze(struct berth_cgroup *cg, bool frozen, berth_error_t *err)
{
  const struct cgroup_dir *d = &cg->dirs[0];
  if (cgroup_fs_write(d->path, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  long long deadline = monotonic_ms() + FREEZE_TIMEOUT_MS;
  long pause_us = 100;
  while (cgroup_v2_is_frozen(d) != frozen)
    {
      if (monotonic_ms() > deadline)
        return berth_fail(err, ETIMEDOUT, "%s/cgroup.events: frozen is not %d after %d ms", d->path,
                          frozen ? 1 : 0, FREEZE_TIMEOUT_MS);
      nap_us(pause_us);
      if (pause_us < 10000)
        pause_us *= 2;
    }
  return 0;
}

/* ------------------------------------------------------------ v1 */

static int v1_state_is(const char *dir, const char *want, bool *is, berth_error_t *err)
{
  _cleanup_free_ char *now = NULL;
  if (cgroup_fs_read(dir, "freezer.state", &now, err) < 0)
    return -1;
  *is = str_has_prefix(now, want);
  return 0;
}

static int v1_freeze(struct berth_cgroup *cg, bool frozen, berth_error_t *err)
{
  const struct cgroup_dir *d = cgroup_v1_dir_for(cg, "freezer");
  if (d == NULL)
    return berth_fail(err, ENOTSUP, "the freezer cgroup controller is not mounted");
  const char *want = frozen ? "FROZEN" : "THAWED";
  long long deadline = monotonic_ms() + FREEZE_TIMEOUT_MS;
  long pause_us = 100;
  for (;;)
    {
      /* a task that was forking stays FREEZING; writing FROZEN again
       * retries it */
      if (cgroup_fs_write(d->path, "freezer.state", want, err) < 0)
        return -1;
      bool done;
      if (v1_state_is(d->path, want, &done, err) < 0)
        return -1;
      if (done)
        return 0;
      if (monotonic_ms() > deadline)
        return berth_fail(err, ETIMEDOUT, "%s/freezer.state: not %s after %d ms", d->path, want,
                          FREEZE_TIMEOUT_MS);
      nap_us(pause_us);
      if (pause_us < 10000)
        pause_us *= 2;
    }
}

int cgroup_freeze(struct berth_cgroup *cg, bool frozen, berth_error_t *err)
{
  int r = cg->mode == CGROUP_MODE_UNIFIED ? v2_freeze(cg, frozen, err) : v1_freeze(cg, frozen, err);
  if (r < 0 && frozen)
    {
      /* never leave a half-frozen container behind */
      _cleanup_error_ berth_error_t ignored = NULL;
      if (cg->mode == CGROUP_MODE_UNIFIED)
        v2_freeze(cg, false, &ignored);
      else
        v1_freeze(cg, false, &ignored);
    }
  if (r < 0)
    return berth_wrap(err, "%s cgroup %s", frozen ? "freeze" : "thaw", cg->path);
  return 0;
}

/* ------------------------------------------------------------ subtrees */

/* Thaw dir and every cgroup below it that is frozen, parents first (a v1
 * cgroup stays FROZEN while its parent is). The kernel thaws asynchronously;
 * nobody waits here: a killed process leaves once it is thawed. */
static void thaw_tree(const char *dir, bool v2)
{
  const char *file = v2 ? "cgroup.freeze" : "freezer.state";
  _cleanup_free_ char *state = NULL;
  _cleanup_error_ berth_error_t e = NULL;
  if (cgroup_fs_read(dir, file, &state, &e) < 0)
    return; /* gone, or no freezer here */
  bool frozen = v2 ? str_has_prefix(state, "1") : !str_has_prefix(state, "THAWED");
  if (frozen)
    (void) cgroup_fs_write(dir, file, v2 ? "0" : "THAWED", &e);
  _cleanup_closedir_ DIR *d = opendir(dir);
  if (d == NULL)
    return;
  struct dirent *de;
  while ((de = readdir(d)))
    {
      if (de->d_type != DT_DIR || str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
        continue;
      _cleanup_free_ char *sub = xasprintf("%s/%s", dir, de->d_name);
      thaw_tree(sub, v2);
    }
}

void cgroup_thaw_tree(struct berth_cgroup *cg)
{
  /* every v2 dir: on a hybrid host a container can freeze a sub-cgroup of
   * its unified part too */
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (cg->dirs[i].v2 || cgroup_controllers_have(cg->dirs[i].controllers, "freezer"))
      thaw_tree(cg->dirs[i].path, cg->dirs[i].v2);
}

void cgroup_thaw_path(const char *path)
{
  struct berth_cgroup *cg = NULL;
  _cleanup_error_ berth_error_t ignored = NULL;
  if (cgroup_open(path, &cg, &ignored) < 0)
    return;
  cgroup_thaw_tree(cg);
  cgroup_free(cg);
}

/* ------------------------------------------------------------ frozen targets */

/* The highest cgroup from dir up to mount_point whose own knob freezes it
 * (v2 cgroup.freeze 1, v1 freezer.self_freezing 1): who froze it, for the
 * error. NULL when none says so (then dir itself is named). */
static char *freezing_ancestor(const char *dir, const char *mount_point, bool v2)
{
  const char *file = v2 ? "cgroup.freeze" : "freezer.self_freezing";
  char *found = NULL;
  _cleanup_free_ char *cur = xstrdup(dir);
  size_t root_len = strlen(mount_point);
  for (;;)
    {
      _cleanup_free_ char *v = NULL;
      _cleanup_error_ berth_error_t e = NULL;
      if (cgroup_fs_read(cur, file, &v, &e) == 0 && str_has_prefix(v, "1"))
        {
          free(found);
          found = xstrdup(cur);
        }
      char *slash = strrchr(cur, '/');
      if (slash == NULL || (size_t) (slash - cur) < root_len)
        break;
      *slash = '\0';
    }
  return found;
}

static int dir_check_not_frozen(const struct cgroup_dir *d, const char *cg_path, berth_error_t *err)
{
  if (d->v2)
    {
      /* cgroup.events "frozen 1" is the effective state, a frozen ancestor
       * included: a cgroup made under a frozen parent is frozen at once,
       * and an empty or stopped one as soon as it or an ancestor is */
      if (!cgroup_v2_is_frozen(d))
        return 0;
      _cleanup_free_ char *by = freezing_ancestor(d->path, d->mount_point, true);
      return berth_fail(err, EBUSY, "cgroup %s is frozen (%s/cgroup.freeze is 1): thaw it first", cg_path,
                        by ? by : d->path);
    }
  if (!cgroup_controllers_have(d->controllers, "freezer"))
    return 0;
  /* v1 freezer.state is the effective state: FREEZING or FROZEN when the
   * cgroup or an ancestor is frozen */
  _cleanup_free_ char *state = NULL;
  _cleanup_error_ berth_error_t e = NULL;
  if (cgroup_fs_read(d->path, "freezer.state", &state, &e) < 0)
    return 0; /* gone, or not there yet */
  if (str_has_prefix(state, "THAWED"))
    return 0;
  state[strcspn(state, "\n")] = '\0';
  _cleanup_free_ char *by = freezing_ancestor(d->path, d->mount_point, false);
  return berth_fail(err, EBUSY, "cgroup %s is frozen (%s/freezer.state: %s%s%s): thaw it first", cg_path,
                    d->path, state, by ? ", frozen by " : "", by ? by : "");
}

int cgroup_check_not_frozen(struct berth_cgroup *cg, berth_error_t *err)
{
  for (size_t i = 0; i < cg->n_dirs; i++)
    if (dir_check_not_frozen(&cg->dirs[i], cg->path, err) < 0)
      return -1;
  return 0;
}
