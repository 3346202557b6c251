#include "runtime/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static const struct cli_option *find_long(const struct cli_option *opts, const char *name, size_t len)
{
  for (const struct cli_option *o = opts; o && o->name; o++)
    if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
      return o;
  return NULL;
}

static const struct cli_option *find_short(const struct cli_option *opts, char c)
{
  for (const struct cli_option *o = opts; o && o->name; o++)
    if (o->short_name && o->short_name == c)
      return o;
  return NULL;
}

static int parse_bool_value(const char *v, bool *out)
{
  if (str_eq(v, "true") || str_eq(v, "1") || str_eq(v, "t") || str_eq(v, "TRUE") || str_eq(v, "True"))
    *out = true;
  else if (str_eq(v, "false") || str_eq(v, "0") || str_eq(v, "f") || str_eq(v, "FALSE") || str_eq(v, "False"))
    *out = false;
  else
    return -1;
  return 0;
}

static void strv_push(struct cli_strv *s, const char *v)
{
  s->v = xreallocarray(s->v, s->n + 2, sizeof *s->v);
  s->v[s->n++] = v;
  s->v[s->n] = NULL;
}

static int apply_option(const struct cli_option *o, const char *spelled, const char *value,
                        berth_error_t *err)
{
  switch (o->kind)
    {
    case CLI_BOOL:
      if (value == NULL)
        *(bool *) o->target = true;
      else if (parse_bool_value(value, o->target) < 0)
        return berth_fail(err, 0, "invalid boolean value \"%s\" for %s", value, spelled);
      return 0;
    case CLI_STRING:
      *(const char **) o->target = value;
      return 0;
    case CLI_INT:
      {
        long long v;
        if (parse_int64(value, &v) < 0)
          return berth_fail(err, 0, "invalid value \"%s\" for %s: expected an integer", value, spelled);
        *(long long *) o->target = v;
        return 0;
      }
    case CLI_STRV:
      strv_push(o->target, value);
      return 0;
    }
  return berth_fail(err, 0, "internal: bad option kind for %s", spelled);
}

int cli_parse(int argc, char **argv, const struct cli_option *opts, bool stop_at_positional,
              bool *help, char ***positional, int *n_positional, berth_error_t *err)
{
  _cleanup_free_ char **pos = xcalloc((size_t) argc + 1, sizeof *pos);
  int npos = 0;
  bool options_done = false;
  *help = false;

  for (int i = 0; i < argc; i++)
    {
      char *arg = argv[i];
      if (options_done || arg[0] != '-' || arg[1] == '\0')
        {
          pos[npos++] = arg;
          if (stop_at_positional)
            options_done = true;
          continue;
        }
      if (strcmp(arg, "--") == 0)
        {
          options_done = true;
          continue;
        }
      const char *name = arg + (arg[1] == '-' ? 2 : 1);
      const char *eq = strchr(name, '=');
      size_t name_len = eq ? (size_t) (eq - name) : strlen(name);
      const struct cli_option *o = find_long(opts, name, name_len);
      if (!o && name_len == 1 && arg[1] != '-')
        o = find_short(opts, name[0]);
      if (!o)
        {
          if ((name_len == 4 && strncmp(name, "help", 4) == 0) || (name_len == 1 && name[0] == 'h'))
            {
              *help = true;
              continue;
            }
          return berth_fail(err, 0, "unknown option %.*s", (int) (name - arg + name_len), arg);
        }
      const char *value = eq ? eq + 1 : NULL;
      _cleanup_free_ char *spelled = xstrndup(arg, (size_t) (name - arg) + name_len);
      if (!value && o->kind != CLI_BOOL)
        {
          if (i + 1 >= argc)
            return berth_fail(err, 0, "option %s needs a value", spelled);
          value = argv[++i];
        }
      if (apply_option(o, spelled, value, err) < 0)
        return -1;
    }
  pos[npos] = NULL;
  *n_positional = npos;
  *positional = steal_pointer(&pos);
  return 0;
}

void cli_print_help(const char *name, const char *synopsis, const char *description,
                    const struct cli_option *opts)
{
  printf("Usage: berth %s %s\n\n%s\n", name, synopsis, description);
  if (opts && opts->name)
    {
      printf("\nOptions:\n");
      for (const struct cli_option *o = opts; o->name; o++)
        {
          char left[96];
          if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->arg_name ? " " : "",
                     o->arg_name ? o->arg_name : "");
          else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg_name ? " " : "",
                     o->arg_name ? o->arg_name : "");
          printf("  %-34s %s\n", left, o->help ? o->help : "");
        }
    }
  printf("  %-34s %s\n", "-h, --help", "show this help");
}

int cli_parse_command(const struct cli_usage *u, const struct cli_option *opts, int argc, char **argv,
                      char ***positional, int *n_positional, berth_error_t *err)
{
  bool help;
  if (cli_parse(argc, argv, opts, u->stop_at_positional, &help, positional, n_positional, err) < 0)
    return -1;
  if (help)
    {
      cli_print_help(u->name, u->synopsis, u->description, opts);
      return 0;
    }
  int n = *n_positional;
  if (u->max_args == 0 && n > 0)
    return berth_fail(err, 0, "unexpected argument \"%s\"", (*positional)[0]);
  if (n < u->min_args || (u->max_args >= 0 && n > u->max_args))
    return berth_fail(err, 0, "expected %s, got %d arguments", u->args, n);
  return 1;
}

static int failure_status = 1;

void cli_set_failure_status(int status)
{
  failure_status = status;
}

int cli_failure_status(void)
{
  return failure_status;
}

const struct command *command_find(const char *name)
{
  for (const struct command *c = berth_commands; c->name; c++)
    if (strcmp(c->name, name) == 0)
      return c;
  return NULL;
}
