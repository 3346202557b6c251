# runtime: each part lists its files in its own fragment
libberth_a_SOURCES += src/runtime/cli.c src/runtime/commands.c src/runtime/sealed.c src/runtime/sealed.h src/runtime/cli.h src/runtime/init.h src/runtime/state.h
include $(srcdir)/src/runtime/cli.mk
include $(srcdir)/src/runtime/lifecycle.mk
include $(srcdir)/src/runtime/linux.mk
include $(srcdir)/src/runtime/rootless.mk
include $(srcdir)/src/runtime/image.mk
include $(srcdir)/src/runtime/sandbox.mk
check_PROGRAMS += tests/unit/test_sealed
tests_unit_test_sealed_SOURCES = tests/unit/test_sealed.c tests/unit/tap.h
tests_unit_test_sealed_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_sealed
include $(srcdir)/src/runtime/criu.mk
