/* libFuzzer target: one datagram of the kernel's answer to RTM_GETLINK,
 * as nl_get_link reads it (nl_parse_link_reply). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/nl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  /* netlink messages are 4-byte aligned in the kernel's buffer */
  static uint32_t buf[65536 / 4];
  if (size > sizeof buf)
    return 0;
  memcpy(buf, data, size);
  struct nl_link link;
  memset(&link, 0, sizeof link);
  nl_parse_link_reply(buf, size, 0, 0, &link);
  return 0;
}
