/* `diyc logs NAME`: the output of a detached container (/run/diyc/NAME/log). */
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

int cmd_logs(int argc, char **argv)
{
	char p[PATH_MAX], buf[65536];
	struct dc_err e = {0};
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: diyc logs NAME\nPrint the output of a detached container.");
		return 0;
	}
	if (argc != 2) {
		dc_error("usage: diyc logs NAME");
		return EXIT_DIYC;
	}
	if (name_check("container", argv[1], DC_NAME_MAX, &e) < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	fmt(p, sizeof(p), "%s/%s/log", G.state_dir, argv[1]);
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		dc_error("no log for %s (only detached containers have one)", argv[1]);
		return EXIT_DIYC;
	}
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDOUT_FILENO, buf, (size_t)n) != n)
			break;
	close(fd);
	return 0;
}
