/* See interrupt.h. */
#include "runtime/interrupt.h"

#include <signal.h>
#include <stddef.h>
#include <unistd.h>

#include "runtime/signals.h"
#include "util/util.h"

static const int interrupt_signals[] = {SIGINT, SIGTERM, SIGHUP};

#define WATCH_MAX 4

static volatile sig_atomic_t interrupted;
static pid_t armed_pid;
static volatile sig_atomic_t watched_pid[WATCH_MAX];
static volatile sig_atomic_t watched_sig[WATCH_MAX];

static void kill_watched(void)
{
  for (size_t i = 0; i < WATCH_MAX; i++)
    if (watched_pid[i] > 0)
      kill((pid_t) watched_pid[i], (int) watched_sig[i]);
}

static void on_interrupt(int sig)
{
  /* a child of berth's that has not set its own signals up yet (a hook's
   * guard, the init): the signal is meant to end it */
  if (getpid() != armed_pid)
    {
      signal(sig, SIG_DFL);
      raise(sig);
      return;
    }
  if (!interrupted)
    interrupted = sig;
  kill_watched();
}

static void interrupt_mask(sigset_t *set)
{
  sigemptyset(set);
  for (size_t i = 0; i < ARRAY_SIZE(interrupt_signals); i++)
    sigaddset(set, interrupt_signals[i]);
}

void interrupt_arm(void)
{
  armed_pid = getpid();
  struct sigaction sa = {.sa_handler = on_interrupt}; /* no SA_RESTART: waits see EINTR */
  sigfillset(&sa.sa_mask);
  for (size_t i = 0; i < ARRAY_SIZE(interrupt_signals); i++)
    sigaction(interrupt_signals[i], &sa, NULL);
  sigset_t set;
  interrupt_mask(&set);
  sigprocmask(SIG_UNBLOCK, &set, NULL);
}

void interrupt_disarm(void)
{
  sigset_t set;
  interrupt_mask(&set);
  sigprocmask(SIG_BLOCK, &set, NULL);
  interrupt_forget();
}

void interrupt_forget(void)
{
  for (size_t i = 0; i < ARRAY_SIZE(interrupt_signals); i++)
    signal(interrupt_signals[i], SIG_DFL);
  for (size_t i = 0; i < WATCH_MAX; i++)
    watched_pid[i] = 0;
}

void interrupt_watch(pid_t pid, int sig)
{
  for (size_t i = 0; i < WATCH_MAX; i++)
    if (watched_pid[i] == 0)
      {
        watched_sig[i] = sig;
        watched_pid[i] = pid;
        break;
      }
  /* an interrupt that came before pid was known */
  if (interrupted)
    kill(pid, sig);
}

void interrupt_unwatch(pid_t pid)
{
  for (size_t i = 0; i < WATCH_MAX; i++)
    if (watched_pid[i] == pid)
      watched_pid[i] = 0;
}

int interrupt_signal(void)
{
  return (int) interrupted;
}

int interrupt_check(berth_error_t *err)
{
  int sig = (int) interrupted;
  if (!sig)
    return 0;
  const char *name = signal_name(sig);
  return berth_fail(err, 0, "interrupted by %s", name ? name : "a signal");
}
