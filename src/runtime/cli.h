/* The command line: Go-style flags as runc accepts them (--flag v,
 * --flag=v, -flag v, -flag=v, and one-letter -f v), a global option block
 * before the command, then the command's own options and positionals.
 * Each command lives in its own cmd_<name>.c and is registered in
 * commands.c. */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"
#include "util/log.h"

enum cgroup_manager
{
  CGROUP_MANAGER_CGROUPFS = 0,
  CGROUP_MANAGER_SYSTEMD,
  CGROUP_MANAGER_DISABLED,
};

struct global_opts
{
  char *root; /* state root; resolved default filled in by main */
  char *log_path;
  enum berth_log_format log_format;
  enum berth_log_level log_level;
  bool debug;
  bool systemd_cgroup;
  bool rootless_set;
  bool rootless;
  enum cgroup_manager cgroup_manager;
  char *storage_root;              /* --storage-root: the layer store (NULL: the default) */
  unsigned long long max_layer_size; /* --max-layer-size in bytes (0: the default, 10 GiB) */
};

enum cli_opt_kind
{
  CLI_BOOL,   /* bool *; accepts --x, --x=true/false */
  CLI_STRING, /* char ** (points into argv; do not free) */
  CLI_INT,    /* long long * */
  CLI_STRV,   /* struct cli_strv *: repeatable */
};

struct cli_strv
{
  const char **v; /* NULL-terminated, allocated by the parser, free with free() */
  size_t n;
};

struct cli_option
{
  const char *name;  /* long name without dashes: "bundle" */
  char short_name;   /* 'b', or 0 */
  enum cli_opt_kind kind;
  void *target;
  const char *arg_name; /* for --help: "PATH" */
  const char *help;
};

/* Parse options in argv[0..argc) (argv[0] is the first word after the
 * command name). Options and positionals may be interleaved; "--" ends
 * options; with stop_at_positional, the first positional ends options
 * (for `exec ID CMD -x`). Positionals are collected in order into
 * *positional (a NULL-terminated array pointing into argv, caller frees
 * the array). --help/-h sets *help. An unknown option is an error naming it. */
int cli_parse(int argc, char **argv, const struct cli_option *opts, bool stop_at_positional,
              bool *help, char ***positional, int *n_positional, berth_error_t *err);

/* Print "Usage: berth NAME SYNOPSIS\n\nDESCRIPTION\n\nOptions:\n..." to stdout. */
void cli_print_help(const char *name, const char *synopsis, const char *description,
                    const struct cli_option *opts);

/* What a command's --help prints and how many positionals it takes. */
struct cli_usage
{
  const char *name;
  const char *synopsis;
  const char *description;
  int min_args;
  int max_args; /* -1: no limit */
  const char *args; /* for the arity error: "exactly one container ID" */
  bool stop_at_positional;
};

/* cli_parse() plus --help and the positional count. Returns 1 to go on,
 * 0 when the help was printed (the command then returns 0), < 0 on error:
 *     int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
 *     if (parsed <= 0)
 *       return parsed; */
int cli_parse_command(const struct cli_usage *u, const struct cli_option *opts, int argc, char **argv,
                      char ***positional, int *n_positional, berth_error_t *err);

struct command
{
  const char *name;
  const char *summary; /* one line for `berth --help` */
  /* argv[0] is the first word after the command name. Returns the process
   * exit status; on error it fills err and returns < 0 (main prints the
   * error as "berth: <command> [<id>]: <message>" and exits 1, or with
   * cli_failure_status()). */
  int (*run)(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
  /* it clones container processes: main re-execs a sealed copy of berth
   * before running it (sealed.h) */
  bool needs_sealed_exe;
};

extern const struct command berth_commands[];

/* The exit status of a command that fails (returns < 0): 1, unless the
 * command chose another once its arguments were parsed (exec: 255, as
 * runc, whose status containerd and conmon read). */
void cli_set_failure_status(int status);
int cli_failure_status(void);

const struct command *command_find(const char *name);

#endif
