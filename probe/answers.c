/*
 * The answers of the live tests, reused within one boot: PROFILE.answers, beside
 * the default profile (/run/diyc/profile.json.answers, or $DIYC_PROFILE.answers).
 *
 * Why: every live test forks a process that unshares namespaces, mounts an
 * overlay, creates cgroups or execs both iptables backends.  On a 2-core VM that
 * is 40 ms of a 45 ms probe, and a kernel answers them the same way all through a
 * boot.  What a test process reported (its result struct, as it crossed the pipe)
 * is kept under a key naming the test and its inputs; everything read from files
 * (/proc, /sys, the kernel config) is read again on every run.
 *
 * Why a kept answer can be trusted: it is reused only when
 *   - the fingerprint (probe/fingerprint.c) matches: the boot (boot_id), this
 *     diyc-probe binary, the caller (uid, capabilities, no_new_privs, LSM label,
 *     rlimits, its cgroups and its namespaces), the loaded modules, the namespace
 *     and tunnel sysctls, the cgroup mounts, PATH and XTABLES_LIBDIR, the data root
 *     (path, device, filesystem) and --load-modules.  A change in any of them
 *     measures everything again;
 *   - the test's own key matches: a cgroup test names its cgroup, the files that
 *     decide delegation and what was found before it; the iptables test names each
 *     binary with its inode, size and mtime; the overlay test its directory;
 *   - the file is a regular file owned by root, not readable or writable by
 *     others, with the right magic, version and checksum (O_NOFOLLOW; anything else
 *     is ignored, never an error).  Only root writes it, atomically (rename).
 * Never kept: a run in which some check failed with an errno that can pass
 * (EAGAIN, ENOMEM, ENOSPC, EBUSY ...), a worker that failed, a test that timed
 * out.  --fresh measures every test again and keeps its answers.  Never used:
 * DIYC_PROBE_ANSWERS=off, DIYC_FAULT (fault injection must reach the code),
 * --sysroot, a caller that is not root, a caller whose /proc/self/status could
 * not be parsed, a caller under a seccomp filter (two filters cannot be told
 * apart: tests/tools/nons simulates a kernel without namespaces with one).  The
 * profile says which (probe.answers).
 */
#define _GNU_SOURCE
#include "probe/answers.h"
#include "probe/probe.h"
#include "lib/profile.h"
#include "lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "DIYCANS1"
#define MAX_ENTRIES 64
#define MAX_FILE (256 * 1024)

struct entry {
	uint64_t key;
	uint32_t len;
	unsigned char *data;
	bool measured; /* in this run (else loaded) */
	bool used;     /* measured or reused in this run: only those are kept */
};

struct file_head {
	char magic[8];
	uint64_t fingerprint;
	uint64_t measured_at; /* unix time of the oldest answer */
	uint32_t count;
	uint32_t pad;
	uint64_t checksum; /* of everything after the header */
};

struct answers {
	char path[PATH_MAX];
	const char *off; /* why nothing is reused, or NULL */
	uint64_t fp;
	uint64_t measured_at;
	struct entry e[MAX_ENTRIES];
	size_t n, reused, measured;
	bool loaded;
};

static void drop_all(struct answers *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->e[i].data);
	a->n = 0;
}

static uint64_t body_sum(const struct answers *a, bool used_only)
{
	uint64_t h = ANS_FNV0;
	for (size_t i = 0; i < a->n; i++) {
		if (used_only && !a->e[i].used)
			continue;
		h = ans_fnv(h, &a->e[i].key, sizeof(a->e[i].key));
		h = ans_fnv(h, &a->e[i].len, sizeof(a->e[i].len));
		h = ans_fnv(h, a->e[i].data, a->e[i].len);
	}
	return h;
}

static bool add(struct answers *a, uint64_t key, const void *data, uint32_t len, bool measured)
{
	struct entry *x = NULL;
	for (size_t i = 0; i < a->n && !x; i++)
		if (a->e[i].key == key)
			x = &a->e[i];
	if (!x && a->n == MAX_ENTRIES)
		return false;
	unsigned char *copy = malloc(len ? len : 1);
	if (!copy)
		return false;
	memcpy(copy, data, len);
	if (!x)
		x = &a->e[a->n++];
	else
		free(x->data);
	*x = (struct entry){
	    .key = key, .len = len, .data = copy, .measured = measured, .used = measured};
	return true;
}

/* Parse the file's records after the header; false (and nothing kept) when one is off. */
static bool parse(struct answers *a, const unsigned char *p, size_t len, uint32_t count)
{
	for (uint32_t i = 0; i < count; i++) {
		uint64_t key;
		uint32_t n;
		if (len < sizeof(key) + sizeof(n))
			return false;
		memcpy(&key, p, sizeof(key));
		memcpy(&n, p + sizeof(key), sizeof(n));
		p += sizeof(key) + sizeof(n);
		len -= sizeof(key) + sizeof(n);
		if (n > len || !add(a, key, p, n, false))
			return false;
		p += n;
		len -= n;
	}
	return len == 0;
}

static void load(struct answers *a)
{
	static unsigned char buf[MAX_FILE];
	struct file_head h;
	struct stat st;
	int fd = open(a->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 && !(st.st_mode & 077) &&
	    st.st_size <= MAX_FILE)
		n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < (ssize_t)sizeof(h))
		return;
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, MAGIC, 8) || h.fingerprint != a->fp || h.count > MAX_ENTRIES)
		return;
	if (!parse(a, buf + sizeof(h), (size_t)n - sizeof(h), h.count) ||
	    body_sum(a, false) != h.checksum) {
		drop_all(a);
		return;
	}
	a->measured_at = h.measured_at;
	a->loaded = a->n > 0;
}

static const char *why_off(const struct probe_ctx *c)
{
	const char *env = getenv("DIYC_PROBE_ANSWERS");
	if (env && !strcmp(env, "off"))
		return "DIYC_PROBE_ANSWERS=off";
	if (env && *env && env[0] != '/')
		return "DIYC_PROBE_ANSWERS is neither off nor an absolute path";
	if (getenv("DIYC_FAULT") && *getenv("DIYC_FAULT"))
		return "DIYC_FAULT is set";
	if (!c->live)
		return "--sysroot: nothing is measured";
	if (geteuid() != 0)
		return "not root";
	if (!c->have_status)
		return "/proc/self/status unreadable: the caller cannot be compared";
	if (c->status.seccomp > 0)
		return "a seccomp filter is in force: its rules cannot be compared";
	return NULL;
}

void answers_open(struct probe_ctx *c)
{
	struct answers *a = calloc(1, sizeof(*a));
	c->ans = a;
	if (!a)
		return;
	const char *env = getenv("DIYC_PROBE_ANSWERS");
	bool given = env && *env;
	a->off = why_off(c);
	if (!a->off && fmt(a->path, sizeof(a->path), "%s%s", given ? env : dc_default_profile(),
			   given ? "" : ".answers") < 0)
		a->off = "the answers' path is too long";
	if (a->off)
		return;
	a->fp = answers_fingerprint(c);
	if (!c->fresh)
		load(a); /* --fresh measures everything, and keeps what it measured */
}

bool answers_loaded(const struct probe_ctx *c) { return c->ans && c->ans->loaded; }

bool answers_get(struct probe_ctx *c, const char *key, void *out, size_t len)
{
	struct answers *a = c->ans;
	if (!a || a->off || !key)
		return false;
	uint64_t k = ans_fnv_str(ANS_FNV0, key);
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].key == k && a->e[i].len == len) {
			memcpy(out, a->e[i].data, len);
			a->e[i].used = true;
			a->reused++;
			return true;
		}
	return false;
}

void answers_put(struct probe_ctx *c, const char *key, const void *data, size_t len)
{
	struct answers *a = c->ans;
	if (a && !a->off && key && len <= MAX_FILE / 4 &&
	    add(a, ans_fnv_str(ANS_FNV0, key), data, (uint32_t)len, true))
		a->measured++;
}

static const char hexdigits[] = "0123456789abcdef";

void answers_export(struct probe_ctx *c, json_object *out)
{
	struct answers *a = c->ans;
	json_object *o = json_object_new_object();
	for (size_t i = 0; a && i < a->n; i++) {
		if (!a->e[i].measured)
			continue;
		char key[17], *hex = malloc(2 * a->e[i].len + 1);
		if (!hex)
			continue;
		for (uint32_t j = 0; j < a->e[i].len; j++) {
			hex[2 * j] = hexdigits[a->e[i].data[j] >> 4];
			hex[2 * j + 1] = hexdigits[a->e[i].data[j] & 15];
		}
		hex[2 * a->e[i].len] = '\0';
		snprintf(key, sizeof(key), "%016llx", (unsigned long long)a->e[i].key);
		json_object_object_add(o, key, json_object_new_string(hex));
		free(hex);
	}
	json_object_object_add(out, "answers", o);
}

static int unhex(char ch)
{
	const char *d = ch ? strchr(hexdigits, ch) : NULL;
	return d ? (int)(d - hexdigits) : -1;
}

void answers_import(struct probe_ctx *c, json_object *in)
{
	struct answers *a = c->ans;
	if (!a || a->off || !json_object_is_type(in, json_type_object))
		return;
	json_object_object_foreach(in, k, v)
	{
		const char *hex = json_object_get_string(v);
		size_t n = hex ? strlen(hex) / 2 : 0;
		unsigned char *b = malloc(n ? n : 1);
		bool ok = b && hex && strlen(hex) % 2 == 0 && strlen(k) == 16;
		for (size_t j = 0; ok && j < n; j++) {
			int hi = unhex(hex[2 * j]), lo = unhex(hex[2 * j + 1]);
			ok = hi >= 0 && lo >= 0;
			b[j] = (unsigned char)(hi << 4 | lo);
		}
		if (ok && add(a, strtoull(k, NULL, 16), b, (uint32_t)n, true))
			a->measured++;
		free(b);
	}
}

/* An errno that says "not now" rather than "not on this kernel": keep nothing. */
static const char *passing(json_object *o)
{
	static const char *const names[] = {"EAGAIN",	 "ENOMEM", "ENOSPC", "EBUSY",  "EINTR",
					    "ETIMEDOUT", "ECHILD", "EMFILE", "ENFILE", "EUSERS"};
	json_object *v;
	if (!json_object_is_type(o, json_type_object))
		return NULL;
	if (json_object_object_get_ex(o, "probe_error", &v))
		return "a probe worker failed";
	if (json_object_object_get_ex(o, "errno", &v) && json_object_is_type(v, json_type_string))
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			if (!strcmp(json_object_get_string(v), names[i]))
				return names[i];
	json_object_object_foreach(o, k, sub)
	{
		(void)k;
		const char *why = passing(sub);
		if (why)
			return why;
	}
	return NULL;
}

static int save(struct answers *a)
{
	char tmp[PATH_MAX + 32];
	struct file_head h = {.fingerprint = a->fp};
	memcpy(h.magic, MAGIC, 8);
	h.measured_at = a->measured_at;
	h.checksum = body_sum(a, true);
	for (size_t i = 0; i < a->n; i++)
		h.count += a->e[i].used;
	if (mkdir_parent(a->path) < 0 || fmt(tmp, sizeof(tmp), "%s.tmp.%d", a->path, getpid()) < 0)
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	bool ok = write(fd, &h, sizeof(h)) == (ssize_t)sizeof(h);
	for (size_t i = 0; ok && i < a->n; i++)
		ok = !a->e[i].used ||
		     (write(fd, &a->e[i].key, sizeof(a->e[i].key)) == sizeof(a->e[i].key) &&
		      write(fd, &a->e[i].len, sizeof(a->e[i].len)) == sizeof(a->e[i].len) &&
		      write(fd, a->e[i].data, a->e[i].len) == (ssize_t)a->e[i].len);
	if (close(fd) < 0 || !ok || rename(tmp, a->path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

void answers_close(struct probe_ctx *c)
{
	struct answers *a = c->ans;
	const char *sec = "probe.answers", *why = NULL;
	if (!a)
		return;
	if (a->off) {
		dc_profile_set_str(c->prof, sec, "state", "off");
		dc_profile_set_str(c->prof, sec, "why", a->off);
	} else {
		dc_profile_set_str(c->prof, sec, "state",
				   !a->reused	 ? "measured"
				   : a->measured ? "partly reused"
						 : "reused");
		dc_profile_set_str(c->prof, sec, "file", a->path);
		dc_profile_set_int(c->prof, sec, "reused", (long long)a->reused);
		dc_profile_set_int(c->prof, sec, "measured", (long long)a->measured);
		if (a->measured && (why = passing(c->prof->root)) == NULL) {
			if (!a->reused)
				a->measured_at = (uint64_t)time(NULL);
			if (save(a) < 0)
				why = "cannot write the file";
		}
		if (why)
			dc_profile_set_str(c->prof, sec, "not_kept", why);
		if (a->reused) {
			char stamp[32];
			time_t t = (time_t)a->measured_at;
			struct tm tm;
			strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
			dc_profile_set_str(c->prof, sec, "measured_at", stamp);
		}
	}
	drop_all(a);
	free(a);
	c->ans = NULL;
}
