/* Shared by the commands that act on a live container's cgroup: pause,
 * resume, update, ps, events. Opening a container for them, and their
 * pure parsing helpers (unit-tested in tests/unit/test_cgcmds.c). */
#ifndef BERTH_CGCMDS_H
#define BERTH_CGCMDS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/cli.h"
#include "runtime/state.h"
#include "spec/spec.h"
#include "util/error.h"

struct berth_cgroup;

struct cg_target
{
  struct container *c;
  struct spec_state *state;
  const char *status;      /* live: created, running, paused, stopped, ... */
  struct berth_cgroup *cg; /* NULL when the container has no cgroup */
};

/* Open container id (locked exclusively when lock, else not at all: ps and
 * events only read), its record, its live status and its cgroup. */
int cg_target_open(const struct global_opts *g, const char *id, bool lock, struct cg_target *t,
                   berth_error_t *err);
void cg_target_close(struct cg_target *t);

/* The cgroup, or an error naming why there is none (--cgroup-manager
 * disabled) for the action ("pause", "update", ...). */
int cg_target_need_cgroup(const struct cg_target *t, const char *action, berth_error_t *err);

/* true while the container's processes exist: created, running, paused */
bool cg_target_alive(const struct cg_target *t);

/* ---- pure helpers */

/* Go's time.ParseDuration: "5s", "500ms", "1m30s", "1.5h", "100us",
 * "10ns" (a bare "0" too); must be > 0 here. */
int parse_go_duration(const char *s, uint64_t *ns, berth_error_t *err);

/* runc's memory sizes (docker/go-units RAMInBytes): "1024", "32m",
 * "32MB", "1.5g", "64KiB"; binary units, case-insensitive; "-1" means
 * unlimited. what names the flag in errors. */
int parse_memory_size(const char *what, const char *s, int64_t *out, berth_error_t *err);

/* ps's table output filtered to the header and the lines whose PID column
 * is one of pids (runc's `ps`); the header must have a PID column. */
int ps_filter_table(const char *ps_output, const pid_t *pids, size_t n, char **out, berth_error_t *err);

#endif
