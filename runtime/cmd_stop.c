/*
 * `diyc stop [-t SECS] NAME`: the image's StopSignal (default SIGTERM, as docker) to
 * the main process (pid reuse safe, as kill), then, after SECS, SIGKILL to everything
 * left in the container's cgroup.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/image.h"
#include "lib/names.h"
#include "lib/parse.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* one container: 0, or EXIT_DIYC with the line printed */
static int stop_one(const char *name, long secs)
{
	struct state st;
	struct dc_err e = {0};
	bool running = false;
	if (name_check("container", name, DC_NAME_MAX, &e) == 0 &&
	    state_load(name, &st, &running) == 0 && running && !strcmp(st.status, "restarting")) {
		restart_forbid(name); /* between two starts: the supervisor ends the wait */
		kill(st.supervisor, SIGTERM);
		return state_wait_gone(name, 5000)
			   ? 0
			   : (dc_error("container %s did not stop", name), EXIT_DIYC);
	}
	if (state_running(name, &st, &e) < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	restart_forbid(name);
	kill(st.pid, img_stop_signal(st.image));
	if (state_wait_gone(name, secs * 1000))
		return 0;
	kill_container(&st);
	if (!state_wait_gone(name, 5000)) {
		dc_error("container %s did not stop", name);
		return EXIT_DIYC;
	}
	return 0;
}

int cmd_stop(int argc, char **argv)
{
	long secs = 10;
	int i = 1, rc = 0;
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: diyc stop [-t SECS] NAME...\nSend the image's StopSignal (default "
		     "SIGTERM), wait SECS (default 10)\nfor the container to exit, then kill "
		     "every process it has left; a --restart\npolicy ends with it.");
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "-t")) {
		if (parse_count(argv[2], 0, 3600, &secs) < 0) {
			dc_error("invalid timeout '%s' (seconds, 0 to 3600)", argv[2]);
			return EXIT_DIYC;
		}
		i = 3;
	}
	if (argc < i + 1) {
		dc_error("usage: diyc stop [-t SECS] NAME...");
		return EXIT_DIYC;
	}
	for (; i < argc; i++) /* each one; the first failure decides the status */
		if (stop_one(argv[i], secs) && !rc)
			rc = EXIT_DIYC;
	return rc;
}
