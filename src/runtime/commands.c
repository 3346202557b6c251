#include "runtime/cli.h"

/* Commands that work, alphabetically. Each lives in cmd_<name>.c. */
int cmd_checkpoint(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_restore(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_create(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_delete(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_exec(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_kill(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_run(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_start(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_features(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_list(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_spec(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_state(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_pause(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_resume(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_update(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_ps(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_storage(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_events(const struct global_opts *g, int argc, char **argv, berth_error_t *err);
int cmd_sandbox(const struct global_opts *g, int argc, char **argv, berth_error_t *err);

const struct command berth_commands[] = {
  {"checkpoint", "checkpoint a running container with CRIU", cmd_checkpoint},
  {"create", "create a container (it waits for start)", cmd_create, true},
  {"delete", "delete a container and everything it left", cmd_delete},
  {"events", "print a container's statistics and OOM events as JSON lines", cmd_events},
  {"exec", "run a new process in a running container", cmd_exec, true},
  {"features", "print the runtime-spec features JSON (what berth supports)", cmd_features},
  {"kill", "send a signal to a container", cmd_kill},
  {"list", "list containers", cmd_list},
  {"pause", "suspend every process of a container", cmd_pause},
  {"ps", "list the processes of a container", cmd_ps},
  {"restore", "restore a container from a CRIU checkpoint", cmd_restore},
  {"resume", "resume a paused container", cmd_resume},
  {"run", "create and start a container, wait for it unless --detach", cmd_run, true},
  {"sandbox", "run a command isolated as a CI job, with limits and a usage report", cmd_sandbox, true},
  {"spec", "write a default config.json for a new bundle", cmd_spec},
  {"start", "start the user program of a created container", cmd_start},
  {"storage", "list or prune the image layer store", cmd_storage},
  {"state", "print the state of a container as JSON", cmd_state},
  {"update", "change the cgroup limits of a running container", cmd_update},
  {NULL, NULL, NULL},
};
