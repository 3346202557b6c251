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
  static const struct cli_usage usage = {
    "kill", "[options] ID [SIGNAL]",
    "Send SIGNAL (default SIGTERM; a name with or without SIG, any case, or a\n"
    "number) to the init of container ID, or with --all to all its processes.",
    1, 2, "a container ID and an optional signal", false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;
  int sig = SIGTERM;
  if (npos == 2 && signal_parse(pos[1], &sig, err) < 0)
    return -1;
  return lifecycle_kill_id(g, pos[0], sig, all, err);
}
