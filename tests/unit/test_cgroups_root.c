/* The cgroups module against the real cgroupfs of this host: create,
 * enter, pids, resources, kill_all, destroy, and the undo of a failed
 * create, checking every hierarchy. Needs root; skips otherwise. Also
 * times create+enter+destroy cycles (reported as a TAP comment). */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroups_internal.h"
#include "tap.h"
#include "util/util.h"

static struct cgroup_mounts mounts;
static enum cgroup_mode mode;

static bool is_dir(const char *p)
{
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* the hierarchies berth uses on this host */
static bool used(const struct cgroup_hierarchy *h)
{
  return mode != CGROUP_MODE_UNIFIED || h->v2;
}

static size_t count_dirs(const char *cg_path)
{
  size_t n = 0;
  for (size_t i = 0; i < mounts.n; i++)
    {
      _cleanup_free_ char *p = xasprintf("%s%s", mounts.h[i].mount_point, cg_path);
      if (used(&mounts.h[i]) && is_dir(p))
        n++;
    }
  return n;
}

static size_t n_used(void)
{
  size_t n = 0;
  for (size_t i = 0; i < mounts.n; i++)
    n += used(&mounts.h[i]);
  return n;
}

static pid_t spawn_sleeper(int *release_fd)
{
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0)
    abort();
  pid_t pid = fork();
  if (pid == 0)
    {
      char c;
      /* whatever goes wrong, nothing outlives the test */
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      close(p[1]);
      /* after the parent moved us: a grandchild, born in the cgroup */
      if (read(p[0], &c, 1) == 1 && fork() == 0)
        {
          prctl(PR_SET_PDEATHSIG, SIGKILL);
          for (;;)
            pause();
        }
      for (;;)
        pause();
    }
  close(p[0]);
  *release_fd = p[1];
  return pid;
}

/* every line of /proc/pid/cgroup of a used hierarchy names cg_path */
static bool proc_in_cgroup(pid_t pid, const char *cg_path, size_t *n_lines)
{
  _cleanup_free_ char *p = xasprintf("/proc/%d/cgroup", (int) pid), *text = NULL;
  size_t len;
  _cleanup_error_ berth_error_t err = NULL;
  if (read_file_at(AT_FDCWD, p, 1 << 20, &text, &len, &err) < 0)
    return false;
  bool all = true;
  *n_lines = 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
    {
      char *path = strchr(strchr(line, ':') + 1, ':') + 1;
      bool v2_line = str_has_prefix(line, "0::");
      if (mode == CGROUP_MODE_UNIFIED && !v2_line)
        continue;
      (*n_lines)++;
      if (!str_eq(path, cg_path))
        {
          printf("#   %s\n", line);
          all = false;
        }
    }
  return all;
}

/* true when pid exits within ms; else it is killed and reaped (so a
 * failing test never hangs) and the answer is false */
static bool reap_within(pid_t pid, int ms, int *status)
{
  for (int i = 0; i < ms; i++)
    {
      if (waitpid(pid, status, WNOHANG) == pid)
        return true;
      usleep(1000);
    }
  kill(pid, SIGKILL);
  waitpid(pid, status, 0);
  return false;
}

static int wait_pids(struct berth_cgroup *cg, size_t want)
{
  for (int i = 0; i < 2000; i++)
    {
      _cleanup_error_ berth_error_t err = NULL;
      _cleanup_free_ pid_t *pids = NULL;
      size_t n = 0;
      if (cgroup_pids(cg, &pids, &n, &err) < 0)
        return -1;
      if (n == want)
        return 0;
      usleep(1000);
    }
  return -1;
}

static void test_lifecycle(const char *base)
{
  _cleanup_error_ berth_error_t err = NULL;
  _cleanup_free_ char *path = xasprintf("%s/x", base);
  struct berth_cgroup *cg = NULL;

  is_int(cgroup_create(path, &cg, &err), 0, "create %s %s", path, berth_error_msg(err));
  if (cg == NULL)
    return;
  is_int(count_dirs(path), n_used(), "leaf exists in all %zu hierarchies", n_used());
  if (mode != CGROUP_MODE_LEGACY)
    {
      _cleanup_free_ char *u = xasprintf("%s%s", mode == CGROUP_MODE_UNIFIED ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified", path);
      ok(is_dir(u), "leaf exists in the unified hierarchy");
    }
  if (mode == CGROUP_MODE_UNIFIED)
    ok(cgroup_clone_fd(cg) >= 0, "v2: clone fd available");
  else
    is_int(cgroup_clone_fd(cg), -1, "v1/hybrid: no clone fd");

  int release;
  pid_t child = spawn_sleeper(&release);
  is_int(cgroup_enter(cg, child, &err), 0, "enter child %s", berth_error_msg(err));
  size_t n_lines = 0;
  ok(proc_in_cgroup(child, path, &n_lines), "child is in %s in every hierarchy", path);
  is_int(n_lines, n_used(), "/proc/pid/cgroup lists every used hierarchy");
  if (write(release, "x", 1) != 1)
    abort();
  close(release);
  is_int(wait_pids(cg, 2), 0, "pids: the child and its grandchild");

  /* reuse of a busy cgroup is refused, and leaves it alone */
  struct berth_cgroup *again = NULL;
  _cleanup_error_ berth_error_t busy = NULL;
  is_err(cgroup_create(path, &again, &busy), busy, "has 2 processes", "create of a busy cgroup fails");
  is_int(count_dirs(path), n_used(), "the busy cgroup is still there");

  struct spec_memory mem = { .limit = { true, 32 << 20 } };
  struct spec_resources r = { .memory = &mem, .pids_limit = { true, 16 } };
  is_int(cgroup_apply_resources(cg, &r, &err), 0, "apply pids+memory %s", berth_error_msg(err));
  is_int(cgroup_apply_resources(cg, NULL, &err), 0, "apply NULL is a no-op");
  _cleanup_free_ char *pids_max = NULL, *mem_max = NULL;
  const char *pdir = mode == CGROUP_MODE_UNIFIED ? "/sys/fs/cgroup" : "/sys/fs/cgroup/pids";
  const char *mdir = mode == CGROUP_MODE_UNIFIED ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
  _cleanup_free_ char *pd = xasprintf("%s%s", pdir, path), *md = xasprintf("%s%s", mdir, path);
  cgroup_fs_read(pd, "pids.max", &pids_max, &err);
  cgroup_fs_read(md, mode == CGROUP_MODE_UNIFIED ? "memory.max" : "memory.limit_in_bytes", &mem_max, &err);
  is_str(pids_max, "16\n", "pids.max written");
  is_str(mem_max, "33554432\n", "memory limit written");

  /* v1 refuses a limit below usage (EBUSY); v2 takes it and OOM-kills */
  if (mode != CGROUP_MODE_UNIFIED)
    {
      struct spec_memory tiny = { .limit = { true, 4096 } };
      struct spec_resources bad = { .pids_limit = { true, -1 }, .memory = &tiny };
      _cleanup_error_ berth_error_t bad_err = NULL;
      int br = cgroup_apply_resources(cg, &bad, &bad_err);
      is_err(br, bad_err, "linux.resources.memory.limit", "v1: a limit below usage names the field");
    }
  else
    printf("ok %d # SKIP v2 takes a memory limit below usage\n", ++tap_n);

  ok(!cgroup_is_frozen(cg), "not frozen");

  /* a sub-cgroup the container made is removed too */
  _cleanup_free_ char *sub = xasprintf("%s/sub", cgroup_procs_dir(cg)->path);
  ok(mkdir(sub, 0755) == 0, "make a sub-cgroup below the leaf");

  is_int(cgroup_kill_all(cg, SIGKILL, &err), 0, "kill_all SIGKILL %s", berth_error_msg(err));
  int status = 0;
  ok(reap_within(child, 2000, &status) && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
     "the child died of SIGKILL");
  is_int(cgroup_destroy(cg, &err), 0, "destroy %s", berth_error_msg(err));
  is_int(count_dirs(path), 0, "nothing left in any hierarchy");
  is_int(count_dirs(base), 0, "the parent that create made is gone too");
  is_int(cgroup_destroy(cg, &err), 0, "destroy again: missing is fine");
  cgroup_free(cg);
}

/* A create that fails removes what it made and nothing else. */
static void test_failed_create(const char *base)
{
  _cleanup_error_ berth_error_t err = NULL;
  _cleanup_free_ char *path = xasprintf("%s/busy/leaf", base);
  struct berth_cgroup *owner = NULL;
  is_int(cgroup_create(path, &owner, &err), 0, "create a cgroup and put a process in it");
  int release;
  pid_t child = spawn_sleeper(&release);
  close(release);
  cgroup_enter(owner, child, &err);
  /* drop it from every hierarchy but the one pids are read from */
  for (size_t i = 0; i < owner->n_dirs; i++)
    if (&owner->dirs[i] != cgroup_procs_dir(owner))
      {
        _cleanup_free_ char *pid = xasprintf("%d", (int) child);
        cgroup_fs_write(owner->dirs[i].mount_point, "cgroup.procs", pid, &err);
        berth_error_free(&err);
        rmdir(owner->dirs[i].path);
        _cleanup_free_ char *mid = xasprintf("%s%s/busy", owner->dirs[i].mount_point, base);
        rmdir(mid);
      }
  is_int(count_dirs(path), 1, "setup: the leaf is left in one hierarchy only");

  struct berth_cgroup *cg = NULL;
  _cleanup_error_ berth_error_t fail = NULL;
  is_err(cgroup_create(path, &cg, &fail), fail, "already exists", "create fails on the busy leaf");
  ok(cg == NULL, "no handle on failure");
  is_int(count_dirs(path), 1, "the failed create removed the leaves it made, kept the busy one");
  _cleanup_free_ char *mid = xasprintf("%s/busy", base);
  is_int(count_dirs(mid), 1, "and the parents it made");

  is_int(cgroup_destroy(owner, &err), 0, "destroy the busy one %s", berth_error_msg(err));
  int status = 0;
  ok(reap_within(child, 2000, &status), "destroy killed its process");
  cgroup_free(owner);
  struct berth_cgroup *m = NULL;
  cgroup_open(mid, &m, &err);
  is_int(cgroup_destroy(m, &err), 0, "destroy the parent");
  cgroup_free(m);
}

/* The v2 driver on the unified hierarchy of a hybrid host: subtree
 * controllers, freeze state, cgroup.kill, and a resource whose controller
 * is not there (hybrid: only hugetlb lives in v2). On a pure v2 host the
 * lifecycle test above covers the same code. */
static void test_v2_driver(const char *base)
{
  const struct cgroup_hierarchy *u = NULL;
  for (size_t i = 0; i < mounts.n; i++)
    if (mounts.h[i].v2)
      u = &mounts.h[i];
  if (mode != CGROUP_MODE_HYBRID || u == NULL)
    {
      printf("ok %d # SKIP not a hybrid host\n", ++tap_n);
      return;
    }
  _cleanup_error_ berth_error_t err = NULL;
  _cleanup_free_ char *cg_path = xasprintf("%s-v2/leaf", base);
  struct cgroup_dir d = {
    .path = xasprintf("%s%s", u->mount_point, cg_path),
    .mount_point = xstrdup(u->mount_point),
    .v2 = true,
  };
  is_int(cgroup_v2_create_dir(&d, cg_path, &err), 0, "v2: create %s %s", d.path, berth_error_msg(err));
  is_int(d.made_depth, 2, "v2: made the parent and the leaf");
  _cleanup_free_ char *avail = NULL, *enabled = NULL, *parent = xasprintf("%s%s-v2", u->mount_point, base);
  cgroup_fs_read(parent, "cgroup.controllers", &avail, &err);
  cgroup_fs_read(parent, "cgroup.subtree_control", &enabled, &err);
  is_str(enabled, avail, "v2: the parent enables every controller it has");

  int release;
  pid_t child = spawn_sleeper(&release);
  close(release);
  _cleanup_free_ char *pid = xasprintf("%d", (int) child);
  is_int(cgroup_fs_write(d.path, "cgroup.procs", pid, &err), 0, "v2: enter %s", berth_error_msg(err));
  ok(!cgroup_v2_is_frozen(&d), "v2: not frozen");
  cgroup_fs_write(d.path, "cgroup.freeze", "1", &err);
  bool frozen = false;
  for (int i = 0; i < 1000 && !frozen; i++, usleep(1000))
    frozen = cgroup_v2_is_frozen(&d);
  ok(frozen, "v2: frozen after cgroup.freeze 1");

  struct spec_resources r = { .pids_limit = { true, 16 } };
  _cleanup_error_ berth_error_t rerr = NULL;
  is_err(cgroup_v2_apply_resources(&d, &r, &rerr), rerr, "linux.resources.pids.limit: set pids.max",
         "v2: a missing controller's file names the field");

  is_int(cgroup_v2_kill_all(&d, SIGKILL, &err), 0, "v2: kill_all (cgroup.kill) %s", berth_error_msg(err));
  int status = 0;
  ok(reap_within(child, 2000, &status) && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
     "v2: a frozen process dies of cgroup.kill");
  for (int i = 0; i < 1000 && rmdir(d.path) < 0; i++)
    usleep(1000);
  ok(!is_dir(d.path), "v2: leaf removed");
  cgroup_fs_undo_create(&d); /* leaf (already gone) and the parent it made */
  ok(!is_dir(parent), "v2: parent removed");
  free(d.path);
  free(d.mount_point);
}

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void bench(const char *base, int cycles)
{
  _cleanup_error_ berth_error_t err = NULL;
  _cleanup_free_ char *path = xasprintf("%s/bench", base);
  int failures = 0;
  double t0 = now_ms();
  for (int i = 0; i < cycles; i++)
    {
      struct berth_cgroup *cg = NULL;
      if (cgroup_create(path, &cg, &err) < 0)
        {
          failures++;
          break;
        }
      pid_t child = fork();
      if (child == 0)
        {
          prctl(PR_SET_PDEATHSIG, SIGKILL);
          for (;;)
            pause();
        }
      if (cgroup_enter(cg, child, &err) < 0)
        failures++;
      kill(child, SIGKILL);
      waitpid(child, NULL, 0);
      if (cgroup_destroy(cg, &err) < 0)
        failures++;
      cgroup_free(cg);
    }
  double t = now_ms() - t0;
  is_int(failures, 0, "bench: %d create+enter+kill+destroy cycles %s", cycles, berth_error_msg(err));
  printf("# bench: %d cycles in %.1f ms: %.3f ms/cycle (%zu hierarchies)\n", cycles, t, t / cycles,
         n_used());
}

int main(void)
{
  if (geteuid() != 0)
    {
      printf("ok 1 # SKIP not root\n1..1\n");
      return 0;
    }
  /* a stuck test must not hang make check */
  alarm(120);
  _cleanup_error_ berth_error_t err = NULL;
  double t0 = now_ms();
  is_int(cgroup_detect_mode(&mode, &err), 0, "detect mode %s", berth_error_msg(err));
  printf("# discovery: %.3f ms, mode %d\n", now_ms() - t0, (int) mode);
  _cleanup_free_ char *text = NULL;
  size_t len;
  read_file_at(AT_FDCWD, "/proc/self/mountinfo", 1 << 24, &text, &len, &err);
  cgroup_parse_mountinfo(text, &mounts, &err);

  _cleanup_free_ char *base = xasprintf("/berth-test-%d", (int) getpid());
  test_lifecycle(base);
  test_failed_create(base);
  test_v2_driver(base);
  const char *cycles = getenv("BERTH_CGROUP_BENCH_CYCLES");
  bench(base, cycles ? atoi(cycles) : 200);

  struct berth_cgroup *cg = NULL;
  cgroup_open(base, &cg, &err);
  is_int(cgroup_destroy(cg, &err), 0, "destroy %s", base);
  cgroup_free(cg);
  is_int(count_dirs(base), 0, "nothing of %s is left", base);
  cgroup_mounts_clear(&mounts);
  return tap_done();
}
