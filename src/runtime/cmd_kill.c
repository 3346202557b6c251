/* berth kill [--all] ID [SIGNAL] */
#include <signal.h>

#include "runtime/cli.h"
#include "runtime/container.h"
#include "runtime/signals.h"
#include "util/util.h"

int cmd_kill(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  bool all = false;
  const struct cli_option opts[] = {
    {"all", 'a', CLI_BOOL, &all, NULL, "send the signal to every process of the container's cgroup"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  bool help;
  _cleanup_free_ char **pos = NULL;
  int npos;
  if (cli_parse(argc, argv, opts, false, &help, &pos, &npos, err) < 0)
    return -1;
  if (help)
    {
      cli_print_help("kill", "[options] ID [SIGNAL]",
                     "Send SIGNAL (default SIGTERM; a name with or without SIG, any case, or a\n"
                     "number) to the init of container ID, or with --all to all its processes.",
                     opts);
      return 0;
    }
  if (npos < 1 || npos > 2)
    return berth_fail(err, 0, "expected a container ID and an optional signal, got %d arguments", npos);
  int sig = SIGTERM;
  if (npos == 2 && signal_parse(pos[1], &sig, err) < 0)
    return -1;
  return lifecycle_kill_id(g, pos[0], sig, all, err);
}
