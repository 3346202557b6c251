#include "runtime/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/cgroups.h"
#include "util/util.h"

#define STATE_FILE "state.json"
#define LOCK_FILE "lock"
#define EXEC_FIFO "exec.fifo"
#define INIT_RECORD "init"
/* state.json holds config.json's annotations, and config.json may have
 * 16 MiB: the reader's cap leaves room for them and the rest, and the
 * writer refuses more, so that no command writes a state no other can read */
#define STATE_MAX_SIZE (17u << 20)

/* berth_fail() without the ": ENAME (...)" suffix, keeping errnum for
 * callers that test it (delete --force ignores ENOENT) */
static int __attribute__((format(printf, 3, 4))) fail_plain(berth_error_t *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  berth_failv(err, 0, fmt, ap);
  va_end(ap);
  (*err)->errnum = errnum;
  return -errnum;
}

/* the id main names in its error line; set by a successful validation */
static char *current_id;

const char *container_current_id(void)
{
  return current_id;
}

char *state_default_root_for(bool rootless, uid_t euid, const char *xdg, bool run_user_exists)
{
  if ((rootless || euid != 0) && xdg && *xdg)
    return xasprintf("%s/berth", xdg);
  if (euid == 0)
    return xstrdup("/run/berth");
  if (run_user_exists)
    return xasprintf("/run/user/%u/berth", (unsigned) euid);
  return NULL;
}

char *state_default_root(bool rootless)
{
  _cleanup_free_ char *run_user = xasprintf("/run/user/%u", (unsigned) geteuid());
  struct stat st;
  bool exists = stat(run_user, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid();
  return state_default_root_for(rootless, geteuid(), getenv("XDG_RUNTIME_DIR"), exists);
}

static int id_check(const char *id, berth_error_t *err)
{
  if (id == NULL || *id == '\0')
    return fail_plain(err, EINVAL, "invalid container id: must not be empty");
  size_t len = strlen(id);
  if (len > BERTH_ID_MAX)
    return fail_plain(err, EINVAL, "invalid container id: longer than %d characters", BERTH_ID_MAX);
  if (str_eq(id, ".") || str_eq(id, ".."))
    return fail_plain(err, EINVAL, "invalid container id \"%s\"", id);
  for (const unsigned char *p = (const unsigned char *) id; *p; p++)
    {
      if (*p == '/')
        return fail_plain(err, EINVAL, "invalid container id \"%s\": must not contain '/'", id);
      if (*p < 0x20 || *p == 0x7f)
        return fail_plain(err, EINVAL, "invalid container id: must not contain control characters");
    }
  return 0;
}

int container_id_validate(const char *id, berth_error_t *err)
{
  if (id_check(id, err) < 0)
    return berth_error_ret(*err);
  free(current_id);
  current_id = xstrdup(id);
  return 0;
}

/* mkdir -p: the last component gets mode, missing parents 0755 */
static int mkdir_parents(const char *path, mode_t mode, berth_error_t *err)
{
  _cleanup_free_ char *p = xstrdup(path);
  size_t len = strlen(p);
  while (len > 1 && p[len - 1] == '/')
    p[--len] = '\0';
  for (char *s = p + 1; *s; s++)
    {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir(p, 0755) < 0 && errno != EEXIST)
        return berth_fail_sys(err, "create directory %s", p);
      *s = '/';
    }
  if (mkdir(p, mode) < 0 && errno != EEXIST)
    return berth_fail_sys(err, "create state root %s", p);
  return 0;
}

static struct container *container_new(const char *root, const char *id)
{
  struct container *c = xcalloc(1, sizeof *c);
  c->id = xstrdup(id);
  c->root = xstrdup(root);
  c->dir = xasprintf("%s/%s", root, id);
  c->root_fd = c->dir_fd = c->lock_fd = -1;
  return c;
}

void container_close(struct container *c)
{
  if (!c)
    return;
  if (c->lock_fd >= 0)
    close(c->lock_fd); /* releases the flock */
  if (c->dir_fd >= 0)
    close(c->dir_fd);
  if (c->root_fd >= 0)
    close(c->root_fd);
  free(c->id);
  free(c->root);
  free(c->dir);
  free(c);
}

static void container_closep(struct container **c)
{
  container_close(*c);
}
#define _cleanup_container_ _cleanup_(container_closep)

static int open_root(struct container *c, berth_error_t *err)
{
  c->root_fd = open(c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->root_fd < 0)
    return berth_fail_sys(err, "open state root %s", c->root);
  return 0;
}

static int open_dir(struct container *c, berth_error_t *err)
{
  c->dir_fd = openat(c->root_fd, c->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (c->dir_fd < 0)
    {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
        return fail_plain(err, ENOENT, "container \"%s\" does not exist", c->id);
      return berth_fail_sys(err, "open %s", c->dir);
    }
  return 0;
}

/* root and the container's directory; a missing root means no container */
static int open_existing(struct container *c, berth_error_t *err)
{
  c->root_fd = open(c->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->root_fd < 0)
    {
      if (errno == ENOENT)
        return fail_plain(err, ENOENT, "container \"%s\" does not exist", c->id);
      return berth_fail_sys(err, "open state root %s", c->root);
    }
  return open_dir(c, err);
}

/* Only create makes the lock file: an opener that finds none is looking
 * at a container being deleted (recreating it would make delete's rmdir
 * fail) or one whose create has not got that far. */
static int take_lock(struct container *c, bool exclusive, bool create, berth_error_t *err)
{
  c->lock_fd = openat(c->dir_fd, LOCK_FILE, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | (create ? O_CREAT : 0), 0600);
  if (c->lock_fd < 0 && errno == ENOENT && !create)
    return fail_plain(err, ENOENT, "container \"%s\" does not exist", c->id);
  if (c->lock_fd < 0)
    return berth_fail_sys(err, "open %s/%s", c->dir, LOCK_FILE);
  int r;
  do
    r = flock(c->lock_fd, exclusive ? LOCK_EX : LOCK_SH);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return berth_fail_sys(err, "lock %s/%s", c->dir, LOCK_FILE);
  return 0;
}

/* After waiting for the lock the directory may have been deleted (and
 * maybe created again): it is ours only if root/id is still the same
 * inode as the fd we hold. */
static int dir_still_current(struct container *c, bool *current, berth_error_t *err)
{
  struct stat held, now;
  if (fstat(c->dir_fd, &held) < 0)
    return berth_fail_sys(err, "stat %s", c->dir);
  if (fstatat(c->root_fd, c->id, &now, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno != ENOENT)
        return berth_fail_sys(err, "stat %s", c->dir);
      *current = false;
      return 0;
    }
  *current = held.st_dev == now.st_dev && held.st_ino == now.st_ino;
  return 0;
}

int container_dir_create(const char *root, const char *id, struct container **out, berth_error_t *err)
{
  if (container_id_validate(id, err) < 0)
    return berth_error_ret(*err);
  if (mkdir_parents(root, 0700, err) < 0)
    return -1;
  _cleanup_container_ struct container *c = container_new(root, id);
  if (open_root(c, err) < 0)
    return -1;
  /* mkdirat is the arbiter between two creates of one id */
  if (mkdirat(c->root_fd, id, 0711) < 0)
    {
      if (errno == EEXIST)
        return fail_plain(err, EEXIST, "container \"%s\" already exists", id);
      return berth_fail_sys(err, "create %s", c->dir);
    }
  if (open_dir(c, err) < 0 || take_lock(c, true, true, err) < 0)
    {
      unlinkat(c->dir_fd, LOCK_FILE, 0);
      unlinkat(c->root_fd, id, AT_REMOVEDIR);
      return berth_error_ret(*err);
    }
  *out = steal_pointer(&c);
  return 0;
}

int container_open(const char *root, const char *id, bool exclusive, struct container **out,
                   berth_error_t *err)
{
  if (container_id_validate(id, err) < 0)
    return berth_error_ret(*err);
  /* a few rounds in case the container is deleted and created again while we wait */
  for (int attempt = 0; attempt < 5; attempt++)
    {
      _cleanup_container_ struct container *c = container_new(root, id);
      bool current;
      if (open_existing(c, err) < 0 || take_lock(c, exclusive, false, err) < 0 || dir_still_current(c, &current, err) < 0)
        return berth_error_ret(*err);
      if (current)
        {
          *out = steal_pointer(&c);
          return 0;
        }
    }
  return fail_plain(err, ENOENT, "container \"%s\" does not exist", id);
}

int container_open_unlocked(const char *root, const char *id, struct container **out, berth_error_t *err)
{
  if (container_id_validate(id, err) < 0)
    return berth_error_ret(*err);
  _cleanup_container_ struct container *c = container_new(root, id);
  if (open_existing(c, err) < 0)
    return berth_error_ret(*err);
  *out = steal_pointer(&c);
  return 0;
}

int container_open_unlocked_in(int root_fd, const char *root, const char *id, struct container **out,
                               berth_error_t *err)
{
  if (container_id_validate(id, err) < 0)
    return berth_error_ret(*err);
  _cleanup_container_ struct container *c = container_new(root, id);
  c->root_fd = root_fd;
  int r = open_dir(c, err);
  c->root_fd = -1; /* the caller's */
  if (r < 0)
    return berth_error_ret(*err);
  *out = steal_pointer(&c);
  return 0;
}

static int remove_tree_at(int parent_fd, const char *name, const char *label, berth_error_t *err);

/* Everything in dir_fd but keep (NULL: everything). */
static int remove_dir_contents_but(int dir_fd, const char *label, const char *keep, berth_error_t *err)
{
  int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return berth_fail_sys(err, "open %s", label);
  _cleanup_closedir_ DIR *d = fdopendir(fd);
  if (!d)
    {
      int saved = errno;
      close(fd);
      return berth_fail(err, saved, "open %s", label);
    }
  struct dirent *de;
  while ((errno = 0, de = readdir(d)) != NULL)
    {
      if (str_eq(de->d_name, ".") || str_eq(de->d_name, "..") || (keep && str_eq(de->d_name, keep)))
        continue;
      if (remove_tree_at(dirfd(d), de->d_name, label, err) < 0)
        return -1;
    }
  if (errno != 0)
    return berth_fail_sys(err, "read directory %s", label);
  return 0;
}

static int remove_dir_contents(int dir_fd, const char *label, berth_error_t *err)
{
  return remove_dir_contents_but(dir_fd, label, NULL, err);
}

/* A directory of ours with mode 0 (overlayfs leaves work/work so for a
 * rootless caller, who has no CAP_DAC_OVERRIDE): make it 0700, through an
 * O_PATH fd of the very directory, and open it. */
static int open_after_chmod(int parent_fd, const char *name)
{
  _cleanup_close_ int path_fd = openat(parent_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (path_fd < 0)
    return -1;
  _cleanup_free_ char *magic = xasprintf("/proc/self/fd/%d", path_fd);
  if (chmod(magic, 0700) < 0)
    {
      errno = EACCES;
      return -1;
    }
  return openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Remove name and, when it is a real directory, everything below it;
 * symlinks are removed, never followed. */
static int remove_tree_at(int parent_fd, const char *name, const char *label, berth_error_t *err)
{
  if (unlinkat(parent_fd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return berth_fail_sys(err, "remove %s/%s", label, name);
  _cleanup_close_ int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == EACCES)
    fd = open_after_chmod(parent_fd, name);
  if (fd < 0)
    return berth_fail_sys(err, "open %s/%s", label, name);
  _cleanup_free_ char *sub = xasprintf("%s/%s", label, name);
  if (remove_dir_contents(fd, sub, err) < 0)
    return -1;
  if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return berth_fail_sys(err, "remove %s", sub);
  return 0;
}

int state_remove_tree_at(int parent_fd, const char *name, const char *label, berth_error_t *err)
{
  return remove_tree_at(parent_fd, name, label, err);
}

int container_dir_remove(struct container *c, berth_error_t *err)
{
  _cleanup_container_ struct container *owned = c;
  /* state.json first and the lock file last: a removal that dies half-way
   * leaves a directory that delete --force can still lock and recognise
   * (no state). We keep holding the flock until close, and waiters notice
   * the directory is gone (dir_still_current). */
  if (remove_tree_at(c->dir_fd, STATE_FILE, c->dir, err) < 0)
    return -1;
  if (remove_dir_contents_but(c->dir_fd, c->dir, LOCK_FILE, err) < 0)
    return -1;
  if (unlinkat(c->dir_fd, LOCK_FILE, 0) < 0 && errno != ENOENT)
    return berth_fail_sys(err, "remove %s/%s", c->dir, LOCK_FILE);
  if (unlinkat(c->root_fd, c->id, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return berth_fail_sys(err, "remove %s", c->dir);
  return 0;
}

int container_state_write(struct container *c, const struct spec_state *s, berth_error_t *err)
{
  _cleanup_free_ char *json = NULL;
  size_t len = 0;
  if (spec_state_emit(s, SPEC_STATE_PRIVATE, &json, &len, err) < 0)
    return berth_wrap(err, "container \"%s\": encode state", c->id);
  if (len > STATE_MAX_SIZE)
    return berth_fail(err, EFBIG, "container \"%s\": state of %zu bytes (annotations included) is more than %u bytes",
                      c->id, len, STATE_MAX_SIZE);
  if (write_file_atomic_at(c->dir_fd, STATE_FILE, json, len, 0600, err) < 0)
    return berth_wrap(err, "container \"%s\": save state in %s", c->id, c->dir);
  return 0;
}

int container_state_read(struct container *c, struct spec_state **out, berth_error_t *err)
{
  _cleanup_free_ char *json = NULL;
  size_t len = 0;
  if (read_file_at(c->dir_fd, STATE_FILE, STATE_MAX_SIZE, &json, &len, err) < 0)
    return berth_wrap(err, "container \"%s\": read state in %s", c->id, c->dir);
  _cleanup_free_ char *label = xasprintf("%s/%s", c->dir, STATE_FILE);
  if (spec_state_parse(json, len, label, out, err) < 0)
    return berth_wrap(err, "container \"%s\"", c->id);
  return 0;
}

/* A symlink holds the record: made in one syscall, whole or not at all,
 * and never followed (readlinkat only). */
int container_init_record_write(struct container *c, pid_t pid, uint64_t start_time, berth_error_t *err)
{
  _cleanup_free_ char *text = xasprintf("%d:%llu", (int) pid, (unsigned long long) start_time);
  if (symlinkat(text, c->dir_fd, INIT_RECORD) < 0)
    return berth_fail_sys(err, "container \"%s\": record the init in %s/%s", c->id, c->dir, INIT_RECORD);
  return 0;
}

bool container_init_record_read(struct container *c, pid_t *pid, uint64_t *start_time)
{
  char buf[64];
  ssize_t n = readlinkat(c->dir_fd, INIT_RECORD, buf, sizeof buf - 1);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  char *colon = strchr(buf, ':');
  if (!colon)
    return false;
  *colon = '\0';
  long long p;
  unsigned long long t;
  if (parse_int64(buf, &p) < 0 || p <= 0 || p > INT32_MAX || parse_uint64(colon + 1, &t) < 0 || t == 0)
    return false;
  *pid = (pid_t) p;
  *start_time = t;
  return true;
}

bool container_dir_exists(const char *root, const char *id)
{
  _cleanup_error_ berth_error_t invalid = NULL;
  if (id_check(id, &invalid) < 0)
    return false;
  _cleanup_free_ char *path = xasprintf("%s/%s", root, id);
  struct stat st;
  return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether another process holds the container's lock (a create or delete
 * at work). We cannot tell while we hold it ourselves: then whoever
 * held it before has finished or died. */
static bool lock_held_by_other(struct container *c)
{
  if (c->lock_fd >= 0)
    return false;
  _cleanup_close_ int fd = openat(c->dir_fd, LOCK_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return false;
  return flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

const char *container_unreadable_status(struct container *c)
{
  return lock_held_by_other(c) ? "creating" : "unknown";
}

int container_state_unreadable(struct container *c, berth_error_t *err)
{
  if (str_eq(container_unreadable_status(c), "creating"))
    return berth_wrap(err, "being created or deleted (its lock is held), no state yet");
  return berth_wrap(err, "no readable state (an interrupted create or delete, or a damaged state.json; "
                         "`delete --force %s` removes it)", c->id);
}

/* /proc/PID/stat: "pid (comm) S ppid ...". comm may hold spaces and
 * parentheses, so the fields start after the last ')'. */
static int proc_stat_read(pid_t pid, char *state, uint64_t *start_time)
{
  if (pid <= 0)
    return -1;
  /* one read into a stack buffer: `list` does this for every container. The
     line is about 300 bytes; comm is at most 64, so 1 KiB always holds field 22. */
  _cleanup_free_ char *path = xasprintf("/proc/%d/stat", (int) pid);
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return -1;
  char buf[1024];
  ssize_t n;
  do
    n = read(fd, buf, sizeof buf - 1);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (!p)
    return -1;
  p++;
  /* field 3 (state) is the first after comm; field 22 (starttime) the 20th */
  char *save = NULL;
  char *tok = strtok_r(p, " \n", &save);
  for (int field = 3; tok; field++, tok = strtok_r(NULL, " \n", &save))
    {
      if (field == 3)
        *state = tok[0];
      else if (field == 22)
        {
          unsigned long long v;
          if (parse_uint64(tok, &v) < 0)
            return -1;
          *start_time = v;
          return 0;
        }
    }
  return -1;
}

uint64_t process_start_time(pid_t pid)
{
  char state = 0;
  uint64_t start = 0;
  if (proc_stat_read(pid, &state, &start) < 0)
    return 0;
  return start;
}

static bool pid_is_our_init(const struct spec_state *s)
{
  char state = 0;
  uint64_t start = 0;
  if (s->pid <= 0 || proc_stat_read(s->pid, &state, &start) < 0)
    return false;
  /* a zombie has exited already; a different start time is pid reuse */
  if (state == 'Z' || state == 'X' || state == 'x')
    return false;
  return s->init_start_time == 0 || s->init_start_time == start;
}

const char *container_status(struct container *c, const struct spec_state *s, container_frozen_fn is_frozen)
{
  if (str_eq(s->status, "creating"))
    return container_unreadable_status(c); /* the creator may have died */
  if (!pid_is_our_init(s))
    return "stopped";
  struct stat st;
  if (fstatat(c->dir_fd, EXEC_FIFO, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return "created";
  if (is_frozen && is_frozen(s))
    return "paused";
  return "running";
}

bool container_cgroup_frozen(const struct spec_state *s)
{
  if (s->cgroup_path == NULL || str_eq(s->cgroup_manager, "disabled"))
    return false;
  struct berth_cgroup *cg = NULL;
  _cleanup_error_ berth_error_t err = NULL;
  if (cgroup_open(s->cgroup_path, &cg, &err) < 0)
    return false;
  bool frozen = cgroup_is_frozen(cg);
  cgroup_free(cg);
  return frozen;
}

void container_state_refresh(struct container *c, struct spec_state *s)
{
  const char *status = container_status(c, s, container_cgroup_frozen);
  if (!str_eq(status, s->status))
    {
      free(s->status);
      s->status = xstrdup(status);
    }
  if (str_eq(status, "stopped"))
    s->pid = 0;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool entry_is_dir(DIR *d, const struct dirent *de)
{
  if (de->d_type == DT_DIR)
    return true;
  if (de->d_type != DT_UNKNOWN)
    return false;
  struct stat st;
  return fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

int state_list_ids(const char *root, char ***ids, size_t *n, berth_error_t *err)
{
  _cleanup_strv_ char **v = xcalloc(1, sizeof *v);
  size_t count = 0;
  _cleanup_closedir_ DIR *d = opendir(root);
  if (!d && errno != ENOENT)
    return berth_fail_sys(err, "open state root %s", root);
  if (d)
    {
      struct dirent *de;
      while ((errno = 0, de = readdir(d)) != NULL)
        {
          if (str_eq(de->d_name, ".") || str_eq(de->d_name, ".."))
            continue;
          _cleanup_error_ berth_error_t invalid = NULL;
          if (!entry_is_dir(d, de) || id_check(de->d_name, &invalid) < 0)
            continue;
          v = xreallocarray(v, count + 2, sizeof *v);
          v[count++] = xstrdup(de->d_name);
          v[count] = NULL;
        }
      if (errno != 0)
        return berth_fail_sys(err, "read state root %s", root);
    }
  qsort(v, count, sizeof *v, cmp_str);
  *n = count;
  *ids = steal_pointer(&v);
  return 0;
}

char *rfc3339_now(void)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  return xasprintf("%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                   tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}
