/* berth state ID: print the container's state JSON. Podman runs it after a
 * failed kill and reads stdout; nothing may go to stderr on success. */
#include <stdio.h>

#include "runtime/cli.h"
#include "runtime/state.h"
#include "spec/spec.h"
#include "util/util.h"

static void spec_state_freep(struct spec_state **s)
{
  if (*s)
    spec_state_free(*s);
}

static void container_closep(struct container **c)
{
  container_close(*c);
}

int cmd_state(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  const struct cli_option opts[] = {{NULL, 0, 0, NULL, NULL, NULL}};
  static const struct cli_usage usage = {
    "state", "ID",
    "Print the state of container ID as JSON: ociVersion, id, status (creating,\n"
    "created, running, paused, stopped or unknown), pid, bundle, rootfs, created,\n"
    "owner and annotations.",
    1, 1, "exactly one container ID", false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;

  _cleanup_(container_closep) struct container *c = NULL;
  if (container_open_unlocked(g->root, pos[0], &c, err) < 0)
    return -1;
  _cleanup_(spec_state_freep) struct spec_state *s = NULL;
  if (container_state_read(c, &s, err) < 0)
    return container_state_unreadable(c, err);
  container_state_refresh(c, s);
  _cleanup_free_ char *json = NULL;
  size_t len = 0;
  if (spec_state_emit(s, SPEC_STATE_PRETTY, &json, &len, err) < 0)
    return -1;
  fwrite(json, 1, len, stdout);
  if (len == 0 || json[len - 1] != '\n')
    putchar('\n');
  return 0;
}
