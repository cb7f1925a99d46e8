#define _GNU_SOURCE
#include "unit.h"
#include "lib/kmodapi.h"

/* libkmod2 is a dependency (make deps): the lazy loader must find every symbol. */
static void loads_libkmod(void **state)
{
	(void)state;
	struct dc_err e = {0};
	const struct kmod_api *k = kmod_api(&e);
	if (!k)
		fail_msg("%s", e.msg);
	struct kmod_ctx *ctx = k->new_ctx(NULL, NULL);
	assert_non_null(ctx);
	struct kmod_module *m = NULL;
	assert_int_equal(k->module_new_from_name(ctx, "overlay", &m), 0);
	k->module_unref(m);
	k->unref(ctx);
	assert_ptr_equal(kmod_api(&e), k); /* loaded once */
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(loads_libkmod)};
	return cmocka_run_group_tests_name("kmodapi", tests, NULL, NULL);
}
