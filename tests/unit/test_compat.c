/* Behaviour shared with runc and crun: create-time validation
 * (validate.c) and the HOME lookup in passwd (home.c). */
#include <stdlib.h>

#include "runtime/init.h"
#include "runtime/linux.h"
#include "spec/spec.h"
#include "tap.h"
#include "util/util.h"

static int validate_json(const char *linux_and_names, berth_error_t *err)
{
  _cleanup_free_ char *json
      = xasprintf("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}%s}", linux_and_names);
  struct spec_config *c = NULL;
  if (spec_config_parse(json, strlen(json), "config.json", &c, err) < 0)
    {
      ok(0, "parse %s: %s", json, berth_error_msg(*err));
      return 0;
    }
  int r = config_validate_create(c, err);
  spec_config_free(c);
  return r;
}

static void test_validate(void)
{
  berth_error_t err = NULL;
  is_int(validate_json("", &err), 0, "nothing to check");
  is_int(validate_json(", \"hostname\": \"h\", \"linux\": {\"namespaces\": [{\"type\": \"uts\"}], "
                       "\"sysctl\": {\"kernel.domainname\": \"d\"}}", &err),
         0, "hostname field with kernel.domainname: no conflict");
  is_int(validate_json(", \"hostname\": \"\", \"linux\": {\"namespaces\": [{\"type\": \"uts\"}], "
                       "\"sysctl\": {\"kernel.hostname\": \"x\"}}", &err),
         0, "an empty hostname field sets nothing: no conflict");
  is_err(validate_json(", \"hostname\": \"h\", \"linux\": {\"namespaces\": [{\"type\": \"uts\"}], "
                       "\"sysctl\": {\"net.ipv4.ip_forward\": \"1\", \"kernel.hostname\": \"x\"}}", &err),
         err, ".linux.sysctl[\"kernel.hostname\"]: conflicts with the .hostname field", "kernel.hostname vs hostname");
  berth_error_free(&err);
  is_err(validate_json(", \"domainname\": \"d\", \"linux\": {\"namespaces\": [{\"type\": \"uts\"}], "
                       "\"sysctl\": {\"kernel.domainname\": \"d\"}}", &err),
         err, ".linux.sysctl[\"kernel.domainname\"]: conflicts with the .domainname field", "kernel.domainname vs domainname");
  berth_error_free(&err);

  is_err(validate_json(", \"linux\": {\"namespaces\": [{\"type\": \"user\"}]}", &err), err,
         ".linux.uidMappings: a new user namespace needs", "new userns without any mapping");
  berth_error_free(&err);
  is_err(validate_json(", \"linux\": {\"namespaces\": [{\"type\": \"user\"}], "
                       "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 1}]}", &err),
         err, ".linux.gidMappings: a new user namespace needs", "new userns without gid mappings");
  berth_error_free(&err);
  is_int(validate_json(", \"linux\": {\"namespaces\": [{\"type\": \"user\"}], "
                       "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 1}], "
                       "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 1}]}", &err),
         0, "new userns with both mappings");
  is_int(validate_json(", \"linux\": {\"namespaces\": [{\"type\": \"user\", \"path\": \"/proc/1/ns/user\"}]}", &err), 0,
         "a user namespace joined by path needs no mappings");
  berth_error_free(&err);
}

static void line_is(const char *line, uint32_t uid, const char *want, const char *name)
{
  char *home = NULL;
  bool found = passwd_line_home(line, uid, &home);
  if (want)
    is_str(found ? home : "(no match)", want, "%s", name);
  else
    ok(!found, "%s: no match", name);
  free(home);
}

static void test_passwd_line(void)
{
  line_is("root:x:0:0:root:/root:/bin/sh\n", 0, "/root", "root");
  line_is("root:x:0:0:root:/root:/bin/sh", 0, "/root", "no trailing newline");
  line_is("app:x:1000:1000::/home/app", 1000, "/home/app", "6 fields, no shell");
  line_is("app:x:1000:1000:gecos:/home/app:/bin/sh\n", 100, NULL, "another uid");
  line_is("app:x:10000:1000::/home/app:/bin/sh\n", 1000, NULL, "a longer uid with the same prefix");
  line_is("nohome:x:5:5:gecos::/bin/sh\n", 5, "/", "empty home: /");
  line_is("bad:x:1x:1::/h:/bin/sh\n", 1, NULL, "uid not decimal");
  line_is("bad:x::1::/h:/bin/sh\n", 0, NULL, "empty uid field");
  line_is("short:x:7:7:gecos\n", 7, NULL, "fewer than 6 fields");
  line_is("big:x:99999999999:1::/h:/bin/sh\n", (uint32_t) 99999999999ULL, NULL, "uid that does not fit");
  line_is("#root:x:0:0::/c:/bin/sh\n", 0, NULL, "a comment line (glibc skips them)");
  line_is("\n", 0, NULL, "empty line");
  line_is("max:x:4294967295:1::/m:/bin/sh\n", 4294967295U, "/m", "uid 2^32-1");
}

static void stream_is(const char *text, uint32_t uid, const char *want, const char *name)
{
  FILE *f = fmemopen((void *) text, strlen(text), "r");
  char *home = passwd_home_in_stream(f, uid);
  is_str(home, want, "%s", name);
  free(home);
  fclose(f);
}

static void test_passwd_stream(void)
{
  const char *pw = "root:x:0:0:root:/root:/bin/sh\n"
                   "garbage line\n"
                   "app:x:1000:1000::/home/app:/bin/sh\n"
                   "dup:x:1000:1000::/home/dup:/bin/sh\n";
  stream_is(pw, 0, "/root", "first line");
  stream_is(pw, 1000, "/home/app", "the first entry of a uid wins, garbage skipped");
  stream_is(pw, 4242, "/", "no entry: /");
  stream_is("", 0, "/", "empty file: /");
}

int main(void)
{
  test_validate();
  test_passwd_line();
  test_passwd_stream();
  return tap_done();
}
