# runtime/rootless fragment: berth run by an ordinary user
libberth_a_SOURCES += src/runtime/rootless.c src/runtime/rootless.h src/runtime/nsgate.c src/runtime/nsgate.h
check_PROGRAMS += tests/unit/test_rootless
tests_unit_test_rootless_SOURCES = tests/unit/test_rootless.c tests/unit/tap.h
tests_unit_test_rootless_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_rootless
