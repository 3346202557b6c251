/* The runtime-spec "features" document (see spec.h). */
#include "spec/internal.h"

#include "util/util.h"

static void emit_enabled(struct jgen *w, const char *key, const struct spec_features_enabled *e)
{
  if (!e->present)
    return;
  jg_key(w, key);
  jg_open(w);
  jg_kbool(w, "enabled", e->enabled);
  jg_close(w);
}

static void emit_cgroup(struct jgen *w, const struct spec_features *f)
{
  if (!f->linux_.cgroup.present)
    return;
  jg_key(w, "cgroup");
  jg_open(w);
  jg_kbool(w, "v1", f->linux_.cgroup.v1);
  jg_kbool(w, "v2", f->linux_.cgroup.v2);
  jg_kbool(w, "systemd", f->linux_.cgroup.systemd);
  jg_kbool(w, "systemdUser", f->linux_.cgroup.systemd_user);
  jg_kbool(w, "rdma", f->linux_.cgroup.rdma);
  jg_close(w);
}

static void emit_seccomp(struct jgen *w, const struct spec_features *f)
{
  if (!f->linux_.seccomp.present)
    return;
  jg_key(w, "seccomp");
  jg_open(w);
  jg_kbool(w, "enabled", f->linux_.seccomp.enabled);
  jg_kstrv(w, "actions", f->linux_.seccomp.actions);
  jg_kstrv(w, "operators", f->linux_.seccomp.operators);
  jg_kstrv(w, "archs", f->linux_.seccomp.archs);
  jg_kstrv(w, "knownFlags", f->linux_.seccomp.known_flags);
  jg_kstrv(w, "supportedFlags", f->linux_.seccomp.supported_flags);
  jg_close(w);
}

static void emit_linux(struct jgen *w, const struct spec_features *f)
{
  jg_key(w, "linux");
  jg_open(w);
  jg_kstrv(w, "namespaces", f->linux_.namespaces);
  jg_kstrv(w, "capabilities", f->linux_.capabilities);
  emit_cgroup(w, f);
  emit_seccomp(w, f);
  emit_enabled(w, "apparmor", &f->linux_.apparmor);
  emit_enabled(w, "selinux", &f->linux_.selinux);
  emit_enabled(w, "intelRdt", &f->linux_.intel_rdt);
  if (f->linux_.idmap.present)
    {
      jg_key(w, "mountExtensions");
      jg_open(w);
      emit_enabled(w, "idmap", &f->linux_.idmap);
      jg_close(w);
    }
  jg_close(w);
}

int spec_features_emit(const struct spec_features *f, char **out, size_t *out_len, berth_error_t *err)
{
  if (!f->oci_version_min || !f->oci_version_max)
    return berth_fail(err, EINVAL, "emit features: ociVersionMin and ociVersionMax are required");
  struct jgen w;
  if (jgen_init(&w, "    ", err) < 0)
    return -1;
  jg_open(&w);
  jg_kstr(&w, "ociVersionMin", f->oci_version_min);
  jg_kstr(&w, "ociVersionMax", f->oci_version_max);
  jg_kstrv(&w, "hooks", f->hooks);
  jg_kstrv(&w, "mountOptions", f->mount_options);
  emit_linux(&w, f);
  if (f->n_annotations)
    {
      jg_key(&w, "annotations");
      jg_open(&w);
      for (size_t i = 0; i < f->n_annotations; i++)
        jg_kstr(&w, f->annotations[i].key, f->annotations[i].value ? f->annotations[i].value : "");
      jg_close(&w);
    }
  jg_kstrv(&w, "potentiallyUnsafeConfigAnnotations", f->potentially_unsafe_config_annotations);
  jg_close(&w);
  return jgen_finish(&w, "features", out, out_len, err);
}
