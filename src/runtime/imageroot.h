/* run.berth.storage.image: the create path's use of the layer store. */
#ifndef BERTH_RUNTIME_IMAGEROOT_H
#define BERTH_RUNTIME_IMAGEROOT_H

#include "runtime/cli.h"
#include "spec/spec.h"
#include "util/error.h"

/* With the annotation run.berth.storage.image = DIR[:TAG]: unpack and
 * verify the image's layers into the store, record the container (its
 * state dir ROOT/ID) as their user, and set run.berth.storage.layers in
 * c to the layer directories, below the layers the annotation already
 * names. Without it: 0, nothing done. */
int imageroot_resolve(struct spec_config *c, const struct global_opts *g, const char *id, berth_error_t *err);

#endif
