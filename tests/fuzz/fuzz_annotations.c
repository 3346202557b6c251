/* libFuzzer target: the annotation parsers. The input is lines of
 * KEY=VALUE: every line goes to net_config_parse (run.berth.net.*); the
 * values of run.berth.storage.layers / .upper (the first of each) to
 * storage_overlay_parse. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "spec/spec.h"
#include "storage/overlay.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = xstrndup((const char *) data, size);
  size_t n = 0, cap = 8;
  struct spec_kv *kv = xcalloc(cap, sizeof *kv);
  const char *layers = NULL, *upper = NULL;
  for (char *line = text, *next; line; line = next)
    {
      next = strchr(line, '\n');
      if (next)
        *next++ = '\0';
      char *eq = strchr(line, '=');
      if (!eq)
        continue;
      *eq = '\0';
      if (n == cap)
        kv = xreallocarray(kv, cap *= 2, sizeof *kv);
      kv[n].key = line;
      kv[n].value = eq + 1;
      if (!layers && strcmp(line, STORAGE_ANN_LAYERS) == 0)
        layers = eq + 1;
      if (!upper && strcmp(line, STORAGE_ANN_UPPER) == 0)
        upper = eq + 1;
      n++;
    }
  berth_error_t err = NULL;
  struct net_config *nc = NULL;
  if (net_config_parse(kv, n, &nc, &err) == 0)
    net_config_free(nc);
  berth_error_free(&err);
  struct storage_overlay *ov = NULL;
  if (storage_overlay_parse(layers, upper, "config.json", &ov, &err) == 0)
    storage_overlay_free(ov);
  berth_error_free(&err);
  free(kv);
  free(text);
  return 0;
}
