/* Mount option parsing (pure): the runtime-spec/runc option words to
 * MS_* flags, propagation, recursive MOUNT_ATTR_* and the data string. */
#include "storage/storage.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "util/util.h"

enum opt_kind
{
  OPT_SET,   /* set `flag` */
  OPT_CLEAR, /* clear `flag` */
  OPT_PROP,
  OPT_REC_SET,
  OPT_REC_CLEAR,
};

struct opt_entry
{
  const char *name;
  enum opt_kind kind;
  unsigned long flag; /* MS_* or MOUNT_ATTR_* */
  enum storage_propagation prop;
};

static const struct opt_entry opt_table[] = {
  { "ro", OPT_SET, MS_RDONLY, 0 },
  { "rw", OPT_CLEAR, MS_RDONLY, 0 },
  { "nosuid", OPT_SET, MS_NOSUID, 0 },
  { "suid", OPT_CLEAR, MS_NOSUID, 0 },
  { "nodev", OPT_SET, MS_NODEV, 0 },
  { "dev", OPT_CLEAR, MS_NODEV, 0 },
  { "noexec", OPT_SET, MS_NOEXEC, 0 },
  { "exec", OPT_CLEAR, MS_NOEXEC, 0 },
  { "sync", OPT_SET, MS_SYNCHRONOUS, 0 },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS, 0 },
  { "dirsync", OPT_SET, MS_DIRSYNC, 0 },
  { "remount", OPT_SET, MS_REMOUNT, 0 },
  { "mand", OPT_SET, MS_MANDLOCK, 0 },
  { "nomand", OPT_CLEAR, MS_MANDLOCK, 0 },
  { "atime", OPT_CLEAR, MS_NOATIME, 0 },
  { "noatime", OPT_SET, MS_NOATIME, 0 },
  { "diratime", OPT_CLEAR, MS_NODIRATIME, 0 },
  { "nodiratime", OPT_SET, MS_NODIRATIME, 0 },
  { "relatime", OPT_SET, MS_RELATIME, 0 },
  { "norelatime", OPT_CLEAR, MS_RELATIME, 0 },
  { "strictatime", OPT_SET, MS_STRICTATIME, 0 },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME, 0 },
  { "lazytime", OPT_SET, MS_LAZYTIME, 0 },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME, 0 },
  { "silent", OPT_SET, MS_SILENT, 0 },
  { "loud", OPT_CLEAR, MS_SILENT, 0 },
  { "bind", OPT_SET, MS_BIND, 0 },
  { "rbind", OPT_SET, MS_BIND | MS_REC, 0 },
  { "private", OPT_PROP, 0, STORAGE_PROP_PRIVATE },
  { "rprivate", OPT_PROP, 0, STORAGE_PROP_RPRIVATE },
  { "shared", OPT_PROP, 0, STORAGE_PROP_SHARED },
  { "rshared", OPT_PROP, 0, STORAGE_PROP_RSHARED },
  { "slave", OPT_PROP, 0, STORAGE_PROP_SLAVE },
  { "rslave", OPT_PROP, 0, STORAGE_PROP_RSLAVE },
  { "unbindable", OPT_PROP, 0, STORAGE_PROP_UNBINDABLE },
  { "runbindable", OPT_PROP, 0, STORAGE_PROP_RUNBINDABLE },
  { "rro", OPT_REC_SET, MOUNT_ATTR_RDONLY, 0 },
  { "rrw", OPT_REC_CLEAR, MOUNT_ATTR_RDONLY, 0 },
  { "rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID, 0 },
  { "rsuid", OPT_REC_CLEAR, MOUNT_ATTR_NOSUID, 0 },
  { "rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV, 0 },
  { "rdev", OPT_REC_CLEAR, MOUNT_ATTR_NODEV, 0 },
  { "rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC, 0 },
  { "rexec", OPT_REC_CLEAR, MOUNT_ATTR_NOEXEC, 0 },
  { "rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME, 0 },
  { "rdiratime", OPT_REC_CLEAR, MOUNT_ATTR_NODIRATIME, 0 },
  /* the atime mode is one field: setting one clears MOUNT_ATTR__ATIME first */
  { "rrelatime", OPT_REC_SET, MOUNT_ATTR_RELATIME, 0 },
  { "rnorelatime", OPT_REC_CLEAR, MOUNT_ATTR_RELATIME, 0 },
  { "rnoatime", OPT_REC_SET, MOUNT_ATTR_NOATIME, 0 },
  { "ratime", OPT_REC_CLEAR, MOUNT_ATTR_NOATIME, 0 },
  { "rstrictatime", OPT_REC_SET, MOUNT_ATTR_STRICTATIME, 0 },
  { "rnostrictatime", OPT_REC_CLEAR, MOUNT_ATTR_STRICTATIME, 0 },
};

static const struct opt_entry *opt_lookup(const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE(opt_table); i++)
    if (str_eq(opt_table[i].name, name))
      return &opt_table[i];
  return NULL;
}

static bool is_atime_attr(uint64_t a)
{
  return a == MOUNT_ATTR_RELATIME || a == MOUNT_ATTR_NOATIME || a == MOUNT_ATTR_STRICTATIME;
}

static void apply_entry(const struct opt_entry *e, struct storage_mount_opts *o)
{
  switch (e->kind)
    {
    case OPT_SET:
      /* the atime modes exclude each other; the last one wins */
      if (e->flag & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME))
        o->flags &= ~(unsigned long) (MS_NOATIME | MS_RELATIME | MS_STRICTATIME);
      o->flags |= e->flag;
      o->clear_flags &= ~e->flag;
      if (e->flag & MS_BIND)
        {
          o->bind = true;
          o->recursive = o->recursive || (e->flag & MS_REC);
        }
      break;
    case OPT_CLEAR:
      o->flags &= ~e->flag;
      o->clear_flags |= e->flag;
      break;
    case OPT_PROP:
      o->propagation = e->prop;
      break;
    case OPT_REC_SET:
      if (is_atime_attr(e->flag))
        {
          o->rec_attr_clr |= MOUNT_ATTR__ATIME;
          o->rec_attr_set &= ~(uint64_t) MOUNT_ATTR__ATIME;
        }
      else
        o->rec_attr_clr &= ~e->flag;
      o->rec_attr_set |= e->flag;
      break;
    case OPT_REC_CLEAR:
      if (is_atime_attr(e->flag))
        {
          /* back to the default mode (relatime) for the whole field */
          o->rec_attr_set &= ~(uint64_t) MOUNT_ATTR__ATIME;
          o->rec_attr_clr |= MOUNT_ATTR__ATIME;
        }
      else
        {
          o->rec_attr_clr |= e->flag;
          o->rec_attr_set &= ~e->flag;
        }
      break;
    }
}

static void data_append(char **data, const char *opt)
{
  char *next = *data ? xasprintf("%s,%s", *data, opt) : xstrdup(opt);
  free(*data);
  *data = next;
}

int storage_mount_opts_parse(char *const *options, struct storage_mount_opts *out,
                             berth_error_t *err)
{
  struct storage_mount_opts o = { 0 };
  for (size_t i = 0; options && options[i]; i++)
    {
      const char *opt = options[i];
      if (*opt == '\0')
        continue;
      const struct opt_entry *e = opt_lookup(opt);
      if (e)
        apply_entry(e, &o);
      else if (str_eq(opt, "tmpcopyup"))
        o.tmpcopyup = true;
      else if (str_eq(opt, "idmap"))
        o.idmap = true;
      else if (str_eq(opt, "ridmap"))
        o.idmap = o.idmap_recursive = true;
      else if (strchr(opt, ','))
        {
          free(o.data);
          return berth_fail(err, EINVAL, "mount option \"%s\": must not contain ','", opt);
        }
      else
        data_append(&o.data, opt);
    }
  *out = o;
  return 0;
}

void storage_mount_opts_free(struct storage_mount_opts *o)
{
  free(o->data);
  o->data = NULL;
}

unsigned long storage_propagation_flags(enum storage_propagation p)
{
  switch (p)
    {
    case STORAGE_PROP_PRIVATE:
      return MS_PRIVATE;
    case STORAGE_PROP_RPRIVATE:
      return MS_PRIVATE | MS_REC;
    case STORAGE_PROP_SHARED:
      return MS_SHARED;
    case STORAGE_PROP_RSHARED:
      return MS_SHARED | MS_REC;
    case STORAGE_PROP_SLAVE:
      return MS_SLAVE;
    case STORAGE_PROP_RSLAVE:
      return MS_SLAVE | MS_REC;
    case STORAGE_PROP_UNBINDABLE:
      return MS_UNBINDABLE;
    case STORAGE_PROP_RUNBINDABLE:
      return MS_UNBINDABLE | MS_REC;
    case STORAGE_PROP_NONE:
      break;
    }
  return 0;
}

int storage_propagation_parse(const char *s, enum storage_propagation *out)
{
  if (!s || !*s)
    {
      *out = STORAGE_PROP_NONE;
      return 0;
    }
  const struct opt_entry *e = opt_lookup(s);
  if (!e || e->kind != OPT_PROP)
    return -1;
  *out = e->prop;
  return 0;
}
