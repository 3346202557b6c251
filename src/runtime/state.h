/* The state store under --root: one directory per container holding
 *   state.json   the spec_state record (public fields + berth's private ones),
 *                written atomically (temp file + rename)
 *   config.json  a copy of the bundle config create used (delete and
 *                the hooks need it even when the bundle is gone)
 *   exec.fifo    exists between create and start; `start` opens it to
 *                release the container's init
 *   lock         flock()ed while a command works on the container
 *   init         symlink "PID:STARTTIME" made right after the clone, so that
 *                delete --force finds the init when state.json cannot be read
 * Nothing is ever created outside the root: ids are validated first. */
#ifndef BERTH_STATE_H
#define BERTH_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

#define BERTH_ID_MAX 1024

/* Default root: $XDG_RUNTIME_DIR/berth for a user or in rootless mode (an
 * empty one counts as unset), else /run/berth for root, else /run/user/<euid>/berth
 * when that directory is the caller's, else NULL (main then asks for
 * --root). Returns a malloc'ed path. The _for variant is the pure part. */
char *state_default_root(bool rootless);
char *state_default_root_for(bool rootless, uid_t euid, const char *xdg, bool run_user_exists);

/* Rejects "", ".", "..", anything with '/' or NUL or control characters,
 * and ids longer than BERTH_ID_MAX. */
int container_id_validate(const char *id, berth_error_t *err);

/* The id last accepted by container_id_validate() (container_open and
 * container_dir_create validate), or NULL: main names it in the error
 * line "berth: <command> <id>: <message>". */
const char *container_current_id(void);

struct container
{
  char *id;
  char *root;  /* the --root directory */
  char *dir;   /* root/id */
  int root_fd; /* O_PATH|O_DIRECTORY of root */
  int dir_fd;  /* O_DIRECTORY of the container's dir */
  int lock_fd; /* holds the flock */
};

/* Create root (0700, parents too) and the container's directory
 * exclusively: a second create of the same id fails with
 * "container \"ID\" already exists" (EEXIST). The directory is locked. */
int container_dir_create(const char *root, const char *id, struct container **out, berth_error_t *err);

/* The lock is a flock() on lock_fd's open file description: a process
 * forked or cloned while it is held (the container init) shares it until
 * it closes lock_fd or execs, so close it in the child right away or a
 * later `start` waits for the lock forever. */

/* Open an existing container and take its lock (exclusive or shared).
 * Missing: "container \"ID\" does not exist" (ENOENT). */
int container_open(const char *root, const char *id, bool exclusive, struct container **out,
                   berth_error_t *err);

/* Open an existing container without taking its lock, for readers
 * (state, list): state.json is replaced atomically, so a reader needs no
 * lock, and a hook that runs `berth state` while create or start hold the
 * lock cannot deadlock. Missing: as container_open(). */
int container_open_unlocked(const char *root, const char *id, struct container **out, berth_error_t *err);

/* The same below an already open root (root_fd stays the caller's, c->root_fd
 * is -1): `list` opens the root once for all its containers. */
int container_open_unlocked_in(int root_fd, const char *root, const char *id, struct container **out,
                               berth_error_t *err);

/* Remove the container's directory and everything in it, then free c. */
int container_dir_remove(struct container *c, berth_error_t *err);
void container_close(struct container *c);

int container_state_write(struct container *c, const struct spec_state *s, berth_error_t *err);
int container_state_read(struct container *c, struct spec_state **out, berth_error_t *err);

/* The init's pid and start time, recorded by create right after the
 * clone, before state.json has them: delete --force finds the init with it
 * when state.json cannot be read. */
int container_init_record_write(struct container *c, pid_t pid, uint64_t start_time, berth_error_t *err);
bool container_init_record_read(struct container *c, pid_t *pid, uint64_t *start_time);

/* Whether root/id is a directory (a container, maybe without a lock file:
 * a create or delete died before making it or after removing it). */
bool container_dir_exists(const char *root, const char *id);

/* The status of a container without a usable state.json: "creating" while
 * another process holds its lock (a create at work), else "unknown" (an
 * interrupted create or delete, a damaged state.json). */
const char *container_unreadable_status(struct container *c);
/* Wrap the error of a failed container_state_read with what it means:
 * being created, or unreadable and removable with delete --force. */
int container_state_unreadable(struct container *c, berth_error_t *err);

/* Status from the record and the live system: "creating" while
 * state.json has status creating and its creator holds the lock ("unknown"
 * once it died); "stopped" when the pid is gone or has a
 * different start time; "created" while exec.fifo exists; "paused" when
 * is_frozen says so; else "running". Returns a static string. */
typedef bool (*container_frozen_fn)(const struct spec_state *s);
const char *container_status(struct container *c, const struct spec_state *s, container_frozen_fn is_frozen);
/* A container_frozen_fn that asks the container's cgroup (false when
 * cgroups are disabled or the cgroup is gone). */
bool container_cgroup_frozen(const struct spec_state *s);

/* Turn the stored record into what `state` and `list` show: s->status
 * becomes container_status() (frozen check through the cgroup) and pid
 * is 0 once the container has stopped. */
void container_state_refresh(struct container *c, struct spec_state *s);

/* Ids of every container under root, sorted; a missing root is empty. */
int state_list_ids(const char *root, char ***ids, size_t *n, berth_error_t *err);

/* Remove name under parent_fd and, when it is a real directory,
 * everything below it; symlinks are removed, never followed. label names
 * parent_fd in errors. */
int state_remove_tree_at(int parent_fd, const char *name, const char *label, berth_error_t *err);

/* Field 22 of /proc/PID/stat; 0 if the process is gone. */
uint64_t process_start_time(pid_t pid);

/* RFC3339 UTC timestamp with nanoseconds, as runc's "created". */
char *rfc3339_now(void);

#endif
