#define _GNU_SOURCE
#include "unit.h"
#include "probe/procparse.h"

#include <errno.h>
#include <string.h>

static void filesystems(void **state)
{
	(void)state;
	const char *t = "nodev\tsysfs\nnodev\toverlay\n\text4\nnodev\tcgroup2\n";
	assert_true(filesystems_has(t, "overlay"));
	assert_true(filesystems_has(t, "ext4"));
	assert_true(filesystems_has(t, "cgroup2"));
	assert_false(filesystems_has(t, "cgroup"));
	assert_false(filesystems_has(t, "over"));
	assert_false(filesystems_has("", "overlay"));
}

static void cmdline(void **state)
{
	(void)state;
	char v[64];
	const char *t = "BOOT_IMAGE=/vmlinuz ro cgroup_disable=memory quiet "
			"acpi=\"a b\" psi=0 psi=1 -- init_arg=1 cgroup_no_v1=all";
	assert_true(cmdline_get(t, "cgroup_disable", v, sizeof(v)));
	assert_string_equal(v, "memory");
	assert_true(cmdline_get(t, "quiet", v, sizeof(v)));
	assert_string_equal(v, "");
	assert_true(cmdline_get(t, "acpi", v, sizeof(v)));
	assert_string_equal(v, "a b");
	assert_true(cmdline_get(t, "psi", v, sizeof(v)));
	assert_string_equal(v, "1");				    /* the last one wins */
	assert_false(cmdline_get(t, "cgroup_no_v1", v, sizeof(v))); /* after "--": init's */
	assert_false(cmdline_get(t, "cgroup", v, sizeof(v)));
	assert_false(cmdline_get("root=\"/dev/sda1 quiet cgroup_disable=", "quiet", v, sizeof(v)));
}

static void status_ok(void **state)
{
	(void)state;
	struct proc_status st;
	const char *t =
	    "Name:\tx\nUid:\t1000\t0\t0\t0\nNoNewPrivs:\t1\nSeccomp:\t2\n"
	    "Seccomp_filters:\t3\nCapInh:\t0000000000000000\nCapPrm:\t000001fffeffffff\n"
	    "CapEff:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000\n";
	assert_int_equal(status_parse(t, &st), 0);
	assert_true(st.have_caps);
	assert_true(st.have_amb);
	assert_true(st.cap_bnd == 0x1fffeffffffULL);
	assert_false(st.cap_eff & (1ULL << 24)); /* CAP_SYS_RESOURCE */
	assert_int_equal(st.no_new_privs, 1);
	assert_int_equal(st.seccomp, 2);
	assert_int_equal(st.seccomp_filters, 3);
	assert_int_equal(st.uid_eff, 0);
}

static void status_garbage(void **state)
{
	(void)state;
	struct proc_status st;
	assert_int_equal(status_parse("Name:\tx\nCapEff:\tzzzz\nCapBnd:\n", &st), -EINVAL);
	assert_false(st.have_caps);
	assert_int_equal(st.seccomp, -1);
	assert_int_equal(status_parse("", &st), -EINVAL);
	assert_int_equal(st.no_new_privs, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(filesystems),
	    cmocka_unit_test(cmdline),
	    cmocka_unit_test(status_ok),
	    cmocka_unit_test(status_garbage),
	};
	return cmocka_run_group_tests_name("procparse", tests, NULL, NULL);
}
