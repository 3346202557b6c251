/* overlay annotations: parsing and validation (pure), lowerdir order,
 * paths; plus the host checks against a temp tree (no root needed). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/overlay.h"
#include "tap.h"
#include "util/util.h"

#define L "config.json"

static void test_absent(void)
{
  struct storage_overlay *o = (void *) 1;
  berth_error_t e = NULL;
  is_int(storage_overlay_parse(NULL, NULL, L, &o, &e), 0, "no annotations: no overlay");
  ok(o == NULL, "no annotations: *out NULL");
  is_err(storage_overlay_parse(NULL, "none", L, &o, &e), e,
         "config.json: .annotations[\"run.berth.storage.upper\"]: needs the layers in \"run.berth.storage.layers\"",
         "an upper without layers is an error naming the key");
  berth_error_free(&e);
}

static void test_layers(void)
{
  struct storage_overlay *o = NULL;
  berth_error_t e = NULL;
  is_int(storage_overlay_parse("/l/base:/l/mid//:/l/x/../top", NULL, L, &o, &e), 0, "three layers parse");
  is_int(o->n_layers, 3, "three layers");
  is_str(o->layers[0], "/l/base", "bottom layer first");
  is_str(o->layers[1], "/l/mid", "paths are cleaned");
  is_str(o->layers[2], "/l/top", "top layer last, cleaned");
  ok(o->layers[3] == NULL, "NULL-terminated");
  is_int(o->upper_kind, STORAGE_UPPER_EPHEMERAL, "ephemeral upper by default");
  _cleanup_free_ char *lower = storage_overlay_lowerdir(o->layers, o->n_layers);
  is_str(lower, "/l/top:/l/mid:/l/base", "lowerdir is top first");
  storage_overlay_set_paths(o, "/run/berth/c1");
  is_str(o->mountpoint, "/run/berth/c1/rootfs", "mount point in the state dir");
  is_str(o->upperdir, "/run/berth/c1/upper", "ephemeral upper in the state dir");
  ok(o->empty_layer == NULL, "no empty layer with an upper");
  is_str(o->workdir, "/run/berth/c1/work", "ephemeral work in the state dir");
  storage_overlay_free(o);

  is_int(storage_overlay_parse("/only", "none", L, &o, &e), 0, "one layer, no upper");
  is_int(o->upper_kind, STORAGE_UPPER_NONE, "upper none");
  storage_overlay_set_paths(o, "/r/c");
  ok(o->upperdir == NULL && o->workdir == NULL, "no upper and work dirs with none");
  is_str(o->empty_layer, "/r/c/empty", "one layer without upper: an empty bottom layer");
  _cleanup_free_ char *one = storage_overlay_lowerdir(o->layers, o->n_layers);
  is_str(one, "/only", "lowerdir of one layer");
  storage_overlay_free(o);

  is_int(storage_overlay_parse("/a:/b", "none", L, &o, &e), 0, "two layers, no upper");
  storage_overlay_set_paths(o, "/r/c");
  ok(o->empty_layer == NULL, "two layers need no empty layer");
  storage_overlay_free(o);

  is_int(storage_overlay_parse("/l/a", "/data/c1/", L, &o, &e), 0, "persistent upper");
  is_int(o->upper_kind, STORAGE_UPPER_PERSISTENT, "persistent kind");
  is_str(o->upper_base, "/data/c1", "upper base cleaned");
  storage_overlay_set_paths(o, "/r/c");
  is_str(o->upperdir, "/data/c1/upper", "persistent upper dir");
  is_str(o->workdir, "/data/c1/work", "persistent work dir");
  is_str(o->mountpoint, "/r/c/rootfs", "mount point still in the state dir");
  storage_overlay_free(o);
}

static void test_bad(void)
{
  static const struct
  {
    const char *layers, *upper, *want;
  } cases[] = {
    { "", NULL, ".annotations[\"run.berth.storage.layers\"]: must name at least one layer" },
    { "rel/dir", NULL, ".annotations[\"run.berth.storage.layers\"]: layer \"rel/dir\" is not an absolute path" },
    { "/a:b", NULL, "layer \"b\" is not an absolute path" },
    { "/a::/b", NULL, "empty layer path" },
    { "/a:", NULL, "empty layer path" },
    { ":/a", NULL, "empty layer path" },
    { "/a,b", NULL, "layer \"/a,b\": ',' is not allowed" },
    { "/a:/b:/a/", NULL, "/a is named twice (layers 1 and 3)" },
    { "/a", "", ".annotations[\"run.berth.storage.upper\"]: \"\": must be \"ephemeral\", \"none\" or an absolute" },
    { "/a", "tmp", "\"tmp\": must be \"ephemeral\", \"none\" or an absolute directory path" },
    { "/a", "/x:y", ".annotations[\"run.berth.storage.upper\"]: upper \"/x:y\": ':' is not allowed" },
    { "/a", "/x,y", "upper \"/x,y\": ',' is not allowed" },
    { "/a", "/", "the upper directory must not be /" },
    { "/l/a:/l/b", "/l/b/up", "/l/b/up overlaps the layer /l/b" },
    { "/l/a/x", "/l", "/l overlaps the layer /l/a/x" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
    {
      struct storage_overlay *o = NULL;
      berth_error_t e = NULL;
      is_err(storage_overlay_parse(cases[i].layers, cases[i].upper, L, &o, &e), e, cases[i].want,
             "layers \"%s\" upper \"%s\" fails", cases[i].layers, cases[i].upper ? cases[i].upper : "(null)");
      ok(o == NULL, "  and returns nothing");
      if (e)
        ok(str_has_prefix(e->msg, "config.json: .annotations[\""), "  the message starts with the file and key");
      berth_error_free(&e);
    }
}

static void test_limit(void)
{
  struct storage_overlay *o = NULL;
  berth_error_t e = NULL;
  _cleanup_free_ char *many = xstrdup("");
  for (int i = 0; i < STORAGE_OVERLAY_MAX_LAYERS; i++)
    {
      char *n = xasprintf("%s%s/layer%d", many, i ? ":" : "", i);
      free(many);
      many = n;
    }
  is_int(storage_overlay_parse(many, NULL, L, &o, &e), 0, "500 layers are accepted");
  is_int(o ? o->n_layers : 0, 500, "500 layers");
  is_str(o ? o->layers[499] : NULL, "/layer499", "the last one is the top");
  storage_overlay_free(o);
  o = NULL;
  char *more = xasprintf("%s:/one-more", many);
  is_err(storage_overlay_parse(more, NULL, L, &o, &e), e, "501 layers: overlayfs stacks at most 500",
         "501 layers are refused");
  free(more);
  berth_error_free(&e);
}

static char *tmp;

static void mk(const char *rel)
{
  _cleanup_free_ char *p = xasprintf("%s/%s", tmp, rel);
  mkdir(p, 0755);
}

static void test_check(void)
{
  mk("a");
  mk("b");
  _cleanup_free_ char *file = xasprintf("%s/file", tmp);
  close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  _cleanup_free_ char *link = xasprintf("%s/link-to-a", tmp), *a = xasprintf("%s/a", tmp);
  symlink(a, link);

  struct
  {
    const char *layers; /* relative to tmp, ':' separated, one or two */
    const char *upper;  /* relative to tmp or NULL */
    const char *want;   /* NULL: passes */
  } cases[] = {
    { "a:b", NULL, NULL },
    { "a:missing", NULL, "/missing: no such directory" },
    { "a:file", NULL, "/file: not a directory" },
    { "a:link-to-a", NULL, "are the same directory" },
    { "a", "new-upper", NULL },
    { "a", "no/such/parent", "the parent directory" },
    { "a", "file", "/file: not a directory" },
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
    {
      _cleanup_free_ char *copy = xstrdup(cases[i].layers);
      char *colon = strchr(copy, ':');
      if (colon)
        *colon = '\0';
      _cleanup_free_ char *layers = colon ? xasprintf("%s/%s:%s/%s", tmp, copy, tmp, colon + 1)
                                          : xasprintf("%s/%s", tmp, copy);
      _cleanup_free_ char *upper = cases[i].upper ? xasprintf("%s/%s", tmp, cases[i].upper) : NULL;
      struct storage_overlay *o = NULL;
      berth_error_t e = NULL;
      int r = storage_overlay_parse(layers, upper, L, &o, &e);
      if (r == 0)
        r = storage_overlay_check(o, L, tmp, &e);
      if (cases[i].want)
        is_err(r, e, cases[i].want, "check %s (upper %s) fails", cases[i].layers,
               cases[i].upper ? cases[i].upper : "-");
      else
        ok(r == 0, "check %s (upper %s) passes%s%s", cases[i].layers, cases[i].upper ? cases[i].upper : "-",
           e ? ": " : "", e ? e->msg : "");
      berth_error_free(&e);
      storage_overlay_free(o);
    }
}

static void test_prepare_dirs(void)
{
  mk("state");
  _cleanup_free_ char *layers = xasprintf("%s/a", tmp), *state = xasprintf("%s/state", tmp);
  _cleanup_free_ char *base = xasprintf("%s/persist", tmp);
  struct storage_overlay *o = NULL;
  berth_error_t e = NULL;
  struct stat st;

  ok(storage_overlay_parse(layers, NULL, L, &o, &e) == 0
         && storage_overlay_prepare_dirs(o, L, state, (uid_t) -1, (gid_t) -1, &e) == 0,
     "ephemeral dirs are made");
  ok(stat(o->mountpoint, &st) == 0 && S_ISDIR(st.st_mode), "mount point exists");
  ok(stat(o->upperdir, &st) == 0 && (st.st_mode & 07777) == 0755, "upper 0755");
  ok(stat(o->workdir, &st) == 0 && (st.st_mode & 07777) == 0700, "work 0700");
  storage_overlay_free(o);
  o = NULL;

  ok(storage_overlay_parse(layers, base, L, &o, &e) == 0
         && storage_overlay_prepare_dirs(o, L, state, (uid_t) -1, (gid_t) -1, &e) == 0,
     "persistent dirs are made");
  _cleanup_free_ char *bu = xasprintf("%s/upper", base), *bw = xasprintf("%s/work", base);
  ok(stat(bu, &st) == 0 && S_ISDIR(st.st_mode), "BASE/upper made");
  ok(stat(bw, &st) == 0 && S_ISDIR(st.st_mode), "BASE/work made");
  /* again: existing dirs are fine */
  ok(storage_overlay_prepare_dirs(o, L, state, (uid_t) -1, (gid_t) -1, &e) == 0, "existing dirs are kept");
  storage_overlay_free(o);
  berth_error_free(&e);
}

static void rm_rf(const char *p)
{
  _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", p);
  if (system(cmd) != 0)
    fprintf(stderr, "cleanup of %s failed\n", p);
}

int main(void)
{
  test_absent();
  test_layers();
  test_bad();
  test_limit();
  char tmpl[] = "/tmp/test_overlay.XXXXXX";
  tmp = mkdtemp(tmpl);
  if (!tmp)
    return 1;
  test_check();
  test_prepare_dirs();
  rm_rf(tmp);
  return tap_done();
}
