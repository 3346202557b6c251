/* config.json and process.json parsing: every field of a full fixture, and
 * each class of bad input with the exact error text. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "spec/spec.h"
#include "tap.h"
#include "util/util.h"

static struct spec_config *load_fixture(const char *name)
{
  _cleanup_free_ char *path = xasprintf("%s/%s", TEST_DATA_DIR, name);
  _cleanup_error_ berth_error_t err = NULL;
  struct spec_config *c = NULL;
  if (!ok(spec_config_load(path, &c, &err) == 0, "load %s", name))
    printf("#   %s\n", berth_error_msg(err));
  return c;
}

static void test_process(const struct spec_process *p)
{
  ok(p->terminal, "process.terminal");
  ok(p->console_size && p->console_size->height == 25 && p->console_size->width == 80, "process.consoleSize");
  is_int(p->user.uid, 1000, "process.user.uid");
  is_int(p->user.gid, 1001, "process.user.gid");
  ok(p->user.umask.set && p->user.umask.value == 18, "process.user.umask");
  is_int(p->user.n_additional_gids, 2, "process.user.additionalGids count");
  ok(p->user.additional_gids[0] == 5 && p->user.additional_gids[1] == 2147483647, "process.user.additionalGids");
  is_str(p->user.username, "u", "process.user.username");
  is_int(p->n_args, 3, "process.args count");
  is_str(p->args[2], "echo hi", "process.args[2]");
  ok(p->args[3] == NULL, "process.args NULL-terminated");
  is_str(p->command_line, "cmd.exe /c", "process.commandLine");
  is_int(p->n_env, 2, "process.env count");
  is_str(p->env[1], "TERM=xterm", "process.env[1]");
  ok(p->env[2] == NULL, "process.env NULL-terminated");
  is_str(p->cwd, "/work", "process.cwd");
  ok(p->capabilities != NULL, "process.capabilities");
  is_str(p->capabilities->bounding[1], "CAP_NET_BIND_SERVICE", "capabilities.bounding");
  ok(p->capabilities->bounding[2] == NULL, "capabilities.bounding NULL-terminated");
  is_str(p->capabilities->effective[0], "CAP_KILL", "capabilities.effective");
  is_str(p->capabilities->inheritable[0], "CAP_CHOWN", "capabilities.inheritable");
  is_str(p->capabilities->permitted[1], "CAP_SYS_ADMIN", "capabilities.permitted");
  is_str(p->capabilities->ambient[0], "CAP_NET_RAW", "capabilities.ambient");
  is_int(p->n_rlimits, 2, "process.rlimits count");
  is_str(p->rlimits[0].type, "RLIMIT_NOFILE", "rlimits[0].type");
  ok(p->rlimits[0].soft == 1024 && p->rlimits[0].hard == 4096, "rlimits[0] soft/hard");
  ok(p->rlimits[1].soft == 0 && p->rlimits[1].hard == UINT64_MAX, "rlimits[1] hard = 2^64-1");
  ok(p->no_new_privileges, "process.noNewPrivileges");
  is_str(p->apparmor_profile, "docker-default", "process.apparmorProfile");
  ok(p->oom_score_adj.set && p->oom_score_adj.value == -500, "process.oomScoreAdj");
  is_str(p->selinux_label, "system_u:system_r:container_t:s0", "process.selinuxLabel");
  const struct spec_scheduler *s = p->scheduler;
  ok(s != NULL, "process.scheduler");
  is_str(s->policy, "SCHED_DEADLINE", "scheduler.policy");
  ok(s->nice.set && s->nice.value == -5, "scheduler.nice");
  ok(s->priority.set && s->priority.value == 3, "scheduler.priority");
  is_str(s->flags[0], "SCHED_FLAG_RESET_ON_FORK", "scheduler.flags");
  ok(s->runtime.value == 100 && s->deadline.value == 200 && s->period.value == 300 && s->runtime.set
         && s->deadline.set && s->period.set,
     "scheduler.runtime/deadline/period");
  ok(p->io_priority && p->io_priority->priority == 4, "process.ioPriority.priority");
  is_str(p->io_priority->class, "IOPRIO_CLASS_BE", "process.ioPriority.class");
  is_str(p->exec_cpu_affinity->initial, "0-1", "execCPUAffinity.initial");
  is_str(p->exec_cpu_affinity->final, "2", "execCPUAffinity.final");
}

static void test_top(const struct spec_config *c)
{
  is_str(c->oci_version, "1.2.0", "ociVersion");
  ok(c->root && c->root->readonly, "root.readonly");
  is_str(c->root->path, "rootfs", "root.path");
  is_str(c->hostname, "box", "hostname");
  is_str(c->domainname, "example.org", "domainname");
  is_int(c->n_mounts, 2, "mounts count");
  const struct spec_mount *m = &c->mounts[1];
  is_str(m->destination, "/data", "mounts[1].destination");
  is_str(m->type, "bind", "mounts[1].type");
  is_str(m->source, "/srv/data", "mounts[1].source");
  is_int(m->n_options, 3, "mounts[1].options count");
  is_str(m->options[2], "idmap", "mounts[1].options[2]");
  ok(c->mounts[0].options == NULL, "mounts[0].options absent");
  ok(m->n_uid_mappings == 1 && m->uid_mappings[0].host_id == 100000 && m->uid_mappings[0].size == 65536,
     "mounts[1].uidMappings");
  ok(m->n_gid_mappings == 1 && m->gid_mappings[0].container_id == 1 && m->gid_mappings[0].host_id == 200000
         && m->gid_mappings[0].size == 10,
     "mounts[1].gidMappings");
  const struct spec_hooks *h = c->hooks;
  ok(h != NULL, "hooks");
  ok(h->prestart.n == 1 && h->prestart.hooks[0].timeout.set && h->prestart.hooks[0].timeout.value == 5,
     "hooks.prestart timeout");
  is_str(h->prestart.hooks[0].path, "/usr/bin/pre", "hooks.prestart path");
  is_str(h->prestart.hooks[0].args[1], "a", "hooks.prestart args");
  is_str(h->prestart.hooks[0].env[0], "A=1", "hooks.prestart env");
  ok(h->create_runtime.n == 2, "hooks.createRuntime count");
  is_str(h->create_runtime.hooks[1].path, "/bin/cr2", "hooks.createRuntime[1]");
  ok(!h->create_runtime.hooks[0].timeout.set, "hooks timeout unset");
  is_str(h->create_container.hooks[0].path, "/bin/cc", "hooks.createContainer");
  is_str(h->start_container.hooks[0].path, "/bin/sc", "hooks.startContainer");
  is_str(h->poststart.hooks[0].path, "/bin/ps", "hooks.poststart");
  is_str(h->poststop.hooks[0].path, "/bin/pst", "hooks.poststop");
  is_int(c->n_annotations, 2, "annotations count");
  is_str(spec_annotation(c, "org.example.key"), "value", "spec_annotation");
  is_str(spec_annotation(c, "empty"), "", "spec_annotation empty value");
  ok(spec_annotation(c, "missing") == NULL, "spec_annotation missing");
}

static void test_linux(const struct spec_config *c)
{
  const struct spec_linux *l = c->linux_;
  ok(l != NULL, "linux");
  is_int(l->n_namespaces, 8, "namespaces count");
  for (int t = 0; t < SPEC_NS_COUNT; t++)
    ok(spec_find_namespace(c, (enum spec_ns_type) t) != NULL, "spec_find_namespace %s",
       spec_ns_type_name((enum spec_ns_type) t));
  is_str(spec_find_namespace(c, SPEC_NS_NETWORK)->path, "/var/run/netns/x", "namespace path");
  ok(spec_find_namespace(c, SPEC_NS_TIME)->path == NULL, "empty namespace path means new");
  ok(l->n_uid_mappings == 2 && l->uid_mappings[1].size == 4294967295u, "linux.uidMappings");
  ok(l->n_gid_mappings == 1 && l->gid_mappings[0].host_id == 1001, "linux.gidMappings");
  ok(l->time_offset_monotonic && l->time_offset_monotonic->secs == -86400
         && l->time_offset_monotonic->nanosecs == 5,
     "timeOffsets.monotonic");
  ok(l->time_offset_boottime && l->time_offset_boottime->secs == 3600
         && l->time_offset_boottime->nanosecs == 999999999,
     "timeOffsets.boottime");
  is_int(l->n_devices, 2, "devices count");
  const struct spec_device *d = &l->devices[0];
  is_str(d->type, "c", "devices[0].type");
  is_str(d->path, "/dev/fuse", "devices[0].path");
  ok(d->major == 10 && d->minor == 229, "devices[0] major/minor");
  ok(d->file_mode.set && d->file_mode.value == 438, "devices[0].fileMode");
  ok(d->uid.set && d->uid.value == 0 && d->gid.set && d->gid.value == 5, "devices[0] uid/gid");
  ok(!l->devices[1].file_mode.set && !l->devices[1].uid.set, "devices[1] optional fields unset");
  is_str(l->cgroups_path, "/default/c1", "cgroupsPath");
  is_str(l->rootfs_propagation, "rslave", "rootfsPropagation");
  ok(l->n_masked_paths == 2 && l->masked_paths[2] == NULL, "maskedPaths");
  is_str(l->masked_paths[1], "/sys/firmware", "maskedPaths[1]");
  ok(l->n_readonly_paths == 1, "readonlyPaths count");
  is_str(l->readonly_paths[0], "/proc/sys", "readonlyPaths[0]");
  is_str(l->mount_label, "system_u:object_r:container_file_t:s0", "mountLabel");
  ok(l->n_sysctl == 2, "sysctl count");
  is_str(l->sysctl[0].key, "net.ipv4.ip_forward", "sysctl key");
  is_str(l->sysctl[0].value, "1", "sysctl value");
  const struct spec_seccomp *s = l->seccomp;
  ok(s != NULL, "seccomp");
  is_str(s->default_action, "SCMP_ACT_ERRNO", "seccomp.defaultAction");
  ok(s->default_errno_ret.set && s->default_errno_ret.value == 38, "seccomp.defaultErrnoRet");
  is_str(s->architectures[1], "SCMP_ARCH_X86", "seccomp.architectures");
  is_str(s->flags[0], "SECCOMP_FILTER_FLAG_LOG", "seccomp.flags");
  is_str(s->listener_path, "/run/seccomp.sock", "seccomp.listenerPath");
  is_str(s->listener_metadata, "meta", "seccomp.listenerMetadata");
  is_int(s->n_syscalls, 2, "seccomp.syscalls count");
  ok(s->syscalls[0].n_names == 2 && !s->syscalls[0].errno_ret.set, "syscalls[0]");
  is_str(s->syscalls[0].names[1], "write", "syscalls[0].names[1]");
  const struct spec_seccomp_syscall *sc = &s->syscalls[1];
  is_str(sc->action, "SCMP_ACT_ERRNO", "syscalls[1].action");
  ok(sc->errno_ret.set && sc->errno_ret.value == 1, "syscalls[1].errnoRet");
  ok(sc->n_args == 1 && sc->args[0].index == 0 && sc->args[0].value == 8 && sc->args[0].value_two == 9,
     "syscalls[1].args");
  is_str(sc->args[0].op, "SCMP_CMP_MASKED_EQ", "syscalls[1].args[0].op");
  is_str(l->personality->domain, "LINUX32", "personality.domain");
  is_str(l->personality->flags[0], "SHORT_INODE", "personality.flags");
  is_str(l->intel_rdt->clos_id, "guaranteed", "intelRdt.closID");
  is_str(l->intel_rdt->l3_cache_schema, "L3:0=ff", "intelRdt.l3CacheSchema");
  is_str(l->intel_rdt->mem_bw_schema, "MB:0=50", "intelRdt.memBwSchema");
  ok(l->intel_rdt->enable_cmt.set && l->intel_rdt->enable_cmt.value, "intelRdt.enableCMT");
  ok(l->intel_rdt->enable_mbm.set && !l->intel_rdt->enable_mbm.value, "intelRdt.enableMBM");
  is_str(l->memory_policy->mode, "MPOL_BIND", "memoryPolicy.mode");
  is_str(l->memory_policy->nodes, "0-1", "memoryPolicy.nodes");
  is_str(l->memory_policy->flags[0], "MPOL_F_STATIC_NODES", "memoryPolicy.flags");
  is_int(l->n_net_devices, 2, "netDevices count");
  is_str(l->net_devices[0].host_name, "eth1", "netDevices key");
  is_str(l->net_devices[0].name, "ceth1", "netDevices name");
  ok(l->net_devices[1].name == NULL, "netDevices without name");
}

static void test_resources(const struct spec_resources *r)
{
  ok(r != NULL, "resources");
  is_int(r->n_devices, 2, "resources.devices count");
  ok(!r->devices[0].allow && r->devices[0].type == NULL && !r->devices[0].major.set, "devices[0] deny all");
  is_str(r->devices[0].access, "rwm", "devices[0].access");
  ok(r->devices[1].allow && r->devices[1].major.set && r->devices[1].major.value == 1, "devices[1] major");
  ok(!r->devices[1].minor.set, "devices[1] minor -1 is a wildcard");
  is_str(r->devices[1].type, "c", "devices[1].type");
  const struct spec_memory *m = r->memory;
  ok(m->limit.set && m->limit.value == 536870912, "memory.limit");
  ok(m->reservation.set && m->reservation.value == 268435456, "memory.reservation");
  ok(m->swap.set && m->swap.value == -1, "memory.swap -1");
  ok(m->kernel.value == 1048576 && m->kernel_tcp.value == 2097152, "memory.kernel/kernelTCP");
  ok(m->swappiness.set && m->swappiness.value == 60, "memory.swappiness");
  ok(m->disable_oom_killer.set && m->disable_oom_killer.value, "memory.disableOOMKiller");
  ok(m->use_hierarchy.set && !m->use_hierarchy.value, "memory.useHierarchy");
  ok(m->check_before_update.set && m->check_before_update.value, "memory.checkBeforeUpdate");
  const struct spec_cpu *cpu = r->cpu;
  ok(cpu->shares.value == 1024 && cpu->quota.value == 50000 && cpu->burst.value == 10000
         && cpu->period.value == 100000,
     "cpu shares/quota/burst/period");
  ok(cpu->realtime_runtime.value == 950000 && cpu->realtime_period.value == 1000000, "cpu realtime");
  is_str(cpu->cpus, "0-3", "cpu.cpus");
  is_str(cpu->mems, "0", "cpu.mems");
  ok(cpu->idle.set && cpu->idle.value, "cpu.idle");
  const struct spec_block_io *b = r->block_io;
  ok(b->weight.value == 500 && b->leaf_weight.value == 300, "blockIO weight/leafWeight");
  ok(b->n_weight_devices == 1 && b->weight_devices[0].major == 8 && b->weight_devices[0].weight.value == 600
         && b->weight_devices[0].leaf_weight.value == 200,
     "blockIO.weightDevice");
  ok(b->throttle_read_bps.n == 1 && b->throttle_read_bps.devices[0].rate == 1048576, "throttleReadBpsDevice");
  ok(b->throttle_write_bps.devices[0].minor == 16 && b->throttle_write_bps.devices[0].rate == 2097152,
     "throttleWriteBpsDevice");
  ok(b->throttle_read_iops.devices[0].minor == 32 && b->throttle_read_iops.devices[0].rate == 100,
     "throttleReadIOPSDevice");
  ok(b->throttle_write_iops.devices[0].minor == 48 && b->throttle_write_iops.devices[0].rate == 200,
     "throttleWriteIOPSDevice");
  ok(r->n_hugepage_limits == 1 && r->hugepage_limits[0].limit == 209715200, "hugepageLimits");
  is_str(r->hugepage_limits[0].page_size, "2MB", "hugepageLimits.pageSize");
  ok(r->pids_limit.set && r->pids_limit.value == 32771, "pids.limit");
  ok(r->network->class_id.set && r->network->class_id.value == 1048577, "network.classID");
  ok(r->network->n_priorities == 1 && r->network->priorities[0].priority == 500, "network.priorities");
  is_str(r->network->priorities[0].name, "eth0", "network.priorities.name");
  ok(r->n_rdma == 1 && r->rdma[0].hca_handles.value == 3 && r->rdma[0].hca_objects.value == 10000, "rdma");
  is_str(r->rdma[0].device, "mlx5_1", "rdma device");
  ok(r->n_unified == 2, "unified count");
  is_str(r->unified[0].key, "memory.high", "unified key");
  is_str(r->unified[1].value, "100", "unified value");
}

static void test_full_fixture(void)
{
  struct spec_config *c = load_fixture("config-full.json");
  if (!c)
    return;
  test_top(c);
  test_process(c->process);
  test_linux(c);
  test_resources(c->linux_->resources);
  spec_config_free(c);
}

static void test_minimal(void)
{
  const char *json = "{\"ociVersion\":\"1.0.0\"}";
  struct spec_config *c = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  ok(spec_config_parse(json, strlen(json), "config.json", &c, &err) == 0, "minimal config parses");
  ok(c && !c->process && !c->root && !c->linux_ && !c->hooks && c->n_mounts == 0, "absent sections are NULL");
  ok(spec_find_namespace(c, SPEC_NS_PID) == NULL, "no namespaces without linux");
  spec_config_free(c);

  const char *nulls = "{\"ociVersion\":\"1.0.0\",\"process\":null,\"mounts\":null,\"linux\":{\"namespaces\":null}}";
  c = NULL;
  ok(spec_config_parse(nulls, strlen(nulls), "config.json", &c, &err) == 0, "null counts as absent");
  ok(c && !c->process && c->linux_ && c->linux_->n_namespaces == 0, "null sections stay empty");
  spec_config_free(c);

  const char *dup = "{\"ociVersion\":\"1.0.0\",\"hostname\":\"a\",\"hostname\":\"b\"}";
  c = NULL;
  ok(spec_config_parse(dup, strlen(dup), "config.json", &c, &err) == 0, "duplicate key parses");
  is_str(c ? c->hostname : NULL, "b", "duplicate key: the last wins");
  spec_config_free(c);
}

/* One bad document: the error must be exactly want (or contain it when
 * exact is false). */
static void bad(const char *json, const char *want)
{
  struct spec_config *c = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  int ret = spec_config_parse(json, strlen(json), "config.json", &c, &err);
  if (!ok(ret < 0 && c == NULL && err && strcmp(err->msg, want) == 0, "rejects: %s", want))
    printf("#   ret %d, got \"%s\"\n", ret, err ? err->msg : "(none)");
  spec_config_free(c);
}

#define CFG(rest) "{\"ociVersion\":\"1.2.0\"," rest "}"
#define PROC(rest) CFG("\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"," rest "}")
#define LINUX(rest) CFG("\"linux\":{" rest "}")
#define RES(rest) LINUX("\"resources\":{" rest "}")

static void test_bad_types(void)
{
  bad("[]", "config.json: expected object");
  bad("{\"ociVersion\":1}", "config.json: .ociVersion: expected string");
  bad(CFG("\"root\":\"rootfs\""), "config.json: .root: expected object");
  bad(CFG("\"root\":{\"path\":\"r\",\"readonly\":\"yes\"}"), "config.json: .root.readonly: expected boolean");
  bad(CFG("\"mounts\":{}"), "config.json: .mounts: expected array");
  bad(CFG("\"mounts\":[{\"destination\":\"/a\"},{\"destination\":\"/b\"},{\"destination\":5}]"),
      "config.json: .mounts[2].destination: expected string");
  bad(CFG("\"mounts\":[{\"destination\":\"/a\",\"options\":[\"ro\",7]}]"),
      "config.json: .mounts[0].options[1]: expected string");
  bad(CFG("\"mounts\":[\"/a\"]"), "config.json: .mounts[0]: expected object");
  bad(PROC("\"user\":{\"uid\":\"0\"}"), "config.json: .process.user.uid: expected integer");
  bad(PROC("\"user\":{\"uid\":1.5}"), "config.json: .process.user.uid: expected integer");
  bad(PROC("\"user\":{\"uid\":1e3}"), "config.json: .process.user.uid: expected integer");
  bad(PROC("\"env\":\"PATH=/bin\""), "config.json: .process.env: expected array");
  bad(PROC("\"terminal\":1"), "config.json: .process.terminal: expected boolean");
  bad(RES("\"memory\":{\"limit\":\"1G\"}"), "config.json: .linux.resources.memory.limit: expected integer");
  bad(RES("\"memory\":{\"limit\":true}"), "config.json: .linux.resources.memory.limit: expected integer");
  bad(CFG("\"annotations\":{\"a\":1}"), "config.json: .annotations.a: expected string");
  bad(CFG("\"annotations\":{\"org.x\":[]}"), "config.json: .annotations[\"org.x\"]: expected string");
  bad(LINUX("\"sysctl\":[]"), "config.json: .linux.sysctl: expected object");
  bad(RES("\"unified\":{\"memory.max\":5}"), "config.json: .linux.resources.unified[\"memory.max\"]: expected string");
  bad(LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"],\"action\":\"A\","
            "\"args\":[{\"index\":0,\"value\":\"1\",\"op\":\"EQ\"}]}]}"),
      "config.json: .linux.seccomp.syscalls[0].args[0].value: expected integer");
  bad(CFG("\"hooks\":{\"poststop\":{\"path\":\"/x\"}}"), "config.json: .hooks.poststop: expected array");
  bad(RES("\"rdma\":{\"mlx\":{\"hcaHandles\":\"x\"}}"), "config.json: .linux.resources.rdma.mlx.hcaHandles: expected integer");
}

static void test_required(void)
{
  bad("{}", "config.json: .ociVersion: required");
  bad("{\"ociVersion\":null}", "config.json: .ociVersion: required");
  bad("{\"ociVersion\":\"\"}", "config.json: .ociVersion: must not be empty");
  bad(CFG("\"root\":{}"), "config.json: .root.path: required");
  bad(CFG("\"root\":{\"path\":\"\"}"), "config.json: .root.path: must not be empty");
  bad(CFG("\"process\":{\"cwd\":\"/\"}"), "config.json: .process.args: required");
  bad(CFG("\"process\":{\"args\":[],\"cwd\":\"/\"}"), "config.json: .process.args: must not be empty");
  bad(CFG("\"process\":{\"args\":[\"sh\"]}"), "config.json: .process.cwd: required");
  bad(CFG("\"process\":{\"args\":[\"sh\"],\"cwd\":\"tmp\"}"),
      "config.json: .process.cwd: \"tmp\" is not an absolute path");
  bad(CFG("\"mounts\":[{\"type\":\"tmpfs\"}]"), "config.json: .mounts[0].destination: required");
  bad(CFG("\"mounts\":[{\"destination\":\"tmp\"}]"),
      "config.json: .mounts[0].destination: \"tmp\" is not an absolute path");
  bad(CFG("\"hooks\":{\"prestart\":[{\"args\":[]}]}"), "config.json: .hooks.prestart[0].path: required");
  bad(CFG("\"hooks\":{\"createRuntime\":[{\"path\":\"hook\"}]}"),
      "config.json: .hooks.createRuntime[0].path: \"hook\" is not an absolute path");
  bad(LINUX("\"seccomp\":{}"), "config.json: .linux.seccomp.defaultAction: required");
  bad(LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"x\"]}]}"),
      "config.json: .linux.seccomp.syscalls[0].action: required");
  bad(LINUX("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"A\"}]}"),
      "config.json: .linux.seccomp.syscalls[0].names: must not be empty");
  bad(LINUX("\"namespaces\":[{\"path\":\"/x\"}]"), "config.json: .linux.namespaces[0].type: required");
  bad(LINUX("\"uidMappings\":[{\"containerID\":0,\"hostID\":1}]"), "config.json: .linux.uidMappings[0].size: required");
  bad(LINUX("\"devices\":[{\"type\":\"c\",\"path\":\"/dev/x\",\"major\":1}]"),
      "config.json: .linux.devices[0].minor: required");
  bad(LINUX("\"devices\":[{\"type\":\"c\",\"major\":1,\"minor\":1}]"), "config.json: .linux.devices[0].path: required");
  bad(PROC("\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1}]"), "config.json: .process.rlimits[0].hard: required");
  bad(PROC("\"consoleSize\":{\"height\":1}"), "config.json: .process.consoleSize.width: required");
  bad(PROC("\"scheduler\":{\"nice\":1}"), "config.json: .process.scheduler.policy: required");
  bad(RES("\"devices\":[{\"access\":\"rwm\"}]"), "config.json: .linux.resources.devices[0].allow: required");
  bad(RES("\"pids\":{}"), "config.json: .linux.resources.pids.limit: required");
  bad(RES("\"hugepageLimits\":[{\"limit\":1}]"), "config.json: .linux.resources.hugepageLimits[0].pageSize: required");
  bad(RES("\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0}]}"),
      "config.json: .linux.resources.blockIO.throttleReadBpsDevice[0].rate: required");
  bad(LINUX("\"personality\":{}"), "config.json: .linux.personality.domain: required");
  bad(LINUX("\"memoryPolicy\":{\"nodes\":\"0\"}"), "config.json: .linux.memoryPolicy.mode: required");
}

static void test_ranges(void)
{
  bad(PROC("\"user\":{\"uid\":4294967296}"), "config.json: .process.user.uid: 4294967296 is out of range");
  bad(PROC("\"user\":{\"uid\":2147483648}"), "config.json: .process.user.uid: 2147483648 is out of range");
  bad(PROC("\"user\":{\"gid\":-1}"), "config.json: .process.user.gid: -1 is out of range");
  bad(PROC("\"user\":{\"additionalGids\":[1,4294967295]}"),
      "config.json: .process.user.additionalGids[1]: 4294967295 is out of range");
  bad(PROC("\"user\":{\"umask\":512}"), "config.json: .process.user.umask: 512 is out of range");
  bad(PROC("\"oomScoreAdj\":1001"), "config.json: .process.oomScoreAdj: 1001 is out of range");
  bad(PROC("\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":-1,\"hard\":1}]"),
      "config.json: .process.rlimits[0].soft: -1 is out of range");
  bad(PROC("\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":18446744073709551616}]"),
      "config.json: .process.rlimits[0].hard: 18446744073709551616 is out of range");
  bad(PROC("\"consoleSize\":{\"height\":-1,\"width\":1}"), "config.json: .process.consoleSize.height: -1 is out of range");
  bad(RES("\"memory\":{\"limit\":9223372036854775808}"),
      "config.json: .linux.resources.memory.limit: 9223372036854775808 is out of range");
  bad(RES("\"memory\":{\"limit\":-2}"), "config.json: .linux.resources.memory.limit: -2 is out of range");
  bad(RES("\"memory\":{\"swappiness\":101}"), "config.json: .linux.resources.memory.swappiness: 101 is out of range");
  bad(RES("\"cpu\":{\"shares\":-1}"), "config.json: .linux.resources.cpu.shares: -1 is out of range");
  bad(RES("\"cpu\":{\"period\":-100}"), "config.json: .linux.resources.cpu.period: -100 is out of range");
  bad(RES("\"cpu\":{\"idle\":2}"), "config.json: .linux.resources.cpu.idle: 2 is out of range");
  bad(RES("\"blockIO\":{\"weight\":65536}"), "config.json: .linux.resources.blockIO.weight: 65536 is out of range");
  bad(RES("\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":-5}]"),
      "config.json: .linux.resources.hugepageLimits[0].limit: -5 is out of range");
  bad(RES("\"network\":{\"classID\":4294967296}"),
      "config.json: .linux.resources.network.classID: 4294967296 is out of range");
  bad(LINUX("\"uidMappings\":[{\"containerID\":0,\"hostID\":-1,\"size\":1}]"),
      "config.json: .linux.uidMappings[0].hostID: -1 is out of range");
  bad(LINUX("\"devices\":[{\"type\":\"c\",\"path\":\"/dev/x\",\"major\":-1,\"minor\":1}]"),
      "config.json: .linux.devices[0].major: -1 is out of range");
  bad(LINUX("\"devices\":[{\"type\":\"c\",\"path\":\"/dev/x\",\"major\":1,\"minor\":1,\"uid\":2147483648}]"),
      "config.json: .linux.devices[0].uid: 2147483648 is out of range");
  bad(LINUX("\"timeOffsets\":{\"boottime\":{\"nanosecs\":1000000000}}"),
      "config.json: .linux.timeOffsets.boottime.nanosecs: 1000000000 is out of range");
  bad(CFG("\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"timeout\":0}]}"),
      "config.json: .hooks.poststop[0].timeout: 0 is out of range (must be > 0)");
  bad(CFG("\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"timeout\":-3}]}"),
      "config.json: .hooks.poststop[0].timeout: -3 is out of range (must be > 0)");
  /* a huge literal: bounded message, no crash */
  char big[400];
  memset(big, '9', sizeof big);
  big[sizeof big - 1] = '\0';
  _cleanup_free_ char *json = xasprintf(PROC("\"user\":{\"uid\":%s}"), big);
  _cleanup_free_ char *want = xasprintf("config.json: .process.user.uid: %.40s... is out of range", big);
  bad(json, want);
}

static void test_enums(void)
{
  bad(LINUX("\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"net\"}]"),
      "config.json: .linux.namespaces[1].type: unknown namespace type \"net\" (one of pid, network, mount, ipc, "
      "uts, user, cgroup, time)");
  bad(LINUX("\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"uts\"},{\"type\":\"pid\"}]"),
      "config.json: .linux.namespaces[2].type: duplicate namespace type pid");
  bad(LINUX("\"namespaces\":[{\"type\":\"network\",\"path\":\"netns\"}]"),
      "config.json: .linux.namespaces[0].path: \"netns\" is not an absolute path");
  bad(PROC("\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":1},{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,"
           "\"hard\":1}]"),
      "config.json: .process.rlimits[1].type: duplicate rlimit RLIMIT_NOFILE");
  bad(PROC("\"rlimits\":[{\"type\":\"NOFILE\",\"soft\":1,\"hard\":1}]"),
      "config.json: .process.rlimits[0].type: unknown rlimit \"NOFILE\" (one of RLIMIT_AS, RLIMIT_CORE, "
      "RLIMIT_CPU, RLIMIT_DATA, RLIMIT_FSIZE, RLIMIT_LOCKS, RLIMIT_MEMLOCK, RLIMIT_MSGQUEUE, RLIMIT_NICE, "
      "RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_RSS, RLIMIT_RTPRIO, RLIMIT_RTTIME, RLIMIT_SIGPENDING, RLIMIT_STACK)");
  bad(PROC("\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"kill\"]}"),
      "config.json: .process.capabilities.bounding[1]: \"kill\" is not a capability name (CAP_*)");
  bad(PROC("\"capabilities\":{\"ambient\":[\"CAP_\"]}"),
      "config.json: .process.capabilities.ambient[0]: \"CAP_\" is not a capability name (CAP_*)");
  bad(LINUX("\"devices\":[{\"type\":\"x\",\"path\":\"/dev/x\"}]"),
      "config.json: .linux.devices[0].type: unknown device type \"x\" (one of c, b, u, p)");
  bad(LINUX("\"devices\":[{\"type\":\"c\",\"path\":\"dev/x\",\"major\":1,\"minor\":1}]"),
      "config.json: .linux.devices[0].path: \"dev/x\" is not an absolute path");
  bad(RES("\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]"),
      "config.json: .linux.resources.devices[0].access: \"rwx\" is not a subset of \"rwm\"");
  bad(RES("\"devices\":[{\"allow\":true,\"type\":\"p\"}]"),
      "config.json: .linux.resources.devices[0].type: unknown device type \"p\" (one of a, c, b)");
  bad(LINUX("\"rootfsPropagation\":\"weird\""),
      "config.json: .linux.rootfsPropagation: unknown propagation \"weird\" (one of shared, slave, private, "
      "unbindable, rshared, rslave, rprivate, runbindable)");
  bad(LINUX("\"timeOffsets\":{\"realtime\":{}}"),
      "config.json: .linux.timeOffsets.realtime: unknown clock (monotonic or boottime)");
  bad(PROC("\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":8}"),
      "config.json: .process.ioPriority.priority: 8 is out of range");
  bad(LINUX("\"personality\":{\"domain\":\"BSD\"}"),
      "config.json: .linux.personality.domain: unknown personality domain \"BSD\" (one of LINUX, LINUX32)");
}

static void test_malformed(void)
{
  bad(CFG("\"hostname\":\"a\\u0000b\""), "config.json: .hostname: string contains a NUL byte");
  bad(CFG("\"mounts\":[{\"destination\":\"/a\",\"options\":[\"x\\u0000\"]}]"),
      "config.json: .mounts[0].options[0]: string contains a NUL byte");
  bad(CFG("\"annotations\":{\"k\\u0000x\":\"v\"}"), "config.json: .annotations.k: object key contains a NUL byte");
  /* unknown properties get the same scrutiny: the tree never holds a NUL */
  bad(CFG("\"x-vendor\":{\"a\":[\"\\u0000\"]}"), "config.json: [\"x-vendor\"].a[0]: string contains a NUL byte");
  bad("{\"ociVersion\":\"1.2.0\"", "config.json: invalid JSON at byte 21: premature EOF");
  bad("", "config.json: invalid JSON at byte 0: premature EOF");
  bad("{\"ociVersion\":\"1.2.0\"} {}", "config.json: invalid JSON at byte 24: trailing garbage");
  bad("{\"ociVersion\":\"1.2.0\",}", "config.json: invalid JSON at byte 23: invalid object key (must be a string)");
  bad("{\"ociVersion\":\"\xff\"}", "config.json: invalid JSON at byte 16: invalid bytes in UTF8 string");
  bad("/* c */{}", "config.json: invalid JSON at byte 0: probable comment found in input text, comments are not "
                  "enabled");
  bad("{\"ociVersion\":01}", "config.json: invalid JSON at byte 15: after key and value, inside map, I "
                             "expect ',' or '}'");
  /* nesting: 64 levels are fine (then the type is wrong), 65 are not */
  char deep[2 * 1000 + 64];
  for (int depth = 64; depth <= 1000; depth += 936)
    {
      size_t n = 0;
      for (int i = 0; i < depth; i++)
        deep[n++] = '[';
      for (int i = 0; i < depth; i++)
        deep[n++] = ']';
      deep[n] = '\0';
      if (depth == 64)
        bad(deep, "config.json: expected object");
      else
        {
          _cleanup_free_ char *want = xstrdup("config.json: ");
          for (int k = 0; k < 64; k++)
            {
              char *next = xasprintf("%s[0]", want);
              free(want);
              want = next;
            }
          char *full = xasprintf("%s: nested deeper than 64 levels", want);
          bad(deep, full);
          free(full);
        }
    }
}

static void test_huge(void)
{
  /* 200000 args parse (and free) fine */
  size_t n = 200000;
  size_t cap = n * 4 + 128, len = 0;
  _cleanup_free_ char *json = xmalloc(cap);
  len += (size_t) sprintf(json, "{\"ociVersion\":\"1\",\"process\":{\"cwd\":\"/\",\"args\":[");
  for (size_t i = 0; i < n; i++)
    {
      memcpy(json + len, i ? ",\"a\"" : "\"a\"", i ? 4 : 3);
      len += i ? 4 : 3;
    }
  len += (size_t) sprintf(json + len, "]}}");
  struct spec_config *c = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  ok(spec_config_parse(json, len, "config.json", &c, &err) == 0 && c && c->process->n_args == n,
     "200000 args parse");
  spec_config_free(c);

  /* more values than the reader holds: a clean error, bounded memory */
  size_t m = 1048576 + 10;
  _cleanup_free_ char *arr = xmalloc(m * 2 + 64);
  len = (size_t) sprintf(arr, "{\"x\":[");
  for (size_t i = 0; i < m; i++)
    {
      arr[len++] = '0';
      arr[len++] = ',';
    }
  arr[len - 1] = ']';
  arr[len++] = '}';
  c = NULL;
  int ret = spec_config_parse(arr, len, "config.json", &c, &err);
  is_err(ret, err, "config.json: .x[262141]: more than 262144 JSON values", "a million-value array is refused");

  /* the size bound comes before any parsing */
  berth_error_free(&err);
  ret = spec_config_parse("{}", SPEC_JSON_MAX_SIZE + 1, "config.json", &c, &err);
  is_err(ret, err, "config.json: larger than 16777216 bytes", "oversized input refused");
}

static void test_process_json(void)
{
  const char *json = "{\"terminal\":false,\"user\":{\"uid\":5,\"gid\":6},\"args\":[\"/bin/ls\",\"-l\"],"
                     "\"env\":[\"A=B\"],\"cwd\":\"/tmp\",\"capabilities\":{\"bounding\":[\"CAP_KILL\"]},"
                     "\"noNewPrivileges\":true,\"unknownField\":[1,2]}";
  struct spec_process *p = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  ok(spec_process_parse(json, strlen(json), "process.json", &p, &err) == 0, "process.json parses");
  if (p)
    {
      ok(!p->terminal && p->user.uid == 5 && p->user.gid == 6, "process.json user");
      ok(p->n_args == 2 && strcmp(p->args[1], "-l") == 0, "process.json args");
      is_str(p->env[0], "A=B", "process.json env");
      is_str(p->cwd, "/tmp", "process.json cwd");
      is_str(p->capabilities->bounding[0], "CAP_KILL", "process.json capabilities");
      ok(p->no_new_privileges, "process.json noNewPrivileges");
    }
  spec_process_free(p);

  struct
  {
    const char *json, *want;
  } cases[] = {
    { "{\"cwd\":\"/\"}", "process.json: .args: required" },
    { "{\"args\":[],\"cwd\":\"/\"}", "process.json: .args: must not be empty" },
    { "{\"args\":[\"x\"],\"cwd\":\"/\",\"user\":{\"uid\":4294967296}}",
      "process.json: .user.uid: 4294967296 is out of range" },
    { "{\"args\":[\"x\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]}",
      "process.json: .rlimits[0].type: unknown rlimit \"RLIMIT_FOO\"" },
    { "[\"x\"]", "process.json: expected object" },
    { "{\"args\":[\"x\"],\"cwd\":\"/\",\"env\":[\"A=\\u0000\"]}", "process.json: .env[0]: string contains a NUL byte" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
    {
      p = NULL;
      berth_error_free(&err);
      int ret = spec_process_parse(cases[i].json, strlen(cases[i].json), "process.json", &p, &err);
      is_err(ret, err, cases[i].want, "process.json rejects: %s", cases[i].want);
      spec_process_free(p);
    }
}

static void test_resources_parse(void)
{
  const char *json = "{\"memory\":{\"limit\":1048576},\"pids\":{\"limit\":10},\"cpu\":{\"quota\":-1}}";
  struct spec_resources *r = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  ok(spec_resources_parse(json, strlen(json), "resources", &r, &err) == 0, "resources parse");
  ok(r && r->memory->limit.value == 1048576 && r->pids_limit.value == 10 && r->cpu->quota.value == -1,
     "resources values");
  spec_resources_free(r);
  r = NULL;
  const char *badj = "{\"memory\":{\"limit\":\"x\"}}";
  int ret = spec_resources_parse(badj, strlen(badj), "resources", &r, &err);
  is_err(ret, err, "resources: .memory.limit: expected integer", "resources error path");
}

static void test_load_errors(void)
{
  struct spec_config *c = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  int ret = spec_config_load("/nonexistent/config.json", &c, &err);
  is_err(ret, err, "open /nonexistent/config.json: ENOENT", "load of a missing file");
}

int main(void)
{
  test_full_fixture();
  test_minimal();
  test_bad_types();
  test_required();
  test_ranges();
  test_enums();
  test_malformed();
  test_huge();
  test_process_json();
  test_resources_parse();
  test_load_errors();
  is_str(spec_ns_type_name(SPEC_NS_CGROUP), "cgroup", "spec_ns_type_name");
  ok(spec_ns_type_name(SPEC_NS_COUNT) == NULL, "spec_ns_type_name out of range");
  return tap_done();
}
