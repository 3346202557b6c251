/* Cgroups: one interface, two drivers (v2 unified; v1 and hybrid).
 * The runtime creates a container's cgroup before cloning its init, puts
 * the init in it (born there with CLONE_INTO_CGROUP on v2), and destroys
 * it on delete. Resource limits (issue 4) are applied through the same
 * handle. */
#ifndef BERTH_CGROUPS_H
#define BERTH_CGROUPS_H

#include <stdbool.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

enum cgroup_mode
{
  CGROUP_MODE_UNIFIED, /* pure v2 at /sys/fs/cgroup */
  CGROUP_MODE_HYBRID,  /* v1 controllers + v2 at /sys/fs/cgroup/unified */
  CGROUP_MODE_LEGACY,  /* v1 only */
};

int cgroup_detect_mode(enum cgroup_mode *out, berth_error_t *err);

/* Pure: the cgroup path for a container. An absolute cgroupsPath is used
 * as given; a relative one goes under /berth/; none gives /berth/<id>.
 * Rejects ".." components. Returns a malloc'ed normalised path. */
int cgroup_resolve_path(const char *cgroups_path, const char *id, char **out, berth_error_t *err);

/* Whether the host has the controller (v1: a mounted hierarchy with it;
 * v2: listed in the root's cgroup.controllers), e.g. "hugetlb". */
int cgroup_host_has_controller(const char *controller, bool *has, berth_error_t *err);

struct berth_cgroup; /* opaque */

/* Create the cgroup (parents as needed; v2: controllers enabled in each
 * parent's subtree_control; v1: in every mounted hierarchy plus
 * name=systemd). An existing cgroup is reused only if it has no
 * processes. A frozen one (or one under a frozen parent) is refused:
 * cgroup_check_not_frozen. */
int cgroup_create(const char *path, struct berth_cgroup **out, berth_error_t *err);

/* Open an existing container's cgroup (for kill --all, delete, pause...).
 * Touches nothing: a cgroup that is already gone opens fine, lists no
 * pids and destroys as a no-op. */
int cgroup_open(const char *path, struct berth_cgroup **out, berth_error_t *err);

/* exec --cgroup: a handle on sub-cgroups of cg's (existing ones: nothing
 * is made), for cgroup_clone_fd and cgroup_enter. Each spec is "PATH"
 * (every hierarchy; then the only spec) or "CTRL[,CTRL...]:PATH" (the v1
 * hierarchies of those controllers; on a unified host the one hierarchy).
 * PATH is relative to cg ("/" too, as with runc); "..", symlinks and other
 * mounts on the way are refused, so the process cannot leave the
 * container's cgroup. An empty v1 cpuset sub-cgroup gets the container's
 * cpus and mems. Hierarchies no spec names stay cg's. */
int cgroup_open_sub(const struct berth_cgroup *cg, char *const *specs, struct berth_cgroup **out,
                    berth_error_t *err);

/* The v2 directory fd for clone3(CLONE_INTO_CGROUP), or -1 when the
 * container cannot be born in it (v1/hybrid); then cgroup_enter(). The fd
 * belongs to cg (O_CLOEXEC, closed by cgroup_free); do not close it. */
int cgroup_clone_fd(struct berth_cgroup *cg);

/* The cgroup path the handle was made with ("/berth/<id>"). */
const char *cgroup_get_path(const struct berth_cgroup *cg);
enum cgroup_mode cgroup_get_mode(const struct berth_cgroup *cg);
/* --log-level debug: one line per directory of the handle (v1: each
 * hierarchy's). */
void cgroup_log_dirs(const struct berth_cgroup *cg);

/* Move pid into the cgroup (every hierarchy on v1). */
int cgroup_enter(struct berth_cgroup *cg, pid_t pid, berth_error_t *err);

/* Pids of every process in the cgroup and the cgroups below it (v2
 * cgroup.procs, v1 the pids or first hierarchy); *pids malloc'ed. */
int cgroup_pids(struct berth_cgroup *cg, pid_t **pids, size_t *n, berth_error_t *err);

/* Send sig to every process in the cgroup. */
int cgroup_kill_all(struct berth_cgroup *cg, int sig, berth_error_t *err);

/* Kill what is left (SIGKILL; frozen sub-cgroups thawed first), wait until
 * empty (bounded, 5 s; less once no process is left), remove the cgroup and
 * the sub-cgroups the container made in every hierarchy; removing an
 * already missing one is fine. A handle from cgroup_create also removes
 * the parents that create made when nobody else uses them (so a failed
 * create leaves nothing). On v1 the realtime budget berth gave the
 * parents under /berth for it is taken back. */
int cgroup_destroy(struct berth_cgroup *cg, berth_error_t *err);

/* Apply linux.resources (every field; v1 and v2 names and conversions
 * as runc has them). Only the fields r sets are touched, so it serves
 * `update` on a live cgroup as well as create; NULL is a no-op. Device
 * rules are applied only when r has some (then with the default devices
 * allowed after them). Errors name the field:
 * ".linux.resources.memory.limit: set memory.max to 1: EBUSY (...)". */
int cgroup_apply_resources(struct berth_cgroup *cg, const struct spec_resources *r, berth_error_t *err);

/* What the caller knows beyond linux.resources. */
struct cgroup_apply_options
{
  /* linux.devices gets no rule of its own: a node is opened with the access
   * linux.resources.devices (or the default list) gives it, as runc does.
   * create: apply the device rules even when r is NULL or has none
   * (default deny + the spec's default devices), as runc does */
  bool devices_always;
  /* set by the systemd driver: systemd attaches a device filter of its
   * own to the unit's cgroup, and berth's goes next to it */
  bool dev_filter_shared;
};

/* cgroup_apply_resources with options; o may be NULL. */
int cgroup_apply_resources_with(struct berth_cgroup *cg, const struct spec_resources *r,
                                const struct cgroup_apply_options *o, berth_error_t *err);

bool cgroup_is_frozen(struct berth_cgroup *cg);

/* Fail with "cgroup PATH is frozen ..." (EBUSY) when the cgroup is frozen
 * or freezing in any hierarchy, by itself or by an ancestor (v1
 * freezer.state; v2 cgroup.events and the cgroup.freeze of it and its
 * ancestors): a process put there would stop before doing anything.
 * cgroup_create checks this; callers waiting on a process in the cgroup
 * call it when the process does not answer. */
int cgroup_check_not_frozen(struct berth_cgroup *cg, berth_error_t *err);

/* ---- the systemd cgroup manager (--systemd-cgroup, --cgroup-manager
 * systemd; systemd.h). cgroupsPath is "slice:prefix:name"; the container's
 * cgroup is the transient scope prefix-name.scope in that slice (or the
 * slice name itself), started with Delegate=yes and the init's pid when
 * cgroup_enter puts the init in it. Everything else (kill --all, ps,
 * pause, stats, events, exec) works on the cgroupfs path as with cgroupfs. */

/* The cgroupsPath is valid for systemd, systemd runs here and berth can
 * talk to it; else a clear error naming the cgroupsPath. */
int cgroup_systemd_check(const char *cgroups_path, const char *id, berth_error_t *err);
/* Pure: the cgroup path of the unit ("/system.slice/berth-ID.scope") */
int cgroup_systemd_resolve_path(const char *cgroups_path, const char *id, char **out, berth_error_t *err);
/* A handle for a new container's unit: nothing is made until cgroup_enter
 * (cgroup_clone_fd is -1 until then); cgroup_apply_resources* before it
 * keeps r (the caller keeps it alive) for then; annotations
 * org.systemd.property.NAME add properties. cgroup_destroy stops the unit
 * (if it was started). */
int cgroup_systemd_create(const char *cgroups_path, const char *id, const struct spec_kv *annotations,
                          size_t n_annotations, struct berth_cgroup **out, berth_error_t *err);
/* cgroup_open for a container made with the state's cgroupManager: with
 * "systemd" cgroup_destroy also stops the unit and cgroup_apply_resources
 * also sets the unit's properties */
int cgroup_open_managed(const char *path, const char *manager, struct berth_cgroup **out, berth_error_t *err);

/* ---- pause/resume, stats, OOM events (freezer.c, stats.c, events.c) */

/* Freeze (v2 cgroup.freeze, v1 freezer.state) or thaw, waiting (bounded,
 * 5 s) until the kernel reports it; a freeze that times out is undone.
 * Afterwards cgroup_is_frozen() agrees. */
int cgroup_freeze(struct berth_cgroup *cg, bool frozen, berth_error_t *err);
/* Best effort: thaw the cgroup at path and every frozen cgroup below it
 * (the container's own sub-cgroups: v1 freezer.state, v2 cgroup.freeze).
 * A v1-frozen process acts on SIGKILL only once thawed (delete --force of a
 * paused container sends SIGKILL, then calls this). */
void cgroup_thaw_path(const char *path);
void cgroup_thaw_tree(struct berth_cgroup *cg);

/* Fill *stats (spec/events.h; zeroed first, free with spec_stats_clear)
 * from the cgroup's files; counters the host lacks stay 0. Error only when
 * the cgroup is gone. */
struct spec_stats;
int cgroup_read_stats(struct berth_cgroup *cg, struct spec_stats *stats, berth_error_t *err);

/* OOM notifications: a pollable fd (readable when something happened);
 * then cgroup_oom_watch_read() tells how many OOM kills (v2) or OOM
 * events (v1) there were since the last call, and whether the cgroup is
 * gone. */
struct cgroup_oom_watch;
int cgroup_oom_watch_open(struct berth_cgroup *cg, struct cgroup_oom_watch **out, berth_error_t *err);
int cgroup_oom_watch_fd(const struct cgroup_oom_watch *w);
int cgroup_oom_watch_read(struct cgroup_oom_watch *w, uint64_t *n_ooms, bool *gone, berth_error_t *err);
void cgroup_oom_watch_free(struct cgroup_oom_watch *w);

/* libcgroup, which berth links, exports its own cgroup_free(struct cgroup **):
 * the macro keeps this name in berth's code but not in the symbol table, so
 * neither library's callers can end up in the other's function. */
#define cgroup_free berth_cgroup_free
void cgroup_free(struct berth_cgroup *cg);

#endif
