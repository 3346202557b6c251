/* berth exec [options] ID [COMMAND [ARG...]]: options as runc 1.1.5 has
 * them; the work is in exec.c. */
#include <stdlib.h>

#include "runtime/cli.h"
#include "runtime/exec.h"
#include "util/util.h"

int cmd_exec(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  struct exec_options o = {0};
  struct cli_strv env = {0}, gids = {0}, caps = {0}, cgroups = {0};
  long long preserve_fds = 0;
  const struct cli_option opts[] = {
    {"process", 'p', CLI_STRING, &o.process_path, "FILE", "the process to run, as process.json"},
    {"tty", 't', CLI_BOOL, &o.tty, NULL, "allocate a pseudo-terminal"},
    {"console-socket", 0, CLI_STRING, &o.console_socket, "PATH",
     "unix socket that receives the pty master"},
    {"detach", 'd', CLI_BOOL, &o.detach, NULL, "return once the process runs"},
    {"pid-file", 0, CLI_STRING, &o.pid_file, "FILE", "write the process's pid to FILE"},
    {"env", 'e', CLI_STRV, &env, "K=V", "set an environment variable (repeatable)"},
    {"cwd", 0, CLI_STRING, &o.cwd, "DIR", "working directory in the container"},
    {"user", 'u', CLI_STRING, &o.user, "UID[:GID]", "run as UID (and GID), numbers only"},
    {"additional-gids", 'g', CLI_STRV, &gids, "GID", "an additional group (repeatable)"},
    {"cap", 'c', CLI_STRV, &caps, "CAP",
     "add a capability to the bounding, effective and permitted sets (repeatable)"},
    {"no-new-privs", 0, CLI_BOOL, &o.no_new_privs, NULL, "set no_new_privs for the process"},
    {"preserve-fds", 0, CLI_INT, &preserve_fds, "N", "pass fds 3..3+N-1 to the process"},
    {"apparmor", 0, CLI_STRING, &o.apparmor, "PROFILE", "the AppArmor profile of the process"},
    {"process-label", 0, CLI_STRING, &o.process_label, "LABEL", "the SELinux label of the process"},
    {"ignore-paused", 0, CLI_BOOL, &o.ignore_paused, NULL, "allow exec in a paused container"},
    {"cgroup", 0, CLI_STRV, &cgroups, "[CTRL[,CTRL]:]PATH",
     "run in this existing sub-cgroup of the container's cgroup (repeatable per controller)"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  static const struct cli_usage usage = {
    "exec", "[options] ID [COMMAND [ARG...]]",
    "Run a new process in the running container ID: COMMAND with the container's\n"
    "process settings and the options' changes, or --process FILE. Without\n"
    "--detach, wait for it and exit with its status (128+N when killed by\n"
    "signal N).",
    1, -1, "a container ID", true,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  /* the option arrays are ours to free whatever happens */
  _cleanup_free_ const char **env_v = env.v;
  _cleanup_free_ const char **gids_v = gids.v;
  _cleanup_free_ const char **caps_v = caps.v;
  _cleanup_free_ const char **cgroups_v = cgroups.v;
  if (parsed <= 0)
    return parsed;
  if (preserve_fds < 0 || preserve_fds > 65536)
    return berth_fail(err, 0, "invalid --preserve-fds %lld", preserve_fds);
  o.preserve_fds = (int) preserve_fds;
  o.env = env.v;
  o.additional_gids = gids.v;
  o.caps = caps.v;
  o.sub_cgroups = cgroups.v;
  o.args = pos + 1;
  return exec_run(g, pos[0], &o, err);
}
