/* diyc: command dispatch and global options. */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/timing.h"
#include "lib/twin.h"
#include "lib/util.h"
#include "lib/version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} commands[] = {
    {"run", cmd_run, "run a command in a new container"},
    {"ps", cmd_ps, "list containers"},
    {"stop", cmd_stop, "stop a container (SIGTERM, then SIGKILL)"},
    {"kill", cmd_kill, "send a signal to a container"},
    {"exec", cmd_exec, "run a command in a running container"},
    {"logs", cmd_logs, "show the output of a detached container"},
    {"rm", cmd_rm, "remove a stopped container"},
    {"gc", cmd_gc, "remove whatever a crashed diyc left behind"},
    {"images", cmd_images, "list images"},
    {"image", cmd_image, "import or remove an image"},
    {"profile", cmd_profile, "show the kernel profile in use and what is degraded"},
    {"net", cmd_net, "set up or remove the host network for bridged containers"},
    {"network", cmd_network, "create, list, inspect or remove named networks"},
    {"port", cmd_port, "list a container's published ports"},
    {"volume", cmd_volume, "create, list, inspect or remove named volumes"},
    {"inspect", cmd_inspect, "a container's configuration and state as JSON"},
    {"wait", cmd_wait, "wait until a container stops, print its exit code"},
    {"rename", cmd_rename, "rename a stopped container"},
    {"stats", cmd_stats, "what running containers use: CPU, memory, I/O, pids"},
    {"top", cmd_top, "the processes of a container"},
    {"cp", cmd_cp, "copy files between the host and a running container"},
    {"debug", cmd_debug, NULL}, /* hidden: `diyc debug steps` for the tests */
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: diyc [--root DIR] [-v] COMMAND [ARGS...]\n"
		   "A container runtime that adapts to the kernel it runs on.\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].help)
			fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nGlobal options:\n"
		   "  --root DIR     data root for images and containers (default $DIYC_ROOT "
		   "or " DC_DATA_ROOT ")\n"
		   "  -v, --verbose  say what diyc does\n"
		   "  -h, --help     this help; `diyc COMMAND --help` for a command\n"
		   "  -V, --version  the version\n"
		   "\nExit status: the container's own status (128+N when killed by signal N);\n"
		   "125 when diyc itself fails, 126 when the command cannot run, 127 when it is\n"
		   "not found. See diyc(1).\n");
}

/* The commands that may need a shared library anywhere, not only before they change
 * anything: the static diyc runs them in diyc-dynamic from the start (lib/twin.h). */
static bool needs_twin(const char *name)
{
	return !strcmp(name, "image") || !strcmp(name, "net") || !strcmp(name, "network");
}

static int run_command(size_t c, int argc, char **argv)
{
	struct dc_err e = {0};
	if (needs_twin(argv[0]) && dc_twin_reexec(argv[0], &e) < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	return commands[c].fn(argc, argv);
}

int main(int argc, char **argv)
{
	int i = 1;
	timing_init();
	dc_twin_init(argv);
	const char *env = getenv("DIYC_ROOT");
	if (env && *env)
		G.root = env;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("diyc %s\n", DIYC_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			dc_verbose++;
		} else if (!strcmp(argv[i], "--root") && i + 1 < argc) {
			G.root = argv[++i];
		} else if (!strncmp(argv[i], "--root=", 7)) {
			G.root = argv[i] + 7;
		} else {
			dc_error("unknown option %s (see diyc --help)", argv[i]);
			return EXIT_DIYC;
		}
	}
	if (G.root[0] != '/' || strpbrk(G.root, ",:\n")) {
		dc_error("the data root must be an absolute path without ',' ':' or newlines: '%s'",
			 G.root);
		return EXIT_DIYC;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_DIYC;
	}
	failpoint_init();
	for (size_t c = 0; c < ARRAY_SIZE(commands); c++)
		if (!strcmp(argv[i], commands[c].name))
			return run_command(c, argc - i, argv + i);
	dc_error("unknown command '%s' (see diyc --help)", argv[i]);
	return EXIT_DIYC;
}
