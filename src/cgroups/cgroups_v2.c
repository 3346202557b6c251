/* cgroup v2 driver: the unified hierarchy of a pure v2 host, and the
 * unified part of a hybrid host (there it only tracks the container and
 * holds the few controllers v1 does not, e.g. hugetlb). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/cgroups_internal.h"
#include "util/util.h"

/* Enable in parent's cgroup.subtree_control every controller it has in
 * cgroup.controllers and has not enabled yet. All at once first; if the
 * kernel refuses that (one controller cannot be enabled here, e.g. cpu
 * with a realtime task, or a parent with processes of its own) one by
 * one, keeping what works: a resource that then lacks its controller
 * fails later with the field's name. */
static int enable_subtree_controllers(const char *parent, berth_error_t *err)
{
  _cleanup_free_ char *available = NULL, *enabled = NULL;
  if (cgroup_fs_read(parent, "cgroup.controllers", &available, err) < 0
      || cgroup_fs_read(parent, "cgroup.subtree_control", &enabled, err) < 0)
    return -1;

  _cleanup_strv_ char **missing = xcalloc(1, sizeof(char *));
  size_t n = 0;
  char *save = NULL;
  for (char *c = strtok_r(available, " \n", &save); c; c = strtok_r(NULL, " \n", &save))
    {
      bool on = false;
      _cleanup_free_ char *copy = xstrdup(enabled);
      char *save2 = NULL;
      for (char *e = strtok_r(copy, " \n", &save2); e && !on; e = strtok_r(NULL, " \n", &save2))
        on = str_eq(c, e);
      if (on)
        continue;
      missing = xreallocarray(missing, n + 2, sizeof(char *));
      missing[n++] = xasprintf("+%s", c);
      missing[n] = NULL;
    }
  if (n == 0)
    return 0;

  _cleanup_free_ char *all = xstrdup("");
  for (size_t i = 0; i < n; i++)
    {
      char *next = xasprintf("%s%s%s", all, i ? " " : "", missing[i]);
      free(all);
      all = next;
    }
  _cleanup_error_ berth_error_t ignored = NULL;
  if (cgroup_fs_write(parent, "cgroup.subtree_control", all, &ignored) == 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    {
      berth_error_free(&ignored);
      (void) cgroup_fs_write(parent, "cgroup.subtree_control", missing[i], &ignored);
    }
  return 0;
}

int cgroup_v2_create_dir(struct cgroup_dir *dir, const char *cg_path, berth_error_t *err)
{
  static const struct cgroup_level_hooks hooks = { .before_child = enable_subtree_controllers };
  return cgroup_fs_mkdir_levels(dir, cg_path, &hooks, err);
}

int cgroup_v2_kill_all(const struct cgroup_dir *dir, int sig, berth_error_t *err)
{
  /* cgroup.kill (5.14+) kills the whole subtree atomically, forks included */
  if (sig == SIGKILL)
    {
      _cleanup_free_ char *p = xasprintf("%s/cgroup.kill", dir->path);
      if (access(p, F_OK) == 0)
        {
          _cleanup_error_ berth_error_t e = NULL;
          if (cgroup_fs_write(dir->path, "cgroup.kill", "1", &e) == 0 || e->errnum == ENOENT)
            return 0;
          *err = steal_pointer(&e);
          return berth_error_ret(*err);
        }
    }
  return cgroup_signal_pids(dir->path, sig, NULL, err);
}

bool cgroup_v2_is_frozen(const struct cgroup_dir *dir)
{
  _cleanup_free_ char *events = NULL;
  _cleanup_error_ berth_error_t e = NULL;
  if (cgroup_fs_read(dir->path, "cgroup.events", &events, &e) < 0)
    return false;
  for (char *line = events; line && *line;)
    {
      if (str_has_prefix(line, "frozen "))
        return line[7] == '1';
      line = strchr(line, '\n');
      if (line)
        line++;
    }
  return false;
}

/* linux.resources: resources_v2.c */
