/* HOME for the container's process when process.env has none: the home
 * directory of process.user.uid in the container's /etc/passwd, else "/"
 * (as runc and crun do). */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/init.h"
#include "runtime/linux.h"
#include "storage/storage.h"
#include "util/util.h"

/* an image's passwd is small; a huge one is read this far and no further */
#define PASSWD_READ_MAX (16 << 20)

/* field i (0-based) of a ':'-separated line: [*start, *start + *len) */
static bool passwd_field(const char *line, unsigned i, const char **start, size_t *len)
{
  const char *p = line;
  for (; i > 0; i--)
    {
      p = strchr(p, ':');
      if (!p)
        return false;
      p++;
    }
  *start = p;
  *len = strcspn(p, ":\n");
  return true;
}

bool passwd_line_home(const char *line, uint32_t uid, char **home)
{
  const char *f, *h;
  size_t n, hn;
  if (line[0] == '#') /* as glibc's files database */
    return false;
  if (!passwd_field(line, 2, &f, &n) || n == 0 || n > 10 || !passwd_field(line, 5, &h, &hn))
    return false;
  unsigned long long v = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (f[i] < '0' || f[i] > '9')
        return false;
      v = v * 10 + (unsigned) (f[i] - '0');
    }
  if (v != uid)
    return false;
  *home = hn ? xstrndup(h, hn) : xstrdup("/");
  return true;
}

char *passwd_home_in_stream(FILE *f, uint32_t uid)
{
  _cleanup_free_ char *line = NULL;
  size_t cap = 0, total = 0;
  ssize_t n;
  while (total < PASSWD_READ_MAX && (n = getline(&line, &cap, f)) > 0)
    {
      total += (size_t) n;
      char *home;
      if (strlen(line) == (size_t) n && passwd_line_home(line, uid, &home))
        return home;
    }
  return xstrdup("/");
}

/* The container's /etc/passwd, symlinks resolved inside the container's
 * root (which "/" is by now); NULL when there is none we can read. */
static FILE *open_container_passwd(void)
{
  _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return NULL;
  _cleanup_error_ berth_error_t ignored = NULL;
  /* O_NONBLOCK: a fifo planted as /etc/passwd must not hang us */
  _cleanup_close_ int fd = storage_open_in_root(root, "/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, &ignored);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
    return NULL;
  FILE *f = fdopen(fd, "re");
  if (f)
    steal_fd(&fd);
  return f;
}

static bool env_has_home(char *const *env)
{
  for (size_t i = 0; env && env[i]; i++)
    if (str_has_prefix(env[i], "HOME="))
      return true;
  return false;
}

char **process_env_with_home(const struct spec_process *p)
{
  if (env_has_home(p->env))
    return NULL;
  _cleanup_fclose_ FILE *f = open_container_passwd();
  _cleanup_free_ char *home = f ? passwd_home_in_stream(f, p->user.uid) : xstrdup("/");
  size_t n = p->env ? strv_len(p->env) : 0;
  char **env = xcalloc(n + 2, sizeof *env);
  for (size_t i = 0; i < n; i++)
    env[i] = xstrdup(p->env[i]);
  env[n] = xasprintf("HOME=%s", home);
  return env;
}
