/* What `berth sandbox` writes through src/spec: its in-memory config as
 * config.json, and its usage report. */
#ifndef BERTH_SPEC_SANDBOX_H
#define BERTH_SPEC_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "spec/spec.h"
#include "util/error.h"

/* config.json from a struct spec_config, tab-indented. Writes the parts a
 * sandbox sets: ociVersion, process (terminal, user, args, env, cwd,
 * capabilities, rlimits, noNewPrivileges), root, hostname, mounts,
 * annotations, linux (namespaces, resources, maskedPaths, readonlyPaths,
 * seccomp). Other fields are not written. */
int spec_sandbox_config_emit(const struct spec_config *c, char **out, size_t *out_len, berth_error_t *err);

struct spec_sandbox_report
{
  const char *id;
  int exit_status;   /* what berth exits with */
  int exit_code;     /* the job's exit code, -1 when it was killed */
  int signal;        /* the signal that killed it, 0 when it exited */
  bool timed_out;
  int interrupted_by; /* the signal berth got (SIGINT ...), 0 when none */
  uint64_t wall_ms;
  uint64_t user_us, system_us;
  uint64_t peak_memory_bytes;
  uint64_t io_read_bytes, io_write_bytes;
  uint64_t peak_tasks;
  uint64_t oom_kills;
};

/* The --report JSON, indented, ending with a newline. */
int spec_sandbox_report_emit(const struct spec_sandbox_report *r, char **out, size_t *out_len,
                             berth_error_t *err);

/* The default seccomp profile of containers-common (the Docker format:
 * /usr/share/containers/seccomp.json) -> linux.seccomp for one container,
 * as the engines convert it: "archMap" gives the architectures of
 * ctx->arch (NULL: none), a rule applies when all its includes.caps are
 * in ctx->caps, its includes.arches (when given) name ctx->go_arch, its includes.minKernel is at most
 * ctx->kernel ("6.1.0"), and none of its excludes.caps / excludes.arches
 * match. Errors name the label and the JSON path. */
struct spec_seccomp_profile_ctx
{
  const char *arch;    /* libseccomp's name: SCMP_ARCH_X86_64 */
  const char *go_arch; /* Go's, as includes.arches has them: amd64 */
  const char *const *caps; /* the container's bounding set, NULL-terminated */
  const char *kernel;      /* uname's release */
};
int spec_seccomp_profile_parse(const char *json, size_t len, const char *label,
                               const struct spec_seccomp_profile_ctx *ctx, struct spec_seccomp **out,
                               berth_error_t *err);
void spec_seccomp_profile_free(struct spec_seccomp *s);

#endif
