/*
 * Kernel modules, through libkmod.  Without --load-modules nothing is loaded:
 * the probe only reports whether a module is built in, live, loadable or
 * missing, so that "=m but not loaded" is never mistaken for "missing".
 */
#define _GNU_SOURCE
#include "probe.h"
#include "util.h"

#include <errno.h>
#include <libkmod.h>
#include <stdio.h>
#include <string.h>

static void quiet_log(void *data, int prio, const char *file, int line, const char *fn,
		      const char *f, va_list args)
{
	(void)data, (void)prio, (void)file, (void)line, (void)fn, (void)f, (void)args;
}

void modules_init(struct probe_ctx *c)
{
	if (c->sysroot && *c->sysroot)
		return; /* fixture trees: answer from /sys/module only */
	c->kmod = kmod_new(NULL, NULL);
	if (c->kmod)
		kmod_set_log_fn(c->kmod, quiet_log, NULL);
}

void modules_fini(struct probe_ctx *c)
{
	if (c->kmod)
		kmod_unref(c->kmod);
	c->kmod = NULL;
}

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
		fmt(p, sizeof(p), "/sys/module/%s", name);
		return sr_exists(c, p) ? "live" : "unknown";
	}
	struct kmod_module *mod = NULL;
	if (kmod_module_new_from_name(c->kmod, name, &mod) == 0) {
		int st = kmod_module_get_initstate(mod);
		kmod_module_unref(mod);
		if (st == KMOD_MODULE_BUILTIN)
			return "builtin";
		if (st == KMOD_MODULE_LIVE || st == KMOD_MODULE_COMING)
			return "live";
	}
	/* Not in memory: is there a file that could be loaded? */
	if (kmod_module_new_from_lookup(c->kmod, name, &list) < 0 || !list)
		return "missing";
	kmod_list_foreach(it, list)
	{
		struct kmod_module *m = kmod_module_get_module(it);
		if (kmod_module_get_path(m))
			state = "loadable";
		kmod_module_unref(m);
	}
	kmod_module_unref_list(list);
	if (!strcmp(state, "loadable")) {
		long disabled = 0;
		if (read_long(sr(c, "/proc/sys/kernel/modules_disabled"), &disabled) == 0 && disabled)
			return "disabled";
	}
	return state;
}

int module_load(struct probe_ctx *c, const char *name)
{
	struct kmod_list *list = NULL, *it;
	int r = -ENOENT;

	if (!c->kmod)
		return -ENOSYS;
	if (kmod_module_new_from_lookup(c->kmod, name, &list) < 0 || !list)
		return -ENOENT;
	kmod_list_foreach(it, list)
	{
		struct kmod_module *m = kmod_module_get_module(it);
		r = kmod_module_probe_insert_module(m, KMOD_PROBE_IGNORE_LOADED, NULL, NULL, NULL,
						    NULL);
		kmod_module_unref(m);
		if (r == 0)
			break;
	}
	kmod_module_unref_list(list);
	return r > 0 ? -EPERM : r; /* >0: blacklisted */
}
