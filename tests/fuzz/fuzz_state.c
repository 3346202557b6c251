/* libFuzzer target: a container's state.json (spec_state_parse), which
 * every command but create reads. */
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct spec_state *s = NULL;
  berth_error_t err = NULL;
  if (spec_state_parse((const char *) data, size, "state.json", &s, &err) == 0)
    spec_state_free(s);
  berth_error_free(&err);
  return 0;
}
