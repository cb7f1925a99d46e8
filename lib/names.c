#include "names.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int name_check(const char *kind, const char *name, size_t max, char *why, size_t len)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0) {
		snprintf(why, len, "%s name is empty", kind);
		return -EINVAL;
	}
	if (n > max) {
		snprintf(why, len, "%s name '%.40s%s' is longer than %zu characters", kind, name,
			 n > 40 ? "..." : "", max);
		return -EINVAL;
	}
	if (!alnum(name[0])) {
		snprintf(why, len, "%s name '%s' must start with a letter or digit", kind, name);
		return -EINVAL;
	}
	for (size_t i = 1; i < n; i++)
		if (!alnum(name[i]) && name[i] != '_' && name[i] != '.' && name[i] != '-') {
			snprintf(why, len,
				 "%s name '%s' may contain only letters, digits, '_', '.' and '-'",
				 kind, name);
			return -EINVAL;
		}
	return 0;
}
