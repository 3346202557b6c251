/* Parent <-> container init messages over a SOCK_SEQPACKET socketpair:
 * one message per packet, a fixed header and an optional text payload
 * (error messages). */
#ifndef BERTH_SYNC_H
#define BERTH_SYNC_H

#include <stdint.h>

#include "util/error.h"

enum sync_type
{
  SYNC_GO = 1,        /* parent -> init: cgroup entered, id maps written; value = init pid seen by the parent */
  SYNC_HOOKS,         /* init -> parent: run prestart/createRuntime hooks now */
  SYNC_HOOKS_DONE,    /* parent -> init */
  SYNC_READY,         /* init -> parent: waiting on exec.fifo */
  SYNC_ERROR,         /* init -> parent: value = errno, payload = message */
  SYNC_PID,           /* intermediate -> parent: value = the init's pid */
  SYNC_PID_IN_CGROUP, /* the same, the init was born in its cgroup */
};

struct sync_msg
{
  uint32_t type;
  int32_t value;
};

#define SYNC_TEXT_MAX 8192

int sync_send(int fd, enum sync_type type, int32_t value, const char *text, berth_error_t *err);
/* sync_send() from a child about to exit, whose peer may be gone already
 * (berth killed mid-create): a failure only goes to the debug log. */
void sync_notify(int fd, enum sync_type type, int32_t value, const char *text);
/* Receive one message; text (malloc'ed, may be NULL) gets the payload.
 * EOF (the peer exited) is an error "peer closed the connection" (EPIPE). */
int sync_recv(int fd, struct sync_msg *msg, char **text, berth_error_t *err);
/* Receive and require type; a SYNC_ERROR becomes the returned error. */
int sync_expect(int fd, enum sync_type type, int32_t *value, berth_error_t *err);

#endif
