/* berth sandbox: the option parsers (runtime/sandbox.h). */
#include <stdlib.h>
#include <string.h>

#include "runtime/sandbox.h"
#include "spec/sandbox.h"
#include "tap.h"
#include "util/util.h"

static berth_error_t err;

static void sizes(void)
{
  uint64_t v = 0;
  is_int(sandbox_parse_size("memory", "512m", &v, &err), 0, "512m");
  ok(v == 512ull << 20, "512m is 512 MiB");
  is_int(sandbox_parse_size("memory", "1G", &v, &err), 0, "1G");
  ok(v == 1ull << 30, "1G is 1 GiB");
  is_int(sandbox_parse_size("memory", "4096", &v, &err), 0, "plain bytes");
  ok(v == 4096, "4096 bytes");
  is_int(sandbox_parse_size("memory", "1.5k", &v, &err), 0, "1.5k");
  ok(v == 1536, "1.5k is 1536");
  is_int(sandbox_parse_size("memory", "64MiB", &v, &err), 0, "64MiB");
  ok(v == 64ull << 20, "64MiB");
  is_err(sandbox_parse_size("memory", "12x", &v, &err), err, "--memory: \"12x\" is not a size (e.g. 512m, 1G, 4096)",
         "unknown unit");
  is_err(sandbox_parse_size("memory", "-1", &v, &err), err, "--memory: \"-1\" is not a size (e.g. 512m, 1G, 4096)",
         "negative");
  is_err(sandbox_parse_size("memory", "0", &v, &err), err, "--memory: 0 is out of range (1 byte .. 4 EiB)", "zero");
  is_err(sandbox_parse_size("tmp-size", "99999999t", &v, &err), err,
         "--tmp-size: 99999999t is out of range (1 byte .. 4 EiB)", "overflow");
  is_err(sandbox_parse_size("memory", "", &v, &err), err, "--memory: \"\" is not a size (e.g. 512m, 1G, 4096)",
         "empty");
}

static void durations(void)
{
  uint64_t ms = 0;
  is_int(sandbox_parse_duration("timeout", "30s", &ms, &err), 0, "30s");
  ok(ms == 30000, "30s is 30000 ms");
  is_int(sandbox_parse_duration("timeout", "2m", &ms, &err), 0, "2m");
  ok(ms == 120000, "2m");
  is_int(sandbox_parse_duration("timeout", "1.5", &ms, &err), 0, "1.5");
  ok(ms == 1500, "1.5 is seconds");
  is_int(sandbox_parse_duration("grace", "500ms", &ms, &err), 0, "500ms");
  ok(ms == 500, "500ms");
  is_int(sandbox_parse_duration("timeout", "1h", &ms, &err), 0, "1h");
  ok(ms == 3600000, "1h");
  is_err(sandbox_parse_duration("timeout", "soon", &ms, &err), err,
         "--timeout: \"soon\" is not a duration (e.g. 30s, 2m, 1.5, 500ms)", "words");
  is_err(sandbox_parse_duration("timeout", "0s", &ms, &err), err,
         "--timeout: 0s is out of range (1ms .. about 31 years)", "zero");
  is_err(sandbox_parse_duration("timeout", "1.2.3", &ms, &err), err,
         "--timeout: \"1.2.3\" is not a duration (e.g. 30s, 2m, 1.5, 500ms)", "two dots");
}

static void cpus(void)
{
  int64_t q = 0;
  uint64_t p = 0;
  is_int(sandbox_parse_cpus("1.5", &q, &p, &err), 0, "1.5 cpus");
  ok(q == 150000 && p == 100000, "quota 150000 per 100000");
  is_int(sandbox_parse_cpus("0.25", &q, &p, &err), 0, "0.25 cpus");
  ok(q == 25000, "quota 25000");
  is_err(sandbox_parse_cpus("0.001", &q, &p, &err), err, "--cpus: 0.001 is out of range (0.01 .. 4096)", "too small");
  is_err(sandbox_parse_cpus("2c", &q, &p, &err), err, "--cpus: \"2c\" is not a number of CPUs (e.g. 2, 0.5)", "unit");
}

static void pairs(void)
{
  struct sandbox_path_pair b;
  is_int(sandbox_parse_bind("/srv/out:/out", &b, &err), 0, "bind");
  ok(str_eq(b.src, "/srv/out") && str_eq(b.dst, "/out") && !b.ro, "bind fields");
  free(b.src);
  free(b.dst);
  is_int(sandbox_parse_bind("/srv//cache/:/cache:ro", &b, &err), 0, "bind ro");
  ok(str_eq(b.src, "/srv/cache") && str_eq(b.dst, "/cache") && b.ro, "bind ro, cleaned");
  free(b.src);
  free(b.dst);
  is_err(sandbox_parse_bind("/a", &b, &err), err, "--bind /a: want SRC:DST[:ro]", "no DST");
  is_err(sandbox_parse_bind("a:/b", &b, &err), err, "--bind a:/b: SRC \"a\" must be an absolute path", "relative");
  is_err(sandbox_parse_bind("/a:/b:rx", &b, &err), err, "--bind /a:/b:rx: the mode after DST must be ro or rw",
         "bad mode");
  is_err(sandbox_parse_bind("/a:/", &b, &err), err, "--bind /a:/: DST must not be /", "over the root");
  is_int(sandbox_parse_scratch("/src:/build", &b, &err), 0, "scratch");
  ok(str_eq(b.src, "/src") && str_eq(b.dst, "/build"), "scratch fields");
  free(b.src);
  free(b.dst);
  is_err(sandbox_parse_scratch("/a,b:/c", &b, &err), err,
         "--scratch /a,b:/c: SRC and DST must not contain ',' or '\\' (overlay options)", "comma");
  is_err(sandbox_parse_scratch("/a:/b:ro", &b, &err), err, "--scratch /a:/b:ro: want SRC:DST (paths without ':')",
         "no mode");
}

static void misc(void)
{
  uint32_t u = 9, g = 9;
  is_int(sandbox_parse_user("1000", &u, &g, &err), 0, "uid");
  ok(u == 1000 && g == 1000, "gid defaults to uid");
  is_int(sandbox_parse_user("1000:100", &u, &g, &err), 0, "uid:gid");
  ok(u == 1000 && g == 100, "uid:gid fields");
  is_err(sandbox_parse_user("bob", &u, &g, &err), err, "--user bob: want UID[:GID], numbers 0..2147483647", "name");
  is_err(sandbox_parse_user("1:-1", &u, &g, &err), err, "--user 1:-1: want UID[:GID], numbers 0..2147483647",
         "negative gid");
  struct sandbox_io_limit io;
  is_int(sandbox_parse_io("/dev/vda:10m", &io, &err), 0, "io");
  ok(str_eq(io.device, "/dev/vda") && io.bps == 10ull << 20, "io fields");
  free(io.device);
  is_err(sandbox_parse_io("vda:10m", &io, &err), err,
         "--io-bps vda:10m: want DEV:RATE, DEV a block device path (/dev/vda:10m)", "relative dev");
  enum sandbox_network n;
  is_int(sandbox_parse_network("host", &n, &err), 0, "network host");
  ok(n == SANDBOX_NET_HOST, "host");
  is_err(sandbox_parse_network("slirp", &n, &err), err, "--network slirp: want none, host or bridge", "bad network");
  is_int(sandbox_check_env("--env", "A=", &err), 0, "empty value");
  is_err(sandbox_check_env("--env", "=x", &err), err, "--env =x: want NAME=VALUE", "no name");
  char **env = NULL;
  size_t ne = 0;
  is_int(sandbox_parse_env_file("f", "# c\n\nA=1\r\n  B=two words\nC=3", &env, &ne, &err), 0, "env file");
  ok(ne == 3 && str_eq(env[0], "A=1") && str_eq(env[1], "B=two words") && str_eq(env[2], "C=3") && !env[3],
     "env file lines");
  is_err(sandbox_parse_env_file("f", "A=1\nNOPE\n", &env, &ne, &err), err, "--env-file f:2: NOPE: want NAME=VALUE",
         "bad line names file and line");
  strv_free(env);
}

static const char profile[] =
  "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
  " \"archMap\": [{\"architecture\": \"SCMP_ARCH_AARCH64\", \"subArchitectures\": [\"SCMP_ARCH_ARM\"]},"
  "   {\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"]}],"
  " \"syscalls\": ["
  "  {\"names\": [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [], \"includes\": {}, \"excludes\": {}},"
  "  {\"names\": [\"arch_prctl\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": [\"amd64\", \"x32\"]}},"
  "  {\"names\": [\"cacheflush\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": [\"arm64\"]}},"
  "  {\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},"
  "  {\"names\": [\"chown\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_CHOWN\"], \"minKernel\": \"4.8\"}},"
  "  {\"names\": [\"futex_waitv\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": \"5.16\"}},"
  "  {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, \"excludes\": {\"caps\": [\"CAP_CHOWN\"]}},"
  "  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
  "   \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]}"
  " ]}";

static void seccomp_profile(void)
{
  const char *caps[] = {"CAP_CHOWN", "CAP_KILL", NULL};
  struct spec_seccomp_profile_ctx ctx = {"SCMP_ARCH_X86_64", "amd64", caps, "5.10.0-28-amd64"};
  struct spec_seccomp *s = NULL;
  is_int(spec_seccomp_profile_parse(profile, strlen(profile), "p.json", &ctx, &s, &err), 0, "profile parses");
  ok(s && str_eq(s->default_action, "SCMP_ACT_ERRNO") && s->default_errno_ret.value == 38, "default action kept");
  ok(s && s->architectures && str_eq(s->architectures[0], "SCMP_ARCH_X86_64")
       && str_eq(s->architectures[1], "SCMP_ARCH_X86") && str_eq(s->architectures[2], "SCMP_ARCH_X32")
       && !s->architectures[3],
     "the native architecture and its sub-architectures");
  is_int(s ? s->n_syscalls : 0, 4, "rules that apply: read/write, arch_prctl, chown, personality");
  if (s && s->n_syscalls == 4)
    {
      is_str(s->syscalls[1].names[0], "arch_prctl", "amd64 rule kept");
      is_str(s->syscalls[2].names[0], "chown", "rule whose caps are all held kept");
      ok(s->syscalls[3].n_args == 1 && s->syscalls[3].args[0].value == 8, "args kept");
    }
  spec_seccomp_profile_free(s);
  s = NULL;
  ctx.kernel = "6.1";
  ctx.caps = (const char *[]){NULL};
  is_int(spec_seccomp_profile_parse(profile, strlen(profile), "p.json", &ctx, &s, &err), 0, "again");
  /* no caps: no chown, ptrace refused; newer kernel: futex_waitv */
  is_int(s ? s->n_syscalls : 0, 5, "read/write, arch_prctl, futex_waitv, ptrace, personality");
  spec_seccomp_profile_free(s);
  s = NULL;
  const char bad[] = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"x\"], "
                     "\"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": \"CAP_X\"}}]}";
  is_err(spec_seccomp_profile_parse(bad, strlen(bad), "p.json", &ctx, &s, &err), err,
         "p.json: .syscalls[0].includes.caps: expected array", "a bad rule names its path");
}

int main(void)
{
  seccomp_profile();
  sizes();
  durations();
  cpus();
  pairs();
  misc();
  berth_error_free(&err);
  return tap_done();
}
