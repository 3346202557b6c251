/* berth sandbox (issue 18): one command that runs a CI job isolated, with
 * limits, a clean exit and a usage report. cmd_sandbox.c drives it; this
 * header holds the pure parts (option values -> a plan, unit-tested in
 * tests/unit/test_sandbox.c) and the sandbox directory helpers.
 *
 * A sandbox owns ROOT-sandbox/ID/ (ROOT: the state root; a sibling, so
 * that no container id can name it): config.json (its
 * bundle), "owner" (berth's pid and start time, for the sweep of sandboxes
 * whose berth was killed) and scratch/N/{upper,work} (the copy-on-write
 * layers of --scratch). The container itself is ROOT/ID as for `run`. */
#ifndef BERTH_SANDBOX_H
#define BERTH_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

enum sandbox_network
{
  SANDBOX_NET_NONE = 0,
  SANDBOX_NET_HOST,
  SANDBOX_NET_BRIDGE,
};

struct sandbox_path_pair
{
  char *src; /* absolute, cleaned */
  char *dst; /* absolute, cleaned */
  bool ro;
};

struct sandbox_io_limit
{
  char *device; /* a block device path, resolved to major:minor by the command */
  uint64_t bps;
};

struct sandbox_plan
{
  char *image;  /* --image DIR[:TAG], passed on as run.berth.storage.image */
  char *rootfs; /* --rootfs DIR */
  char **layers; /* --layer, bottom first, NULL-terminated */
  size_t n_layers;
  struct sandbox_path_pair *binds;
  size_t n_binds;
  struct sandbox_path_pair *scratch;
  size_t n_scratch;
  char *workdir;
  char **env; /* "K=V", NULL-terminated */
  size_t n_env;
  bool user_set;
  uint32_t uid, gid;
  uint64_t memory;    /* bytes, 0: no limit */
  int64_t cpu_quota;  /* µs per cpu_period, 0: no limit */
  uint64_t cpu_period;
  int64_t pids;       /* 0: no limit */
  struct sandbox_io_limit *io;
  size_t n_io;
  uint64_t tmp_size; /* bytes, 0: the tmpfs default (half the RAM) */
  enum sandbox_network network;
  uint64_t timeout_ms; /* 0: none */
  uint64_t grace_ms;
};

void sandbox_plan_free(struct sandbox_plan *p);
static inline void sandbox_plan_freep(struct sandbox_plan **p)
{
  sandbox_plan_free(*p);
}

/* "512m", "1G", "4096", "1.5g": bytes (binary multiples k, m, g, t, an
 * optional trailing "b"/"ib"); > 0. opt names the option in errors. */
int sandbox_parse_size(const char *opt, const char *s, uint64_t *out, berth_error_t *err);
/* "30s", "2m", "1.5" (seconds), "500ms", "1h": milliseconds, > 0 */
int sandbox_parse_duration(const char *opt, const char *s, uint64_t *out_ms, berth_error_t *err);
/* --cpus "1.5": quota 150000 µs per period 100000 µs */
int sandbox_parse_cpus(const char *s, int64_t *quota, uint64_t *period, berth_error_t *err);
/* --bind SRC:DST[:ro|:rw], --scratch SRC:DST: absolute paths; scratch
 * sources may not hold ',' (overlay option syntax) */
int sandbox_parse_bind(const char *s, struct sandbox_path_pair *out, berth_error_t *err);
int sandbox_parse_scratch(const char *s, struct sandbox_path_pair *out, berth_error_t *err);
/* --user UID[:GID] (GID defaults to UID) */
int sandbox_parse_user(const char *s, uint32_t *uid, uint32_t *gid, berth_error_t *err);
/* --io-bps DEV:RATE */
int sandbox_parse_io(const char *s, struct sandbox_io_limit *out, berth_error_t *err);
int sandbox_parse_network(const char *s, enum sandbox_network *out, berth_error_t *err);
/* --env K=V; label names the source in errors ("--env", "FILE:3") */
int sandbox_check_env(const char *label, const char *kv, berth_error_t *err);
/* an --env-file's text: K=V lines, blank lines and #-comments skipped;
 * appends copies to *env (NULL-terminated, *n entries) */
int sandbox_parse_env_file(const char *path, const char *text, char ***env, size_t *n, berth_error_t *err);

/* ------------------------------------------------------------ sandbox directories (sandbox_dir.c) */

struct global_opts;

/* ROOT-sandbox for the state root ROOT */
char *sandbox_base(const struct global_opts *g);
/* Make BASE/ID with its "owner" record (our pid and start time); EEXIST
 * when a sandbox of that id exists. *dir_fd: the new directory. */
int sandbox_dir_create(const struct global_opts *g, const char *id, char **dir, int *dir_fd,
                       berth_error_t *err);
/* Remove BASE/ID and everything in it; a missing one is no error
 * (delete --force ID calls it too). */
int sandbox_dir_remove(const struct global_opts *g, const char *id, berth_error_t *err);
/* Every sandbox whose owner is gone (berth killed with SIGKILL): its
 * container (delete --force) and its directory. Errors are warnings. */
void sandbox_sweep(const struct global_opts *g);

#endif
