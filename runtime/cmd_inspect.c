/*
 * `diyc inspect NAME...` (one JSON document per container: config, state, mounts,
 * network, cgroup paths, degraded features), `diyc ps --format json` (the same
 * fields, shorter), `diyc wait NAME...` and `diyc rename OLD NEW`.  Everything is
 * read from the container's state (state.c) and its lease (netsetup): nothing here
 * touches a running container.  The JSON fields are documented in diyc(1) and kept
 * stable; new ones may be added.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/names.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static void put(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

/* a list split at sep into a JSON array of strings */
static json_object *split(const char *list, const char *sep)
{
	json_object *a = json_object_new_array();
	char *buf = strdup(list), *save = NULL;
	for (char *t = buf ? strtok_r(buf, sep, &save) : NULL; t; t = strtok_r(NULL, sep, &save))
		json_object_array_add(a, json_object_new_string(t));
	free(buf);
	return a;
}

/* the fields of `ps --format json`: also the start of an inspect document */
json_object *container_summary(const struct state *st, bool running)
{
	json_object *o = json_object_new_object();
	char ns[80];
	put(o, "Name", st->name);
	put(o, "Image", st->image);
	put(o, "Command", st->command);
	put(o, "State", st->status);
	json_object_object_add(o, "Running", json_object_new_boolean(running));
	json_object_object_add(o, "Pid", json_object_new_int(running ? st->pid : 0));
	json_object_object_add(o, "ExitCode", json_object_new_int(st->exit_code));
	put(o, "Created", st->created);
	dc_ns_mask_str(st->nsmask, ns, sizeof(ns));
	json_object_object_add(o, "Namespaces", split(ns, ","));
	json_object_object_add(o, "Degraded", split(st->degraded, ";"));
	return o;
}

static json_object *mounts(const struct state *st)
{
	json_object *a = json_object_new_array();
	char *buf = strdup(st->mounts), *save = NULL;
	for (char *l = buf ? strtok_r(buf, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		char *f[4] = {0}, *s2 = NULL;
		int n = 0;
		for (char *t = strtok_r(l, "\t", &s2); t && n < 4; t = strtok_r(NULL, "\t", &s2))
			f[n++] = t;
		if (n < 4)
			continue;
		json_object *m = json_object_new_object();
		put(m, "Type", f[0]);
		put(m, "Source", strcmp(f[1], "-") ? f[1] : "");
		put(m, "Destination", f[2]);
		json_object_object_add(m, "RW", json_object_new_boolean(!strcmp(f[3], "rw")));
		json_object_array_add(a, m);
	}
	free(buf);
	return a;
}

static json_object *network(const char *name)
{
	struct net_info ni;
	json_object *o = json_object_new_object();
	if (!net_info(G.root, name, &ni))
		return o; /* --net none or host, or stopped: no lease */
	put(o, "Network", ni.network);
	put(o, "IPAddress", ni.ip);
	put(o, "HostInterface", ni.host_if);
	json_object_object_add(o, "Ports", split(ni.ports, ","));
	json_object_object_add(o, "Aliases", split(ni.aliases, ","));
	return o;
}

static json_object *inspect_one(const struct state *st, bool running)
{
	json_object *o = container_summary(st, running), *cg = json_object_new_array();
	put(o, "User", st->user);
	put(o, "GroupAdd", st->group_add);
	json_object_object_add(o, "ReadOnly", json_object_new_boolean(st->read_only));
	json_object_object_add(o, "Mounts", mounts(st));
	json_object_object_add(o, "Volumes", split(st->volumes, ","));
	json_object_object_add(o, "NetworkSettings", network(st->name));
	for (int i = 0; i < st->ncgroups; i++)
		json_object_array_add(cg, json_object_new_string(st->cgroups[i]));
	json_object_object_add(o, "Cgroups", cg);
	json_object_object_add(o, "NoNewPrivileges", json_object_new_boolean(st->nnp));
	json_object_object_add(o, "Seccomp", json_object_new_boolean(st->seccomp));
	json_object_object_add(o, "Supervisor", json_object_new_int(running ? st->supervisor : 0));
	json_object_object_add(o, "Rm", json_object_new_boolean(st->rm));
	json_object_object_add(o, "RestartCount", json_object_new_int(st->restarts));
	return o;
}

/* a container by name, checked first: 0, or -1 with the line printed */
static int load(const char *name, struct state *st, bool *running)
{
	struct dc_err e = {0};
	if (name_check("container", name, DC_NAME_MAX, &e) < 0)
		return dc_err_print(&e), -1;
	if (state_load(name, st, running) < 0)
		return dc_error("no container %s", name), -1;
	return 0;
}

int cmd_inspect(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: diyc inspect NAME...\nOne JSON array: each container's config, "
		     "state, mounts, network, cgroups\nand degraded features (fields in diyc(1)).");
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-')
		return dc_error("usage: diyc inspect NAME..."), EXIT_DIYC;
	json_object *a = json_object_new_array();
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		struct state st;
		bool running;
		if (load(argv[i], &st, &running) < 0)
			rc = EXIT_DIYC;
		else
			json_object_array_add(a, inspect_one(&st, running));
	}
	if (json_object_array_length(a) || !rc)
		printf("%s\n", json_object_to_json_string_ext(
				   a, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(a);
	return rc;
}

/* `diyc wait NAME...`: block until each has stopped (its supervisor let go of the
 * lock), print its exit code */
int cmd_wait(int argc, char **argv)
{
	char p[PATH_MAX];
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		puts("Usage: diyc wait NAME...\nWait until each container stops; print its exit "
		     "code.");
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-')
		return dc_error("usage: diyc wait NAME..."), EXIT_DIYC;
	for (int i = 1; i < argc; i++) {
		struct state st;
		bool running;
		if (load(argv[i], &st, &running) < 0)
			return EXIT_DIYC;
		fmt(p, sizeof(p), "%s/%s/lock", G.state_dir, argv[i]);
		int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
				;
			close(fd);
		}
		/* a --rm container is gone with its state: its code is not kept */
		if (state_load(argv[i], &st, &running) < 0)
			return dc_error("container %s was removed (--rm): no exit code", argv[i]),
			       EXIT_DIYC;
		printf("%d\n", st.exit_code);
	}
	return 0;
}

/* `diyc rename OLD NEW`: a stopped container only (a running one's supervisor writes
 * its state under the old name) */
int cmd_rename(int argc, char **argv)
{
	struct dc_err e = {0};
	struct state st, other;
	bool running;
	char a[PATH_MAX], b[PATH_MAX];
	if (argc != 3 || argv[1][0] == '-')
		return dc_error("usage: diyc rename OLD NEW"), EXIT_DIYC;
	if (load(argv[1], &st, &running) < 0)
		return EXIT_DIYC;
	if (name_check("container", argv[2], DC_NAME_MAX, &e) < 0)
		return dc_err_print(&e), EXIT_DIYC;
	if (running)
		return dc_error("container %s is running: stop it first (diyc renames stopped "
				"containers only)",
				argv[1]),
		       EXIT_DIYC;
	if (state_load(argv[2], &other, &running) == 0)
		return dc_error("a container %s exists already", argv[2]), EXIT_DIYC;
	container_dir(argv[1], a, sizeof(a));
	container_dir(argv[2], b, sizeof(b));
	if (path_exists(a) && rename(a, b) < 0)
		return dc_error("rename %s: %s", a, strerror(errno)), EXIT_DIYC;
	fmt(a, sizeof(a), "%s/%s", G.state_dir, argv[1]);
	fmt(b, sizeof(b), "%s/%s", G.state_dir, argv[2]);
	if (rename(a, b) < 0) {
		int err = errno;
		container_dir(argv[2], a, sizeof(a));
		container_dir(argv[1], b, sizeof(b));
		rename(a, b); /* back */
		return dc_error("rename the state of %s: %s", argv[1], strerror(err)), EXIT_DIYC;
	}
	snprintf(st.name, sizeof(st.name), "%s", argv[2]);
	state_save(&st);
	return 0;
}
