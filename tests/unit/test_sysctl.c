/* sysctl_validate: which keys a container may set */
#include "runtime/init.h"
#include "tap.h"
#include "util/util.h"

struct scase
{
  const char *key, *value;
  enum ns_owner net, ipc, uts;
  const char *want; /* NULL: accepted; else a piece of the error */
};

/* the container's own (new or joined), none in the config, a path naming the host's */
#define OWN NS_OWNER_CONTAINER
#define NONE NS_OWNER_HOST_NO_ENTRY
#define HOST NS_OWNER_HOST_BY_PATH

static const struct scase cases[] = {
  { "net.ipv4.ip_forward", "1", OWN, NONE, NONE, NULL },
  { "net.ipv4.ip_forward", "1", NONE, OWN, OWN, "network namespace" },
  { "net.core.somaxconn", "1024", OWN, OWN, OWN, NULL },
  { "kernel.shmmax", "1000", NONE, OWN, NONE, NULL },
  { "kernel.shmmax", "1000", OWN, NONE, OWN, "IPC namespace" },
  { "kernel.msgmnb", "1", NONE, OWN, NONE, NULL },
  { "kernel.sem", "250 32000 32 128", NONE, OWN, NONE, NULL },
  { "kernel.shm_rmid_forced", "1", NONE, OWN, NONE, NULL },
  { "fs.mqueue.msg_max", "10", NONE, OWN, NONE, NULL },
  { "fs.mqueue.msg_max", "10", OWN, NONE, OWN, "IPC namespace" },
  { "kernel.hostname", "h", NONE, NONE, OWN, NULL },
  { "kernel.domainname", "d", OWN, OWN, NONE, "UTS namespace" },
  { "net.ipv4.ip_forward", "1", HOST, OWN, OWN, "network namespace (its path names the host's" },
  { "net.ipv4.ip_forward", "1", NONE, OWN, OWN, "network namespace (no entry of that type" },
  { "kernel.msgmax", "4096", OWN, HOST, OWN, "IPC namespace (its path names the host's" },
  { "fs.mqueue.queues_max", "10", OWN, HOST, OWN, "IPC namespace" },
  { "kernel.hostname", "h", OWN, OWN, HOST, "UTS namespace (its path names the host's" },
  { "kernel.core_pattern", "|/evil", OWN, OWN, OWN, "not in a separate kernel namespace" },
  { "kernel.shmmaxx", "1", OWN, OWN, OWN, "not in a separate kernel namespace" },
  { "vm.overcommit_memory", "1", OWN, OWN, OWN, "not in a separate kernel namespace" },
  { "fs.file-max", "1", OWN, OWN, OWN, "not in a separate kernel namespace" },
  { "net.ipv4..ip_forward", "1", OWN, OWN, OWN, "empty key component" },
  { "net.ipv4.ip_forward.", "1", OWN, OWN, OWN, "empty key component" },
  { ".net.ipv4", "1", OWN, OWN, OWN, "empty key component" },
  { "net/ipv4/ip_forward", "1", OWN, OWN, OWN, "'/'" },
  { "net.ipv4.conf.all/../../../kernel/core_pattern", "x", OWN, OWN, OWN, "'/'" },
  { "net.ipv4.ip_forward", "1\nkernel.core_pattern=x", OWN, OWN, OWN, "newline" },
  { "net.ipv4.ip forward", "1", OWN, OWN, OWN, "whitespace" },
  { "", "1", OWN, OWN, OWN, "empty key" },
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
