/* berth update [--resources FILE|-] [runc's flags] ID: change the cgroup
 * limits of a live container. containerd sends LinuxResources JSON on
 * stdin (--resources -), Podman a file; runc's single-value flags override
 * what the JSON says. The result is merged into the container's resources
 * (its config.json's linux.resources, or what the last update stored in
 * the state dir's resources.json), applied as a whole, and stored, so the
 * next update starts from it. Device rules are applied only when the
 * update gives them (re-applying the stored ones would drop the defaults
 * create added). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "runtime/cgcmds.h"
#include "spec/events.h"
#include "util/util.h"

#define RESOURCES_FILE "resources.json"

struct update_flags
{
  char *resources;
  char *blkio_weight;
  char *cpu_period;
  char *cpu_quota;
  char *cpu_rt_period;
  char *cpu_rt_runtime;
  char *cpu_share;
  char *cpu_shares;
  char *cpuset_cpus;
  char *cpuset_mems;
  char *kernel_memory;
  char *kernel_memory_tcp;
  char *memory;
  char *memory_reservation;
  char *memory_swap;
  char *pids_limit;
  char *l3_cache_schema;
  char *mem_bw_schema;
};

static void resources_freep(struct spec_resources **r)
{
  spec_resources_free(*r);
}
#define _cleanup_resources_ _cleanup_(resources_freep)

static void config_freep(struct spec_config **c)
{
  spec_config_free(*c);
}

/* ------------------------------------------------------------ flags */

static int flag_u64(const char *name, const char *v, uint64_t max, spec_opt_u64 *out, berth_error_t *err)
{
  unsigned long long x;
  if (parse_uint64(v, &x) < 0 || x > max)
    return berth_fail(err, 0, "--%s: invalid value \"%s\" (an integer 0..%llu)", name, v,
                      (unsigned long long) max);
  out->set = true;
  out->value = x;
  return 0;
}

static int flag_i64(const char *name, const char *v, spec_opt_i64 *out, berth_error_t *err)
{
  long long x;
  if (parse_int64(v, &x) < 0 || x < -1)
    return berth_fail(err, 0, "--%s: invalid value \"%s\" (an integer, -1 for unlimited)", name, v);
  out->set = true;
  out->value = x;
  return 0;
}

static int flag_mem(const char *name, const char *v, spec_opt_i64 *out, berth_error_t *err)
{
  int64_t x;
  if (parse_memory_size(name, v, &x, err) < 0)
    return -1;
  out->set = true;
  out->value = x;
  return 0;
}

static struct spec_memory *memory_of(struct spec_resources *r)
{
  if (!r->memory)
    r->memory = xcalloc(1, sizeof *r->memory);
  return r->memory;
}

static struct spec_cpu *cpu_of(struct spec_resources *r)
{
  if (!r->cpu)
    r->cpu = xcalloc(1, sizeof *r->cpu);
  return r->cpu;
}

/* the flags as a resources object of their own */
static int resources_from_flags(const struct update_flags *f, struct spec_resources *r, berth_error_t *err)
{
  if (f->l3_cache_schema || f->mem_bw_schema)
    return berth_fail(err, ENOTSUP, "--%s: Intel RDT is not supported by berth",
                      f->l3_cache_schema ? "l3-cache-schema" : "mem-bw-schema");
  if (f->blkio_weight)
    {
      r->block_io = xcalloc(1, sizeof *r->block_io);
      if (flag_u64("blkio-weight", f->blkio_weight, UINT16_MAX, &r->block_io->weight, err) < 0)
        return -1;
    }
  const char *shares = f->cpu_shares ? f->cpu_shares : f->cpu_share;
  if ((f->cpu_period && flag_u64("cpu-period", f->cpu_period, UINT64_MAX, &cpu_of(r)->period, err) < 0)
      || (f->cpu_quota && flag_i64("cpu-quota", f->cpu_quota, &cpu_of(r)->quota, err) < 0)
      || (f->cpu_rt_period
          && flag_u64("cpu-rt-period", f->cpu_rt_period, UINT64_MAX, &cpu_of(r)->realtime_period, err) < 0)
      || (f->cpu_rt_runtime && flag_i64("cpu-rt-runtime", f->cpu_rt_runtime, &cpu_of(r)->realtime_runtime, err) < 0)
      || (shares && flag_u64("cpu-share", shares, UINT64_MAX, &cpu_of(r)->shares, err) < 0))
    return -1;
  if (f->cpuset_cpus)
    cpu_of(r)->cpus = xstrdup(f->cpuset_cpus);
  if (f->cpuset_mems)
    cpu_of(r)->mems = xstrdup(f->cpuset_mems);
  if ((f->kernel_memory && flag_mem("kernel-memory", f->kernel_memory, &memory_of(r)->kernel, err) < 0)
      || (f->kernel_memory_tcp
          && flag_mem("kernel-memory-tcp", f->kernel_memory_tcp, &memory_of(r)->kernel_tcp, err) < 0)
      || (f->memory && flag_mem("memory", f->memory, &memory_of(r)->limit, err) < 0)
      || (f->memory_reservation
          && flag_mem("memory-reservation", f->memory_reservation, &memory_of(r)->reservation, err) < 0)
      || (f->memory_swap && flag_mem("memory-swap", f->memory_swap, &memory_of(r)->swap, err) < 0)
      || (f->pids_limit && flag_i64("pids-limit", f->pids_limit, &r->pids_limit, err) < 0))
    return -1;
  return 0;
}

/* ------------------------------------------------------------ inputs */

/* --resources: "-" is stdin (containerd), anything else a file (Podman) */
static int read_resources_arg(const char *arg, struct spec_resources **out, berth_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  bool is_stdin = str_eq(arg, "-");
  int r = is_stdin ? read_all_fd(STDIN_FILENO, SPEC_JSON_MAX_SIZE, &text, &len, err)
                   : read_file_at(AT_FDCWD, arg, SPEC_JSON_MAX_SIZE, &text, &len, err);
  if (r < 0)
    return berth_wrap(err, "--resources: read %s", is_stdin ? "stdin" : arg);
  return spec_resources_parse(text, len, is_stdin ? "--resources (stdin)" : arg, out, err);
}

static int load_config(struct container *c, struct spec_config **out, berth_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (read_file_at(c->dir_fd, "config.json", SPEC_JSON_MAX_SIZE, &text, &len, err) < 0)
    return berth_wrap(err, "read the container's config.json");
  _cleanup_free_ char *label = xasprintf("%s/config.json", c->dir);
  return spec_config_parse(text, len, label, out, err);
}

/* what the container has now: the last update's resources.json, else its
 * config.json's linux.resources, else nothing */
static int load_current(struct container *c, struct spec_resources **out, berth_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  _cleanup_error_ berth_error_t e = NULL;
  if (read_file_at(c->dir_fd, RESOURCES_FILE, SPEC_JSON_MAX_SIZE, &text, &len, &e) == 0)
    {
      _cleanup_free_ char *label = xasprintf("%s/%s", c->dir, RESOURCES_FILE);
      return spec_resources_parse(text, len, label, out, err);
    }
  if (e->errnum != ENOENT)
    {
      *err = steal_pointer(&e);
      return berth_wrap(err, "read the stored resources");
    }
  _cleanup_(config_freep) struct spec_config *config = NULL;
  if (load_config(c, &config, err) < 0)
    return -1;
  if (config->linux_ && config->linux_->resources)
    *out = steal_pointer(&config->linux_->resources);
  else
    *out = xcalloc(1, sizeof **out);
  return 0;
}

/* Apply all of r, its device rules only when with_devices (then, as at
 * create, linux.resources.devices and the default devices only). */
static int apply(struct berth_cgroup *cg, struct spec_resources *r, bool with_devices, berth_error_t *err)
{
  if (with_devices)
    return cgroup_apply_resources(cg, r, err);
  struct spec_device_cgroup *devices = r->devices;
  size_t n_devices = r->n_devices;
  r->devices = NULL;
  r->n_devices = 0;
  int ret = cgroup_apply_resources(cg, r, err);
  r->devices = devices;
  r->n_devices = n_devices;
  return ret;
}

/* --memory -1 without a swap value removes the memory+swap limit too, as
 * runc does: a stored swap limit alone would keep memory limited on v1
 * (memory.memsw.limit_in_bytes may not be below memory.limit_in_bytes). */
static void unlimit_swap_with_memory(struct spec_resources *current, const struct spec_resources *update)
{
  const struct spec_memory *u = update->memory;
  if (!u || !u->limit.set || u->limit.value != -1 || u->swap.set || !current->memory)
    return;
  current->memory->swap.set = true;
  current->memory->swap.value = -1;
}

static int store(struct container *c, const struct spec_resources *r, berth_error_t *err)
{
  _cleanup_free_ char *json = NULL;
  size_t len = 0;
  if (spec_resources_emit(r, &json, &len, err) < 0
      || write_file_atomic_at(c->dir_fd, RESOURCES_FILE, json, len, 0600, err) < 0)
    return berth_wrap(err, "store the updated resources");
  return 0;
}

static int update_container(const struct cg_target *t, const struct update_flags *f, berth_error_t *err)
{
  _cleanup_resources_ struct spec_resources *update = NULL;
  if (f->resources)
    {
      if (read_resources_arg(f->resources, &update, err) < 0)
        return -1;
    }
  else
    update = xcalloc(1, sizeof *update);
  _cleanup_resources_ struct spec_resources *from_flags = xcalloc(1, sizeof *from_flags);
  if (resources_from_flags(f, from_flags, err) < 0)
    return -1;
  spec_resources_merge(update, from_flags);
  bool with_devices = update->devices != NULL;

  if (!cg_target_alive(t))
    return berth_fail(err, 0, "cannot update a container that is %s", t->status);
  if (cg_target_need_cgroup(t, "update", err) < 0)
    return -1;
  _cleanup_resources_ struct spec_resources *current = NULL;
  if (load_current(t->c, &current, err) < 0)
    return -1;
  spec_resources_merge(current, update);
  unlimit_swap_with_memory(current, update);
  if (apply(t->cg, current, with_devices, err) < 0)
    return -1;
  return store(t->c, current, err);
}

int cmd_update(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  struct update_flags f = { 0 };
  const struct cli_option opts[] = {
    {"resources", 'r', CLI_STRING, &f.resources, "FILE",
     "LinuxResources JSON (runtime-spec linux.resources) from FILE, or - for stdin"},
    {"blkio-weight", 0, CLI_STRING, &f.blkio_weight, "N", "block IO weight (10..1000)"},
    {"cpu-period", 0, CLI_STRING, &f.cpu_period, "US", "CPU CFS period in microseconds"},
    {"cpu-quota", 0, CLI_STRING, &f.cpu_quota, "US", "CPU CFS quota in microseconds per period (-1: none)"},
    {"cpu-rt-period", 0, CLI_STRING, &f.cpu_rt_period, "US", "CPU realtime period in microseconds"},
    {"cpu-rt-runtime", 0, CLI_STRING, &f.cpu_rt_runtime, "US", "CPU realtime runtime in microseconds"},
    {"cpu-share", 0, CLI_STRING, &f.cpu_share, "N", "CPU shares (relative weight)"},
    {"cpu-shares", 0, CLI_STRING, &f.cpu_shares, "N", "same as --cpu-share"},
    {"cpuset-cpus", 0, CLI_STRING, &f.cpuset_cpus, "LIST", "CPUs the container may use (0-3,5)"},
    {"cpuset-mems", 0, CLI_STRING, &f.cpuset_mems, "LIST", "memory nodes the container may use"},
    {"kernel-memory", 0, CLI_STRING, &f.kernel_memory, "SIZE", "kernel memory limit (v1)"},
    {"kernel-memory-tcp", 0, CLI_STRING, &f.kernel_memory_tcp, "SIZE", "kernel TCP buffer limit (v1)"},
    {"memory", 0, CLI_STRING, &f.memory, "SIZE", "memory limit (e.g. 64m, 1g; -1: unlimited)"},
    {"memory-reservation", 0, CLI_STRING, &f.memory_reservation, "SIZE", "memory soft limit"},
    {"memory-swap", 0, CLI_STRING, &f.memory_swap, "SIZE", "memory plus swap limit (-1: unlimited)"},
    {"pids-limit", 0, CLI_STRING, &f.pids_limit, "N", "maximum number of processes (-1: unlimited)"},
    {"l3-cache-schema", 0, CLI_STRING, &f.l3_cache_schema, "S", "Intel RDT L3 cache schema (not supported)"},
    {"mem-bw-schema", 0, CLI_STRING, &f.mem_bw_schema, "S", "Intel RDT memory bandwidth schema (not supported)"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  static const struct cli_usage usage = {
    "update", "[options] ID",
    "Change the cgroup limits of container ID while it runs. --resources gives\n"
    "runtime-spec linux.resources JSON; the other options override single fields.\n"
    "Sizes take a k, m, g, t or p suffix (binary units, optional b).",
    1, 1, "exactly one container ID", false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;

  struct cg_target t;
  if (cg_target_open(g, pos[0], true, &t, err) < 0)
    return -1;
  int r = update_container(&t, &f, err);
  cg_target_close(&t);
  return r;
}
