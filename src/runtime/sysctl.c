/* linux.sysctl: which keys a container may set, and setting them. */
#include <stdbool.h>
#include <string.h>

#include "runtime/init.h"
#include "util/util.h"

/* IPC namespace keys (ipc_namespace.c / mqueue) */
static const char *const ipc_keys[] = {
  "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",      "kernel.sem",
  "kernel.shmall", "kernel.shmmax", "kernel.shmmni",      "kernel.shm_rmid_forced",
};

static bool key_is_ipc(const char *key)
{
  for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++)
    if (str_eq(key, ipc_keys[i]))
      return true;
  return str_has_prefix(key, "fs.mqueue.");
}

static int check_key_syntax(const char *key, berth_error_t *err)
{
  if (*key == '\0')
    return berth_fail(err, 0, "sysctl: empty key");
  if (strchr(key, '/'))
    return berth_fail(err, 0, "sysctl \"%s\": '/' is not allowed in a key (use '.')", key);
  if (strstr(key, "..") || key[0] == '.' || key[strlen(key) - 1] == '.')
    return berth_fail(err, 0, "sysctl \"%s\": empty key component", key);
  for (const char *c = key; *c; c++)
    if (*c <= ' ' || *c == 0x7f)
      return berth_fail(err, 0, "sysctl \"%s\": whitespace or control character in key", key);
  return 0;
}

const char *ns_owner_why_not(enum ns_owner o)
{
  return o == NS_OWNER_HOST_BY_PATH ? "its path names the host's: berth's own or pid 1's"
                                    : "no entry of that type in .linux.namespaces";
}

static int check_owned(const char *key, enum ns_owner o, const char *title, berth_error_t *err)
{
  if (o == NS_OWNER_CONTAINER)
    return 0;
  return berth_fail(err, 0,
                    "sysctl \"%s\" is not allowed: the container does not have its own %s "
                    "namespace (%s)",
                    key, title, ns_owner_why_not(o));
}

int sysctl_validate(const char *key, const char *value, enum ns_owner net, enum ns_owner ipc,
                    enum ns_owner uts, berth_error_t *err)
{
  if (check_key_syntax(key, err) < 0)
    return berth_error_ret(*err);
  if (value && strpbrk(value, "\n\r"))
    return berth_fail(err, 0, "sysctl \"%s\": value must not contain a newline", key);

  if (str_has_prefix(key, "net."))
    return check_owned(key, net, "network", err);
  if (key_is_ipc(key))
    return check_owned(key, ipc, "IPC", err);
  if (str_eq(key, "kernel.hostname") || str_eq(key, "kernel.domainname"))
    return check_owned(key, uts, "UTS", err);
  return berth_fail(err, 0, "sysctl \"%s\" is not in a separate kernel namespace", key);
}
