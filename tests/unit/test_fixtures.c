/* The whole probe against fixture trees (--sysroot): no syscall tests, only files. */
#define _GNU_SOURCE
#include "unit.h"
#include "probe/probe.h"

#include <stdio.h>
#include <string.h>

static struct probe_ctx run(const char *name)
{
	static char root[512];
	snprintf(root, sizeof(root), "%s/%s", fixtures(), name);
	struct probe_ctx c = {.sysroot = root, .live = false, .data_root = "/var/lib/diyc"};
	probe_run(&c);
	assert_non_null(c.prof);
	return c;
}

static const char *s(struct probe_ctx *c, const char *path, const char *key)
{
	const char *v = dc_profile_str(c->prof, path, key);
	return v ? v : "(null)";
}

static void hybrid_host(void **state)
{
	(void)state;
	struct probe_ctx c = run("hybrid");
	assert_string_equal(s(&c, "cgroups", "mode"), "hybrid");
	assert_string_equal(s(&c, "cgroups.v2", "controllers"), "hugetlb");
	assert_string_equal(s(&c, "cgroups.controllers.hugetlb", "home"), "v2");
	assert_string_equal(s(&c, "cgroups.controllers.memory", "home"), "v1");
	assert_string_equal(s(&c, "cgroups.controllers.memory", "mount"), "/sys/fs/cgroup/memory");
	assert_string_equal(s(&c, "cgroups.controllers.memory", "own_path"),
			    "/process_api/3679397e4d7c2c91a103499296fa70d9");
	assert_string_equal(s(&c, "kconfig", "source"), "/proc/config.gz");
	assert_string_equal(s(&c, "namespaces.pid", "compiled"), "yes");
	json_object *miss = dc_profile_find(c.prof, "context.capabilities");
	json_object *arr;
	assert_true(json_object_object_get_ex(miss, "bounding_missing", &arr));
	assert_int_equal(json_object_array_length(arr), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(arr, 0)),
			    "CAP_SYS_RESOURCE");
	assert_string_equal(s(&c, "overlay.features", "redirect_dir"), "N");
	probe_ctx_free(&c);
}

static void pure_v2_host(void **state)
{
	(void)state;
	struct probe_ctx c = run("v2");
	assert_string_equal(s(&c, "cgroups", "mode"), "unified");
	assert_string_equal(s(&c, "cgroups.controllers.memory", "home"), "v2");
	assert_string_equal(s(&c, "cgroups.controllers.memory", "own_path"),
			    "/user.slice/user-1000.slice/session-3.scope");
	assert_string_equal(s(&c, "kconfig.options", "CONFIG_OVERLAY_FS"), "m");
	assert_string_equal(s(&c, "kconfig", "source"), "/boot/config-6.1.0-13-amd64");
	assert_int_equal(dc_profile_status(c.prof, "kconfig.config"), DC_YES);
	/* MEMCG_SWAP left the kernel in 6.1: not applicable rather than missing */
	assert_string_equal(s(&c, "kconfig.options", "CONFIG_MEMCG_SWAP"), "n/a");
	probe_ctx_free(&c);
}

static void pure_v1_host(void **state)
{
	(void)state;
	struct probe_ctx c = run("v1");
	assert_string_equal(s(&c, "cgroups", "mode"), "legacy");
	assert_string_equal(s(&c, "cgroups.controllers.pids", "home"), "v1");
	assert_string_equal(s(&c, "cgroups.controllers.pids", "own_path"),
			    "/user.slice/user-0.slice");
	assert_string_equal(s(&c, "cgroups.controllers.cpu", "mount"),
			    "/sys/fs/cgroup/cpu,cpuacct");
	/* cgroup_disable=memory on the command line */
	assert_int_equal(dc_profile_status(c.prof, "cgroups.controllers.memory"), DC_NO);
	assert_non_null(strstr(s(&c, "cgroups.controllers.memory", "evidence"), "cgroup_disable"));
	/* no time namespace file on 5.4 */
	assert_int_equal(dc_profile_status(c.prof, "namespaces.time"), DC_NO);
	assert_int_equal(dc_profile_status(c.prof, "kconfig.config"), DC_UNKNOWN);
	probe_ctx_free(&c);
}

static void legacy_4_4_74(void **state)
{
	(void)state;
	struct probe_ctx c = run("legacy-4.4.74");
	static const char *const absent[] = {"namespaces.pid", "namespaces.uts",
					     "namespaces.cgroup", "namespaces.time"};
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		assert_int_equal(dc_profile_status(c.prof, absent[i]), DC_NO);
		assert_string_equal(s(&c, absent[i], "compiled"), "no");
	}
	assert_non_null(strstr(s(&c, "namespaces.pid", "evidence"), "CONFIG_PID_NS is not set"));
	assert_non_null(strstr(s(&c, "namespaces.pid", "hint"), "CONFIG_PID_NS=y"));
	/* present but untested without a live kernel */
	assert_int_equal(dc_profile_status(c.prof, "namespaces.net"), DC_UNKNOWN);
	assert_string_equal(s(&c, "namespaces.net", "compiled"), "yes");
	assert_string_equal(s(&c, "cgroups", "mode"), "legacy");
	assert_string_equal(s(&c, "kconfig.options", "CONFIG_DEVPTS_MULTIPLE_INSTANCES"), "y");
	assert_string_equal(s(&c, "kconfig.options", "CONFIG_TIME_NS"), "n/a");
	/* proc options are per mount only since 5.8 */
	assert_int_equal(dc_profile_status(c.prof, "hardening.proc_per_mount_options"), DC_NO);
	json_object *d;
	assert_true(json_object_object_get_ex(dc_profile_find(c.prof, "summary"), "degraded", &d));
	assert_true(json_object_array_length(d) >= 4);
	probe_ctx_free(&c);
}

static void no_kernel_config(void **state)
{
	(void)state;
	struct probe_ctx c = run("noconfig");
	assert_int_equal(dc_profile_status(c.prof, "kconfig.config"), DC_UNKNOWN);
	assert_non_null(strstr(s(&c, "kconfig.config", "hint"), "supporting evidence only"));
	assert_string_equal(s(&c, "kconfig.options", "CONFIG_PID_NS"), "unknown");
	/* the namespace files still tell */
	assert_string_equal(s(&c, "namespaces.pid", "compiled"), "yes");
	probe_ctx_free(&c);
}

static void garbage_gives_unknown(void **state)
{
	(void)state;
	struct probe_ctx c = run("garbage");
	assert_int_equal(dc_profile_status(c.prof, "kconfig.config"), DC_UNKNOWN);
	assert_int_equal(dc_profile_status(c.prof, "context.privileges"), DC_UNKNOWN);
	assert_string_equal(s(&c, "cgroups", "mode"), "none");
	assert_int_equal(dc_profile_status(c.prof, "cgroups.controllers.memory"), DC_UNKNOWN);
	assert_int_equal(dc_profile_status(c.prof, "namespaces.pid"), DC_NO);
	probe_ctx_free(&c);
}

static void missing_tree(void **state)
{
	(void)state;
	struct probe_ctx c = run("does-not-exist");
	assert_string_equal(s(&c, "kernel", "release"), "unknown");
	assert_int_equal(dc_profile_status(c.prof, "namespaces.mnt"), DC_UNKNOWN);
	probe_ctx_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hybrid_host),	cmocka_unit_test(pure_v2_host),
	    cmocka_unit_test(pure_v1_host),	cmocka_unit_test(legacy_4_4_74),
	    cmocka_unit_test(no_kernel_config), cmocka_unit_test(garbage_gives_unknown),
	    cmocka_unit_test(missing_tree),
	};
	return cmocka_run_group_tests_name("fixtures", tests, NULL, NULL);
}
