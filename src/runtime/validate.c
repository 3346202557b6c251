/* Checks of config.json at create, before anything is made, where runc
 * and crun refuse a configuration that berth would otherwise get wrong
 * later or silently. */
#include "runtime/init.h"
#include "util/util.h"

static const char *sysctl_value(const struct spec_linux *lx, const char *key)
{
  for (size_t i = 0; lx && i < lx->n_sysctl; i++)
    if (str_eq(lx->sysctl[i].key, key))
      return lx->sysctl[i].value;
  return NULL;
}

/* Both would set the same kernel field; which one wins is an accident of
 * the order they are applied in. */
static int check_name_sysctl(const struct spec_linux *lx, const char *key, const char *field,
                             const char *field_value, berth_error_t *err)
{
  if (!field_value || !*field_value || !sysctl_value(lx, key))
    return 0;
  return berth_fail(err, 0, ".linux.sysctl[\"%s\"]: conflicts with the .%s field (\"%s\"): set the %s in one of them",
                    key, field, field_value, field);
}

static int check_userns_mappings(const struct spec_config *c, berth_error_t *err)
{
  const struct spec_namespace *ns = spec_find_namespace(c, SPEC_NS_USER);
  if (!ns || ns->path)
    return 0; /* joined by path: its maps exist already */
  const struct spec_linux *lx = c->linux_;
  if (lx->n_uid_mappings == 0)
    return berth_fail(err, 0, ".linux.uidMappings: a new user namespace needs at least one uid mapping");
  if (lx->n_gid_mappings == 0)
    return berth_fail(err, 0, ".linux.gidMappings: a new user namespace needs at least one gid mapping");
  return 0;
}

int config_validate_create(const struct spec_config *c, berth_error_t *err)
{
  const struct spec_linux *lx = c->linux_;
  if (check_name_sysctl(lx, "kernel.hostname", "hostname", c->hostname, err) < 0
      || check_name_sysctl(lx, "kernel.domainname", "domainname", c->domainname, err) < 0
      || check_userns_mappings(c, err) < 0)
    return -1;
  return 0;
}
