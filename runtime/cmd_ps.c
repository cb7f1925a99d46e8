/* `diyc ps` and `diyc logs`: read the state of containers. */
#define _GNU_SOURCE
#include "diyc.h"
#include "names.h"
#include "util.h"

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
		err("ps takes no arguments (see diyc ps --help)");
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
			printf("%-12s %-8d %-10s %-12s %-20s %-28s %s\n", st.name,
			       running ? (int)st.pid : 0, state, st.image, st.created,
			       st.namespaces, st.degraded[0] ? st.degraded : "-");
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

int cmd_logs(int argc, char **argv)
{
	char why[200], p[PATH_MAX], buf[65536];
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: diyc logs NAME\nPrint the output of a detached container.");
		return 0;
	}
	if (argc != 2) {
		err("usage: diyc logs NAME");
		return EXIT_DIYC;
	}
	if (name_check("container", argv[1], DC_NAME_MAX, why, sizeof(why)) < 0) {
		err("%s", why);
		return EXIT_DIYC;
	}
	fmt(p, sizeof(p), "%s/%s/log", G.state_dir, argv[1]);
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err("no log for %s (only detached containers have one)", argv[1]);
		return EXIT_DIYC;
	}
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDOUT_FILENO, buf, (size_t)n) != n)
			break;
	close(fd);
	return 0;
}
