/* Small helpers shared by diyc-probe and the runtime. */
#ifndef DIYC_UTIL_H
#define DIYC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Name of an errno value ("EINVAL"); "E?<n>" for unknown ones. */
const char *errno_name(int err);

/*
 * Read a whole (small) file into buf, NUL-terminated, at most size-1 bytes.
 * Returns the number of bytes read or -errno.  A file larger than the buffer
 * is truncated, which callers of /proc and /sys files accept.
 */
ssize_t read_file(const char *path, char *buf, size_t size);

/* Read the first line of a file without its newline. Returns 0 or -errno. */
int read_line(const char *path, char *buf, size_t size);

/* Read a file holding one decimal integer. Returns 0 or -errno (-EINVAL if garbage). */
int read_long(const char *path, long *out);

/* Write a string to an existing file (cgroup and proc knobs). Returns 0 or -errno. */
int write_file(const char *path, const char *s);

/* Replace PATH with DATA atomically: write PATH.tmp.PID (O_EXCL, O_NOFOLLOW, MODE),
 * fsync it when SYNC, rename it over PATH. 0, or -errno with no temporary left. */
int write_file_atomic(const char *path, const char *data, unsigned mode, bool sync);

/* snprintf that reports truncation: returns 0, or -ENAMETOOLONG. */
int fmt(char *buf, size_t size, const char *f, ...) __attribute__((format(printf, 3, 4)));

/* Append to a bounded string buffer with a separator when not empty. */
void strappend(char *buf, size_t size, const char *sep, const char *f, ...)
    __attribute__((format(printf, 4, 5)));

/* Remove trailing white space in place; returns s. */
char *rstrip(char *s);

bool path_exists(const char *path);

/* Parse a kernel release "6.1.0-13-amd64" into major and minor. Returns 0 or -EINVAL. */
int parse_kernel_version(const char *release, int *major, int *minor);

/* Compare "X.Y" against a major/minor pair: <0, 0, >0 like strcmp. */
int version_cmp(const char *xy, int major, int minor);

/* Recursively remove a directory tree without following symlinks. Returns 0 or -errno. */
int remove_tree(const char *path);
/* The same for name in directory parent (never following a symlink). */
int remove_tree_at(int parent, const char *name);
/* mkdir -p: 0, or -1 with errno. */
int mkdir_p(const char *path, unsigned mode);
/* Create PATH's parent directory (one level, mode 0755) unless it exists; 0 or -errno. */
int mkdir_parent(const char *path);

#endif
