#include "util/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/util.h"

const char *berth_errno_name(int errnum)
{
  const char *n = strerrorname_np(errnum);
  return n ? n : "E?";
}

static int error_ret(int errnum)
{
  return errnum > 0 ? -errnum : -1;
}

/* A caller that passed no error to fill: a bug of that caller, but not
 * one worth a crash of a half-made container. The message is logged. */
static int report_lost_error(char *text, int errnum)
{
  berth_log_error("internal: an error with nowhere to go: %s", text);
  free(text);
  return error_ret(errnum);
}

int berth_failv(berth_error_t *err, int errnum, const char *fmt, va_list ap)
{
  char *text = xvasprintf(fmt, ap);
  if (errnum > 0)
    {
      char desc[128];
      /* GNU strerror_r returns a pointer, maybe not into desc */
      const char *d = strerror_r(errnum, desc, sizeof desc);
      char *full = xasprintf("%s: %s (%c%s)", text, berth_errno_name(errnum),
                             tolower((unsigned char) d[0]), d[0] ? d + 1 : "");
      free(text);
      text = full;
    }
  if (!err)
    return report_lost_error(text, errnum);
  if (*err)
    berth_error_free(err);
  *err = xmalloc(sizeof **err);
  (*err)->errnum = errnum;
  (*err)->msg = text;
  return error_ret(errnum);
}

int berth_fail(berth_error_t *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int ret = berth_failv(err, errnum, fmt, ap);
  va_end(ap);
  return ret;
}

int berth_wrap(berth_error_t *err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  char *ctx = xvasprintf(fmt, ap);
  va_end(ap);
  if (!err)
    return report_lost_error(ctx, 0);
  if (*err == NULL)
    berth_fail(err, 0, "unknown error");
  char *full = xasprintf("%s: %s", ctx, (*err)->msg);
  free(ctx);
  free((*err)->msg);
  (*err)->msg = full;
  return error_ret((*err)->errnum);
}

int berth_error_ret(const berth_error_t err)
{
  return err ? error_ret(err->errnum) : -1;
}

void berth_error_free(berth_error_t *err)
{
  if (err && *err)
    {
      free((*err)->msg);
      free(*err);
      *err = NULL;
    }
}

const char *berth_error_msg(const berth_error_t err)
{
  return err ? err->msg : "";
}
