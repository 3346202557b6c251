/* The sealed re-exec of create, run and exec (sealed.h). */
#include "runtime/sealed.h"

#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
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

/* The part of our executable that execve and the dynamic loader read: up
 * to the end of the last PT_LOAD segment, found in our own program headers
 * (the kernel's auxv, not the file). Debug info, symbol tables and section
 * headers follow it and are never mapped: leaving them out of the copy
 * makes it 4x smaller with -g. 0 if unknown (copy the whole file). ASan
 * builds copy everything: their reports read symbols from /proc/self/exe. */
static off_t loaded_image_size(void)
{
#ifdef __SANITIZE_ADDRESS__
  return 0;
#else
  const ElfW(Phdr) *ph = (const ElfW(Phdr) *) getauxval(AT_PHDR);
  size_t n = getauxval(AT_PHNUM);
  off_t end = 0;
  for (size_t i = 0; ph && i < n; i++)
    if (ph[i].p_type == PT_LOAD && (off_t) (ph[i].p_offset + ph[i].p_filesz) > end)
      end = (off_t) (ph[i].p_offset + ph[i].p_filesz);
  return end;
#endif
}

static int copy_loaded_image(int dst, int src, berth_error_t *err)
{
  struct stat st;
  if (fstat(src, &st) < 0)
    return berth_fail_sys(err, "stat %s", SELF_EXE);
  off_t size = loaded_image_size();
  if (size <= 0 || size > st.st_size)
    size = st.st_size;
  off_t off = 0;
  while (off < size)
    {
      ssize_t n = sendfile(dst, src, &off, (size_t) (size - off));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return berth_fail_sys(err, "copy %s into the memfd", SELF_EXE);
      if (n == 0)
        return berth_fail(err, 0, "copy %s into the memfd: file ended at byte %jd of %jd", SELF_EXE,
                          (intmax_t) off, (intmax_t) size);
    }
  return 0;
}

static int make_sealed_copy(int exe_fd, berth_error_t *err)
{
  _cleanup_close_ int memfd = create_executable_memfd(err);
  if (memfd < 0 || copy_loaded_image(memfd, exe_fd, err) < 0)
    return -1;
  if (fcntl(memfd, F_ADD_SEALS, SEALS_REQUIRED) < 0)
    return berth_fail_sys(err, "seal the memfd");
  return steal_fd(&memfd);
}

bool sealed_fd_is_readonly(int fd)
{
  struct statvfs sv;
  return fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

/* A detached read-only clone of the mount our executable is on, rooted at
 * the executable (open_tree OPEN_TREE_CLONE, then mount_setattr RDONLY).
 * Exec'ing it runs the very same inode, whose pages every berth shares:
 * nothing is copied (and under an emulator no fresh code is translated on
 * every command), while an open for writing through /proc/self/exe fails
 * with EROFS. Attached to no mount namespace, it cannot be remounted
 * read-write from any. Needs CAP_SYS_ADMIN over our mount namespace: -1
 * without (rootless), and the memfd copy serves. */
static int open_readonly_clone(void)
{
  _cleanup_close_ int tree
      = (int) syscall(SYS_open_tree, AT_FDCWD, SELF_EXE, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return -1;
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0
      || !sealed_fd_is_readonly(tree))
    return -1;
  return steal_fd(&tree);
}

int sealed_reexec_unless_sealed(char **argv, berth_error_t *err)
{
  _cleanup_close_ int exe_fd = open(SELF_EXE, O_RDONLY | O_CLOEXEC);
  if (exe_fd < 0)
    return berth_fail_sys(err, "run from a sealed copy of berth: open %s", SELF_EXE);
  if (sealed_fd_is_sealed(exe_fd) || sealed_fd_is_readonly(exe_fd))
    {
      /* an exec through an fd names us after it ("3", "memfd:berth"): ps
       * and pgrep show berth under the name it was started as */
      if (argv[0])
        prctl(PR_SET_NAME, basename(argv[0]), 0, 0, 0);
      berth_log_phase("sealed-start");
      return 0;
    }
  berth_log_phase("sealed-copy");
  _cleanup_close_ int image = open_readonly_clone();
  if (image < 0 && (image = make_sealed_copy(exe_fd, err)) < 0)
    return berth_wrap(err, "run from a sealed copy of berth");
  extern char **environ;
  berth_log_phase_export_start();
  execveat(image, "", argv, environ, AT_EMPTY_PATH);
  return berth_fail_sys(err, "run from a sealed copy of berth: execveat");
}
