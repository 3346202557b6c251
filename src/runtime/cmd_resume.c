/* berth resume ID: thaw a paused container. */
#include "cgroups/cgroups.h"
#include "runtime/cgcmds.h"
#include "util/util.h"

int cmd_resume(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  const struct cli_option opts[] = {{NULL, 0, 0, NULL, NULL, NULL}};
  static const struct cli_usage usage = {
    "resume", "ID",
    "Resume every process of container ID, paused by `pause`.",
    1, 1, "exactly one container ID", false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;

  struct cg_target t;
  if (cg_target_open(g, pos[0], true, &t, err) < 0)
    return -1;
  int r = 0;
  if (!str_eq(t.status, "paused"))
    r = berth_fail(err, 0, "container not paused");
  else if (cg_target_need_cgroup(&t, "resume", err) < 0 || cgroup_freeze(t.cg, false, err) < 0)
    r = -1;
  cg_target_close(&t);
  return r;
}
