/* libFuzzer target: the OCI image documents an image layout holds
 * (index.json, manifests, image configs; all attacker-written), and the
 * image config -> process conversion with an /etc/passwd from the input.
 * The first byte picks the document. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/image.h"

static void fuzz_config(const char *text, size_t len)
{
  berth_error_t err = NULL;
  struct image_config *c = NULL;
  /* the passwd text: after the first NUL, if any */
  const char *nul = memchr(text, '\0', len);
  size_t json_len = nul ? (size_t) (nul - text) : len;
  char *passwd = nul ? strndup(nul + 1, len - json_len - 1) : NULL;
  if (image_config_parse(text, json_len, "config", &c, &err) == 0)
    {
      const char *base[] = { "PATH=/bin", NULL };
      struct image_process p = { 0 };
      if (image_config_to_process(c, base, passwd, passwd, &p, &err) == 0)
        image_process_free(&p);
      image_config_free(c);
    }
  free(passwd);
  berth_error_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  const char *text = (const char *) data + 1;
  size_t len = size - 1;
  berth_error_t err = NULL;
  switch (data[0] % 3)
    {
    case 0:
      {
        struct image_index *i = NULL;
        if (image_index_parse(text, len, "index.json", &i, &err) == 0)
          {
            size_t pick;
            berth_error_t e2 = NULL;
            image_index_pick(i, "latest", "amd64", "index.json", &pick, &e2);
            berth_error_free(&e2);
            image_index_free(i);
          }
        break;
      }
    case 1:
      {
        struct image_manifest *m = NULL;
        if (image_manifest_parse(text, len, "manifest", &m, &err) == 0)
          image_manifest_free(m);
        break;
      }
    default:
      fuzz_config(text, len);
    }
  berth_error_free(&err);
  return 0;
}
