/* Checks shared by the config, process and state parsers. */
#include "spec/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

bool spec_is_absolute(const char *path)
{
  return path && path[0] == '/';
}

int spec_check_enum(struct jctx *c, const struct jpath *p, const char *what, const char *value,
                    const char *const *allowed, size_t n_allowed)
{
  for (size_t i = 0; i < n_allowed; i++)
    if (strcmp(value, allowed[i]) == 0)
      return 0;
  /* the list is short and fixed; the value may be long: cut it */
  char *list = xstrdup("");
  for (size_t i = 0; i < n_allowed; i++)
    {
      char *next = xasprintf("%s%s%s", list, i ? ", " : "", allowed[i]);
      free(list);
      list = next;
    }
  int ret = jfail(c, p, "unknown %s \"%.64s\" (one of %s)", what, value, list);
  free(list);
  return ret;
}

int spec_parse_id_mapping(struct jctx *c, const struct jnode *n, const struct jpath *p, void *elem)
{
  struct spec_id_mapping *m = elem;
  if (jexpect(c, n, p, JSON_OBJECT) < 0 || jrequire(c, n, p, "containerID") < 0
      || jrequire(c, n, p, "hostID") < 0 || jrequire(c, n, p, "size") < 0
      || jf_u32(c, n, p, "containerID", UINT32_MAX, &m->container_id) < 0
      || jf_u32(c, n, p, "hostID", UINT32_MAX, &m->host_id) < 0
      || jf_u32(c, n, p, "size", UINT32_MAX, &m->size) < 0)
    return -1;
  return 0;
}
