/*
 * `diyc stats [--no-stream] [NAME...]` and `diyc top NAME`: what a running
 * container uses, read from its own cgroups (the directories in its state) and
 * from /proc, never from inside it.  Every number comes from the first source that
 * exists: cgroup v2 files (memory.current, cpu.stat, pids.current, io.stat), then
 * v1's (memory.usage_in_bytes, cpuacct.usage, pids.current, blkio), then the sum
 * over its processes (found through the tracking cgroup, which every container
 * has, with or without a PID namespace: /proc/PID/stat times, VmRSS) — so a
 * hybrid host whose container got no memory or cpu controller still gets numbers;
 * "-" where no source exists.  Network bytes are those of the interfaces of its
 * network namespace (/proc/PID/net/dev, lo excluded); with --net host, "-".
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "lib/names.h"
#include "lib/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXP 4096

struct sample {
	double cpu_s;		  /* CPU time used, seconds (-1: unknown) */
	long long mem, limit;	  /* bytes (-1: unknown; limit 0: none) */
	long long pids;		  /* -1: unknown */
	long long rx, tx, rd, wr; /* bytes (-1: unknown) */
};

/* the first line of DIR/FILE of any of the container's cgroup dirs, as a number */
static long long cg_num(const struct state *st, const char *file)
{
	char p[PATH_MAX], line[64];
	for (int i = 0; i < st->ncgroups; i++)
		if (fmt(p, sizeof(p), "%s/%s", st->cgroups[i], file) == 0 &&
		    read_line(p, line, sizeof(line)) == 0)
			return !strcmp(line, "max") ? 0 : atoll(line);
	return -1;
}

/* KEY's value in a "key value" file of a cgroup dir (cpu.stat usage_usec) */
static long long cg_key(const struct state *st, const char *file, const char *key)
{
	char p[PATH_MAX], buf[4096];
	size_t kl = strlen(key);
	for (int i = 0; i < st->ncgroups; i++) {
		if (fmt(p, sizeof(p), "%s/%s", st->cgroups[i], file) < 0 ||
		    read_file(p, buf, sizeof(buf)) < 0)
			continue;
		for (char *l = buf; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			if (!strncmp(l, key, kl) && l[kl] == ' ')
				return atoll(l + kl + 1);
	}
	return -1;
}

/* the sum of every "KEY=N" (io.stat rbytes=) or "MAJ:MIN KEY N" (blkio) in a file */
static long long cg_sum(const struct state *st, const char *file, const char *key)
{
	char p[PATH_MAX], buf[16384];
	for (int i = 0; i < st->ncgroups; i++) {
		if (fmt(p, sizeof(p), "%s/%s", st->cgroups[i], file) < 0 ||
		    read_file(p, buf, sizeof(buf)) < 0)
			continue;
		long long sum = 0;
		for (char *t = strstr(buf, key); t; t = strstr(t + 1, key))
			if (t == buf || t[-1] == ' ')
				sum += atoll(t + strlen(key));
		return sum;
	}
	return -1;
}

/* from the processes of its tracking cgroup: CPU seconds, resident bytes, count */
static void by_processes(const struct state *st, struct sample *s)
{
	static pid_t pids[MAXP];
	struct cg_plan plan;
	char p[64], buf[1024];
	if (s->cpu_s >= 0 && s->mem >= 0 && s->pids >= 0)
		return; /* the cgroup gave all three: no walk over /proc */
	cg_plan_from_state(st, &plan);
	int n = cg_procs(&plan, pids, MAXP);
	long tick = sysconf(_SC_CLK_TCK);
	double cpu = 0;
	long long rss = 0;
	for (int i = 0; i < n; i++) {
		unsigned long ut = 0, stt = 0;
		snprintf(p, sizeof(p), "/proc/%d/stat", (int)pids[i]);
		char *r = read_file(p, buf, sizeof(buf)) > 0 ? strrchr(buf, ')') : NULL;
		/* after ")": state ppid ... utime is field 14, stime 15 */
		if (r && sscanf(r + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
				&stt) == 2)
			cpu += (double)(ut + stt) / (double)tick;
		snprintf(p, sizeof(p), "/proc/%d/status", (int)pids[i]);
		char *v = read_file(p, buf, sizeof(buf)) > 0 ? strstr(buf, "VmRSS:") : NULL;
		if (v)
			rss += atoll(v + 6) * 1024;
	}
	if (s->cpu_s < 0)
		s->cpu_s = n >= 0 ? cpu : -1;
	if (s->mem < 0)
		s->mem = n >= 0 ? rss : -1;
	if (s->pids < 0)
		s->pids = n;
}

/* the bytes of its network namespace's interfaces but lo */
static void net_bytes(const struct state *st, struct sample *s)
{
	char p[64], buf[8192];
	s->rx = s->tx = -1;
	snprintf(p, sizeof(p), "/proc/%d/net/dev", (int)st->pid);
	if (!(st->nsmask & (1u << NS_NET)) || read_file(p, buf, sizeof(buf)) < 0)
		return;
	s->rx = s->tx = 0;
	for (char *l = strchr(buf, '\n'); l; l = strchr(l + 1, '\n')) {
		char ifn[32];
		long long rx, tx;
		if (sscanf(l + 1, " %31[^:]: %lld %*d %*d %*d %*d %*d %*d %*d %lld", ifn, &rx,
			   &tx) == 3 &&
		    strcmp(ifn, "lo"))
			s->rx += rx, s->tx += tx;
	}
}

static void sample(const struct state *st, struct sample *s)
{
	long long us = cg_key(st, "cpu.stat", "usage_usec"), ns = cg_num(st, "cpuacct.usage");
	s->cpu_s = us >= 0 ? (double)us / 1e6 : ns >= 0 ? (double)ns / 1e9 : -1;
	s->mem = cg_num(st, "memory.current");
	if (s->mem < 0)
		s->mem = cg_num(st, "memory.usage_in_bytes");
	s->limit = cg_num(st, "memory.max");
	if (s->limit < 0)
		s->limit = cg_num(st, "memory.limit_in_bytes");
	if (s->limit >= (1LL << 62)) /* v1's "no limit" */
		s->limit = 0;
	s->pids = cg_num(st, "pids.current");
	s->rd = cg_sum(st, "io.stat", "rbytes=");
	s->wr = cg_sum(st, "io.stat", "wbytes=");
	if (s->rd < 0) {
		s->rd = cg_sum(st, "blkio.throttle.io_service_bytes", "Read ");
		s->wr = cg_sum(st, "blkio.throttle.io_service_bytes", "Write ");
	}
	by_processes(st, s);
	net_bytes(st, s);
}

static void human(long long v, char *out, size_t len)
{
	static const char *const u[] = {"B", "kB", "MB", "GB", "TB"};
	double d = (double)v;
	int i = 0;
	if (v < 0) {
		snprintf(out, len, "-");
		return;
	}
	for (; d >= 1000 && i < 4; i++)
		d /= 1000;
	snprintf(out, len, i ? "%.3g%s" : "%.0f%s", d, u[i]);
}

static void print_row(const struct state *st, const struct sample *a, const struct sample *b,
		      double secs)
{
	char cpu[16] = "-", mem[16], lim[16] = "-", memp[16] = "-", rx[16], tx[16], rd[16], wr[16],
	     pids[16] = "-";
	if (a->cpu_s >= 0 && b->cpu_s >= 0)
		snprintf(cpu, sizeof(cpu), "%.2f%%", 100.0 * (b->cpu_s - a->cpu_s) / secs);
	human(b->mem, mem, sizeof(mem));
	if (b->limit > 0) {
		human(b->limit, lim, sizeof(lim));
		snprintf(memp, sizeof(memp), "%.2f%%", 100.0 * (double)b->mem / (double)b->limit);
	}
	human(b->rx, rx, sizeof(rx));
	human(b->tx, tx, sizeof(tx));
	human(b->rd, rd, sizeof(rd));
	human(b->wr, wr, sizeof(wr));
	if (b->pids >= 0)
		snprintf(pids, sizeof(pids), "%lld", b->pids);
	printf("%-20s %-8s %-20s %-8s %-20s %-20s %s\n", st->name, cpu,
	       strcat(strcat(mem, " / "), lim), memp, strcat(strcat(rx, " / "), tx),
	       strcat(strcat(rd, " / "), wr), pids);
}

/* the running containers named (all running ones when none is); -1 on a bad name */
static int targets(int argc, char **argv, struct state *st, int max)
{
	char **names = argv, **all = NULL;
	int n = argc, k = 0;
	struct dc_err e = {0};
	if (!argc)
		n = state_list(&all), names = all;
	for (int i = 0; i < n && k < max; i++) {
		if (argc && state_running(names[i], &st[k], &e) < 0) {
			dc_err_print(&e);
			k = -1;
			break;
		}
		bool running = false;
		if (!argc && (state_load(names[i], &st[k], &running) < 0 || !running))
			continue;
		k++;
	}
	for (int i = 0; all && i < n; i++)
		free(all[i]);
	free(all);
	return k;
}

/* st[] kept to those still running; the count */
static int still_running(struct state *st, int n)
{
	int k = 0;
	for (int i = 0; i < n; i++) {
		struct state now;
		bool running = false;
		if (state_load(st[i].name, &now, &running) == 0 && running)
			st[k++] = now;
	}
	return k;
}

int cmd_stats(int argc, char **argv)
{
	static struct state st[64];
	static struct sample a[64], b[64];
	bool stream = true;
	int i = 1;
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return puts("Usage: diyc stats [--no-stream] [NAME...]\nWhat running containers "
			    "use (default: all), refreshed every second;\n--no-stream: once."),
		       0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--no-stream"))
			return dc_error("stats: unknown option %s (see diyc stats --help)",
					argv[i]),
			       EXIT_DIYC;
		stream = false;
	}
	int n = targets(argc - i, argv + i, st, 64);
	if (n < 0)
		return EXIT_DIYC;
	do {
		for (int k = 0; k < n; k++)
			sample(&st[k], &a[k]);
		struct timespec ts = {0, stream ? 999000000 : 500000000};
		nanosleep(&ts, NULL);
		printf("%-20s %-8s %-20s %-8s %-20s %-20s %s\n", "NAME", "CPU %",
		       "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS");
		for (int k = 0; k < n; k++) {
			sample(&st[k], &b[k]);
			print_row(&st[k], &a[k], &b[k], (double)ts.tv_nsec / 1e9);
		}
		fflush(stdout);
		n = stream ? still_running(st, n) : 0;
	} while (n > 0);
	return 0;
}

/* `diyc top NAME`: its processes, found through its tracking cgroup (so also without a
 * PID namespace), with host pids */
int cmd_top(int argc, char **argv)
{
	static pid_t pids[MAXP];
	struct state st;
	struct dc_err e = {0};
	struct cg_plan plan;
	char p[64], buf[4096];
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return puts("Usage: diyc top NAME\nThe processes of a running container (host "
			    "pids), from its cgroup."),
		       0;
	if (argc != 2 || argv[1][0] == '-')
		return dc_error("usage: diyc top NAME"), EXIT_DIYC;
	if (name_check("container", argv[1], DC_NAME_MAX, &e) < 0 ||
	    state_running(argv[1], &st, &e) < 0)
		return dc_err_print(&e), EXIT_DIYC;
	cg_plan_from_state(&st, &plan);
	int n = cg_procs(&plan, pids, MAXP);
	if (n < 0)
		return dc_error("cannot read the processes of %s's cgroup", argv[1]), EXIT_DIYC;
	long tick = sysconf(_SC_CLK_TCK);
	printf("%-8s %-8s %-8s %-10s %s\n", "PID", "PPID", "UID", "TIME", "COMMAND");
	for (int i = 0; i < n; i++) {
		int ppid = 0;
		unsigned long ut = 0, stt = 0;
		unsigned uid = 0;
		snprintf(p, sizeof(p), "/proc/%d/stat", (int)pids[i]);
		char *r = read_file(p, buf, sizeof(buf)) > 0 ? strrchr(buf, ')') : NULL;
		if (!r || sscanf(r + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ppid,
				 &ut, &stt) != 3)
			continue; /* gone meanwhile */
		snprintf(p, sizeof(p), "/proc/%d/status", (int)pids[i]);
		char *u = read_file(p, buf, sizeof(buf)) > 0 ? strstr(buf, "\nUid:") : NULL;
		if (u)
			sscanf(u + 5, "%u", &uid);
		snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pids[i]);
		ssize_t len = read_file(p, buf, sizeof(buf));
		for (ssize_t k = 0; k + 1 < len; k++)
			buf[k] = buf[k] ? buf[k] : ' ';
		unsigned long t = (ut + stt) / (unsigned long)tick;
		printf("%-8d %-8d %-8u %02lu:%02lu:%02lu   %s\n", (int)pids[i], ppid, uid, t / 3600,
		       t / 60 % 60, t % 60, len > 0 ? buf : "?");
	}
	return 0;
}
