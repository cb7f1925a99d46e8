/* Common includes for the cmocka unit tests. */
#ifndef DIYC_UNIT_H
#define DIYC_UNIT_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

/* Fixture trees live in tests/fixtures (override: DIYC_FIXTURES). */
static inline const char *fixtures(void)
{
	const char *d = getenv("DIYC_FIXTURES");
	return d && *d ? d : "tests/fixtures";
}
#endif
