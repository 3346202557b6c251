/* hostcheck.c's pure part: labels need their LSM, capabilities must be
 * known to libcap and the kernel and, outside a user namespace, in
 * berth's bounding set; errors name the field. */
#include "runtime/hostcheck.h"
#include "tap.h"
#include "util/util.h"

/* a host with 41 capabilities (0..40), no LSM, bounding set without
 * CAP_SYS_TIME (25) */
static const struct hostcheck_host plain = {
  .cap_count = 41, .bounding = ((UINT64_C(1) << 41) - 1) & ~(UINT64_C(1) << 25)
};

static void test_labels(void)
{
  berth_error_t err = NULL;
  struct spec_process p = { .apparmor_profile = "docker-default" };
  is_err(hostcheck_process(&p, ".process", &plain, false, &err), err,
         ".process.apparmorProfile: \"docker-default\" given, but AppArmor is not enabled", "apparmor refused");
  berth_error_free(&err);
  struct hostcheck_host aa = plain;
  aa.apparmor = true;
  is_int(hostcheck_process(&p, ".process", &aa, false, &err), 0, "apparmor profile on an AppArmor host");

  p = (struct spec_process) { .selinux_label = "system_u:system_r:container_t:s0" };
  is_err(hostcheck_process(&p, "", &plain, false, &err), err, ".selinuxLabel: ", "selinux label refused");
  berth_error_free(&err);
  struct hostcheck_host se = plain;
  se.selinux = true;
  is_int(hostcheck_process(&p, "", &se, false, &err), 0, "selinux label on an SELinux host");

  p = (struct spec_process) { .apparmor_profile = "", .selinux_label = "" };
  is_int(hostcheck_process(&p, ".process", &plain, false, &err), 0, "empty labels ask for nothing");
}

static void test_capabilities(void)
{
  berth_error_t err = NULL;
  char *good[] = { "CAP_CHOWN", "CAP_KILL", "CAP_CHECKPOINT_RESTORE", NULL };
  struct spec_capabilities c = { .bounding = good, .effective = good };
  is_int(hostcheck_capabilities(&c, ".process.capabilities", &plain, false, &err), 0, "known capabilities");

  char *unknown[] = { "CAP_CHOWN", "CAP_FLY", NULL };
  c = (struct spec_capabilities) { .permitted = unknown };
  is_err(hostcheck_capabilities(&c, ".process.capabilities", &plain, false, &err), err,
         ".process.capabilities.permitted[1]: unknown capability \"CAP_FLY\"", "a name libcap does not know");
  berth_error_free(&err);

  struct hostcheck_host old_kernel = plain;
  old_kernel.cap_count = 38; /* before CAP_PERFMON (38) */
  char *new_cap[] = { "CAP_PERFMON", NULL };
  c = (struct spec_capabilities) { .ambient = new_cap };
  is_err(hostcheck_capabilities(&c, ".process.capabilities", &old_kernel, false, &err), err,
         ".process.capabilities.ambient[0]: CAP_PERFMON is not known to this kernel", "a capability the kernel lacks");
  berth_error_free(&err);
  is_err(hostcheck_capabilities(&c, ".process.capabilities", &old_kernel, true, &err), err,
         "not known to this kernel", "... also in a user namespace");
  berth_error_free(&err);

  char *sys_time[] = { "CAP_SYS_TIME", NULL };
  c = (struct spec_capabilities) { .inheritable = sys_time };
  is_err(hostcheck_capabilities(&c, ".process.capabilities", &plain, false, &err), err,
         ".process.capabilities.inheritable[0]: CAP_SYS_TIME is not in berth's own bounding set",
         "outside berth's bounding set");
  berth_error_free(&err);
  is_int(hostcheck_capabilities(&c, ".process.capabilities", &plain, true, &err), 0,
         "a user namespace starts with a full bounding set");
  is_int(hostcheck_capabilities(NULL, ".process.capabilities", &plain, false, &err), 0, "no capabilities");

  struct spec_process p = { .capabilities = &c };
  is_err(hostcheck_process(&p, ".process", &plain, false, &err), err, ".process.capabilities.inheritable[0]",
         "hostcheck_process checks the capabilities");
  berth_error_free(&err);
}

int main(void)
{
  test_labels();
  test_capabilities();
  return tap_done();
}
