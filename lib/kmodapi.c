#define _GNU_SOURCE
#include "lib/kmodapi.h"
#include "lib/twin.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

static struct kmod_api api;
static int state;	     /* 0 untried, 1 loaded, -1 failed */
static char load_error[400]; /* why the one dlopen failed: every later call reports it */

#define SYM(field, name)                                                                           \
	do {                                                                                       \
		*(void **)&api.field = dlsym(h, name);                                             \
		if (!api.field) {                                                                  \
			snprintf(load_error, sizeof(load_error), "libkmod.so.2 lacks %s", name);   \
			goto fail;                                                                 \
		}                                                                                  \
	} while (0)

static const struct kmod_api *load(void)
{
	if (state)
		return state > 0 ? &api : NULL;
	void *h = dc_dlopen("libkmod.so.2");
	if (!h) {
		snprintf(load_error, sizeof(load_error), "%s", dc_dlerror());
		state = -1;
		return NULL;
	}
	SYM(new_ctx, "kmod_new");
	SYM(unref, "kmod_unref");
	SYM(set_log_fn, "kmod_set_log_fn");
	SYM(module_new_from_name, "kmod_module_new_from_name");
	SYM(module_new_from_lookup, "kmod_module_new_from_lookup");
	SYM(module_get_initstate, "kmod_module_get_initstate");
	SYM(module_unref, "kmod_module_unref");
	SYM(module_unref_list, "kmod_module_unref_list");
	SYM(module_get_module, "kmod_module_get_module");
	SYM(module_get_path, "kmod_module_get_path");
	SYM(list_next, "kmod_list_next");
	SYM(module_probe_insert_module, "kmod_module_probe_insert_module");
	state = 1;
	return &api;
fail:
	dlclose(h);
	state = -1;
	return NULL;
}

const struct kmod_api *kmod_api(struct dc_err *e)
{
	const struct kmod_api *a = load();
	if (!a)
		dc_fail(e, 0, "%s", load_error[0] ? load_error : "libkmod not loaded");
	return a;
}

int kmod_api_load(struct kmod_ctx *ctx, const char *name)
{
	struct kmod_list *list = NULL, *it;
	int r = -ENOENT;

	if (api.module_new_from_lookup(ctx, name, &list) < 0 || !list)
		return -ENOENT;
	for (it = list; it; it = api.list_next(list, it)) {
		struct kmod_module *m = api.module_get_module(it);
		r = api.module_probe_insert_module(m, KMOD_PROBE_IGNORE_LOADED, NULL, NULL, NULL,
						   NULL);
		api.module_unref(m);
		if (r == 0)
			break;
	}
	api.module_unref_list(list);
	return r > 0 ? -EPERM : r; /* >0: blacklisted */
}

int kmod_load_once(const char *name)
{
	if (!load())
		return -ENOSYS;
	struct kmod_ctx *ctx = api.new_ctx(NULL, NULL);
	if (!ctx)
		return -ENOMEM;
	int r = kmod_api_load(ctx, name);
	api.unref(ctx);
	return r;
}
