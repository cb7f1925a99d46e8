/*
 * `diyc cp SRC NAME:DEST` and `diyc cp NAME:SRC DEST`: files between the host and a
 * running container, with docker's rules for where a copy lands (into an existing
 * directory under the source's name, else at DEST itself).
 *
 * Security reasoning (the container is untrusted, diyc runs as root on the host):
 * - The container's side is reached through /proc/PID/root and resolved by diyc
 *   itself, one component at a time with O_PATH|O_NOFOLLOW: a symlink's *text* is
 *   walked again from the container's root (absolute) or from where it is
 *   (relative), ".." never climbs above that root, at most 40 links.  The kernel
 *   never follows a link on the container's side, so neither an absolute link
 *   (/etc -> /), a climbing one (../../..) nor a /proc magic link (/proc/1/root,
 *   the host's root where the container has no PID namespace) can lead out.
 * - Every later step is relative to an fd already inside: entries are opened and
 *   created with O_NOFOLLOW, so swapping a directory for a symlink mid-copy fails
 *   instead of redirecting.  Symlinks are copied as symlinks, never followed, on the
 *   container's side; an existing symlink in the way of a write is refused.
 * - Copied out of a container, setuid/setgid bits are dropped (a container must not
 *   plant a setuid-root program on the host) and device nodes, fifos and sockets
 *   are skipped with a warning.  Into a container, files belong to root, as docker's.
 * The host's side is the caller's own path, resolved normally.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/storage.h"
#include "lib/names.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 40
#define MAX_DEPTH 128

/* ---- resolution below a root fd ---- */
struct walk {
	int fds[MAX_DEPTH]; /* fds[0]: the root; each a directory, O_PATH */
	int n;
};

static void walk_pop_to(struct walk *w, int n)
{
	while (w->n > n)
		close(w->fds[--w->n]);
}

/* path below rootfd: an O_PATH fd of it (a last symlink itself, not followed), or
 * -errno; parent_only: the fd of its parent directory, the last name in last */
static int resolve(int rootfd, const char *path, bool parent_only, char *last, size_t len)
{
	struct walk w = {.n = 1};
	char todo[PATH_MAX * 2], link[PATH_MAX], comp[NAME_MAX + 1];
	int links = 0, r = 0;
	w.fds[0] = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	snprintf(todo, sizeof(todo), "%s", path);
	if (last)
		snprintf(last, len, ".");
	while (todo[0] && r == 0) {
		char *p = todo + strspn(todo, "/");
		size_t cl = strcspn(p, "/");
		bool final = p[cl] == '\0'; /* "dir/": a last link is followed */
		if (cl > NAME_MAX) {
			r = -ENAMETOOLONG;
			break;
		}
		snprintf(comp, sizeof(comp), "%.*s", (int)cl, p);
		memmove(todo, p + cl, strlen(p + cl) + 1);
		if (!cl || !strcmp(comp, "."))
			continue;
		if (parent_only && final && strcmp(comp, "..")) {
			snprintf(last, len, "%s", comp);
			break;
		}
		if (!strcmp(comp, "..")) { /* (a last ".." leaves last ".": the directory) */
			walk_pop_to(&w, w.n > 1 ? w.n - 1 : 1);
			continue;
		}
		int fd = openat(w.fds[w.n - 1], comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0) {
			r = -errno;
			if (fd >= 0)
				close(fd);
			break;
		}
		if (S_ISLNK(st.st_mode) && !final) {
			ssize_t k = readlinkat(fd, "", link, sizeof(link) - 1);
			close(fd);
			if (k <= 0 || ++links > MAX_LINKS) {
				r = k <= 0 ? -EINVAL : -ELOOP;
				break;
			}
			link[k] = '\0';
			if (link[0] == '/') /* absolute: from the container's root */
				walk_pop_to(&w, 1);
			char rest[sizeof(todo)];
			snprintf(rest, sizeof(rest), "%s/%s", link, todo);
			snprintf(todo, sizeof(todo), "%s", rest);
			continue;
		}
		if (w.n == MAX_DEPTH || (!final && !S_ISDIR(st.st_mode))) {
			close(fd);
			r = w.n == MAX_DEPTH ? -ELOOP : -ENOTDIR;
			break;
		}
		w.fds[w.n++] = fd;
	}
	int out = r < 0 ? r : fcntl(w.fds[w.n - 1], F_DUPFD_CLOEXEC, 3);
	walk_pop_to(&w, 0);
	return out;
}

/* ---- the two sides ---- */
struct side {
	int root; /* the container's root, or AT_FDCWD for the host */
	char path[PATH_MAX];
};

/* an O_PATH fd of path on a side: the container's resolved by resolve(), the host's
 * by the kernel; parent_only as resolve() */
static int open_side(const struct side *s, const char *path, bool parent_only, char *last,
		     size_t len)
{
	if (s->root != AT_FDCWD)
		return resolve(s->root, path, parent_only, last, len);
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	if (parent_only) {
		char b2[PATH_MAX];
		snprintf(b2, sizeof(b2), "%s", path);
		snprintf(last, len, "%s", basename(b2));
		path = dirname(buf);
	}
	int fd = open(path, O_PATH | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* docker's rule: into DEST when it is a directory (under the source's name), else
 * DEST itself (its parent must exist; a DEST ending in "/" must be a directory) */
static int do_copy(struct copy_opts *c, const struct side *src, const struct side *dst,
		   struct dc_err *e)
{
	char sname[NAME_MAX + 1], dname[NAME_MAX + 1];
	int sdir = open_side(src, src->path, true, sname, sizeof(sname)), r;
	if (sdir < 0)
		return dc_fail(e, -sdir, "%s", src->path);
	if (strchr(sname, '/') || !strcmp(sname, "..")) { /* the host's "/" or ".." */
		close(sdir);
		return dc_fail(e, 0, "cannot copy %s itself: name a directory below it", src->path);
	}
	int dfd = open_side(dst, dst->path, false, NULL, 0), ddir;
	struct stat st;
	if (dfd >= 0 && fstat(dfd, &st) == 0 && S_ISDIR(st.st_mode)) {
		ddir = dfd;
		snprintf(dname, sizeof(dname), "%s", !strcmp(sname, ".") ? "." : sname);
	} else {
		if (dfd >= 0)
			close(dfd);
		size_t l = strlen(dst->path);
		if (l && dst->path[l - 1] == '/') {
			close(sdir);
			return dc_fail(e, dfd >= 0 ? ENOTDIR : -dfd, "%s", dst->path);
		}
		ddir = open_side(dst, dst->path, true, dname, sizeof(dname));
		if (ddir < 0 || strchr(dname, '/') || !strcmp(dname, "..")) {
			close(sdir);
			if (ddir >= 0)
				close(ddir);
			return dc_fail(e, ddir < 0 ? -ddir : EISDIR, "%s", dst->path);
		}
	}
	/* the directories were opened O_PATH: reopen them for reading and writing */
	int s2 = openat(sdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int d2 = openat(ddir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s2 < 0 || d2 < 0)
		r = dc_fail(e, errno, "open a directory");
	else
		r = copy_tree(c, s2, sname, d2, dname, e);
	if (s2 >= 0)
		close(s2);
	if (d2 >= 0)
		close(d2);
	close(sdir);
	close(ddir);
	return r;
}

/* "NAME:PATH" -> the container's name and path; NULL name for a host path */
static const char *split(const char *arg, char *name, size_t len, const char **path)
{
	const char *colon = strchr(arg, ':');
	*path = arg;
	if (!colon || arg[0] == '/' || arg[0] == '.' || (size_t)(colon - arg) >= len)
		return NULL; /* a host path (absolute or ./relative may hold ':') */
	snprintf(name, len, "%.*s", (int)(colon - arg), arg);
	*path = colon + 1;
	return name;
}

/* the running container NAME's root, opened O_PATH (pid checked again after) */
static int container_root(const char *name, struct dc_err *e)
{
	struct state st;
	char p[64];
	if (name_check("container", name, DC_NAME_MAX, e) < 0 || state_running(name, &st, e) < 0)
		return -1;
	snprintf(p, sizeof(p), "/proc/%d/root", (int)st.pid);
	int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !state_pid_alive(&st)) { /* the pid could have been reused */
		if (fd >= 0)
			close(fd);
		return dc_fail(e, 0, "container %s is not running", name);
	}
	return fd;
}

int cmd_cp(int argc, char **argv)
{
	struct dc_err e = {0};
	char n1[DC_NAME_MAX + 2], n2[DC_NAME_MAX + 2];
	const char *p1, *p2;
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return puts("Usage: diyc cp SRC NAME:DEST | diyc cp NAME:SRC DEST\nCopy files "
			    "between the host and a running container (paths in it\nare resolved "
			    "inside it: a symlink there never leads out)."),
		       0;
	if (argc != 3 || argv[1][0] == '-' || argv[2][0] == '-')
		return dc_error("usage: diyc cp SRC NAME:DEST or diyc cp NAME:SRC DEST"), EXIT_DIYC;
	const char *c1 = split(argv[1], n1, sizeof(n1), &p1),
		   *c2 = split(argv[2], n2, sizeof(n2), &p2);
	if (!c1 == !c2)
		return dc_error("cp: exactly one of SRC and DEST must be NAME:PATH"), EXIT_DIYC;
	if (!p1[0] || !p2[0])
		return dc_error("cp: an empty path"), EXIT_DIYC;
	struct side src = {.root = AT_FDCWD}, dst = {.root = AT_FDCWD};
	snprintf(src.path, sizeof(src.path), "%s", p1);
	snprintf(dst.path, sizeof(dst.path), "%s", p2);
	int root = container_root(c1 ? c1 : c2, &e);
	if (root < 0)
		return dc_err_print(&e), EXIT_DIYC;
	(c1 ? &src : &dst)->root = root;
	struct copy_opts c = {.drop_setid = c1 != NULL};
	int r = do_copy(&c, &src, &dst, &e);
	close(root);
	if (r < 0)
		return dc_err_print(&e), EXIT_DIYC;
	return 0;
}
