/* diyc's messages (log.h): "diyc: ..." on stderr, one line each; diyc-oci adds a sink. */
#define _GNU_SOURCE
#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>

int dc_verbose;
const char *dc_prog = "diyc";
void (*dc_log_sink)(const char *level, const char *msg);

static void vmsg(const char *prefix, const char *f, va_list ap)
{
	char buf[1024];
	vsnprintf(buf, sizeof(buf), f, ap);
	if (dc_log_sink)
		dc_log_sink(!*prefix ? "error" : prefix[0] == 'w' ? "warning" : "info", buf);
	if (!dc_log_sink || prefix[0] != 'i')
		fprintf(stderr, "%s: %s%s\n", dc_prog, prefix[0] == 'i' ? "" : prefix, buf);
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
	vmsg("i", f, ap);
	va_end(ap);
}
