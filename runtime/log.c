/* diyc's globals and its messages: "diyc: ..." on stderr, one line each. */
#define _GNU_SOURCE
#include "diyc.h"

#include <stdarg.h>
#include <stdio.h>

struct globals G = {.root = DC_DATA_ROOT, .state_dir = DC_STATE_DIR};

static void vmsg(const char *prefix, const char *f, va_list ap)
{
	char buf[1024];
	vsnprintf(buf, sizeof(buf), f, ap);
	fprintf(stderr, "diyc: %s%s\n", prefix, buf);
}

void err(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vmsg("", f, ap);
	va_end(ap);
}

void warn(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vmsg("warning: ", f, ap);
	va_end(ap);
}

void info(const char *f, ...)
{
	if (!G.verbose)
		return;
	va_list ap;
	va_start(ap, f);
	vmsg("", f, ap);
	va_end(ap);
}
