/* berth delete [--force] ID */
#include "runtime/cli.h"
#include "runtime/container.h"
#include "util/util.h"

int cmd_delete(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  bool force = false;
  const struct cli_option opts[] = {
    {"force", 'f', CLI_BOOL, &force, NULL, "kill a running container first; a missing one is no error"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  bool help;
  _cleanup_free_ char **pos = NULL;
  int npos;
  if (cli_parse(argc, argv, opts, false, &help, &pos, &npos, err) < 0)
    return -1;
  if (help)
    {
      cli_print_help("delete", "[options] ID",
                     "Delete container ID: poststop hooks, its cgroup and its state. A running\n"
                     "container needs --force (it is killed with SIGKILL first).",
                     opts);
      return 0;
    }
  if (npos != 1)
    return berth_fail(err, 0, "expected exactly one container ID, got %d arguments", npos);
  return lifecycle_delete_id(g, pos[0], force, err);
}
