/* berth storage ls | prune [--all]: the image layer store. */
#include <stdio.h>
#include <stdlib.h>

#include "runtime/cli.h"
#include "storage/image.h"
#include "util/util.h"

static char *store_root(const struct global_opts *g)
{
  return g->storage_root ? xstrdup(g->storage_root) : image_store_default_root(g->rootless);
}

static int storage_ls(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  bool quiet = false;
  const struct cli_option opts[] = {
    {"quiet", 'q', CLI_BOOL, &quiet, NULL, "print the diffIDs only"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  static const struct cli_usage usage = {
    "storage ls", "[-q]",
    "List the unpacked layers of the store: diffID, size on disk, the containers\n"
    "(state directories) using it.",
    0, 0, NULL, false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;
  _cleanup_free_ char *root = store_root(g);
  struct image_layer_info *v = NULL;
  size_t n = 0;
  if (image_store_list(root, &v, &n, err) < 0)
    return -1;
  if (!quiet)
    printf("%-71s %12s  %s\n", "LAYER", "SIZE", "USED BY");
  for (size_t i = 0; i < n; i++)
    {
      if (quiet)
        {
          printf("%s\n", v[i].diff_id);
          continue;
        }
      printf("%-71s %12llu  ", v[i].diff_id, (unsigned long long) v[i].bytes);
      for (size_t k = 0; v[i].users[k]; k++)
        printf("%s%s", k ? "," : "", v[i].users[k]);
      printf("%s\n", v[i].users[0] ? "" : "-");
    }
  image_layer_info_free(v, n);
  return 0;
}

static int storage_prune(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  bool all = false;
  const struct cli_option opts[] = {
    {"all", 'a', CLI_BOOL, &all, NULL, "also remove what unpacks that died left behind"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  static const struct cli_usage usage = {
    "storage prune", "[--all]",
    "Remove the layers no container uses (a container uses the layers of its\n"
    "image from create to delete).",
    0, 0, NULL, false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;
  _cleanup_free_ char *root = store_root(g);
  size_t removed = 0;
  if (image_store_prune(root, all, &removed, err) < 0)
    return -1;
  printf("%zu layer%s removed\n", removed, removed == 1 ? "" : "s");
  return 0;
}

int cmd_storage(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  if (argc >= 1 && str_eq(argv[0], "ls"))
    return storage_ls(g, argc - 1, argv + 1, err);
  if (argc >= 1 && str_eq(argv[0], "prune"))
    return storage_prune(g, argc - 1, argv + 1, err);
  if (argc >= 1 && (str_eq(argv[0], "--help") || str_eq(argv[0], "-h")))
    {
      printf("Usage: berth storage ls [-q]\n       berth storage prune [--all]\n\n"
             "The image layer store (--storage-root, default %s).\n",
             IMAGE_STORE_DEFAULT);
      return 0;
    }
  return berth_fail(err, 0, "%s: expected ls or prune", argc ? argv[0] : "a subcommand");
}
