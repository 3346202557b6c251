/* The systemd cgroup driver: a container's cgroup is a transient scope
 * (or slice) that systemd makes, with Delegate=yes; berth then writes the
 * rest of linux.resources into it with the cgroupfs writers, and pause,
 * kill --all, ps, events and stats work on the cgroupfs as with the
 * cgroupfs driver. systemd is asked over sd-bus (its private socket as
 * root, no dbus-daemon needed; else the system bus). libsystemd is opened
 * with dlopen on first use: linking it would load about ten more shared
 * objects at every exec of berth, for every driver. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/systemd.h"
#include "util/util.h"

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-bus.h>
#endif

#define SYSTEMD_PRIVATE_SOCKET "/run/systemd/private"
#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* how long a start or stop job may take */
#define SD_JOB_TIMEOUT_US (30ULL * 1000000ULL)

static int systemd_running(berth_error_t *err)
{
  struct stat st;
  if (stat("/run/systemd/system", &st) < 0 || !S_ISDIR(st.st_mode))
    return berth_fail(err, ENOTSUP,
                      "the systemd cgroup manager (--systemd-cgroup, --cgroup-manager systemd) needs "
                      "systemd, and systemd is not running on this host (no /run/systemd/system): use "
                      "--cgroup-manager cgroupfs");
  return 0;
}

#ifndef HAVE_LIBSYSTEMD

int cgroup_systemd_available(berth_error_t *err)
{
  if (systemd_running(err) < 0)
    return -1;
  return berth_fail(err, ENOTSUP,
                    "the systemd cgroup manager needs libsystemd, and this berth was built without it "
                    "(install libsystemd-dev and rebuild): use --cgroup-manager cgroupfs");
}

int cgroup_systemd_start(const struct cgroup_systemd_unit *u, pid_t pid, const struct sd_props *props,
                         const char *what, berth_error_t *err)
{
  return cgroup_systemd_available(err);
}

int cgroup_systemd_set(const char *unit, const struct sd_props *props, berth_error_t *err)
{
  return cgroup_systemd_available(err);
}

int cgroup_systemd_stop(const char *unit, berth_error_t *err)
{
  return cgroup_systemd_available(err);
}

#else

/* the libsystemd functions berth calls, resolved by dlsym */
static struct
{
  typeof(sd_bus_new) *bus_new;
  typeof(sd_bus_set_address) *set_address;
  typeof(sd_bus_start) *start;
  typeof(sd_bus_open_system) *open_system;
  typeof(sd_bus_flush_close_unref) *close_unref;
  typeof(sd_bus_message_new_method_call) *new_method_call;
  typeof(sd_bus_message_append) *append;
  typeof(sd_bus_message_append_array) *append_array;
  typeof(sd_bus_message_open_container) *open_container;
  typeof(sd_bus_message_close_container) *close_container;
  typeof(sd_bus_message_read) *read;
  typeof(sd_bus_message_unref) *message_unref;
  typeof(sd_bus_call) *call;
  typeof(sd_bus_error_free) *error_free;
  typeof(sd_bus_error_has_name) *error_has_name;
  typeof(sd_bus_match_signal) *match_signal;
  typeof(sd_bus_slot_unref) *slot_unref;
  typeof(sd_bus_process) *process;
  typeof(sd_bus_wait) *wait;
} sd;
static bool sd_loaded;

static int load_libsystemd(berth_error_t *err)
{
  if (sd_loaded)
    return 0;
  void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return berth_fail(err, ENOTSUP, "the systemd cgroup manager needs libsystemd: %s", dlerror());
#define SYM(field, name)                                                                          \
  if ((*(void **) &sd.field = dlsym(h, name)) == NULL)                                           \
    return berth_fail(err, ENOTSUP, "libsystemd.so.0 lacks %s (too old?)", name);
  SYM(bus_new, "sd_bus_new");
  SYM(set_address, "sd_bus_set_address");
  SYM(start, "sd_bus_start");
  SYM(open_system, "sd_bus_open_system");
  SYM(close_unref, "sd_bus_flush_close_unref");
  SYM(new_method_call, "sd_bus_message_new_method_call");
  SYM(append, "sd_bus_message_append");
  SYM(append_array, "sd_bus_message_append_array");
  SYM(open_container, "sd_bus_message_open_container");
  SYM(close_container, "sd_bus_message_close_container");
  SYM(read, "sd_bus_message_read");
  SYM(message_unref, "sd_bus_message_unref");
  SYM(call, "sd_bus_call");
  SYM(error_free, "sd_bus_error_free");
  SYM(error_has_name, "sd_bus_error_has_name");
  SYM(match_signal, "sd_bus_match_signal");
  SYM(slot_unref, "sd_bus_slot_unref");
  SYM(process, "sd_bus_process");
  SYM(wait, "sd_bus_wait");
#undef SYM
  sd_loaded = true;
  return 0;
}

int cgroup_systemd_available(berth_error_t *err)
{
  if (systemd_running(err) < 0 || load_libsystemd(err) < 0)
    return -1;
  return 0;
}

static void bus_closep(sd_bus **b)
{
  if (*b)
    sd.close_unref(*b);
}
static void msg_unrefp(sd_bus_message **m)
{
  if (*m)
    sd.message_unref(*m);
}
static void slot_unrefp(sd_bus_slot **s)
{
  if (*s)
    sd.slot_unref(*s);
}
static void bus_error_freep(sd_bus_error *e)
{
  sd.error_free(e);
}
#define _cleanup_bus_ _cleanup_(bus_closep)
#define _cleanup_msg_ _cleanup_(msg_unrefp)
#define _cleanup_slot_ _cleanup_(slot_unrefp)
#define _cleanup_bus_error_ _cleanup_(bus_error_freep)

/* -r from sd-bus into berth's error */
static int bus_fail(berth_error_t *err, int r, const sd_bus_error *e, const char *what)
{
  if (e && e->name)
    return berth_fail(err, -r, "%s: %s (%s)", what, e->message ? e->message : "failed", e->name);
  return berth_fail(err, -r, "%s: %s", what, strerror(-r));
}

/* On the system bus systemd sends JobRemoved to subscribers (and to the
 * job's requester); on its private socket to everyone. Best effort. */
static void subscribe(sd_bus *bus)
{
  _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
  _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
  if (sd.new_method_call(bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe") >= 0)
    (void) sd.call(bus, m, SD_JOB_TIMEOUT_US, &e, &reply);
}

/* As root the private socket: no dbus-daemon in the way (and none needed). */
static int bus_connect(sd_bus **out, berth_error_t *err)
{
  if (cgroup_systemd_available(err) < 0)
    return -1;
  _cleanup_bus_ sd_bus *bus = NULL;
  int r;
  if (geteuid() == 0 && access(SYSTEMD_PRIVATE_SOCKET, F_OK) == 0)
    {
      if ((r = sd.bus_new(&bus)) < 0 || (r = sd.set_address(bus, "unix:path=" SYSTEMD_PRIVATE_SOCKET)) < 0
          || (r = sd.start(bus)) < 0)
        return bus_fail(err, r, NULL, "connect to systemd at " SYSTEMD_PRIVATE_SOCKET);
    }
  else
    {
      if ((r = sd.open_system(&bus)) < 0)
        return bus_fail(err, r, NULL, "connect to the D-Bus system bus");
      subscribe(bus);
    }
  *out = steal_pointer(&bus);
  return 0;
}

static int append_prop(sd_bus_message *m, const struct sd_prop *p)
{
  static const char *const sig[] = {
    [SD_PROP_U64] = "t", [SD_PROP_BOOL] = "b", [SD_PROP_STR] = "s",
    [SD_PROP_BYTES] = "ay", [SD_PROP_DEVICES] = "a(ss)", [SD_PROP_U32S] = "au",
  };
  int r;
  if ((r = sd.open_container(m, 'r', "sv")) < 0 || (r = sd.append(m, "s", p->name)) < 0
      || (r = sd.open_container(m, 'v', sig[p->type])) < 0)
    return r;
  switch (p->type)
    {
    case SD_PROP_U64:
      r = sd.append(m, "t", p->u64);
      break;
    case SD_PROP_BOOL:
      r = sd.append(m, "b", (int) p->b);
      break;
    case SD_PROP_STR:
      r = sd.append(m, "s", p->s);
      break;
    case SD_PROP_BYTES:
      r = sd.append_array(m, 'y', p->bytes, p->n_bytes);
      break;
    case SD_PROP_U32S:
      r = sd.append_array(m, 'u', p->u32s, p->n_u32s * sizeof(uint32_t));
      break;
    case SD_PROP_DEVICES:
      r = sd.open_container(m, 'a', "(ss)");
      for (size_t i = 0; r >= 0 && i < p->n_devs; i++)
        r = sd.append(m, "(ss)", p->devs[i].path, p->devs[i].access);
      if (r >= 0)
        r = sd.close_container(m);
      break;
    }
  if (r < 0 || (r = sd.close_container(m)) < 0)
    return r;
  return sd.close_container(m);
}

static int append_props(sd_bus_message *m, const struct sd_props *props)
{
  int r = sd.open_container(m, 'a', "(sv)");
  for (size_t i = 0; r >= 0 && i < props->n; i++)
    r = append_prop(m, &props->v[i]);
  return r < 0 ? r : sd.close_container(m);
}

struct job_wait
{
  char *job;    /* the job's object path, once the call returned it */
  char *result; /* "done", "failed", "canceled", ... once it is removed */
};

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  struct job_wait *w = userdata;
  uint32_t id;
  const char *path, *unit, *result;
  if (sd.read(m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->job && str_eq(path, w->job) && w->result == NULL)
    w->result = xstrdup(result);
  return 0;
}

static long long now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Process the bus until w's job is removed (JobRemoved) or the timeout. */
static int wait_job(sd_bus *bus, struct job_wait *w, const char *what, berth_error_t *err)
{
  long long deadline = now_us() + (long long) SD_JOB_TIMEOUT_US;
  while (w->result == NULL)
    {
      int r = sd.process(bus, NULL);
      if (r < 0)
        return bus_fail(err, r, NULL, what);
      if (r > 0)
        continue;
      long long left = deadline - now_us();
      if (left <= 0)
        return berth_fail(err, ETIMEDOUT, "%s: systemd's job %s did not finish in %llu s", what, w->job,
                          SD_JOB_TIMEOUT_US / 1000000);
      r = sd.wait(bus, (uint64_t) left);
      if (r < 0)
        return bus_fail(err, r, NULL, what);
    }
  if (!str_eq(w->result, "done"))
    return berth_fail(err, EIO, "%s: systemd's job ended \"%s\"", what, w->result);
  return 0;
}

/* Call a Manager method that returns a job, and wait for the job. The match
 * is added before the call: the signal may arrive before the reply. When
 * the call itself fails, e says why (err too). */
static int call_job(sd_bus *bus, sd_bus_message *m, const char *what, sd_bus_error *e, berth_error_t *err)
{
  struct job_wait w = { 0 };
  _cleanup_slot_ sd_bus_slot *slot = NULL;
  int r = sd.match_signal(bus, &slot, NULL, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, &w);
  if (r < 0)
    return bus_fail(err, r, NULL, what);
  _cleanup_msg_ sd_bus_message *reply = NULL;
  r = sd.call(bus, m, SD_JOB_TIMEOUT_US, e, &reply);
  if (r < 0)
    return bus_fail(err, r, e, what);
  const char *job;
  if ((r = sd.read(reply, "o", &job)) < 0)
    return bus_fail(err, r, NULL, what);
  w.job = xstrdup(job);
  r = wait_job(bus, &w, what, err);
  free(w.job);
  free(w.result);
  return r;
}

static int new_call(sd_bus *bus, sd_bus_message **m, const char *member)
{
  return sd.new_method_call(bus, m, SD_DEST, SD_PATH, SD_MANAGER, member);
}

static void reset_failed(sd_bus *bus, const char *unit)
{
  _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
  _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
  if (new_call(bus, &m, "ResetFailedUnit") >= 0 && sd.append(m, "s", unit) >= 0)
    (void) sd.call(bus, m, SD_JOB_TIMEOUT_US, &e, &reply);
}

static int stop_on(sd_bus *bus, const char *unit, berth_error_t *err)
{
  _cleanup_msg_ sd_bus_message *m = NULL;
  _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
  _cleanup_free_ char *what = xasprintf("stop systemd unit %s", unit);
  int r = new_call(bus, &m, "StopUnit");
  if (r >= 0)
    r = sd.append(m, "ss", unit, "replace");
  if (r < 0)
    return bus_fail(err, r, NULL, what);
  r = call_job(bus, m, what, &e, err);
  if (r < 0 && sd.error_has_name(&e, "org.freedesktop.systemd1.NoSuchUnit"))
    {
      berth_error_free(err);
      return 0;
    }
  /* a scope whose processes were killed is "failed" and would stay loaded */
  reset_failed(bus, unit);
  return r;
}

static int scope_props(const struct cgroup_systemd_unit *u, pid_t pid, struct sd_props *p)
{
  bool scope = !str_has_prefix(u->unit + strlen(u->unit) - strlen(".slice"), ".slice");
  sd_props_add_str(p, "Description", scope ? "berth container" : "berth container slice");
  if (!str_eq(u->slice, "-.slice"))
    sd_props_add_str(p, "Slice", u->slice);
  /* unloaded once stopped, also when it failed (its processes were killed) */
  sd_props_add_str(p, "CollectMode", "inactive-or-failed");
  if (!scope)
    return 0;
  sd_props_add_bool(p, "Delegate", true);
  sd_props_add_pid(p, "PIDs", (uint32_t) pid);
  /* no ordering against shutdown.target: the engine stops containers */
  sd_props_add_bool(p, "DefaultDependencies", false);
  return 0;
}

int cgroup_systemd_start(const struct cgroup_systemd_unit *u, pid_t pid, const struct sd_props *props,
                         const char *what, berth_error_t *err)
{
  _cleanup_free_ char *action = xasprintf("cgroupsPath \"%s\": start systemd unit %s", what, u->unit);
  _cleanup_bus_ sd_bus *bus = NULL;
  if (bus_connect(&bus, err) < 0)
    return berth_wrap(err, "%s", action);
  struct sd_props all = { 0 };
  scope_props(u, pid, &all);
  _cleanup_msg_ sd_bus_message *m = NULL;
  _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
  int r = new_call(bus, &m, "StartTransientUnit");
  if (r >= 0)
    r = sd.append(m, "ss", u->unit, "fail");
  if (r >= 0)
    r = sd.open_container(m, 'a', "(sv)");
  for (size_t i = 0; r >= 0 && i < all.n; i++)
    r = append_prop(m, &all.v[i]);
  for (size_t i = 0; r >= 0 && i < props->n; i++)
    r = append_prop(m, &props->v[i]);
  if (r >= 0)
    r = sd.close_container(m);
  if (r >= 0)
    r = sd.append(m, "a(sa(sv))", 0);
  sd_props_clear(&all);
  if (r < 0)
    return bus_fail(err, r, NULL, action);
  if (call_job(bus, m, action, &e, err) == 0)
    return 0;
  if (sd.error_has_name(&e, "org.freedesktop.systemd1.UnitExists"))
    return -1; /* someone else's unit: not ours to stop */
  _cleanup_error_ berth_error_t ignored = NULL;
  (void) stop_on(bus, u->unit, &ignored);
  return -1;
}

int cgroup_systemd_set(const char *unit, const struct sd_props *props, berth_error_t *err)
{
  _cleanup_free_ char *what = xasprintf("set the properties of systemd unit %s", unit);
  if (props->n == 0)
    return 0;
  _cleanup_bus_ sd_bus *bus = NULL;
  if (bus_connect(&bus, err) < 0)
    return berth_wrap(err, "%s", what);
  _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
  _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
  int r = new_call(bus, &m, "SetUnitProperties");
  if (r >= 0)
    r = sd.append(m, "sb", unit, 1);
  if (r >= 0)
    r = append_props(m, props);
  if (r < 0)
    return bus_fail(err, r, NULL, what);
  r = sd.call(bus, m, SD_JOB_TIMEOUT_US, &e, &reply);
  if (r < 0)
    return bus_fail(err, r, &e, what);
  return 0;
}

int cgroup_systemd_stop(const char *unit, berth_error_t *err)
{
  _cleanup_bus_ sd_bus *bus = NULL;
  if (bus_connect(&bus, err) < 0)
    return berth_wrap(err, "stop systemd unit %s", unit);
  return stop_on(bus, unit, err);
}

#endif

/* ------------------------------------------------------------ the handle */

void cgroup_sd_free(struct cgroup_sd *s)
{
  if (s == NULL)
    return;
  cgroup_systemd_unit_clear(&s->u);
  free(s->what);
  sd_props_clear(&s->extra);
  free(s);
}

struct cgroup_sd *cgroup_sd_new_for_create(const struct cgroup_systemd_unit *u, const char *what,
                                           const struct sd_props *extra)
{
  struct cgroup_sd *s = xcalloc(1, sizeof(*s));
  s->u = *u;
  s->what = xstrdup(what);
  s->extra = *extra;
  s->create = true;
  return s;
}

struct cgroup_sd *cgroup_sd_new_for_open(const struct cgroup_systemd_unit *u)
{
  struct cgroup_sd *s = xcalloc(1, sizeof(*s));
  s->u = *u;
  s->what = xstrdup(u->cg_path);
  return s;
}

static void read_proc_devices(char **out)
{
  size_t len;
  _cleanup_error_ berth_error_t ignored = NULL;
  if (read_file_at(AT_FDCWD, "/proc/devices", 1 << 20, out, &len, &ignored) < 0)
    *out = NULL;
}

/* the unit properties for r (and the devices per o) */
static int props_for(const struct berth_cgroup *cg, const struct spec_resources *r,
                     const struct cgroup_apply_options *o, struct sd_props *out, berth_error_t *err)
{
  struct cgroup_dev_state dev = { 0 };
  bool devices = false;
  if (cgroup_dev_state_for(r, o, &dev, &devices, err) < 0)
    return -1;
  bool v2 = cg->mode == CGROUP_MODE_UNIFIED;
  _cleanup_free_ char *proc_devices = NULL;
  if (devices && !v2) /* v2 names no major (systemd_props.c) */
    read_proc_devices(&proc_devices);
  int ret = cgroup_systemd_resource_props(r, v2, devices ? &dev : NULL, proc_devices, out, err);
  cgroup_dev_state_clear(&dev);
  return ret;
}

int cgroup_sd_apply(struct berth_cgroup *cg, const struct spec_resources *r,
                    const struct cgroup_apply_options *o, berth_error_t *err)
{
  struct cgroup_sd *s = cg->sd;
  if (s->create && !s->started)
    {
      /* the unit starts with the init's pid (cgroup_enter): these go with it */
      s->pending = r;
      s->pending_opts = o ? *o : (struct cgroup_apply_options) { 0 };
      return 0;
    }
  struct sd_props props = { 0 };
  if (props_for(cg, r, o, &props, err) < 0)
    return -1;
  int ret = cgroup_systemd_set(s->u.unit, &props, err);
  sd_props_clear(&props);
  return ret < 0 ? -1 : 1;
}

/* The hierarchies systemd does not manage (v1 freezer, cpuset, ...) get
 * the same path by hand; what systemd made is there already. On v2 the
 * controllers systemd does not know (hugetlb, rdma, misc) are enabled down
 * to the scope as the cgroupfs driver does: systemd leaves them alone. */
static int make_missing_dirs(struct berth_cgroup *cg, berth_error_t *err)
{
  for (size_t i = 0; i < cg->n_dirs; i++)
    {
      struct cgroup_dir *d = &cg->dirs[i];
      int r = d->v2 ? cgroup_v2_create_dir(d, cg->path, err) : cgroup_v1_create_dir(d, cg->path, err);
      if (r < 0)
        return -1;
    }
  return 0;
}

int cgroup_sd_start(struct berth_cgroup *cg, pid_t pid, berth_error_t *err)
{
  struct cgroup_sd *s = cg->sd;
  if (!s->create || s->started)
    return 0;
  struct sd_props props = { 0 };
  if (props_for(cg, s->pending, &s->pending_opts, &props, err) < 0)
    return berth_wrap(err, "cgroupsPath \"%s\"", s->what);
  for (size_t i = 0; i < s->extra.n; i++)
    {
      /* an annotation wins over what berth derived */
      props.v = xreallocarray(props.v, props.n + 1, sizeof(*props.v));
      props.v[props.n++] = s->extra.v[i];
    }
  int r = cgroup_systemd_start(&s->u, pid, &props, s->what, err);
  props.n -= s->extra.n; /* borrowed from s->extra */
  sd_props_clear(&props);
  if (r < 0)
    return -1;
  s->started = true;
  if (make_missing_dirs(cg, err) < 0)
    return berth_wrap(err, "cgroupsPath \"%s\"", s->what);
  return 0;
}

int cgroup_sd_apply_pending(struct berth_cgroup *cg, berth_error_t *err)
{
  struct cgroup_sd *s = cg->sd;
  if (!s->create || (s->pending == NULL && !s->pending_opts.devices_always))
    return 0;
  int r = cgroup_apply_files(cg, s->pending, &s->pending_opts, err);
  s->pending = NULL;
  s->pending_opts = (struct cgroup_apply_options) { 0 };
  return r;
}

bool cgroup_sd_made_nothing(const struct berth_cgroup *cg)
{
  return cg->sd->create && !cg->sd->started;
}

int cgroup_sd_stop(struct berth_cgroup *cg, berth_error_t *err)
{
  if (cgroup_systemd_stop(cg->sd->u.unit, err) < 0)
    return berth_wrap(err, "cgroupsPath \"%s\"", cg->sd->what);
  return 0;
}
