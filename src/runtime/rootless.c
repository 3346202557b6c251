/* Rootless mode (rootless.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/net.h"
#include "runtime/rootless.h"
#include "storage/procfs.h"
#include "util/cleanup.h"
#include "util/util.h"

extern char **environ;

bool rootless_uid_map_is_host(const char *uid_map)
{
  unsigned long long inside, outside, count;
  char extra;
  return sscanf(uid_map, " %llu %llu %llu %c", &inside, &outside, &count, &extra) == 3 && inside == 0
         && outside == 0 && count == UINT32_MAX;
}

bool rootless_detect(void)
{
  if (geteuid() != 0)
    return true;
  _cleanup_free_ char *map = NULL;
  size_t len;
  _cleanup_error_ berth_error_t ignored = NULL;
  if (read_file_at(AT_FDCWD, "/proc/self/uid_map", 4096, &map, &len, &ignored) < 0)
    return false; /* no /proc: judge by euid alone */
  return !rootless_uid_map_is_host(map);
}

const char *rootless_resources_field(const struct spec_resources *r)
{
  if (!r)
    return NULL;
  if (r->memory)
    return ".linux.resources.memory";
  if (r->cpu)
    return ".linux.resources.cpu";
  if (r->block_io)
    return ".linux.resources.blockIO";
  if (r->n_hugepage_limits)
    return ".linux.resources.hugepageLimits";
  if (r->pids_limit.set)
    return ".linux.resources.pids";
  if (r->network)
    return ".linux.resources.network";
  if (r->n_rdma)
    return ".linux.resources.rdma";
  if (r->n_unified)
    return ".linux.resources.unified";
  return NULL;
}

/* ------------------------------------------------------------------ /etc/subuid */

static bool parse_u32(const char *s, uint32_t *out)
{
  unsigned long long v;
  if (parse_uint64(s, &v) < 0 || v > UINT32_MAX)
    return false;
  *out = (uint32_t) v;
  return true;
}

static bool line_is_for(const char *owner, const char *name, uint32_t id)
{
  uint32_t n;
  return (name && str_eq(owner, name)) || (parse_u32(owner, &n) && n == id);
}

void subid_ranges_parse(const char *text, const char *name, uint32_t id, struct subid_range **out, size_t *n)
{
  *out = NULL;
  *n = 0;
  _cleanup_free_ char *copy = xstrdup(text ? text : "");
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
    {
      char *c1 = strchr(line, ':');
      char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
      if (!c2 || strchr(c2 + 1, ':'))
        continue;
      *c1 = *c2 = '\0';
      struct subid_range r;
      if (!line_is_for(line, name, id) || !parse_u32(c1 + 1, &r.start) || !parse_u32(c2 + 1, &r.count)
          || r.count == 0)
        continue;
      *out = xreallocarray(*out, *n + 1, sizeof **out);
      (*out)[(*n)++] = r;
    }
}

bool rootless_mapping_is_own(const struct spec_id_mapping *m, size_t n, uint32_t own)
{
  return n == 1 && m[0].host_id == own && m[0].size == 1;
}

static bool range_inside(uint64_t start, uint64_t size, const struct subid_range *g, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (start >= g[i].start && start + size <= (uint64_t) g[i].start + g[i].count)
      return true;
  return false;
}

static char *ranges_text(const struct subid_range *g, size_t n)
{
  if (n == 0)
    return xstrdup("none");
  char *text = xstrdup("");
  for (size_t i = 0; i < n; i++)
    {
      char *t = xasprintf("%s%s%u-%llu", text, i ? ", " : "", g[i].start,
                          (unsigned long long) g[i].start + g[i].count - 1);
      free(text);
      text = t;
    }
  return text;
}

int rootless_check_mapping_ids(const char *field, const char *file, const char *kind,
                               const struct spec_id_mapping *m, size_t n, uint32_t own,
                               const struct subid_range *granted, size_t n_granted, berth_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      if (m[i].size == 0)
        continue;
      if ((m[i].host_id == own && m[i].size == 1) || range_inside(m[i].host_id, m[i].size, granted, n_granted))
        continue;
      _cleanup_free_ char *have = ranges_text(granted, n_granted);
      return berth_fail(err, EPERM, "%s[%zu]: host ids %u-%llu are neither %s %u nor in its %s ranges (%s)",
                        field, i, m[i].host_id, (unsigned long long) m[i].host_id + m[i].size - 1, kind, own,
                        file, have);
    }
  return 0;
}

/* ------------------------------------------------------------------ checks before create */

static bool helper_installed(const char *name)
{
  const char *path = getenv("PATH");
  _cleanup_free_ char *copy = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
  char *save = NULL;
  for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save))
    {
      _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
      if (access(p, X_OK) == 0)
        return true;
    }
  return false;
}

static int check_one_map(const char *field, const char *file, const char *kind, const char *helper,
                         const struct spec_id_mapping *m, size_t n, uint32_t own, const char *user,
                         berth_error_t *err)
{
  if (n == 0 || rootless_mapping_is_own(m, n, own))
    return 0;
  _cleanup_free_ char *text = NULL;
  size_t len;
  _cleanup_error_ berth_error_t e = NULL;
  if (read_file_at(AT_FDCWD, file, 1 << 20, &text, &len, &e) < 0 && berth_error_ret(e) != -ENOENT)
    return berth_fail(err, 0, "%s: read %s: %s", field, file, berth_error_msg(e));
  _cleanup_free_ struct subid_range *granted = NULL;
  size_t n_granted;
  subid_ranges_parse(text, user, own, &granted, &n_granted);
  if (rootless_check_mapping_ids(field, file, kind, m, n, own, granted, n_granted, err) < 0)
    return -1;
  if (!helper_installed(helper))
    return berth_fail(err, ENOENT, "%s: more than the caller's own %s needs %s (package uidmap), not found in PATH",
                      field, kind, helper);
  return 0;
}

static int check_no_bridge(const struct spec_config *c, berth_error_t *err)
{
  for (size_t i = 0; i < c->n_annotations; i++)
    if (str_has_prefix(c->annotations[i].key, NET_ANNOTATION_PREFIX))
      return berth_fail(err, EPERM,
                        ".annotations[\"%s\"]: bridge networking needs root (a veth on a host bridge); not in rootless mode",
                        c->annotations[i].key);
  return 0;
}

int rootless_check_config(const struct spec_config *c, bool rootless, berth_error_t *err)
{
  if (rootless && check_no_bridge(c, err) < 0)
    return -1;
  if (geteuid() == 0)
    return 0;
  const struct spec_linux *lx = c->linux_;
  bool userns = false;
  for (size_t i = 0; lx && i < lx->n_namespaces; i++)
    userns |= lx->namespaces[i].type == SPEC_NS_USER;
  if (!userns)
    return berth_fail(err, EPERM,
                      ".linux.namespaces: an unprivileged caller needs a user namespace (see berth spec --rootless)");
  struct passwd *pw = getpwuid(geteuid());
  const char *user = pw ? pw->pw_name : NULL;
  if (check_one_map(".linux.uidMappings", "/etc/subuid", "uid", "newuidmap", lx->uid_mappings,
                    lx->n_uid_mappings, geteuid(), user, err) < 0)
    return -1;
  return check_one_map(".linux.gidMappings", "/etc/subgid", "gid", "newgidmap", lx->gid_mappings,
                       lx->n_gid_mappings, getegid(), user, err);
}

/* ------------------------------------------------------------------ writing the maps */

static int write_own_map(int proc, pid_t pid, const char *file, const struct spec_id_mapping *m, size_t n,
                         berth_error_t *err)
{
  _cleanup_free_ char *text = spec_id_mappings_text(m, n);
  _cleanup_free_ char *path = xasprintf("%d/%s", (int) pid, file);
  if (procfs_write(proc, path, text, strlen(text), err) < 0)
    return berth_wrap(err, "user namespace %s", file);
  return 0;
}

/* helper PID (container host size)...: its stderr is the error's reason */
static int run_id_helper(const char *helper, const char *field, pid_t pid, const struct spec_id_mapping *m,
                         size_t n, berth_error_t *err)
{
  _cleanup_strv_ char **argv = xcalloc(3 * n + 3, sizeof(char *));
  size_t k = 0;
  argv[k++] = xstrdup(helper);
  argv[k++] = xasprintf("%d", (int) pid);
  for (size_t i = 0; i < n; i++)
    {
      argv[k++] = xasprintf("%u", m[i].container_id);
      argv[k++] = xasprintf("%u", m[i].host_id);
      argv[k++] = xasprintf("%u", m[i].size);
    }
  int out[2];
  if (pipe2(out, O_CLOEXEC) < 0)
    return berth_fail_sys(err, "%s: pipe for %s", field, helper);
  _cleanup_close_ int rd = out[0];
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, out[1], 2);
  pid_t child;
  int r = posix_spawnp(&child, helper, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (r != 0)
    {
      errno = r;
      return berth_fail_sys(err, "%s: run %s", field, helper);
    }
  _cleanup_free_ char *said = NULL;
  size_t len = 0;
  _cleanup_error_ berth_error_t ignored = NULL;
  (void) read_all_fd(rd, 4096, &said, &len, &ignored);
  int status;
  while (waitpid(child, &status, 0) < 0)
    if (errno != EINTR)
      return berth_fail_sys(err, "%s: wait for %s", field, helper);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return 0;
  for (size_t i = len; said && i > 0 && (said[i - 1] == '\n' || said[i - 1] == ' '); i--)
    said[i - 1] = '\0';
  return berth_fail(err, EPERM, "%s: %s failed (%s %d): %s", field, helper,
                    WIFEXITED(status) ? "exit status" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                    said && *said ? said : "no message");
}

int rootless_write_id_maps(pid_t pid, const struct spec_linux *lx, berth_error_t *err)
{
  if (geteuid() == 0)
    return 0;
  bool own_uid = rootless_mapping_is_own(lx->uid_mappings, lx->n_uid_mappings, geteuid());
  bool own_gid = rootless_mapping_is_own(lx->gid_mappings, lx->n_gid_mappings, getegid());
  _cleanup_close_ int proc = procfs_open(PROCFS_PIDS, err);
  if (proc < 0)
    return berth_wrap(err, "user namespace mappings");
  if (lx->n_uid_mappings)
    {
      if (own_uid && write_own_map(proc, pid, "uid_map", lx->uid_mappings, lx->n_uid_mappings, err) < 0)
        return -1;
      if (!own_uid
          && run_id_helper("newuidmap", ".linux.uidMappings", pid, lx->uid_mappings, lx->n_uid_mappings, err) < 0)
        return -1;
    }
  if (lx->n_gid_mappings)
    {
      if (own_gid)
        {
          /* an unprivileged writer may only map its gid with setgroups denied */
          _cleanup_free_ char *path = xasprintf("%d/setgroups", (int) pid);
          if (procfs_write(proc, path, "deny", 4, err) < 0)
            return berth_wrap(err, "user namespace setgroups");
          if (write_own_map(proc, pid, "gid_map", lx->gid_mappings, lx->n_gid_mappings, err) < 0)
            return -1;
        }
      else if (run_id_helper("newgidmap", ".linux.gidMappings", pid, lx->gid_mappings, lx->n_gid_mappings, err)
               < 0)
        return -1;
    }
  return 1;
}

/* ------------------------------------------------------------------ ps without a cgroup */

static bool pidns_of(pid_t pid, struct stat *st)
{
  _cleanup_free_ char *path = xasprintf("/proc/%d/ns/pid", (int) pid);
  return stat(path, st) == 0;
}

int rootless_pidns_pids(pid_t init, pid_t **pids, size_t *n, berth_error_t *err)
{
  *pids = NULL;
  *n = 0;
  struct stat want, mine;
  if (!pidns_of(getpid(), &mine))
    return berth_fail_sys(err, "stat /proc/self/ns/pid");
  if (!pidns_of(init, &want))
    {
      if (errno != EACCES && errno != EPERM)
        return 0; /* gone: no process */
      *pids = xmalloc(sizeof **pids); /* created: berth is its only process, and not ours to look at */
      (*pids)[(*n)++] = init;
      return 0;
    }
  if (want.st_dev == mine.st_dev && want.st_ino == mine.st_ino)
    return berth_fail(err, ENOTSUP, "the container shares our pid namespace and has no cgroup: its processes cannot be told apart");
  _cleanup_closedir_ DIR *d = opendir("/proc");
  if (!d)
    return berth_fail_sys(err, "open /proc");
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    {
      long long pid;
      struct stat st;
      if (parse_int64(de->d_name, &pid) < 0 || pid <= 0 || pid > INT32_MAX || !pidns_of((pid_t) pid, &st)
          || st.st_dev != want.st_dev || st.st_ino != want.st_ino)
        continue;
      *pids = xreallocarray(*pids, *n + 1, sizeof **pids);
      (*pids)[(*n)++] = (pid_t) pid;
    }
  return 0;
}
