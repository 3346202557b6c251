/* Rootless mode: berth run by an ordinary user, or by the root of a user
 * namespace that is not the host's (rootless Podman). What changes:
 *   - the default --root ($XDG_RUNTIME_DIR/berth, state.h);
 *   - id mappings other than the caller's own single id go through the
 *     setuid newuidmap/newgidmap (package uidmap), within /etc/subuid and
 *     /etc/subgid;
 *   - without a cgroup the caller may create, the container runs without
 *     one unless linux.resources asks for limits;
 *   - bridge networking (run.berth.net.*) is refused. */
#ifndef BERTH_ROOTLESS_H
#define BERTH_ROOTLESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

/* --rootless auto: euid is not 0, or we are in a user namespace whose
 * root is not the host's (our uid_map is not the identity of all ids). */
bool rootless_detect(void);

/* Pure: whether the text of /proc/self/uid_map is the initial namespace's
 * "0 0 4294967295". */
bool rootless_uid_map_is_host(const char *uid_map);

/* Pure: the first linux.resources field that needs a cgroup
 * (".linux.resources.memory"...), or NULL. Device rules do not count: a
 * user namespace cannot make device nodes, it binds the host's. */
const char *rootless_resources_field(const struct spec_resources *r);

struct subid_range
{
  uint32_t start;
  uint32_t count;
};

/* Pure: the ranges /etc/subuid (or /etc/subgid) text grants to the user
 * called name or numbered id ("name:start:count" lines; malformed lines are
 * skipped, as shadow's tools do). *out malloc'ed (NULL when none). */
void subid_ranges_parse(const char *text, const char *name, uint32_t id, struct subid_range **out, size_t *n);

/* Pure: whether the mappings are exactly one id of size 1 mapped to own
 * (what an unprivileged process may write itself). */
bool rootless_mapping_is_own(const struct spec_id_mapping *m, size_t n, uint32_t own);

/* Pure: each mapping must be the caller's own id (size 1) or lie inside a
 * granted range. Errors name the field:
 * ".linux.uidMappings[1]: host ids 200000-265535 are neither uid 1000 nor in
 * its /etc/subuid ranges (100000-165535)". */
int rootless_check_mapping_ids(const char *field, const char *file, const char *kind,
                               const struct spec_id_mapping *m, size_t n, uint32_t own,
                               const struct subid_range *granted, size_t n_granted, berth_error_t *err);

/* rootless: no run.berth.net.* annotation. For a caller without root
 * besides: it has a user namespace, and its id mappings are usable (its
 * own ids, or /etc/subuid and /etc/subgid ranges with newuidmap/newgidmap
 * installed). Errors name the field. */
int rootless_check_config(const struct spec_config *c, bool rootless, berth_error_t *err);

/* Write pid's uid_map and gid_map when the caller is not root: its own
 * single ids directly (setgroups denied first for the gid), anything wider
 * through newuidmap/newgidmap. Returns 1 when it wrote them, 0 when the
 * caller is root (the caller writes them itself). */
int rootless_write_id_maps(pid_t pid, const struct spec_linux *lx, berth_error_t *err);

/* `ps` of a container without a cgroup: the host pids of the processes in
 * the init's pid namespace (a created container's init alone: its
 * namespaces are not the caller's to open). Fails when the container shares
 * our pid namespace. *pids malloc'ed. */
int rootless_pidns_pids(pid_t init, pid_t **pids, size_t *n, berth_error_t *err);

#endif
