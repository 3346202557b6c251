/* berth exec: a new process in a running container. The process comes
 * from --process (process.json) or from the container's own
 * config.json process with the command line's options applied; it joins
 * every namespace of the container's init (through its pidfd), is born in
 * the container's cgroup, takes its own identity, the container's
 * seccomp profile, and execs.
 *
 * The pure part (options -> process) is unit-tested in tests/unit/test_exec.c. */
#ifndef BERTH_EXEC_H
#define BERTH_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/cli.h"
#include "spec/spec.h"
#include "util/error.h"

struct exec_options
{
  const char *process_path;   /* --process */
  const char *console_socket; /* --console-socket */
  const char *pid_file;       /* --pid-file */
  bool tty;                   /* -t */
  bool detach;                /* -d */
  bool ignore_paused;
  bool no_new_privs;
  const char *cwd;
  const char *user;            /* "UID[:GID]" */
  const char *apparmor;
  const char *process_label;
  const char *const *env;      /* NULL-terminated "K=V", may be NULL */
  const char *const *additional_gids; /* decimal strings, may be NULL */
  const char *const *caps;     /* capability names, may be NULL */
  const char *const *sub_cgroups; /* --cgroup "[CTRL[,CTRL]:]PATH", may be NULL */
  char *const *args;           /* the command, NULL-terminated, may be NULL */
  int preserve_fds;
};

/* "-u" as runc takes it: "UID" or "UID:GID", decimal, 0..2^31-1. gid_set
 * tells whether a GID was given. */
int exec_parse_user(const char *s, uint32_t *uid, uint32_t *gid, bool *gid_set, berth_error_t *err);

/* env with overrides applied: an override "K=V" replaces every "K=..." of
 * env (in place of the first), new keys are appended in order; a later
 * override of the same key wins. Returns a new NULL-terminated array. */
char **exec_env_merge(char *const *env, const char *const *overrides);

/* Turn the container's process (taken over: *base is consumed and set to
 * NULL) into the exec's: args, env merged, cwd, user, additional gids,
 * --cap added to bounding/effective/permitted, no_new_privileges,
 * apparmor profile and selinux label, terminal from -t. */
int exec_process_from_options(struct spec_process **base, const struct exec_options *o,
                              struct spec_process **out, berth_error_t *err);

/* Load --process FILE; -t turns the terminal on. */
int exec_process_from_file(const struct exec_options *o, struct spec_process **out, berth_error_t *err);

/* The whole command: returns the process's exit status (foreground), 0
 * (--detach) or < 0 with err set. */
int exec_run(const struct global_opts *g, const char *id, const struct exec_options *o, berth_error_t *err);

#endif
