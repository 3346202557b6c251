/* berth sandbox: its plan (sandbox.h) -> the container's config. */
#ifndef BERTH_SANDBOX_CONFIG_H
#define BERTH_SANDBOX_CONFIG_H

#include <stdbool.h>

#include "runtime/sandbox.h"
#include "spec/spec.h"

/* --image: the annotation the image store reads (issue 17) */
#define SANDBOX_ANN_IMAGE "run.berth.storage.image"
#define SANDBOX_SECCOMP_PROFILE "/usr/share/containers/seccomp.json"

struct sandbox_config_ctx
{
  const char *dir;          /* the sandbox directory: rootfs/ and scratch/N/ live there */
  char *const *argv;        /* the job's command */
  bool tty;                 /* process.terminal */
  const char *const *hidden; /* host paths masked when the host's / is the lower layer */
  const char *seccomp_profile; /* containers-common's; the built-in profile when it does not exist */
};

/* The config: namespaces (network unless --network host), the engines'
 * default capabilities, noNewPrivileges, a built-in seccomp profile,
 * masked and read-only paths, /tmp a tmpfs, the overlay root (the
 * run.berth.storage.* annotations), scratch overlays, binds, limits. */
int sandbox_build_config(const struct sandbox_plan *p, const struct sandbox_config_ctx *ctx,
                         struct spec_config **out, berth_error_t *err);

#endif
