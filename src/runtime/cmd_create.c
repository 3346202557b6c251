/* berth create: set the container up and leave its init waiting for
 * `start` (see container.c). */
#include "runtime/cli.h"
#include "runtime/container.h"
#include "runtime/interrupt.h"
#include "util/util.h"

int cmd_create(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  struct create_options o = {.detached = true};
  long long preserve_fds = 0;
  const struct cli_option opts[] = {
    CREATE_CLI_OPTIONS(&o, &preserve_fds),
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  static const struct cli_usage usage = {
    "create", "[options] ID",
    "Create container ID from a bundle: namespaces, cgroup, root filesystem and\n"
    "process setup are done and its init waits for `berth start ID`.",
    1, 1, "exactly one container ID", false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;
  if (create_options_set_preserve_fds(&o, preserve_fds, err) < 0)
    return -1;
  struct lifecycle *l = NULL;
  interrupt_arm(); /* SIGINT/SIGTERM/SIGHUP: roll back, exit 1 */
  int r = lifecycle_create(g, pos[0], &o, &l, err);
  interrupt_disarm();
  if (r < 0)
    return -1;
  lifecycle_free(l);
  return 0;
}
