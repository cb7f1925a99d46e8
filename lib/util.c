#define _GNU_SOURCE
#include "lib/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *errno_name(int err)
{
	static __thread char unknown[16];
	const char *n;

	if (err < 0)
		err = -err;
	/* glibc >= 2.32 knows the symbolic names. */
	n = strerrorname_np(err);
	if (n)
		return n;
	snprintf(unknown, sizeof(unknown), "E?%d", err);
	return unknown;
}

ssize_t read_file(const char *path, char *buf, size_t size)
{
	size_t got = 0;
	int fd;

	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (got < size - 1) {
		ssize_t n = read(fd, buf + got, size - 1 - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			buf[got] = '\0';
			return -e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

int read_line(const char *path, char *buf, size_t size)
{
	ssize_t n = read_file(path, buf, size);
	if (n < 0)
		return (int)n;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int read_long(const char *path, long *out)
{
	char buf[64], *end;
	int r = read_line(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	errno = 0;
	long v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != ' ' && *end != '\t'))
		return -EINVAL;
	*out = v;
	return 0;
}

int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	size_t len = strlen(s);
	ssize_t n = write(fd, s, len);
	int e = n < 0 ? errno : 0;
	if (close(fd) < 0 && !e)
		e = errno;
	if (e)
		return -e;
	return (size_t)n == len ? 0 : -EIO;
}

int fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= size ? -ENAMETOOLONG : 0;
}

void strappend(char *buf, size_t size, const char *sep, const char *f, ...)
{
	size_t len = strnlen(buf, size);
	va_list ap;

	if (len + 1 >= size)
		return;
	if (len && sep) {
		snprintf(buf + len, size - len, "%s", sep);
		len = strnlen(buf, size);
	}
	va_start(ap, f);
	vsnprintf(buf + len, size - len, f, ap);
	va_end(ap);
}

char *rstrip(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

bool path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int parse_kernel_version(const char *release, int *major, int *minor)
{
	int ma, mi;
	if (!release || sscanf(release, "%d.%d", &ma, &mi) != 2 || ma < 0 || mi < 0)
		return -EINVAL;
	*major = ma;
	*minor = mi;
	return 0;
}

int version_cmp(const char *xy, int major, int minor)
{
	int a, b;
	if (parse_kernel_version(xy, &a, &b) < 0)
		return 0;
	if (a != major)
		return a < major ? -1 : 1;
	if (b != minor)
		return b < minor ? -1 : 1;
	return 0;
}

int remove_tree_at(int parent, const char *name)
{
	struct stat st;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			return -errno;
		}
		struct dirent *de;
		int r = 0;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			int rr = remove_tree_at(dirfd(d), de->d_name);
			if (rr < 0 && !r)
				r = rr;
		}
		closedir(d);
		if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && !r)
			r = -errno;
		return r;
	}
	return unlinkat(parent, name, 0) < 0 ? -errno : 0;
}

int remove_tree(const char *path) { return remove_tree_at(AT_FDCWD, path); }

int write_file_atomic(const char *path, const char *data, unsigned mode, bool sync)
{
	char tmp[4096];
	if (fmt(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, (mode_t)mode);
	if (fd < 0)
		return -errno;
	int r = 0;
	for (size_t off = 0, len = strlen(data); off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (!r && sync && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

int mkdir_parent(const char *path)
{
	char dir[PATH_MAX];
	if (fmt(dir, sizeof(dir), "%s", path) < 0)
		return -ENAMETOOLONG;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int mkdir_p(const char *path, unsigned mode)
{
	char p[PATH_MAX];
	if (fmt(p, sizeof(p), "%s", path) < 0)
		return errno = ENAMETOOLONG, -1;
	for (char *c = p + 1; (c = strchr(c, '/')); c++) {
		*c = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -1;
		*c = '/';
	}
	return mkdir(p, mode) < 0 && errno != EEXIST ? -1 : 0;
}
