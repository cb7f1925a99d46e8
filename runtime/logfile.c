/*
 * The log of a detached container (/run/diyc/NAME/log): its command's output and
 * the supervisor's own messages arrive on one pipe, and the supervisor writes each
 * line to the file behind the time it arrived ("2026-12-02T15:09:03.123456789Z "),
 * as docker's json-file keeps a time per line.  `diyc logs` drops the times unless
 * -t (log_copy).  A line is stamped when its first byte arrives; a line that comes
 * in pieces keeps its one stamp.
 *
 * The pipe is drained by the supervisor's wait loop (wait_main), and once more
 * before the supervisor reports a failed start (the caller shows the log then).
 * Should the supervisor die, the container's next write gets EPIPE: nothing is
 * written to the file behind diyc's back.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STAMP_LEN 31 /* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ " */

int log_pipe_open(struct log_pipe *lp, int file, int *write_end)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	*lp = (struct log_pipe){.r = p[0], .file = file, .bol = true};
	*write_end = p[1];
	return 0;
}

static void stamp(char *out, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, len - n, ".%09ldZ ", ts.tv_nsec);
}

/* what is waiting in the pipe, stamped, into the file */
void log_pump(struct log_pipe *lp)
{
	char in[16384], out[16384 * 2], ts[40];
	ssize_t n;
	while (lp && lp->r >= 0 && (n = read(lp->r, in, sizeof(in))) > 0) {
		size_t o = 0;
		stamp(ts, sizeof(ts));
		for (ssize_t i = 0; i < n; i++) {
			if (lp->bol) {
				memcpy(out + o, ts, STAMP_LEN);
				o += STAMP_LEN;
			}
			out[o++] = in[i];
			lp->bol = in[i] == '\n';
			if (o > sizeof(out) - STAMP_LEN - 2) { /* flush a full buffer */
				if (write(lp->file, out, o) < 0)
					return;
				o = 0;
			}
		}
		if (o && write(lp->file, out, o) < 0)
			return;
	}
}

/* whether s (STAMP_LEN bytes) is one of our stamps */
static bool is_stamp(const char *s)
{
	return s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[19] == '.' &&
	       s[STAMP_LEN - 2] == 'Z' && s[STAMP_LEN - 1] == ' ';
}

void log_flush(struct log_reader *lr, int to)
{
	if (lr->held && write(to, lr->stamp, lr->held) < 0) { /* the end of an older log */
	}
	lr->held = 0;
}

bool log_copy(struct log_reader *lr, const char *buf, size_t n, int to)
{
	char out[65536 + STAMP_LEN];
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];
		if (lr->keep) {
			out[o++] = c;
		} else if (lr->held < STAMP_LEN && (lr->held || lr->bol)) {
			lr->stamp[lr->held++] = c; /* the start of a line: a stamp? */
			lr->bol = false;
			if (lr->held == STAMP_LEN || c == '\n') {
				bool drop = lr->held == STAMP_LEN && is_stamp(lr->stamp);
				if (!drop) /* a line of an older log, without a stamp */
					memcpy(out + o, lr->stamp, lr->held), o += lr->held;
				lr->held = 0;
				lr->bol = c == '\n';
			}
		} else {
			out[o++] = c;
			lr->bol = c == '\n';
		}
		if (o >= sizeof(out) - STAMP_LEN) {
			if (write(to, out, o) != (ssize_t)o)
				return false;
			o = 0;
		}
	}
	return !o || write(to, out, o) == (ssize_t)o;
}
