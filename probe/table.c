/*
 * The human view of a profile: one line per check (name, verdict, evidence),
 * a hint under every gap, facts as "key  value".  Colour only when asked
 * (a terminal and NO_COLOR unset, decided by the caller).
 */
#define _GNU_SOURCE
#include "probe/probe.h"
#include "lib/util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static bool colour;

static const char *paint(const char *status)
{
	if (!colour)
		return "";
	if (!strcmp(status, "yes"))
		return "\033[32m";
	if (!strcmp(status, "no"))
		return "\033[31m";
	if (!strcmp(status, "partial"))
		return "\033[33m";
	return "\033[35m";
}

static const char *reset(void) { return colour ? "\033[0m" : ""; }

static const char *str(json_object *o, const char *k)
{
	json_object *v;
	if (!json_object_object_get_ex(o, k, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

static void scalar(const char *name, json_object *v)
{
	printf("  %-28s ", name);
	if (!v) {
		puts("-");
	} else if (json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		if (!n)
			fputs("none", stdout);
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(v, i);
			const char *f =
			    json_object_is_type(e, json_type_object) ? str(e, "feature") : NULL;
			printf("%s%s", i ? " " : "", f ? f : json_object_get_string(e));
		}
		putchar('\n');
	} else {
		puts(json_object_get_string(v));
	}
}

static void check(const char *name, json_object *o)
{
	const char *st = str(o, "status"), *ev = str(o, "evidence"), *hint = str(o, "hint");
	printf("  %-28s %s%-8s%s %s\n", name, paint(st), st, reset(), ev ? ev : "");
	if (hint && strcmp(st, "yes"))
		printf("  %-28s %-8s -> %s\n", "", "", hint);
}

static void walk(const char *prefix, json_object *o)
{
	json_object_object_foreach(o, k, v)
	{
		char name[128];
		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", k);
		if (v && json_object_is_type(v, json_type_object)) {
			if (json_object_object_get_ex(v, "status", NULL))
				check(name, v);
			else
				walk(name, v);
		} else {
			scalar(name, v);
		}
	}
}

void print_table(const struct dc_profile *p, bool use_colour)
{
	colour = use_colour;
	json_object_object_foreach(p->root, k, v)
	{
		if (!v || !json_object_is_type(v, json_type_object)) {
			if (!strcmp(k, "generator"))
				printf("%s\n", json_object_get_string(v));
			continue;
		}
		json_object *ans = !strcmp(k, "probe") ? dc_profile_find(p, "probe.answers") : NULL;
		if (ans && str(ans, "measured_at")) {
			printf("live tests: %s, the answers of this boot measured at %s "
			       "(diyc-probe --fresh measures them again)\n",
			       str(ans, "state"), str(ans, "measured_at"));
		}
		char up[64];
		size_t i = 0;
		for (; k[i] && i + 1 < sizeof(up); i++)
			up[i] = (char)toupper((unsigned char)k[i]);
		up[i] = '\0';
		printf("\n%s%s%s\n", colour ? "\033[1m" : "", up, reset());
		if (!strcmp(k, "summary")) {
			json_object *d;
			walk("", v);
			if (json_object_object_get_ex(v, "degraded", &d))
				for (size_t j = 0; j < json_object_array_length(d); j++)
					printf("  degraded: %s\n",
					       str(json_object_array_get_idx(d, j), "effect"));
			continue;
		}
		walk("", v);
	}
}
