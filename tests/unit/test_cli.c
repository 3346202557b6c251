/* cli_parse: every Go-style spelling runc accepts, and the errors. */
#include <stdlib.h>

#include "runtime/cli.h"
#include "tap.h"
#include "util/util.h"

struct opts
{
  const char *bundle;
  const char *pid_file;
  bool detach;
  bool no_subreaper;
  long long preserve_fds;
  struct cli_strv env;
};

static struct opts o;
static bool help;
static char **pos;
static int npos;
static berth_error_t err;

static const struct cli_option table[] = {
  {"bundle", 'b', CLI_STRING, &o.bundle, "DIR", "bundle"},
  {"pid-file", 0, CLI_STRING, &o.pid_file, "PATH", "pid file"},
  {"detach", 'd', CLI_BOOL, &o.detach, NULL, "detach"},
  {"no-subreaper", 0, CLI_BOOL, &o.no_subreaper, NULL, "no subreaper"},
  {"preserve-fds", 0, CLI_INT, &o.preserve_fds, "N", "fds"},
  {"env", 'e', CLI_STRV, &o.env, "K=V", "env"},
  {NULL, 0, 0, NULL, NULL, NULL},
};

static void reset(void)
{
  free(o.env.v);
  memset(&o, 0, sizeof o);
  free(pos);
  pos = NULL;
  npos = 0;
  help = false;
  berth_error_free(&err);
}

/* parse a NULL-terminated list of words; argv is copied because the
 * parser keeps pointers into it */
static int parse_words(bool stop_at_positional, const char *const *words)
{
  static char *argv[32];
  int argc = 0;
  for (; words[argc]; argc++)
    argv[argc] = (char *) words[argc];
  argv[argc] = NULL;
  reset();
  return cli_parse(argc, argv, table, stop_at_positional, &help, &pos, &npos, &err);
}

/* the parse must run before is_err() looks at err */
static void expect_err(int ret, const char *text, const char *name)
{
  is_err(ret, err, text, "%s", name);
}

#define PARSE(...) parse_words(false, (const char *const[]){__VA_ARGS__, NULL})
#define PARSE_STOP(...) parse_words(true, (const char *const[]){__VA_ARGS__, NULL})

static void test_string_spellings(void)
{
  const char *const spellings[][3] = {
    {"--bundle", "/b", NULL}, {"--bundle=/b", NULL, NULL}, {"-bundle", "/b", NULL},
    {"-bundle=/b", NULL, NULL}, {"-b", "/b", NULL},        {"-b=/b", NULL, NULL},
  };
  for (size_t i = 0; i < ARRAY_SIZE(spellings); i++)
    {
      int ret = spellings[i][1] ? PARSE(spellings[i][0], spellings[i][1], "c1") : PARSE(spellings[i][0], "c1");
      ok(ret == 0 && str_eq(o.bundle, "/b") && npos == 1 && str_eq(pos[0], "c1"), "string option as %s%s%s",
         spellings[i][0], spellings[i][1] ? " " : "", spellings[i][1] ? spellings[i][1] : "");
    }
  ok(PARSE("--bundle=") == 0 && str_eq(o.bundle, ""), "--bundle= gives an empty value");
  ok(PARSE("--bundle=a=b") == 0 && str_eq(o.bundle, "a=b"), "value may contain '='");
  ok(PARSE("--bundle", "-x") == 0 && str_eq(o.bundle, "-x"), "a separate value may start with '-'");
  ok(PARSE("--pid-file", "/p", "--pid-file", "/q") == 0 && str_eq(o.pid_file, "/q"), "last one wins");
}

static void test_bools(void)
{
  ok(PARSE("--detach") == 0 && o.detach, "--detach");
  ok(PARSE("-d") == 0 && o.detach, "-d");
  ok(PARSE("-detach") == 0 && o.detach, "-detach");
  ok(PARSE("-no-subreaper") == 0 && o.no_subreaper, "-no-subreaper (containerd's spelling)");
  ok(PARSE("--detach=true") == 0 && o.detach, "--detach=true");
  ok(PARSE("--detach=false") == 0 && !o.detach, "--detach=false");
  ok(PARSE("--detach=1") == 0 && o.detach, "--detach=1");
  ok(PARSE("--detach=0") == 0 && !o.detach, "--detach=0");
  ok(PARSE("--detach", "false") == 0 && o.detach && npos == 1 && str_eq(pos[0], "false"),
     "a bool never takes the next word as its value");
  expect_err(PARSE("--detach=maybe"), "invalid boolean value \"maybe\" for --detach", "bad bool value");
}

static void test_int_and_repeated(void)
{
  ok(PARSE("--preserve-fds", "3") == 0 && o.preserve_fds == 3, "--preserve-fds 3");
  ok(PARSE("--preserve-fds=-1") == 0 && o.preserve_fds == -1, "--preserve-fds=-1");
  expect_err(PARSE("--preserve-fds", "x3"), "expected an integer", "non-integer rejected");
  expect_err(PARSE("--preserve-fds="), "expected an integer", "empty integer rejected");
  ok(PARSE("-e", "A=1", "--env", "B=2", "--env=C=3", "-env", "D=4") == 0 && o.env.n == 4
         && str_eq(o.env.v[0], "A=1") && str_eq(o.env.v[1], "B=2") && str_eq(o.env.v[2], "C=3")
         && str_eq(o.env.v[3], "D=4") && o.env.v[4] == NULL,
     "repeated option collects every value in order, NULL-terminated");
  ok(PARSE("c1") == 0 && o.env.n == 0 && o.env.v == NULL, "no repeated option: empty");
}

static void test_positionals(void)
{
  ok(PARSE("a", "--detach", "b", "-b", "/x", "c") == 0 && npos == 3 && str_eq(pos[0], "a") && str_eq(pos[1], "b")
         && str_eq(pos[2], "c") && pos[3] == NULL && o.detach && str_eq(o.bundle, "/x"),
     "options and positionals interleave");
  ok(PARSE("--detach", "--", "--bundle", "-x") == 0 && npos == 2 && str_eq(pos[0], "--bundle") && str_eq(pos[1], "-x")
         && o.bundle == NULL,
     "-- ends options");
  ok(PARSE("-") == 0 && npos == 1 && str_eq(pos[0], "-"), "a lone '-' is a positional");
  ok(PARSE_STOP("--detach", "c1", "sh", "-c", "--bundle") == 0 && o.detach && npos == 4 && str_eq(pos[1], "sh")
         && str_eq(pos[2], "-c") && str_eq(pos[3], "--bundle") && o.bundle == NULL,
     "stop_at_positional: words after the first positional are left alone");
  ok(PARSE_STOP("c1", "--", "x") == 0 && npos == 3 && str_eq(pos[1], "--"),
     "stop_at_positional keeps a later -- as a word");
  ok(parse_words(false, (const char *const[]){NULL}) == 0 && npos == 0 && pos && pos[0] == NULL, "no words: empty NULL-terminated array");
}

static void test_help_and_errors(void)
{
  ok(PARSE("--help") == 0 && help, "--help");
  ok(PARSE("-h") == 0 && help, "-h");
  ok(PARSE("-help") == 0 && help, "-help");
  ok(PARSE("c1") == 0 && !help, "no help requested");
  expect_err(PARSE("--nope"), "unknown option --nope", "unknown long option named");
  expect_err(PARSE("-x"), "unknown option -x", "unknown short option named");
  expect_err(PARSE("--nope=3"), "unknown option --nope", "unknown option with value named without it");
  ok(err && !strstr(err->msg, "=3"), "the value is not part of the name");
  expect_err(PARSE("c1", "--bundle"), "option --bundle needs a value", "missing value at the end");
  expect_err(PARSE("-b"), "needs a value", "missing value for a short option");
  expect_err(PARSE("--pid-file"), "needs a value", "missing value for --pid-file");
  ok(PARSE("--bundle", "--detach") == 0 && str_eq(o.bundle, "--detach") && !o.detach,
     "the word after a string option is its value even if it looks like an option (as Go does)");
}

int main(void)
{
  test_string_spellings();
  test_bools();
  test_int_and_repeated();
  test_positionals();
  test_help_and_errors();
  reset();
  return tap_done();
}
