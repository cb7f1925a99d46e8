/*
 * `diyc network create|ls|inspect|rm` (named networks, as docker's and podman's
 * user-defined bridges) and `diyc port NAME` (a container's published ports): the
 * commands around netsetup/networks.c and ports.c, which do the work.  This file
 * parses, loads the profile for the iptables backend, and prints.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/names.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "Usage: diyc network create [--subnet A.B.C.D/N] [--internal] [--profile FILE] NAME\n"
    "       diyc network ls\n"
    "       diyc network inspect NAME...\n"
    "       diyc network rm NAME...\n"
    "A network is its own bridge and subnet (default: the first free 10.204.N.0/24)\n"
    "with NAT out (none when --internal) and a DNS server (dnsmasq) on its gateway that\n"
    "answers the names and --network-alias names of its containers. Containers on two\n"
    "networks cannot reach each other. Use it with diyc run --net NAME. The default\n"
    "network \"bridge\" (diyc0) is made by diyc net setup and removed by diyc net clean;\n"
    "rm refuses a network a container uses.\n";

static int fail(struct dc_err *e)
{
	dc_err_print(e);
	return EXIT_DIYC;
}

static int create(int argc, char **argv)
{
	static const struct option o[] = {{"subnet", required_argument, NULL, 's'},
					  {"internal", no_argument, NULL, 'i'},
					  {"profile", required_argument, NULL, 'F'},
					  {NULL, 0, NULL, 0}};
	const char *subnet = NULL, *profile = NULL;
	bool internal = false;
	struct dc_err e = {0};
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", o, NULL)) != -1) {
		if (c == 's')
			subnet = optarg;
		else if (c == 'i')
			internal = true;
		else if (c == 'F')
			profile = optarg;
		else
			return dc_error("%s option %s (see diyc network --help)",
					c == ':' ? "a value is missing for" : "unknown",
					argv[optind - 1]),
			       EXIT_DIYC;
	}
	if (argc - optind != 1)
		return dc_error("network create needs one NAME (see diyc network --help)"),
		       EXIT_DIYC;
	const char *path = profile ? profile : dc_default_profile();
	struct dc_profile *p = features_profile(path, !profile, &e);
	if (!p) {
		dc_error("cannot use the kernel profile %s: %s", path, e.msg);
		return EXIT_DIYC;
	}
	int r = net_create(G.root, argv[optind], subnet, internal, p, stdout, &e);
	dc_profile_free(p);
	return r < 0 ? fail(&e) : 0;
}

/* inspect and rm: each NAME; the first failure decides the exit status */
static int each(int argc, char **argv, bool rm)
{
	struct dc_err e = {0};
	int rc = 0;
	if (argc < 3)
		return dc_error("network %s needs a NAME", argv[1]), EXIT_DIYC;
	if (!rm)
		printf("[\n");
	for (int i = 2; i < argc; i++) {
		if (!rm && i > 2)
			printf(",\n");
		if ((rm ? net_remove(G.root, argv[i], &e)
			: net_inspect(G.root, argv[i], stdout, &e)) < 0)
			rc = fail(&e);
		else if (rm)
			printf("%s\n", argv[i]);
	}
	if (!rm)
		printf("]\n");
	return rc;
}

int cmd_network(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_DIYC : 0;
	}
	if (!strcmp(argv[1], "create"))
		return create(argc - 1, argv + 1);
	if ((!strcmp(argv[1], "ls") || !strcmp(argv[1], "list")) && argc == 2) {
		net_list(G.root, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "inspect") || !strcmp(argv[1], "rm"))
		return each(argc, argv, !strcmp(argv[1], "rm"));
	dc_error("unknown network command '%s' (create, ls, inspect, rm)", argv[1]);
	return EXIT_DIYC;
}

int cmd_port(int argc, char **argv)
{
	struct state st;
	bool running;
	if (argc != 2 || argv[1][0] == '-') {
		if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
			printf("Usage: diyc port NAME\nThe published ports of container NAME, "
			       "as \"80/tcp -> 0.0.0.0:8080\".\n");
			return 0;
		}
		return dc_error("usage: diyc port NAME"), EXIT_DIYC;
	}
	struct dc_err e = {0};
	if (name_check("container", argv[1], DC_NAME_MAX, &e) < 0)
		return fail(&e);
	if (state_load(argv[1], &st, &running) < 0)
		return dc_error("no container %s", argv[1]), EXIT_DIYC;
	net_ports_print(G.root, argv[1], stdout);
	return 0;
}
