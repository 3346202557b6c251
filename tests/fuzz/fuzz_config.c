/* libFuzzer target: config.json (spec_config_parse, then what create
 * checks before it touches the host). See tests/fuzz/README.md. */
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct spec_config *c = NULL;
  berth_error_t err = NULL;
  if (spec_config_parse((const char *) data, size, "config.json", &c, &err) == 0)
    spec_config_free(c);
  berth_error_free(&err);
  return 0;
}
