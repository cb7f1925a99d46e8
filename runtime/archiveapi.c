#define _GNU_SOURCE
#include "runtime/archiveapi.h"

#include <dlfcn.h>
#include <stdio.h>

const struct archive_api *archive_api(struct dc_err *e)
{
	static struct archive_api api;
	static void *h;
	if (h)
		return &api;
	void *lib = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		dc_fail(e, 0, "cannot load libarchive (install libarchive13): %s", dlerror());
		return NULL;
	}
#define ARCHIVE_API_LOAD(f)                                                                        \
	if (!(*(void **)&api.f = dlsym(lib, #f))) {                                                \
		dc_fail(e, 0, "libarchive.so.13 lacks %s", #f);                                    \
		dlclose(lib);                                                                      \
		return NULL;                                                                       \
	}
	ARCHIVE_API_FUNCS(ARCHIVE_API_LOAD)
#undef ARCHIVE_API_LOAD
	h = lib;
	return &api;
}
