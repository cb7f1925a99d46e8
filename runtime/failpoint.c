/*
 * Crash injection for the tests: DIYC_FAILPOINT=STAGE makes diyc die with
 * SIGKILL right after that setup stage, as if the machine had killed it, so
 * tests/integration/crash.sh can prove that `diyc gc` removes whatever a crash
 * at that moment leaves.  DIYC_FAILPOINT=list prints the stages and exits.
 *
 * The stages are listed here once; calling failpoint() with another name is a
 * programming error and aborts, so a new stage cannot be added without
 * appearing in this list, and crash.sh fails when the list names a stage it
 * does not test.  The container process cannot reach the supervisor with a
 * signal (it may be in another PID namespace): at its stages it fails with the
 * message FAILPOINT_MSG STAGE, and the supervisor dies on reading it.
 *
 * DIYC_FAULT=NAME is the other half: a kernel refusal that the development kernels
 * never give, injected where diyc makes the request, so the fallback that answers
 * it runs in every test kernel (the faults below, each with what it simulates).
 */
#define _GNU_SOURCE
#include "diyc.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const stages[] = {
    "state",	/* /run/diyc/NAME created and locked, state.json "creating" */
    "lease",	/* (--net bridge) the IPAM lease written */
    "dir",	/* containers/NAME/{upper,work,merged} made */
    "cgroup",	/* the cgroups created, limits written */
    "clone",	/* the container process exists, held on its pipe */
    "attach",	/* it is in its cgroups */
    "veth",	/* (--net bridge) the veth pair exists, eth0 in the container */
    "portrule", /* (-p) the DNAT rules are installed */
    "overlay",	/* (container process) the overlay is mounted */
    "pivot",	/* (container process) the root filesystem is complete */
    "running",	/* the command runs */
};

static const struct {
	const char *name;
	int err;
} faults[] = {
    /* 4.4: a veth created with IFLA_MASTER in the same RTM_NEWLINK */
    {"veth_onestep", EOPNOTSUPP},
};

static const char *armed;

void failpoint_init(void)
{
	const char *f = getenv("DIYC_FAULT");
	bool known = !f || !*f;
	for (size_t i = 0; i < ARRAY_SIZE(faults) && !known; i++)
		known = !strcmp(f, faults[i].name);
	if (!known) {
		char names[256] = "";
		for (size_t i = 0; i < ARRAY_SIZE(faults); i++)
			strappend(names, sizeof(names), ", ", "%s", faults[i].name);
		err("DIYC_FAULT: no fault '%s' (known: %s)", f, names);
		exit(EXIT_DIYC);
	}
	const char *e = getenv("DIYC_FAILPOINT");
	if (!e || !*e)
		return;
	if (!strcmp(e, "list")) {
		for (size_t i = 0; i < ARRAY_SIZE(stages); i++)
			puts(stages[i]);
		exit(0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(stages); i++)
		if (!strcmp(e, stages[i]))
			armed = stages[i];
	if (!armed) {
		err("DIYC_FAILPOINT: no stage '%s' (DIYC_FAILPOINT=list lists them)", e);
		exit(EXIT_DIYC);
	}
}

int fault_errno(const char *name)
{
	const char *e = getenv("DIYC_FAULT");
	for (size_t i = 0; i < ARRAY_SIZE(faults); i++)
		if (!strcmp(faults[i].name, name))
			return e && !strcmp(e, name) ? faults[i].err : 0;
	abort(); /* a fault missing from the list above */
}

bool failpoint_armed(const char *stage)
{
	size_t i = 0;
	while (i < ARRAY_SIZE(stages) && strcmp(stages[i], stage))
		i++;
	if (i == ARRAY_SIZE(stages))
		abort(); /* a stage missing from the list above */
	return armed && !strcmp(armed, stage);
}

void failpoint(const char *stage)
{
	if (failpoint_armed(stage)) {
		raise(SIGKILL);
		_exit(EXIT_DIYC);
	}
}
