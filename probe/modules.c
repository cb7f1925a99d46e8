/*
 * Kernel modules, through libkmod.  Without --load-modules nothing is loaded:
 * the probe only reports whether a module is built in, live, loadable or
 * missing, so that "=m but not loaded" is never mistaken for "missing".
 */
#define _GNU_SOURCE
#include "probe/probe.h"
#include "lib/util.h"

#include "lib/kmodapi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void quiet_log(void *data, int prio, const char *file, int line, const char *fn,
		      const char *f, va_list args)
{
	(void)data, (void)prio, (void)file, (void)line, (void)fn, (void)f, (void)args;
}

static const struct kmod_api *K;

void modules_init(struct probe_ctx *c)
{
	if (c->sysroot && *c->sysroot)
		return; /* fixture trees: answer from /sys/module and the config only */
	if (!path_exists("/proc/modules")) {
		dc_profile_set_str(c->prof, "kconfig", "module_support", "no (no /proc/modules)");
		return; /* CONFIG_MODULES=n: nothing to load, libkmod stays unloaded */
	}
	struct dc_err e = {0};
	K = kmod_api(&e);
	if (!K) {
		dc_profile_set_str(c->prof, "kconfig", "module_support", e.msg);
		return;
	}
	dc_profile_set_str(c->prof, "kconfig", "module_support", "yes (libkmod)");
	c->kmod = K->new_ctx(NULL, NULL);
	if (c->kmod)
		K->set_log_fn(c->kmod, quiet_log, NULL);
}

void modules_fini(struct probe_ctx *c)
{
	if (c->kmod)
		K->unref(c->kmod);
	c->kmod = NULL;
}

/* kmod_list_foreach() calls kmod_list_next() by name: go through the table instead. */
#define foreach_mod(it, list) for (it = (list); it; it = K->list_next(list, it))

static const char *module_state_kmod(struct probe_ctx *c, const char *name);

/*
 * libkmod knows built-in modules only from modules.builtin; a kernel without
 * /lib/modules (or without module support) still says so in its config.
 */
const char *module_state(struct probe_ctx *c, const char *name)
{
	const char *st = module_state_kmod(c, name);
	if (!strcmp(st, "missing") || !strcmp(st, "unknown")) {
		const char *opt = kopt_for_module(name);
		const char *v = opt ? kopt(c, opt) : NULL;
		if (v && !strcmp(v, "y"))
			return "builtin";
	}
	return st;
}

static const char *module_state_kmod(struct probe_ctx *c, const char *name)
{
	char p[256];
	struct kmod_list *list = NULL, *it;
	const char *state = "missing";

	if (!c->kmod) {
		/* a loaded module has an initstate file; a built-in one with parameters has not */
		snprintf(p, sizeof(p), "/sys/module/%s/initstate", name);
		if (sr_exists(c, p))
			return "live";
		snprintf(p, sizeof(p), "/sys/module/%s", name);
		return sr_exists(c, p) ? "builtin" : "unknown";
	}
	struct kmod_module *mod = NULL;
	if (K->module_new_from_name(c->kmod, name, &mod) == 0) {
		int st = K->module_get_initstate(mod);
		K->module_unref(mod);
		if (st == KMOD_MODULE_BUILTIN)
			return "builtin";
		if (st == KMOD_MODULE_LIVE || st == KMOD_MODULE_COMING)
			return "live";
	}
	/* Not in memory: is there a file that could be loaded? */
	if (K->module_new_from_lookup(c->kmod, name, &list) < 0 || !list)
		return "missing";
	foreach_mod(it, list)
	{
		struct kmod_module *m = K->module_get_module(it);
		if (K->module_get_path(m))
			state = "loadable";
		K->module_unref(m);
	}
	K->module_unref_list(list);
	if (!strcmp(state, "loadable")) {
		long disabled = 0;
		if (read_long(sr(c, "/proc/sys/kernel/modules_disabled"), &disabled) == 0 &&
		    disabled)
			return "disabled";
	}
	return state;
}

int module_load(struct probe_ctx *c, const char *name)
{
	return c->kmod ? kmod_api_load(c->kmod, name) : -ENOSYS;
}
