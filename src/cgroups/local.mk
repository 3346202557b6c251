# cgroups module: sources are listed here by the module's owner
libberth_a_SOURCES += \
	src/cgroups/cgroups.h \
	src/cgroups/cgroups_internal.h \
	src/cgroups/cgroups.c \
	src/cgroups/cgroups_util.c \
	src/cgroups/cgroups_v1.c \
	src/cgroups/cgroups_v2.c

# pure helpers, no root needed
check_PROGRAMS += tests/unit/test_cgroups
tests_unit_test_cgroups_SOURCES = tests/unit/test_cgroups.c tests/unit/tap.h
tests_unit_test_cgroups_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_cgroups

# real cgroupfs: create/enter/kill/destroy; skips when not root
check_PROGRAMS += tests/unit/test_cgroups_root
tests_unit_test_cgroups_root_SOURCES = tests/unit/test_cgroups_root.c tests/unit/tap.h
tests_unit_test_cgroups_root_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_cgroups_root

# by hand, as root: libcgroup's create+attach+delete cost (see cgroups_internal.h)
check_PROGRAMS += tests/unit/test_cgroups_bench_libcgroup
tests_unit_test_cgroups_bench_libcgroup_SOURCES = tests/unit/test_cgroups_bench_libcgroup.c
tests_unit_test_cgroups_bench_libcgroup_LDADD = $(UNIT_LDADD)
