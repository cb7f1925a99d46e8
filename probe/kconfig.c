#define _GNU_SOURCE
#include "probe/kconfig.h"
#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const char no[] = "n";

/* Names and values are cut out of the owned text in place (NUL-terminated there). */
static int add(struct kconfig *kc, char *name, size_t nlen, char *val, size_t vlen)
{
	struct kconfig_opt *nv;
	if (kc->n % 1024 == 0) {
		nv = realloc(kc->v, (kc->n + 1024) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		kc->v = nv;
	}
	name[nlen] = '\0';
	if (val != no)
		val[vlen] = '\0';
	kc->v[kc->n].name = name;
	kc->v[kc->n].value = val;
	kc->n++;
	return 0;
}

static int valid_name(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

static int parse_line(struct kconfig *kc, char *l, size_t len)
{
	static const char unset[] = " is not set";
	const size_t ul = sizeof(unset) - 1;

	if (len > 9 && !strncmp(l, "# Linux/", 8)) {
		/* "# Linux/x86 6.1.55 Kernel Configuration" */
		const char *sp = memchr(l + 8, ' ', len - 8);
		if (sp) {
			const char *e = memchr(sp + 1, ' ', len - (size_t)(sp + 1 - l));
			size_t vl = e ? (size_t)(e - sp - 1) : 0;
			if (vl && vl < sizeof(kc->header_version)) {
				memcpy(kc->header_version, sp + 1, vl);
				kc->header_version[vl] = '\0';
			}
		}
		return 0;
	}
	if (len > 9 + ul && !strncmp(l, "# CONFIG_", 9) && !strncmp(l + len - ul, unset, ul)) {
		if (!valid_name(l + 9, len - 9 - ul)) {
			kc->bad_lines++;
			return 0;
		}
		return add(kc, l + 9, len - 9 - ul, (char *)no, 1);
	}
	if (len == 0 || l[0] == '#')
		return 0;
	if (len > 7 && !strncmp(l, "CONFIG_", 7)) {
		char *eq = memchr(l, '=', len);
		if (eq && valid_name(l + 7, (size_t)(eq - l - 7)) && eq + 1 < l + len)
			return add(kc, l + 7, (size_t)(eq - l - 7), eq + 1,
				   (size_t)(l + len - eq - 1));
	}
	kc->bad_lines++;
	return 0;
}

static int cmp_opt(const void *a, const void *b)
{
	return strcmp(((const struct kconfig_opt *)a)->name, ((const struct kconfig_opt *)b)->name);
}

int kconfig_parse_owned(char *text, struct kconfig *kc)
{
	memset(kc, 0, sizeof(*kc));
	kc->text = text;
	for (char *s = text; s && *s;) {
		char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		if (len && s[len - 1] == '\r')
			len--;
		if (parse_line(kc, s, len) < 0) {
			kconfig_free(kc);
			return -ENOMEM;
		}
		s = nl ? nl + 1 : NULL;
	}
	if (kc->n == 0) {
		kconfig_free(kc);
		return -EINVAL;
	}
	qsort(kc->v, kc->n, sizeof(*kc->v), cmp_opt);
	return 0;
}

int kconfig_parse(const char *text, struct kconfig *kc)
{
	char *copy = strdup(text);
	if (!copy) {
		memset(kc, 0, sizeof(*kc));
		return -ENOMEM;
	}
	return kconfig_parse_owned(copy, kc);
}

int kconfig_load(const char *path, struct kconfig *kc)
{
	size_t cap = 1 << 18, len = 0;
	char *buf;
	gzFile gz;
	int r;

	memset(kc, 0, sizeof(*kc));
	gz = gzopen(path, "rb");
	if (!gz)
		return errno ? -errno : -ENOMEM;
	buf = malloc(cap);
	if (!buf) {
		gzclose(gz);
		return -ENOMEM;
	}
	for (;;) {
		if (cap - len < 4096) {
			if (cap >= (64u << 20)) {
				r = -EFBIG;
				goto out;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				r = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		int n = gzread(gz, buf + len, (unsigned)(cap - len - 1));
		if (n < 0) {
			r = -EIO; /* corrupt compressed data */
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		r = -EINVAL; /* binary garbage */
		goto out;
	}
	gzclose(gz);
	return kconfig_parse_owned(buf, kc);
out:
	free(buf);
	gzclose(gz);
	return r;
}

void kconfig_free(struct kconfig *kc)
{
	free(kc->v);
	free(kc->text);
	memset(kc, 0, sizeof(*kc));
}

const char *kconfig_get(const struct kconfig *kc, const char *name)
{
	struct kconfig_opt key = {.name = (char *)name};
	const struct kconfig_opt *o;
	if (!kc || !kc->n)
		return NULL;
	o = bsearch(&key, kc->v, kc->n, sizeof(*kc->v), cmp_opt);
	return o ? o->value : NULL;
}
