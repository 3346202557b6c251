/* config.json .linux (everything but .linux.resources, see resources.c). */
#include "spec/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static const char *const ns_names[SPEC_NS_COUNT] = {
  [SPEC_NS_PID] = "pid",   [SPEC_NS_NETWORK] = "network", [SPEC_NS_MOUNT] = "mount",
  [SPEC_NS_IPC] = "ipc",   [SPEC_NS_UTS] = "uts",         [SPEC_NS_USER] = "user",
  [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
};

static const char *const device_types[] = { "c", "b", "u", "p" };

static const char *const propagations[] = {
  "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable",
};

static const char *const personality_domains[] = { "LINUX", "LINUX32" };

const char *spec_ns_type_name(enum spec_ns_type t)
{
  return (unsigned) t < SPEC_NS_COUNT ? ns_names[t] : NULL;
}

/* ------------------------------------------------------------ free */

void spec_seccomp_free(struct spec_seccomp *s)
{
  if (!s)
    return;
  free(s->default_action);
  strv_free(s->architectures);
  strv_free(s->flags);
  free(s->listener_path);
  free(s->listener_metadata);
  for (size_t i = 0; s->syscalls && i < s->n_syscalls; i++)
    {
      strv_free(s->syscalls[i].names);
      free(s->syscalls[i].action);
      for (size_t k = 0; s->syscalls[i].args && k < s->syscalls[i].n_args; k++)
        free(s->syscalls[i].args[k].op);
      free(s->syscalls[i].args);
    }
  free(s->syscalls);
  free(s);
}

void spec_linux_free(struct spec_linux *l)
{
  if (!l)
    return;
  for (size_t i = 0; l->namespaces && i < l->n_namespaces; i++)
    free(l->namespaces[i].path);
  free(l->namespaces);
  free(l->uid_mappings);
  free(l->gid_mappings);
  free(l->time_offset_monotonic);
  free(l->time_offset_boottime);
  for (size_t i = 0; l->devices && i < l->n_devices; i++)
    {
      free(l->devices[i].type);
      free(l->devices[i].path);
    }
  free(l->devices);
  free(l->cgroups_path);
  spec_resources_free(l->resources);
  free(l->rootfs_propagation);
  strv_free(l->masked_paths);
  strv_free(l->readonly_paths);
  free(l->mount_label);
  spec_kv_free(l->sysctl, l->n_sysctl);
  spec_seccomp_free(l->seccomp);
  if (l->personality)
    {
      free(l->personality->domain);
      strv_free(l->personality->flags);
      free(l->personality);
    }
  if (l->intel_rdt)
    {
      free(l->intel_rdt->clos_id);
      free(l->intel_rdt->l3_cache_schema);
      free(l->intel_rdt->mem_bw_schema);
      free(l->intel_rdt);
    }
  if (l->memory_policy)
    {
      free(l->memory_policy->mode);
      free(l->memory_policy->nodes);
      strv_free(l->memory_policy->flags);
      free(l->memory_policy);
    }
  for (size_t i = 0; l->net_devices && i < l->n_net_devices; i++)
    {
      free(l->net_devices[i].host_name);
      free(l->net_devices[i].name);
    }
  free(l->net_devices);
  free(l);
}

/* ------------------------------------------------------------ namespaces */

static int parse_namespace(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_namespace *ns = elem;
  _cleanup_free_ char *type = NULL;
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jrequire(c, n, p, "type") < 0 || jf_str(c, n, p, "type", &type) < 0
      || spec_check_enum(c, JP_KEY(p, "type"), "namespace type", type, ns_names, SPEC_NS_COUNT) < 0
      || jf_str(c, n, p, "path", &ns->path) < 0)
    return -1;
  for (int t = 0; t < SPEC_NS_COUNT; t++)
    if (strcmp(type, ns_names[t]) == 0)
      ns->type = (enum spec_ns_type) t;
  if (ns->path && !*ns->path)
    {
      /* "" is what Go writes for "no path": create a new namespace */
      free(ns->path);
      ns->path = NULL;
    }
  if (ns->path && !spec_is_absolute(ns->path))
    return jfail(c, JP_KEY(p, "path"), "\"%.64s\" is not an absolute path", ns->path);
  return 0;
}

static int parse_namespaces(struct jctx *c, const struct jnode *obj, const struct jpath *p, struct spec_linux *l)
{
  if (jf_array(c, obj, p, "namespaces", sizeof *l->namespaces, parse_namespace, &l->namespaces,
               &l->n_namespaces) < 0)
    return -1;
  unsigned seen = 0;
  for (size_t i = 0; i < l->n_namespaces; i++)
    {
      unsigned bit = 1u << l->namespaces[i].type;
      if (seen & bit)
        return jfail(c, JP_KEY(JP_IDX(JP_KEY(p, "namespaces"), i), "type"), "duplicate namespace type %s",
                     ns_names[l->namespaces[i].type]);
      seen |= bit;
    }
  return 0;
}

/* ------------------------------------------------------------ time offsets */

static int parse_time_offset(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_time_offset *t = elem;
  if (jf_i64(c, n, p, "secs", INT64_MIN, INT64_MAX, &t->secs) < 0
      || jf_u32(c, n, p, "nanosecs", 999999999, &t->nanosecs) < 0)
    return -1;
  return 0;
}

static int parse_time_offsets(struct jctx *c, const struct jnode *obj, const struct jpath *p, struct spec_linux *l)
{
  const struct jnode *n = jget(obj, "timeOffsets");
  if (!n)
    return 0;
  p = JP_KEY(p, "timeOffsets");
  if (jexpect(c, n, p, JSON_OBJECT) < 0)
    return -1;
  for (size_t i = 0; i < n->n; i++)
    if (!str_eq(n->m[i].key, "monotonic") && !str_eq(n->m[i].key, "boottime"))
      return jfail(c, JP_KEY(p, n->m[i].key), "unknown clock (monotonic or boottime)");
  if (jf_object(c, n, p, "monotonic", sizeof *l->time_offset_monotonic, parse_time_offset,
                &l->time_offset_monotonic) < 0
      || jf_object(c, n, p, "boottime", sizeof *l->time_offset_boottime, parse_time_offset,
                   &l->time_offset_boottime) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------ devices */

static int parse_device(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_device *d = elem;
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jrequire(c, n, p, "type") < 0 || jrequire(c, n, p, "path") < 0
      || jf_str(c, n, p, "type", &d->type) < 0
      || spec_check_enum(c, JP_KEY(p, "type"), "device type", d->type, device_types, ARRAY_SIZE(device_types)) < 0
      || jf_str(c, n, p, "path", &d->path) < 0)
    return -1;
  if (!spec_is_absolute(d->path))
    return jfail(c, JP_KEY(p, "path"), "\"%.64s\" is not an absolute path", d->path);
  if (strcmp(d->type, "p") != 0 && (jrequire(c, n, p, "major") < 0 || jrequire(c, n, p, "minor") < 0))
    return -1;
  if (jf_i64(c, n, p, "major", 0, INT64_MAX, &d->major) < 0 || jf_i64(c, n, p, "minor", 0, INT64_MAX, &d->minor) < 0
      || jf_opt_u64(c, n, p, "fileMode", UINT32_MAX, &d->file_mode) < 0
      || jf_opt_u64(c, n, p, "uid", JSON_ID_MAX, &d->uid) < 0 || jf_opt_u64(c, n, p, "gid", JSON_ID_MAX, &d->gid) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------ seccomp */

static int parse_seccomp_arg(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_seccomp_arg *a = elem;
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jrequire(c, n, p, "index") < 0 || jrequire(c, n, p, "value") < 0
      || jrequire(c, n, p, "op") < 0 || jf_u32(c, n, p, "index", UINT32_MAX, &a->index) < 0
      || jf_u64(c, n, p, "value", UINT64_MAX, &a->value) < 0
      || jf_u64(c, n, p, "valueTwo", UINT64_MAX, &a->value_two) < 0 || jf_str(c, n, p, "op", &a->op) < 0)
    return -1;
  return 0;
}

static int parse_syscall(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_seccomp_syscall *s = elem;
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jrequire(c, n, p, "names") < 0 || jrequire(c, n, p, "action") < 0
      || jf_strv(c, n, p, "names", &s->names, &s->n_names) < 0 || jf_str(c, n, p, "action", &s->action) < 0
      || jf_opt_u64(c, n, p, "errnoRet", UINT32_MAX, &s->errno_ret) < 0
      || jf_array(c, n, p, "args", sizeof *s->args, parse_seccomp_arg, &s->args, &s->n_args) < 0)
    return -1;
  if (s->n_names == 0)
    return jfail(c, JP_KEY(p, "names"), "must not be empty");
  return 0;
}

int spec_parse_seccomp(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_seccomp *s = elem;
  if (jrequire(c, n, p, "defaultAction") < 0 || jf_str(c, n, p, "defaultAction", &s->default_action) < 0
      || jf_opt_u64(c, n, p, "defaultErrnoRet", UINT32_MAX, &s->default_errno_ret) < 0
      || jf_strv(c, n, p, "architectures", &s->architectures, NULL) < 0
      || jf_strv(c, n, p, "flags", &s->flags, NULL) < 0
      || jf_str(c, n, p, "listenerPath", &s->listener_path) < 0
      || jf_str(c, n, p, "listenerMetadata", &s->listener_metadata) < 0
      || jf_array(c, n, p, "syscalls", sizeof *s->syscalls, parse_syscall, &s->syscalls, &s->n_syscalls) < 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------ small objects */

static int parse_personality(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_personality *pe = elem;
  if (jrequire(c, n, p, "domain") < 0 || jf_str(c, n, p, "domain", &pe->domain) < 0
      || spec_check_enum(c, JP_KEY(p, "domain"), "personality domain", pe->domain, personality_domains,
                         ARRAY_SIZE(personality_domains)) < 0
      || jf_strv(c, n, p, "flags", &pe->flags, NULL) < 0)
    return -1;
  return 0;
}

static int parse_intel_rdt(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_intel_rdt *r = elem;
  if (jf_str(c, n, p, "closID", &r->clos_id) < 0 || jf_str(c, n, p, "l3CacheSchema", &r->l3_cache_schema) < 0
      || jf_str(c, n, p, "memBwSchema", &r->mem_bw_schema) < 0
      || jf_opt_bool(c, n, p, "enableCMT", &r->enable_cmt) < 0
      || jf_opt_bool(c, n, p, "enableMBM", &r->enable_mbm) < 0)
    return -1;
  return 0;
}

static int parse_memory_policy(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_memory_policy *m = elem;
  if (jrequire(c, n, p, "mode") < 0 || jf_str(c, n, p, "mode", &m->mode) < 0
      || jf_str(c, n, p, "nodes", &m->nodes) < 0 || jf_strv(c, n, p, "flags", &m->flags, NULL) < 0)
    return -1;
  return 0;
}

static int parse_net_device(struct jctx *c, const char *key, const struct jnode *n, const struct jpath *p,
                            void *elem)
{
  struct spec_net_device *d = elem;
  d->host_name = xstrdup(key);
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jf_str(c, n, p, "name", &d->name) < 0)
    return -1;
  return 0;
}

static int parse_rootfs_propagation(struct jctx *c, const struct jnode *obj, const struct jpath *p,
                                    struct spec_linux *l)
{
  if (jf_str(c, obj, p, "rootfsPropagation", &l->rootfs_propagation) < 0)
    return -1;
  if (!l->rootfs_propagation)
    return 0;
  if (!*l->rootfs_propagation)
    {
      free(l->rootfs_propagation);
      l->rootfs_propagation = NULL;
      return 0;
    }
  return spec_check_enum(c, JP_KEY(p, "rootfsPropagation"), "propagation", l->rootfs_propagation,
                         propagations, ARRAY_SIZE(propagations));
}

/* ------------------------------------------------------------ linux */

int spec_parse_linux(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_linux *l = elem;
  const struct jnode *nd = jget(n, "netDevices");
  if (parse_namespaces(c, n, p, l) < 0
      || jf_array(c, n, p, "uidMappings", sizeof *l->uid_mappings, spec_parse_id_mapping, &l->uid_mappings,
                  &l->n_uid_mappings) < 0
      || jf_array(c, n, p, "gidMappings", sizeof *l->gid_mappings, spec_parse_id_mapping, &l->gid_mappings,
                  &l->n_gid_mappings) < 0
      || parse_time_offsets(c, n, p, l) < 0
      || jf_array(c, n, p, "devices", sizeof *l->devices, parse_device, &l->devices, &l->n_devices) < 0
      || jf_str(c, n, p, "cgroupsPath", &l->cgroups_path) < 0
      || jf_object(c, n, p, "resources", sizeof *l->resources, spec_parse_resources, &l->resources) < 0
      || parse_rootfs_propagation(c, n, p, l) < 0
      || jf_strv(c, n, p, "maskedPaths", &l->masked_paths, &l->n_masked_paths) < 0
      || jf_strv(c, n, p, "readonlyPaths", &l->readonly_paths, &l->n_readonly_paths) < 0
      || jf_str(c, n, p, "mountLabel", &l->mount_label) < 0
      || jf_kv(c, n, p, "sysctl", &l->sysctl, &l->n_sysctl) < 0
      || jf_object(c, n, p, "seccomp", sizeof *l->seccomp, spec_parse_seccomp, &l->seccomp) < 0
      || jf_object(c, n, p, "personality", sizeof *l->personality, parse_personality, &l->personality) < 0
      || jf_object(c, n, p, "intelRdt", sizeof *l->intel_rdt, parse_intel_rdt, &l->intel_rdt) < 0
      || jf_object(c, n, p, "memoryPolicy", sizeof *l->memory_policy, parse_memory_policy, &l->memory_policy) < 0
      || (nd && jmap(c, nd, JP_KEY(p, "netDevices"), sizeof *l->net_devices, parse_net_device, &l->net_devices,
                     &l->n_net_devices) < 0))
    return -1;
  return 0;
}

char *spec_id_mappings_text(const struct spec_id_mapping *m, size_t n)
{
  char *text = xstrdup("");
  for (size_t i = 0; i < n; i++)
    {
      char *t = xasprintf("%s%u %u %u\n", text, m[i].container_id, m[i].host_id, m[i].size);
      free(text);
      text = t;
    }
  return text;
}
