/* The state JSON: what `state` prints, what hooks read on stdin, and (with
 * the private "berth" object) the state store's state.json. */
#include "spec/internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void spec_state_free(struct spec_state *s)
{
  if (!s)
    return;
  free(s->oci_version);
  free(s->id);
  free(s->status);
  free(s->bundle);
  free(s->rootfs);
  free(s->created);
  free(s->owner);
  spec_kv_free(s->annotations, s->n_annotations);
  free(s->cgroup_path);
  free(s->cgroup_manager);
  free(s);
}

/* ------------------------------------------------------------ emit */

static void emit_private(struct jgen *w, const struct spec_state *s)
{
  jg_key(w, "berth");
  jg_open(w);
  jg_kuint(w, "initStartTime", s->init_start_time);
  jg_kstr(w, "cgroupPath", s->cgroup_path);
  jg_kstr(w, "cgroupManager", s->cgroup_manager);
  jg_kbool(w, "detached", s->detached);
  jg_close(w);
}

/* Field order and presence follow runc's `state`: pid is always there
 * (0 once stopped), rootfs/created/owner only when known, annotations
 * only when there are some. */
static void emit_state_object(struct jgen *w, const struct spec_state *s, unsigned flags)
{
  jg_open(w);
  jg_kstr(w, "ociVersion", s->oci_version ? s->oci_version : BERTH_OCI_VERSION);
  jg_kstr(w, "id", s->id ? s->id : "");
  jg_kint(w, "pid", s->pid);
  jg_kstr(w, "status", s->status ? s->status : "");
  jg_kstr(w, "bundle", s->bundle ? s->bundle : "");
  jg_kstr(w, "rootfs", s->rootfs);
  jg_kstr(w, "created", s->created);
  jg_kstr(w, "owner", s->owner);
  if (s->n_annotations)
    jg_kkv(w, "annotations", s->annotations, s->n_annotations);
  if (flags & SPEC_STATE_PRIVATE)
    emit_private(w, s);
  jg_close(w);
}

int spec_state_emit(const struct spec_state *s, unsigned flags, char **out, size_t *out_len,
                    berth_error_t *err)
{
  struct jgen w;
  if (jgen_init(&w, (flags & SPEC_STATE_PRETTY) ? "  " : NULL, err) < 0)
    return -1;
  emit_state_object(&w, s, flags);
  return jgen_finish(&w, "state", out, out_len, err);
}

int spec_process_state_emit(const struct spec_state *s, int pid, const char *const *fds,
                            const char *metadata, char **out, size_t *out_len, berth_error_t *err)
{
  struct jgen w;
  if (jgen_init(&w, NULL, err) < 0)
    return -1;
  jg_open(&w);
  jg_kstr(&w, "ociVersion", BERTH_OCI_VERSION);
  jg_kstrv(&w, "fds", fds);
  jg_kint(&w, "pid", pid);
  jg_kstr(&w, "metadata", metadata);
  jg_key(&w, "state");
  emit_state_object(&w, s, 0);
  jg_close(&w);
  return jgen_finish(&w, "container process state", out, out_len, err);
}

/* ------------------------------------------------------------ parse */

static const char *const statuses[] = { "creating", "created", "running", "stopped", "paused" };

static int parse_private(struct jctx *c, const struct jnode *obj, const struct jpath *p, struct spec_state *s)
{
  const struct jnode *n = jget(obj, "berth");
  if (!n)
    return 0;
  p = JP_KEY(p, "berth");
  if (jexpect(c, n, p, JSON_OBJECT) < 0
      || jf_u64(c, n, p, "initStartTime", UINT64_MAX, &s->init_start_time) < 0
      || jf_str(c, n, p, "cgroupPath", &s->cgroup_path) < 0
      || jf_str(c, n, p, "cgroupManager", &s->cgroup_manager) < 0
      || jf_bool(c, n, p, "detached", &s->detached) < 0)
    return -1;
  return 0;
}

static int parse_state(struct jctx *c, const struct jnode *n, struct spec_state *s)
{
  int64_t pid = 0;
  if (jexpect(c, n, NULL, JSON_OBJECT) < 0 || jrequire(c, n, NULL, "ociVersion") < 0
      || jrequire(c, n, NULL, "id") < 0 || jrequire(c, n, NULL, "status") < 0
      || jf_str(c, n, NULL, "ociVersion", &s->oci_version) < 0 || jf_str(c, n, NULL, "id", &s->id) < 0
      || jf_str(c, n, NULL, "status", &s->status) < 0
      || spec_check_enum(c, JP_KEY(NULL, "status"), "status", s->status, statuses, ARRAY_SIZE(statuses)) < 0
      || jf_i64(c, n, NULL, "pid", 0, INT_MAX, &pid) < 0 || jf_str(c, n, NULL, "bundle", &s->bundle) < 0
      || jf_str(c, n, NULL, "rootfs", &s->rootfs) < 0 || jf_str(c, n, NULL, "created", &s->created) < 0
      || jf_str(c, n, NULL, "owner", &s->owner) < 0
      || jf_kv(c, n, NULL, "annotations", &s->annotations, &s->n_annotations) < 0
      || parse_private(c, n, NULL, s) < 0)
    return -1;
  s->pid = (pid_t) pid;
  return 0;
}

static void state_freep(struct spec_state **s)
{
  spec_state_free(*s);
}

int spec_state_parse(const char *json, size_t len, const char *label, struct spec_state **out,
                     berth_error_t *err)
{
  _cleanup_(json_freep) struct jnode *root = NULL;
  if (json_parse(json, len, label, &root, err) < 0)
    return -1;
  struct jctx c = { label, err };
  _cleanup_(state_freep) struct spec_state *s = xcalloc(1, sizeof *s);
  if (parse_state(&c, root, s) < 0)
    return -1;
  *out = steal_pointer(&s);
  return 0;
}
