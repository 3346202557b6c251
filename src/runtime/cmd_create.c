/* berth create: set the container up and leave its init waiting for
 * `start` (see container.c). */
#include "runtime/cli.h"
#include "runtime/container.h"
#include "util/util.h"

int cmd_create(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  const char *bundle = NULL, *pid_file = NULL, *console_socket = NULL, *config = NULL;
  bool no_pivot = false, no_new_keyring = false;
  long long preserve_fds = 0;
  const struct cli_option opts[] = {
    {"bundle", 'b', CLI_STRING, &bundle, "DIR", "the bundle directory (default: the current directory)"},
    {"config", 0, CLI_STRING, &config, "FILE", "the config file (default: BUNDLE/config.json)"},
    {"pid-file", 0, CLI_STRING, &pid_file, "FILE", "write the container process's pid to FILE"},
    {"console-socket", 0, CLI_STRING, &console_socket, "PATH",
     "unix socket that receives the pty master when process.terminal is set"},
    {"no-pivot", 0, CLI_BOOL, &no_pivot, NULL, "use MS_MOVE + chroot instead of pivot_root"},
    {"no-new-keyring", 0, CLI_BOOL, &no_new_keyring, NULL, "keep the caller's session keyring"},
    {"preserve-fds", 0, CLI_INT, &preserve_fds, "N", "pass fds 3..3+N-1 to the container"},
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
  if (preserve_fds < 0 || preserve_fds > 65536)
    return berth_fail(err, 0, "invalid --preserve-fds %lld", preserve_fds);
  struct create_options o = {
    .bundle = bundle,
    .config_path = config,
    .pid_file = pid_file,
    .console_socket = console_socket,
    .no_pivot = no_pivot,
    .no_new_keyring = no_new_keyring,
    .preserve_fds = (int) preserve_fds,
    .detached = true,
  };
  struct lifecycle *l = NULL;
  if (lifecycle_create(g, pos[0], &o, &l, err) < 0)
    return -1;
  lifecycle_free(l);
  return 0;
}
