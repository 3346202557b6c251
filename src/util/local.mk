libberth_a_SOURCES += \
	src/util/cleanup.h \
	src/util/error.c src/util/error.h \
	src/util/util.c src/util/util.h \
	src/util/log.c src/util/log.h

check_PROGRAMS += tests/unit/test_error
tests_unit_test_error_SOURCES = tests/unit/test_error.c tests/unit/tap.h
tests_unit_test_error_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_error
