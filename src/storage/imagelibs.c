/* dlopen of libarchive and libcrypto (see imagelibs.h). */
#define IMAGE_LIBS_NO_MACROS
#include "storage/imagelibs.h"

#include <dlfcn.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdbool.h>

struct image_libs image_libs;

static int open_lib(const char *soname, void **out, berth_error_t *err)
{
  *out = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!*out)
    return berth_fail(err, 0, "load %s (OCI images need it): %s", soname, dlerror());
  return 0;
}

int image_libs_load_crypto(berth_error_t *err)
{
  static bool loaded;
  if (loaded)
    return 0;
  void *crypto;
  if (open_lib(BERTH_LIBCRYPTO_SONAME, &crypto, err) < 0)
    return -1;
#define FROM_CRYPTO(name)                                                                          \
  if ((*(void **) &image_libs.name = dlsym(crypto, #name)) == NULL)                                \
    return berth_fail(err, 0, "%s: no symbol %s", BERTH_LIBCRYPTO_SONAME, #name);
  IMAGE_LIBS_CRYPTO_FUNCS(FROM_CRYPTO)
#undef FROM_CRYPTO
  /* no openssl.cnf: it could load engines or providers into berth, and
   * reading it is a third of the library's start-up */
  int (*init)(uint64_t, const OPENSSL_INIT_SETTINGS *);
  *(void **) &init = dlsym(crypto, "OPENSSL_init_crypto");
  if (!init || init(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1)
    return berth_fail(err, 0, "%s: OPENSSL_init_crypto failed", BERTH_LIBCRYPTO_SONAME);
  loaded = true;
  return 0;
}

int image_libs_load(berth_error_t *err)
{
  static bool loaded;
  if (loaded)
    return 0;
  if (image_libs_load_crypto(err) < 0)
    return -1;
  void *archive;
  if (open_lib(BERTH_LIBARCHIVE_SONAME, &archive, err) < 0)
    return -1;
#define FROM_ARCHIVE(name)                                                                         \
  if ((*(void **) &image_libs.name = dlsym(archive, #name)) == NULL)                               \
    return berth_fail(err, 0, "%s: no symbol %s", BERTH_LIBARCHIVE_SONAME, #name);
  IMAGE_LIBS_FUNCS(FROM_ARCHIVE)
#undef FROM_ARCHIVE
  loaded = true;
  return 0;
}
