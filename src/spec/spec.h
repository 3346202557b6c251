/* The OCI runtime-spec 1.2 model: typed structs for config.json (Linux),
 * process.json (exec) and the state JSON. Only src/spec/ parses or emits
 * JSON; every other module works on these structs.
 *
 * Conventions:
 * - every string is owned by the struct and NUL-free (the parser rejects
 *   strings with embedded NULs);
 * - arrays are (pointer, count) pairs; string arrays are also
 *   NULL-terminated so they can be passed to execve();
 * - optional scalars are spec_opt_* with a `set` flag: absent in the JSON
 *   means set == false;
 * - optional objects are pointers, NULL when absent; JSON null counts as
 *   absent everywhere;
 * - unknown properties are ignored; a duplicate object key: the last one
 *   wins (as in Go's encoding/json, which runc uses);
 * - input is bounded (SPEC_JSON_MAX_SIZE bytes, 64 levels of nesting,
 *   262144 JSON values), so any input parses in bounded time and memory;
 * - uids/gids (process.user, additionalGids, linux.devices) must be
 *   0..2^31-1; id mappings take the full uint32 range. */
#ifndef BERTH_SPEC_H
#define BERTH_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

#define BERTH_OCI_VERSION "1.2.0"

/* Upper bound for any JSON document the spec parsers accept (config.json,
 * process.json, state.json, update's resources): bigger input fails with
 * EFBIG before it is parsed. */
#define SPEC_JSON_MAX_SIZE (16u << 20)

typedef struct
{
  bool set;
  int64_t value;
} spec_opt_i64;

typedef struct
{
  bool set;
  uint64_t value;
} spec_opt_u64;

typedef struct
{
  bool set;
  bool value;
} spec_opt_bool;

struct spec_kv
{
  char *key;
  char *value;
};

/* ---------------------------------------------------------------- process */

struct spec_user
{
  uint32_t uid;
  uint32_t gid;
  spec_opt_u64 umask; /* 0..0777 */
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char *username; /* windows only; kept for completeness */
};

struct spec_capabilities
{
  /* each is NULL-terminated; NULL when the set is absent */
  char **bounding;
  char **effective;
  char **inheritable;
  char **permitted;
  char **ambient;
};

struct spec_rlimit
{
  char *type; /* "RLIMIT_NOFILE" */
  uint64_t soft;
  uint64_t hard;
};

struct spec_console_size
{
  uint32_t height;
  uint32_t width;
};

struct spec_scheduler
{
  char *policy; /* SCHED_OTHER, SCHED_FIFO, ... */
  spec_opt_i64 nice;
  spec_opt_i64 priority;
  char **flags; /* NULL-terminated, may be NULL */
  spec_opt_u64 runtime;
  spec_opt_u64 deadline;
  spec_opt_u64 period;
};

struct spec_io_priority
{
  char *class; /* IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE */
  int64_t priority;
};

struct spec_exec_cpu_affinity
{
  char *initial;
  char *final;
};

struct spec_process
{
  bool terminal;
  struct spec_console_size *console_size;
  struct spec_user user;
  char **args; /* NULL-terminated, at least one entry when validated */
  size_t n_args;
  char *command_line; /* windows only */
  char **env;         /* NULL-terminated "K=V" */
  size_t n_env;
  char *cwd;
  struct spec_capabilities *capabilities;
  struct spec_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile;
  spec_opt_i64 oom_score_adj;
  char *selinux_label;
  struct spec_scheduler *scheduler;
  struct spec_io_priority *io_priority;
  struct spec_exec_cpu_affinity *exec_cpu_affinity;
};

/* ---------------------------------------------------------------- root, mounts */

struct spec_root
{
  char *path;
  bool readonly;
};

struct spec_id_mapping
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

/* The mappings in the kernel's uid_map/gid_map format ("ID HOST SIZE\n" each),
 * a new string. */
char *spec_id_mappings_text(const struct spec_id_mapping *m, size_t n);

struct spec_mount
{
  char *destination;
  char *type;   /* may be NULL */
  char *source; /* may be NULL */
  char **options; /* NULL-terminated, may be NULL */
  size_t n_options;
  struct spec_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  struct spec_id_mapping *gid_mappings;
  size_t n_gid_mappings;
};

/* ---------------------------------------------------------------- hooks */

struct spec_hook
{
  char *path;
  char **args; /* NULL-terminated, may be NULL */
  char **env;  /* NULL-terminated, may be NULL */
  spec_opt_i64 timeout; /* seconds, > 0 when set */
};

struct spec_hook_list
{
  struct spec_hook *hooks;
  size_t n;
};

struct spec_hooks
{
  struct spec_hook_list prestart; /* deprecated but honoured */
  struct spec_hook_list create_runtime;
  struct spec_hook_list create_container;
  struct spec_hook_list start_container;
  struct spec_hook_list poststart;
  struct spec_hook_list poststop;
};

/* ---------------------------------------------------------------- linux */

enum spec_ns_type
{
  SPEC_NS_PID = 0,
  SPEC_NS_NETWORK,
  SPEC_NS_MOUNT,
  SPEC_NS_IPC,
  SPEC_NS_UTS,
  SPEC_NS_USER,
  SPEC_NS_CGROUP,
  SPEC_NS_TIME,
  SPEC_NS_COUNT
};

struct spec_namespace
{
  enum spec_ns_type type;
  char *path; /* NULL: create a new one */
};

struct spec_time_offset
{
  int64_t secs;
  uint32_t nanosecs;
};

struct spec_device
{
  char *type; /* "c", "b", "u", "p" */
  char *path;
  int64_t major;
  int64_t minor;
  spec_opt_u64 file_mode;
  spec_opt_u64 uid;
  spec_opt_u64 gid;
};

struct spec_device_cgroup
{
  bool allow;
  char *type;   /* "a", "c", "b"; NULL means "a" */
  spec_opt_i64 major; /* unset means all (-1 / "*") */
  spec_opt_i64 minor;
  char *access; /* "rwm" subset; NULL means "rwm" */
};

struct spec_memory
{
  spec_opt_i64 limit;
  spec_opt_i64 reservation;
  spec_opt_i64 swap;
  spec_opt_i64 kernel;
  spec_opt_i64 kernel_tcp;
  spec_opt_u64 swappiness;
  spec_opt_bool disable_oom_killer;
  spec_opt_bool use_hierarchy;
  spec_opt_bool check_before_update;
};

struct spec_cpu
{
  spec_opt_u64 shares;
  spec_opt_i64 quota;
  spec_opt_u64 burst;
  spec_opt_u64 period;
  spec_opt_i64 realtime_runtime;
  spec_opt_u64 realtime_period;
  char *cpus;
  char *mems;
  spec_opt_bool idle; /* spec: int64 0/1; stored as bool */
};

struct spec_weight_device
{
  int64_t major;
  int64_t minor;
  spec_opt_u64 weight;      /* uint16 */
  spec_opt_u64 leaf_weight; /* uint16 */
};

struct spec_throttle_device
{
  int64_t major;
  int64_t minor;
  uint64_t rate;
};

struct spec_throttle_list
{
  struct spec_throttle_device *devices;
  size_t n;
};

struct spec_block_io
{
  spec_opt_u64 weight;      /* uint16 */
  spec_opt_u64 leaf_weight; /* uint16 */
  struct spec_weight_device *weight_devices;
  size_t n_weight_devices;
  struct spec_throttle_list throttle_read_bps;
  struct spec_throttle_list throttle_write_bps;
  struct spec_throttle_list throttle_read_iops;
  struct spec_throttle_list throttle_write_iops;
};

struct spec_hugepage_limit
{
  char *page_size; /* "2MB" */
  uint64_t limit;
};

struct spec_net_priority
{
  char *name;
  uint32_t priority;
};

struct spec_network_resources
{
  spec_opt_u64 class_id; /* uint32 */
  struct spec_net_priority *priorities;
  size_t n_priorities;
};

struct spec_rdma
{
  char *device; /* map key */
  spec_opt_u64 hca_handles;
  spec_opt_u64 hca_objects;
};

struct spec_resources
{
  struct spec_device_cgroup *devices;
  size_t n_devices;
  struct spec_memory *memory;
  struct spec_cpu *cpu;
  struct spec_block_io *block_io;
  struct spec_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;
  spec_opt_i64 pids_limit; /* "pids": {"limit": N} */
  struct spec_network_resources *network;
  struct spec_rdma *rdma;
  size_t n_rdma;
  struct spec_kv *unified; /* raw v2 key/values */
  size_t n_unified;
};

struct spec_seccomp_arg
{
  uint32_t index;
  uint64_t value;
  uint64_t value_two;
  char *op; /* SCMP_CMP_NE, ..., SCMP_CMP_MASKED_EQ */
};

struct spec_seccomp_syscall
{
  char **names; /* NULL-terminated */
  size_t n_names;
  char *action;
  spec_opt_u64 errno_ret;
  struct spec_seccomp_arg *args;
  size_t n_args;
};

struct spec_seccomp
{
  char *default_action;
  spec_opt_u64 default_errno_ret;
  char **architectures; /* NULL-terminated, may be NULL */
  char **flags;         /* NULL-terminated, may be NULL */
  char *listener_path;
  char *listener_metadata;
  struct spec_seccomp_syscall *syscalls;
  size_t n_syscalls;
};

struct spec_intel_rdt
{
  char *clos_id;
  char *l3_cache_schema;
  char *mem_bw_schema;
  spec_opt_bool enable_cmt;
  spec_opt_bool enable_mbm;
};

struct spec_memory_policy
{
  char *mode;   /* MPOL_DEFAULT ... */
  char *nodes;
  char **flags; /* NULL-terminated, may be NULL */
};

struct spec_net_device
{
  char *host_name; /* map key */
  char *name;      /* name inside the container, may be NULL */
};

struct spec_personality
{
  char *domain; /* LINUX, LINUX32 */
  char **flags;
};

struct spec_linux
{
  struct spec_namespace *namespaces;
  size_t n_namespaces;
  struct spec_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  struct spec_id_mapping *gid_mappings;
  size_t n_gid_mappings;
  /* "monotonic" and "boottime" */
  struct spec_time_offset *time_offset_monotonic;
  struct spec_time_offset *time_offset_boottime;
  struct spec_device *devices;
  size_t n_devices;
  char *cgroups_path;
  struct spec_resources *resources;
  char *rootfs_propagation;
  char **masked_paths; /* NULL-terminated, may be NULL */
  size_t n_masked_paths;
  char **readonly_paths; /* NULL-terminated, may be NULL */
  size_t n_readonly_paths;
  char *mount_label;
  struct spec_kv *sysctl;
  size_t n_sysctl;
  struct spec_seccomp *seccomp;
  struct spec_personality *personality;
  struct spec_intel_rdt *intel_rdt;
  struct spec_memory_policy *memory_policy;
  struct spec_net_device *net_devices;
  size_t n_net_devices;
};

/* ---------------------------------------------------------------- config */

struct spec_config
{
  char *oci_version;
  struct spec_root *root;
  struct spec_mount *mounts;
  size_t n_mounts;
  struct spec_process *process;
  char *hostname;
  char *domainname;
  struct spec_hooks *hooks;
  struct spec_kv *annotations;
  size_t n_annotations;
  struct spec_linux *linux_; /* `linux` is a predefined macro under gnu11 */
};

/* Parse config.json text. Errors name the file label and JSON path:
 * "config.json: .process.user.uid: 4294967296 is out of range". */
int spec_config_parse(const char *json, size_t len, const char *label, struct spec_config **out,
                      berth_error_t *err);
/* Read and parse a file (at most SPEC_JSON_MAX_SIZE bytes); errors are
 * labelled with the path. */
int spec_config_load(const char *path, struct spec_config **out, berth_error_t *err);
void spec_config_free(struct spec_config *c);

/* Parse process.json (exec --process): a bare "process" object. */
int spec_process_parse(const char *json, size_t len, const char *label, struct spec_process **out,
                       berth_error_t *err);
void spec_process_free(struct spec_process *p);

/* Parse a bare linux.resources object (`update --resources`); same rules
 * and error paths as in config.json, rooted at the label. */
int spec_resources_parse(const char *json, size_t len, const char *label, struct spec_resources **out,
                         berth_error_t *err);
void spec_resources_free(struct spec_resources *r);

/* Lookups used by the runtime */
const struct spec_namespace *spec_find_namespace(const struct spec_config *c, enum spec_ns_type t);
const char *spec_ns_type_name(enum spec_ns_type t); /* "pid", "network", ... */
const char *spec_annotation(const struct spec_config *c, const char *key);

/* ---------------------------------------------------------------- state */

struct spec_state
{
  char *oci_version;
  char *id;
  char *status; /* creating, created, running, stopped, paused */
  pid_t pid;    /* 0 when there is none */
  char *bundle;
  char *rootfs;  /* runc extension, may be NULL */
  char *created; /* RFC3339 with nanoseconds, UTC */
  char *owner;   /* runc extension, may be NULL */
  struct spec_kv *annotations;
  size_t n_annotations;

  /* berth's private record, kept in the state store's state.json under a
   * "berth" object and never shown by `state` or given to hooks */
  uint64_t init_start_time; /* field 22 of /proc/PID/stat, guards against pid reuse */
  char *cgroup_path;        /* the resolved cgroupsPath, NULL when cgroups are disabled */
  char *cgroup_manager;     /* "cgroupfs", "disabled", ... */
  bool detached;            /* created by create or run -d */
};

enum spec_state_emit_flags
{
  SPEC_STATE_PRETTY = 1 << 0,  /* indented like runc's `state` */
  SPEC_STATE_PRIVATE = 1 << 1, /* include the "berth" private object */
};

/* Emit the state JSON (the object `state` prints and hooks get on stdin). */
int spec_state_emit(const struct spec_state *s, unsigned flags, char **out, size_t *out_len,
                    berth_error_t *err);
int spec_state_parse(const char *json, size_t len, const char *label, struct spec_state **out,
                     berth_error_t *err);
/* The runtime-spec "container process state" a seccomp agent receives at
 * linux.seccomp.listenerPath: {"ociVersion", "fds": [fd names], "pid",
 * "metadata" (left out when NULL), "state": the state JSON (public fields)}. */
int spec_process_state_emit(const struct spec_state *s, int pid, const char *const *fds,
                            const char *metadata, char **out, size_t *out_len, berth_error_t *err);
void spec_state_free(struct spec_state *s);

/* ---------------------------------------------------------------- emitters */

/* The default config.json `berth spec` writes (like runc's), tab-indented
 * and ending with a newline. rootless: as `runc spec --rootless` (user
 * namespace mapping root to the current euid/egid, no network namespace,
 * no uid=/gid= mount options, /sys bound from the host, no resources). */
int spec_default_config_emit(bool rootless, char **out, size_t *out_len, berth_error_t *err);

/* The same with options: annotations (e.g. run.berth.* from `berth spec
 * --layer/--network/--annotation`) are written as "annotations" in the
 * order given (a repeated key: the last value wins) when n_annotations > 0. */
struct spec_default_opts
{
  bool rootless;
  const struct spec_kv *annotations;
  size_t n_annotations;
  /* `berth spec --image`: process.args/env/cwd/user from the image config
   * (NULL: the defaults) */
  const struct spec_default_process *process;
};
struct spec_default_process
{
  const char *const *args, *const *env; /* NULL-terminated */
  const char *cwd;
  uint32_t uid, gid;
  const uint32_t *additional_gids;
  size_t n_additional_gids;
};
/* the default process.env (PATH, TERM), NULL-terminated */
const char *const *spec_default_env(void);
int spec_default_config_emit_opts(const struct spec_default_opts *o, char **out, size_t *out_len,
                                  berth_error_t *err);

/* ---------------------------------------------------------------- features */

/* The runtime-spec "features" document (`berth features`). The runtime
 * fills it; strings are borrowed, not owned. Every list is NULL-terminated
 * and NULL leaves the property out (which the spec reads as "unknown", not
 * "none"); an empty list is written as []. `linux` is always written. */
struct spec_features_kv
{
  const char *key;
  const char *value;
};

struct spec_features_enabled
{
  bool present; /* write the object at all */
  bool enabled;
};

struct spec_features
{
  const char *oci_version_min; /* required */
  const char *oci_version_max; /* required */
  const char *const *hooks;
  const char *const *mount_options;
  const struct spec_features_kv *annotations; /* written when n_annotations > 0 */
  size_t n_annotations;
  const char *const *potentially_unsafe_config_annotations;
  struct
  {
    const char *const *namespaces;
    const char *const *capabilities;
    struct
    {
      bool present;
      bool v1, v2, systemd, systemd_user, rdma;
    } cgroup;
    struct
    {
      bool present;
      bool enabled;
      const char *const *actions;
      const char *const *operators;
      const char *const *archs;
      const char *const *known_flags;
      const char *const *supported_flags;
    } seccomp;
    struct spec_features_enabled apparmor;
    struct spec_features_enabled selinux;
    struct spec_features_enabled intel_rdt;
    struct spec_features_enabled idmap; /* mountExtensions.idmap */
  } linux_;
};

/* Indented JSON ending with a newline. */
int spec_features_emit(const struct spec_features *f, char **out, size_t *out_len, berth_error_t *err);

#endif
