/*
 * diyc-oci's commands on existing containers: delete, list, ps, update.  delete
 * is the one undo of a create (the caller reaped the process): what the container
 * left running is killed through its cgroup (without a PID namespace that is the
 * only way to find it), the cgroups and the state go, the poststop hooks run.
 */
#define _GNU_SOURCE
#include "runtime/oci_int.h"
#include "lib/util.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void stop_now(struct state *st, struct cg_plan *p)
{
	cg_freeze(p, false);			/* a paused container cannot die */
	if (st->pid > 0 && state_pid_alive(st)) /* (pid 0: a create that died before clone) */
		kill(st->pid, SIGKILL);
	cg_kill_all(p);
	for (int i = 0; i < 500 && strcmp(oci_status(st), "stopped"); i++) {
		struct timespec ms = {0, 10000000};
		nanosleep(&ms, NULL);
	}
}

int oci_cmd_delete(int argc, char **argv)
{
	struct state st;
	struct dc_err e = {0};
	struct cg_plan p;
	bool force = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++)
		if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f") ||
		    !strcmp(argv[i], "-force"))
			force = true;
		else
			return oci_failf("unknown option %s", argv[i]);
	if (i != argc - 1)
		return oci_failf("%s", "delete needs exactly one container id");
	if (oci_load(argv[i], &st, &e) < 0)
		return force && oci_id_check(argv[i], NULL) == 0 ? 0 : oci_fail(&e);
	const char *status = oci_status(&st);
	if (strcmp(status, "stopped") && !force) {
		dc_fail(&e, 0, "cannot delete container %s that is not stopped: %s", argv[i],
			status);
		return oci_fail(&e);
	}
	cg_plan_from_state(&st, &p);
	stop_now(&st, &p);
	int r = cg_destroy(&p);
	if (r < 0)
		dc_warn("cannot remove the cgroups of %s: %s", argv[i], strerror(-r));
	static struct oci_spec s;
	if (oci_spec_load(st.bundle, &s, &e) == 0 && oci_hooks(&s, &st, HOOK_POSTSTOP, &e) < 0)
		dc_warn("%s", e.msg);
	oci_spec_free(&s);
	state_remove(argv[i]);
	return 0;
}

static int list_json(char **names, int n)
{
	json_object *a = json_object_new_array();
	for (int i = 0; i < n; i++) {
		struct state st;
		if (oci_load(names[i], &st, NULL) < 0)
			continue;
		char *j = oci_state_json(&st, false);
		json_object *o = j ? json_tokener_parse(j) : NULL;
		free(j);
		if (o)
			json_object_array_add(a, o);
	}
	puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(a);
	return 0;
}

int oci_cmd_list(int argc, char **argv)
{
	bool quiet = false, json = false;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
			quiet = true;
		else if ((!strcmp(argv[i], "--format") || !strcmp(argv[i], "-f")) && i + 1 < argc)
			json = !strcmp(argv[++i], "json");
		else if (!strcmp(argv[i], "--format=json"))
			json = true;
		else
			return oci_failf("unknown option %s", argv[i]);
	char **names = NULL;
	int n = state_list(&names);
	int r = 0;
	if (json)
		r = list_json(names, n);
	else if (!quiet)
		printf("%-12s %-8s %-8s %-40s %-22s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (int i = 0; !json && i < n; i++) {
		struct state st;
		if (oci_load(names[i], &st, NULL) < 0)
			continue;
		const char *status = oci_status(&st);
		if (quiet)
			puts(st.name);
		else
			printf("%-12s %-8d %-8s %-40s %-22s root\n", st.name,
			       strcmp(status, "stopped") ? st.pid : 0, status, st.bundle,
			       st.created);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int oci_cmd_ps(int argc, char **argv)
{
	struct state st;
	struct dc_err e = {0};
	struct cg_plan p;
	static pid_t pids[4096];
	bool json = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++)
		if ((!strcmp(argv[i], "--format") || !strcmp(argv[i], "-f")) && i + 1 < argc)
			json = !strcmp(argv[++i], "json");
		else
			return oci_failf("unknown option %s", argv[i]);
	if (i >= argc)
		return oci_failf("%s", "ps needs a container id");
	if (oci_load(argv[i], &st, &e) < 0)
		return oci_fail(&e);
	cg_plan_from_state(&st, &p);
	int n = cg_procs(&p, pids, 4096);
	if (n < 0 && state_pid_alive(&st)) /* no cgroup: only the main process is known */
		pids[0] = st.pid, n = 1;
	if (json) {
		printf("[");
		for (int k = 0; k < n; k++)
			printf("%s%d", k ? "," : "", (int)pids[k]);
		printf("]\n");
		return 0;
	}
	printf("%-8s %s\n", "PID", "CMD");
	for (int k = 0; k < n; k++) {
		char path[64], cmd[256] = "?";
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pids[k]);
		read_line(path, cmd, sizeof(cmd));
		printf("%-8d %s\n", (int)pids[k], cmd);
	}
	return 0;
}

/* the first of the container's cgroup directories that has one of files[] */
static int write_limit(const struct state *st, const char *const files[2], const char *v,
		       struct dc_err *e)
{
	char p[PATH_MAX + 64];
	for (int i = 0; i < st->ncgroups; i++)
		for (int k = 0; k < 2; k++)
			if (fmt(p, sizeof(p), "%s/%s", st->cgroups[i], files[k]) == 0 &&
			    path_exists(p)) {
				int r = write_file(p, v);
				return r < 0 ? dc_fail(e, -r, "write %s=%s", p, v) : 0;
			}
	return dc_fail(e, 0,
		       "no cgroup of this container has %s: a limit of that kind can only "
		       "be updated when create set one",
		       files[0]);
}

static int update_from(json_object *r, const struct state *st, struct dc_err *e)
{
	json_object *m, *c, *p, *v;
	char val[64];
	static const char *const mem[2] = {"memory.limit_in_bytes", "memory.max"};
	static const char *const pid[2] = {"pids.max", "pids.max"};
	if (json_object_object_get_ex(r, "memory", &m) &&
	    json_object_object_get_ex(m, "limit", &v)) {
		snprintf(val, sizeof(val), "%" PRId64, json_object_get_int64(v));
		if (write_limit(st, mem, val, e) < 0)
			return -1;
	}
	if (json_object_object_get_ex(r, "pids", &p) && json_object_object_get_ex(p, "limit", &v)) {
		int64_t l = json_object_get_int64(v);
		snprintf(val, sizeof(val), l > 0 ? "%" PRId64 : "max", l);
		if (write_limit(st, pid, val, e) < 0)
			return -1;
	}
	if (json_object_object_get_ex(r, "cpu", &c) && json_object_object_get_ex(c, "quota", &v)) {
		json_object *per;
		int64_t q = json_object_get_int64(v);
		uint64_t period = json_object_object_get_ex(c, "period", &per)
				      ? json_object_get_uint64(per)
				      : 100000;
		static const char *const v1[2] = {"cpu.cfs_quota_us", "cpu.cfs_quota_us"};
		static const char *const v2[2] = {"cpu.max", "cpu.max"};
		snprintf(val, sizeof(val), "%" PRId64 " %" PRIu64, q, period);
		if (write_limit(st, v2, val, NULL) < 0) {
			snprintf(val, sizeof(val), "%" PRId64, q);
			if (write_limit(st, v1, val, e) < 0)
				return -1;
		}
	}
	return 0;
}

int oci_cmd_update(int argc, char **argv)
{
	struct state st;
	struct dc_err e = {0};
	const char *file = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++)
		if ((!strcmp(argv[i], "--resources") || !strcmp(argv[i], "-r")) && i + 1 < argc)
			file = argv[++i];
		else
			return oci_failf("unknown option %s (update takes --resources FILE|-)",
					 argv[i]);
	if (i != argc - 1 || !file)
		return oci_failf("%s", "usage: diyc-oci update --resources FILE|- ID");
	if (oci_load(argv[i], &st, &e) < 0)
		return oci_fail(&e);
	json_object *r = !strcmp(file, "-") ? json_object_from_fd(0) : json_object_from_file(file);
	if (!r || !json_object_is_type(r, json_type_object)) {
		json_object_put(r);
		return oci_failf("cannot read the resources JSON from %s", file);
	}
	int k = update_from(r, &st, &e);
	json_object_put(r);
	return k < 0 ? oci_fail(&e) : 0;
}
