/*
 * Named volumes: directories that outlive containers, as docker's "local" driver
 * keeps them: DATA_ROOT/volumes/NAME/_data (what a container sees) beside
 * NAME/created (when it was made).  volumes/ is 0700: only root reaches the data
 * from the host, a container reaches it through its bind.
 *
 * Who uses a volume is read from the containers' state (state.json "volumes",
 * written in step "state" before step "volumes" runs), running or stopped, as docker
 * counts it.  Making a volume (a run's step "volumes", `volume create`) and removing
 * one (`volume rm`, `prune`, the undo of a failed run) happen under one flock on
 * volumes/.lock, so a removal never races a start: either the start's state is
 * already there and the volume is in use, or the start makes the volume again.
 * Names are checked before they touch a path.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/storage.h"
#include "runtime/start.h"
#include "lib/names.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define VOLUME_NAME_MAX 64

int volume_name_check(const char *name, struct dc_err *e)
{
	return name_check("volume", name, VOLUME_NAME_MAX, e) < 0 ? -1 : 0;
}

static int volume_dir(const char *name, char *out, size_t len)
{
	return fmt(out, len, "%s/volumes/%s", G.root, name) < 0 ? -ENAMETOOLONG : 0;
}

int volume_data_dir(const char *name, char *out, size_t len)
{
	return fmt(out, len, "%s/volumes/%s/_data", G.root, name) < 0 ? -ENAMETOOLONG : 0;
}

/* volumes/ made, its lock taken: the fd, or -1 */
int volume_lock(struct dc_err *e)
{
	char p[PATH_MAX];
	if ((mkdir(G.root, 0711) < 0 && errno != EEXIST) ||
	    fmt(p, sizeof(p), "%s/volumes", G.root) < 0 || (mkdir(p, 0700) < 0 && errno != EEXIST))
		return dc_fail(e, errno, "cannot create %s/volumes", G.root);
	strappend(p, sizeof(p), "", "/.lock");
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		dc_fail(e, errno, "lock %s", p);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

bool volume_exists(const char *name)
{
	char p[PATH_MAX];
	struct stat st;
	return volume_data_dir(name, p, sizeof(p)) == 0 && lstat(p, &st) == 0 &&
	       S_ISDIR(st.st_mode);
}

/* (lock held) NAME/_data and NAME/created; 1 when made, 0 when it existed, or -1 */
int volume_make(const char *name, struct dc_err *e)
{
	char dir[PATH_MAX], p[PATH_MAX], now[32];
	if (volume_exists(name))
		return 0;
	if (volume_dir(name, dir, sizeof(dir)) < 0 || volume_data_dir(name, p, sizeof(p)) < 0)
		return dc_fail(e, ENAMETOOLONG, "volume %s", name);
	if (path_exists(dir)) /* a half-made one: made again */
		remove_tree(dir);
	if (mkdir(dir, 0700) < 0 || mkdir(p, 0755) < 0) {
		dc_fail(e, errno, "cannot create volume %s", name);
		remove_tree(dir);
		return -1;
	}
	now_iso(now, sizeof(now));
	strappend(now, sizeof(now), "", "\n");
	if (fmt(p, sizeof(p), "%s/created", dir) < 0 ||
	    write_file_atomic(p, now, 0600, false) < 0) {
		dc_fail(e, errno, "cannot create volume %s", name);
		remove_tree(dir);
		return -1;
	}
	return 1;
}

/* whether a comma list holds name exactly */
static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* the containers (running or stopped) but except using volume name, "a, b", in out;
 * how many */
int volume_users(const char *name, const char *except, char *out, size_t len)
{
	char **names;
	int n = state_list(&names), users = 0;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		struct state st;
		bool running;
		if ((!except || strcmp(names[i], except)) &&
		    state_load(names[i], &st, &running) == 0 && listed(st.volumes, name)) {
			strappend(out, len, ", ", "%s", names[i]);
			users++;
		}
		free(names[i]);
	}
	free(names);
	return users;
}

/* (lock held) remove a volume no container but except uses: 0, or -1 with the reason */
int volume_remove(const char *name, const char *except, struct dc_err *e)
{
	char dir[PATH_MAX], users[512];
	if (volume_name_check(name, e) < 0)
		return -1;
	if (!volume_exists(name))
		return dc_fail(e, 0, "no volume '%s' (see diyc volume ls)", name);
	if (volume_users(name, except, users, sizeof(users)) > 0)
		return dc_fail(e, 0,
			       "volume %s is in use by container %s (remove it first: diyc "
			       "rm)",
			       name, users);
	if (volume_dir(name, dir, sizeof(dir)) < 0 || remove_tree(dir) < 0)
		return dc_fail(e, errno, "cannot remove volume %s", name);
	return 0;
}

int volumes_prepare(const struct run_opts *o, char *created, size_t len, struct dc_err *e)
{
	int fd = -1, r = 0;
	created[0] = '\0';
	for (int i = 0; i < o->nmounts && r == 0; i++) {
		const struct run_mount *m = &o->mounts[i];
		if (m->kind != RM_VOLUME)
			continue;
		if (fd < 0 && (fd = volume_lock(e)) < 0)
			return -1;
		int made = volume_make(m->src, e);
		if (made < 0)
			r = -1;
		else if (made)
			strappend(created, len, ",", "%s", m->src);
	}
	if (fd >= 0)
		close(fd);
	if (r < 0)
		volumes_remove_unused(created, o->name);
	return r;
}

void volumes_remove_unused(const char *names, const char *self)
{
	char buf[1024], *save = NULL;
	struct dc_err e = {0};
	if (!names[0])
		return;
	int fd = volume_lock(&e);
	if (fd < 0)
		return;
	snprintf(buf, sizeof(buf), "%s", names);
	for (char *n = strtok_r(buf, ",", &save); n; n = strtok_r(NULL, ",", &save))
		volume_remove(n, self, &e); /* in use by another start meanwhile: kept */
	close(fd);
}
