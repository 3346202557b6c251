/* A guard between berth and each hook process, so that nothing a hook
 * started outlives a berth that was killed (issue 13, item 6).
 *
 * PR_SET_PDEATHSIG alone reaches only the hook itself, not what it forked.
 * The guard is berth's child; it is a child subreaper, gets SIGTERM when
 * berth dies (PDEATHSIG) and forks the hook in a process group of its own.
 * On SIGTERM it SIGKILLs the hook's group and every process that was
 * reparented to it, until it has no child left. When the hook ends first,
 * the guard ends the same way (exit code or signal), and what the hook
 * left running in the background is left alone, as before. */
#ifndef BERTH_HOOKGUARD_H
#define BERTH_HOOKGUARD_H

#include <sys/types.h>

/* Call in the child berth just forked for a hook; berth_pid is berth's pid
 * (getpid() before the fork). Returns only in the hook process (which has
 * PR_SET_PDEATHSIG(SIGKILL) on the guard and its own process group); the
 * guard itself never returns. */
void hook_guard_fork(pid_t berth_pid);

#endif
