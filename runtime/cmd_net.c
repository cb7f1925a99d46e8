/*
 * `diyc net setup|clean|status`: the command around netsetup's host side
 * (netsetup/host.c does the work; this file parses, loads the profile for the
 * iptables backend, and prints).
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
    "Usage: diyc net setup [--subnet A.B.C.D/N] [--profile FILE]\n"
    "       diyc net clean\n"
    "       diyc net status\n"
    "setup makes the default network \"bridge\": bridge " DC_BRIDGE
    " (default subnet\n" DC_SUBNET_DEFAULT
    "), IPv4 forwarding, NAT and forward rules in the chains\n"
    "DIYC-FORWARD, DIYC-INPUT, DIYC-POSTROUTING and DIYC-DNAT, and a dnsmasq on the\n"
    "bridge's address that resolves the containers' names; running it again changes\n"
    "nothing. clean removes exactly that, and every network of diyc network create.\n"
    "After setup, diyc run uses --net bridge by default.\n"
    "The rules go through the iptables backend (nft or legacy) that the kernel\n"
    "profile found able to program this kernel (--profile FILE: that profile).\n";

static int setup(int argc, char **argv)
{
	const char *subnet = DC_SUBNET_DEFAULT, *profile = NULL;
	struct dc_err e = {0};
	for (int i = 2; i < argc; i += 2) {
		if (i + 1 < argc && !strcmp(argv[i], "--subnet")) {
			subnet = argv[i + 1];
		} else if (i + 1 < argc && !strcmp(argv[i], "--profile")) {
			profile = argv[i + 1];
		} else {
			dc_error("usage: diyc net setup [--subnet A.B.C.D/N] [--profile FILE]");
			return EXIT_DIYC;
		}
	}
	/* an explicit --profile is used as it is (tests choose a backend with it) */
	const char *path = profile ? profile : dc_default_profile();
	struct dc_profile *p = features_profile(path, !profile, &e);
	if (!p) {
		dc_error("cannot use the kernel profile %s: %s", path, e.msg);
		return EXIT_DIYC;
	}
	int r = net_host_setup(G.root, subnet, p, stdout, &e);
	dc_profile_free(p);
	if (r < 0) {
		dc_err_print(&e);
		return EXIT_DIYC;
	}
	return 0;
}

int cmd_net(int argc, char **argv)
{
	struct dc_err e = {0};
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_DIYC : 0;
	}
	if (!strcmp(argv[1], "setup"))
		return setup(argc, argv);
	if (!strcmp(argv[1], "clean") && argc == 2) {
		if (net_host_clean(G.root, &e) < 0) {
			dc_err_print(&e);
			return EXIT_DIYC;
		}
		printf("network removed\n");
		return 0;
	}
	if (!strcmp(argv[1], "status") && argc == 2)
		return net_host_status(G.root, stdout);
	dc_error("unknown net command '%s' (setup, clean, status)", argv[1]);
	return EXIT_DIYC;
}
