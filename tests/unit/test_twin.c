/*
 * lib/twin.c as the static programs link it (DIYC_STATIC): where the twin is looked
 * for, the one-line failure when it is not there, dc_dlopen() never loading
 * anything, and no hand-over once the command has begun (dc_twin_seal).  The
 * hand-over itself (execv) is tested by runtime.sh and oci.sh with the real twins.
 */
#define _GNU_SOURCE
#include "unit.h"
#include "lib/twin.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char self[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -1;
	self[n] = '\0';
	static char *argv[] = {"test_twin", NULL};
	dc_twin_init(argv);
	return 0;
}

static void names_the_missing_twin(void **state)
{
	(void)state;
	char want[PATH_MAX + 16];
	snprintf(want, sizeof(want), "%s-dynamic", self);
	assert_int_equal(access(want, F_OK), -1); /* (no such twin beside the test) */
	struct dc_err e = {0};
	assert_int_equal(dc_twin_reexec("the thing", &e), -1);
	assert_non_null(strstr(e.msg, want));
	assert_non_null(strstr(e.msg, "the thing can need shared libraries"));
	assert_int_equal(e.errnum, ENOENT);
	assert_null(strchr(e.msg, '\n'));
}

static void dlopen_loads_nothing(void **state)
{
	(void)state;
	assert_null(dc_dlopen("libc.so.6")); /* even one that is surely there */
	assert_non_null(strstr(dc_dlerror(), "libc.so.6 can need shared libraries"));
}

static void sealed_means_no_hand_over(void **state)
{
	(void)state;
	dc_twin_seal();
	struct dc_err e = {0};
	assert_int_equal(dc_twin_reexec("late", &e), -1);
	assert_non_null(strstr(e.msg, "has begun the command"));
	assert_null(strstr(e.msg, "-dynamic"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(names_the_missing_twin), cmocka_unit_test(dlopen_loads_nothing),
	    cmocka_unit_test(sealed_means_no_hand_over), /* last: the seal stays */
	};
	return cmocka_run_group_tests_name("twin", tests, setup, NULL);
}
