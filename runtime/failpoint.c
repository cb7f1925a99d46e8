/*
 * Crash injection for the tests: DIYC_FAILPOINT=STEP makes diyc die with SIGKILL
 * right after that step of a start, as if the machine had killed it, so that
 * tests/integration/crash.sh can prove that `diyc gc` removes whatever a crash at
 * that moment leaves.  DIYC_FAILPOINT=STEP:error makes the step fail after its work
 * instead, so that the same test proves the unwinding undoes it and every step
 * before it, with no gc at all.  The steps are the tables themselves (start_steps in steps.c,
 * container_steps in container.c, image_steps in img_import.c for an import or a
 * pull): there is no second list.  DIYC_FAILPOINT=list
 * prints their names; `diyc debug steps` (cmd_debug.c) prints them with what each
 * one makes.
 * Naming a step that is in neither table is refused (exit 125); asking for one in
 * the code that is in neither aborts, a programming error.
 *
 * The container process cannot reach the supervisor with a signal (it may be in
 * another PID namespace): at its steps it fails with the message FAILPOINT_MSG STEP,
 * and the supervisor dies on reading it (container_release).
 *
 * DIYC_FAULT (simulated kernel refusals) is lib/fault.c; it is checked here too, so
 * that a misspelt fault fails every command the same way.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/fault.h"
#include "lib/util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char armed[32];
static bool as_error; /* STEP:error: the step fails instead of diyc dying */

static bool known_step(const char *name)
{
	for (int i = 0; start_steps[i].name; i++)
		if (!strcmp(start_steps[i].name, name))
			return true;
	for (int i = 0; container_steps[i].name; i++)
		if (!strcmp(container_steps[i].name, name))
			return true;
	for (int i = 0; image_steps[i].name; i++)
		if (!strcmp(image_steps[i].name, name))
			return true;
	return false;
}

void failpoint_init(void)
{
	struct dc_err e;
	if (dc_fault_check(&e) < 0) {
		dc_err_print(&e);
		exit(EXIT_DIYC);
	}
	const char *f = getenv("DIYC_FAILPOINT");
	if (!f || !*f)
		return;
	if (!strcmp(f, "list")) {
		for (int i = 0; start_steps[i].name; i++)
			puts(start_steps[i].name);
		for (int i = 0; container_steps[i].name; i++)
			puts(container_steps[i].name);
		exit(0);
	}
	size_t n = strcspn(f, ":");
	as_error = !strcmp(f + n, ":error");
	if (n >= sizeof(armed) || (f[n] && !as_error)) {
		dc_error("DIYC_FAILPOINT: '%s' is not STEP or STEP:error", f);
		exit(EXIT_DIYC);
	}
	memcpy(armed, f, n);
	armed[n] = '\0';
	if (!known_step(armed)) {
		dc_error("DIYC_FAILPOINT: no step '%s' (diyc debug steps lists them)", armed);
		armed[0] = '\0';
		exit(EXIT_DIYC);
	}
}

bool failpoint_armed(const char *step)
{
	if (!known_step(step))
		abort(); /* a failpoint that no table names */
	return !as_error && !strcmp(armed, step);
}

void failpoint(const char *step)
{
	if (failpoint_armed(step)) {
		raise(SIGKILL);
		_exit(EXIT_DIYC);
	}
}

int failpoint_error(const char *step, struct dc_err *e)
{
	if (!known_step(step))
		abort();
	if (!as_error || strcmp(armed, step))
		return 0;
	return dc_fail(e, 0, "%s%s", FAILPOINT_ERROR, step);
}
