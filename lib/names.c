#include "lib/names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int name_check(const char *kind, const char *name, size_t max, struct dc_err *e)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0) {
		dc_fail(e, 0, "%s name is empty", kind);
		return -EINVAL;
	}
	if (n > max) {
		dc_fail(e, 0, "%s name '%.40s%s' is longer than %zu characters", kind, name,
			n > 40 ? "..." : "", max);
		return -EINVAL;
	}
	if (!alnum(name[0])) {
		dc_fail(e, 0, "%s name '%s' must start with a letter or digit", kind, name);
		return -EINVAL;
	}
	for (size_t i = 1; i < n; i++)
		if (!alnum(name[i]) && name[i] != '_' && name[i] != '.' && name[i] != '-') {
			dc_fail(e, 0,
				"%s name '%s' may contain only letters, digits, '_', '.' and '-'",
				kind, name);
			return -EINVAL;
		}
	return 0;
}
