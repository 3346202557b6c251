/* The state store: ids, exclusive create, locking, atomic records,
 * listing, and the status logic. No root needed. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/state.h"
#include "tap.h"
#include "util/util.h"

static char tmp[] = "/tmp/berth-test-state-XXXXXX";
static char *root;

static bool exists_at(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0;
}

static void rm_rf(const char *path)
{
  _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", path);
  if (system(cmd) != 0)
    printf("# cleanup of %s failed\n", path);
}

static void test_id_validation(void)
{
  _cleanup_free_ char *longest = xmalloc(BERTH_ID_MAX + 2);
  memset(longest, 'a', BERTH_ID_MAX + 1);
  longest[BERTH_ID_MAX] = '\0';
  const char *good[] = {"c1", "a..b", "...", ".hidden", "x-y_z.1", "ünï", "a b", longest};
  for (size_t i = 0; i < ARRAY_SIZE(good); i++)
    {
      _cleanup_error_ berth_error_t err = NULL;
      ok(container_id_validate(good[i], &err) == 0, "id accepted: \"%.20s\"", good[i]);
    }
  ok(str_eq(container_current_id(), longest), "the last accepted id is remembered for the error line");

  longest[BERTH_ID_MAX] = 'a'; /* now one too long */
  longest[BERTH_ID_MAX + 1] = '\0';
  struct
  {
    const char *id;
    const char *why;
  } bad[] = {
    {"", "must not be empty"},  {".", "invalid container id"},    {"..", "invalid container id"},
    {"../x", "'/'"},            {"a/b", "'/'"},                   {"/abs", "'/'"},
    {"x/", "'/'"},              {"a\nb", "control characters"},    {"a\tb", "control characters"},
    {"\x7f", "control characters"}, {"\x1b[31m", "control characters"}, {longest, "longer than 1024"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    {
      _cleanup_error_ berth_error_t err = NULL;
      int ret = container_id_validate(bad[i].id, &err);
      is_err(ret, err, bad[i].why, "id rejected (#%zu): %s", i, bad[i].why);
      ok(err && err->errnum == EINVAL, "rejection #%zu carries EINVAL", i);
    }
  _cleanup_error_ berth_error_t err = NULL;
  ok(container_id_validate(NULL, &err) < 0, "NULL id rejected");
}

static void test_create_and_open(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  struct container *c = NULL;
  ok(container_dir_create(root, "c1", &c, &err) == 0, "create c1 (root and its parents are created)");
  struct stat st;
  ok(stat(root, &st) == 0 && (st.st_mode & 07777) == 0700, "root is mode 0700");
  ok(c && str_eq(c->id, "c1") && c->dir_fd >= 0 && c->lock_fd >= 0 && c->root_fd >= 0, "handle is filled");
  _cleanup_free_ char *dir = xasprintf("%s/c1", root);
  ok(c && str_eq(c->dir, dir), "dir is root/id");
  container_close(c);

  c = NULL;
  int ret = container_dir_create(root, "c1", &c, &err);
  is_err(ret, err, "container \"c1\" already exists", "second create of c1 fails");
  ok(ret == -EEXIST && err->errnum == EEXIST && c == NULL, "with EEXIST");
  ok(!strstr(err->msg, "EEXIST ("), "message has no errno decoration");
  berth_error_free(&err);

  ok(container_open(root, "c1", true, &c, &err) == 0, "open c1 exclusive");
  container_close(c);
  ok(container_open(root, "c1", false, &c, &err) == 0, "open c1 shared");
  container_close(c);
  ok(container_open_unlocked(root, "c1", &c, &err) == 0, "open c1 without lock");
  container_close(c);

  c = NULL;
  ret = container_open(root, "nope", false, &c, &err);
  is_err(ret, err, "container \"nope\" does not exist", "open of a missing container");
  ok(ret == -ENOENT && err->errnum == ENOENT, "with ENOENT");
  berth_error_free(&err);
  ret = container_open_unlocked(root, "nope", &c, &err);
  is_err(ret, err, "container \"nope\" does not exist", "unlocked open of a missing container");
  berth_error_free(&err);

  _cleanup_free_ char *missing_root = xasprintf("%s/no-such-root", tmp);
  ret = container_open(missing_root, "c1", false, &c, &err);
  is_err(ret, err, "does not exist", "open under a missing root says does not exist");
  ok(!exists_at(missing_root), "open does not create the root");
  berth_error_free(&err);

  /* a regular file or a symlink where the directory should be is no container */
  _cleanup_free_ char *file = xasprintf("%s/afile", root);
  _cleanup_free_ char *link = xasprintf("%s/alink", root);
  close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  ok(symlink(tmp, link) == 0, "symlink in root");
  is_err(container_open(root, "afile", false, &c, &err), err, "does not exist", "a file is no container");
  is_err(container_open(root, "alink", false, &c, &err), err, "does not exist", "a symlink is not followed");
  unlink(file);
  unlink(link);
}

static void test_nothing_outside_root(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  struct container *c = NULL;
  const char *ids[] = {"../escape", "..", "a/b", "/abs", ""};
  for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
    {
      ok(container_dir_create(root, ids[i], &c, &err) < 0 && c == NULL, "create \"%s\" refused", ids[i]);
      ok(container_open(root, ids[i], true, &c, &err) < 0 && c == NULL, "open \"%s\" refused", ids[i]);
    }
  _cleanup_free_ char *escape = xasprintf("%s/escape", tmp);
  _cleanup_free_ char *ab = xasprintf("%s/a", root);
  ok(!exists_at(escape) && !exists_at(ab) && !exists_at("/abs"), "nothing was created for bad ids");
}

/* every child waits on the pipe, then all race for the same id */
static void test_concurrent_create(void)
{
  enum { N = 8 };
  int gate[2];
  ok(pipe2(gate, O_CLOEXEC) == 0, "pipe");
  pid_t kids[N];
  for (int i = 0; i < N; i++)
    {
      kids[i] = fork();
      if (kids[i] == 0)
        {
          char b;
          close(gate[1]);
          if (read(gate[0], &b, 1) < 0)
            _exit(3);
          berth_error_t err = NULL;
          struct container *c = NULL;
          int ret = container_dir_create(root, "race", &c, &err);
          _exit(ret == 0 ? 0 : ret == -EEXIST ? 1 : 2);
        }
    }
  close(gate[0]);
  close(gate[1]); /* release every child at once */
  int won = 0, lost = 0, other = 0;
  for (int i = 0; i < N; i++)
    {
      int status;
      waitpid(kids[i], &status, 0);
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : 99;
      won += code == 0;
      lost += code == 1;
      other += code > 1;
    }
  is_int(won, 1, "exactly one of %d concurrent creates wins", N);
  is_int(lost, N - 1, "the others get EEXIST");
  is_int(other, 0, "no other failures");
}

/* fork a child that opens id and then writes one byte to the pipe */
static pid_t child_open(const char *id, bool exclusive, int *read_end)
{
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0)
    {
      /* a forked child shares the parent's open lock files, and with them
       * the flocks: drop every inherited fd but the pipe */
      for (int fd = 3; fd < 1024; fd++)
        if (fd != p[1])
          close(fd);
      berth_error_t err = NULL;
      struct container *c = NULL;
      int ret = container_open(root, id, exclusive, &c, &err);
      char b = ret == 0 ? 'o' : ret == -ENOENT ? 'n' : 'e';
      if (write(p[1], &b, 1) < 0)
        _exit(3);
      _exit(0);
    }
  close(p[1]);
  *read_end = p[0];
  return pid;
}

/* the byte the child wrote within ms milliseconds, or 0 */
static char child_result(int fd, int ms)
{
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  if (poll(&pfd, 1, ms) <= 0)
    return 0;
  char b = 0;
  if (read(fd, &b, 1) != 1)
    return 0;
  return b;
}

static void reap(pid_t pid, int fd)
{
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  close(fd);
}

static void test_lock_serialises(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  struct container *c = NULL;
  ok(container_open(root, "c1", true, &c, &err) == 0, "hold c1 exclusively");
  int fd;
  pid_t pid = child_open("c1", true, &fd);
  ok(child_result(fd, 300) == 0, "a second exclusive open waits while the lock is held");
  container_close(c);
  ok(child_result(fd, 5000) == 'o', "and gets the container once it is released");
  reap(pid, fd);

  ok(container_open(root, "c1", false, &c, &err) == 0, "hold c1 shared");
  pid = child_open("c1", false, &fd);
  ok(child_result(fd, 5000) == 'o', "another shared open does not wait");
  reap(pid, fd);
  pid = child_open("c1", true, &fd);
  ok(child_result(fd, 300) == 0, "an exclusive open waits for the shared holder");
  container_close(c);
  ok(child_result(fd, 5000) == 'o', "and proceeds after it");
  reap(pid, fd);

  /* the container is deleted while someone waits for it */
  struct container *d = NULL;
  ok(container_dir_create(root, "doomed", &d, &err) == 0, "create doomed (locked)");
  pid = child_open("doomed", true, &fd);
  ok(child_result(fd, 300) == 0, "waiter blocks on the create's lock");
  ok(container_dir_remove(d, &err) == 0, "remove doomed while it waits");
  ok(child_result(fd, 5000) == 'n', "the waiter then sees \"does not exist\"");
  reap(pid, fd);
}

static void test_remove(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  struct container *c = NULL;
  ok(container_dir_create(root, "rm", &c, &err) == 0, "create rm");
  /* contents: nested dir, fifo, and a symlink to a directory outside */
  _cleanup_free_ char *outside = xasprintf("%s/outside", tmp);
  _cleanup_free_ char *keep = xasprintf("%s/outside/keep", tmp);
  mkdir(outside, 0700);
  close(open(keep, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  mkdirat(c->dir_fd, "sub", 0700);
  mkdirat(c->dir_fd, "sub/deeper", 0700);
  close(openat(c->dir_fd, "sub/deeper/f", O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  mkfifoat(c->dir_fd, "exec.fifo", 0600);
  ok(symlinkat(outside, c->dir_fd, "out") == 0, "symlink to outside in the container dir");
  _cleanup_free_ char *dir = xstrdup(c->dir);
  ok(container_dir_remove(c, &err) == 0, "remove rm: %s", berth_error_msg(err));
  ok(!exists_at(dir), "its directory is gone");
  ok(exists_at(keep), "the symlink's target was not followed");
}

/* a directory whose lock file is gone is a container being deleted */
static void test_open_during_delete(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  struct container *c = NULL;
  ok(container_dir_create(root, "half", &c, &err) == 0, "create half");
  ok(unlinkat(c->dir_fd, "lock", 0) == 0, "its lock file is removed, as delete does first");
  _cleanup_free_ char *lock = xasprintf("%s/lock", c->dir);
  _cleanup_free_ char *dir = xstrdup(c->dir);
  container_close(c);
  c = NULL;
  int ret = container_open(root, "half", true, &c, &err);
  is_err(ret, err, "container \"half\" does not exist", "open of a container without lock file");
  ok(ret == -ENOENT && c == NULL, "with ENOENT");
  ok(!exists_at(lock), "the lock file is not created again (delete's rmdir would fail)");
  ok(rmdir(dir) == 0, "so the directory can still be removed");
}

static void test_list(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  _cleanup_free_ char *lroot = xasprintf("%s/listroot", tmp);
  const char *ids[] = {"b", "c2", "a", "c10"};
  for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
    {
      struct container *c = NULL;
      if (container_dir_create(lroot, ids[i], &c, &err) == 0)
        container_close(c);
    }
  _cleanup_free_ char *stray = xasprintf("%s/stray-file", lroot);
  close(open(stray, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  _cleanup_strv_ char **v = NULL;
  size_t n = 0;
  ok(state_list_ids(lroot, &v, &n, &err) == 0, "list");
  ok(n == 4 && str_eq(v[0], "a") && str_eq(v[1], "b") && str_eq(v[2], "c10") && str_eq(v[3], "c2") && v[4] == NULL,
     "ids sorted, files skipped, NULL-terminated");

  _cleanup_strv_ char **none = NULL;
  _cleanup_free_ char *missing = xasprintf("%s/not-there", tmp);
  ok(state_list_ids(missing, &none, &n, &err) == 0 && n == 0 && none && none[0] == NULL, "a missing root lists nothing");
  ok(!exists_at(missing), "and is not created by listing");
}

static bool frozen_yes(const struct spec_state *s)
{
  return true;
}

static bool frozen_no(const struct spec_state *s)
{
  return false;
}

static int open_lock_again(struct container *c)
{
  return openat(c->dir_fd, "lock", O_RDWR | O_CLOEXEC);
}

static void test_status(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  struct container *c = NULL;
  ok(container_dir_create(root, "st", &c, &err) == 0, "create st");
  struct spec_state s = {0};
  char status[16] = "created";
  s.status = status;
  s.pid = getpid();
  s.init_start_time = process_start_time(getpid());
  ok(s.init_start_time > 0, "own start time is known");

  is_str(container_status(c, &s, NULL), "running", "live pid, matching start time, no fifo: running");
  is_str(container_status(c, &s, frozen_no), "running", "not frozen: running");
  is_str(container_status(c, &s, frozen_yes), "paused", "frozen: paused");
  ok(mkfifoat(c->dir_fd, "exec.fifo", 0600) == 0, "make exec.fifo");
  is_str(container_status(c, &s, frozen_no), "created", "exec.fifo present: created");
  unlinkat(c->dir_fd, "exec.fifo", 0);

  s.init_start_time++;
  is_str(container_status(c, &s, NULL), "stopped", "a different start time (pid reuse): stopped");
  s.init_start_time--;

  strcpy(status, "creating");
  struct container *reader = NULL;
  ok(container_open_unlocked(root, "st", &reader, &err) == 0, "open st without the lock");
  is_str(container_status(reader, &s, NULL), "creating", "record says creating, another holds the lock: creating");
  is_str(container_status(c, &s, NULL), "unknown", "record says creating, we hold the lock: unknown (its creator is gone)");
  close(c->lock_fd);
  is_str(container_status(reader, &s, NULL), "unknown", "record says creating, nobody holds the lock: unknown");
  c->lock_fd = open_lock_again(c);
  container_close(reader);
  strcpy(status, "created");

  pid_t kid = fork();
  if (kid == 0)
    _exit(0);
  /* wait until it is a zombie, without reaping it */
  siginfo_t si;
  waitid(P_PID, (id_t) kid, &si, WEXITED | WNOWAIT);
  s.pid = kid;
  s.init_start_time = 0;
  is_str(container_status(c, &s, NULL), "stopped", "a zombie init: stopped");
  waitpid(kid, NULL, 0);
  is_str(container_status(c, &s, NULL), "stopped", "a reaped (gone) pid: stopped");
  is_int(process_start_time(kid), 0, "start time of a gone pid is 0");
  s.pid = 0;
  is_str(container_status(c, &s, NULL), "stopped", "no pid: stopped");

  s.pid = getpid();
  s.init_start_time = process_start_time(getpid());
  s.status = NULL;
  is_str(container_status(c, &s, NULL), "running", "no recorded status, live pid: running");

  ok(container_dir_remove(c, &err) == 0, "remove st");
}

static void test_start_time_parse(void)
{
  uint64_t before = process_start_time(getpid());
  char old[17] = {0};
  prctl(PR_GET_NAME, old, 0, 0, 0);
  /* comm with spaces and parentheses must not shift the fields */
  prctl(PR_SET_NAME, "x) R 1 2 (y", 0, 0, 0);
  uint64_t after = process_start_time(getpid());
  prctl(PR_SET_NAME, old, 0, 0, 0);
  ok(before > 0 && before == after, "start time is parsed after the last ')' (%llu == %llu)",
     (unsigned long long) before, (unsigned long long) after);
  is_int(process_start_time(0), 0, "pid 0: 0");
  is_int(process_start_time(-5), 0, "negative pid: 0");
  ok(process_start_time(1) > 0, "pid 1 has a start time");
}

static void test_rfc3339(void)
{
  _cleanup_free_ char *t = rfc3339_now();
  /* 2026-11-24T10:44:14.123456789Z */
  ok(strlen(t) == 30 && t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' && t[16] == ':' && t[19] == '.'
         && t[29] == 'Z',
     "rfc3339_now shape with nanoseconds: %s", t);
  struct tm tm = {0};
  char *end = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
  ok(end && *end == '.', "parses as a date");
  time_t now = time(NULL);
  ok(llabs((long long) (timegm(&tm) - now)) < 5, "is now, in UTC");
}

static void test_default_root(void)
{
  _cleanup_free_ char *xdg = state_default_root_for(true, 1000, "/run/user/1000", false);
  is_str(xdg, "/run/user/1000/berth", "rootless: $XDG_RUNTIME_DIR/berth");
  _cleanup_free_ char *userns_root = state_default_root_for(true, 0, "/run/user/1000", true);
  is_str(userns_root, "/run/user/1000/berth", "root of a user namespace: $XDG_RUNTIME_DIR/berth");
  _cleanup_free_ char *host_root = state_default_root_for(false, 0, "/run/user/4242", true);
  is_str(host_root, "/run/berth", "root: /run/berth even with XDG_RUNTIME_DIR");
  _cleanup_free_ char *root_no_xdg = state_default_root_for(true, 0, "", false);
  is_str(root_no_xdg, "/run/berth", "root of a user namespace without XDG_RUNTIME_DIR: /run/berth");
  _cleanup_free_ char *run_user = state_default_root_for(true, 1000, "", true);
  is_str(run_user, "/run/user/1000/berth", "user: empty XDG_RUNTIME_DIR, /run/user/UID exists");
  _cleanup_free_ char *user_not_rootless = state_default_root_for(false, 1000, "/run/user/1000", false);
  is_str(user_not_rootless, "/run/user/1000/berth", "user with --rootless false: still $XDG_RUNTIME_DIR/berth");
  char *none = state_default_root_for(true, 1000, NULL, false);
  ok(none == NULL, "user without XDG_RUNTIME_DIR nor /run/user/UID: no default (--root asked for)");
  free(none);
}

static void test_record_roundtrip(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  struct container *c = NULL;
  ok(container_dir_create(root, "rec", &c, &err) == 0, "create rec");
  struct spec_state s = {
    .oci_version = (char *) "1.2.0",
    .id = (char *) "rec",
    .status = (char *) "created",
    .pid = 4242,
    .bundle = (char *) "/b",
    .created = (char *) "2026-11-24T10:44:14.123456789Z",
    .init_start_time = 987654321,
    .cgroup_path = (char *) "/berth/rec",
    .cgroup_manager = (char *) "cgroupfs",
    .detached = true,
  };
  int ret = container_state_write(c, &s, &err);
  ok(ret == 0, "write state.json: %s", berth_error_msg(err));
  struct stat st;
  ok(fstatat(c->dir_fd, "state.json", &st, 0) == 0 && (st.st_mode & 0777) == 0600, "state.json is 0600");
  /* the atomic write leaves only state.json and lock behind */
  _cleanup_closedir_ DIR *d = opendir(c->dir);
  int extra = 0;
  for (struct dirent *de; d && (de = readdir(d));)
    if (!str_eq(de->d_name, ".") && !str_eq(de->d_name, "..") && !str_eq(de->d_name, "state.json")
        && !str_eq(de->d_name, "lock"))
      {
        printf("# left behind: %s\n", de->d_name);
        extra++;
      }
  is_int(extra, 0, "no temporary file left behind");

  s.status = (char *) "running";
  ok(container_state_write(c, &s, &err) == 0, "overwrite state.json");
  struct spec_state *back = NULL;
  ret = container_state_read(c, &back, &err);
  ok(ret == 0, "read state.json back: %s", berth_error_msg(err));
  if (back)
    {
      is_str(back->id, "rec", "id round-trips");
      is_str(back->status, "running", "the second write replaced the first");
      is_int(back->pid, 4242, "pid round-trips");
      is_str(back->bundle, "/b", "bundle round-trips");
      is_str(back->created, s.created, "created round-trips");
      ok(back->init_start_time == 987654321, "private start time round-trips");
      is_str(back->cgroup_path, "/berth/rec", "private cgroup path round-trips");
      is_str(back->cgroup_manager, "cgroupfs", "private cgroup manager round-trips");
      ok(back->detached, "private detached round-trips");
      spec_state_free(back);
    }

  ok(write_file_at(c->dir_fd, "state.json", "{nope", 5, &err) == 0, "corrupt state.json");
  back = NULL;
  ret = container_state_read(c, &back, &err);
  is_err(ret, err, "container \"rec\"", "a corrupt record is an error naming the container");
  ok(back == NULL, "and returns nothing");
  ok(container_dir_remove(c, &err) == 0, "remove rec");
}

static void test_init_record(void)
{
  _cleanup_error_ berth_error_t err = NULL;
  struct container *c = NULL;
  ok(container_dir_create(root, "rec", &c, &err) == 0, "create rec");
  pid_t pid = 0;
  uint64_t start = 0;
  ok(!container_init_record_read(c, &pid, &start), "no init record yet");
  ok(container_init_record_write(c, 4242, 987654321ULL, &err) == 0, "record the init");
  ok(container_init_record_read(c, &pid, &start) && pid == 4242 && start == 987654321ULL, "the record reads back");
  ok(container_init_record_write(c, 1, 1, &err) < 0 && err && err->errnum == EEXIST, "a second record fails");
  berth_error_free(&err);
  static const char *const bad[] = {"", "4242", ":5", "4242:", "-1:5", "0:5", "4242:0", "x:5", "4242:5x", "99999999999:5"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      unlinkat(c->dir_fd, "init", 0);
      if (*bad[i] && symlinkat(bad[i], c->dir_fd, "init") < 0)
        continue;
      ok(!container_init_record_read(c, &pid, &start), "record \"%s\" is refused", bad[i]);
    }
  unlinkat(c->dir_fd, "init", 0);
  ok(mkdirat(c->dir_fd, "init", 0700) == 0 && !container_init_record_read(c, &pid, &start),
     "a directory is no record");
  ok(container_dir_exists(root, "rec"), "rec exists");
  ok(!container_dir_exists(root, "nope") && !container_dir_exists(root, "../x"), "missing or invalid ids do not");
  ok(container_dir_remove(c, &err) == 0, "remove rec (a directory inside too)");
  ok(!container_dir_exists(root, "rec"), "rec is gone");
}

int main(void)
{
  if (!mkdtemp(tmp))
    {
      perror("mkdtemp");
      return 1;
    }
  root = xasprintf("%s/parent/root", tmp);
  test_id_validation();
  test_create_and_open();
  test_nothing_outside_root();
  test_concurrent_create();
  test_lock_serialises();
  test_remove();
  test_open_during_delete();
  test_list();
  test_status();
  test_start_time_parse();
  test_rfc3339();
  test_default_root();
  test_record_roundtrip();
  test_init_record();
  rm_rf(tmp);
  free(root);
  return tap_done();
}
