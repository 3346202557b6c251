/* sysctl_validate: which keys a container may set */
#include "runtime/init.h"
#include "tap.h"
#include "util/util.h"

struct scase
{
  const char *key, *value;
  bool net, ipc, uts;
  const char *want; /* NULL: accepted; else a piece of the error */
};

static const struct scase cases[] = {
  { "net.ipv4.ip_forward", "1", true, false, false, NULL },
  { "net.ipv4.ip_forward", "1", false, true, true, "network namespace" },
  { "net.core.somaxconn", "1024", true, true, true, NULL },
  { "kernel.shmmax", "1000", false, true, false, NULL },
  { "kernel.shmmax", "1000", true, false, true, "IPC namespace" },
  { "kernel.msgmnb", "1", false, true, false, NULL },
  { "kernel.sem", "250 32000 32 128", false, true, false, NULL },
  { "kernel.shm_rmid_forced", "1", false, true, false, NULL },
  { "fs.mqueue.msg_max", "10", false, true, false, NULL },
  { "fs.mqueue.msg_max", "10", true, false, true, "IPC namespace" },
  { "kernel.hostname", "h", false, false, true, NULL },
  { "kernel.domainname", "d", true, true, false, "UTS namespace" },
  { "kernel.core_pattern", "|/evil", true, true, true, "not in a separate kernel namespace" },
  { "kernel.shmmaxx", "1", true, true, true, "not in a separate kernel namespace" },
  { "vm.overcommit_memory", "1", true, true, true, "not in a separate kernel namespace" },
  { "fs.file-max", "1", true, true, true, "not in a separate kernel namespace" },
  { "net.ipv4..ip_forward", "1", true, true, true, "empty key component" },
  { "net.ipv4.ip_forward.", "1", true, true, true, "empty key component" },
  { ".net.ipv4", "1", true, true, true, "empty key component" },
  { "net/ipv4/ip_forward", "1", true, true, true, "'/'" },
  { "net.ipv4.conf.all/../../../kernel/core_pattern", "x", true, true, true, "'/'" },
  { "net.ipv4.ip_forward", "1\nkernel.core_pattern=x", true, true, true, "newline" },
  { "net.ipv4.ip forward", "1", true, true, true, "whitespace" },
  { "", "1", true, true, true, "empty key" },
};

int main(void)
{
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
    {
      const struct scase *c = &cases[i];
      berth_error_t err = NULL;
      int r = sysctl_validate(c->key, c->value, c->net, c->ipc, c->uts, &err);
      if (!c->want)
        {
          is_int(r, 0, "accept %s (net=%d ipc=%d uts=%d)", c->key, c->net, c->ipc, c->uts);
          if (r < 0)
            printf("#   %s\n", berth_error_msg(err));
        }
      else
        is_err(r, err, c->want, "reject \"%s\" (net=%d ipc=%d uts=%d)", c->key, c->net, c->ipc,
               c->uts);
      berth_error_free(&err);
    }
  return tap_done();
}
