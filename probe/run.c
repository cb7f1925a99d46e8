/* One probe run: every area in order, timed, into one profile. */
#define _GNU_SOURCE
#include "probe/probe.h"
#include "probe/answers.h"
#include "lib/pfacts.h"
#include "lib/util.h"
#include "lib/version.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

struct area {
	const char *name; /* also the profile section it fills */
	void (*fn)(struct probe_ctx *);
	int stream; /* 0: the probe process itself; n > 0: worker process n */
};

/* Context and kernel config first: every other area reads them. */
static const struct area first[] = {{"context", probe_context, 0}, {"kconfig", probe_kconfig, 0}};

/*
 * The other areas are independent.  They run in two streams at once (this
 * machine kind has two cores; more workers only fight over them): the probe
 * process itself and one worker, which sends its sections back as JSON.
 * Each stream holds about half of the work, measured with --serial.
 */
static const struct area later[] = {
    {"namespaces", probe_namespaces, 1}, {"cgroups", probe_cgroups, 0},
    {"overlay", probe_overlay, 0},	 {"network", probe_network, 1},
    {"hardening", probe_hardening, 0},
};
#define STREAMS 2

static void run_area(struct probe_ctx *c, const struct area *a)
{
	double t = now_ms();
	a->fn(c);
	dc_profile_set_int(c->prof, "probe.timings_us", a->name,
			   (long long)((now_ms() - t) * 1000));
}

/* In a worker: run the stream's areas, send {"section": {...}, ...} as JSON, exit. */
static void worker_main(struct probe_ctx *c, int stream, int fd)
{
	json_object *out = json_object_new_object();
	for (size_t i = 0; i < ARRAY_SIZE(later); i++) {
		if (later[i].stream != stream)
			continue;
		run_area(c, &later[i]);
		json_object *sec = dc_profile_find(c->prof, later[i].name);
		json_object_object_add(out, later[i].name, json_object_get(sec));
	}
	json_object_object_add(out, "timings_us",
			       json_object_get(dc_profile_find(c->prof, "probe.timings_us")));
	answers_export(c, out);
	const char *txt = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(txt);
	int code = 0;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, txt + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			code = 3;
			break;
		}
		off += (size_t)n;
	}
	json_object_put(out); /* (valgrind checks the worker too) */
	_exit(code);
}

/* Read everything a worker sends; NULL-terminated text, or NULL on error. */
static char *read_all(int fd)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			buf[len] = '\0';
			return buf;
		}
		len += (size_t)n;
	}
	free(buf);
	return NULL;
}

/* An area whose worker failed still gets a section saying so, never silence. */
static void stream_failed(struct probe_ctx *c, int stream, const char *why)
{
	for (size_t i = 0; i < ARRAY_SIZE(later); i++)
		if (later[i].stream == stream)
			dc_profile_set_str(c->prof, later[i].name, "probe_error", why);
}

static void run_streams(struct probe_ctx *c, bool serial)
{
	pid_t pid[STREAMS] = {0};
	int fd[STREAMS] = {-1, -1};

	fflush(NULL);
	for (int s = 1; s < STREAMS && !serial; s++) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0) {
			stream_failed(c, s, strerror(errno));
			continue;
		}
		pid[s] = fork();
		if (pid[s] == 0) {
			close(p[0]);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			alarm(30);
			worker_main(c, s, p[1]);
		}
		close(p[1]);
		if (pid[s] < 0) {
			close(p[0]);
			stream_failed(c, s, strerror(errno));
			continue;
		}
		fd[s] = p[0];
	}
	for (size_t i = 0; i < ARRAY_SIZE(later); i++)
		if (serial || later[i].stream == 0)
			run_area(c, &later[i]);
	for (int s = 1; s < STREAMS; s++) {
		if (fd[s] < 0)
			continue;
		char *txt = read_all(fd[s]);
		close(fd[s]);
		int st = 0;
		while (waitpid(pid[s], &st, 0) < 0 && errno == EINTR)
			;
		json_object *in = txt ? json_tokener_parse(txt) : NULL;
		free(txt);
		if (in && json_object_is_type(in, json_type_object) && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0) {
			json_object *tm = dc_profile_obj(c->prof, "probe.timings_us");
			json_object_object_foreach(in, k, v)
			{
				if (!strcmp(k, "answers")) {
					answers_import(c, v);
				} else if (strcmp(k, "timings_us")) {
					json_object_object_add(c->prof->root, k,
							       json_object_get(v));
				} else if (v) {
					json_object_object_foreach(v, tk, tv)
					{
						json_object_object_add(tm, tk, json_object_get(tv));
					}
				}
			}
		} else {
			char why[96];
			if (WIFSIGNALED(st))
				snprintf(why, sizeof(why), "probe worker killed by signal %d",
					 WTERMSIG(st));
			else
				snprintf(why, sizeof(why), "probe worker failed (exit %d)",
					 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			stream_failed(c, s, why);
		}
		json_object_put(in);
	}
}

int probe_run(struct probe_ctx *c)
{
	double t0 = now_ms();
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	c->prof = dc_profile_new();
	if (!c->prof)
		return 2;
	dc_fact_set_str(c->prof, F_GENERATOR, "diyc-probe " DIYC_VERSION);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	dc_profile_set_str(c->prof, NULL, "created", stamp);
	dc_profile_set_str(c->prof, "probe", "sysroot",
			   c->sysroot && *c->sysroot ? c->sysroot : NULL);
	dc_profile_set_bool(c->prof, "probe", "live", c->live);
	dc_profile_set_bool(c->prof, "probe", "load_modules", c->load_modules);
	dc_profile_set_bool(c->prof, "probe", "serial", c->serial);
	dc_profile_set_str(c->prof, "probe", "data_root", c->data_root);

	for (size_t i = 0; i < ARRAY_SIZE(first); i++) {
		if (first[i].fn == probe_kconfig)
			modules_init(c); /* the kernel config reports module states */
		run_area(c, &first[i]);
	}
	/* Reserve the sections' places so the document keeps its order. */
	for (size_t i = 0; i < ARRAY_SIZE(later); i++)
		json_object_object_add(c->prof->root, later[i].name, json_object_new_object());
	/* with this boot's answers at hand no test runs: a worker would only cost a fork */
	answers_open(c);
	run_streams(c, c->serial || answers_loaded(c));
	int code = probe_summary(c);
	answers_close(c);
	dc_profile_set_int(c->prof, "probe", "duration_us", (long long)((now_ms() - t0) * 1000));
	return code;
}

void probe_ctx_free(struct probe_ctx *c)
{
	modules_fini(c);
	if (c->have_kc)
		kconfig_free(&c->kc);
	if (c->have_mi)
		mountinfo_free(&c->mi);
	dc_profile_free(c->prof);
	c->prof = NULL;
}
