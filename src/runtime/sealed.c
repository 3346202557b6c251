#include "runtime/sealed.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALS_REQUIRED (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
#define SELF_EXE "/proc/self/exe"

bool sealed_fd_is_sealed(int fd)
{
  int seals = fcntl(fd, F_GET_SEALS);
  return seals >= 0 && (seals & SEALS_REQUIRED) == SEALS_REQUIRED;
}

/* Kernels with vm.memfd_noexec (6.3+) want MFD_EXEC for an executable
 * memfd; older ones reject the unknown flag with EINVAL. */
static int create_executable_memfd(berth_error_t *err)
{
  const unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  int fd = memfd_create("berth", flags | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create("berth", flags);
  if (fd < 0)
    return berth_fail_sys(err, "create an executable memfd");
  return fd;
}

static int copy_whole_file(int dst, int src, berth_error_t *err)
{
  struct stat st;
  if (fstat(src, &st) < 0)
    return berth_fail_sys(err, "stat %s", SELF_EXE);
  off_t off = 0;
  while (off < st.st_size)
    {
      ssize_t n = sendfile(dst, src, &off, (size_t) (st.st_size - off));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_fail_sys(err, "copy %s into the memfd", SELF_EXE);
      if (n == 0)
        return berth_fail(err, 0, "copy %s into the memfd: file ended at byte %jd of %jd", SELF_EXE,
                          (intmax_t) off, (intmax_t) st.st_size);
    }
  return 0;
}

static int make_sealed_copy(int exe_fd, berth_error_t *err)
{
  _cleanup_close_ int memfd = create_executable_memfd(err);
  if (memfd < 0 || copy_whole_file(memfd, exe_fd, err) < 0)
    return -1;
  if (fcntl(memfd, F_ADD_SEALS, SEALS_REQUIRED) < 0)
    return berth_fail_sys(err, "seal the memfd");
  return steal_fd(&memfd);
}

int sealed_reexec_unless_sealed(char **argv, berth_error_t *err)
{
  _cleanup_close_ int exe_fd = open(SELF_EXE, O_RDONLY | O_CLOEXEC);
  if (exe_fd < 0)
    return berth_fail_sys(err, "run from a sealed copy of berth: open %s", SELF_EXE);
  if (sealed_fd_is_sealed(exe_fd))
    {
      /* the exec named us after the memfd ("memfd:berth"): ps and pgrep
       * show berth under the name it was started as */
      if (argv[0])
        prctl(PR_SET_NAME, basename(argv[0]), 0, 0, 0);
      berth_log_phase("sealed-start");
      return 0;
    }
  berth_log_phase("sealed-copy");
  _cleanup_close_ int memfd = make_sealed_copy(exe_fd, err);
  if (memfd < 0)
    return berth_wrap(err, "run from a sealed copy of berth");
  extern char **environ;
  berth_log_phase_export_start();
  execveat(memfd, "", argv, environ, AT_EMPTY_PATH);
  return berth_fail_sys(err, "run from a sealed copy of berth: execveat");
}
