#define _GNU_SOURCE
#include "lib/proccgroup.h"
#include "lib/mountinfo.h"
#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_member(const char *line, size_t len, struct cg_member *e)
{
	char buf[PATH_MAX + 160];
	char *c1, *c2, *end;

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, line, len);
	buf[len] = '\0';
	c1 = strchr(buf, ':');
	if (!c1)
		return -EINVAL;
	c2 = strchr(c1 + 1, ':');
	if (!c2 || c2[1] != '/')
		return -EINVAL;
	*c1 = *c2 = '\0';
	errno = 0;
	long h = strtol(buf, &end, 10);
	if (end == buf || *end || errno || h < 0)
		return -EINVAL;
	if (fmt(e->controllers, sizeof(e->controllers), "%s", c1 + 1) < 0 ||
	    fmt(e->path, sizeof(e->path), "%s", c2 + 1) < 0)
		return -EINVAL;
	e->hierarchy = (int)h;
	return 0;
}

int cg_membership_parse(const char *text, struct cg_membership *m)
{
	/* not a memset of the 135 KB of lines: each counted line is written whole by
	 * parse_member, and nothing past m->n is read (it was a third of diyc run's
	 * instructions, and 33 pages touched) */
	m->n = m->bad_lines = 0;
	for (const char *s = text; s && *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		if (len) {
			if (m->n < CG_MAX_LINES && parse_member(s, len, &m->v[m->n]) == 0)
				m->n++;
			else
				m->bad_lines++;
		}
		s = nl ? nl + 1 : NULL;
	}
	return m->n ? 0 : -EINVAL;
}

const struct cg_member *cg_membership_v1(const struct cg_membership *m, const char *ctrl)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].hierarchy != 0 && option_has(m->v[i].controllers, ctrl))
			return &m->v[i];
	return NULL;
}

const struct cg_member *cg_membership_v2(const struct cg_membership *m)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].hierarchy == 0 && m->v[i].controllers[0] == '\0')
			return &m->v[i];
	return NULL;
}

int cg_controllers_parse(const char *text, struct cg_controllers *c)
{
	memset(c, 0, sizeof(*c));
	if (!text || strncmp(text, "#subsys_name", 12) != 0)
		return -EINVAL;
	for (const char *s = strchr(text, '\n'); s && *s;) {
		s++;
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char line[128];
		struct cg_controller e;
		int en;
		if (len == 0) {
			s = nl;
			continue;
		}
		memset(&e, 0, sizeof(e));
		if (len < sizeof(line)) {
			memcpy(line, s, len);
			line[len] = '\0';
		} else {
			line[0] = '\0';
		}
		if (c->n < CG_MAX_CTRLS &&
		    sscanf(line, "%31s %d %d %d", e.name, &e.hierarchy, &e.num_cgroups, &en) == 4 &&
		    e.hierarchy >= 0 && (en == 0 || en == 1)) {
			e.enabled = en == 1;
			c->v[c->n++] = e;
		} else {
			c->bad_lines++;
		}
		s = nl;
	}
	return c->n ? 0 : -EINVAL;
}

const struct cg_controller *cg_controllers_find(const struct cg_controllers *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}
