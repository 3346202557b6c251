/* berth's one error convention.
 *
 * A function that can fail returns < 0 and fills a berth_error_t. The
 * error carries the errno it was caused by (0 when it is not a system
 * error) and a rendered message. As the error travels up, callers add
 * context with berth_wrap():
 *
 *     if (mount(...) < 0)
 *       return berth_fail_sys(err, "mount %s on %s", src, dst);
 *     ...
 *     if (ret < 0)
 *       return berth_wrap(err, "create %s", id);
 *
 * renders as "create c1: mount /proc on /x/proc: EPERM (operation not permitted)".
 * The caller owns the error: top level prints it and frees it (or declares
 * it _cleanup_error_). Functions never set an error that is already set;
 * berth_fail() frees a previous one to stay leak-free. Passing a NULL
 * berth_error_t * is a caller's bug: berth_fail() and berth_wrap() then log
 * the message at error level instead of crashing. */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

#include <errno.h>
#include <stdarg.h>

struct berth_error
{
  int errnum; /* errno value, 0 when not a system error */
  char *msg;  /* full rendered message, context first */
};
typedef struct berth_error *berth_error_t;

/* Set *err with errnum (may be 0) and a printf-style message. When errnum is
 * not 0 the message gets ": ENAME (description)". Returns -errnum, or -1 when
 * errnum is 0: always < 0, so `return berth_fail(...)` works. */
int berth_fail(berth_error_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int berth_failv(berth_error_t *err, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* berth_fail() with the current errno. */
#define berth_fail_sys(err, ...) berth_fail((err), errno, __VA_ARGS__)

/* Prefix the message of a set error with "context: ". Returns the same
 * value berth_fail() returned. Safe to call with *err NULL (then it sets a
 * generic error, so callers never lose the failure). */
int berth_wrap(berth_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Negative return value matching the error (-errnum or -1). */
int berth_error_ret(const berth_error_t err);

void berth_error_free(berth_error_t *err);

/* Message without prefix, "" for no error. */
const char *berth_error_msg(const berth_error_t err);

/* errno name ("EPERM"); "E?" for unknown values. */
const char *berth_errno_name(int errnum);

#define _cleanup_error_ __attribute__((cleanup(berth_error_free)))

#endif
