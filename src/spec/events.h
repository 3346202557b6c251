/* What `events` and `ps` print, and what `update` stores: the container's
 * cgroup statistics in runc's event types (field names as runc's `types`
 * package writes them, so containerd's shim and other runc readers parse
 * them unchanged), and the emitters for them and for linux.resources.
 * src/cgroups fills struct spec_stats; only src/spec turns it into JSON. */
#ifndef BERTH_SPEC_EVENTS_H
#define BERTH_SPEC_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

/* One line of a blkio statistic: "8:0 Read 4096". */
struct spec_blkio_entry
{
  uint64_t major;
  uint64_t minor;
  char *op; /* "Read", "Write", "Sync", "Async", "Discard", "Total" */
  uint64_t value;
};

struct spec_blkio_list
{
  struct spec_blkio_entry *v;
  size_t n;
};

/* usage/limit/max/failcnt of one memory counter (bytes) */
struct spec_memory_entry
{
  uint64_t limit;
  uint64_t usage;
  uint64_t max;
  uint64_t failcnt;
};

struct spec_u64_kv
{
  char *key;
  uint64_t value;
};

struct spec_hugetlb_stats
{
  char *page_size; /* "2MB", the map key */
  uint64_t usage;
  uint64_t max;
  uint64_t failcnt;
};

struct spec_stats
{
  struct
  {
    uint64_t total; /* ns */
    uint64_t *percpu; /* ns per cpu (v1 only) */
    size_t n_percpu;
    uint64_t kernel; /* ns */
    uint64_t user;   /* ns */
    uint64_t periods;
    uint64_t throttled_periods;
    uint64_t throttled_time; /* ns */
  } cpu;
  struct
  {
    uint64_t cache;
    struct spec_memory_entry usage;
    struct spec_memory_entry swap; /* memory + swap, as v1's memsw */
    struct spec_memory_entry kernel;
    struct spec_memory_entry kernel_tcp;
    struct spec_u64_kv *raw; /* memory.stat, in file order */
    size_t n_raw;
  } memory;
  struct
  {
    uint64_t current;
    uint64_t limit; /* 0: no limit */
  } pids;
  struct
  {
    struct spec_blkio_list service_bytes; /* ioServiceBytesRecursive */
    struct spec_blkio_list serviced;      /* ioServicedRecursive */
  } blkio;
  struct spec_hugetlb_stats *hugetlb;
  size_t n_hugetlb;
};

/* Free everything a spec_stats owns and zero it. */
void spec_stats_clear(struct spec_stats *s);
/* Append helpers for the fillers (strings are copied). */
void spec_blkio_list_add(struct spec_blkio_list *l, uint64_t major, uint64_t minor, const char *op,
                         uint64_t value);
void spec_stats_raw_add(struct spec_stats *s, const char *key, uint64_t value);
struct spec_hugetlb_stats *spec_stats_hugetlb_add(struct spec_stats *s, const char *page_size);

/* One event line as runc's `events` writes it, compact, without newline:
 *   {"type":"stats","id":"ID","data":{"cpu":...,"memory":...,...}}
 *   {"type":"oom","id":"ID"}          (stats NULL: no "data") */
int spec_event_emit(const char *type, const char *id, const struct spec_stats *stats, char **out,
                    size_t *out_len, berth_error_t *err);

/* `ps --format json`: a JSON array of pids, "[12,34]" (no newline). */
int spec_pids_emit(const pid_t *pids, size_t n, char **out, size_t *out_len, berth_error_t *err);

/* ---------------------------------------------------------------- resources */

/* linux.resources as runtime-spec JSON (compact, no newline); what the
 * parser reads back to the same struct. */
int spec_resources_emit(const struct spec_resources *r, char **out, size_t *out_len, berth_error_t *err);

/* Merge src into dst, src winning: every scalar src sets replaces dst's,
 * every list or map src has replaces dst's whole list. Moves what it takes
 * out of src (free src afterwards as usual). */
void spec_resources_merge(struct spec_resources *dst, struct spec_resources *src);

#endif
