/* OCI hooks: each one is forked and executed (they are the user's
 * programs) with the state JSON on stdin, its args/env as configured (no
 * env: berth's own) and its timeout. berth's own fds never reach a hook. */
#ifndef BERTH_HOOKS_H
#define BERTH_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

#include "spec/spec.h"
#include "util/error.h"

/* Pure: the argv a hook runs with: its args as given (args[0] is argv[0]),
 * or just the path when args is absent. Malloc'ed strv. */
char **hook_build_argv(const struct spec_hook *h);
/* Pure: the environment: env exactly as given (an empty array is an empty
 * environment); without env, `inherited` (berth's own environment, as runc
 * and crun do: hooks need PATH). Malloc'ed strv. */
char **hook_build_env(const struct spec_hook *h, char *const *inherited);

/* Run every hook of one stage in order, state_json on stdin. The first
 * failure (exec error, non-zero exit, signal, timeout "hook PATH timed out
 * after N s") stops the list and is returned with the hook's output. With
 * warn_only (poststart, poststop) failures are logged as warnings and the
 * remaining hooks still run; the return is then 0. */
int hooks_run(const struct spec_hook_list *list, const char *stage, const char *state_json,
              size_t state_len, bool warn_only, berth_error_t *err);

#endif
