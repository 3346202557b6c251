# runtime/criu fragment: checkpoint and restore through the criu binary
libberth_a_SOURCES += src/runtime/criu.c src/runtime/criu.h \
	src/runtime/cmd_checkpoint.c src/runtime/cmd_restore.c
check_PROGRAMS += tests/unit/test_criu
tests_unit_test_criu_SOURCES = tests/unit/test_criu.c tests/unit/tap.h
tests_unit_test_criu_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_criu
