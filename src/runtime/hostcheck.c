/* Create-time checks of what a config needs from the host: hostcheck.h. */
#include "runtime/hostcheck.h"

#include <fcntl.h>
#include <sys/capability.h>
#include <sys/stat.h>

#include "cgroups/cgroups.h"
#include "util/util.h"

static int check_cap_set(char **names, const char *field, const char *set, const struct hostcheck_host *h,
                         bool in_userns, berth_error_t *err)
{
  for (size_t i = 0; names && names[i]; i++)
    {
      cap_value_t v;
      if (cap_from_name(names[i], &v) < 0)
        return berth_fail(err, EINVAL, "%s.%s[%zu]: unknown capability \"%s\"", field, set, i, names[i]);
      if (v < 0 || v >= h->cap_count || v >= 64)
        return berth_fail(err, EINVAL, "%s.%s[%zu]: %s is not known to this kernel (it knows %d)", field,
                          set, i, names[i], h->cap_count);
      if (!in_userns && !(h->bounding & (UINT64_C(1) << v)))
        return berth_fail(err, EPERM, "%s.%s[%zu]: %s is not in berth's own bounding set", field, set,
                          i, names[i]);
    }
  return 0;
}

int hostcheck_capabilities(const struct spec_capabilities *c, const char *field,
                           const struct hostcheck_host *h, bool in_userns, berth_error_t *err)
{
  if (c == NULL)
    return 0;
  const struct
  {
    char **names;
    const char *set;
  } sets[] = { { c->bounding, "bounding" },
               { c->effective, "effective" },
               { c->inheritable, "inheritable" },
               { c->permitted, "permitted" },
               { c->ambient, "ambient" } };
  for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
    if (check_cap_set(sets[i].names, field, sets[i].set, h, in_userns, err) < 0)
      return -1;
  return 0;
}

static bool is_set(const char *s)
{
  return s && *s;
}

int hostcheck_process(const struct spec_process *p, const char *field, const struct hostcheck_host *h,
                      bool in_userns, berth_error_t *err)
{
  if (is_set(p->apparmor_profile) && !h->apparmor)
    return berth_fail(err, ENOTSUP, "%s.apparmorProfile: \"%s\" given, but AppArmor is not enabled on this host",
                      field, p->apparmor_profile);
  if (is_set(p->selinux_label) && !h->selinux)
    return berth_fail(err, ENOTSUP, "%s.selinuxLabel: \"%s\" given, but SELinux is not enabled on this host",
                      field, p->selinux_label);
  _cleanup_free_ char *caps = xasprintf("%s.capabilities", field);
  return hostcheck_capabilities(p->capabilities, caps, h, in_userns, err);
}

/* ---------------------------------------------------------------- I/O */

static bool apparmor_enabled(void)
{
  _cleanup_free_ char *s = NULL;
  size_t len;
  _cleanup_error_ berth_error_t ignored = NULL;
  return read_file_at(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", 16, &s, &len, &ignored) == 0
         && s[0] == 'Y';
}

static bool selinux_enabled(void)
{
  struct stat st;
  return stat("/sys/fs/selinux/enforce", &st) == 0;
}

/* the LSMs only when a label asks for them (a file read each) */
static void probe_host(struct hostcheck_host *h, bool labels)
{
  *h = (struct hostcheck_host) { .cap_count = (int) cap_max_bits() };
  for (cap_value_t v = 0; v < h->cap_count && v < 64; v++)
    if (cap_get_bound(v) > 0)
      h->bounding |= UINT64_C(1) << v;
  if (labels)
    {
      h->apparmor = apparmor_enabled();
      h->selinux = selinux_enabled();
    }
}

static bool has_labels(const struct spec_process *p)
{
  return is_set(p->apparmor_profile) || is_set(p->selinux_label);
}

static bool in_user_namespace(const struct spec_config *c)
{
  return spec_find_namespace(c, SPEC_NS_USER) != NULL;
}

static int check_hugetlb(const struct spec_resources *r, berth_error_t *err)
{
  if (r == NULL || r->n_hugepage_limits == 0)
    return 0;
  bool has;
  if (cgroup_host_has_controller("hugetlb", &has, err) < 0)
    return berth_wrap(err, ".linux.resources.hugepageLimits");
  if (!has)
    return berth_fail(err, ENOTSUP, ".linux.resources.hugepageLimits: given, but this host has no hugetlb "
                      "cgroup controller");
  return 0;
}

int hostcheck_create(const struct spec_config *c, bool with_cgroups, berth_error_t *err)
{
  const char *mount_label = c->linux_ ? c->linux_->mount_label : NULL;
  struct hostcheck_host h;
  probe_host(&h, has_labels(c->process) || is_set(mount_label));
  if (hostcheck_process(c->process, ".process", &h, in_user_namespace(c), err) < 0)
    return -1;
  if (is_set(mount_label) && !h.selinux)
    return berth_fail(err, ENOTSUP, ".linux.mountLabel: \"%s\" given, but SELinux is not enabled on this host",
                      mount_label);
  if (with_cgroups && c->linux_ && check_hugetlb(c->linux_->resources, err) < 0)
    return -1;
  return 0;
}

int hostcheck_exec(const struct spec_config *c, const struct spec_process *p, const char *field,
                   berth_error_t *err)
{
  struct hostcheck_host h;
  probe_host(&h, has_labels(p));
  return hostcheck_process(p, field, &h, in_user_namespace(c), err);
}
