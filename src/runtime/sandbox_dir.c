/* The sandbox directories ROOT-sandbox/ID (sandbox.h): made with an owner
 * record, removed at the end, swept when their berth died. */
#include "runtime/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cli.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include "util/log.h"
#include "util/util.h"

#define OWNER_FILE "owner"
/* a directory without an owner record this old is debris of a crash */
#define ORPHAN_AGE_S 60

char *sandbox_base(const struct global_opts *g)
{
  return xasprintf("%s-sandbox", g->root);
}

static int open_base(const struct global_opts *g, bool create, berth_error_t *err)
{
  _cleanup_free_ char *base = sandbox_base(g);
  if (create && mkdir(base, 0700) < 0 && errno != EEXIST)
    return berth_fail_sys(err, "mkdir %s", base);
  int fd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "open %s", base);
  return fd;
}

/* base_fd with BASE/.new-ID made in it. The last sandbox to end removes
 * BASE: when that happens between our open and mkdir, make it again. */
static int open_base_with(const struct global_opts *g, const char *tmp, berth_error_t *err)
{
  _cleanup_free_ char *base = sandbox_base(g);
  for (int attempt = 0;; attempt++)
    {
      _cleanup_close_ int base_fd = open_base(g, true, err);
      if (base_fd < 0)
        return -1;
      if (mkdirat(base_fd, tmp, 0700) == 0)
        return steal_fd(&base_fd);
      if (errno != ENOENT || attempt == 5)
        return berth_fail_sys(err, "mkdir %s/%s", base, tmp);
    }
}

int sandbox_dir_create(const struct global_opts *g, const char *id, char **dir, int *dir_fd,
                       berth_error_t *err)
{
  _cleanup_free_ char *base = sandbox_base(g);
  /* the owner record exists before the name does: the sweep never sees a
   * sandbox without one */
  _cleanup_free_ char *tmp = xasprintf(".new-%s", id);
  _cleanup_close_ int base_fd = open_base_with(g, tmp, err);
  if (base_fd < 0)
    return -1;
  _cleanup_free_ char *owner = xasprintf("%d %llu\n", (int) getpid(),
                                         (unsigned long long) process_start_time(getpid()));
  _cleanup_free_ char *owner_path = xasprintf("%s/" OWNER_FILE, tmp);
  if (write_file_atomic_at(base_fd, owner_path, owner, strlen(owner), 0600, err) < 0
      || renameat2(base_fd, tmp, base_fd, id, RENAME_NOREPLACE) < 0)
    {
      int e = errno;
      _cleanup_error_ berth_error_t e2 = NULL;
      state_remove_tree_at(base_fd, tmp, base, &e2);
      if (*err)
        return -1;
      if (e == EEXIST)
        return berth_fail(err, EEXIST, "sandbox %s exists (%s/%s)", id, base, id);
      return berth_fail(err, e, "rename %s/%s to %s", base, tmp, id);
    }
  *dir = xasprintf("%s/%s", base, id);
  *dir_fd = openat(base_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (*dir_fd < 0)
    return berth_fail_sys(err, "open %s", *dir);
  return 0;
}

int sandbox_dir_remove(const struct global_opts *g, const char *id, berth_error_t *err)
{
  if (container_id_validate(id, err) < 0)
    return -1;
  _cleanup_free_ char *base = sandbox_base(g);
  _cleanup_close_ int base_fd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (base_fd < 0)
    return errno == ENOENT ? 0 : berth_fail_sys(err, "open %s", base);
  if (state_remove_tree_at(base_fd, id, base, err) < 0)
    return -1;
  /* the base goes with the last sandbox, as if there had been none */
  if (unlinkat(AT_FDCWD, base, AT_REMOVEDIR) < 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
    berth_log_debug("rmdir %s: %s", base, strerror(errno));
  return 0;
}

/* the owner record names a live berth */
static bool owner_alive(int base_fd, const char *name)
{
  _cleanup_free_ char *path = xasprintf("%s/" OWNER_FILE, name);
  _cleanup_free_ char *text = NULL;
  _cleanup_error_ berth_error_t e = NULL;
  if (read_file_at(base_fd, path, 128, &text, NULL, &e) < 0)
    {
      struct stat st;
      /* no record: alive while young (it is being made, or just failed) */
      return fstatat(base_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && time(NULL) - st.st_mtime < ORPHAN_AGE_S;
    }
  int pid;
  unsigned long long start;
  if (sscanf(text, "%d %llu", &pid, &start) != 2 || pid <= 0)
    return false;
  return process_start_time(pid) == start;
}

static void sweep_one(const struct global_opts *g, int base_fd, const char *name)
{
  _cleanup_error_ berth_error_t e = NULL;
  _cleanup_free_ char *base = sandbox_base(g);
  bool is_new = str_has_prefix(name, ".new-");
  if (!is_new && lifecycle_delete_id(g, name, true, &e) < 0)
    {
      berth_log_warning("sandbox sweep: delete %s: %s", name, berth_error_msg(e));
      return;
    }
  if (state_remove_tree_at(base_fd, name, base, &e) < 0)
    berth_log_warning("sandbox sweep: %s", berth_error_msg(e));
  else
    berth_log_info("sandbox sweep: removed %s/%s, whose berth is gone", base, name);
}

void sandbox_sweep(const struct global_opts *g)
{
  _cleanup_free_ char *base = sandbox_base(g);
  _cleanup_close_ int base_fd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (base_fd < 0)
    return;
  int list_fd = openat(base_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = list_fd >= 0 ? fdopendir(list_fd) : NULL;
  if (!d)
    {
      if (list_fd >= 0)
        close(list_fd);
      return;
    }
  struct dirent *de;
  char **dead = NULL;
  size_t n = 0;
  while ((de = readdir(d)))
    {
      if (str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
        continue;
      if (!owner_alive(base_fd, de->d_name))
        {
          dead = xreallocarray(dead, n + 1, sizeof *dead);
          dead[n++] = xstrdup(de->d_name);
        }
    }
  closedir(d);
  for (size_t i = 0; i < n; i++)
    {
      sweep_one(g, base_fd, dead[i]);
      free(dead[i]);
    }
  free(dead);
}
