/* sealed.h: which memfds count as sealed, and one re-exec that keeps the
 * caller's fds and does not repeat itself. */
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/sealed.h"
#include "tap.h"
#include "util/util.h"

#define ALL_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static bool memfd_with_seals(int seals)
{
  int fd = memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0)
    return false;
  if (seals)
    fcntl(fd, F_ADD_SEALS, seals);
  bool sealed = sealed_fd_is_sealed(fd);
  close(fd);
  return sealed;
}

#ifndef __SANITIZE_ADDRESS__
/* the end of our last PT_LOAD segment in the file */
static off_t loaded_end(void)
{
  const ElfW(Phdr) *ph = (const ElfW(Phdr) *) getauxval(AT_PHDR);
  off_t end = 0;
  for (size_t i = 0; i < getauxval(AT_PHNUM); i++)
    if (ph[i].p_type == PT_LOAD && (off_t) (ph[i].p_offset + ph[i].p_filesz) > end)
      end = (off_t) (ph[i].p_offset + ph[i].p_filesz);
  return end;
}
#endif

/* the copy holds what execve maps, without what follows it in the file
 * (section headers at least; debug info); ASan builds copy everything */
static bool copy_is_loaded_part(int exe, const char *disk_size_text)
{
  struct stat st;
  if (fstat(exe, &st) < 0)
    return false;
#ifdef __SANITIZE_ADDRESS__
  return st.st_size == atoll(disk_size_text);
#else
  return st.st_size == loaded_end() && st.st_size < atoll(disk_size_text);
#endif
}

/* in the re-exec'd image: 0 when it runs sealed, still has the fd and
 * does not exec again */
static int sealed_child(const char *fd_text, const char *disk_size_text)
{
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  /* root gets a read-only clone of the binary's mount, others a memfd */
  bool readonly = fd >= 0 && sealed_fd_is_readonly(fd);
  if (fd < 0 || (!readonly && !sealed_fd_is_sealed(fd)))
    return 2;
  if (fcntl(atoi(fd_text), F_GETFD) != 0) /* open, and still without FD_CLOEXEC */
    return 3;
  if (!readonly && !copy_is_loaded_part(fd, disk_size_text))
    return 5;
  struct stat st; /* the binary itself: its whole file, on a read-only mount */
  if (readonly && (fstat(fd, &st) < 0 || st.st_size != (off_t) atoll(disk_size_text)))
    return 6;
  berth_error_t err = NULL;
  char *argv[] = {"test_sealed", "unreachable", NULL};
  return sealed_reexec_unless_sealed(argv, &err) == 0 ? 0 : 4;
}

static int reexec_status(void)
{
  int keep = open("/dev/null", O_RDONLY); /* what a caller passes on */
  struct stat disk;
  if (stat("/proc/self/exe", &disk) < 0)
    return -1;
  pid_t pid = fork();
  if (pid == 0)
    {
      char *fd_text = xasprintf("%d", keep);
      char *size_text = xasprintf("%jd", (intmax_t) disk.st_size);
      char *argv[] = {"test_sealed", "sealed-child", fd_text, size_text, NULL};
      berth_error_t err = NULL;
      sealed_reexec_unless_sealed(argv, &err);
      _exit(1);
    }
  close(keep);
  int status = -1;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
  if (argc == 4 && str_eq(argv[1], "sealed-child"))
    return sealed_child(argv[2], argv[3]);

  ok(!memfd_with_seals(0), "a memfd without seals is not sealed");
  ok(!memfd_with_seals(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), "a memfd still writable is not sealed");
  ok(!memfd_with_seals(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), "a memfd that can take more seals is not sealed");
  ok(memfd_with_seals(ALL_SEALS), "write, shrink, grow and seal sealed: sealed");
  int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  ok(self >= 0 && !sealed_fd_is_sealed(self), "the test binary on disk is not sealed");
  close(self);
  is_int(reexec_status(), 0,
         "re-exec: runs from a read-only clone (root) or a sealed memfd holding the loaded segments, keeps the caller's fd, does not exec again");
  return tap_done();
}
