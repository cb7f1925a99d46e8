/*
 * A static program's way out to its dynamic twin (see twin.h for why).  This file
 * is compiled twice: as is for every dynamically linked program, and with
 * DIYC_STATIC for the static `diyc` and `diyc-oci`, where it must not reference
 * dlopen() at all (a static glibc's dlopen would bring a second libc into the
 * process).
 *
 * The twin is the binary the kernel is running (/proc/self/exe) with "-dynamic"
 * added: `diyc-dynamic` beside `diyc`, `diyc-oci-dynamic` beside `diyc-oci`.  Not
 * a name from PATH or the environment, so whoever may replace the twin could
 * already replace diyc itself.
 */
#define _GNU_SOURCE
#include "lib/twin.h"
#include "lib/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char **saved_argv;

void dc_twin_init(char **argv) { saved_argv = argv; }

#ifdef DIYC_STATIC

static char why[300];
static bool sealed;

void dc_twin_seal(void) { sealed = true; }

/* /proc/self/exe's target + "-dynamic" into buf, or -errno */
static int twin_path(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - sizeof("-dynamic"));
	if (n < 0)
		return -errno;
	if ((size_t)n >= size - sizeof("-dynamic"))
		return -ENAMETOOLONG;
	memcpy(buf + n, "-dynamic", sizeof("-dynamic"));
	return 0;
}

int dc_twin_reexec(const char *what, struct dc_err *e)
{
	char path[4096];
	if (sealed)
		return dc_fail(e, 0,
			       "%s can need shared libraries, and this static %s has begun the "
			       "command: it cannot hand it to its twin any more",
			       what, dc_prog);
	int r = twin_path(path, sizeof(path));
	bool found = r == 0;
	if (found && saved_argv) {
		dc_info("%s can need shared libraries: running %s", what, path);
		execv(path, saved_argv);
		r = -errno;
	}
	if (!found)
		return dc_fail(e, -r,
			       "%s can need shared libraries, and this static %s cannot "
			       "find its dynamic twin",
			       what, dc_prog);
	return dc_fail(e, -r,
		       "%s can need shared libraries, which this static %s leaves to its "
		       "twin %s (make builds the two side by side)",
		       what, dc_prog, path);
}

void *dc_dlopen(const char *soname)
{
	struct dc_err e = {0};
	dc_twin_reexec(soname, &e);
	snprintf(why, sizeof(why), "%s", e.msg);
	return NULL;
}

const char *dc_dlerror(void) { return why; }

#else

#include <dlfcn.h>

void dc_twin_seal(void) {}

int dc_twin_reexec(const char *what, struct dc_err *e)
{
	(void)what;
	(void)e;
	return 0;
}

void *dc_dlopen(const char *soname) { return dlopen(soname, RTLD_NOW | RTLD_LOCAL); }

const char *dc_dlerror(void) { return dlerror(); }

#endif
