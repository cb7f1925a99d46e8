#define _GNU_SOURCE
#include "lib/parse.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	unsigned shift = 0;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		end++;
		break;
	case 'm':
	case 'M':
		shift = 20;
		end++;
		break;
	case 'g':
	case 'G':
		shift = 30;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*bytes = (uint64_t)v << shift;
	return *bytes ? 0 : -ERANGE;
}

int parse_cpus(const char *s, uint64_t *quota_us)
{
	uint64_t whole = 0, frac = 0, scale = 100000;
	const char *p = s;
	if (!s || !*s)
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > 1024)
			return -ERANGE;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++) {
			if (scale >= 10) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
		}
	}
	if (*p || p == s)
		return -EINVAL;
	uint64_t q = whole * 100000 + frac;
	if (q < 1000) /* the kernel's minimum quota is 1 ms */
		return -ERANGE;
	*quota_us = q;
	return 0;
}

int parse_count(const char *s, long min, long max, long *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_signal(const char *s, int *sig)
{
	long n;
	if (!s || !*s)
		return -EINVAL;
	if (isdigit((unsigned char)s[0])) {
		if (parse_count(s, 1, SIGRTMAX, &n) < 0)
			return -EINVAL;
		*sig = (int)n;
		return 0;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *a = sigabbrev_np(i);
		if (a && !strcasecmp(a, s)) {
			*sig = i;
			return 0;
		}
	}
	return -EINVAL;
}
