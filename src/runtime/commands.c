#include "runtime/cli.h"

/* Commands that work, alphabetically. Each lives in cmd_<name>.c. */
const struct command berth_commands[] = {
  {NULL, NULL, NULL},
};
