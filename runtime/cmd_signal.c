/*
 * `diyc kill` and `diyc stop`.  A signal goes to the recorded pid only while
 * that pid still has the recorded start time: a recycled pid is never hit.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/names.h"
#include "lib/parse.h"
#include "lib/util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Load a running container by name, with a one-line error otherwise. */
static int running_container(const char *name, struct state *st)
{
	struct dc_err e = {0};
	bool running;
	if (name_check("container", name, DC_NAME_MAX, &e) < 0) {
		dc_err_print(&e);
		return -1;
	}
	if (state_load(name, st, &running) < 0) {
		dc_error("no container %s", name);
		return -1;
	}
	if (!running || !state_pid_alive(st)) {
		dc_error("container %s is not running", name);
		return -1;
	}
	return 0;
}

/* Wait until the supervisor has let go of the lock (the container is gone). */
static bool wait_gone(const char *name, long ms)
{
	for (long t = 0; t <= ms; t += 10) {
		struct state st;
		bool running = false;
		if (state_load(name, &st, &running) < 0 || !running)
			return true;
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	return false;
}

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
	if (running_container(argv[1], &st) < 0)
		return EXIT_DIYC;
	if (kill(st.pid, sig) < 0) {
		dc_error("cannot signal %s (pid %d): %s", argv[1], (int)st.pid, strerror(errno));
		return EXIT_DIYC;
	}
	return 0;
}

/* SIGKILL every process of the container through its cgroup, and the main pid. */
void kill_container(const struct state *st)
{
	struct cg_plan cg;
	cg_plan_from_state(st, &cg);
	cg_kill_all(&cg);
	if (state_pid_alive(st))
		kill(st->pid, SIGKILL);
}

int cmd_stop(int argc, char **argv)
{
	struct state st;
	long secs = 10;
	int i = 1;
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts(
		    "Usage: diyc stop [-t SECS] NAME\nSend SIGTERM, wait SECS (default 10) for the "
		    "container to exit,\nthen kill every process it has left.");
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "-t")) {
		if (parse_count(argv[2], 0, 3600, &secs) < 0) {
			dc_error("invalid timeout '%s' (seconds, 0 to 3600)", argv[2]);
			return EXIT_DIYC;
		}
		i = 3;
	}
	if (argc != i + 1) {
		dc_error("usage: diyc stop [-t SECS] NAME");
		return EXIT_DIYC;
	}
	if (running_container(argv[i], &st) < 0)
		return EXIT_DIYC;
	kill(st.pid, SIGTERM);
	if (wait_gone(argv[i], secs * 1000))
		return 0;
	kill_container(&st);
	if (!wait_gone(argv[i], 5000)) {
		dc_error("container %s did not stop", argv[i]);
		return EXIT_DIYC;
	}
	return 0;
}
