# runtime/cli fragment
libberth_a_SOURCES += \
	src/runtime/state.c \
	src/runtime/cmd_features.c \
	src/runtime/cmd_list.c \
	src/runtime/cmd_spec.c \
	src/runtime/cmd_state.c

# pause, resume, update, ps, events (cgcmds)
libberth_a_SOURCES += src/runtime/cgcmds.h src/runtime/cgcmds.c \
	src/runtime/cmd_pause.c src/runtime/cmd_resume.c src/runtime/cmd_update.c \
	src/runtime/cmd_ps.c src/runtime/cmd_events.c
check_PROGRAMS += tests/unit/test_cgcmds
tests_unit_test_cgcmds_SOURCES = tests/unit/test_cgcmds.c tests/unit/tap.h
tests_unit_test_cgcmds_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_cgcmds

check_PROGRAMS += tests/unit/test_state tests/unit/test_cli
tests_unit_test_state_SOURCES = tests/unit/test_state.c tests/unit/tap.h
tests_unit_test_state_LDADD = $(UNIT_LDADD)
tests_unit_test_cli_SOURCES = tests/unit/test_cli.c tests/unit/tap.h
tests_unit_test_cli_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_state tests/unit/test_cli
