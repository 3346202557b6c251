# runtime/cli fragment
libberth_a_SOURCES += \
	src/runtime/state.c \
	src/runtime/cmd_features.c \
	src/runtime/cmd_list.c \
	src/runtime/cmd_spec.c \
	src/runtime/cmd_state.c

check_PROGRAMS += tests/unit/test_state tests/unit/test_cli
tests_unit_test_state_SOURCES = tests/unit/test_state.c tests/unit/tap.h
tests_unit_test_state_LDADD = $(UNIT_LDADD)
tests_unit_test_cli_SOURCES = tests/unit/test_cli.c tests/unit/tap.h
tests_unit_test_cli_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_state tests/unit/test_cli
