/* lib/factcache.c: the binary facts beside a profile are used only while the
 * profile is the one they were read from, and only from a plain file of its owner. */
#define _GNU_SOURCE
#include "unit.h"
#include "lib/pfacts.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[64], path[128], cache[160];

static void write_profile(const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void saved(struct dc_facts *f)
{
	struct dc_facts_key k;
	memset(f, 0, sizeof(*f));
	f->ns[0] = DC_NO;
	snprintf(f->release, sizeof(f->release), "4.4.74");
	snprintf(f->ev_mnt, sizeof(f->ev_mnt), "unshare(CLONE_NEWNS)=EPERM");
	assert_int_equal(dc_facts_cache_key(path, &k), 0);
	dc_facts_cache_save(path, &k, f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/diyc-unit-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/profile.json", dir);
	snprintf(cache, sizeof(cache), "%s.facts", path);
	write_profile("{\"schema_version\": 1}\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(cache);
	unlink(path);
	rmdir(dir);
	return 0;
}

static void roundtrip(void **state)
{
	(void)state;
	struct dc_facts f, g;
	assert_int_equal(dc_facts_cache_load(path, &g), -1); /* none yet */
	saved(&f);
	memset(&g, 0x55, sizeof(g));
	assert_int_equal(dc_facts_cache_load(path, &g), 0);
	assert_memory_equal(&f, &g, sizeof(f));
	assert_string_equal(g.ev_mnt, "unshare(CLONE_NEWNS)=EPERM");
}

static void changed_profile_is_read_again(void **state)
{
	(void)state;
	struct dc_facts f, g;
	saved(&f);
	/* rewritten in place, even with the same size */
	struct timespec ts = {0, 2000000};
	nanosleep(&ts, NULL);
	write_profile("{\"schema_version\": 2}\n");
	assert_int_equal(dc_facts_cache_load(path, &g), -1);
	/* replaced by rename, as the probe does */
	saved(&f);
	char other[160];
	snprintf(other, sizeof(other), "%s/new.json", dir);
	FILE *o = fopen(other, "w");
	assert_non_null(o);
	fputs("{\"schema_version\": 1}\n", o);
	fclose(o);
	assert_int_equal(rename(other, path), 0);
	assert_int_equal(dc_facts_cache_load(path, &g), -1);
}

static void replaced_while_read_is_not_saved(void **state)
{
	(void)state;
	struct dc_facts f, g;
	struct dc_facts_key k;
	memset(&f, 0, sizeof(f));
	assert_int_equal(dc_facts_cache_key(path, &k), 0);
	struct timespec ts = {0, 2000000};
	nanosleep(&ts, NULL);
	write_profile("{\"schema_version\": 1, \"x\": 1}\n");
	dc_facts_cache_save(path, &k, &f); /* the key no longer matches: nothing */
	assert_int_equal(access(cache, F_OK), -1);
	assert_int_equal(dc_facts_cache_load(path, &g), -1);
}

static void bad_cache_files_are_ignored(void **state)
{
	(void)state;
	struct dc_facts f, g;
	saved(&f);
	/* truncated */
	assert_int_equal(truncate(cache, 100), 0);
	assert_int_equal(dc_facts_cache_load(path, &g), -1);
	/* a symbolic link to a good cache */
	saved(&f);
	char real[200];
	snprintf(real, sizeof(real), "%s/real.facts", dir);
	assert_int_equal(rename(cache, real), 0);
	assert_int_equal(symlink(real, cache), 0);
	assert_int_equal(dc_facts_cache_load(path, &g), -1);
	unlink(cache);
	/* owned by someone else than the profile's owner */
	assert_int_equal(rename(real, cache), 0);
	assert_int_equal(dc_facts_cache_load(path, &g), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(cache, 65534, 65534), 0);
		assert_int_equal(dc_facts_cache_load(path, &g), -1);
	}
	/* a flipped byte in the key */
	saved(&f);
	FILE *c = fopen(cache, "r+");
	assert_non_null(c);
	fseek(c, 8, SEEK_SET);
	fputc(0x7f, c);
	fclose(c);
	assert_int_equal(dc_facts_cache_load(path, &g), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(changed_profile_is_read_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(replaced_while_read_is_not_saved, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_cache_files_are_ignored, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
