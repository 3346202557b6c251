/* linux.resources -> cgroupfs: the pure conversions (convert.c), the device
 * rules (devices.c: the spec's rules + the default devices, folded into the
 * allow/deny state the kernel keeps; devices_bpf.c: that state as a
 * BPF_PROG_TYPE_CGROUP_DEVICE program) and the drivers that write them
 * (resources_v1.c, resources_v2.c). Everything above "I/O" is pure and
 * unit tested (tests/unit/test_cgroups_convert.c, test_devices_bpf.c). */
#ifndef BERTH_CGROUPS_RESOURCES_H
#define BERTH_CGROUPS_RESOURCES_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroups/cgroups_internal.h"
#include "spec/spec.h"
#include "util/error.h"

/* ---------------------------------------------------------------- pure: numbers */

/* cpu.shares (2..262144) -> cpu.weight (1..10000), the linear map runc and
 * crun use: 1 + (shares - 2) * 9999 / 262142, clamped; 0 (unset) -> 0. */
uint64_t cgroup_cpu_shares_to_weight(uint64_t shares);

/* blkio.weight (10..1000) -> io.weight (1..10000): 1 + (w - 10) * 9999 / 990,
 * clamped; 0 (unset) -> 0. */
uint64_t cgroup_blkio_weight_to_io_weight(uint64_t weight);

/* memory.swap (memory+swap, as v1 has it) -> v2 memory.swap.max (swap
 * alone): swap - limit; -1 (max) stays -1. limit is the memory limit in
 * force (-1 unlimited, 0 unknown/unset). Errors name .memory.swap. */
int cgroup_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, berth_error_t *err);

/* The v2 cpu.max line for cpu.quota/cpu.period, or NULL when neither is
 * set. A period alone keeps the quota in force (current: cpu.max as read,
 * may be NULL = "max"); a quota alone keeps the kernel's period. */
char *cgroup_v2_cpu_max(const struct spec_cpu *cpu, const char *current);

/* "2MB", "2048KB", "1GB" -> the kernel's name for that page size in
 * hugetlb.<name>.* ("2MB", "2MB", "1GB"); the caller adds the field. */
int cgroup_hugepage_name(const char *page_size, char **out, berth_error_t *err);

/* The io.max lines for blockIO's throttle lists, one per device
 * ("8:0 rbps=1048576 wiops=100"), in the order devices first appear;
 * rate 0 is "max" (no limit, as 0 is on v1). NULL-terminated, NULL when
 * there are none. */
char **cgroup_v2_io_max_lines(const struct spec_block_io *b);

/* The value of one io.weight / blkio.weight_device line: "MAJ:MIN W". */
char *cgroup_weight_device_line(int64_t major, int64_t minor, uint64_t weight);

/* rdma.max line: "mlx4_0 hca_handle=2 hca_object=max"; NULL when neither is set */
char *cgroup_rdma_line(const struct spec_rdma *r);

/* .linux.resources.unified keys: a file name, no '/', not "." or ".." */
int cgroup_unified_key_check(const char *key, berth_error_t *err);

/* The kernel's measure of a v1 realtime budget (CONFIG_RT_GROUP_SCHED):
 * runtime/period as a fraction with 20 bits after the point, computed on
 * nanoseconds and rounded down; runtime -1 (no limit) is 1.0. A cgroup's
 * children may not add up to more than the cgroup itself has. */
uint64_t cgroup_rt_ratio(int64_t runtime_us, uint64_t period_us);
/* The smallest cpu.rt_runtime_us whose ratio with period_us is at least
 * ratio (may exceed period_us: the caller refuses that). */
uint64_t cgroup_rt_runtime_for_ratio(uint64_t ratio, uint64_t period_us);

/* ---------------------------------------------------------------- pure: devices */

enum
{
  CGROUP_DEV_MKNOD = 1, /* the BPF_DEVCG_ACC_* bits */
  CGROUP_DEV_READ = 2,
  CGROUP_DEV_WRITE = 4,
  CGROUP_DEV_RWM = 7,
};

struct cgroup_dev_rule
{
  char type;     /* 'a', 'c', 'b' */
  int64_t major; /* -1: any */
  int64_t minor; /* -1: any */
  unsigned access; /* CGROUP_DEV_* bits, not 0 */
  bool allow;
};

struct cgroup_dev_rules
{
  struct cgroup_dev_rule *v;
  size_t n;
};

/* What the kernel keeps (v1 devices.list): a default and the exceptions
 * to it, each exception of type 'c' or 'b' (never 'a'). */
struct cgroup_dev_state
{
  bool default_allow;
  struct cgroup_dev_rule *ex; /* allow == !default_allow */
  size_t n;
};

void cgroup_dev_rules_clear(struct cgroup_dev_rules *r);
void cgroup_dev_state_clear(struct cgroup_dev_state *s);

/* The rules for a container, in order: linux.resources.devices (validated,
 * errors name .linux.resources.devices[i]), then the runtime-spec's
 * default devices (null zero full random urandom tty ptmx, the pts)
 * and mknod of any node (what runc allows). Nothing else: a linux.devices
 * node gets only the access these rules give it (a node the engine allowed
 * "r" stays read-only). */
int cgroup_dev_rules_build(const struct spec_device_cgroup *rules, size_t n_rules,
                           struct cgroup_dev_rules *out, berth_error_t *err);

/* Apply rules in order from "deny all", as the v1 kernel does when they are
 * written to devices.allow/deny one by one: a rule of type 'a' for every
 * device and access resets the default; a rule with the default's verdict
 * takes its access off the exception for exactly that type:major:minor; a
 * rule against it adds to (or merges into) one. So the last matching rule
 * wins, as the spec asks. */
void cgroup_dev_emulate(const struct cgroup_dev_rules *rules, struct cgroup_dev_state *out);

/* "c 1:3 rwm", "b 8:* r", "a" (all) */
char *cgroup_dev_rule_v1_string(const struct cgroup_dev_rule *r);

/* Pure: a v1 devices.list. A cgroup that allows by default shows only
 * "a *:* rwm" (its deny exceptions are not listed): then *complete is
 * false. Returns < 0 on a line it cannot read. */
int cgroup_dev_state_parse_v1(const char *text, struct cgroup_dev_state *out, bool *complete);

/* Pure: the writes that take a v1 cgroup from cur to want, both denying by
 * default, without a moment in which something both allow is denied
 * (allows first, then the access that goes away, exception by exception;
 * never "a", which the kernel refuses once the cgroup has children).
 * files[i] is "devices.allow" or "devices.deny", lines[i] malloc'ed. */
struct cgroup_dev_writes
{
  const char **files;
  char **lines;
  size_t n;
};
void cgroup_dev_diff_v1(const struct cgroup_dev_state *cur, const struct cgroup_dev_state *want,
                        struct cgroup_dev_writes *out);
void cgroup_dev_writes_clear(struct cgroup_dev_writes *w);

/* Pure: the BPF_PROG_TYPE_CGROUP_DEVICE program for state: returns 1
 * (allow) or 0 for a bpf_cgroup_dev_ctx. *insns malloc'ed. */
void cgroup_dev_bpf_program(const struct cgroup_dev_state *s, struct bpf_insn **insns, size_t *n);

/* ---------------------------------------------------------------- I/O */

/* Load the program (the verifier's log in the error when it refuses). */
int cgroup_dev_bpf_load(const struct bpf_insn *insns, size_t n, int *prog_fd, berth_error_t *err);

/* the name berth loads its device filters under (BPF_OBJ_NAME_LEN) */
#define BERTH_DEV_PROG_NAME "berth_devices"

/* Attach prog_fd to the cgroup directory as its device filter
 * (BPF_F_ALLOW_MULTI), replacing the one attached before atomically
 * (BPF_F_REPLACE) when there is exactly one, else attaching first and
 * detaching the old ones after, so there is never a moment without one.
 * keep_others: the cgroup's manager (systemd) attaches a filter of its own
 * there, and only berth's (BERTH_DEV_PROG_NAME) are replaced; the kernel
 * then lets an access through only when every filter allows it. */
int cgroup_dev_bpf_install(const char *cgroup_dir, int prog_fd, bool keep_others, berth_error_t *err);

/* v1: bring dir's devices.deny/devices.allow to the state: by the diff
 * when the cgroup denies by default now (updates of a running container),
 * else "a" then the exceptions */
int cgroup_v1_devices_write(const char *dir, const struct cgroup_dev_state *s, berth_error_t *err);

/* the rules of r (+ opts) folded into a state; 0 with *applies false when
 * the devices are not to be touched (an update without device rules) */
int cgroup_dev_state_for(const struct spec_resources *r, const struct cgroup_apply_options *o,
                         struct cgroup_dev_state *out, bool *applies, berth_error_t *err);

/* the v2 device filter for the state, loaded and installed on dir
 * (keep_others: as cgroup_dev_bpf_install) */
int cgroup_v2_devices_apply(const char *dir, const struct cgroup_dev_state *s, bool keep_others,
                            berth_error_t *err);

/* ---- per-controller v2 writers (resources_v2.c), also used on hybrid
 * hosts for the controllers that live in the unified hierarchy */
int cgroup_v2_apply_memory(const char *dir, const struct spec_memory *m, berth_error_t *err);
int cgroup_v2_apply_cpu(const char *dir, const struct spec_cpu *c, berth_error_t *err);
int cgroup_v2_apply_io(const char *dir, const struct spec_block_io *b, berth_error_t *err);
int cgroup_v2_apply_hugetlb(const char *dir, const struct spec_resources *r, berth_error_t *err);
/* hugepageLimits into hugetlb.<size>.<limit_suffix>: "max" on v2, "limit_in_bytes" on v1 */
int cgroup_apply_hugetlb(const char *dir, const struct spec_resources *r, const char *limit_suffix,
                         berth_error_t *err);
int cgroup_v2_apply_rdma(const char *dir, const struct spec_resources *r, berth_error_t *err);
int cgroup_v2_apply_pids(const char *dir, const struct spec_resources *r, berth_error_t *err);
int cgroup_v2_apply_unified(const char *dir, const struct spec_resources *r, bool hybrid,
                            berth_error_t *err);

/* cpus and mems (cpuset.cpus, cpuset.mems: the same on v1 and v2) */
int cgroup_apply_cpuset(const char *dir, const struct spec_cpu *c, berth_error_t *err);

/* the drivers: all of r (and the device rules per o, which may be NULL) */
int cgroup_v2_apply_resources_with(const struct cgroup_dir *dir, const struct spec_resources *r,
                                   const struct cgroup_apply_options *o, berth_error_t *err);
int cgroup_v1_apply_resources_with(const struct berth_cgroup *cg, const struct spec_resources *r,
                                   const struct cgroup_apply_options *o, berth_error_t *err);

/* ---- shared small helpers (resources_v2.c) */
/* write value to dir/file; the error names the field: ".linux.resources.FIELD: set FILE to VALUE: ..." */
int cgroup_res_write(const char *dir, const char *file, const char *value, const char *field,
                     berth_error_t *err);
/* checkBeforeUpdate: refuse a memory limit below the usage in dir/usage_file
 * (memory.current on v2, memory.usage_in_bytes on v1) */
int cgroup_check_memory_usage(const char *dir, const char *usage_file, int64_t limit, berth_error_t *err);
/* does dir/file exist */
bool cgroup_res_has(const char *dir, const char *file);
/* read a number from dir/file: "max" -> -1 */
int cgroup_res_read_i64(const char *dir, const char *file, int64_t *out, berth_error_t *err);
/* is controller listed in dir's cgroup.controllers (v2) */
bool cgroup_v2_has_controller(const char *dir, const char *controller);

#endif
