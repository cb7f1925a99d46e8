/* The simulated kernel refusals of DIYC_FAULT (fault.h), listed once. */
#define _GNU_SOURCE
#include "lib/fault.h"
#include "lib/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	int err;
} faults[] = {
    /* 4.4: a veth created with IFLA_MASTER in the same RTM_NEWLINK */
    {"veth_onestep", EOPNOTSUPP},
};

int dc_fault_check(struct dc_err *e)
{
	const char *f = getenv("DIYC_FAULT");
	if (!f || !*f)
		return 0;
	char names[256] = "";
	for (size_t i = 0; i < ARRAY_SIZE(faults); i++) {
		if (!strcmp(f, faults[i].name))
			return 0;
		strappend(names, sizeof(names), ", ", "%s", faults[i].name);
	}
	return dc_fail(e, 0, "DIYC_FAULT: no fault '%s' (known: %s)", f, names);
}

int dc_fault_errno(const char *name)
{
	const char *f = getenv("DIYC_FAULT");
	for (size_t i = 0; i < ARRAY_SIZE(faults); i++)
		if (!strcmp(faults[i].name, name))
			return f && !strcmp(f, name) ? faults[i].err : 0;
	abort(); /* a fault asked for by name that the table lacks: a programming error */
}
