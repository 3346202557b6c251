/* berth delete [--force] ID */
#include "runtime/cli.h"
#include "runtime/container.h"
#include "runtime/sandbox.h"
#include "util/util.h"

int cmd_delete(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  bool force = false;
  const struct cli_option opts[] = {
    {"force", 'f', CLI_BOOL, &force, NULL, "kill a running container first; a missing one is no error, one without a readable state is removed without it"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  static const struct cli_usage usage = {
    "delete", "[options] ID",
    "Delete container ID: poststop hooks, its cgroup and its state. A running\n"
    "container needs --force (it is killed with SIGKILL first).",
    1, 1, "exactly one container ID", false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;
  if (lifecycle_delete_id(g, pos[0], force, err) < 0)
    return -1;
  /* a sandbox's directory (berth sandbox killed with SIGKILL) */
  return force ? sandbox_dir_remove(g, pos[0], err) : 0;
}
