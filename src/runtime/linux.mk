# runtime/linux fragment: rootfs, devices, console, process settings, sysctl
libberth_a_SOURCES += \
	src/runtime/linux.h \
	src/runtime/rootfs.c \
	src/runtime/devices.c \
	src/runtime/hosttrees.c src/runtime/hosttrees.h \
	src/runtime/console.c \
	src/runtime/process.c \
	src/runtime/home.c \
	src/runtime/validate.c \
	src/runtime/sysctl.c

check_PROGRAMS += tests/unit/test_sysctl tests/unit/test_process tests/unit/test_compat
tests_unit_test_sysctl_SOURCES = tests/unit/test_sysctl.c tests/unit/tap.h
tests_unit_test_sysctl_LDADD = $(UNIT_LDADD)
tests_unit_test_process_SOURCES = tests/unit/test_process.c tests/unit/tap.h
tests_unit_test_process_LDADD = $(UNIT_LDADD)
tests_unit_test_compat_SOURCES = tests/unit/test_compat.c tests/unit/tap.h
tests_unit_test_compat_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_sysctl tests/unit/test_process tests/unit/test_compat
# runtime/seccomp fragment
libberth_a_SOURCES += src/runtime/seccomp.c src/runtime/seccomp.h
libberth_a_SOURCES += src/runtime/seccomp_cache.c src/runtime/seccomp_cache.h
check_PROGRAMS += tests/unit/test_seccomp tests/helpers/seccomp_listener
tests_unit_test_seccomp_SOURCES = tests/unit/test_seccomp.c tests/unit/tap.h
tests_unit_test_seccomp_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_seccomp
check_PROGRAMS += tests/unit/test_seccomp_cache
tests_unit_test_seccomp_cache_SOURCES = tests/unit/test_seccomp_cache.c tests/unit/tap.h
tests_unit_test_seccomp_cache_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_seccomp_cache
tests_helpers_seccomp_listener_SOURCES = tests/helpers/seccomp_listener.c
