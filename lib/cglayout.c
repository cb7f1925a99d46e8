#define _GNU_SOURCE
#include "lib/cglayout.h"
#include "lib/util.h"

#include <errno.h>
#include <string.h>

const struct mnt_entry *cg_v1_mount(const struct mountinfo *mi, const char *ctrl)
{
	for (size_t i = 0; i < mi->n; i++)
		if (!strcmp(mi->v[i].fstype, "cgroup") && option_has(mi->v[i].super, ctrl))
			return &mi->v[i];
	return NULL;
}

const struct mnt_entry *cg_v2_mount(const struct mountinfo *mi)
{
	for (size_t i = 0; i < mi->n; i++)
		if (!strcmp(mi->v[i].fstype, "cgroup2"))
			return &mi->v[i];
	return NULL;
}

int cg_own_dir(const struct mnt_entry *m, const char *own, char *out, size_t len)
{
	size_t rl = strlen(m->root);
	const char *rel = own;
	if (strcmp(m->root, "/")) {
		if (strncmp(own, m->root, rl) || (own[rl] && own[rl] != '/'))
			return -ENOENT;
		rel = own + rl;
	}
	return fmt(out, len, "%s%s", m->mountpoint, strcmp(rel, "/") && *rel ? rel : "");
}

int cg_list_has(const char *list, const char *ctrl)
{
	size_t l = strlen(ctrl);
	for (const char *s = list; s && *s;) {
		while (*s == ' ' || *s == '\n')
			s++;
		const char *e = s;
		while (*e && *e != ' ' && *e != '\n')
			e++;
		if ((size_t)(e - s) == l && !strncmp(s, ctrl, l))
			return 1;
		s = e;
	}
	return 0;
}
