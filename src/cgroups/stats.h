/* Pure parsers of cgroup statistic files (no I/O; unit-tested from sample
 * text in tests/unit/test_cgroups_stats.c). stats.c reads the files and
 * calls these. Each fills a struct spec_stats (spec/events.h); a line it
 * does not understand is skipped, never an error, because the kernel adds
 * keys over time. */
#ifndef BERTH_CGROUPS_STATS_H
#define BERTH_CGROUPS_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "spec/events.h"

/* "key value" lines (cpu.stat, memory.stat, memory.events, cpuacct.stat):
 * the value of key, false when absent or not a number. */
bool cgroup_stat_lookup(const char *text, const char *key, uint64_t *out);

/* one number, or "max" (then UINT64_MAX); trailing newline allowed */
bool cgroup_stat_parse_value(const char *text, uint64_t *out);

/* "12 34 56" (cpuacct.usage_percpu); *out malloc'ed */
void cgroup_stat_parse_u64_list(const char *text, uint64_t **out, size_t *n);

/* v2 cpu.stat (microseconds) into cpu.usage and cpu.throttling (ns) */
void cgroup_stats_parse_cpu_v2(const char *cpu_stat, struct spec_stats *s);
/* v1: cpuacct.stat (user/system in clock ticks of tick_hz) into
 * cpu.usage.user/kernel; cpu.stat's throttling into cpu.throttling */
void cgroup_stats_parse_cpuacct_v1(const char *cpuacct_stat, long tick_hz, struct spec_stats *s);
void cgroup_stats_parse_cpu_throttling_v1(const char *cpu_stat, struct spec_stats *s);

/* memory.stat: every key into memory.raw; cache from "cache" (v1) or
 * "file" (v2) */
void cgroup_stats_parse_memory_stat(const char *text, bool v2, struct spec_stats *s);

/* v1 blkio.*_recursive lines "8:0 Read 4096" ("Total N" skipped) */
void cgroup_stats_parse_blkio_v1(const char *text, struct spec_blkio_list *out);
/* v2 io.stat "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...": bytes as
 * Read/Write into service_bytes, ios as Read/Write into serviced */
void cgroup_stats_parse_io_stat_v2(const char *text, struct spec_stats *s);

#endif
