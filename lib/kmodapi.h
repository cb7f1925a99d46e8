/*
 * libkmod, opened on first use.  Linking it directly costs every diyc process
 * about 3 ms at start (it pulls in libcrypto, libzstd and liblzma) although
 * most runs never touch a module: on a kernel without module support
 * (/proc/modules absent) it is never loaded at all.
 */
#ifndef DIYC_KMODAPI_H
#define DIYC_KMODAPI_H

#include "lib/error.h"

#include <libkmod.h>

struct kmod_api {
	struct kmod_ctx *(*new_ctx)(const char *dirname, const char *const *config_paths);
	struct kmod_ctx *(*unref)(struct kmod_ctx *ctx);
	void (*set_log_fn)(struct kmod_ctx *ctx,
			   void (*log_fn)(void *data, int priority, const char *file, int line,
					  const char *fn, const char *format, va_list args),
			   const void *data);
	int (*module_new_from_name)(struct kmod_ctx *ctx, const char *name,
				    struct kmod_module **mod);
	int (*module_new_from_lookup)(struct kmod_ctx *ctx, const char *given_alias,
				      struct kmod_list **list);
	int (*module_get_initstate)(const struct kmod_module *mod);
	struct kmod_module *(*module_unref)(struct kmod_module *mod);
	int (*module_unref_list)(struct kmod_list *list);
	struct kmod_module *(*module_get_module)(const struct kmod_list *entry);
	const char *(*module_get_path)(const struct kmod_module *mod);
	struct kmod_list *(*list_next)(const struct kmod_list *list, const struct kmod_list *curr);
	int (*module_probe_insert_module)(
	    struct kmod_module *mod, unsigned int flags, const char *extra_options,
	    int (*run_install)(struct kmod_module *m, const char *cmdline, void *data),
	    const void *data,
	    void (*print_action)(struct kmod_module *m, bool install, const char *options));
};

/* The API, or NULL when libkmod.so.2 cannot be loaded (the reason in e). */
const struct kmod_api *kmod_api(struct dc_err *e);

/* Load module NAME (an alias is fine) and its dependencies: 0, or -errno
 * (-ENOENT unknown, -EPERM blacklisted). */
int kmod_api_load(struct kmod_ctx *ctx, const char *name);

/* The same with a context of its own, for a caller that needs one module once
 * (diyc run, when the profile says overlay is a module not loaded yet). */
int kmod_load_once(const char *name);

#endif
