/* libFuzzer target: exec --process process.json (spec_process_parse). */
#include <stddef.h>
#include <stdint.h>

#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct spec_process *p = NULL;
  berth_error_t err = NULL;
  if (spec_process_parse((const char *) data, size, "process.json", &p, &err) == 0)
    spec_process_free(p);
  berth_error_free(&err);
  return 0;
}
