#include "runtime/signals.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <strings.h>
#include <sys/wait.h>

#include "util/util.h"

struct signal_entry
{
  const char *name; /* without "SIG" */
  int num;
};

static const struct signal_entry signal_table[] = {
  {"HUP", SIGHUP},       {"INT", SIGINT},       {"QUIT", SIGQUIT},     {"ILL", SIGILL},
  {"TRAP", SIGTRAP},     {"ABRT", SIGABRT},     {"IOT", SIGIOT},       {"BUS", SIGBUS},
  {"FPE", SIGFPE},       {"KILL", SIGKILL},     {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
  {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},     {"TERM", SIGTERM},
  {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},     {"CLD", SIGCHLD},      {"CONT", SIGCONT},
  {"STOP", SIGSTOP},     {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU},
  {"URG", SIGURG},       {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM},
  {"PROF", SIGPROF},     {"WINCH", SIGWINCH},   {"IO", SIGIO},         {"POLL", SIGPOLL},
  {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

/* The kernel's real-time range; glibc's SIGRTMIN is larger because it
 * reserves two for itself, but a container's program may use them. */
#define KERNEL_SIGRTMIN 32
#define KERNEL_SIGRTMAX 64

static int parse_rt(const char *s, int *out)
{
  int base;
  const char *rest;
  if (strncasecmp(s, "RTMIN", 5) == 0)
    base = KERNEL_SIGRTMIN, rest = s + 5;
  else if (strncasecmp(s, "RTMAX", 5) == 0)
    base = KERNEL_SIGRTMAX, rest = s + 5;
  else
    return -1;
  if (*rest == '\0')
    {
      *out = base;
      return 0;
    }
  if (*rest != '+' && *rest != '-')
    return -1;
  unsigned long long off;
  if (parse_uint64(rest + 1, &off) < 0 || off > KERNEL_SIGRTMAX - KERNEL_SIGRTMIN)
    return -1;
  int v = *rest == '+' ? base + (int) off : base - (int) off;
  if (v < KERNEL_SIGRTMIN || v > KERNEL_SIGRTMAX)
    return -1;
  *out = v;
  return 0;
}

int signal_parse(const char *s, int *out, berth_error_t *err)
{
  if (s == NULL || *s == '\0')
    return berth_fail(err, 0, "invalid signal \"\"");
  if (isdigit((unsigned char) s[0]))
    {
      unsigned long long n;
      /* 0 only checks that the process exists (kill(2)), as with runc */
      if (parse_uint64(s, &n) < 0 || n > KERNEL_SIGRTMAX)
        return berth_fail(err, 0, "invalid signal \"%s\": not a signal number (0-%d)", s, KERNEL_SIGRTMAX);
      *out = (int) n;
      return 0;
    }
  const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
  for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
    if (strcasecmp(name, signal_table[i].name) == 0)
      {
        *out = signal_table[i].num;
        return 0;
      }
  if (parse_rt(name, out) == 0)
    return 0;
  return berth_fail(err, 0, "invalid signal \"%s\": unknown signal name", s);
}

const char *signal_name(int sig)
{
  static char rt[16];
  for (size_t i = 0; i < ARRAY_SIZE(signal_table); i++)
    if (signal_table[i].num == sig)
      {
        static char buf[16];
        snprintf(buf, sizeof buf, "SIG%s", signal_table[i].name);
        return buf;
      }
  if (sig >= KERNEL_SIGRTMIN && sig <= KERNEL_SIGRTMAX)
    {
      if (sig == KERNEL_SIGRTMIN)
        snprintf(rt, sizeof rt, "SIGRTMIN");
      else
        snprintf(rt, sizeof rt, "SIGRTMIN+%d", sig - KERNEL_SIGRTMIN);
      return rt;
    }
  return NULL;
}

int wait_status_to_exit_code(int status)
{
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 255;
}

char *pidfile_content(pid_t pid)
{
  return xasprintf("%d", (int) pid);
}

char **env_set(char *const *env, const char *key, const char *value)
{
  size_t n = env ? strv_len(env) : 0, keylen = strlen(key), j = 0;
  char **out = xcalloc(n + 2, sizeof *out);
  bool replaced = false;
  for (size_t i = 0; i < n; i++)
    {
      if (strncmp(env[i], key, keylen) == 0 && env[i][keylen] == '=')
        {
          if (replaced)
            continue; /* drop duplicates of the key */
          out[j++] = xasprintf("%s=%s", key, value);
          replaced = true;
        }
      else
        out[j++] = xstrdup(env[i]);
    }
  if (!replaced)
    out[j++] = xasprintf("%s=%s", key, value);
  out[j] = NULL;
  return out;
}
