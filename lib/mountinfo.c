#define _GNU_SOURCE
#include "lib/mountinfo.h"
#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Undo the octal escapes the kernel uses for space, tab, newline and backslash. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

static char *next_field(char **p)
{
	char *s = *p;
	if (!s)
		return NULL;
	while (*s == ' ')
		s++;
	if (!*s)
		return NULL;
	char *e = strchr(s, ' ');
	if (e) {
		*e = '\0';
		*p = e + 1;
	} else {
		*p = NULL;
	}
	return s;
}

int mountinfo_parse_line(char *line, struct mnt_entry *e)
{
	char *p = line, *f[6], *opt;
	char *end;

	memset(e, 0, sizeof(*e));
	line[strcspn(line, "\n")] = '\0';
	for (int i = 0; i < 6; i++)
		if (!(f[i] = next_field(&p)))
			return -EINVAL;
	errno = 0;
	e->id = (int)strtol(f[0], &end, 10);
	if (*end || errno)
		return -EINVAL;
	e->parent = (int)strtol(f[1], &end, 10);
	if (*end || errno)
		return -EINVAL;
	if (sscanf(f[2], "%u:%u", &e->major, &e->minor) != 2)
		return -EINVAL;
	e->root = f[3];
	e->mountpoint = f[4];
	e->options = f[5];
	/* optional fields up to the "-" separator */
	do {
		opt = next_field(&p);
		if (!opt)
			return -EINVAL;
	} while (strcmp(opt, "-") != 0);
	if (!(e->fstype = next_field(&p)) || !(e->source = next_field(&p)))
		return -EINVAL;
	e->super = next_field(&p);
	if (!e->super)
		e->super = e->options + strlen(e->options); /* empty string */
	unescape(e->root);
	unescape(e->mountpoint);
	unescape(e->source);
	return 0;
}

static void entry_free(struct mnt_entry *e)
{
	free(e->root); /* one allocation holds every string of the entry */
}

int mountinfo_parse(const char *text, struct mountinfo *mi)
{
	const char *s = text;
	memset(mi, 0, sizeof(*mi));
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char *line = strndup(s, len), *copy;
		struct mnt_entry e;
		if (!line)
			goto oom;
		if (len == 0) {
			free(line);
		} else if (mountinfo_parse_line(line, &e) < 0) {
			mi->bad_lines++;
			free(line);
		} else {
			/* Repack the fields into one block so entry_free can free it. */
			size_t total = strlen(e.root) + strlen(e.mountpoint) + strlen(e.options) +
				       strlen(e.fstype) + strlen(e.source) + strlen(e.super) + 6;
			copy = malloc(total);
			struct mnt_entry *nv = realloc(mi->v, (mi->n + 1) * sizeof(*nv));
			if (!copy || !nv) {
				free(copy);
				free(line);
				if (nv)
					mi->v = nv;
				goto oom;
			}
			mi->v = nv;
			char *w = copy;
			char **fields[] = {&e.root,   &e.options, &e.mountpoint,
					   &e.fstype, &e.source,  &e.super};
			for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
				size_t l = strlen(*fields[i]) + 1;
				memcpy(w, *fields[i], l);
				*fields[i] = w;
				w += l;
			}
			free(line);
			mi->v[mi->n++] = e;
		}
		s = nl ? nl + 1 : NULL;
	}
	return 0;
oom:
	mountinfo_free(mi);
	return -ENOMEM;
}

int mountinfo_load(const char *path, struct mountinfo *mi)
{
	size_t cap = 1 << 16;
	for (;;) {
		char *buf = malloc(cap);
		if (!buf)
			return -ENOMEM;
		ssize_t n = read_file(path, buf, cap);
		if (n < 0) {
			free(buf);
			memset(mi, 0, sizeof(*mi));
			return (int)n;
		}
		if ((size_t)n < cap - 1 || cap >= (1u << 24)) {
			int r = mountinfo_parse(buf, mi);
			free(buf);
			return r;
		}
		free(buf);
		cap *= 4;
	}
}

void mountinfo_free(struct mountinfo *mi)
{
	for (size_t i = 0; i < mi->n; i++)
		entry_free(&mi->v[i]);
	free(mi->v);
	memset(mi, 0, sizeof(*mi));
}

const struct mnt_entry *mountinfo_at(const struct mountinfo *mi, const char *path)
{
	for (size_t i = mi->n; i-- > 0;)
		if (!strcmp(mi->v[i].mountpoint, path))
			return &mi->v[i];
	return NULL;
}

int option_has(const char *list, const char *opt)
{
	size_t l = strlen(opt);
	for (const char *s = list; s && *s;) {
		const char *c = strchr(s, ',');
		size_t n = c ? (size_t)(c - s) : strlen(s);
		if (n == l && !strncmp(s, opt, l))
			return 1;
		s = c ? c + 1 : NULL;
	}
	return 0;
}
