/* What a config asks of the host that the host may lack: an LSM for a
 * label, the hugetlb controller for hugepage limits, capabilities the
 * kernel knows and berth can give. Checked by create (and by exec for its
 * process) before anything is made, so that no security or resource
 * setting is dropped silently and no half-made container is left. Errors
 * name the field: ".process.apparmorProfile: AppArmor is not enabled on
 * this host". */
#ifndef BERTH_HOSTCHECK_H
#define BERTH_HOSTCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/error.h"

/* The host's side (hostcheck_create/_exec probe it; tests make their own). */
struct hostcheck_host
{
  bool apparmor;     /* AppArmor is enabled */
  bool selinux;      /* SELinux is enabled */
  int cap_count;     /* capabilities the kernel knows (cap_last_cap + 1) */
  uint64_t bounding; /* berth's own bounding set */
};

/* Pure. Every capability in c's sets is one libcap and the kernel know
 * and, outside a user namespace (which starts with a full bounding set),
 * one in berth's bounding set. field: ".process.capabilities". */
int hostcheck_capabilities(const struct spec_capabilities *c, const char *field,
                           const struct hostcheck_host *h, bool in_userns, berth_error_t *err);

/* Pure. A non-empty apparmorProfile or selinuxLabel needs its LSM, and the
 * capabilities as above. field: ".process". */
int hostcheck_process(const struct spec_process *p, const char *field, const struct hostcheck_host *h,
                      bool in_userns, berth_error_t *err);

/* create: the config's process, linux.mountLabel and, when the container
 * gets a cgroup (with_cgroups), that the host has a hugetlb controller for
 * linux.resources.hugepageLimits. */
int hostcheck_create(const struct spec_config *c, bool with_cgroups, berth_error_t *err);

/* exec: its process, in the container whose config is c. */
int hostcheck_exec(const struct spec_config *c, const struct spec_process *p, const char *field,
                   berth_error_t *err);

#endif
