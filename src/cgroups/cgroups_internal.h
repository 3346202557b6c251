/* Inside the cgroups module: the hierarchy model, the pure helpers
 * (path resolution, mountinfo parsing, mode detection; no I/O, unit
 * tested without root) and the two drivers that cgroups.c dispatches to.
 *
 * Why not libcgroup on the hot path: measured on the hybrid dev host
 * (kernel 6.18, 2 cores, shared with other work), 200 cycles of
 * create /x/leaf + attach a forked child + SIGKILL + reap + delete:
 *   libcgroup 2.0.2 (cgroup_create_cgroup, cgroup_attach_task_pid,
 *     cgroup_delete_cgroup_ext), the 8 v1 controller hierarchies only:
 *     1.22-1.64 ms/cycle, 207 syscalls/cycle, plus cgroup_init() at
 *     0.38-0.67 ms in every berth process
 *     (tests/unit/test_cgroups_bench_libcgroup, by hand as root);
 *   this module (tests/unit/test_cgroups_root.c prints it), the same 8
 *     plus name=systemd and unified: 0.88-1.52 ms/cycle, 95 syscalls/cycle,
 *     discovery (one mountinfo read) 0.13 ms;
 *   run back to back, ours was as fast or faster in every pair (1-30 %) while
 *   doing 10 hierarchies to libcgroup's 8.
 * libcgroup re-reads /proc/mounts before every controller's mkdir and before
 * every value it writes (11 reads of /proc/mounts for one create), walks
 * mkdir from "/" upwards, and besides being slow it does not do what a
 * runtime needs: it skips name=systemd and the unified hierarchy of a hybrid
 * host, attaches through "tasks" (one thread, not the whole process), leaves
 * a new v1 cpuset empty so the attach fails with ENOSPC (and its
 * create_from_parent copies every root value and fails), and its delete
 * migrates leftover tasks to the parent instead of killing them. So mount
 * discovery is ours (statfs fast path for pure v2, else one lazy read of
 * /proc/self/mountinfo) and the drivers write cgroupfs directly. */
#ifndef BERTH_CGROUPS_INTERNAL_H
#define BERTH_CGROUPS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroups/cgroups.h"
#include "util/error.h"

/* where a container's cgroup goes when config.json names none (or a
 * relative one) */
#define BERTH_CGROUP_PARENT "/berth"

/* One mounted cgroup hierarchy. */
struct cgroup_hierarchy
{
  char *mount_point; /* "/sys/fs/cgroup/memory" */
  char *root;        /* mountinfo root field: "/" unless a subtree is mounted */
  char **controllers; /* v1: NULL-terminated, "name=systemd" included; v2: NULL */
  bool v2;
};

struct cgroup_mounts
{
  struct cgroup_hierarchy *h;
  size_t n;
};

/* Pure: the cgroup hierarchies in mountinfo text (one per superblock; a
 * second mount of the same hierarchy is ignored, preferring the one that
 * shows its root). Mount points are unescaped (\040 -> ' '). */
int cgroup_parse_mountinfo(const char *text, struct cgroup_mounts *out, berth_error_t *err);
void cgroup_mounts_clear(struct cgroup_mounts *m);

/* Pure: unified when the only hierarchy is cgroup2, hybrid when v1 and v2
 * are both mounted, legacy when only v1; error when none is mounted. */
int cgroup_mode_from_mounts(const struct cgroup_mounts *m, enum cgroup_mode *out, berth_error_t *err);

/* controller in a NULL-terminated list (NULL list: false) */
bool cgroup_controllers_have(char *const *controllers, const char *controller);
/* controller in a cgroup.controllers text ("cpu io memory\n") */
bool cgroup_controllers_text_has(const char *text, const char *controller);

/* exec --cgroup: one controller's sub-cgroup (controller NULL: every
 * hierarchy), path relative to the container's cgroup, normalised: "" (the
 * container's cgroup itself) or "/a/b". */
struct cgroup_sub_spec
{
  char *controller;
  char *path;
};

/* Pure: "PATH" (alone) or "CTRL[,CTRL...]:PATH" arguments -> one entry per
 * controller. A leading "/" is the container's cgroup, as with runc; ".."
 * is refused, a controller may be named once. */
int cgroup_parse_sub_specs(char *const *specs, struct cgroup_sub_spec **out, size_t *n, berth_error_t *err);
void cgroup_sub_specs_free(struct cgroup_sub_spec *s, size_t n);

/* The container's directory in one hierarchy. */
struct cgroup_dir
{
  char *path;       /* mount point + cgroup path */
  char *mount_point;
  bool v2;
  char **controllers; /* v1: the hierarchy's controllers, NULL-terminated; v2: NULL */
  int made_depth;   /* how many trailing levels create made (for undo) */
};

struct berth_cgroup
{
  enum cgroup_mode mode;
  char *path; /* the cgroup path, "/berth/<id>" */
  struct cgroup_dir *dirs;
  size_t n_dirs;
  int clone_fd; /* unified: the leaf, opened lazily; -1 otherwise */
  struct cgroup_sd *sd; /* the systemd driver's unit (systemd.h), NULL for cgroupfs */
};

/* ---- shared cgroupfs helpers (cgroups.c) */
int cgroup_fs_write(const char *dir, const char *file, const char *value, berth_error_t *err);
int cgroup_fs_read(const char *dir, const char *file, char **out, berth_error_t *err);
int cgroup_fs_read_pids(const char *dir, pid_t **pids, size_t *n, berth_error_t *err);
/* signal every process of dir and below; *n_signalled may be NULL */
int cgroup_signal_pids(const char *dir, int sig, size_t *n_signalled, berth_error_t *err);

struct cgroup_level_hooks
{
  /* called for every level from the mount point down to the leaf's parent,
   * before its child is made or entered (v2: enable controllers) */
  int (*before_child)(const char *parent, berth_error_t *err);
};

/* mkdir every missing level of cg_path under dir->mount_point, counting
 * the levels made in dir->made_depth */
int cgroup_fs_mkdir_levels(struct cgroup_dir *dir, const char *cg_path,
                           const struct cgroup_level_hooks *hooks, berth_error_t *err);
/* rmdir the levels create made, leaf first */
void cgroup_fs_undo_create(struct cgroup_dir *dir);

/* ---- v2 driver (cgroups_v2.c); also used for the unified part of hybrid */
int cgroup_v2_create_dir(struct cgroup_dir *dir, const char *cg_path, berth_error_t *err);
int cgroup_v2_kill_all(const struct cgroup_dir *dir, int sig, berth_error_t *err);
bool cgroup_v2_is_frozen(const struct cgroup_dir *dir);
/* resources_v2.c (the rest of the resource code: resources.h) */
int cgroup_v2_apply_resources(const struct cgroup_dir *dir, const struct spec_resources *r,
                              berth_error_t *err);

/* ---- v1 driver (cgroups_v1.c) */
/* realtime budget (rt_v1.c): before the container's cpu.rt_* values of c
 * are written, raise berth's intermediate cgroups of d (at or under
 * /berth, or made by this create) to what their children need; after a
 * container's cgroup is gone, lower its levels under /berth again to what
 * is left below them (best effort) */
int cgroup_v1_rt_reserve(const struct cgroup_dir *d, const char *cg_path, const struct spec_cpu *c,
                         berth_error_t *err);
void cgroup_v1_rt_release(const struct cgroup_dir *d, const char *cg_path);
/* append to *err's message what the cgroup above dir has: " (PARENT has
 * cpu.rt_runtime_us R per cpu.rt_period_us P for all its children)" */
void cgroup_v1_rt_explain(berth_error_t *err, const char *dir);
int cgroup_v1_create_dir(struct cgroup_dir *dir, const char *cg_path, berth_error_t *err);
/* give an empty v1 cpuset (and its empty ancestors) cpus and mems from the
 * nearest ancestor that has them */
int cgroup_v1_fill_cpuset(const struct cgroup_dir *dir, berth_error_t *err);
int cgroup_v1_kill_all(struct berth_cgroup *cg, int sig, berth_error_t *err);
bool cgroup_v1_is_frozen(const struct berth_cgroup *cg);
/* resources_v1.c */
int cgroup_v1_apply_resources(const struct berth_cgroup *cg, const struct spec_resources *r,
                              berth_error_t *err);

/* the v1 dir whose hierarchy has the controller, or NULL */
const struct cgroup_dir *cgroup_v1_dir_for(const struct berth_cgroup *cg, const char *controller);

/* the dir whose cgroup.procs lists the container (v2 leaf; v1 pids, else
 * the first hierarchy) */
const struct cgroup_dir *cgroup_procs_dir(const struct berth_cgroup *cg);

#endif
