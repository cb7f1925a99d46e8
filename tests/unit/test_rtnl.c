/*
 * lib/rtnl.c (netlink by hand since libmnl went): requests the kernel accepts,
 * the errno of one it refuses, and a request too large for its buffer.  Runs in a
 * network namespace of its own, so nothing touches the host's links; without one
 * (not root, no CONFIG_NET_NS) every test is skipped, saying why.
 */
#define _GNU_SOURCE
#include "unit.h"
#include "lib/rtnl.h"

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

static char no_netns[120];

static int own_netns(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNET) < 0)
		snprintf(no_netns, sizeof(no_netns), "unshare(CLONE_NEWNET): %s", strerror(errno));
	return 0;
}

#define NEED_NETNS()                                                                               \
	do {                                                                                       \
		if (no_netns[0]) {                                                                 \
			print_message("# SKIP reason: %s\n", no_netns);                            \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static void bridge_veth_address_route(void **state)
{
	(void)state;
	NEED_NETNS();
	struct rtnl *nl = rtnl_open();
	assert_non_null(nl);
	assert_int_equal(rtnl_link_up(nl, "lo"), 0);
	assert_int_equal(rtnl_link_add(nl, "tbr0", "bridge", NULL, 0, NULL, true), 0);
	/* the one-step form diyc run uses: a veth born enslaved and up */
	assert_int_equal(rtnl_link_add(nl, "tv0", "veth", "tv1", 0, "tbr0", true), 0);
	assert_true(if_nametoindex("tv1") > 0);
	assert_int_equal(rtnl_link_alias(nl, "tv0", "a container's end"), 0);
	assert_int_equal(rtnl_addr_add(nl, "tbr0", 0x0a580001, 24), 0);
	assert_int_equal(rtnl_addr_add(nl, "tv1", 0x0a580002, 24), 0);
	assert_int_equal(rtnl_link_up(nl, "tv1"), 0);
	assert_int_equal(rtnl_route_default(nl, "tv1", 0x0a580001), 0);
	assert_int_equal(rtnl_link_del(nl, "tv0"), 0);
	assert_int_equal(if_nametoindex("tv1"), 0); /* a veth goes with its peer */
	assert_int_equal(rtnl_link_del(nl, "tbr0"), 0);
	rtnl_close(nl);
}

static void kernel_errors_come_back(void **state)
{
	(void)state;
	NEED_NETNS();
	struct rtnl *nl = rtnl_open();
	assert_non_null(nl);
	assert_int_equal(rtnl_link_add(nl, "tbr1", "bridge", NULL, 0, NULL, false), 0);
	assert_int_equal(rtnl_link_add(nl, "tbr1", "bridge", NULL, 0, NULL, false), EEXIST);
	assert_int_equal(rtnl_link_add(nl, "tx0", "no-such-kind", NULL, 0, NULL, false),
			 EOPNOTSUPP);
	assert_int_equal(rtnl_link_set_master(nl, "lo", "tbr1"), EINVAL); /* lo: never */
	assert_int_equal(rtnl_link_del(nl, "tbr1"), 0);
	assert_int_equal(rtnl_link_del(nl, "tbr1"), ENODEV);
	assert_int_equal(rtnl_addr_add(nl, "nosuchdev", 1, 8), ENODEV);
	/* after an error the next request still gets its own ack */
	assert_int_equal(rtnl_link_up(nl, "lo"), 0);
	rtnl_close(nl);
}

static void too_large_for_the_buffer(void **state)
{
	(void)state;
	NEED_NETNS();
	struct rtnl *nl = rtnl_open();
	assert_non_null(nl);
	char alias[5000];
	memset(alias, 'a', sizeof(alias) - 1);
	alias[sizeof(alias) - 1] = '\0';
	assert_int_equal(rtnl_link_alias(nl, "lo", alias), EMSGSIZE);
	assert_int_equal(rtnl_link_alias(nl, "lo", "short"), 0); /* the flag does not stick */
	rtnl_close(nl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bridge_veth_address_route),
	    cmocka_unit_test(kernel_errors_come_back),
	    cmocka_unit_test(too_large_for_the_buffer),
	};
	return cmocka_run_group_tests_name("rtnl", tests, own_netns, NULL);
}
