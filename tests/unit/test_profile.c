#define _GNU_SOURCE
#include "unit.h"
#include "lib/profile.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void checks_and_lookup(void **state)
{
	(void)state;
	struct dc_profile *p = dc_profile_new();
	struct dc_check k;
	dc_check_init(&k, "syscall", "2.6.24");
	k.status = k.usable = DC_NO;
	k.compiled = DC_YES;
	dc_check_errno(&k, 22);
	dc_check_evidence(&k, "unshare(%s)=%s", "CLONE_NEWPID", "EINVAL");
	dc_check_evidence(&k, "second");
	dc_check_hint(&k, "rebuild");
	dc_profile_add_check(p, "namespaces.pid", &k);
	dc_profile_set_str(p, "cgroups", "mode", "hybrid");
	assert_int_equal(dc_profile_status(p, "namespaces.pid"), DC_NO);
	assert_int_equal(dc_profile_status(p, "namespaces.uts"), DC_UNKNOWN);
	assert_string_equal(dc_profile_str(p, "namespaces.pid", "errno"), "EINVAL");
	assert_string_equal(dc_profile_str(p, "namespaces.pid", "evidence"),
			    "unshare(CLONE_NEWPID)=EINVAL; second");
	assert_string_equal(dc_profile_str(p, "cgroups", "mode"), "hybrid");
	assert_null(dc_profile_str(p, "cgroups.mode", "x"));
	dc_profile_free(p);
}

static void status_names_roundtrip(void **state)
{
	(void)state;
	for (int s = DC_UNKNOWN; s <= DC_NA; s++)
		assert_int_equal(dc_status_parse(dc_status_name((enum dc_status)s)), s);
	assert_int_equal(dc_status_parse("maybe"), -1);
	assert_int_equal(dc_status_parse(NULL), -1);
}

static void write_and_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/diyc-unit-XXXXXX", path[256];
	struct dc_err err;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sub/profile.json", dir);
	struct dc_profile *p = dc_profile_new();
	dc_profile_set_str(p, "kernel", "release", "4.4.74");
	assert_int_equal(dc_profile_write(p, path), 0);
	dc_profile_free(p);
	p = dc_profile_load(path, &err);
	assert_non_null(p);
	assert_string_equal(dc_profile_str(p, "kernel", "release"), "4.4.74");
	dc_profile_free(p);

	/* garbage, wrong version, missing file: NULL and a reason */
	FILE *f = fopen(path, "w");
	fputs("{\"schema_version\": 99}", f);
	fclose(f);
	assert_null(dc_profile_load(path, &err));
	assert_non_null(strstr(err.msg, "schema_version 99"));
	f = fopen(path, "w");
	fputs("{\"schema_version\": 1, ", f);
	fclose(f);
	assert_null(dc_profile_load(path, &err));
	assert_non_null(strstr(err.msg, "not valid JSON"));
	unlink(path);
	assert_null(dc_profile_load(path, &err));
	assert_non_null(strstr(err.msg, "cannot read"));
	snprintf(path, sizeof(path), "%s/sub", dir);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(checks_and_lookup),
	    cmocka_unit_test(status_names_roundtrip),
	    cmocka_unit_test(write_and_load),
	};
	return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
