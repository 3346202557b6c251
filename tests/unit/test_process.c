/* process.c's pure parts: name tables and the executable lookup */
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/linux.h"
#include "spec/spec.h"
#include "tap.h"
#include "util/util.h"

static void test_tables(void)
{
  static const struct
  {
    const char *name;
    int value;
  } rl[] = {
    { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_DATA", RLIMIT_DATA },       { "RLIMIT_STACK", RLIMIT_STACK },
    { "RLIMIT_CORE", RLIMIT_CORE },       { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_AS", RLIMIT_AS },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS },     { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  };
  for (size_t i = 0; i < ARRAY_SIZE(rl); i++)
    is_int(process_rlimit_resource(rl[i].name), rl[i].value, "rlimit %s", rl[i].name);
  ok(ARRAY_SIZE(rl) == RLIM_NLIMITS, "every kernel rlimit is covered (%d)", (int) RLIM_NLIMITS);
  ok(process_rlimit_resource("RLIMIT_BOGUS") < 0, "unknown rlimit refused");
  ok(process_rlimit_resource("rlimit_nofile") < 0, "rlimit names are case-sensitive");

  is_int(process_sched_policy("SCHED_OTHER"), SCHED_OTHER, "SCHED_OTHER");
  is_int(process_sched_policy("SCHED_FIFO"), SCHED_FIFO, "SCHED_FIFO");
  is_int(process_sched_policy("SCHED_RR"), SCHED_RR, "SCHED_RR");
  is_int(process_sched_policy("SCHED_BATCH"), SCHED_BATCH, "SCHED_BATCH");
  is_int(process_sched_policy("SCHED_IDLE"), SCHED_IDLE, "SCHED_IDLE");
  is_int(process_sched_policy("SCHED_DEADLINE"), 6, "SCHED_DEADLINE");
  ok(process_sched_policy("SCHED_NOPE") < 0, "unknown policy refused");
  is_int(process_sched_flag("SCHED_FLAG_RESET_ON_FORK"), 0x01, "reset-on-fork flag");
  is_int(process_sched_flag("SCHED_FLAG_UTIL_CLAMP_MAX"), 0x40, "util clamp max flag");
  is_int(process_sched_flag("SCHED_FLAG_NOPE"), 0, "unknown flag is 0");
  is_int(process_ioprio_class("IOPRIO_CLASS_RT"), 1, "ioprio RT");
  is_int(process_ioprio_class("IOPRIO_CLASS_BE"), 2, "ioprio BE");
  is_int(process_ioprio_class("IOPRIO_CLASS_IDLE"), 3, "ioprio IDLE");
  ok(process_ioprio_class("IOPRIO_CLASS_NONE") < 0, "unknown ioprio class refused");
}

static char *top;

static void mkfile(const char *rel, mode_t mode)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", top, rel);
  int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, mode);
  if (fd >= 0)
    {
      fchmod(fd, mode);
      close(fd);
    }
}

static void mkd(const char *rel)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", top, rel);
  (void) !mkdir(p, 0755);
}

static void test_lookup(void)
{
  char tmpl[] = "/tmp/berth-test-process-XXXXXX";
  top = xstrdup(mkdtemp(tmpl));
  mkd("a");
  mkd("b");
  mkd("a/tool");     /* a directory named like the program: skipped */
  mkfile("a/prog", 0644); /* not executable: skipped */
  mkfile("b/prog", 0755);
  mkfile("b/tool", 0755);
  mkfile("plain", 0644);

  _cleanup_free_ char *path = xasprintf("%s/a:%s/b", top, top);
  _cleanup_free_ char *want_prog = xasprintf("%s/b/prog", top);
  _cleanup_free_ char *want_tool = xasprintf("%s/b/tool", top);
  berth_error_t err = NULL;
  char *got = NULL;

  ok(process_lookup_path("prog", path, &got, &err) == 0, "prog found");
  is_str(got, want_prog, "non-executable earlier match is skipped");
  free(got);
  got = NULL;
  ok(process_lookup_path("tool", path, &got, &err) == 0, "tool found");
  is_str(got, want_tool, "directory earlier in PATH is skipped");
  free(got);
  got = NULL;

  int r = process_lookup_path("nothere", path, &got, &err);
  ok(r < 0 && str_eq(berth_error_msg(err), "exec: \"nothere\": executable file not found in $PATH"),
     "miss: exact error text");
  if (r == 0 || !strstr(berth_error_msg(err), "not found"))
    printf("#   %s\n", berth_error_msg(err));
  berth_error_free(&err);

  r = process_lookup_path("/nonexistent/x", path, &got, &err);
  ok(r < 0 && str_eq(berth_error_msg(err), "exec: \"/nonexistent/x\": no such file or directory"),
     "missing absolute path: exact error text");
  berth_error_free(&err);

  _cleanup_free_ char *plain = xasprintf("%s/plain", top);
  r = process_lookup_path(plain, path, &got, &err);
  ok(r < 0 && strstr(berth_error_msg(err), "permission denied"), "non-executable path refused");
  berth_error_free(&err);

  _cleanup_free_ char *adir = xasprintf("%s/a", top);
  r = process_lookup_path(adir, path, &got, &err);
  ok(r < 0 && strstr(berth_error_msg(err), "is a directory"), "directory refused");
  berth_error_free(&err);

  ok(process_lookup_path(want_prog, NULL, &got, &err) == 0 && str_eq(got, want_prog),
     "path with a slash is used as is");
  free(got);
  got = NULL;

  /* through the spec process: PATH from env, the last PATH= wins */
  _cleanup_free_ char *env0 = xstrdup("PATH=/nonexistent");
  _cleanup_free_ char *env1 = xasprintf("PATH=%s/b", top);
  _cleanup_free_ char *arg0 = xstrdup("prog");
  char *env[] = { env0, env1, NULL };
  char *args[] = { arg0, NULL };
  struct spec_process p = { .args = args, .n_args = 1, .env = env, .n_env = 2 };
  ok(process_find_executable(&p, &got, &err) == 0 && str_eq(got, want_prog), "PATH from process.env");
  free(got);
  got = NULL;

  _cleanup_free_ char *sh = xstrdup("sh");
  char *args_sh[] = { sh, NULL };
  struct spec_process q = { .args = args_sh, .n_args = 1 };
  ok(process_find_executable(&q, &got, &err) == 0 && got && str_has_prefix(got, "/")
         && strstr(got, "bin/sh"),
     "no PATH in env: the default PATH finds sh (%s)", got ? got : "none");
  free(got);
  got = NULL;

  char *no_args[] = { NULL };
  struct spec_process e = { .args = no_args };
  r = process_find_executable(&e, &got, &err);
  is_err(r, err, "must not be empty", "empty args refused");
  berth_error_free(&err);

  _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", top);
  (void) !system(cmd);
}

int main(void)
{
  test_tables();
  test_lookup();
  return tap_done();
}
