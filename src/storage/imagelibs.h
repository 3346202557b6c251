/* libarchive and libcrypto, opened with dlopen on first use.
 *
 * Linking them would load about fifteen more shared objects (libxml2, ICU,
 * libstdc++, lzma, ...) at every exec of berth, image or not: about 5 ms
 * on each of create, start, state, exec... (issue 12). configure requires
 * both (headers, pkg-config) and records their sonames; the image code
 * calls image_libs_load() before it reads a blob, then calls the libraries
 * through the table below. A file that includes this header after
 * <archive.h>/<openssl/evp.h> calls them by their usual names: the
 * macros at the end route each name through the table. */
#ifndef BERTH_STORAGE_IMAGELIBS_H
#define BERTH_STORAGE_IMAGELIBS_H

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "util/error.h"

#define IMAGE_LIBS_FUNCS(X)                                                                        \
  X(archive_entry_filetype) X(archive_entry_gid) X(archive_entry_hardlink) X(archive_entry_mtime)  \
  X(archive_entry_mtime_nsec) X(archive_entry_pathname) X(archive_entry_perm)                      \
  X(archive_entry_rdevmajor) X(archive_entry_rdevminor) X(archive_entry_size)                      \
  X(archive_entry_size_is_set) X(archive_entry_symlink) X(archive_entry_uid)                       \
  X(archive_entry_xattr_next) X(archive_entry_xattr_reset) X(archive_errno) X(archive_error_string) \
  X(archive_filter_code) X(archive_filter_name) X(archive_read_data) X(archive_read_data_block)    \
  X(archive_read_free) X(archive_read_new) X(archive_read_next_header) X(archive_read_open2)       \
  X(archive_read_open_fd) X(archive_read_support_filter_gzip) X(archive_read_support_filter_zstd)  \
  X(archive_read_support_format_raw) X(archive_read_support_format_tar) X(archive_set_error)

#define IMAGE_LIBS_CRYPTO_FUNCS(X)                                                                 \
  X(EVP_Digest) X(EVP_DigestFinal_ex) X(EVP_DigestInit_ex) X(EVP_DigestUpdate) X(EVP_MD_CTX_free)  \
  X(EVP_MD_CTX_new) X(EVP_sha256)

#define IMAGE_LIBS_FIELD(name) __typeof__(name) *name;
struct image_libs
{
  IMAGE_LIBS_FUNCS(IMAGE_LIBS_FIELD)
  IMAGE_LIBS_CRYPTO_FUNCS(IMAGE_LIBS_FIELD)
};
#undef IMAGE_LIBS_FIELD

extern struct image_libs image_libs;

/* Open both libraries and resolve every function (once per process);
 * an error names the library and the missing symbol. libarchive, with
 * its libxml2 and ICU, costs a few ms: a create whose layers are all in
 * the store loads libcrypto only (the documents' digests). */
int image_libs_load(berth_error_t *err);
int image_libs_load_crypto(berth_error_t *err);

#ifndef IMAGE_LIBS_NO_MACROS
#define archive_entry_filetype (*image_libs.archive_entry_filetype)
#define archive_entry_gid (*image_libs.archive_entry_gid)
#define archive_entry_hardlink (*image_libs.archive_entry_hardlink)
#define archive_entry_mtime (*image_libs.archive_entry_mtime)
#define archive_entry_mtime_nsec (*image_libs.archive_entry_mtime_nsec)
#define archive_entry_pathname (*image_libs.archive_entry_pathname)
#define archive_entry_perm (*image_libs.archive_entry_perm)
#define archive_entry_rdevmajor (*image_libs.archive_entry_rdevmajor)
#define archive_entry_rdevminor (*image_libs.archive_entry_rdevminor)
#define archive_entry_size (*image_libs.archive_entry_size)
#define archive_entry_size_is_set (*image_libs.archive_entry_size_is_set)
#define archive_entry_symlink (*image_libs.archive_entry_symlink)
#define archive_entry_uid (*image_libs.archive_entry_uid)
#define archive_entry_xattr_next (*image_libs.archive_entry_xattr_next)
#define archive_entry_xattr_reset (*image_libs.archive_entry_xattr_reset)
#define archive_errno (*image_libs.archive_errno)
#define archive_error_string (*image_libs.archive_error_string)
#define archive_filter_code (*image_libs.archive_filter_code)
#define archive_filter_name (*image_libs.archive_filter_name)
#define archive_read_data (*image_libs.archive_read_data)
#define archive_read_data_block (*image_libs.archive_read_data_block)
#define archive_read_free (*image_libs.archive_read_free)
#define archive_read_new (*image_libs.archive_read_new)
#define archive_read_next_header (*image_libs.archive_read_next_header)
#define archive_read_open2 (*image_libs.archive_read_open2)
#define archive_read_open_fd (*image_libs.archive_read_open_fd)
#define archive_read_support_filter_gzip (*image_libs.archive_read_support_filter_gzip)
#define archive_read_support_filter_zstd (*image_libs.archive_read_support_filter_zstd)
#define archive_read_support_format_raw (*image_libs.archive_read_support_format_raw)
#define archive_read_support_format_tar (*image_libs.archive_read_support_format_tar)
#define archive_set_error (*image_libs.archive_set_error)
#define EVP_Digest (*image_libs.EVP_Digest)
#define EVP_DigestFinal_ex (*image_libs.EVP_DigestFinal_ex)
#define EVP_DigestInit_ex (*image_libs.EVP_DigestInit_ex)
#define EVP_DigestUpdate (*image_libs.EVP_DigestUpdate)
#define EVP_MD_CTX_free (*image_libs.EVP_MD_CTX_free)
#define EVP_MD_CTX_new (*image_libs.EVP_MD_CTX_new)
#define EVP_sha256 (*image_libs.EVP_sha256)
#endif

#endif
