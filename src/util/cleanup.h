/* Scope-bound cleanup: declare with one of these and the resource is
 * released on every return path. Use steal_pointer()/steal_fd() to hand
 * ownership out of the scope. */
#ifndef BERTH_CLEANUP_H
#define BERTH_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p)
{
  free(*(void **) p);
}

static inline void cleanup_closep(int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close(*fd);
      errno = saved;
    }
}

static inline void cleanup_fclosep(FILE **f)
{
  if (*f)
    fclose(*f);
}

static inline void cleanup_closedirp(DIR **d)
{
  if (*d)
    closedir(*d);
}

/* frees a NULL-terminated array of strings and the array */
static inline void cleanup_strvp(char ***v)
{
  if (*v)
    {
      for (char **i = *v; *i; i++)
        free(*i);
      free(*v);
    }
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(cleanup_freep)
#define _cleanup_close_ _cleanup_(cleanup_closep)
#define _cleanup_fclose_ _cleanup_(cleanup_fclosep)
#define _cleanup_closedir_ _cleanup_(cleanup_closedirp)
#define _cleanup_strv_ _cleanup_(cleanup_strvp)

static inline void *steal_pointer_impl(void *pp)
{
  void **p = pp;
  void *v = *p;
  *p = NULL;
  return v;
}
#define steal_pointer(pp) ((__typeof__(*(pp))) steal_pointer_impl(pp))

static inline int steal_fd(int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}

#endif
