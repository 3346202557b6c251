/* Pure pieces of the lifecycle: signal names, wait statuses, pid file
 * text, environment edits, hook argv/env, and the hook runner itself
 * (fork+exec of /bin/sh, no root needed). */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/notify.h"
#include "runtime/signals.h"
#include "tap.h"
#include "util/util.h"

static int sig_of(const char *s)
{
  int v = -1;
  berth_error_t err = NULL;
  if (signal_parse(s, &v, &err) < 0)
    v = -1;
  berth_error_free(&err);
  return v;
}

static void test_signal_parse(void)
{
  is_int(sig_of("TERM"), SIGTERM, "TERM");
  is_int(sig_of("SIGTERM"), SIGTERM, "SIGTERM");
  is_int(sig_of("sigkill"), SIGKILL, "sigkill (case-insensitive)");
  is_int(sig_of("Hup"), SIGHUP, "Hup");
  is_int(sig_of("9"), SIGKILL, "9");
  is_int(sig_of("15"), SIGTERM, "15");
  is_int(sig_of("64"), 64, "64 (SIGRTMAX)");
  is_int(sig_of("USR1"), SIGUSR1, "USR1");
  is_int(sig_of("SIGWINCH"), SIGWINCH, "SIGWINCH");
  is_int(sig_of("RTMIN"), 32, "RTMIN is the kernel's 32");
  is_int(sig_of("SIGRTMIN+3"), 35, "SIGRTMIN+3");
  is_int(sig_of("rtmax-2"), 62, "rtmax-2");
  is_int(sig_of("RTMIN+40"), -1, "RTMIN+40 out of range");
  is_int(sig_of("0"), 0, "0 (an existence check) accepted");
  is_int(sig_of("SIG0"), -1, "SIG0 rejected");
  is_int(sig_of("65"), -1, "65 rejected");
  is_int(sig_of("-9"), -1, "-9 rejected");
  is_int(sig_of("9x"), -1, "9x rejected");
  is_int(sig_of("SIG"), -1, "bare SIG rejected");
  is_int(sig_of("FOO"), -1, "unknown name rejected");
  is_int(sig_of(""), -1, "empty rejected");
  berth_error_t err = NULL;
  int v;
  signal_parse("NOPE", &v, &err);
  ok(err && strstr(berth_error_msg(err), "NOPE") != NULL, "error names the bad signal: %s", berth_error_msg(err));
  berth_error_free(&err);
  is_str(signal_name(SIGKILL), "SIGKILL", "signal_name 9");
  is_str(signal_name(34), "SIGRTMIN+2", "signal_name 34");
  ok(signal_name(0) == NULL, "signal_name 0 is NULL");
}

static void test_wait_status(void)
{
  is_int(wait_status_to_exit_code(3 << 8), 3, "exit 3 -> 3");
  is_int(wait_status_to_exit_code(0), 0, "exit 0 -> 0");
  is_int(wait_status_to_exit_code(SIGKILL), 137, "SIGKILL -> 137");
  is_int(wait_status_to_exit_code(SIGTERM | 0x80), 143, "SIGTERM with core -> 143");
}

static void test_pidfile(void)
{
  _cleanup_free_ char *a = pidfile_content(12345);
  is_str(a, "12345", "pid file has no newline");
  _cleanup_free_ char *b = pidfile_content(1);
  is_str(b, "1", "pid 1");
}

static void test_env_set(void)
{
  char *env[] = {"PATH=/bin", "LISTEN_FDS=9", "HOME=/", "LISTEN_FDS=7", NULL};
  _cleanup_strv_ char **e = env_set(env, "LISTEN_FDS", "2");
  is_int(strv_len(e), 3, "duplicate key collapsed");
  is_str(e[1], "LISTEN_FDS=2", "replaced in place");
  _cleanup_strv_ char **f = env_set(NULL, "LISTEN_PID", "1");
  is_int(strv_len(f), 1, "added to an empty env");
  is_str(f[0], "LISTEN_PID=1", "added");
  char *g[] = {"LISTEN_FDSX=1", NULL};
  _cleanup_strv_ char **h = env_set(g, "LISTEN_FDS", "1");
  is_int(strv_len(h), 2, "a longer key with the same prefix is another key");
}

static void test_hook_argv_env(void)
{
  char *args[] = {"name0", "a", "b", NULL};
  char *env[] = {"X=1", NULL};
  struct spec_hook h = {.path = "/bin/hook", .args = args, .env = env};
  _cleanup_strv_ char **a = hook_build_argv(&h);
  is_int(strv_len(a), 3, "argv as given");
  is_str(a[0], "name0", "args[0] is argv[0], not the path");
  char *inherited[] = {"PATH=/usr/bin", "BERTH_X=1", NULL};
  _cleanup_strv_ char **e = hook_build_env(&h, inherited);
  is_int(strv_len(e), 1, "env as given");
  struct spec_hook bare = {.path = "/bin/hook"};
  _cleanup_strv_ char **a2 = hook_build_argv(&bare);
  is_int(strv_len(a2), 1, "no args: argv is the path");
  is_str(a2[0], "/bin/hook", "argv[0] = path");
  _cleanup_strv_ char **e2 = hook_build_env(&bare, inherited);
  is_int(strv_len(e2), 2, "no env: berth's own environment");
  is_str(e2[0], "PATH=/usr/bin", "inherited PATH");
  char *none[] = {NULL};
  struct spec_hook empty = {.path = "/bin/hook", .env = none};
  _cleanup_strv_ char **e3 = hook_build_env(&empty, inherited);
  ok(e3 && e3[0] == NULL, "env: [] is an empty environment");
}

static int run_sh(const char *script, spec_opt_i64 timeout, bool warn_only, berth_error_t *err)
{
  char *args[] = {"sh", "-c", (char *) script, NULL};
  char *env[] = {"HOOKVAR=v1", NULL};
  struct spec_hook h = {.path = "/bin/sh", .args = args, .env = env, .timeout = timeout};
  struct spec_hook_list l = {.hooks = &h, .n = 1};
  static const char json[] = "{\"id\":\"x\"}";
  return hooks_run(&l, "prestart", json, sizeof json - 1, warn_only, err);
}

static void test_hooks_run(void)
{
  spec_opt_i64 none = {0};
  berth_error_t err = NULL;
  char tmpl[] = "/tmp/berth-hooktest-XXXXXX";
  ok(mkdtemp(tmpl) != NULL, "tmpdir");
  _cleanup_free_ char *script = xasprintf("cat > %s/in; echo \"$HOOKVAR $0 $#\" > %s/env; "
                                          "ls /proc/self/fd > %s/fds", tmpl, tmpl, tmpl);
  is_int(run_sh(script, none, false, &err), 0, "hook succeeds");
  _cleanup_free_ char *p_in = xasprintf("%s/in", tmpl), *p_env = xasprintf("%s/env", tmpl),
                      *p_fds = xasprintf("%s/fds", tmpl);
  _cleanup_free_ char *in = NULL, *envs = NULL, *fds = NULL;
  size_t len;
  read_file_at(AT_FDCWD, p_in, 4096, &in, &len, &err);
  read_file_at(AT_FDCWD, p_env, 4096, &envs, &len, &err);
  read_file_at(AT_FDCWD, p_fds, 4096, &fds, &len, &err);
  is_str(in, "{\"id\":\"x\"}", "state JSON on stdin");
  is_str(envs, "v1 sh 0\n", "env and argv as configured");
  /* ls sees 0 1 2 and its own directory fd 3, nothing of ours */
  is_str(fds, "0\n1\n2\n3\n", "only stdio reaches the hook");
  berth_error_free(&err);

  int leak = open("/dev/null", O_RDONLY); /* not CLOEXEC: must still not leak */
  _cleanup_free_ char *s2 = xasprintf("ls /proc/self/fd > %s/fds2", tmpl);
  run_sh(s2, none, false, &err);
  _cleanup_free_ char *p2 = xasprintf("%s/fds2", tmpl), *fds2 = NULL;
  read_file_at(AT_FDCWD, p2, 4096, &fds2, &len, &err);
  is_str(fds2, "0\n1\n2\n3\n", "an inherited non-CLOEXEC fd is closed too");
  close(leak);
  berth_error_free(&err);

  is_int(run_sh("echo oops >&2; exit 3", none, false, &err) < 0, 1, "non-zero exit fails");
  ok(err && strstr(berth_error_msg(err), "exited with status 3") && strstr(berth_error_msg(err), "oops"),
     "error has status and output: %s", berth_error_msg(err));
  berth_error_free(&err);

  is_int(run_sh("exit 1", none, true, &err), 0, "warn_only: failure is not an error");
  ok(err == NULL, "warn_only leaves err unset");

  spec_opt_i64 one = {true, 1};
  is_int(run_sh("sleep 5", one, false, &err) < 0, 1, "timeout fails");
  ok(err && strstr(berth_error_msg(err), "timed out"), "timeout message: %s", berth_error_msg(err));
  berth_error_free(&err);

  is_int(run_sh("kill -9 $$", none, false, &err) < 0, 1, "killed hook fails");
  ok(err && strstr(berth_error_msg(err), "SIGKILL"), "names the signal: %s", berth_error_msg(err));
  berth_error_free(&err);

  /* a hook that never reads a large stdin must not hang or kill us (SIGPIPE) */
  size_t big = 1 << 20;
  char *json = xmalloc(big);
  memset(json, ' ', big);
  char *args[] = {"sh", "-c", "exit 0", NULL};
  struct spec_hook h = {.path = "/bin/sh", .args = args};
  struct spec_hook_list l = {.hooks = &h, .n = 1};
  is_int(hooks_run(&l, "poststop", json, big, false, &err), 0, "unread 1 MiB stdin");
  free(json);

  struct spec_hook missing = {.path = "/nonexistent/hook"};
  struct spec_hook_list lm = {.hooks = &missing, .n = 1};
  is_int(hooks_run(&lm, "createRuntime", "{}", 2, false, &err) < 0, 1, "missing hook fails");
  ok(err && strstr(berth_error_msg(err), "/nonexistent/hook") && strstr(berth_error_msg(err), "createRuntime"),
     "names stage and path: %s", berth_error_msg(err));
  berth_error_free(&err);

  _cleanup_free_ char *rm = xasprintf("rm -rf %s", tmpl);
  (void) !system(rm);
}

static bool ready(const char *m)
{
  return notify_message_is_ready(m, strlen(m));
}

static void test_notify_ready(void)
{
  ok(ready("READY=1"), "READY=1 alone");
  ok(ready("STATUS=up\nREADY=1\n"), "READY=1 on a later line");
  ok(ready("READY=1\nMAINPID=7"), "READY=1 with MAINPID");
  ok(!ready("READY=0"), "READY=0 is not ready");
  ok(!ready("READY=10"), "READY=10 is not ready");
  ok(!ready("XREADY=1"), "a line must be exactly READY=1");
  ok(!ready("STATUS=READY=1"), "not inside another line");
  ok(!ready(""), "empty");
  ok(!notify_message_is_ready("READY=1", 6), "the length is honoured");
}

/* --preserve-fds N with LISTEN_FDS/LISTEN_PID in the environment */
static void preserve_with(const char *fds, const char *pid, long long preserve, int want_preserve, int want_listen,
                          const char *name)
{
  if (fds)
    setenv("LISTEN_FDS", fds, 1);
  else
    unsetenv("LISTEN_FDS");
  if (pid)
    setenv("LISTEN_PID", pid, 1);
  else
    unsetenv("LISTEN_PID");
  struct create_options o = {0};
  berth_error_t err = NULL;
  is_int(create_options_set_preserve_fds(&o, preserve, &err), 0, "%s: accepted", name);
  is_int(o.preserve_fds, want_preserve, "%s: preserved fds", name);
  is_int(o.listen_fds, want_listen, "%s: LISTEN_FDS", name);
  berth_error_free(&err);
}

static void test_listen_fds(void)
{
  _cleanup_free_ char *me = xasprintf("%d", (int) getpid());
  preserve_with(NULL, NULL, 2, 2, 0, "no socket activation");
  preserve_with("1", "1", 2, 2, 1, "engine: LISTEN_FDS among the preserved fds");
  preserve_with("3", "1", 2, 2, 0, "LISTEN_FDS above --preserve-fds is not the count");
  preserve_with("2", me, 0, 2, 2, "systemd activated us: its fds are passed");
  preserve_with("2", "1", 0, 0, 0, "another process's LISTEN_FDS: nothing passed");
  preserve_with("2", NULL, 0, 0, 0, "no LISTEN_PID: nothing passed");
  preserve_with("x", me, 0, 0, 0, "LISTEN_FDS not a number");
  preserve_with("0", me, 0, 0, 0, "LISTEN_FDS=0");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_PID");
}

int main(void)
{
  test_notify_ready();
  test_listen_fds();
  test_signal_parse();
  test_wait_status();
  test_pidfile();
  test_env_set();
  test_hook_argv_env();
  test_hooks_run();
  return tap_done();
}
