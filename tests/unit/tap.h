/* Minimal TAP producer for berth's unit tests (automake's tap-driver reads it).
 *   ok(cond, "name %d", i);  is_int(a, b, "name");  is_str(a, b, "name");
 *   return tap_done();   -- prints the plan, exit status 1 if anything failed */
#ifndef BERTH_TAP_H
#define BERTH_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline __attribute__((format(printf, 2, 3))) int ok(int cond, const char *fmt, ...)
{
  va_list ap;
  tap_n++;
  printf("%sok %d - ", cond ? "" : "not ", tap_n);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  if (!cond)
    tap_failed++;
  fflush(stdout);
  return cond;
}

#define is_int(got, want, ...)                                                                   \
  do                                                                                             \
    {                                                                                            \
      long long g_ = (long long) (got), w_ = (long long) (want);                               \
      if (!ok(g_ == w_, __VA_ARGS__))                                                           \
        printf("#   got %lld, want %lld (%s:%d)\n", g_, w_, __FILE__, __LINE__);              \
    }                                                                                            \
  while (0)

#define is_str(got, want, ...)                                                                   \
  do                                                                                             \
    {                                                                                            \
      const char *g_ = (got), *w_ = (want);                                                      \
      if (!ok((g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0), __VA_ARGS__))     \
        printf("#   got \"%s\", want \"%s\" (%s:%d)\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)", \
               __FILE__, __LINE__);                                                              \
    }                                                                                            \
  while (0)

/* err_contains: the error message contains the text */
#define is_err(ret, errobj, text, ...)                                                           \
  do                                                                                             \
    {                                                                                            \
      int r_ = (int) (ret); /* first: ret may be the call that sets errobj */                  \
      const char *m_ = (errobj) ? (errobj)->msg : "(no error)";                                  \
      if (!ok(r_ < 0 && strstr(m_, (text)) != NULL, __VA_ARGS__))                                \
        printf("#   ret %d, message \"%s\", want it to contain \"%s\"\n", r_, m_, (text));      \
    }                                                                                            \
  while (0)

static inline int tap_done(void)
{
  printf("1..%d\n", tap_n);
  return tap_failed ? 1 : 0;
}

#endif
