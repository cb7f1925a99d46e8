#define _GNU_SOURCE
#include "unit.h"
#include "probe/kconfig.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void parses_values(void **state)
{
	(void)state;
	struct kconfig kc;
	const char *text = "#\n# Linux/x86 6.1.55 Kernel Configuration\n#\n"
			   "CONFIG_PID_NS=y\nCONFIG_VETH=m\n# CONFIG_UTS_NS is not set\n"
			   "CONFIG_CC_VERSION_TEXT=\"gcc 12\"\nCONFIG_NR_CPUS=64\r\n";
	assert_int_equal(kconfig_parse(text, &kc), 0);
	assert_string_equal(kc.header_version, "6.1.55");
	assert_string_equal(kconfig_get(&kc, "PID_NS"), "y");
	assert_string_equal(kconfig_get(&kc, "VETH"), "m");
	assert_string_equal(kconfig_get(&kc, "UTS_NS"), "n");
	assert_string_equal(kconfig_get(&kc, "CC_VERSION_TEXT"), "\"gcc 12\"");
	assert_string_equal(kconfig_get(&kc, "NR_CPUS"), "64");
	assert_null(kconfig_get(&kc, "TIME_NS"));
	assert_int_equal(kc.n, 5);
	kconfig_free(&kc);
}

static void garbage_is_rejected_or_skipped(void **state)
{
	(void)state;
	struct kconfig kc;
	assert_int_equal(kconfig_parse("hello\nworld\n", &kc), -EINVAL);
	assert_int_equal(kconfig_parse("", &kc), -EINVAL);
	assert_int_equal(kconfig_parse("CONFIG_A=y\nCONFIG_=y\nCONFIG_B c=y\nCONFIG_C=\n", &kc), 0);
	assert_int_equal(kc.n, 1);
	assert_int_equal(kc.bad_lines, 3);
	kconfig_free(&kc);
}

static void loads_gzip_and_plain(void **state)
{
	(void)state;
	char p[512];
	struct kconfig kc;
	snprintf(p, sizeof(p), "%s/hybrid/proc/config.gz", fixtures());
	assert_int_equal(kconfig_load(p, &kc), 0);
	assert_true(kc.n > 1000);
	assert_string_equal(kconfig_get(&kc, "OVERLAY_FS"), "y");
	kconfig_free(&kc);
	snprintf(p, sizeof(p), "%s/legacy-4.4.74/boot/config-4.4.74", fixtures());
	assert_int_equal(kconfig_load(p, &kc), 0);
	assert_string_equal(kconfig_get(&kc, "PID_NS"), "n");
	assert_string_equal(kc.header_version, "4.4.74");
	kconfig_free(&kc);
}

static void corrupt_or_missing_files_fail_cleanly(void **state)
{
	(void)state;
	char p[512];
	struct kconfig kc;
	snprintf(p, sizeof(p), "%s/garbage/proc/config.gz", fixtures());
	assert_true(kconfig_load(p, &kc) < 0);
	assert_int_equal(kc.n, 0);
	assert_int_equal(kconfig_load("/nonexistent/config.gz", &kc), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_values),
	    cmocka_unit_test(garbage_is_rejected_or_skipped),
	    cmocka_unit_test(loads_gzip_and_plain),
	    cmocka_unit_test(corrupt_or_missing_files_fail_cleanly),
	};
	return cmocka_run_group_tests_name("kconfig", tests, NULL, NULL);
}
