/* berth spec: write a default config.json into the bundle directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime/cli.h"
#include "spec/spec.h"
#include "util/util.h"

/* O_EXCL makes "refuse to overwrite" race-free */
static int write_new_file(const char *path, const char *data, size_t len, berth_error_t *err)
{
  _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0666);
  if (fd < 0)
    {
      if (errno == EEXIST)
        return berth_fail(err, 0, "File %s exists. Remove it first", path);
      return berth_fail_sys(err, "create %s", path);
    }
  if (write_all(fd, data, len) < 0)
    {
      int saved = errno;
      unlink(path);
      return berth_fail(err, saved, "write %s", path);
    }
  return 0;
}

int cmd_spec(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  const char *bundle = NULL;
  bool rootless = false;
  const struct cli_option opts[] = {
    {"bundle", 'b', CLI_STRING, &bundle, "DIR", "write DIR/config.json (default: the current directory)"},
    {"rootless", 0, CLI_BOOL, &rootless, NULL, "a config for a container run by an unprivileged user"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  bool help;
  _cleanup_free_ char **pos = NULL;
  int npos;
  if (cli_parse(argc, argv, opts, false, &help, &pos, &npos, err) < 0)
    return -1;
  if (help)
    {
      cli_print_help("spec", "[-b DIR] [--rootless]",
                     "Write a default config.json for a new bundle. The root filesystem is expected\n"
                     "in the bundle's \"rootfs\" directory; an existing config.json is never overwritten.",
                     opts);
      return 0;
    }
  if (npos > 0)
    return berth_fail(err, 0, "unexpected argument \"%s\"", pos[0]);

  _cleanup_free_ char *json = NULL;
  size_t len = 0;
  if (spec_default_config_emit(rootless, &json, &len, err) < 0)
    return -1;
  _cleanup_free_ char *path = bundle && *bundle ? xasprintf("%s/config.json", bundle) : xstrdup("config.json");
  return write_new_file(path, json, len, err);
}
