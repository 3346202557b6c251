/* berth list: the containers under --root, as a table (like runc's),
 * ids only (-q) or a JSON array (--format json; `[]` when there are none,
 * where runc prints `null`). */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/cli.h"
#include "runtime/state.h"
#include "spec/spec.h"
#include "util/log.h"
#include "util/util.h"

#define LIST_MIN_WIDTH 12 /* like Go's tabwriter with minwidth 12, padding 1 */

struct listed
{
  struct spec_state **v;
  size_t n;
};

static void listed_free(struct listed *l)
{
  for (size_t i = 0; i < l->n; i++)
    spec_state_free(l->v[i]);
  free(l->v);
}

static void container_closep(struct container **c)
{
  container_close(*c);
}

/* runc shows the owner of the container's state directory. The last uid's
 * name is kept: with many containers there is usually one owner, and a
 * passwd lookup per container was a third of `list`'s syscalls. */
static char *dir_owner(struct container *c)
{
  static uid_t cached_uid = (uid_t) -1;
  static char *cached_name;
  struct stat st;
  if (fstat(c->dir_fd, &st) < 0)
    return xstrdup("");
  if (cached_name == NULL || cached_uid != st.st_uid)
    {
      struct passwd pw, *res = NULL;
      char buf[4096];
      free(cached_name);
      if (getpwuid_r(st.st_uid, &pw, buf, sizeof buf, &res) == 0 && res)
        cached_name = xstrdup(res->pw_name);
      else
        cached_name = xasprintf("#%u", (unsigned) st.st_uid);
      cached_uid = st.st_uid;
    }
  return xstrdup(cached_name);
}

/* A container directory without a readable state.json is listed too, as
 * "creating" (its creator is at work) or "unknown" (an interrupted create
 * or delete: delete --force removes it), never hidden. */
static struct spec_state *unreadable_entry(struct container *c, const berth_error_t state_err)
{
  const char *status = container_unreadable_status(c);
  if (str_eq(status, "unknown") && state_err->errnum != ENOENT)
    berth_log_warning("list: %s: %s", c->id, berth_error_msg(state_err));
  struct spec_state *s = xcalloc(1, sizeof *s);
  s->oci_version = xstrdup("");
  s->id = xstrdup(c->id);
  s->status = xstrdup(status);
  s->bundle = xstrdup("");
  s->created = xstrdup("");
  s->owner = dir_owner(c);
  return s;
}

/* One container's record with its live status; NULL when it vanished or
 * its directory cannot be opened (then a warning, the rest is still
 * listed). */
static struct spec_state *load_one(int root_fd, const char *root, const char *id)
{
  _cleanup_error_ berth_error_t err = NULL;
  _cleanup_(container_closep) struct container *c = NULL;
  struct spec_state *s = NULL;
  if (container_open_unlocked_in(root_fd, root, id, &c, &err) < 0)
    {
      if (err->errnum != ENOENT)
        berth_log_warning("list: skipping %s: %s", id, berth_error_msg(err));
      return NULL;
    }
  if (container_state_read(c, &s, &err) < 0)
    return unreadable_entry(c, err);
  container_state_refresh(c, s);
  if (s->owner == NULL || *s->owner == '\0')
    {
      free(s->owner);
      s->owner = dir_owner(c);
    }
  return s;
}

static int load_all(const char *root, struct listed *out, berth_error_t *err)
{
  _cleanup_strv_ char **ids = NULL;
  size_t n = 0;
  if (state_list_ids(root, &ids, &n, err) < 0)
    return -1;
  out->v = xcalloc(n + 1, sizeof *out->v);
  out->n = 0;
  if (n == 0)
    return 0;
  _cleanup_close_ int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    return errno == ENOENT ? 0 : berth_fail_sys(err, "open state root %s", root);
  for (size_t i = 0; i < n; i++)
    {
      struct spec_state *s = load_one(root_fd, root, ids[i]);
      if (s)
        out->v[out->n++] = s;
    }
  return 0;
}

/* -q needs no state: every container directory is listed, whatever its state */
static int print_ids(const char *root, berth_error_t *err)
{
  _cleanup_strv_ char **ids = NULL;
  size_t n = 0;
  if (state_list_ids(root, &ids, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    printf("%s\n", ids[i]);
  return 0;
}

static const char *or_empty(const char *s)
{
  return s ? s : "";
}

static void print_table(const struct listed *l)
{
  const char *head[] = {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"};
  size_t w[6];
  for (size_t k = 0; k < 6; k++)
    w[k] = strlen(head[k]);
  _cleanup_free_ char **pids = xcalloc(l->n + 1, sizeof *pids);
  for (size_t i = 0; i < l->n; i++)
    {
      const struct spec_state *s = l->v[i];
      pids[i] = xasprintf("%d", (int) s->pid);
      const char *cells[] = {s->id, pids[i], s->status, s->bundle, s->created, s->owner};
      for (size_t k = 0; k < 6; k++)
        if (strlen(or_empty(cells[k])) > w[k])
          w[k] = strlen(or_empty(cells[k]));
    }
  for (size_t k = 0; k < 6; k++)
    w[k] = w[k] + 1 < LIST_MIN_WIDTH ? LIST_MIN_WIDTH : w[k] + 1;

  printf("%-*s%-*s%-*s%-*s%-*s%s\n", (int) w[0], head[0], (int) w[1], head[1], (int) w[2], head[2],
         (int) w[3], head[3], (int) w[4], head[4], head[5]);
  for (size_t i = 0; i < l->n; i++)
    {
      const struct spec_state *s = l->v[i];
      printf("%-*s%-*s%-*s%-*s%-*s%s\n", (int) w[0], s->id, (int) w[1], pids[i], (int) w[2],
             or_empty(s->status), (int) w[3], or_empty(s->bundle), (int) w[4], or_empty(s->created),
             or_empty(s->owner));
      free(pids[i]);
    }
}

static int print_json(const struct listed *l, berth_error_t *err)
{
  fputc('[', stdout);
  for (size_t i = 0; i < l->n; i++)
    {
      _cleanup_free_ char *json = NULL;
      size_t len = 0;
      if (spec_state_emit(l->v[i], 0, &json, &len, err) < 0)
        return berth_wrap(err, "container \"%s\"", l->v[i]->id);
      while (len > 0 && (json[len - 1] == '\n' || json[len - 1] == ' '))
        len--;
      if (i > 0)
        fputc(',', stdout);
      fwrite(json, 1, len, stdout);
    }
  fputs("]\n", stdout);
  return 0;
}

int cmd_list(const struct global_opts *g, int argc, char **argv, berth_error_t *err)
{
  bool quiet = false;
  const char *format = "table";
  const struct cli_option opts[] = {
    {"quiet", 'q', CLI_BOOL, &quiet, NULL, "print only the container ids"},
    {"format", 'f', CLI_STRING, &format, "table|json", "output format (default table)"},
    {NULL, 0, 0, NULL, NULL, NULL},
  };
  static const struct cli_usage usage = {
    "list", "[-q] [-f table|json]",
    "List the containers in the state root (--root) with their live status.\n"
    "With --format json the output is one JSON array ([] when there are none).",
    0, 0, NULL, false,
  };
  _cleanup_free_ char **pos = NULL;
  int npos;
  int parsed = cli_parse_command(&usage, opts, argc, argv, &pos, &npos, err);
  if (parsed <= 0)
    return parsed;
  if (!str_eq(format, "table") && !str_eq(format, "json"))
    return berth_fail(err, 0, "invalid --format \"%s\": expected table or json", format);

  if (quiet)
    return print_ids(g->root, err);
  _cleanup_(listed_free) struct listed l = {0};
  if (load_all(g->root, &l, err) < 0)
    return -1;
  if (str_eq(format, "json"))
    return print_json(&l, err);
  print_table(&l);
  return 0;
}
