/* OCI image-spec documents: parsing with errors naming the JSON path, tag
 * and platform picks, media types, whiteout names, config -> process. */
#include <stdlib.h>
#include <string.h>

#include "spec/image.h"
#include "tap.h"
#include "util/util.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static void test_index(void)
{
  const char *text = "{\"schemaVersion\":2,\"manifests\":["
                     "{\"mediaType\":\"" IMAGE_MT_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":10,"
                     "\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}},"
                     "{\"mediaType\":\"" IMAGE_MT_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":11,"
                     "\"annotations\":{\"org.opencontainers.image.ref.name\":\"v2\"},"
                     "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\"}},"
                     "{\"mediaType\":\"" IMAGE_MT_MANIFEST "\",\"digest\":\"" D3 "\",\"size\":12,"
                     "\"annotations\":{\"org.opencontainers.image.ref.name\":\"v2\"},"
                     "\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
  struct image_index *idx = NULL;
  berth_error_t e = NULL;
  is_int(image_index_parse(text, strlen(text), "index.json", &idx, &e), 0, "index parses");
  is_int(idx->n_manifests, 3, "three manifests");
  size_t i = 99;
  is_int(image_index_pick(idx, "v1", "amd64", "index.json", &i, &e), 0, "tag v1");
  is_int(i, 0, "v1 is the first");
  is_int(image_index_pick(idx, "v2", "arm64", "index.json", &i, &e), 0, "tag v2 on arm64");
  is_int(i, 1, "v2 for arm64");
  is_int(image_index_pick(idx, "v2", "riscv64", "index.json", &i, &e), 0, "tag v2 elsewhere: amd64");
  is_int(i, 2, "v2 falls back to linux/amd64");
  is_err(image_index_pick(idx, "nope", "amd64", "index.json", &i, &e), e,
         "index.json: no manifest has the tag \"nope\" (org.opencontainers.image.ref.name)", "a missing tag names it");
  berth_error_free(&e);
  is_int(image_index_pick(idx, NULL, "arm64", "index.json", &i, &e), 0, "no tag: the platform's");
  is_int(i, 1, "no tag on arm64: the arm64 one");
  image_index_free(idx);

  const char *bad = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha256:ABC\",\"size\":1}]}";
  is_err(image_index_parse(bad, strlen(bad), "index.json", &idx, &e), e,
         "index.json: .manifests[0].digest: \"sha256:ABC\" is not a sha256 digest (sha256:<64 lowercase hex digits>)",
         "a bad digest names the JSON path");
  berth_error_free(&e);
  const char *v1 = "{\"schemaVersion\":1,\"manifests\":[]}";
  is_err(image_index_parse(v1, strlen(v1), "index.json", &idx, &e), e,
         "index.json: .schemaVersion: 1 is not supported (2 is)", "schemaVersion 1 refused");
  berth_error_free(&e);
}

static void test_manifest_config(void)
{
  const char *m = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" IMAGE_MT_CONFIG "\",\"digest\":\"" D1
                  "\",\"size\":5},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                  "\"digest\":\"" D2 "\",\"size\":7},{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\","
                  "\"digest\":\"" D3 "\",\"size\":8}]}";
  struct image_manifest *man = NULL;
  berth_error_t e = NULL;
  is_int(image_manifest_parse(m, strlen(m), "manifest", &man, &e), 0, "manifest parses");
  is_int(man->n_layers, 2, "two layers");
  is_str(man->layers[1].digest, D3, "layer digest");
  image_manifest_free(man);
  const char *bad = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" IMAGE_MT_CONFIG "\",\"digest\":\"" D1
                    "\",\"size\":5},\"layers\":[{\"mediaType\":\"application/x-foo\",\"digest\":\"" D2
                    "\",\"size\":7}]}";
  is_err(image_manifest_parse(bad, strlen(bad), "manifest", &man, &e), e,
         "manifest: .layers[0].mediaType: layer media type \"application/x-foo\" is not supported (tar, tar+gzip or "
         "tar+zstd)",
         "an unknown layer type names the path");
  berth_error_free(&e);

  enum image_compression c;
  is_int(image_layer_compression("application/vnd.oci.image.layer.v1.tar", &c, &e), 0, "tar");
  is_int(c, IMAGE_LAYER_TAR, "tar: no compression");
  is_int(image_layer_compression("application/vnd.docker.image.rootfs.diff.tar.gzip", &c, &e), 0, "docker gzip");
  is_int(c, IMAGE_LAYER_GZIP, "docker's gzip type");

  const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"User\":\"app:staff\","
                    "\"Env\":[\"PATH=/app/bin\",\"A=1\"],\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":[\"echo hi\"],"
                    "\"WorkingDir\":\"/srv\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\"]}}";
  struct image_config *ic = NULL;
  is_int(image_config_parse(cfg, strlen(cfg), "config", &ic, &e), 0, "config parses");
  is_int(ic->n_diff_ids, 1, "one diff_id");
  const char *passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
  const char *group = "root:x:0:\nstaff:x:50:\napp:x:1000:\nwheel:x:10:root,app\n";
  const char *base[] = { "PATH=/usr/bin", "TERM=xterm", NULL };
  struct image_process p = { 0 };
  is_int(image_config_to_process(ic, base, passwd, group, &p, &e), 0, "conversion");
  is_int(p.n_args, 3, "Entrypoint + Cmd");
  is_str(p.args[2], "echo hi", "Cmd after Entrypoint");
  is_str(p.env[0], "PATH=/app/bin", "the image's PATH replaces the default");
  is_str(p.env[2], "A=1", "new variables appended");
  is_str(p.cwd, "/srv", "WorkingDir");
  is_int(p.uid, 1000, "user name resolved in passwd");
  is_int(p.gid, 50, "group name resolved in group");
  is_int(p.n_additional_gids, 0, "explicit group: no supplementary groups");
  image_process_free(&p);
  free(ic->user);
  ic->user = xstrdup("app");
  is_int(image_config_to_process(ic, base, passwd, group, &p, &e), 0, "conversion with a bare user");
  is_int(p.gid, 1000, "primary group from passwd");
  is_int(p.n_additional_gids, 1, "member of wheel");
  is_int(p.additional_gids[0], 10, "wheel's gid");
  image_process_free(&p);
  free(ic->user);
  ic->user = xstrdup("ghost");
  is_err(image_config_to_process(ic, base, passwd, group, &p, &e), e,
         ".config.User \"ghost\": no user \"ghost\" in the image's /etc/passwd", "unknown user named");
  berth_error_free(&e);
  free(ic->user);
  ic->user = xstrdup("4242:4343");
  is_int(image_config_to_process(ic, base, NULL, NULL, &p, &e), 0, "numeric user without passwd");
  is_int(p.uid, 4242, "numeric uid");
  is_int(p.gid, 4343, "numeric gid");
  image_process_free(&p);
  image_config_free(ic);

  const char *nodiff = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"md5:x\"]}}";
  is_err(image_config_parse(nodiff, strlen(nodiff), "config", &ic, &e), e,
         "config: .rootfs.diff_ids[0]: \"md5:x\" is not a sha256 digest", "bad diff_id named");
  berth_error_free(&e);
}

static void test_whiteouts_refs(void)
{
  const char *t;
  berth_error_t e = NULL;
  is_int(image_whiteout_classify("file", &t, &e), IMAGE_ENTRY_PLAIN, "plain name");
  is_int(image_whiteout_classify(".wh.gone", &t, &e), IMAGE_ENTRY_WHITEOUT, "whiteout");
  is_str(t, "gone", "whiteout target");
  is_int(image_whiteout_classify(".wh..wh..opq", &t, &e), IMAGE_ENTRY_OPAQUE, "opaque marker");
  ok(image_whiteout_classify(".wh...", &t, &e) < 0, "whiteout of .. refused");
  berth_error_free(&e);
  ok(image_whiteout_classify(".wh.", &t, &e) < 0, "empty whiteout refused");
  berth_error_free(&e);
  is_int(image_whiteout_classify(".wh..wh.plnk", &t, &e), IMAGE_ENTRY_AUFS_META, "aufs metadata recognised");
  berth_error_free(&e);

  char *dir = NULL, *tag = NULL;
  is_int(image_ref_split("/img/busy:v1", &dir, &tag, &e), 0, "DIR:TAG");
  is_str(dir, "/img/busy", "dir");
  is_str(tag, "v1", "tag");
  free(dir);
  free(tag);
  is_int(image_ref_split("/a:b/c", &dir, &tag, &e), 0, "a colon in a directory name");
  is_str(dir, "/a:b/c", "no tag");
  ok(tag == NULL, "tag NULL");
  free(dir);
  ok(image_digest_valid(D1) && !image_digest_valid("sha256:12") && !image_digest_valid("sha512:1111"),
     "digest validation");
}

int main(void)
{
  test_index();
  test_manifest_config();
  test_whiteouts_refs();
  return tap_done();
}
