/* -p specifications (netsetup/ports.c) and network names (netsetup/networks.c). */
#define _GNU_SOURCE
#include "unit.h"
#include "netsetup/netconf.h"

#include <stdio.h>
#include <string.h>

static const char *norm(const char *arg)
{
	static char out[64];
	struct dc_err e = {0};
	if (net_port_parse(arg, out, sizeof(out), &e) < 0)
		snprintf(out, sizeof(out), "ERR");
	return out;
}

static void normalises_every_form(void **state)
{
	(void)state;
	assert_string_equal(norm("8080:80"), "8080:80/tcp");
	assert_string_equal(norm("8080:80/udp"), "8080:80/udp");
	assert_string_equal(norm("127.0.0.1:8080:80"), "127.0.0.1:8080:80/tcp");
	assert_string_equal(norm("0.0.0.0:8080:80"), "8080:80/tcp");
	assert_string_equal(norm("8000-8002:9000-9002/tcp"), "8000-8002:9000-9002/tcp");
	assert_string_equal(norm("8000-8000:80"), "8000:80/tcp");
}

static void refuses_bad_ones(void **state)
{
	(void)state;
	static const char *const bad[] = {"80",
					  "8080:",
					  "8080:80/sctp",
					  "0:80",
					  "65536:80",
					  "8000-7999:1-2",
					  "8000-8001:80",
					  "1-200:1001-1200",
					  "10.9.9.9:80:80",
					  "x:80:80",
					  "8080:80-",
					  "-1:80",
					  "8080:80/tcp/x",
					  ":80",
					  "1.2.3:80:80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char out[64];
		struct dc_err e = {0};
		if (net_port_parse(bad[i], out, sizeof(out), &e) == 0)
			fail_msg("accepted -p %s as %s", bad[i], out);
		assert_true(e.msg[0] != '\0');
	}
}

static void clashes_and_rule_counts(void **state)
{
	(void)state;
	struct port_map m[8];
	int n = ports_split("8000-8010:8000-8010/tcp,127.0.0.1:9000:90/tcp,9000:90/udp,"
			    "192.0.2.1:9001-9002:91-92/tcp",
			    m, 8);
	assert_int_equal(n, 4);
	/* 0.0.0.0 overlaps every address; tcp and udp do not clash */
	assert_true(port_clash(&m[0], &(struct port_map){0, 8010, 8010, 1, 1, "tcp"}));
	assert_false(port_clash(&m[0], &(struct port_map){0, 8011, 8020, 1, 10, "tcp"}));
	assert_false(port_clash(&m[1], &m[2]));
	assert_false(port_clash(&m[1], &m[3]));
	assert_true(port_clash(&m[1], &(struct port_map){0, 9000, 9000, 1, 1, "tcp"}));
	/* same numbers: one rule; shifted: one per port */
	assert_int_equal(net_ports_rules("8000-8010:8000-8010/tcp,9000-9002:90-92/tcp"), 4);
}

static void network_names(void **state)
{
	(void)state;
	struct dc_err e = {0};
	assert_int_equal(net_name_check("front", &e), 0);
	assert_int_equal(net_name_check("a_b-2", &e), 0);
	assert_int_equal(net_name_check("bridge", &e), -1);
	assert_int_equal(net_name_check("host", &e), -1);
	assert_int_equal(net_name_check("bad.name", &e), -1);
	assert_int_equal(net_name_check("-x", &e), -1);
	assert_int_equal(net_name_check("a/b", &e), -1);
	assert_int_equal(net_name_check("", &e), -1);
	assert_int_equal(net_name_check("abcdefghijklmnopqrstuvwxyz0123456", &e), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(normalises_every_form),
	    cmocka_unit_test(refuses_bad_ones),
	    cmocka_unit_test(clashes_and_rule_counts),
	    cmocka_unit_test(network_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
