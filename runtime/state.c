/*
 * Runtime state: /run/diyc/NAME/ holds "lock" and "state.json" (and "log"
 * for a detached container).  The supervisor holds an flock on "lock" for as
 * long as it lives, so "is it running?" never depends on a pid that may have
 * been recycled.  state.json is replaced atomically and records the
 * container's pid together with its start time, so a signal never reaches an
 * unrelated process that got the same pid.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/names.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

/* the data root and state directory (-R/--root, tests: DIYC_ROOT) */
struct globals G = {.root = DC_DATA_ROOT, .state_dir = DC_STATE_DIR};

static int path_of(const char *name, const char *file, char *out, size_t len)
{
	return fmt(out, len, "%s/%s%s%s", G.state_dir, name, file ? "/" : "", file ? file : "");
}

int container_dir(const char *name, char *out, size_t len)
{
	return fmt(out, len, "%s/containers/%s", G.root, name);
}

int state_create(const char *name, int *lockfd)
{
	char p[PATH_MAX];
	if (mkdir(G.state_dir, 0711) < 0 && errno != EEXIST)
		return -errno;
	path_of(name, NULL, p, sizeof(p));
	if (mkdir(p, 0700) < 0)
		return -errno; /* EEXIST: another container of that name, running or stopped */
	path_of(name, "lock", p, sizeof(p));
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		state_remove(name);
		return -e;
	}
	*lockfd = fd;
	return 0;
}

static void put_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

int state_save(const struct state *st)
{
	char p[PATH_MAX];
	json_object *o = json_object_new_object(), *cg = json_object_new_array();
	put_str(o, "name", st->name);
	put_str(o, "image", st->image);
	json_object_object_add(o, "pid", json_object_new_int(st->pid));
	json_object_object_add(o, "pid_start", json_object_new_int64((int64_t)st->start));
	json_object_object_add(o, "supervisor", json_object_new_int(st->supervisor));
	put_str(o, "status", st->status);
	json_object_object_add(o, "exit_code", json_object_new_int(st->exit_code));
	json_object_object_add(o, "rm", json_object_new_boolean(st->rm));
	put_str(o, "created", st->created);
	for (int i = 0; i < st->ncgroups; i++)
		json_object_array_add(cg, json_object_new_string(st->cgroups[i]));
	json_object_object_add(o, "cgroups", cg);
	put_str(o, "kill_dir", st->kill_dir);
	/* version 2: the namespaces as a mask of lib/kfeat.h kinds (version 1, without the
	 * field, stored their names, "mnt,uts,..."; state_load reads both) */
	json_object_object_add(o, "version", json_object_new_int(DC_STATE_VERSION));
	json_object_object_add(o, "nsmask", json_object_new_int((int)st->nsmask));
	json_object_object_add(o, "nnp", json_object_new_boolean(st->nnp));
	json_object_object_add(o, "seccomp", json_object_new_boolean(st->seccomp));
	put_str(o, "degraded", st->degraded);
	put_str(o, "user", st->user);
	put_str(o, "command", st->command);
	put_str(o, "volumes", st->volumes);
	put_str(o, "mounts", st->mounts);
	json_object_object_add(o, "restarts", json_object_new_int(st->restarts));
	json_object_object_add(o, "read_only", json_object_new_boolean(st->read_only));
	json_object_object_add(o, "caps", json_object_new_int64((int64_t)st->caps));
	put_str(o, "group_add", st->group_add);
	if (st->bundle[0]) {
		put_str(o, "bundle", st->bundle);
		put_str(o, "annotations", st->annotations);
	}
	path_of(st->name, "state.json", p, sizeof(p));
	int r = write_file_atomic(p, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY),
				  0600, false);
	json_object_put(o);
	return r;
}

static void get_str(json_object *o, const char *k, char *out, size_t len)
{
	json_object *v;
	out[0] = '\0';
	if (json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string))
		snprintf(out, len, "%s", json_object_get_string(v));
}

static long long get_int(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

int state_load(const char *name, struct state *st, bool *running)
{
	char p[PATH_MAX];
	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s", name);
	path_of(name, NULL, p, sizeof(p));
	struct stat sb;
	if (lstat(p, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return -ENOENT;
	path_of(name, "lock", p, sizeof(p));
	*running = false;
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		*running = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
		close(fd);
	}
	path_of(name, "state.json", p, sizeof(p));
	json_object *o = json_object_from_file(p);
	if (!o) {
		snprintf(st->status, sizeof(st->status), "%s", *running ? "creating" : "broken");
		return 0;
	}
	get_str(o, "image", st->image, sizeof(st->image));
	st->pid = (pid_t)get_int(o, "pid");
	st->start = (unsigned long long)get_int(o, "pid_start");
	st->supervisor = (pid_t)get_int(o, "supervisor");
	get_str(o, "status", st->status, sizeof(st->status));
	st->exit_code = (int)get_int(o, "exit_code");
	json_object *v;
	st->rm = json_object_object_get_ex(o, "rm", &v) && json_object_get_boolean(v);
	get_str(o, "created", st->created, sizeof(st->created));
	if (json_object_object_get_ex(o, "cgroups", &v) && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v) && st->ncgroups < 8; i++)
			snprintf(st->cgroups[st->ncgroups++], sizeof(st->cgroups[0]), "%s",
				 json_object_get_string(json_object_array_get_idx(v, i)));
	get_str(o, "kill_dir", st->kill_dir, sizeof(st->kill_dir));
	if (get_int(o, "version") >= 2) {
		st->nsmask = (unsigned)get_int(o, "nsmask");
	} else { /* a container started by diyc 0.2.0 or older */
		char names[80];
		get_str(o, "namespaces", names, sizeof(names));
		if (dc_ns_mask_parse(names, &st->nsmask) < 0)
			snprintf(st->status, sizeof(st->status), "broken");
	}
	st->nnp = json_object_object_get_ex(o, "nnp", &v) && json_object_get_boolean(v);
	st->seccomp = json_object_object_get_ex(o, "seccomp", &v) && json_object_get_boolean(v);
	get_str(o, "degraded", st->degraded, sizeof(st->degraded));
	get_str(o, "user", st->user, sizeof(st->user)); /* absent before images: root */
	get_str(o, "command", st->command, sizeof(st->command));
	get_str(o, "volumes", st->volumes, sizeof(st->volumes));
	get_str(o, "mounts", st->mounts, sizeof(st->mounts));
	st->restarts = (int)get_int(o, "restarts");
	st->read_only = json_object_object_get_ex(o, "read_only", &v) && json_object_get_boolean(v);
	st->caps = (uint64_t)get_int(o, "caps");
	get_str(o, "group_add", st->group_add, sizeof(st->group_add));
	get_str(o, "bundle", st->bundle, sizeof(st->bundle));
	get_str(o, "annotations", st->annotations, sizeof(st->annotations));
	json_object_put(o);
	/* (diyc-oci's containers have no supervisor: oci_state.c reads their pid) */
	if (!*running && !strcmp(st->status, "running") && !st->bundle[0])
		snprintf(st->status, sizeof(st->status), "crashed"); /* supervisor gone */
	return 0;
}

int state_remove(const char *name)
{
	char p[PATH_MAX];
	if (path_of(name, NULL, p, sizeof(p)) < 0)
		return -ENAMETOOLONG;
	return remove_tree(p);
}

unsigned long long proc_start_time(pid_t pid)
{
	char p[64], buf[1024];
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || read_file(p, buf, sizeof(buf)) < 0)
		return 0;
	/* the command name may contain spaces and ')': fields resume after the last ')' */
	char *s = strrchr(buf, ')');
	if (!s)
		return 0;
	unsigned long long v = 0;
	/* after ")": state(3) ... starttime is field 22, the 20th from here */
	char *save, *tok = strtok_r(s + 1, " ", &save);
	for (int i = 3; tok && i < 22; i++)
		tok = strtok_r(NULL, " ", &save);
	if (tok)
		v = strtoull(tok, NULL, 10);
	return v;
}

bool state_pid_alive(const struct state *st)
{
	return st->pid > 0 && st->start && proc_start_time(st->pid) == st->start;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_list(char ***names)
{
	DIR *d = opendir(G.state_dir);
	int n = 0, cap = 0;
	*names = NULL;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || de->d_type != DT_DIR)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = realloc(*names, (size_t)cap * sizeof(char *));
			if (!nv)
				break;
			*names = nv;
		}
		(*names)[n++] = strdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(*names, (size_t)n, sizeof(char *), cmp);
	return n;
}

int state_running(const char *name, struct state *st, struct dc_err *e)
{
	bool running;
	if (name_check("container", name, DC_NAME_MAX, e) < 0)
		return -1;
	if (state_load(name, st, &running) < 0)
		return dc_fail(e, 0, "no container %s", name);
	if (!running || !state_pid_alive(st))
		return dc_fail(e, 0, "container %s is not running", name);
	return 0;
}

bool state_wait_gone(const char *name, long ms)
{
	for (long t = 0; t <= ms; t += 10) {
		struct state st;
		bool running = false;
		if (state_load(name, &st, &running) < 0 || !running)
			return true;
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	return false;
}
