/* berth start: release a created container's init (exec.fifo). */
#include "runtime/cli.h"
#include "runtime/container.h"
#include "util/util.h"

int cmd_start(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  const struct cli_option opts[] = {{NULL, 0, 0, NULL, NULL, NULL}};
  static const struct cli_usage usage = {
    "start", "ID",
    "Start the user program of created container ID; returns once it runs\n"
    "(after the poststart hooks).",
    1, 1, "exactly one container ID", false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;
  return lifecycle_start_id(g, pos[0], err);
}
