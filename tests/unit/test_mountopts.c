/* mount option parsing table */
#include <sys/mount.h>

#include "storage/storage.h"
#include "tap.h"
#include "util/util.h"

struct ocase
{
  const char *opts[6];
  unsigned long flags, clear;
  enum storage_propagation prop;
  bool bind, rec;
  uint64_t rset, rclr;
  const char *data;
};

static const struct ocase cases[] = {
  { { NULL }, 0, 0, 0, false, false, 0, 0, NULL },
  { { "ro", "nosuid", "nodev", "noexec" }, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, 0,
    false, false, 0, 0, NULL },
  { { "ro", "rw" }, 0, MS_RDONLY, 0, false, false, 0, 0, NULL },
  { { "rw", "ro" }, MS_RDONLY, 0, 0, false, false, 0, 0, NULL },
  { { "suid", "dev", "exec", "async" }, 0, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS, 0,
    false, false, 0, 0, NULL },
  { { "sync", "dirsync", "remount", "mand" }, MS_SYNCHRONOUS | MS_DIRSYNC | MS_REMOUNT | MS_MANDLOCK,
    0, 0, false, false, 0, 0, NULL },
  { { "noatime", "relatime" }, MS_RELATIME, 0, 0, false, false, 0, 0, NULL },
  { { "strictatime", "nodiratime", "lazytime" }, MS_STRICTATIME | MS_NODIRATIME | MS_LAZYTIME, 0,
    0, false, false, 0, 0, NULL },
  { { "atime", "diratime", "norelatime", "nostrictatime", "nolazytime", "nomand" }, 0,
    MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME | MS_MANDLOCK, 0,
    false, false, 0, 0, NULL },
  { { "bind", "ro" }, MS_BIND | MS_RDONLY, 0, 0, true, false, 0, 0, NULL },
  { { "rbind", "rprivate" }, MS_BIND | MS_REC, 0, STORAGE_PROP_RPRIVATE, true, true, 0, 0, NULL },
  { { "shared", "slave" }, 0, 0, STORAGE_PROP_SLAVE, false, false, 0, 0, NULL },
  { { "runbindable" }, 0, 0, STORAGE_PROP_RUNBINDABLE, false, false, 0, 0, NULL },
  { { "rro", "rnosuid", "rnodev", "rnoexec" }, 0, 0, 0, false, false,
    MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0, NULL },
  { { "rro", "rrw", "rsuid" }, 0, 0, 0, false, false, 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID,
    NULL },
  { { "rnoatime" }, 0, 0, 0, false, false, MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME, NULL },
  { { "rnoatime", "ratime" }, 0, 0, 0, false, false, 0, MOUNT_ATTR__ATIME, NULL },
  { { "rstrictatime", "rnodiratime" }, 0, 0, 0, false, false,
    MOUNT_ATTR_STRICTATIME | MOUNT_ATTR_NODIRATIME, MOUNT_ATTR__ATIME, NULL },
  { { "mode=755", "size=65536k", "nosuid" }, MS_NOSUID, 0, 0, false, false, 0, 0,
    "mode=755,size=65536k" },
  { { "newinstance", "ptmxmode=0666", "gid=5" }, 0, 0, 0, false, false, 0, 0,
    "newinstance,ptmxmode=0666,gid=5" },
  { { "lowerdir=/a:/b", "upperdir=/u", "", "workdir=/w" }, 0, 0, 0, false, false, 0, 0,
    "lowerdir=/a:/b,upperdir=/u,workdir=/w" },
};

int main(void)
{
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
    {
      const struct ocase *c = &cases[i];
      struct storage_mount_opts o;
      berth_error_t err = NULL;
      int r = storage_mount_opts_parse((char *const *) c->opts, &o, &err);
      is_int(r, 0, "case %zu parses", i);
      if (r < 0)
        {
          berth_error_free(&err);
          continue;
        }
      is_int(o.flags, c->flags, "case %zu (%s...) flags", i, c->opts[0] ? c->opts[0] : "none");
      is_int(o.clear_flags, c->clear, "case %zu clear flags", i);
      is_int(o.propagation, c->prop, "case %zu propagation", i);
      ok(o.bind == c->bind && o.recursive == c->rec, "case %zu bind/rbind", i);
      is_int(o.rec_attr_set, c->rset, "case %zu recursive attr set", i);
      is_int(o.rec_attr_clr, c->rclr, "case %zu recursive attr clear", i);
      is_str(o.data, c->data, "case %zu data", i);
      storage_mount_opts_free(&o);
    }

  static const char *bad[][2] = { { "a,b", "','" } };
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    {
      const char *opts[] = { "ro", bad[i][0], NULL };
      struct storage_mount_opts o;
      berth_error_t err = NULL;
      int r = storage_mount_opts_parse((char *const *) opts, &o, &err);
      is_err(r, err, bad[i][0], "%s is refused, naming the option", bad[i][0]);
      is_err(r, err, bad[i][1], "%s: message says why", bad[i][0]);
      berth_error_free(&err);
    }

  struct storage_mount_opts o;
  berth_error_t err = NULL;
  const char *tc[] = { "tmpcopyup", NULL };
  ok(storage_mount_opts_parse((char *const *) tc, &o, &err) == 0 && o.tmpcopyup && !o.data,
     "tmpcopyup is recognised, not passed as data");
  storage_mount_opts_free(&o);

  const char *im[] = { "rbind", "idmap", NULL };
  ok(storage_mount_opts_parse((char *const *) im, &o, &err) == 0 && o.idmap && !o.idmap_recursive
         && o.recursive && !o.data,
     "idmap: an id-mapped bind, not recursively");
  storage_mount_opts_free(&o);
  const char *rim[] = { "ridmap", NULL };
  ok(storage_mount_opts_parse((char *const *) rim, &o, &err) == 0 && o.idmap && o.idmap_recursive
         && !o.data,
     "ridmap: id-mapped recursively");
  storage_mount_opts_free(&o);

  static const struct
  {
    const char *s;
    unsigned long flags;
  } props[] = {
    { "private", MS_PRIVATE },   { "rprivate", MS_PRIVATE | MS_REC },
    { "shared", MS_SHARED },     { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },       { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  for (size_t i = 0; i < ARRAY_SIZE(props); i++)
    {
      enum storage_propagation p;
      ok(storage_propagation_parse(props[i].s, &p) == 0 && storage_propagation_flags(p) == props[i].flags,
         "propagation %s", props[i].s);
    }
  enum storage_propagation p = STORAGE_PROP_SHARED;
  ok(storage_propagation_parse(NULL, &p) == 0 && p == STORAGE_PROP_NONE, "no propagation");
  ok(storage_propagation_parse("ro", &p) < 0, "ro is not a propagation");
  ok(storage_propagation_parse("bogus", &p) < 0, "unknown propagation refused");
  return tap_done();
}
