#define _GNU_SOURCE
#include "unit.h"
#include "lib/proccgroup.h"

#include <errno.h>
#include <string.h>

static void membership_hybrid(void **state)
{
	(void)state;
	struct cg_membership m;
	const char *t = "9:name=systemd:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/x\n0::/\n";
	assert_int_equal(cg_membership_parse(t, &m), 0);
	assert_int_equal(m.n, 4);
	assert_string_equal(cg_membership_v1(&m, "memory")->path, "/process_api/abc");
	assert_string_equal(cg_membership_v1(&m, "cpuacct")->path, "/x");
	assert_string_equal(cg_membership_v1(&m, "cpu")->path, "/x");
	assert_null(cg_membership_v1(&m, "pids"));
	assert_string_equal(cg_membership_v2(&m)->path, "/");
}

static void membership_v2_and_garbage(void **state)
{
	(void)state;
	struct cg_membership m;
	assert_int_equal(cg_membership_parse("0::/user.slice/a b.scope\n", &m), 0);
	assert_string_equal(cg_membership_v2(&m)->path, "/user.slice/a b.scope");
	assert_null(cg_membership_v1(&m, "memory"));
	assert_int_equal(cg_membership_parse("not:a\ncgroup file\n:::\n", &m), -EINVAL);
	assert_int_equal(m.bad_lines, 3);
	assert_int_equal(cg_membership_parse("", &m), -EINVAL);
}

static void controllers_table(void **state)
{
	(void)state;
	struct cg_controllers c;
	const char *t = "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t3\t1\t1\n"
			"memory\t0\t1\t0\nhugetlb\t0\t1\t1\nbroken line\n";
	assert_int_equal(cg_controllers_parse(t, &c), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.bad_lines, 1);
	assert_false(cg_controllers_find(&c, "memory")->enabled);
	assert_int_equal(cg_controllers_find(&c, "cpuset")->hierarchy, 3);
	assert_null(cg_controllers_find(&c, "pids"));
}

static void controllers_garbage(void **state)
{
	(void)state;
	struct cg_controllers c;
	assert_int_equal(cg_controllers_parse("\x01\x02garbage", &c), -EINVAL);
	assert_int_equal(cg_controllers_parse("#subsys_name\thierarchy\n", &c), -EINVAL);
	assert_int_equal(cg_controllers_parse("#subsys_name h n e\nmemory 1 2 7\n", &c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(membership_hybrid),
	    cmocka_unit_test(membership_v2_and_garbage),
	    cmocka_unit_test(controllers_table),
	    cmocka_unit_test(controllers_garbage),
	};
	return cmocka_run_group_tests_name("proccgroup", tests, NULL, NULL);
}
