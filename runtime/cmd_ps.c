/*
 * `diyc ps`: the containers, as docker's: running ones by default, -a/--all stopped
 * ones too, -q names only, --format json the fields of cmd_inspect.c's summary.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/names.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

json_object *container_summary(const struct state *st, bool running); /* cmd_inspect.c */

struct ps_opts {
	bool all, quiet, json;
};

static int parse(int argc, char **argv, struct ps_opts *p)
{
	static const struct option o[] = {{"all", no_argument, NULL, 'a'},
					  {"quiet", no_argument, NULL, 'q'},
					  {"format", required_argument, NULL, 'f'},
					  {"help", no_argument, NULL, 'h'},
					  {NULL, 0, NULL, 0}};
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":aqh", o, NULL)) != -1) {
		if (c == 'a')
			p->all = true;
		else if (c == 'q')
			p->quiet = true;
		else if (c == 'f' && !strcmp(optarg, "json"))
			p->json = true;
		else if (c == 'f')
			return dc_error("ps --format: only json is supported"), -1;
		else if (c == 'h') {
			puts("Usage: diyc ps [-a] [-q] [--format json]\nList running containers "
			     "(-a: stopped ones too): name, pid, state,\nimage, start time, "
			     "namespaces used and the features degraded on this kernel;\n-q: the "
			     "names only; --format json: one JSON array (fields in diyc(1)).");
			return 1;
		} else
			return dc_error("ps: unknown option %s (see diyc ps --help)",
					argv[optind - 1]),
			       -1;
	}
	if (optind < argc)
		return dc_error("ps takes no arguments (see diyc ps --help)"), -1;
	return 0;
}

static void row(const struct state *st, bool running, int width)
{
	char state[24], ns[80];
	if (!strcmp(st->status, "exited"))
		snprintf(state, sizeof(state), "exited(%d)", st->exit_code);
	else
		snprintf(state, sizeof(state), "%s", st->status);
	dc_ns_mask_str(st->nsmask, ns, sizeof(ns));
	printf("%-*s %-8d %-10s %-12s %-20s %-28s %s\n", width, st->name,
	       running ? (int)st->pid : 0, state, st->image, st->created, ns,
	       st->degraded[0] ? st->degraded : "-");
}

int cmd_ps(int argc, char **argv)
{
	struct ps_opts p = {0};
	int r = parse(argc, argv, &p);
	if (r)
		return r < 0 ? EXIT_DIYC : 0;
	char **names;
	int n = state_list(&names), width = 12;
	for (int i = 0; i < n; i++)
		width = (int)strlen(names[i]) > width ? (int)strlen(names[i]) : width;
	json_object *arr = p.json ? json_object_new_array() : NULL;
	if (!p.quiet && !p.json)
		printf("%-*s %-8s %-10s %-12s %-20s %-28s %s\n", width, "NAME", "PID", "STATE",
		       "IMAGE", "STARTED", "NAMESPACES", "DEGRADED");
	for (int i = 0; i < n; i++) {
		struct state st;
		bool running;
		if (state_load(names[i], &st, &running) == 0 && (p.all || running)) {
			if (arr)
				json_object_array_add(arr, container_summary(&st, running));
			else if (p.quiet)
				printf("%s\n", st.name);
			else
				row(&st, running, width);
		}
		free(names[i]);
	}
	free(names);
	if (arr) {
		printf("%s\n", json_object_to_json_string_ext(
				   arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	}
	return 0;
}
