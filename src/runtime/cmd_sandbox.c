/* berth sandbox [options] -- CMD [ARG...]: run a CI job isolated (issue
 * 18). The container is made and run in this process as by `run`; the
 * wait adds the timeout, the interrupt handling and the usage report;
 * whatever happens, the container and the sandbox directory are removed
 * (sandbox.h). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "cgroups/usage.h"
#include "runtime/cli.h"
#include "runtime/container.h"
#include "runtime/foreground.h"
#include "runtime/interrupt.h"
#include "runtime/sandbox.h"
#include "runtime/sandbox_config.h"
#include "runtime/signals.h"
#include "runtime/state.h"
#include "spec/events.h"
#include "spec/sandbox.h"
#include "util/log.h"
#include "util/util.h"

#define EXIT_TIMEOUT 124 /* as timeout(1) */
#define EXIT_OOM 137     /* 128 + SIGKILL, as the engines report an OOM kill */
#define DEFAULT_GRACE_MS 10000
/* how often the wait samples the task count where the kernel keeps no peak */
#define SAMPLE_MS 100

struct sandbox_args
{
  const char *image, *rootfs, *workdir, *user, *memory, *cpus, *tmp_size, *network, *timeout, *grace,
      *report, *id;
  long long pids;
  bool quiet;
  struct cli_strv layers, binds, scratch, env, env_files, io;
};

static void args_free(struct sandbox_args *a)
{
  free(a->layers.v);
  free(a->binds.v);
  free(a->scratch.v);
  free(a->env.v);
  free(a->env_files.v);
  free(a->io.v);
}

/* ------------------------------------------------------------------ options -> plan */

static int check_dir(const char *opt, const char *path, berth_error_t *err)
{
  struct stat st;
  if (stat(path, &st) < 0)
    return berth_fail_sys(err, "--%s %s", opt, path);
  if (!S_ISDIR(st.st_mode))
    return berth_fail(err, ENOTDIR, "--%s %s", opt, path);
  return 0;
}

static int plan_root(struct sandbox_plan *p, const struct sandbox_args *a, berth_error_t *err)
{
  int roots = !!a->image + !!a->rootfs + (a->layers.n > 0);
  if (roots > 1)
    return berth_fail(err, 0, "--image, --rootfs and --layer exclude each other");
  if (a->image)
    p->image = xstrdup(a->image);
  if (a->rootfs)
    {
      if (a->rootfs[0] != '/')
        return berth_fail(err, 0, "--rootfs %s: must be an absolute path", a->rootfs);
      if (check_dir("rootfs", a->rootfs, err) < 0)
        return -1;
      p->rootfs = xstrdup(a->rootfs);
    }
  p->layers = xcalloc(a->layers.n + 1, sizeof *p->layers);
  for (size_t i = 0; i < a->layers.n; i++)
    {
      if (a->layers.v[i][0] != '/')
        return berth_fail(err, 0, "--layer %s: must be an absolute path", a->layers.v[i]);
      if (check_dir("layer", a->layers.v[i], err) < 0)
        return -1;
      p->layers[p->n_layers++] = xstrdup(a->layers.v[i]);
    }
  return 0;
}

static int plan_mounts(struct sandbox_plan *p, const struct sandbox_args *a, berth_error_t *err)
{
  p->binds = xcalloc(a->binds.n + 1, sizeof *p->binds);
  for (; p->n_binds < a->binds.n; p->n_binds++)
    if (sandbox_parse_bind(a->binds.v[p->n_binds], &p->binds[p->n_binds], err) < 0
        || check_dir("bind", p->binds[p->n_binds].src, err) < 0)
      return -1;
  p->scratch = xcalloc(a->scratch.n + 1, sizeof *p->scratch);
  for (; p->n_scratch < a->scratch.n; p->n_scratch++)
    if (sandbox_parse_scratch(a->scratch.v[p->n_scratch], &p->scratch[p->n_scratch], err) < 0
        || check_dir("scratch", p->scratch[p->n_scratch].src, err) < 0)
      return -1;
  if (a->workdir)
    {
      if (a->workdir[0] != '/')
        return berth_fail(err, 0, "--workdir %s: must be an absolute path", a->workdir);
      p->workdir = xstrdup(a->workdir);
    }
  return 0;
}

static int plan_env(struct sandbox_plan *p, const struct sandbox_args *a, berth_error_t *err)
{
  for (size_t i = 0; i < a->env_files.n; i++)
    {
      _cleanup_free_ char *text = NULL;
      if (read_file_at(AT_FDCWD, a->env_files.v[i], 1 << 20, &text, NULL, err) < 0)
        return berth_wrap(err, "--env-file");
      if (sandbox_parse_env_file(a->env_files.v[i], text, &p->env, &p->n_env, err) < 0)
        return -1;
    }
  for (size_t i = 0; i < a->env.n; i++)
    {
      if (sandbox_check_env("--env", a->env.v[i], err) < 0)
        return -1;
      p->env = xreallocarray(p->env, p->n_env + 2, sizeof *p->env);
      p->env[p->n_env++] = xstrdup(a->env.v[i]);
      p->env[p->n_env] = NULL;
    }
  return 0;
}

static int plan_limits(struct sandbox_plan *p, const struct sandbox_args *a, berth_error_t *err)
{
  if (a->memory && sandbox_parse_size("memory", a->memory, &p->memory, err) < 0)
    return -1;
  if (a->cpus && sandbox_parse_cpus(a->cpus, &p->cpu_quota, &p->cpu_period, err) < 0)
    return -1;
  if (a->pids < 0 || a->pids > INT32_MAX)
    return berth_fail(err, 0, "--pids %lld: out of range (1 .. 2147483647)", a->pids);
  p->pids = a->pids;
  p->io = xcalloc(a->io.n + 1, sizeof *p->io);
  for (; p->n_io < a->io.n; p->n_io++)
    if (sandbox_parse_io(a->io.v[p->n_io], &p->io[p->n_io], err) < 0)
      return -1;
  if (a->tmp_size && sandbox_parse_size("tmp-size", a->tmp_size, &p->tmp_size, err) < 0)
    return -1;
  if (a->timeout && sandbox_parse_duration("timeout", a->timeout, &p->timeout_ms, err) < 0)
    return -1;
  p->grace_ms = DEFAULT_GRACE_MS;
  if (a->grace && sandbox_parse_duration("grace", a->grace, &p->grace_ms, err) < 0)
    return -1;
  return 0;
}

static int make_plan(const struct sandbox_args *a, struct sandbox_plan **out, berth_error_t *err)
{
  _cleanup_(sandbox_plan_freep) struct sandbox_plan *p = xcalloc(1, sizeof *p);
  if (plan_root(p, a, err) < 0 || plan_mounts(p, a, err) < 0 || plan_env(p, a, err) < 0
      || plan_limits(p, a, err) < 0)
    return -1;
  if (a->user && sandbox_parse_user(a->user, &p->uid, &p->gid, err) < 0)
    return -1;
  if (a->network && sandbox_parse_network(a->network, &p->network, err) < 0)
    return -1;
  *out = steal_pointer(&p);
  return 0;
}

/* ------------------------------------------------------------------ the sandbox directory */

static char *generate_id(void)
{
  uint8_t r[6];
  if (getrandom(r, sizeof r, 0) != sizeof r)
    {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      return xasprintf("sandbox-%d-%ld", (int) getpid(), ts.tv_nsec);
    }
  return xasprintf("sandbox-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
}

/* rootfs/ (the overlay's mount point) and scratch/N/{upper,work} */
static int make_subdirs(int dir_fd, const char *dir, size_t n_scratch, berth_error_t *err)
{
  if (mkdirat(dir_fd, "rootfs", 0755) < 0)
    return berth_fail_sys(err, "mkdir %s/rootfs", dir);
  if (n_scratch && mkdirat(dir_fd, "scratch", 0700) < 0)
    return berth_fail_sys(err, "mkdir %s/scratch", dir);
  for (size_t i = 0; i < n_scratch; i++)
    {
      const char *sub[] = {"", "/upper", "/work"};
      for (size_t k = 0; k < ARRAY_SIZE(sub); k++)
        {
          _cleanup_free_ char *path = xasprintf("scratch/%zu%s", i, sub[k]);
          if (mkdirat(dir_fd, path, 0755) < 0)
            return berth_fail_sys(err, "mkdir %s/%s", dir, path);
        }
    }
  return 0;
}

static int write_config(int dir_fd, const char *dir, const struct spec_config *c, berth_error_t *err)
{
  _cleanup_free_ char *json = NULL;
  size_t len;
  if (spec_sandbox_config_emit(c, &json, &len, err) < 0)
    return -1;
  if (write_file_atomic_at(dir_fd, "config.json", json, len, 0600, err) < 0)
    return berth_wrap(err, "write %s/config.json", dir);
  return 0;
}

/* ------------------------------------------------------------------ the wait */

enum stop_phase
{
  STOP_NONE = 0,
  STOP_TERM_SENT, /* SIGTERM went to the cgroup; SIGKILL when the grace ends */
  STOP_KILL_SENT,
};

struct waiter
{
  struct berth_cgroup *cg;
  int timer_fd;
  uint64_t grace_ms;
  uint64_t deadline_ms; /* monotonic; 0: no timeout */
  uint64_t kill_at_ms;  /* monotonic, while STOP_TERM_SENT */
  enum stop_phase phase;
  bool timed_out;
  int interrupted_by;
  uint64_t tasks_peak;
};

static uint64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void signal_cgroup(struct waiter *w, int sig)
{
  _cleanup_error_ berth_error_t e = NULL;
  if (w->cg && cgroup_kill_all(w->cg, sig, &e) < 0)
    berth_log_debug("sandbox: signal the cgroup: %s", berth_error_msg(e));
}

static void begin_stop(struct waiter *w)
{
  if (w->phase != STOP_NONE)
    return;
  signal_cgroup(w, SIGTERM);
  w->phase = STOP_TERM_SENT;
  w->kill_at_ms = now_ms() + w->grace_ms;
}

static void sample_tasks(struct waiter *w)
{
  struct cgroup_job_usage u;
  cgroup_read_job_usage(w->cg, &u);
  if (u.tasks > w->tasks_peak)
    w->tasks_peak = u.tasks;
}

/* the timer ticks every SAMPLE_MS: sample, then act on the deadlines */
static void on_tick(void *data)
{
  struct waiter *w = data;
  uint64_t expirations;
  if (read(w->timer_fd, &expirations, sizeof expirations) < 0)
    return;
  sample_tasks(w);
  uint64_t now = now_ms();
  if (w->phase == STOP_NONE && w->deadline_ms && now >= w->deadline_ms)
    {
      w->timed_out = true;
      begin_stop(w);
    }
  else if (w->phase == STOP_TERM_SENT && now >= w->kill_at_ms)
    {
      signal_cgroup(w, SIGKILL);
      w->phase = STOP_KILL_SENT;
    }
}

/* SIGINT, SIGTERM and SIGHUP to berth stop the whole job like a timeout;
 * a second one kills it at once */
static bool on_signal(void *data, int sig)
{
  struct waiter *w = data;
  if (sig != SIGINT && sig != SIGTERM && sig != SIGHUP)
    return false;
  if (!w->interrupted_by)
    w->interrupted_by = sig;
  if (w->phase == STOP_TERM_SENT)
    {
      signal_cgroup(w, SIGKILL);
      w->phase = STOP_KILL_SENT;
    }
  begin_stop(w);
  return true;
}

static int open_ticker(berth_error_t *err)
{
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (fd < 0)
    return berth_fail_sys(err, "timerfd_create");
  struct itimerspec its = {.it_interval = {0, SAMPLE_MS * 1000000L}, .it_value = {0, SAMPLE_MS * 1000000L}};
  if (timerfd_settime(fd, 0, &its, NULL) < 0)
    {
      int e = errno;
      close(fd);
      return berth_fail(err, e, "timerfd_settime");
    }
  return fd;
}

/* ------------------------------------------------------------------ the report */

static void fill_usage(struct spec_sandbox_report *r, struct waiter *w, struct berth_cgroup *cg)
{
  if (!cg)
    return;
  struct spec_stats s = {0};
  _cleanup_error_ berth_error_t e = NULL;
  if (cgroup_read_stats(cg, &s, &e) == 0)
    {
      r->user_us = s.cpu.user / 1000;
      r->system_us = s.cpu.kernel / 1000;
      r->peak_memory_bytes = s.memory.usage.max;
      for (size_t i = 0; i < s.blkio.service_bytes.n; i++)
        {
          const struct spec_blkio_entry *b = &s.blkio.service_bytes.v[i];
          if (str_eq(b->op, "Read"))
            r->io_read_bytes += b->value;
          else if (str_eq(b->op, "Write"))
            r->io_write_bytes += b->value;
        }
    }
  spec_stats_clear(&s);
  struct cgroup_job_usage u;
  cgroup_read_job_usage(cg, &u);
  r->oom_kills = u.oom_kills;
  r->peak_tasks = u.tasks_peak > w->tasks_peak ? u.tasks_peak : w->tasks_peak;
}

static void print_summary(const struct spec_sandbox_report *r)
{
  _cleanup_free_ char *how = r->signal ? xasprintf("killed by %s", signal_name(r->signal))
                                       : xasprintf("exit %d", r->exit_code);
  fprintf(stderr,
          "berth sandbox %s: %s%s%s, status %d, %llu.%03llus wall, %llu.%03llus user, %llu.%03llus system, "
          "peak memory %llu KiB, io %llu/%llu bytes read/written, peak tasks %llu, oom kills %llu\n",
          r->id, how, r->timed_out ? ", timed out" : "", r->oom_kills ? ", out of memory" : "", r->exit_status,
          (unsigned long long) (r->wall_ms / 1000), (unsigned long long) (r->wall_ms % 1000),
          (unsigned long long) (r->user_us / 1000000), (unsigned long long) (r->user_us % 1000000 / 1000),
          (unsigned long long) (r->system_us / 1000000), (unsigned long long) (r->system_us % 1000000 / 1000),
          (unsigned long long) (r->peak_memory_bytes / 1024), (unsigned long long) r->io_read_bytes,
          (unsigned long long) r->io_write_bytes, (unsigned long long) r->peak_tasks,
          (unsigned long long) r->oom_kills);
}

static int write_report(const char *path, const struct spec_sandbox_report *r, berth_error_t *err)
{
  _cleanup_free_ char *json = NULL;
  size_t len;
  if (spec_sandbox_report_emit(r, &json, &len, err) < 0)
    return -1;
  if (write_file_atomic_at(AT_FDCWD, path, json, len, 0644, err) < 0)
    return berth_wrap(err, "--report %s", path);
  return 0;
}

/* the status berth exits with: 124 after a timeout, 128+N after berth got
 * signal N (SIGINT, SIGTERM, SIGHUP), 137 after an OOM kill that made the
 * job fail, else the job's as a shell reports it */
static void settle_status(struct spec_sandbox_report *r, int raw)
{
  if (WIFSIGNALED(raw))
    {
      r->signal = WTERMSIG(raw);
      r->exit_code = -1;
    }
  else
    r->exit_code = WEXITSTATUS(raw);
  r->exit_status = wait_status_to_exit_code(raw);
  if (r->timed_out)
    r->exit_status = EXIT_TIMEOUT;
  else if (r->interrupted_by)
    r->exit_status = 128 + r->interrupted_by;
  else if (r->oom_kills && r->exit_status != 0)
    r->exit_status = EXIT_OOM;
}

/* ------------------------------------------------------------------ run */

struct sandbox_run
{
  const struct global_opts *g;
  const char *id;
  const char *dir;
  const struct sandbox_plan *plan;
  const char *report_path;
  bool quiet;
};

static void destroy_container(const struct global_opts *g, struct lifecycle *l)
{
  _cleanup_error_ berth_error_t e = NULL;
  if (lifecycle_relock(g, l, &e) < 0)
    {
      lifecycle_free(l);
      return;
    }
  if (lifecycle_destroy(l, &e) < 0)
    berth_log_warning("%s", berth_error_msg(e));
}

static int create_and_start(const struct sandbox_run *s, sigset_t *mask, struct lifecycle **out, berth_error_t *err)
{
  struct create_options o = {.bundle = s->dir, .foreground_tty = true};
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  foreground_block_signals(mask);
  interrupt_arm();
  struct lifecycle *l = NULL;
  if (lifecycle_create(s->g, s->id, &o, &l, err) < 0)
    {
      interrupt_disarm();
      return -1;
    }
  interrupt_watch(l->pid, SIGKILL);
  int r = interrupt_check(err);
  if (r == 0 && l->console_recv >= 0)
    {
      l->console_master = foreground_recv_master(l->console_recv, err);
      r = l->console_master < 0 ? -1 : 0;
    }
  if (r == 0)
    r = lifecycle_start(l, err);
  interrupt_unwatch(l->pid);
  interrupt_disarm();
  foreground_block_signals(mask);
  if (r == 0 && interrupt_signal())
    r = interrupt_check(err);
  if (r < 0)
    {
      _cleanup_error_ berth_error_t e2 = NULL;
      if (lifecycle_destroy(l, &e2) < 0)
        berth_log_warning("%s", berth_error_msg(e2));
      return -1;
    }
  *out = l;
  return 0;
}

static int run_job(const struct sandbox_run *s, berth_error_t *err)
{
  uint64_t t0 = now_ms();
  sigset_t mask;
  struct lifecycle *l = NULL;
  if (create_and_start(s, &mask, &l, err) < 0)
    return -1;
  struct waiter w = {.cg = l->cg, .grace_ms = s->plan->grace_ms, .timer_fd = -1};
  if (s->plan->timeout_ms)
    w.deadline_ms = t0 + s->plan->timeout_ms;
  w.timer_fd = open_ticker(err);
  if (w.timer_fd < 0)
    {
      destroy_container(s->g, l);
      return -1;
    }
  lifecycle_unlock(l);
  struct foreground_watch fw = {.fd = w.timer_fd, .on_fd = on_tick, .on_signal = on_signal, .data = &w};
  int code = foreground_wait_watch(l->pid, l->pidfd, &mask, l->console_master, l->notify_fd, &fw, err);
  l->pid = 0; /* reaped: never signal that number again */
  close(w.timer_fd);
  if (code < 0)
    {
      destroy_container(s->g, l);
      return -1;
    }
  struct spec_sandbox_report r = {.id = s->id, .timed_out = w.timed_out, .interrupted_by = w.interrupted_by};
  fill_usage(&r, &w, l->cg);
  r.wall_ms = now_ms() - t0;
  settle_status(&r, fw.raw_status);
  destroy_container(s->g, l);
  if (r.oom_kills && !s->quiet)
    fprintf(stderr, "berth sandbox %s: out of memory: the kernel killed %llu process(es) at the %s limit\n", s->id,
            (unsigned long long) r.oom_kills, "--memory");
  if (r.timed_out && !s->quiet)
    fprintf(stderr, "berth sandbox %s: timed out after %llu ms\n", s->id,
            (unsigned long long) s->plan->timeout_ms);
  if (!s->quiet)
    print_summary(&r);
  if (s->report_path && write_report(s->report_path, &r, err) < 0)
    return -1;
  return r.exit_status;
}

static const char *const *hidden_paths(const struct global_opts *g, char **base)
{
  static const char *hidden[3];
  *base = sandbox_base(g);
  hidden[0] = g->root;
  hidden[1] = *base;
  hidden[2] = NULL;
  return hidden;
}

static int run_in_dir(const struct sandbox_run *s, int dir_fd, char *const *argv, berth_error_t *err)
{
  if (make_subdirs(dir_fd, s->dir, s->plan->n_scratch, err) < 0)
    return -1;
  _cleanup_free_ char *base = NULL;
  struct sandbox_config_ctx ctx = {
    .dir = s->dir, .argv = argv, .tty = isatty(0) == 1, .hidden = hidden_paths(s->g, &base),
    .seccomp_profile = SANDBOX_SECCOMP_PROFILE,
  };
  struct spec_config *c = NULL;
  if (sandbox_build_config(s->plan, &ctx, &c, err) < 0)
    return -1;
  int r = write_config(dir_fd, s->dir, c, err);
  spec_config_free(c);
  if (r < 0)
    return -1;
  return run_job(s, err);
}

int cmd_sandbox(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  struct sandbox_args a = {0};
  const struct cli_option opts[] = {
    {"image", 0, CLI_STRING, &a.image, "DIR[:TAG]", "the root: an OCI image layout (run.berth.storage.image)"},
    {"rootfs", 0, CLI_STRING, &a.rootfs, "DIR", "the root: a directory (read-only lower layer)"},
    {"layer", 0, CLI_STRV, &a.layers, "DIR", "the root: layer directories, bottom first (repeatable)"},
    {"bind", 0, CLI_STRV, &a.binds, "SRC:DST[:ro]", "bind a host directory (repeatable)"},
    {"scratch", 0, CLI_STRV, &a.scratch, "SRC:DST", "show a host directory copy-on-write (repeatable)"},
    {"workdir", 'w', CLI_STRING, &a.workdir, "DIR", "the job's working directory (default: the first scratch DST, else /)"},
    {"env", 'e', CLI_STRV, &a.env, "K=V", "set an environment variable (repeatable)"},
    {"env-file", 0, CLI_STRV, &a.env_files, "FILE", "K=V lines (repeatable)"},
    {"user", 'u', CLI_STRING, &a.user, "UID[:GID]", "run the job as UID:GID (default 0:0)"},
    {"memory", 'm', CLI_STRING, &a.memory, "SIZE", "memory limit (512m, 1G); no swap beyond it"},
    {"cpus", 0, CLI_STRING, &a.cpus, "N", "CPU quota in CPUs (1.5)"},
    {"pids", 0, CLI_INT, &a.pids, "N", "most tasks at once"},
    {"io-bps", 0, CLI_STRV, &a.io, "DEV:RATE", "read and write bandwidth on a block device (repeatable)"},
    {"tmp-size", 0, CLI_STRING, &a.tmp_size, "SIZE", "size of the /tmp tmpfs"},
    {"network", 0, CLI_STRING, &a.network, "MODE", "none (default), host or bridge"},
    {"timeout", 't', CLI_STRING, &a.timeout, "DURATION", "stop the job after DURATION (30s, 2m): exit 124"},
    {"grace", 0, CLI_STRING, &a.grace, "DURATION", "SIGTERM to SIGKILL (default 10s)"},
    {"report", 0, CLI_STRING, &a.report, "FILE", "write the usage report as JSON"},
    {"id", 0, CLI_STRING, &a.id, "NAME", "the sandbox's id (default: generated)"},
    {"quiet", 'q', CLI_BOOL, &a.quiet, NULL, "no report line on stderr"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  static const struct cli_usage usage = {
    "sandbox", "[options] [--] CMD [ARG...]",
    "Run CMD isolated, as a CI job: an overlay root with an ephemeral upper\n"
    "(the host's / read-only when no --image/--rootfs/--layer), new\n"
    "namespaces, limits in a cgroup. Exits with CMD's status (124 after\n"
    "--timeout, 137 after an OOM kill) and removes everything it made.",
    1, -1, "a command", true,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    {
      args_free(&a);
      return parsed;
    }
  _cleanup_(sandbox_plan_freep) struct sandbox_plan *plan = NULL;
  int r = make_plan(&a, &plan, err);
  _cleanup_free_ char *id = a.id ? xstrdup(a.id) : generate_id();
  const char *report = a.report;
  bool quiet = a.quiet;
  args_free(&a);
  if (r < 0 || container_id_validate(id, err) < 0)
    return -1;
  if (geteuid() != 0)
    return berth_fail(err, EPERM, "needs root (sandboxes of an unprivileged user are not supported)");
  sandbox_sweep(g);
  _cleanup_free_ char *dir = NULL;
  _cleanup_close_ int dir_fd = -1;
  if (sandbox_dir_create(g, id, &dir, &dir_fd, err) < 0)
    return -1;
  const struct sandbox_run s = {g, id, dir, plan, report, quiet};
  int code = run_in_dir(&s, dir_fd, pos, err);
  _cleanup_error_ berth_error_t e2 = NULL;
  if (sandbox_dir_remove(g, id, &e2) < 0)
    berth_log_warning("%s", berth_error_msg(e2));
  return code;
}
