# runtime/image fragment: OCI images and the layer store (issue 17)
libberth_a_SOURCES += src/runtime/imageroot.c src/runtime/imageroot.h src/runtime/cmd_storage.c
