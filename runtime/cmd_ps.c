/* `diyc ps`: the state of every container. */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/names.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_ps(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: diyc ps\nList containers: name, pid, state, image, start time,\n"
		     "namespaces used and the features degraded on this kernel.");
		return 0;
	}
	if (argc > 1) {
		dc_error("ps takes no arguments (see diyc ps --help)");
		return EXIT_DIYC;
	}
	char **names;
	int n = state_list(&names);
	printf("%-12s %-8s %-10s %-12s %-20s %-28s %s\n", "NAME", "PID", "STATE", "IMAGE",
	       "STARTED", "NAMESPACES", "DEGRADED");
	for (int i = 0; i < n; i++) {
		struct state st;
		bool running;
		if (state_load(names[i], &st, &running) == 0) {
			char state[24];
			if (!strcmp(st.status, "exited"))
				snprintf(state, sizeof(state), "exited(%d)", st.exit_code);
			else
				snprintf(state, sizeof(state), "%s", st.status);
			char ns[80];
			dc_ns_mask_str(st.nsmask, ns, sizeof(ns));
			printf("%-12s %-8d %-10s %-12s %-20s %-28s %s\n", st.name,
			       running ? (int)st.pid : 0, state, st.image, st.created, ns,
			       st.degraded[0] ? st.degraded : "-");
		}
		free(names[i]);
	}
	free(names);
	return 0;
}
