/* berth ps [--format table|json] ID [-- PS-ARGS...]: the container's
 * processes. json (what containerd asks for) is the array of host pids of
 * the container's cgroup and nothing else. table runs the host's `ps`
 * (default `ps -ef`) and keeps the header and the lines whose PID column
 * is one of the container's, as runc does: the one place berth runs a
 * subprocess, because the user asked for ps's own output. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "runtime/cgcmds.h"
#include "runtime/rootless.h"
#include "spec/events.h"
#include "util/util.h"

#define PS_OUTPUT_MAX (64u << 20)

extern char **environ;

static int print_json(const pid_t *pids, size_t n, berth_error_t *err)
{
  _cleanup_free_ char *json = NULL;
  size_t len = 0;
  if (spec_pids_emit(pids, n, &json, &len, err) < 0)
    return -1;
  fwrite(json, 1, len, stdout);
  putchar('\n');
  return 0;
}

/* run ps with args (NULL-terminated, args[0] = "ps"), its stdout in *out */
static int run_ps(char *const *args, char **out, berth_error_t *err)
{
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0)
    return berth_fail_sys(err, "pipe");
  _cleanup_close_ int rd = fds[0];
  _cleanup_close_ int wr = fds[1];
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, wr, STDOUT_FILENO);
  pid_t pid;
  int e = posix_spawnp(&pid, "ps", &fa, NULL, args, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (e != 0)
    return berth_fail(err, e, "run ps");
  close(steal_fd(&wr));
  size_t len;
  int r = read_all_fd(rd, PS_OUTPUT_MAX, out, &len, err);
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return berth_fail_sys(err, "wait for ps");
  if (r < 0)
    return berth_wrap(err, "read ps's output");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return berth_fail(err, 0, "ps failed (%s %d)", WIFEXITED(status) ? "exit status" : "signal",
                      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
  return 0;
}

static int print_table(const pid_t *pids, size_t n, char **ps_args, size_t n_args, berth_error_t *err)
{
  _cleanup_free_ char **args = xcalloc(n_args + 3, sizeof(char *));
  size_t i = 0;
  args[i++] = (char *) "ps";
  if (n_args == 0)
    args[i++] = (char *) "-ef";
  for (size_t j = 0; j < n_args; j++)
    args[i++] = ps_args[j];
  _cleanup_free_ char *output = NULL, *table = NULL;
  if (run_ps(args, &output, err) < 0 || ps_filter_table(output, pids, n, &table, err) < 0)
    return -1;
  fputs(table, stdout);
  return 0;
}

int cmd_ps(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  char *format = NULL;
  const struct cli_option opts[] = {
    {"format", 'f', CLI_STRING, &format, "FORMAT", "table (default: ps's own output) or json (host pids)"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  static const struct cli_usage usage = {
    "ps", "[options] ID [-- PS-ARGS...]",
    "List the processes of container ID: with --format json the JSON array of\n"
    "their host pids; else the host's `ps` output (PS-ARGS, default -ef)\n"
    "filtered to them.",
    1, -1, "a container ID", true,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;
  bool json = str_eq(format, "json");
  if (format && !json && !str_eq(format, "table"))
    return berth_fail(err, 0, "--format: unknown format \"%s\" (table or json)", format);

  struct cg_target t;
  if (cg_target_open(g, pos[0], false, &t, err) < 0)
    return -1;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  int r;
  if (!t.cg && t.state->cgroup_manager && !str_eq(t.state->cgroup_manager, "disabled"))
    r = cg_target_alive(&t) ? rootless_pidns_pids(t.state->pid, &pids, &n, err) : 0; /* rootless, no cgroup */
  else
    r = cg_target_need_cgroup(&t, "list processes", err) < 0 || cgroup_pids(t.cg, &pids, &n, err) < 0 ? -1 : 0;
  cg_target_close(&t);
  if (r < 0)
    return -1;
  /* `ps ID -- -o pid`: options stop at ID, so the "--" is still there */
  char **ps_args = pos + 1;
  size_t n_args = (size_t) npos - 1;
  if (n_args > 0 && str_eq(ps_args[0], "--"))
    {
      ps_args++;
      n_args--;
    }
  if (json && n_args > 0)
    return berth_fail(err, 0, "ps arguments cannot be used with --format json");
  r = json ? print_json(pids, n, err) : print_table(pids, n, ps_args, n_args, err);
  fflush(stdout);
  return r;
}
