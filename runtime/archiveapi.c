#define _GNU_SOURCE
#include "runtime/archiveapi.h"
#include "lib/twin.h"

#include <dlfcn.h>
#include <stdio.h>

const struct archive_api *archive_api(struct dc_err *e)
{
	static struct archive_api api;
	static void *h;
	if (h)
		return &api;
	void *lib = dc_dlopen("libarchive.so.13");
	if (!lib) {
		dc_fail(e, 0, "cannot load libarchive (install libarchive13): %s", dc_dlerror());
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

void archive_read_filters(const struct archive_api *A, struct archive *a)
{
	A->archive_read_support_filter_gzip(a);
	A->archive_read_support_filter_zstd(a);
	A->archive_read_support_filter_xz(a);
	A->archive_read_support_filter_bzip2(a);
}

int archive_copy_entry(const struct archive_api *A, struct archive *r, struct archive *w,
		       const char *name, struct dc_err *e)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int s;
	while ((s = A->archive_read_data_block(r, &buf, &size, &off)) == ARCHIVE_OK)
		if (A->archive_write_data_block(w, buf, size, off) < ARCHIVE_OK)
			return dc_fail(e, 0, "writing '%s': %s", name, A->archive_error_string(w));
	if (s != ARCHIVE_EOF)
		return dc_fail(e, 0, "truncated or corrupt at '%s': %s", name,
			       A->archive_error_string(r));
	return 0;
}
