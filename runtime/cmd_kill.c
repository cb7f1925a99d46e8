/*
 * `diyc kill NAME [SIGNAL]`.  A signal goes to the recorded pid only while that pid
 * still has the recorded start time: a recycled pid is never hit.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/parse.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

int cmd_kill(int argc, char **argv)
{
	struct state st;
	int sig = SIGKILL;
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: diyc kill NAME [SIGNAL]\nSend SIGNAL (default KILL; a name such as "
		     "TERM "
		     "or a number) to the\ncontainer's main process.");
		return 0;
	}
	if (argc < 2 || argc > 3) {
		dc_error("usage: diyc kill NAME [SIGNAL]");
		return EXIT_DIYC;
	}
	if (argc == 3 && parse_signal(argv[2], &sig) < 0) {
		dc_error("unknown signal '%s'", argv[2]);
		return EXIT_DIYC;
	}
	struct dc_err e = {0};
	if (state_running(argv[1], &st, &e) < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	if (kill(st.pid, sig) < 0) {
		dc_error("cannot signal %s (pid %d): %s", argv[1], (int)st.pid, strerror(errno));
		return EXIT_DIYC;
	}
	return 0;
}

/* SIGKILL every process of the container through its cgroup, and the main pid. */
void kill_container(const struct state *st)
{
	restart_forbid(st->name); /* (stop's second phase and rm -f: for good) */
	struct cg_plan cg;
	cg_plan_from_state(st, &cg);
	cg_kill_all(&cg);
	if (state_pid_alive(st))
		kill(st->pid, SIGKILL);
}
