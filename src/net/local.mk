# net module: bridge networking through libmnl
libberth_a_SOURCES += \
	src/net/net.h \
	src/net/nl.h \
	src/net/addr.c \
	src/net/config.c \
	src/net/lease.c \
	src/net/nlmsg.c \
	src/net/nl.c \
	src/net/net.c

check_PROGRAMS += tests/unit/test_net_addr tests/unit/test_net_nlmsg
tests_unit_test_net_addr_SOURCES = tests/unit/test_net_addr.c tests/unit/tap.h
tests_unit_test_net_addr_LDADD = $(UNIT_LDADD)
tests_unit_test_net_nlmsg_SOURCES = tests/unit/test_net_nlmsg.c tests/unit/tap.h
tests_unit_test_net_nlmsg_LDADD = $(UNIT_LDADD)
TESTS += tests/unit/test_net_addr tests/unit/test_net_nlmsg
