/* berth's entry point: global options, then one command from commands.c.
 * main is the only place that prints a command's error:
 *   berth: <command> [<id>]: <message>
 * on stderr and, with --log, in the log file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cli.h"
#include "runtime/criu.h"
#include "runtime/rootless.h"
#include "runtime/sealed.h"
#include "runtime/state.h"
#include "spec/spec.h"
#include "util/log.h"
#include "util/util.h"

/* what is compiled in: configure requires every one of these libraries */
#ifdef HAVE_LIBSYSTEMD
#define BERTH_FEATURES "+SECCOMP +CAP +CGROUP +YAJL +MNL +SYSTEMD"
#else
#define BERTH_FEATURES "+SECCOMP +CAP +CGROUP +YAJL +MNL -SYSTEMD"
#endif

struct global_args
{
  const char *root;
  const char *log_path;
  const char *log_format;
  const char *log_level;
  bool debug;
  bool systemd_cgroup;
  const char *rootless;
  const char *cgroup_manager;
  const char *storage_root;
  const char *max_layer_size;
  bool version;
};

static void print_version(void)
{
  /* +CRIU only where `criu check` passes (criu.h): checked here, never cached */
  _cleanup_error_ berth_error_t criu_err = NULL;
  bool criu = criu_check(&criu_err) == 0;
  printf("berth version %s\ncommit: %s\nspec: %s\n%s %s\n", PACKAGE_VERSION, BERTH_GIT_COMMIT,
         BERTH_OCI_VERSION, BERTH_FEATURES, criu ? "+CRIU" : "-CRIU");
}

static void print_global_help(const struct cli_option *opts)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (!f)
    abort();
  fputs("berth is an OCI container runtime: it creates and runs containers from an OCI bundle\n"
        "(a directory holding config.json and the root filesystem).\n\nCommands:\n",
        f);
  for (const struct command *c = berth_commands; c->name; c++)
    fprintf(f, "  %-12s %s\n", c->name, c->summary ? c->summary : "");
  fprintf(f, "  %-12s %s\n", "help", "show the help of berth or of a command");
  fputs("\nRun 'berth COMMAND --help' for a command's options; see berth(8).", f);
  fclose(f);
  cli_print_help("[global options]", "COMMAND [options] [arguments]", buf, opts);
  free(buf);
}

static int parse_log_format(const char *s, enum berth_log_format *out, berth_error_t *err)
{
  if (s == NULL || str_eq(s, "text"))
    *out = BERTH_LOG_TEXT;
  else if (str_eq(s, "json"))
    *out = BERTH_LOG_JSON;
  else
    return berth_fail(err, 0, "invalid --log-format \"%s\": expected text or json", s);
  return 0;
}

static int parse_rootless(const char *s, struct global_opts *g, berth_error_t *err)
{
  if (s == NULL || str_eq(s, "auto"))
    {
      g->rootless_set = false;
      g->rootless = rootless_detect();
    }
  else if (str_eq(s, "true") || str_eq(s, "false"))
    {
      g->rootless_set = true;
      g->rootless = str_eq(s, "true");
    }
  else
    return berth_fail(err, 0, "invalid --rootless \"%s\": expected true, false or auto", s);
  return 0;
}

static int parse_cgroup_manager(const struct global_args *a, struct global_opts *g, berth_error_t *err)
{
  g->systemd_cgroup = a->systemd_cgroup;
  const char *m = a->cgroup_manager;
  if (m == NULL)
    g->cgroup_manager = a->systemd_cgroup ? CGROUP_MANAGER_SYSTEMD : CGROUP_MANAGER_CGROUPFS;
  else if (str_eq(m, "cgroupfs"))
    g->cgroup_manager = CGROUP_MANAGER_CGROUPFS;
  else if (str_eq(m, "systemd"))
    g->cgroup_manager = CGROUP_MANAGER_SYSTEMD;
  else if (str_eq(m, "disabled"))
    g->cgroup_manager = CGROUP_MANAGER_DISABLED;
  else
    return berth_fail(err, 0, "invalid --cgroup-manager \"%s\": expected cgroupfs, systemd or disabled", m);
  if (a->systemd_cgroup && g->cgroup_manager != CGROUP_MANAGER_SYSTEMD)
    return berth_fail(err, 0, "--systemd-cgroup conflicts with --cgroup-manager %s", m);
  return 0;
}

/* --max-layer-size: bytes with an optional K, M, G or T suffix (powers of 1024) */
static int parse_size(const char *s, unsigned long long *out, berth_error_t *err)
{
  *out = 0;
  if (!s)
    return 0;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  unsigned shift = 0;
  if (*end && !end[1])
    shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20 : *end == 'G' || *end == 'g' ? 30
          : *end == 'T' || *end == 't' ? 40 : 99;
  if (errno || end == s || *s == '-' || (*end && shift == 99) || v == 0 || (shift && v > (~0ull >> shift)))
    return berth_fail(err, 0, "invalid --max-layer-size \"%s\": a positive number of bytes, suffix K, M, G or T", s);
  *out = v << shift;
  return 0;
}

/* --root as an absolute path (commands may change directory), or the default */
static char *resolve_root(const char *root, bool rootless)
{
  if (root == NULL || *root == '\0')
    return state_default_root(rootless);
  if (root[0] == '/')
    return xstrdup(root);
  _cleanup_free_ char *cwd = get_current_dir_name();
  if (cwd == NULL)
    return xstrdup(root);
  return xasprintf("%s/%s", cwd, root);
}

/* The log is set up first so that every later error reaches the file too. */
static int setup_logging(const struct global_args *a, struct global_opts *g, berth_error_t *err)
{
  g->log_level = BERTH_LOG_WARNING;
  if (a->log_level && berth_log_level_parse(a->log_level, &g->log_level) < 0)
    return berth_fail(err, 0, "invalid --log-level \"%s\": expected error, warn, info or debug", a->log_level);
  g->debug = a->debug;
  if (a->debug)
    g->log_level = BERTH_LOG_DEBUG;
  if (parse_log_format(a->log_format, &g->log_format, err) < 0)
    return -1;
  g->log_path = a->log_path ? xstrdup(a->log_path) : NULL;
  return berth_log_init(g->log_path, g->log_format, g->log_level, err);
}

static int report(const char *command, berth_error_t err)
{
  const char *id = container_current_id();
  if (command && id)
    berth_log_error("%s %s: %s", command, id, berth_error_msg(err));
  else if (command)
    berth_log_error("%s: %s", command, berth_error_msg(err));
  else
    berth_log_error("%s", berth_error_msg(err));
  return 1;
}

static int run_help(const struct global_opts *g, const struct cli_option *opts, int argc, char **argv)
{
  if (argc == 0)
    {
      print_global_help(opts);
      return 0;
    }
  _cleanup_error_ berth_error_t err = NULL;
  const struct command *cmd = command_find(argv[0]);
  if (!cmd)
    {
      berth_fail(&err, 0, "unknown command \"%s\"; run 'berth --help' for the list", argv[0]);
      return report("help", err);
    }
  char help_arg[] = "--help";
  char *help_argv[] = {help_arg, NULL};
  if (cmd->run(g, 1, help_argv, &err) < 0)
    return report(cmd->name, err);
  return 0;
}

/* the command named by the first positional word, or help; argv is main's */
static int dispatch(const struct global_opts *g, const struct cli_option *opts, bool help, int npos, char **pos,
                    char **argv)
{
  if (help || npos == 0)
    return run_help(g, opts, 0, NULL);
  if (str_eq(pos[0], "help"))
    return run_help(g, opts, npos - 1, pos + 1);
  _cleanup_error_ berth_error_t err = NULL;
  const struct command *cmd = command_find(pos[0]);
  if (!cmd)
    {
      berth_fail(&err, 0, "unknown command \"%s\"; run 'berth --help' for the list", pos[0]);
      return report(NULL, err);
    }
  if (!g->root && !str_eq(cmd->name, "spec") && !str_eq(cmd->name, "features"))
    {
      berth_fail(&err, 0, "no state directory: XDG_RUNTIME_DIR is unset and /run/user/%u does not exist; "
                          "give one with --root DIR",
                 (unsigned) geteuid());
      return report(cmd->name, err);
    }
  if (cmd->needs_sealed_exe && sealed_reexec_unless_sealed(argv, &err) < 0)
    return report(cmd->name, err);
  int ret = cmd->run(g, npos - 1, pos + 1, &err);
  if (ret >= 0)
    return ret;
  report(cmd->name, err);
  return cli_failure_status();
}

int main(int argc, char **argv)
{
  struct global_args a = {0};
  const struct cli_option opts[] = {
    {"root", 0, CLI_STRING, &a.root, "DIR", "state directory (default /run/berth; rootless $XDG_RUNTIME_DIR/berth)"},
    {"log", 0, CLI_STRING, &a.log_path, "PATH", "also write messages to this file"},
    {"log-format", 0, CLI_STRING, &a.log_format, "text|json", "format of the --log file (default text)"},
    {"log-level", 0, CLI_STRING, &a.log_level, "LEVEL", "error, warn, info or debug (default warn)"},
    {"debug", 0, CLI_BOOL, &a.debug, NULL, "same as --log-level debug"},
    {"systemd-cgroup", 0, CLI_BOOL, &a.systemd_cgroup, NULL, "manage cgroups through systemd"},
    {"rootless", 0, CLI_STRING, &a.rootless, "true|false|auto", "rootless mode (default auto)"},
    {"cgroup-manager", 0, CLI_STRING, &a.cgroup_manager, "MANAGER", "cgroupfs, systemd or disabled"},
    {"storage-root", 0, CLI_STRING, &a.storage_root, "DIR", "the image layer store (default /var/lib/berth/layers)"},
    {"max-layer-size", 0, CLI_STRING, &a.max_layer_size, "SIZE", "cap on a layer's uncompressed size (default 10G)"},
    {"version", 'v', CLI_BOOL, &a.version, NULL, "print the version and exit"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  struct global_opts g = {0};
  _cleanup_error_ berth_error_t err = NULL;
  _cleanup_free_ char **pos = NULL;
  int npos = 0;
  bool help = false;

  if (cli_parse(argc - 1, argv + 1, opts, true, &help, &pos, &npos, &err) < 0)
    {
      berth_wrap(&err, "%s", "global options");
      report(NULL, err);
      fputs("Run 'berth --help' for usage.\n", stderr);
      return 1;
    }
  if (setup_logging(&a, &g, &err) < 0)
    return report(NULL, err);
  int ret;
  if (a.version)
    {
      print_version();
      ret = 0;
    }
  else if (parse_rootless(a.rootless, &g, &err) < 0 || parse_cgroup_manager(&a, &g, &err) < 0
           || parse_size(a.max_layer_size, &g.max_layer_size, &err) < 0)
    ret = report(NULL, err);
  else
    {
      g.root = resolve_root(a.root, g.rootless);
      g.storage_root = a.storage_root && *a.storage_root ? resolve_root(a.storage_root, g.rootless) : NULL;
      ret = dispatch(&g, opts, help, npos, pos, argv);
    }
  /* output that did not reach stdout is a failure, not a silent success */
  if ((fflush(stdout) != 0 || ferror(stdout)) && ret == 0)
    {
      berth_fail_sys(&err, "write to stdout");
      ret = report(NULL, err);
    }
  berth_log_phase("exit");
  free(g.root);
  free(g.storage_root);
  free(g.log_path);
  return ret;
}
