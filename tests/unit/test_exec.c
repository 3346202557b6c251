/* exec's pure part: -u parsing, the environment merge, options -> process,
 * --process files; and spawn.c's fd closing and environment (in a forked
 * child, no root needed). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/exec.h"
#include "runtime/spawn.h"
#include "tap.h"
#include "util/util.h"

static void test_parse_user(void)
{
  uint32_t uid = 99, gid = 99;
  bool gid_set = true;
  berth_error_t err = NULL;
  is_int(exec_parse_user("1", &uid, &gid, &gid_set, &err), 0, "-u 1");
  is_int(uid, 1, "uid 1");
  ok(!gid_set, "no gid given");
  is_int(gid, 99, "gid untouched");
  is_int(exec_parse_user("1000:2000", &uid, &gid, &gid_set, &err), 0, "-u 1000:2000");
  is_int(uid, 1000, "uid 1000");
  is_int(gid, 2000, "gid 2000");
  ok(gid_set, "gid given");
  is_int(exec_parse_user("0:0", &uid, &gid, &gid_set, &err), 0, "-u 0:0");
  is_int(exec_parse_user("2147483647", &uid, &gid, &gid_set, &err), 0, "-u 2^31-1");
  const char *bad[] = {"",   "root", "1:",   ":2",  "1:2:3", "-1", "+1",
                       " 1", "1 ",   "0x10", "1:g", "2147483648", "99999999999999999999", "nobody:1"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    {
      is_err(exec_parse_user(bad[i], &uid, &gid, &gid_set, &err), err, "invalid --user", "-u \"%s\" rejected",
             bad[i]);
      berth_error_free(&err);
    }
}

static void test_env_merge(void)
{
  char *base[] = {"PATH=/bin", "A=1", "B=2", "A=dup", "NOEQ", NULL};
  const char *over[] = {"B=3", "C=4", "A=5", "C=6", "NOEQ=x", NULL};
  _cleanup_strv_ char **m = exec_env_merge(base, over);
  is_int(strv_len(m), 5, "5 entries");
  is_str(m[0], "PATH=/bin", "PATH kept in place");
  is_str(m[1], "A=5", "A replaced in place (duplicate in the base dropped)");
  is_str(m[2], "B=3", "B replaced");
  is_str(m[3], "NOEQ=x", "a key without '=' replaced");
  is_str(m[4], "C=6", "C appended, the later override wins");
  _cleanup_strv_ char **e = exec_env_merge(NULL, NULL);
  ok(e && e[0] == NULL, "empty merge is an empty list");
  _cleanup_strv_ char **k = exec_env_merge(base, NULL);
  is_int(strv_len(k), 4, "no overrides: base without duplicates");
}

static struct spec_process *container_process(void)
{
  const char *json = "{\"terminal\": true, \"user\": {\"uid\": 5, \"gid\": 6, \"additionalGids\": [7]},"
                     " \"args\": [\"sleep\", \"100\"], \"env\": [\"PATH=/bin\", \"TERM=xterm\", \"X=1\"],"
                     " \"cwd\": \"/\", \"capabilities\": {\"bounding\": [\"CAP_CHOWN\"],"
                     " \"effective\": [\"CAP_CHOWN\"], \"permitted\": [\"CAP_CHOWN\"],"
                     " \"inheritable\": [\"CAP_CHOWN\"], \"ambient\": [\"CAP_CHOWN\"]},"
                     " \"noNewPrivileges\": false}";
  struct spec_process *p = NULL;
  berth_error_t err = NULL;
  if (spec_process_parse(json, strlen(json), "test", &p, &err) < 0)
    {
      printf("# %s\n", berth_error_msg(err));
      berth_error_free(&err);
      abort();
    }
  return p;
}

static bool strv_has(char **v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (str_eq(v[i], s))
      return true;
  return false;
}

static void test_from_options(void)
{
  berth_error_t err = NULL;
  struct spec_process *base = container_process();
  char *args[] = {"sh", "-c", "echo hi", NULL};
  const char *env[] = {"X=2", "NEW=3", NULL};
  const char *gids[] = {"10", "11", NULL};
  const char *caps[] = {"CAP_SYS_ADMIN", "CAP_CHOWN", NULL};
  struct exec_options o = {
    .args = args, .env = env, .additional_gids = gids, .caps = caps, .cwd = "/tmp",
    .user = "1000:1001", .no_new_privs = true, .apparmor = "prof", .process_label = "lbl",
  };
  struct spec_process *p = NULL;
  is_int(exec_process_from_options(&base, &o, &p, &err), 0, "options applied");
  ok(base == NULL, "the base process is taken over");
  is_int(p->n_args, 3, "3 args");
  is_str(p->args[0], "sh", "args[0]");
  is_str(p->args[2], "echo hi", "args[2]");
  ok(p->args[3] == NULL, "args NULL-terminated");
  is_int(p->n_env, 4, "env: 3 + 1 new");
  is_str(p->env[2], "X=2", "X overridden in place");
  is_str(p->env[3], "NEW=3", "NEW appended");
  is_str(p->cwd, "/tmp", "cwd");
  is_int(p->user.uid, 1000, "uid");
  is_int(p->user.gid, 1001, "gid");
  is_int(p->user.n_additional_gids, 3, "additional gids appended");
  is_int(p->user.additional_gids[2], 11, "gid 11");
  ok(strv_has(p->capabilities->bounding, "CAP_SYS_ADMIN"), "--cap in bounding");
  ok(strv_has(p->capabilities->effective, "CAP_SYS_ADMIN"), "--cap in effective");
  ok(strv_has(p->capabilities->permitted, "CAP_SYS_ADMIN"), "--cap in permitted");
  ok(!strv_has(p->capabilities->inheritable, "CAP_SYS_ADMIN"), "--cap never in inheritable");
  ok(!strv_has(p->capabilities->ambient, "CAP_SYS_ADMIN"), "ambient untouched");
  is_int(strv_len(p->capabilities->bounding), 2, "CAP_CHOWN not added twice");
  is_int(strv_len(p->capabilities->ambient), 1, "ambient keeps the container's");
  ok(p->no_new_privileges, "no_new_privs");
  is_str(p->apparmor_profile, "prof", "apparmor profile stored");
  is_str(p->selinux_label, "lbl", "selinux label stored");
  ok(!p->terminal, "terminal off without -t (like runc)");
  spec_process_free(p);

  base = container_process();
  struct exec_options o2 = {.args = args, .tty = true, .user = "7"};
  is_int(exec_process_from_options(&base, &o2, &p, &err), 0, "-u 7 -t");
  is_int(p->user.uid, 7, "uid 7");
  is_int(p->user.gid, 6, "gid stays the container's");
  ok(p->terminal, "-t sets terminal");
  is_str(p->cwd, "/", "cwd stays the container's");
  is_int(p->user.n_additional_gids, 1, "additional gids stay");
  spec_process_free(p);

  base = container_process();
  struct exec_options o3 = {.args = args, .user = "nobody"};
  is_err(exec_process_from_options(&base, &o3, &p, &err), err, "invalid --user \"nobody\"", "-u nobody: error");
  berth_error_free(&err);
  ok(base == NULL, "base freed on error");

  base = container_process();
  struct exec_options o4 = {.args = args, .cwd = "tmp"};
  is_err(exec_process_from_options(&base, &o4, &p, &err), err, "not an absolute path", "relative --cwd");
  berth_error_free(&err);

  base = container_process();
  char *none[] = {NULL};
  struct exec_options o5 = {.args = none};
  is_err(exec_process_from_options(&base, &o5, &p, &err), err, "needs a command", "no command");
  berth_error_free(&err);

  base = container_process();
  const char *bad_gids[] = {"wheel", NULL};
  struct exec_options o6 = {.args = args, .additional_gids = bad_gids};
  is_err(exec_process_from_options(&base, &o6, &p, &err), err, "--additional-gids \"wheel\"", "bad gid");
  berth_error_free(&err);

  /* a process without capabilities gets a set for --cap */
  base = NULL;
  struct exec_options o7 = {.args = args, .caps = caps};
  is_int(exec_process_from_options(&base, &o7, &p, &err), 0, "no base process");
  ok(p->capabilities && strv_has(p->capabilities->permitted, "CAP_SYS_ADMIN") && !p->capabilities->inheritable,
     "caps set created");
  spec_process_free(p);
}

static void test_from_file(void)
{
  berth_error_t err = NULL;
  char path[] = "/tmp/test_exec_XXXXXX";
  int fd = mkstemp(path);
  const char *json = "{\"args\": [\"true\"], \"cwd\": \"/\", \"terminal\": false}";
  ok(fd >= 0 && write_all(fd, json, strlen(json)) == 0, "process.json written");
  close(fd);
  struct exec_options o = {.process_path = path, .tty = true};
  struct spec_process *p = NULL;
  is_int(exec_process_from_file(&o, &p, &err), 0, "--process parsed");
  ok(p && p->terminal, "-t turns the terminal on");
  spec_process_free(p);
  p = NULL;
  const char *bad = "{\"args\": [], \"cwd\": \"/\"}";
  fd = open(path, O_WRONLY | O_TRUNC);
  ok(write_all(fd, bad, strlen(bad)) == 0, "bad process.json written");
  close(fd);
  is_err(exec_process_from_file(&o, &p, &err), err, ".args: must not be empty", "empty args rejected");
  berth_error_free(&err);
  unlink(path);
  struct exec_options missing = {.process_path = "/nonexistent/process.json"};
  is_err(exec_process_from_file(&missing, &p, &err), err, "/nonexistent/process.json", "missing file named");
  berth_error_free(&err);
}

/* In a child: fds 3 (preserved), 4 (close-on-exec), 5, 6 (kept), 9 open;
 * after spawn_close_fds(1, 6): 3 open without CLOEXEC, 6 open with
 * CLOEXEC, 4, 5 and 9 closed. Exit code: a bit per wrong fd. */
static int close_fds_child(void)
{
  for (int fd = 3; fd <= 9; fd++)
    if (fd != 7 && fd != 8)
      {
        int n = open("/dev/null", O_RDONLY | (fd == 3 ? O_CLOEXEC : 0));
        if (n < 0 || (n != fd && (dup3(n, fd, fd == 4 ? O_CLOEXEC : 0) < 0 || close(n) < 0)))
          return 100;
      }
  berth_error_t err = NULL;
  if (spawn_close_fds(1, 6, &err) < 0)
    return 101;
  int bad = 0;
  if (fcntl(3, F_GETFD) != 0)
    bad |= 1;
  if (fcntl(4, F_GETFD) >= 0 || fcntl(5, F_GETFD) >= 0 || fcntl(9, F_GETFD) >= 0)
    bad |= 2;
  if (fcntl(6, F_GETFD) != FD_CLOEXEC)
    bad |= 4;
  return bad;
}

static void test_close_fds(void)
{
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0)
    _exit(close_fds_child());
  int st = -1;
  waitpid(pid, &st, 0);
  ok(WIFEXITED(st), "child exited");
  is_int(WEXITSTATUS(st), 0, "only preserved and kept fds stay (bits: 1 preserved, 2 closed, 4 kept)");
}

static void test_environment(void)
{
  char *env[] = {"A=1", "LISTEN_FDS=9", NULL};
  char *args[] = {"x", NULL};
  struct spec_process p = {.env = env, .n_env = 2, .args = args, .n_args = 1};
  _cleanup_strv_ char **e0 = spawn_environment(&p, 0, 0);
  is_int(strv_len(e0), 2, "no preserved fds: env as is");
  is_str(e0[1], "LISTEN_FDS=9", "untouched");
  _cleanup_strv_ char **e2 = spawn_environment(&p, 2, 0);
  is_int(strv_len(e2), 3, "preserved fds: LISTEN_PID added");
  is_str(e2[1], "LISTEN_FDS=2", "LISTEN_FDS replaced");
  _cleanup_free_ char *want = xasprintf("LISTEN_PID=%d", (int) getpid());
  is_str(e2[2], want, "LISTEN_PID is our pid");
  unsetenv("LISTEN_FDNAMES");
  _cleanup_strv_ char **e3 = spawn_environment(&p, 3, 1);
  is_str(e3[1], "LISTEN_FDS=1", "socket activation: LISTEN_FDS counts the caller's LISTEN_FDS");
  is_int(strv_len(e3), 3, "no LISTEN_FDNAMES without the caller's");
  setenv("LISTEN_FDNAMES", "web", 1);
  _cleanup_strv_ char **e4 = spawn_environment(&p, 3, 1);
  is_int(strv_len(e4), 4, "the caller's LISTEN_FDNAMES is passed on");
  is_str(e4[3], "LISTEN_FDNAMES=web", "LISTEN_FDNAMES");
  _cleanup_strv_ char **e5 = spawn_environment(&p, 3, 0);
  is_int(strv_len(e5), 3, "not without socket activation");
  unsetenv("LISTEN_FDNAMES");
}

int main(void)
{
  test_parse_user();
  test_env_merge();
  test_from_options();
  test_from_file();
  test_close_fds();
  test_environment();
  return tap_done();
}
