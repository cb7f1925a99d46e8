/*
 * The state of a diyc-oci container as the runtime spec names it.  There is no
 * supervisor to ask: the status is read from what exists.  The recorded pid (with
 * its start time, so a recycled pid is never taken for the container) alive and
 * exec.fifo still there: "created"; alive and the fifo gone: "running" (or
 * "paused" when its freezer says so); gone: "stopped".
 */
#define _GNU_SOURCE
#include "runtime/oci_int.h"
#include "lib/util.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct oci_globals OG = {.root = OCI_DEFAULT_ROOT, .log_fd = -1};

int oci_fail(const struct dc_err *e)
{
	dc_err_print(e);
	return 1;
}

int oci_failf(const char *f, const char *a)
{
	struct dc_err e = {0};
	dc_fail(&e, 0, f, a);
	return oci_fail(&e);
}

int oci_id_check(const char *id, struct dc_err *e)
{
	size_t n = id ? strlen(id) : 0;
	if (!n || n > OCI_ID_MAX)
		return dc_fail(e, 0, "invalid container id '%.64s': 1 to %d characters",
			       id ? id : "", OCI_ID_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || (i > 0 && strchr("_.+-", c));
		if (!ok)
			return dc_fail(e, 0,
				       "invalid container id '%s': letters, digits and _.+- only, "
				       "starting with a letter or digit",
				       id);
	}
	return 0;
}

int oci_load(const char *id, struct state *st, struct dc_err *e)
{
	bool locked;
	if (oci_id_check(id, e) < 0)
		return -1;
	if (state_load(id, st, &locked) < 0 || !st->bundle[0])
		return dc_fail(e, 0, "container %s does not exist", id);
	return 0;
}

static bool frozen(const struct state *st)
{
	char p[PATH_MAX + 32], v[32];
	for (int i = 0; i < st->ncgroups; i++) {
		if (fmt(p, sizeof(p), "%s/freezer.state", st->cgroups[i]) == 0 &&
		    read_line(p, v, sizeof(v)) == 0)
			return !strcmp(v, "FROZEN") || !strcmp(v, "FREEZING");
		if (fmt(p, sizeof(p), "%s/cgroup.freeze", st->cgroups[i]) == 0 &&
		    read_line(p, v, sizeof(v)) == 0)
			return !strcmp(v, "1");
	}
	return false;
}

const char *oci_status(const struct state *st)
{
	char fifo[PATH_MAX];
	if (!st->pid || !state_pid_alive(st))
		return "stopped";
	/* a zombie is stopped: its exit status waits for the caller's wait() */
	char p[64], buf[512];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)st->pid);
	if (read_file(p, buf, sizeof(buf)) > 0) {
		char *rp = strrchr(buf, ')');
		if (rp && rp[1] && (rp[2] == 'Z' || rp[2] == 'X'))
			return "stopped";
	}
	fmt(fifo, sizeof(fifo), "%s/%s/exec.fifo", G.state_dir, st->name);
	if (path_exists(fifo))
		return "created";
	return frozen(st) ? "paused" : "running";
}

char *oci_state_json(const struct state *st, bool pretty)
{
	json_object *o = json_object_new_object();
	const char *status = oci_status(st);
	json_object_object_add(o, "ociVersion", json_object_new_string(OCI_VERSION));
	json_object_object_add(o, "id", json_object_new_string(st->name));
	json_object_object_add(o, "status", json_object_new_string(status));
	json_object_object_add(o, "pid",
			       json_object_new_int(strcmp(status, "stopped") ? st->pid : 0));
	json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
	json_object *an = json_tokener_parse(st->annotations[0] ? st->annotations : "{}");
	if (!an || !json_object_is_type(an, json_type_object)) {
		json_object_put(an);
		an = json_object_new_object();
	}
	if (st->degraded[0])
		json_object_object_add(an, "org.diyc.degraded",
				       json_object_new_string(st->degraded));
	if (json_object_object_length(an)) /* optional: runc leaves it out when empty */
		json_object_object_add(o, "annotations", an);
	else
		json_object_put(an);
	json_object_object_add(o, "created", json_object_new_string(st->created));
	json_object_object_add(o, "owner", json_object_new_string(""));
	char *out = strdup(json_object_to_json_string_ext(
	    o, (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN) |
		   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}
