#define _GNU_SOURCE
#include "archiveapi.h"

#include <dlfcn.h>
#include <stdio.h>

const struct archive_api *archive_api(char *why, size_t len)
{
	static struct archive_api api;
	static void *h;
	if (h)
		return &api;
	void *lib = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(why, len, "cannot load libarchive (install libarchive13): %s", dlerror());
		return NULL;
	}
#define ARCHIVE_API_LOAD(f)                                                                        \
	if (!(*(void **)&api.f = dlsym(lib, #f))) {                                                \
		snprintf(why, len, "libarchive.so.13 lacks %s", #f);                               \
		dlclose(lib);                                                                      \
		return NULL;                                                                       \
	}
	ARCHIVE_API_FUNCS(ARCHIVE_API_LOAD)
#undef ARCHIVE_API_LOAD
	h = lib;
	return &api;
}
