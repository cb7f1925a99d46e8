#define _GNU_SOURCE
#include "probe/procparse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int filesystems_has(const char *text, const char *fstype)
{
	size_t fl = strlen(fstype);
	for (const char *s = text; s && *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		/* "nodev\toverlay" or "\text4": the name is after the tab */
		const char *tab = memchr(s, '\t', len);
		const char *name = tab ? tab + 1 : s;
		size_t nlen = len - (size_t)(name - s);
		if (nlen == fl && !strncmp(name, fstype, fl))
			return 1;
		s = nl ? nl + 1 : NULL;
	}
	return 0;
}

int cmdline_get(const char *cmdline, const char *key, char *val, size_t len)
{
	size_t kl = strlen(key);
	int found = 0;
	const char *s = cmdline;

	while (s && *s) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		/* one token, with "..." allowed anywhere */
		char tok[1024];
		size_t tl = 0;
		int quoted = 0;
		for (; *s && (quoted || (*s != ' ' && *s != '\t' && *s != '\n')); s++) {
			if (*s == '"') {
				quoted = !quoted;
				continue;
			}
			if (tl + 1 < sizeof(tok))
				tok[tl++] = *s;
		}
		tok[tl] = '\0';
		if (!strcmp(tok, "--"))
			break;
		if (!strncmp(tok, key, kl) && (tok[kl] == '=' || tok[kl] == '\0')) {
			found = 1;
			if (len)
				snprintf(val, len, "%s", tok[kl] == '=' ? tok + kl + 1 : "");
		}
	}
	return found;
}

static int hex_field(const char *line, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	char *end;
	if (strncmp(line, key, kl) || line[kl] != ':')
		return 0;
	const char *v = line + kl + 1;
	while (*v == '\t' || *v == ' ')
		v++;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 16);
	if (end == v || errno || (*end && *end != '\n'))
		return -1;
	*out = x;
	return 1;
}

static int int_field(const char *line, const char *key, long *out)
{
	size_t kl = strlen(key);
	char *end;
	if (strncmp(line, key, kl) || line[kl] != ':')
		return 0;
	const char *v = line + kl + 1;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (end == v || errno)
		return -1;
	*out = x;
	return 1;
}

int status_parse(const char *text, struct proc_status *st)
{
	int caps = 0, bad = 0;
	memset(st, 0, sizeof(*st));
	st->no_new_privs = st->seccomp = st->seccomp_filters = -1;
	st->uid_eff = -1;
	for (const char *s = text; s && *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char line[256];
		long l;
		if (len < sizeof(line)) {
			memcpy(line, s, len);
			line[len] = '\0';
			struct {
				const char *k;
				uint64_t *p;
			} hx[] = {{"CapInh", &st->cap_inh},
				  {"CapPrm", &st->cap_prm},
				  {"CapEff", &st->cap_eff},
				  {"CapBnd", &st->cap_bnd},
				  {"CapAmb", &st->cap_amb}};
			for (size_t i = 0; i < sizeof(hx) / sizeof(hx[0]); i++) {
				int r = hex_field(line, hx[i].k, hx[i].p);
				if (r < 0)
					bad++;
				else if (r > 0) {
					caps |= 1 << i;
					if (i == 4)
						st->have_amb = true;
				}
			}
			if (int_field(line, "NoNewPrivs", &l) > 0)
				st->no_new_privs = (int)l;
			if (int_field(line, "Seccomp", &l) > 0)
				st->seccomp = (int)l;
			if (int_field(line, "Seccomp_filters", &l) > 0)
				st->seccomp_filters = (int)l;
			if (!strncmp(line, "Uid:", 4)) {
				long r, e;
				if (sscanf(line + 4, "%ld %ld", &r, &e) == 2)
					st->uid_eff = e;
			}
		}
		s = nl ? nl + 1 : NULL;
	}
	/* inheritable, permitted, effective and bounding must all be there */
	st->have_caps = (caps & 0xf) == 0xf && !bad;
	return st->have_caps ? 0 : -EINVAL;
}
