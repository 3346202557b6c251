/* The systemd cgroup driver inside the cgroups module. The pure half
 * (systemd_props.c: cgroupsPath "slice:prefix:name", slice nesting, the
 * unit properties for linux.resources and org.systemd.property.*
 * annotations) is unit tested without root or D-Bus
 * (tests/unit/test_cgroups_systemd.c); systemd.c talks to systemd over
 * sd-bus (libsystemd, opened with dlopen only when this driver is used, so
 * the cgroupfs driver's exec costs nothing more). */
#ifndef BERTH_CGROUPS_SYSTEMD_H
#define BERTH_CGROUPS_SYSTEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroups/resources.h"
#include "spec/spec.h"
#include "util/error.h"

/* the slice and prefix of an empty cgroupsPath: system.slice:berth:ID */
#define BERTH_SYSTEMD_SLICE "system.slice"
#define BERTH_SYSTEMD_PREFIX "berth"

/* A container's unit. */
struct cgroup_systemd_unit
{
  char *unit;    /* "berth-ID.scope", or "a-b.slice" for a slice unit */
  char *slice;   /* the slice the unit sits in: "system.slice" ("-.slice": the root) */
  char *cg_path; /* its cgroup: "/system.slice/berth-ID.scope" */
};
void cgroup_systemd_unit_clear(struct cgroup_systemd_unit *u);

/* Pure: a slice name -> its cgroup path, the parent slices made explicit
 * as systemd nests them: "a-b.slice" -> "/a.slice/a-b.slice", "-.slice"
 * -> "" (the root). Errors say what is wrong with the name. */
int cgroup_systemd_slice_path(const char *slice, char **out, berth_error_t *err);

/* Pure: cgroupsPath "slice:prefix:name" (empty: system.slice:berth:ID) ->
 * the unit: "prefix-name.scope" in slice ("name.scope" without a prefix),
 * or the slice "name" itself when name ends in ".slice" (then slice must
 * be its parent or empty). Only systemd's unit name characters; never a
 * '/' (the cgroup path is made from these names). */
int cgroup_systemd_parse_path(const char *cgroups_path, const char *id, struct cgroup_systemd_unit *out,
                              berth_error_t *err);

/* Pure: the unit back from the cgroup path a state file holds (its last
 * two components), for delete and update. */
int cgroup_systemd_unit_from_cg_path(const char *cg_path, struct cgroup_systemd_unit *out,
                                     berth_error_t *err);

/* ---- unit properties, the D-Bus "a(sv)" of StartTransientUnit and
 * SetUnitProperties */
enum sd_prop_type
{
  SD_PROP_U64,     /* t */
  SD_PROP_BOOL,    /* b */
  SD_PROP_STR,     /* s */
  SD_PROP_BYTES,   /* ay (AllowedCPUs: a CPU bit mask) */
  SD_PROP_DEVICES, /* a(ss) (DeviceAllow: path, access) */
  SD_PROP_U32S,    /* au (PIDs) */
};

struct sd_device_allow
{
  char *path;   /* "/dev/char/1:3", "char-pts", "block-*" */
  char *access; /* "rwm" */
};

struct sd_prop
{
  char *name;
  enum sd_prop_type type;
  uint64_t u64;
  bool b;
  char *s;
  uint8_t *bytes;
  size_t n_bytes;
  struct sd_device_allow *devs;
  size_t n_devs;
  uint32_t *u32s;
  size_t n_u32s;
};

struct sd_props
{
  struct sd_prop *v;
  size_t n;
};
void sd_props_clear(struct sd_props *p);
void sd_props_add_u64(struct sd_props *p, const char *name, uint64_t v);
void sd_props_add_bool(struct sd_props *p, const char *name, bool v);
void sd_props_add_str(struct sd_props *p, const char *name, const char *v);
void sd_props_add_pid(struct sd_props *p, const char *name, uint32_t pid);
const struct sd_prop *sd_props_find(const struct sd_props *p, const char *name);

/* Pure: a cpuset list "0-3,8" -> systemd's CPU bit mask (byte i bit j is
 * CPU 8i+j). Errors name field. */
int cgroup_systemd_cpu_mask(const char *list, const char *field, uint8_t **bytes, size_t *n,
                            berth_error_t *err);

/* Pure: the properties systemd has for what r sets (v2: MemoryMax,
 * MemoryLow, MemorySwapMax, CPUWeight, AllowedCPUs, AllowedMemoryNodes,
 * IOWeight; v1: MemoryLimit, CPUShares, BlockIOWeight; both: TasksMax,
 * CPUQuotaPerSecUSec + CPUQuotaPeriodUSec). dev (may be NULL: devices not
 * touched) adds DevicePolicy/DeviceAllow. v2: a superset of the rules
 * (exact MAJ:MIN, else TYPE-*; allow-by-default: "auto" and an empty
 * list), since berth's own filter sits next to systemd's and both must
 * allow. v1: a deny-by-default state becomes "strict" with its exceptions
 * (a major with any minor by its name in proc_devices, the text of
 * /proc/devices; what cannot be named is left out, so systemd's list never
 * allows more than berth's rules). Every value is also written to cgroupfs
 * by the cgroupfs writers, so systemd's copy matters only when it
 * re-applies the unit. */
int cgroup_systemd_resource_props(const struct spec_resources *r, bool v2, const struct cgroup_dev_state *dev,
                                  const char *proc_devices, struct sd_props *out, berth_error_t *err);

/* Pure: annotations org.systemd.property.NAME=VALUE (as runc takes them)
 * -> properties. VALUE: true/false (b), a number (t; a NAME ending in
 * "Sec" takes a duration with a unit too: "5s", "100ms", "2min"), "uint64
 * N" / "uint32 N" / "int64 N" / "int32 N", or a quoted 'string'. Errors
 * name the annotation. */
int cgroup_systemd_annotation_props(const struct spec_kv *annotations, size_t n, struct sd_props *out,
                                    berth_error_t *err);

/* ---- the D-Bus half (systemd.c) */

/* Is systemd running here (/run/systemd/system) and can berth talk to it
 * (built with libsystemd, libsystemd.so.0 loadable)? */
int cgroup_systemd_available(berth_error_t *err);

/* StartTransientUnit of u with props (+ Delegate, PIDs, Slice ... for a
 * scope) and wait for its job. what names the container's cgroupsPath in
 * errors. A unit that fails to start is stopped again. */
int cgroup_systemd_start(const struct cgroup_systemd_unit *u, pid_t pid, const struct sd_props *props,
                         const char *what, berth_error_t *err);
/* SetUnitProperties (runtime) */
int cgroup_systemd_set(const char *unit, const struct sd_props *props, berth_error_t *err);
/* StopUnit and wait for the job, then ResetFailedUnit; a unit that is not
 * there is fine */
int cgroup_systemd_stop(const char *unit, berth_error_t *err);

/* ---- the handle (struct berth_cgroup's sd; cgroups.c dispatches here) */
struct cgroup_sd
{
  struct cgroup_systemd_unit u;
  char *what;          /* the cgroupsPath as the config has it, for errors */
  bool create;         /* from cgroup_systemd_create: the unit is started by cgroup_enter */
  bool started;        /* ... and it was */
  const struct spec_resources *pending; /* applied once started (the caller keeps it) */
  struct cgroup_apply_options pending_opts;
  struct sd_props extra; /* from the annotations */
};
/* both take over u's (and extra's) contents */
struct cgroup_sd *cgroup_sd_new_for_create(const struct cgroup_systemd_unit *u, const char *what,
                                           const struct sd_props *extra);
struct cgroup_sd *cgroup_sd_new_for_open(const struct cgroup_systemd_unit *u);
void cgroup_sd_free(struct cgroup_sd *s);
/* before the unit is started: keep r for cgroup_sd_start (0); after:
 * SetUnitProperties, then 1 (the caller writes the files) */
int cgroup_sd_apply(struct berth_cgroup *cg, const struct spec_resources *r,
                    const struct cgroup_apply_options *o, berth_error_t *err);
/* a create handle: start the unit with pid in it and make the cgroup in
 * the hierarchies systemd does not manage */
int cgroup_sd_start(struct berth_cgroup *cg, pid_t pid, berth_error_t *err);
/* ... then, with pid in every hierarchy, the kept resources into cgroupfs */
int cgroup_sd_apply_pending(struct berth_cgroup *cg, berth_error_t *err);
/* a create handle whose unit was never started */
bool cgroup_sd_made_nothing(const struct berth_cgroup *cg);
int cgroup_sd_stop(struct berth_cgroup *cg, berth_error_t *err);

/* cgroups.c: linux.resources into the cgroupfs files only */
int cgroup_apply_files(struct berth_cgroup *cg, const struct spec_resources *r,
                       const struct cgroup_apply_options *o, berth_error_t *err);

#endif
