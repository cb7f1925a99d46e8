/* Reading host files through --sysroot, and kernel version helpers. */
#define _GNU_SOURCE
#include "probe/probe.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

const char *sr(struct probe_ctx *c, const char *path)
{
	static char ring[8][4096];
	static unsigned next;
	char *b = ring[next++ % 8];
	snprintf(b, sizeof(ring[0]), "%s%s", c->sysroot ? c->sysroot : "", path);
	return b;
}

ssize_t sr_read(struct probe_ctx *c, const char *path, char *buf, size_t size)
{
	return read_file(sr(c, path), buf, size);
}

bool sr_exists(struct probe_ctx *c, const char *path) { return path_exists(sr(c, path)); }

bool kernel_before(struct probe_ctx *c, const char *xy)
{
	return c->have_version && version_cmp(xy, c->kmajor, c->kminor) > 0;
}

const char *missing_hint(struct probe_ctx *c, const char *what, const char *kopt_name,
			 const char *since, char *buf, size_t len)
{
	if (since && kernel_before(c, since))
		snprintf(buf, len,
			 "%s came with Linux %s and this kernel is %s: it needs a newer kernel "
			 "(no configuration option brings it)",
			 what, since, c->release);
	else if (kopt_name && since)
		snprintf(buf, len, "rebuild the kernel with CONFIG_%s=y (since %s)", kopt_name,
			 since);
	else if (kopt_name)
		snprintf(buf, len, "rebuild the kernel with CONFIG_%s=y", kopt_name);
	else
		snprintf(buf, len, "not supported by this kernel");
	return buf;
}
