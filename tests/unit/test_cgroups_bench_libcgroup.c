/* Benchmark, run by hand as root (not part of make check): libcgroup's
 * create + attach + delete cycle, to compare with berth's own driver
 * (test_cgroups_root prints "# bench" for the same cycle). Numbers and
 * conclusions: src/cgroups/cgroups_internal.h.
 *   ./tests/unit/test_cgroups_bench_libcgroup [CYCLES]
 * libcgroup cannot make a usable v1 cpuset by itself (the attach fails
 * with ENOSPC), so the parent's cpuset is filled here first. */
#include <fcntl.h>
#include <libcgroup.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

static double now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int copy_knob(const char *from_dir, const char *to_dir, const char *file)
{
  _cleanup_error_ berth_error_t err = NULL;
  _cleanup_free_ char *from = xasprintf("%s/%s", from_dir, file), *to = xasprintf("%s/%s", to_dir, file);
  _cleanup_free_ char *v = NULL;
  size_t len;
  if (read_file_at(AT_FDCWD, from, 4096, &v, &len, &err) < 0 || write_file_at(AT_FDCWD, to, v, len, &err) < 0)
    {
      fprintf(stderr, "%s\n", berth_error_msg(err));
      return -1;
    }
  return 0;
}

int main(int argc, char **argv)
{
  int cycles = argc > 1 ? atoi(argv[1]) : 200;
  _cleanup_free_ char *parent = xasprintf("/berth-bench-%d", (int) getpid());
  _cleanup_free_ char *leaf = xasprintf("%s/x", parent);
  double t0 = now_ms();
  int r = cgroup_init();
  double t_init = now_ms() - t0;
  if (r != 0)
    {
      fprintf(stderr, "cgroup_init: %s\n", cgroup_strerror(r));
      return 1;
    }
  char *cpuset_mnt = NULL;
  _cleanup_free_ char *cpuset_parent = NULL;
  if (cgroup_get_subsys_mount_point("cpuset", &cpuset_mnt) == 0)
    {
      cpuset_parent = xasprintf("%s%s", cpuset_mnt, parent);
      if (mkdir(cpuset_parent, 0755) < 0 || copy_knob(cpuset_mnt, cpuset_parent, "cpuset.cpus") < 0
          || copy_knob(cpuset_mnt, cpuset_parent, "cpuset.mems") < 0)
        return 1;
    }
  int failures = 0;
  t0 = now_ms();
  for (int i = 0; i < cycles; i++)
    {
      struct cgroup *cg = cgroup_new_cgroup(leaf);
      if (cgroup_add_all_controllers(cg) != 0)
        failures++;
      struct cgroup_controller *cs = cgroup_get_controller(cg, "cpuset");
      if (cs)
        {
          _cleanup_error_ berth_error_t err = NULL;
          _cleanup_free_ char *p = xasprintf("%s/cpuset.cpus", cpuset_parent), *cpus = NULL;
          _cleanup_free_ char *q = xasprintf("%s/cpuset.mems", cpuset_parent), *mems = NULL;
          size_t len;
          read_file_at(AT_FDCWD, p, 4096, &cpus, &len, &err);
          read_file_at(AT_FDCWD, q, 4096, &mems, &len, &err);
          cgroup_add_value_string(cs, "cpuset.cpus", cpus ? cpus : "");
          cgroup_add_value_string(cs, "cpuset.mems", mems ? mems : "");
        }
      if ((r = cgroup_create_cgroup(cg, 1)) != 0)
        {
          fprintf(stderr, "create: %s\n", cgroup_strerror(r));
          failures++;
        }
      pid_t child = fork();
      if (child == 0)
        for (;;)
          pause();
      if ((r = cgroup_attach_task_pid(cg, child)) != 0)
        {
          fprintf(stderr, "attach: %s\n", cgroup_strerror(r));
          failures++;
        }
      kill(child, SIGKILL);
      waitpid(child, NULL, 0);
      if ((r = cgroup_delete_cgroup_ext(cg, 0)) != 0)
        {
          fprintf(stderr, "delete: %s\n", cgroup_strerror(r));
          failures++;
        }
      cgroup_free(&cg);
      if (failures)
        break;
    }
  double t = now_ms() - t0;
  printf("libcgroup: cgroup_init %.3f ms; %d cycles in %.1f ms: %.3f ms/cycle; %d failures\n", t_init,
         cycles, t, t / cycles, failures);
  /* the parent in every hierarchy */
  struct cgroup *p = cgroup_new_cgroup(parent);
  cgroup_add_all_controllers(p);
  cgroup_delete_cgroup_ext(p, 0);
  cgroup_free(&p);
  if (cpuset_parent)
    rmdir(cpuset_parent);
  free(cpuset_mnt);
  return failures ? 1 : 0;
}
