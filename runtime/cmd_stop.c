/*
 * `diyc stop [-t SECS] NAME`: the image's StopSignal (default SIGTERM, as docker) to
 * the main process (pid reuse safe, as kill), then, after SECS, SIGKILL to everything
 * left in the container's cgroup.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/image.h"
#include "lib/parse.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

int cmd_stop(int argc, char **argv)
{
	struct state st;
	long secs = 10;
	int i = 1;
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts(
		    "Usage: diyc stop [-t SECS] NAME\nSend the image's StopSignal (default "
		    "SIGTERM), "
		    "wait SECS (default 10)\nfor the container to exit, then kill every process it "
		    "has left.");
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
	struct dc_err e = {0};
	if (state_running(argv[i], &st, &e) < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	kill(st.pid, img_stop_signal(st.image));
	if (state_wait_gone(argv[i], secs * 1000))
		return 0;
	kill_container(&st);
	if (!state_wait_gone(argv[i], 5000)) {
		dc_error("container %s did not stop", argv[i]);
		return EXIT_DIYC;
	}
	return 0;
}
