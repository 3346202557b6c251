/* Small helpers shared by every module. Allocation failure aborts: a
 * runtime that cannot allocate a few bytes cannot do anything useful. */
#ifndef BERTH_UTIL_H
#define BERTH_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "util/cleanup.h"
#include "util/error.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* xreallocarray: overflow-checked n * size */
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static inline bool str_eq(const char *a, const char *b)
{
  return a && b && strcmp(a, b) == 0;
}
static inline bool str_has_prefix(const char *s, const char *prefix)
{
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* number of entries in a NULL-terminated string array */
size_t strv_len(char *const *v);
void strv_free(char **v);

/* One UTF-8 sequence at s (n bytes available), strictly (RFC 3629): no
 * overlong forms, no surrogates (U+D800-DFFF), nothing above U+10FFFF.
 * Returns its length (1-4) with *cp, or 0 when s does not start one. */
size_t utf8_decode_strict(const unsigned char *s, size_t n, uint32_t *cp);

/* s for a terminal or a log line: control characters, DEL and bytes that
 * are not strict UTF-8 become \xNN; C1 controls and the invisible
 * formatting and bidi characters (U+200B-200F, U+2028-202E, U+2060-206F,
 * U+FEFF) become \uXXXX. Printable text, backslashes included, is kept,
 * so escaping twice changes nothing. Malloc'ed. */
char *str_escape_nonprintable(const char *s);

/* write all of buf, retrying on EINTR and short writes; < 0 with errno set */
int write_all(int fd, const void *buf, size_t len);
/* read the whole fd into a NUL-terminated buffer (at most max_len bytes,
 * else -EFBIG); returns 0 and sets *out and *out_len */
int read_all_fd(int fd, size_t max_len, char **out, size_t *out_len, berth_error_t *err);
/* read a whole regular file relative to dirfd (AT_FDCWD for plain paths);
 * a FIFO, device, socket or directory is refused at once */
int read_file_at(int dirfd, const char *path, size_t max_len, char **out, size_t *out_len,
                 berth_error_t *err);
/* write a file atomically: temp file in the same directory, then rename.
 * No fsync: every caller writes volatile runtime state (state store, pid
 * files) where readers must never see a torn file, but nothing has to
 * survive a power loss; an fsync per write cost milliseconds on disk. */
int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
                         berth_error_t *err);
/* write a short string to an existing file (cgroup/proc/sys knobs) */
int write_file_at(int dirfd, const char *path, const char *data, size_t len, berth_error_t *err);

/* strict decimal parsers: whole string, no sign surprises, range-checked; < 0 on bad input */
int parse_int64(const char *s, long long *out);
int parse_uint64(const char *s, unsigned long long *out);

#endif
