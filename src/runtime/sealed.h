/* Run from a sealed copy of berth before cloning container processes.
 *
 * A container process is a clone of berth until it execs the user program,
 * so /proc/self/exe (and /proc/PID/exe) inside the container point at
 * berth's executable. A program the container chooses (a `#!/proc/self/exe`
 * entrypoint, an exec'd binary with LD_PRELOAD) can keep that file open and
 * write to it once berth exits (CVE-2019-5736). The commands that clone
 * container processes (create, run, exec) therefore first re-exec berth
 * from an image no write can reach: a detached read-only clone of the
 * executable's mount where berth may create one (root), else a memfd copy
 * sealed against every write, shrink and grow. The other commands never
 * exec. */
#ifndef BERTH_RUNTIME_SEALED_H
#define BERTH_RUNTIME_SEALED_H

#include <stdbool.h>

#include "util/error.h"

/* fd (a memfd) carries every seal that makes it safe as /proc/self/exe:
 * no write, shrink, grow, and no change to the seals. */
bool sealed_fd_is_sealed(int fd);

/* fd is on a read-only mount: no open for writing gets through it. */
bool sealed_fd_is_readonly(int fd);

/* Returns 0 when berth already runs from a sealed memfd or a read-only
 * mount. Otherwise execs a read-only clone of its executable's mount
 * (root) or copies the running executable (its loaded segments: what
 * execve maps) into a sealed memfd and execs that with argv and the environment unchanged (at
 * --log-level debug plus berth's start time, see log.h; no fd is opened without O_CLOEXEC, so the
 * caller's fds, --preserve-fds included, reach the new image exactly as
 * they were); it returns only on failure, with err set. */
int sealed_reexec_unless_sealed(char **argv, berth_error_t *err);

#endif
