# runtime/lifecycle fragment
libberth_a_SOURCES += \
	src/runtime/container.c src/runtime/container.h \
	src/runtime/hostcheck.c src/runtime/hostcheck.h \
	src/runtime/init.c \
	src/runtime/sync.c src/runtime/sync.h \
	src/runtime/notify.c src/runtime/notify.h \
	src/runtime/hooks.c src/runtime/hooks.h \
	src/runtime/hookguard.c src/runtime/hookguard.h \
	src/runtime/interrupt.c src/runtime/interrupt.h \
	src/runtime/signals.c src/runtime/signals.h \
	src/runtime/cmd_create.c \
	src/runtime/cmd_start.c \
	src/runtime/cmd_run.c \
	src/runtime/cmd_kill.c \
	src/runtime/cmd_delete.c \
	src/runtime/salvage.c

check_PROGRAMS += tests/unit/test_lifecycle tests/helpers/recvtty
tests_unit_test_lifecycle_SOURCES = tests/unit/test_lifecycle.c tests/unit/tap.h
tests_unit_test_lifecycle_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_lifecycle
tests_helpers_recvtty_SOURCES = tests/helpers/recvtty.c

# exec, and the final steps of a container process shared by init and exec
libberth_a_SOURCES += \
	src/runtime/spawn.c src/runtime/spawn.h \
	src/runtime/foreground.c src/runtime/foreground.h \
	src/runtime/exec.c src/runtime/exec.h \
	src/runtime/cmd_exec.c
check_PROGRAMS += tests/unit/test_exec
tests_unit_test_exec_SOURCES = tests/unit/test_exec.c tests/unit/tap.h
tests_unit_test_exec_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_exec

check_PROGRAMS += tests/unit/test_hostcheck
tests_unit_test_hostcheck_SOURCES = tests/unit/test_hostcheck.c tests/unit/tap.h
tests_unit_test_hostcheck_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_hostcheck
