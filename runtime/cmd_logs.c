/*
 * `diyc logs [-f] [--tail N] [-t] NAME`: the output of a detached container
 * (/run/diyc/NAME/log, a time per line: logfile.c).  -f follows the file until the
 * container's supervisor lets go of its lock (the container stopped), then prints
 * what is left; --tail N starts at the Nth line from the end; -t/--timestamps
 * keeps each line's time (RFC 3339 with nanoseconds, UTC, as docker's).
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/names.h"
#include "lib/parse.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "Usage: diyc logs [-f] [--tail N] [-t] NAME\n"
    "Print the output of a detached container; -f/--follow: keep printing until it\n"
    "stops; --tail N: only the last N lines; -t/--timestamps: the time of each line.\n";

/* copy fd to stdout until EOF: false when stdout is gone */
static bool drain(int fd, struct log_reader *lr)
{
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (!log_copy(lr, buf, (size_t)n, STDOUT_FILENO))
			return false;
	return true;
}

/* the offset of the Nth line from the end (reading backwards in blocks) */
static off_t tail_start(int fd, long lines)
{
	char buf[65536];
	off_t end = lseek(fd, 0, SEEK_END), pos = end;
	long seen = 0;
	bool first = true; /* a last line without a newline counts too */
	while (pos > 0) {
		size_t len = pos > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)pos;
		pos -= (off_t)len;
		if (pread(fd, buf, len, pos) != (ssize_t)len)
			return 0;
		for (size_t i = len; i-- > 0;) {
			if (buf[i] != '\n' || (first && pos + (off_t)i == end - 1)) {
				first = false;
				continue;
			}
			if (++seen == lines)
				return pos + (off_t)i + 1;
		}
	}
	return 0;
}

/* whether the supervisor of NAME still holds its lock */
static bool running(const char *name)
{
	struct state st;
	bool r = false;
	return state_load(name, &st, &r) == 0 && r;
}

int cmd_logs(int argc, char **argv)
{
	static const struct option o[] = {{"follow", no_argument, NULL, 'f'},
					  {"tail", required_argument, NULL, 'n'},
					  {"timestamps", no_argument, NULL, 't'},
					  {"help", no_argument, NULL, 'h'},
					  {NULL, 0, NULL, 0}};
	char p[PATH_MAX];
	struct dc_err e = {0};
	bool follow = false;
	struct log_reader lr = {.bol = true};
	long tail = -1;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":fn:th", o, NULL)) != -1) {
		if (c == 'f')
			follow = true;
		else if (c == 'n' && !strcmp(optarg, "all"))
			tail = -1;
		else if (c == 'n' && parse_count(optarg, 0, 1L << 30, &tail) < 0)
			return dc_error("invalid --tail '%s' (a number of lines, or all)", optarg),
			       EXIT_DIYC;
		else if (c == 't')
			lr.keep = true;
		else if (c == 'h')
			return fputs(usage_text, stdout), 0;
		else if (c != 'n')
			return dc_error("logs: %s %s (see diyc logs --help)",
					c == ':' ? "a value is missing for" : "unknown option",
					argv[optind - 1]),
			       EXIT_DIYC;
	}
	if (argc - optind != 1)
		return dc_error("usage: diyc logs [-f] [--tail N] [-t] NAME"), EXIT_DIYC;
	const char *name = argv[optind];
	if (name_check("container", name, DC_NAME_MAX, &e) < 0)
		return dc_err_print(&e), EXIT_DIYC;
	fmt(p, sizeof(p), "%s/%s/log", G.state_dir, name);
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return dc_error("no log for %s (only detached containers have one)", name),
		       EXIT_DIYC;
	lseek(fd, tail >= 0 ? tail_start(fd, tail) : 0, SEEK_SET);
	if (tail == 0)
		lseek(fd, 0, SEEK_END);
	bool ok = drain(fd, &lr);
	while (ok && follow && running(name)) {
		struct timespec ts = {0, 100000000}; /* 0.1 s: a log is for people */
		nanosleep(&ts, NULL);
		ok = drain(fd, &lr);
	}
	if (ok && follow)
		ok = drain(fd, &lr); /* what it wrote before it stopped */
	if (ok)
		log_flush(&lr, STDOUT_FILENO);
	close(fd);
	return 0;
}
