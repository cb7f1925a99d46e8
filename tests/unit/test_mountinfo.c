#define _GNU_SOURCE
#include "unit.h"
#include "lib/mountinfo.h"

#include <stdio.h>
#include <string.h>

static void parses_fields_and_escapes(void **state)
{
	(void)state;
	struct mountinfo mi;
	const char *t =
	    "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 shared:2 - ext3 /dev/root "
	    "rw,errors=continue\n"
	    "41 22 0:35 / /mnt/with\\040space rw,relatime shared:20 - tmpfs tmpfs rw\n"
	    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
	assert_int_equal(mountinfo_parse(t, &mi), 0);
	assert_int_equal(mi.n, 3);
	assert_int_equal(mi.bad_lines, 0);
	assert_int_equal(mi.v[0].id, 36);
	assert_int_equal(mi.v[0].parent, 35);
	assert_int_equal(mi.v[0].major, 98);
	assert_string_equal(mi.v[0].root, "/mnt1");
	assert_string_equal(mi.v[0].mountpoint, "/mnt/parent");
	assert_string_equal(mi.v[0].fstype, "ext3");
	assert_string_equal(mi.v[0].source, "/dev/root");
	assert_string_equal(mi.v[0].super, "rw,errors=continue");
	assert_string_equal(mi.v[1].mountpoint, "/mnt/with space");
	assert_non_null(mountinfo_at(&mi, "/sys/fs/cgroup/unified"));
	assert_null(mountinfo_at(&mi, "/nope"));
	mountinfo_free(&mi);
}

static void bad_lines_are_counted_not_fatal(void **state)
{
	(void)state;
	struct mountinfo mi;
	const char *t = "garbage\n30 22 0:27 / /sys/fs/cg\n"
			"x y 0:1 / / rw - ext4 /dev/a rw\n"
			"1 0 0:1 / / rw - ext4 /dev/a rw\n";
	assert_int_equal(mountinfo_parse(t, &mi), 0);
	assert_int_equal(mi.n, 1);
	assert_int_equal(mi.bad_lines, 3);
	mountinfo_free(&mi);
}

static void loads_fixtures(void **state)
{
	(void)state;
	static const char *const names[] = {"hybrid", "v2", "v1", "legacy-4.4.74", "garbage"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p[512];
		struct mountinfo mi;
		snprintf(p, sizeof(p), "%s/%s/proc/self/mountinfo", fixtures(), names[i]);
		assert_int_equal(mountinfo_load(p, &mi), 0);
		if (!strcmp(names[i], "garbage"))
			assert_int_equal(mi.n, 0);
		else
			assert_true(mi.n > 0);
		mountinfo_free(&mi);
	}
}

static void option_lists(void **state)
{
	(void)state;
	assert_true(option_has("rw,cpu,cpuacct", "cpu"));
	assert_true(option_has("rw,cpu,cpuacct", "cpuacct"));
	assert_false(option_has("rw,cpuacct", "cpu"));
	assert_false(option_has("", "cpu"));
	assert_true(option_has("name=systemd", "name=systemd"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_fields_and_escapes),
	    cmocka_unit_test(bad_lines_are_counted_not_fatal),
	    cmocka_unit_test(loads_fixtures),
	    cmocka_unit_test(option_lists),
	};
	return cmocka_run_group_tests_name("mountinfo", tests, NULL, NULL);
}
