# cgroups module: sources are listed here by the module's owner
libberth_a_SOURCES += \
	src/cgroups/cgroups.h \
	src/cgroups/cgroups_internal.h \
	src/cgroups/cgroups.c \
	src/cgroups/cgroups_util.c \
	src/cgroups/cgroups_v1.c \
	src/cgroups/cgroups_v2.c \
	src/cgroups/usage.h src/cgroups/usage.c

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

# pause/resume, statistics, OOM events (cgcmds)
libberth_a_SOURCES += src/cgroups/freezer.c src/cgroups/stats.c src/cgroups/stats.h src/cgroups/events.c
check_PROGRAMS += tests/unit/test_cgroups_stats
tests_unit_test_cgroups_stats_SOURCES = tests/unit/test_cgroups_stats.c tests/unit/tap.h
tests_unit_test_cgroups_stats_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_cgroups_stats

# resources (issue 4): conversions, device rules and the v2 BPF filter, drivers
libberth_a_SOURCES += \
	src/cgroups/resources.h \
	src/cgroups/convert.c \
	src/cgroups/devices.c \
	src/cgroups/devices_bpf.c \
	src/cgroups/resources_v1.c \
	src/cgroups/resources_v2.c \
	src/cgroups/rt_v1.c

check_PROGRAMS += tests/unit/test_cgroups_convert
tests_unit_test_cgroups_convert_SOURCES = tests/unit/test_cgroups_convert.c tests/unit/tap.h
tests_unit_test_cgroups_convert_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_cgroups_convert

# the v1 realtime budget of berth's parent cgroups, on a fake tree of files
check_PROGRAMS += tests/unit/test_cgroups_rt
tests_unit_test_cgroups_rt_SOURCES = tests/unit/test_cgroups_rt.c tests/unit/tap.h
tests_unit_test_cgroups_rt_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_cgroups_rt

# the instruction sequence (pure); as root also the verifier and a real attach
check_PROGRAMS += tests/unit/test_devices_bpf
tests_unit_test_devices_bpf_SOURCES = tests/unit/test_devices_bpf.c tests/unit/tap.h
tests_unit_test_devices_bpf_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_devices_bpf

# the systemd driver (issue 15): the pure half (cgroupsPath, slices,
# properties) unit tested without root or D-Bus; sd-bus via dlopen
libberth_a_SOURCES += src/cgroups/systemd.h src/cgroups/systemd.c src/cgroups/systemd_props.c
check_PROGRAMS += tests/unit/test_cgroups_systemd
tests_unit_test_cgroups_systemd_SOURCES = tests/unit/test_cgroups_systemd.c tests/unit/tap.h
tests_unit_test_cgroups_systemd_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_cgroups_systemd
