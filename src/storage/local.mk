# storage module: sources are listed here by the module's owner
libberth_a_SOURCES += \
	src/storage/storage.h \
	src/storage/path.c \
	src/storage/mountopts.c \
	src/storage/mount.c \
	src/storage/copyup.c

check_PROGRAMS += tests/unit/test_storage_path tests/unit/test_mountopts
tests_unit_test_storage_path_SOURCES = tests/unit/test_storage_path.c tests/unit/tap.h
tests_unit_test_storage_path_LDADD = $(UNIT_LDADD)
tests_unit_test_mountopts_SOURCES = tests/unit/test_mountopts.c tests/unit/tap.h
tests_unit_test_mountopts_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_storage_path tests/unit/test_mountopts

# overlay rootfs from layers (annotations run.berth.storage.*)
libberth_a_SOURCES += src/storage/overlay.h src/storage/overlay.c
check_PROGRAMS += tests/unit/test_overlay
tests_unit_test_overlay_SOURCES = tests/unit/test_overlay.c tests/unit/tap.h
tests_unit_test_overlay_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_overlay

# checked procfs handles for berth's own writes into /proc
libberth_a_SOURCES += src/storage/procfs.h src/storage/procfs.c
check_PROGRAMS += tests/unit/test_procfs
tests_unit_test_procfs_SOURCES = tests/unit/test_procfs.c tests/unit/tap.h
tests_unit_test_procfs_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_procfs

# mountinfo table and the mounts outside a root (--no-pivot detaches them)
libberth_a_SOURCES += src/storage/mountinfo.h src/storage/mountinfo.c
check_PROGRAMS += tests/unit/test_mountinfo
tests_unit_test_mountinfo_SOURCES = tests/unit/test_mountinfo.c tests/unit/tap.h
tests_unit_test_mountinfo_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_mountinfo

# OCI image layouts and the shared layer store (issue 17)
libberth_a_SOURCES += src/storage/layer.h src/storage/layer.c src/storage/image.h src/storage/image.c \
	src/storage/imagelibs.h src/storage/imagelibs.c
check_PROGRAMS += tests/unit/test_layer
tests_unit_test_layer_SOURCES = tests/unit/test_layer.c tests/unit/tap.h
tests_unit_test_layer_LDADD = $(UNIT_LDADD)
tests_unit_test_layer_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_DATA_DIR='"$(abs_top_srcdir)/tests/unit/data"'
TESTS += tests/unit/test_layer
