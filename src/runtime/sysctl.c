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

int sysctl_validate(const char *key, const char *value, bool new_netns, bool new_ipcns,
                    bool new_utsns, berth_error_t *err)
{
  if (check_key_syntax(key, err) < 0)
    return berth_error_ret(*err);
  if (value && strpbrk(value, "\n\r"))
    return berth_fail(err, 0, "sysctl \"%s\": value must not contain a newline", key);

  if (str_has_prefix(key, "net."))
    {
      if (!new_netns)
        return berth_fail(err, 0,
                          "sysctl \"%s\" is not allowed: the container does not have its own "
                          "network namespace",
                          key);
      return 0;
    }
  if (key_is_ipc(key))
    {
      if (!new_ipcns)
        return berth_fail(err, 0,
                          "sysctl \"%s\" is not allowed: the container does not have its own "
                          "IPC namespace",
                          key);
      return 0;
    }
  if (str_eq(key, "kernel.hostname") || str_eq(key, "kernel.domainname"))
    {
      if (!new_utsns)
        return berth_fail(err, 0,
                          "sysctl \"%s\" is not allowed: the container does not have its own "
                          "UTS namespace",
                          key);
      return 0;
    }
  return berth_fail(err, 0, "sysctl \"%s\" is not in a separate kernel namespace", key);
}
