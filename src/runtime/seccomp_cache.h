/* A cache of compiled seccomp filters (root only).
 *
 * Compiling a big profile with libseccomp costs tens of milliseconds, and
 * engines pass the same profile for every container. seccomp_prepare()
 * looks the BPF program up here before compiling and stores it after.
 *
 * Key: a canonical serialization of everything the program depends on:
 * the plan (default action, architectures, every rule's name, number,
 * action and comparisons in order), libseccomp's version and API level,
 * the kernel release, berth's version and the entry format. The file name
 * is a 64-bit FNV-1a hash of the key; the entry holds the whole key and
 * then the instructions, and a lookup compares the key byte for byte, so
 * a hash collision can never hand out another profile's filter. A short,
 * corrupt or oversized entry is a miss (and is replaced).
 *
 * Directory: $BERTH_SECCOMP_CACHE_DIR, else /var/cache/berth/seccomp,
 * created 0700. It is used only when owned by the euid and not writable
 * by group or others; entries likewise. BERTH_SECCOMP_CACHE=0 turns the
 * cache off; at 256 files nothing is added. */
#ifndef BERTH_RUNTIME_SECCOMP_CACHE_H
#define BERTH_RUNTIME_SECCOMP_CACHE_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/seccomp.h"
#include "util/error.h"

#define SECCOMP_CACHE_DIR "/var/cache/berth/seccomp"
#define SECCOMP_CACHE_MAX_FILES 256
#define SECCOMP_CACHE_FORMAT 1

struct seccomp_cache_key
{
  unsigned char *data;
  size_t len;
  size_t cap;
};

/* ------------------------------------------------------------ pure parts */

/* the canonical key of plan on this system (libseccomp, kernel, berth) */
void seccomp_cache_key_build(const struct seccomp_plan *plan, struct seccomp_cache_key *key);
void seccomp_cache_key_free(struct seccomp_cache_key *key);
uint64_t seccomp_cache_hash(const void *data, size_t len);
/* the entry's file name: 16 hex digits (malloc'ed) */
char *seccomp_cache_entry_name(const struct seccomp_cache_key *key);
/* entry bytes: magic, format, key length, key, instruction count, instructions */
unsigned char *seccomp_cache_entry_build(const struct seccomp_cache_key *key, const struct sock_filter *insns,
                                         size_t n_insns, size_t *len);
/* true and *insns (malloc'ed) when data is a well-formed entry for exactly key */
bool seccomp_cache_entry_parse(const unsigned char *data, size_t len, const struct seccomp_cache_key *key,
                               struct sock_filter **insns, size_t *n_insns);

/* ------------------------------------------------------------ the directory */

/* open (creating it 0700) the cache directory at path; -1 and *err when it
 * cannot be made or is not safe (not owned by the euid, group/other writable) */
int seccomp_cache_open_dir(const char *path, berth_error_t *err);
/* the directory for this process, or -1 (cache off, not root, unsafe: logged) */
int seccomp_cache_open(void);
/* true and *insns when dirfd holds a valid entry for key */
bool seccomp_cache_lookup(int dirfd, const struct seccomp_cache_key *key, struct sock_filter **insns,
                          size_t *n_insns);
/* store the program for key (best effort, false when not stored) */
bool seccomp_cache_store(int dirfd, const struct seccomp_cache_key *key, const struct sock_filter *insns,
                         size_t n_insns);

#endif
