/*
 * Where a start's time goes, for `make bench` (docs/bench.md's "step -> µs" table):
 * DIYC_TIMING=1 makes `diyc run` note CLOCK_MONOTONIC at main(), after each step of
 * the start table (steps.c) and of the container process's table (container.c),
 * just before the command's exec, when the command has exited and after each undo,
 * and print them on stderr at the end as "diyc-timing NAME MICROSECONDS" lines, each
 * the time since the mark before it.
 *
 * The marks live in one MAP_SHARED anonymous page made before the container process
 * is cloned, so the container process (which execs, and whose stderr is the
 * container's) writes its marks where the supervisor reads them; the slot is taken
 * with an atomic add, names are string literals (the same addresses in both
 * processes: the child is a copy made by clone without exec).  Without DIYC_TIMING
 * every mark is one test of a NULL pointer: nothing is mapped, nothing printed.
 * DIYC_TIMING=NS (a CLOCK_MONOTONIC time in nanoseconds, taken by the caller just
 * before it started diyc: tests/bench/steps.py) adds the first line "main": the
 * exec and the dynamic loader, before main() ran.
 */
#define _GNU_SOURCE
#include "runtime/timing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define TIMING_MAX 64

struct timing_page {
	unsigned n;
	struct timing_mark {
		const char *pre, *name;
		long long ns;
	} mark[TIMING_MAX];
};

static struct timing_page *tp;

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void timing_init(void)
{
	const char *env = getenv("DIYC_TIMING");
	if (!env || !*env || !strcmp(env, "0"))
		return;
	void *p =
	    mmap(NULL, sizeof(*tp), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return; /* a measurement only: the start goes on without it */
	tp = p;
	long long start = strtoll(env, NULL, 10);
	if (start > 1) { /* the caller's start: the first mark, so "main" is the exec */
		tp->mark[0].ns = start;
		tp->mark[0].name = "start";
		tp->n = 1;
	}
	timing_mark("main");
}

void timing_mark2(const char *pre, const char *name)
{
	if (!tp)
		return;
	unsigned i = __atomic_fetch_add(&tp->n, 1, __ATOMIC_RELAXED);
	if (i < TIMING_MAX) {
		tp->mark[i].ns = now_ns();
		tp->mark[i].pre = pre;
		__atomic_store_n(&tp->mark[i].name, name, __ATOMIC_RELEASE);
	}
}

void timing_mark(const char *name) { timing_mark2("", name); }

/* the marks in time order (the supervisor's "running" and the container process's
 * first steps overlap), each as the time since the one before */
void timing_report(void)
{
	if (!tp)
		return;
	unsigned n = tp->n < TIMING_MAX ? tp->n : TIMING_MAX;
	struct timing_mark *m = tp->mark;
	for (unsigned i = 1; i < n; i++) /* insertion sort: a few dozen marks */
		for (unsigned j = i; j > 0 && m[j].ns < m[j - 1].ns; j--) {
			struct timing_mark t = m[j];
			m[j] = m[j - 1];
			m[j - 1] = t;
		}
	for (unsigned i = 1; i < n; i++)
		if (m[i].name)
			fprintf(stderr, "diyc-timing %s%s %lld\n", m[i].pre, m[i].name,
				(m[i].ns - m[i - 1].ns) / 1000);
}
