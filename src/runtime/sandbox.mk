# runtime/sandbox fragment: berth sandbox (issue 18)
libberth_a_SOURCES += \
	src/runtime/sandbox.h src/runtime/sandbox_opts.c src/runtime/sandbox_dir.c \
	src/runtime/sandbox_config.h src/runtime/sandbox_config.c \
	src/runtime/cmd_sandbox.c
check_PROGRAMS += tests/unit/test_sandbox
tests_unit_test_sandbox_SOURCES = tests/unit/test_sandbox.c tests/unit/tap.h
tests_unit_test_sandbox_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_sandbox
