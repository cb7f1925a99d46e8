/* diyc's messages (log.h): "diyc: ..." on stderr, one line each. */
#define _GNU_SOURCE
#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>

int dc_verbose;

static void vmsg(const char *prefix, const char *f, va_list ap)
{
	char buf[1024];
	vsnprintf(buf, sizeof(buf), f, ap);
	fprintf(stderr, "diyc: %s%s\n", prefix, buf);
}

void dc_error(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vmsg("", f, ap);
	va_end(ap);
}

void dc_warn(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	vmsg("warning: ", f, ap);
	va_end(ap);
}

void dc_info(const char *f, ...)
{
	if (!dc_verbose)
		return;
	va_list ap;
	va_start(ap, f);
	vmsg("", f, ap);
	va_end(ap);
}
