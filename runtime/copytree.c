/*
 * A file or a directory tree copied from one directory fd to another: `diyc cp`
 * (cmd_cp.c) and the copy of an image's files into a new volume (mounts.c).  Every
 * entry is opened and created relative to an fd already inside, with O_NOFOLLOW:
 * a symlink is copied as a symlink, never followed, and a directory swapped for a
 * symlink mid-copy makes the copy fail instead of leading elsewhere.  A symlink in
 * the way of a file being written is refused (ELOOP), never written through.
 * Device nodes, fifos and sockets are skipped with one warning.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/storage.h"
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 128

static int entry(struct copy_opts *c, int sdir, const char *sname, int ddir, const char *dname,
		 int depth, struct dc_err *e);

/* owner (with keep_owner) and mode of what was made as dname in ddir */
static int finish(const struct copy_opts *c, int fd, const struct stat *st, mode_t mode,
		  const char *dname, struct dc_err *e)
{
	if (c->keep_owner && fchown(fd, st->st_uid, st->st_gid) < 0)
		return dc_fail(e, errno, "chown %s", dname);
	if (fchmod(fd, mode) < 0) /* after chown, which clears setuid bits */
		return dc_fail(e, errno, "chmod %s", dname);
	return 0;
}

static int file(const struct copy_opts *c, int sfd, const struct stat *st, mode_t mode, int ddir,
		const char *dname, struct dc_err *e)
{
	int d = openat(ddir, dname, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (d < 0)
		return dc_fail(e, errno, "create %s", dname);
	char buf[65536];
	ssize_t n;
	int r = 0;
	while (r == 0 && (n = read(sfd, buf, sizeof(buf))) != 0)
		if (n < 0 || write(d, buf, (size_t)n) != n)
			r = dc_fail(e, errno, "copy %s", dname);
	if (r == 0)
		r = finish(c, d, st, mode, dname, e);
	close(d);
	return r;
}

static int dir(struct copy_opts *c, int sfd, const struct stat *st, mode_t mode, int ddir,
	       const char *dname, int depth, struct dc_err *e)
{
	if (depth > MAX_DEPTH)
		return dc_fail(e, 0, "%s: directories nested too deep", dname);
	if (mkdirat(ddir, dname, 0700) < 0 && errno != EEXIST)
		return dc_fail(e, errno, "mkdir %s", dname);
	int d = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0)
		return dc_fail(e, errno, "open %s", dname);
	DIR *dp = fdopendir(dup(sfd));
	struct dirent *de;
	int r = dp ? 0 : dc_fail(e, errno, "read directory %s", dname);
	while (r == 0 && dp && (de = readdir(dp)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = entry(c, sfd, de->d_name, d, de->d_name, depth + 1, e);
	if (dp)
		closedir(dp);
	if (r == 0)
		r = finish(c, d, st, mode, dname, e);
	close(d);
	return r;
}

static int entry(struct copy_opts *c, int sdir, const char *sname, int ddir, const char *dname,
		 int depth, struct dc_err *e)
{
	struct stat st;
	char link[PATH_MAX];
	if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return dc_fail(e, errno, "%s", sname);
	mode_t mode = st.st_mode & (c->drop_setid ? 0777 | S_ISVTX : 07777);
	if (S_ISLNK(st.st_mode)) {
		ssize_t k = readlinkat(sdir, sname, link, sizeof(link) - 1);
		if (k < 0)
			return dc_fail(e, errno, "readlink %s", sname);
		link[k] = '\0';
		unlinkat(ddir, dname, 0); /* a file or link in the way (never a directory) */
		if (symlinkat(link, ddir, dname) < 0)
			return dc_fail(e, errno, "symlink %s", dname);
		if (c->keep_owner &&
		    fchownat(ddir, dname, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return dc_fail(e, errno, "chown %s", dname);
		return 0;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		if (!c->warned++)
			dc_warn("skipping special files (devices, fifos, sockets), e.g. %s", sname);
		return 0;
	}
	int fd = openat(sdir, sname,
			O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
			    (S_ISDIR(st.st_mode) ? O_DIRECTORY : O_NOCTTY));
	if (fd < 0)
		return dc_fail(e, errno, "open %s", sname);
	int r = S_ISDIR(st.st_mode) ? dir(c, fd, &st, mode, ddir, dname, depth, e)
				    : file(c, fd, &st, mode, ddir, dname, e);
	close(fd);
	return r;
}

int copy_tree(struct copy_opts *c, int sdir, const char *sname, int ddir, const char *dname,
	      struct dc_err *e)
{
	return entry(c, sdir, sname, ddir, dname, 0, e);
}
