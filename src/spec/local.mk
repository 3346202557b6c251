# spec module: sources are listed here by the module's owner
libberth_a_SOURCES += \
	src/spec/spec.h src/spec/internal.h src/spec/json.h \
	src/spec/json.c src/spec/jconv.c src/spec/common.c \
	src/spec/process.c src/spec/config.c src/spec/linux.c src/spec/resources.c \
	src/spec/emit.c src/spec/state.c src/spec/defaults.c src/spec/features.c

SPEC_TESTS = tests/unit/test_spec_json tests/unit/test_spec_config tests/unit/test_spec_emit \
	tests/unit/test_spec_fuzz
check_PROGRAMS += $(SPEC_TESTS)
TESTS += $(SPEC_TESTS)
tests_unit_test_spec_json_SOURCES = tests/unit/test_spec_json.c tests/unit/tap.h
tests_unit_test_spec_json_LDADD = $(UNIT_LDADD)
tests_unit_test_spec_config_SOURCES = tests/unit/test_spec_config.c tests/unit/tap.h
tests_unit_test_spec_config_LDADD = $(UNIT_LDADD)
tests_unit_test_spec_emit_SOURCES = tests/unit/test_spec_emit.c tests/unit/tap.h
tests_unit_test_spec_emit_LDADD = $(UNIT_LDADD)
tests_unit_test_spec_fuzz_SOURCES = tests/unit/test_spec_fuzz.c tests/unit/tap.h
tests_unit_test_spec_fuzz_LDADD = $(UNIT_LDADD)
# fixtures: tests/unit/data (shipped by EXTRA_DIST's "tests")
SPEC_TEST_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_DATA_DIR='"$(abs_top_srcdir)/tests/unit/data"'
tests_unit_test_spec_config_CPPFLAGS = $(SPEC_TEST_CPPFLAGS)
tests_unit_test_spec_fuzz_CPPFLAGS = $(SPEC_TEST_CPPFLAGS)
# events/ps output and update's resources (cgcmds)
libberth_a_SOURCES += src/spec/events.h src/spec/events_emit.c src/spec/resources_emit.c
# OCI image-spec documents (issue 17)
libberth_a_SOURCES += src/spec/image.h src/spec/image.c
check_PROGRAMS += tests/unit/test_image
tests_unit_test_image_SOURCES = tests/unit/test_image.c tests/unit/tap.h
tests_unit_test_image_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_image
# berth sandbox: its config.json and report
libberth_a_SOURCES += src/spec/sandbox.h src/spec/sandbox_emit.c src/spec/seccomp_profile.c
