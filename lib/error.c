/* The error object (error.h): filled where a step fails, printed once at the top. */
#define _GNU_SOURCE
#include "lib/error.h"
#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int dc_fail(struct dc_err *e, int errnum, const char *f, ...)
{
	if (!e)
		return -1;
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(e->msg, sizeof(e->msg), f, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s", strerror(errnum));
	e->errnum = errnum;
	return -1;
}

int dc_context(struct dc_err *e, const char *f, ...)
{
	if (!e)
		return -1;
	char pre[256], old[sizeof(e->msg)];
	va_list ap;
	va_start(ap, f);
	vsnprintf(pre, sizeof(pre), f, ap);
	va_end(ap);
	snprintf(old, sizeof(old), "%s", e->msg);
	snprintf(e->msg, sizeof(e->msg), "%s: %s", pre, old);
	return -1;
}

void dc_err_print(const struct dc_err *e)
{
	dc_error("%s", e->msg[0] ? e->msg : "failed (no reason given)");
}
