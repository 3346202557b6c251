/* berth start: release a created container's init (exec.fifo). */
#include "runtime/cli.h"
#include "runtime/container.h"
#include "util/util.h"

int cmd_start(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  const struct cli_option opts[] = {{NULL, 0, 0, NULL, NULL, NULL}};
  bool help;
  _cleanup_free_ char **pos = NULL;
  int npos;
  if (cli_parse(argc, argv, opts, false, &help, &pos, &npos, err) < 0)
    return -1;
  if (help)
    {
      cli_print_help("start", "ID",
                     "Start the user program of created container ID; returns once it runs\n"
                     "(after the poststart hooks).",
                     opts);
      return 0;
    }
  if (npos != 1)
    return berth_fail(err, 0, "expected exactly one container ID, got %d arguments", npos);
  return lifecycle_start_id(g, pos[0], err);
}
