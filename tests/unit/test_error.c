#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "tap.h"
#include "util/error.h"
#include "util/util.h"

static int inner(berth_error_t *err)
{
  errno = EPERM;
  return berth_fail_sys(err, "mount %s on %s", "/proc", "/run/x/rootfs/proc");
}

static int outer(berth_error_t *err)
{
  int ret = inner(err);
  if (ret < 0)
    return berth_wrap(err, "create %s", "c1");
  return 0;
}

static void test_escape(void)
{
  struct
  {
    const char *in, *want, *name;
  } cases[] = {
    {"plain text, caf\xc3\xa9 \\ \"q\"", "plain text, caf\xc3\xa9 \\ \"q\"", "printable UTF-8 and backslashes kept"},
    {"a\x1b[31mred\x1b[0m", "a\\x1b[31mred\\x1b[0m", "terminal escapes"},
    {"l1\nl2\r\t\x7f", "l1\\x0al2\\x0d\\x09\\x7f", "newline, CR, tab, DEL"},
    {"\xc2\x9b" "2J", "\\u009b2J", "C1 CSI"},
    {"x\xe2\x80\xae" "evil", "x\\u202eevil", "bidi override"},
    {"\xef\xbb\xbf" "bom", "\\ufeffbom", "BOM"},
    {"\xc0\xaf\xff\xed\xa0\x80", "\\xc0\\xaf\\xff\\xed\\xa0\\x80", "invalid UTF-8 bytewise"},
    {"trunc\xe2\x82", "trunc\\xe2\\x82", "truncated sequence"},
    {"", "", "empty"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      char *got = str_escape_nonprintable(cases[i].in);
      is_str(got, cases[i].want, "escape: %s", cases[i].name);
      char *again = str_escape_nonprintable(got);
      is_str(again, got, "escape twice: %s", cases[i].name);
      free(again);
      free(got);
    }
  uint32_t cp = 0;
  is_int(utf8_decode_strict((const unsigned char *) "\xf4\x8f\xbf\xbf", 4, &cp), 4, "U+10FFFF decodes");
  is_int(cp, 0x10ffff, "U+10FFFF value");
  is_int(utf8_decode_strict((const unsigned char *) "\xe0\xa0\x80", 2, &cp), 0, "short buffer");
}

int main(void)
{
  test_escape();
  {
    _cleanup_error_ berth_error_t err = NULL;
    int ret = outer(&err);
    is_int(ret, -EPERM, "return value is -errno");
    is_str(err->msg, "create c1: mount /proc on /run/x/rootfs/proc: EPERM (operation not permitted)",
           "context is prepended, errno rendered");
    is_int(err->errnum, EPERM, "errnum kept through wrap");
  }
  {
    _cleanup_error_ berth_error_t err = NULL;
    int ret = berth_fail(&err, 0, "bad %s", "thing");
    is_int(ret, -1, "no errno: -1");
    is_str(berth_error_msg(err), "bad thing", "plain message");
    berth_fail(&err, ENOENT, "second");
    is_str(err->msg, "second: ENOENT (no such file or directory)", "a second fail replaces the first");
  }
  {
    berth_error_t err = NULL;
    int ret = berth_wrap(&err, "ctx");
    ok(ret < 0 && err != NULL, "wrap without an error still reports a failure");
    berth_error_free(&err);
    ok(err == NULL, "free resets the pointer");
  }
  {
    /* a caller that passes no error: logged, never a crash */
    int saved = dup(2);
    int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    dup2(devnull, 2);
    int ret = berth_fail(NULL, EPIPE, "send to %s", "a dead peer");
    int wret = berth_wrap(NULL, "ctx %d", 1);
    dup2(saved, 2);
    close(saved);
    close(devnull);
    is_int(ret, -EPIPE, "fail with a NULL error returns -errno");
    ok(wret < 0, "wrap with a NULL error returns < 0");
    berth_error_free(NULL);
    ok(1, "free of a NULL pointer");
  }
  {
    long long v;
    unsigned long long u;
    ok(parse_int64("-12", &v) == 0 && v == -12, "parse_int64 negative");
    ok(parse_int64("12x", &v) < 0, "parse_int64 rejects trailing junk");
    ok(parse_int64("", &v) < 0, "parse_int64 rejects empty");
    ok(parse_int64("99999999999999999999", &v) == -ERANGE, "parse_int64 range");
    ok(parse_uint64("-1", &u) < 0, "parse_uint64 rejects sign");
    ok(parse_uint64("18446744073709551615", &u) == 0 && u == 18446744073709551615ULL, "parse_uint64 max");
  }
  {
    char dir[] = "/tmp/berth-test-XXXXXX";
    ok(mkdtemp(dir) != NULL, "mkdtemp");
    int dfd = open(dir, O_DIRECTORY | O_CLOEXEC);
    _cleanup_error_ berth_error_t err = NULL;
    ok(write_file_atomic_at(dfd, "f", "hello", 5, 0600, &err) == 0, "atomic write");
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    ok(read_file_at(dfd, "f", 100, &buf, &len, &err) == 0 && len == 5 && strcmp(buf, "hello") == 0,
       "read back");
    free(buf);
    buf = NULL;
    /* replacing goes through RENAME_EXCHANGE: the new content, no temporary left */
    ok(write_file_atomic_at(dfd, "f", "world!", 6, 0600, &err) == 0, "atomic replace");
    ok(read_file_at(dfd, "f", 100, &buf, &len, &err) == 0 && len == 6 && strcmp(buf, "world!") == 0,
       "replaced content read back");
    free(buf);
    buf = NULL;
    struct stat st;
    _cleanup_free_ char *tmp = xasprintf("f.tmp.%d", (int) getpid());
    ok(fstatat(dfd, tmp, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT, "no temporary file left");
    int ret = read_file_at(dfd, "f", 3, &buf, &len, &err);
    is_err(ret, err, "more than 3 bytes", "read bound enforced");
    ret = read_file_at(dfd, "missing", 3, &buf, &len, &err);
    is_err(ret, err, "open missing: ENOENT", "missing file named");
    unlinkat(dfd, "f", 0);
    close(dfd);
    rmdir(dir);
  }
  return tap_done();
}
