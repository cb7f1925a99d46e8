/* One probe run: every area in order, timed, into one profile. */
#define _GNU_SOURCE
#include "probe.h"
#include "util.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
};

/* Context and kernel config first: every other area reads them. */
static const struct area first[] = {{"context", probe_context}, {"kconfig", probe_kconfig}};
/* These are independent; each runs in its own worker process, all at once. */
static const struct area parallel[] = {
    {"namespaces", probe_namespaces}, {"cgroups", probe_cgroups}, {"overlay", probe_overlay},
    {"network", probe_network},       {"hardening", probe_hardening},
};

struct worker {
	pid_t pid;
	int fd;
	char *buf;
	size_t len, cap;
	double t0;
};

/* In the worker: run the area, send its section as JSON text, exit. */
static void worker_main(struct probe_ctx *c, const struct area *a, int fd)
{
	a->fn(c);
	json_object *sec = dc_profile_find(c->prof, a->name);
	const char *txt = sec ? json_object_to_json_string_ext(sec, JSON_C_TO_STRING_PLAIN) : "{}";
	size_t len = strlen(txt);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, txt + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(3);
		off += (size_t)n;
	}
	_exit(0);
}

static int worker_read(struct worker *w)
{
	if (w->cap - w->len < 4096) {
		size_t nc = w->cap ? w->cap * 2 : 16384;
		char *nb = realloc(w->buf, nc);
		if (!nb)
			return -ENOMEM;
		w->buf = nb;
		w->cap = nc;
	}
	ssize_t n = read(w->fd, w->buf + w->len, w->cap - w->len - 1);
	if (n < 0)
		return errno == EINTR ? 1 : -errno;
	w->len += (size_t)n;
	return n > 0;
}

/* An area whose worker failed still gets a section saying so, never silence. */
static void area_failed(struct probe_ctx *c, const char *name, const char *why)
{
	dc_profile_set_str(c->prof, name, "probe_error", why);
}

static void run_parallel(struct probe_ctx *c)
{
	struct worker w[ARRAY_SIZE(parallel)];
	struct pollfd pfd[ARRAY_SIZE(parallel)];

	memset(w, 0, sizeof(w));
	fflush(NULL);
	for (size_t i = 0; i < ARRAY_SIZE(parallel); i++) {
		int p[2];
		w[i].fd = -1;
		w[i].t0 = now_ms();
		if (pipe2(p, O_CLOEXEC) < 0) {
			area_failed(c, parallel[i].name, strerror(errno));
			continue;
		}
		w[i].pid = fork();
		if (w[i].pid == 0) {
			close(p[0]);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			alarm(30);
			worker_main(c, &parallel[i], p[1]);
		}
		close(p[1]);
		if (w[i].pid < 0) {
			close(p[0]);
			area_failed(c, parallel[i].name, strerror(errno));
			continue;
		}
		w[i].fd = p[0];
	}
	for (;;) {
		nfds_t n = 0;
		for (size_t i = 0; i < ARRAY_SIZE(parallel); i++)
			if (w[i].fd >= 0) {
				pfd[n].fd = w[i].fd;
				pfd[n].events = POLLIN;
				n++;
			}
		if (!n)
			break;
		if (poll(pfd, n, -1) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < ARRAY_SIZE(parallel); i++) {
			if (w[i].fd < 0)
				continue;
			int r = worker_read(&w[i]);
			if (r <= 0) {
				close(w[i].fd);
				w[i].fd = -1;
				dc_profile_set_int(c->prof, "probe.timings_us", parallel[i].name,
						   (long long)((now_ms() - w[i].t0) * 1000));
			}
		}
	}
	/* Insert the sections in a fixed order, whatever order the workers finished in. */
	for (size_t i = 0; i < ARRAY_SIZE(parallel); i++) {
		int st = 0;
		if (w[i].pid > 0)
			while (waitpid(w[i].pid, &st, 0) < 0 && errno == EINTR)
				;
		json_object *sec = NULL;
		if (w[i].buf) {
			w[i].buf[w[i].len] = '\0';
			sec = json_tokener_parse(w[i].buf);
		}
		if (sec && json_object_is_type(sec, json_type_object) && WIFEXITED(st) &&
		    WEXITSTATUS(st) == 0) {
			json_object_object_add(c->prof->root, parallel[i].name, sec);
		} else {
			char why[96];
			json_object_put(sec);
			if (WIFSIGNALED(st))
				snprintf(why, sizeof(why), "probe worker killed by signal %d",
					 WTERMSIG(st));
			else
				snprintf(why, sizeof(why), "probe worker failed (exit %d)",
					 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			if (w[i].pid > 0)
				area_failed(c, parallel[i].name, why);
		}
		free(w[i].buf);
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
	dc_profile_set_str(c->prof, NULL, "generator", "diyc-probe " DIYC_VERSION);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	dc_profile_set_str(c->prof, NULL, "created", stamp);
	dc_profile_set_str(c->prof, "probe", "sysroot", c->sysroot && *c->sysroot ? c->sysroot : NULL);
	dc_profile_set_bool(c->prof, "probe", "live", c->live);
	dc_profile_set_bool(c->prof, "probe", "load_modules", c->load_modules);
	dc_profile_set_str(c->prof, "probe", "data_root", c->data_root);

	modules_init(c);
	for (size_t i = 0; i < ARRAY_SIZE(first); i++) {
		double t = now_ms();
		first[i].fn(c);
		dc_profile_set_int(c->prof, "probe.timings_us", first[i].name,
				   (long long)((now_ms() - t) * 1000));
	}
	/* Reserve the sections' places so the document keeps its order. */
	for (size_t i = 0; i < ARRAY_SIZE(parallel); i++)
		json_object_object_add(c->prof->root, parallel[i].name, json_object_new_object());
	run_parallel(c);
	int code = probe_summary(c);
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
