/* jget: read fields of a JSON file for the shell tests (tests/lib.sh).
 *
 *   jget [-p] [-j] FILE|- PATH...
 *   jget -s FILE|- PATH=JSON...
 *
 * Why not jq: jq 1.6 (Debian 12's) compiles its library of builtins at every start,
 * about 20 ms here and 0.2 s in a TCG guest, and the suites read a profile or a state
 * file more than a hundred times per guest.  This static program starts in a few ms
 * there.  It only looks fields up; anything else stays with jq or python3.
 *
 * PATH: keys separated by '.', with an optional leading '.'; a key made of digits
 * indexes an array.  Each PATH's value goes on its own line (-j: all on one line,
 * separated by a space): a string as it is, an integer in decimal, true/false/null,
 * an array of those joined by spaces (jq's join(" ")), anything else as compact JSON.
 * -p prints as python's print() would (True, False, None), and refuses what python
 * would print differently (an array, an object, a float): tests/lib.sh's jget() then
 * asks python3.
 * -s sets each PATH (its missing objects made on the way) to the JSON value after
 * the '=' and prints the whole document: the simulated profiles and OCI bundles of
 * the suites, one field or two changed.
 * Exit: 0; 1 a key is missing (or indexes a non-object); 2 usage, unreadable file or
 * invalid JSON; 3 (-p) python would print it differently. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int python;

/* PATH's value in *v (NULL is JSON's null); 0 when a key is missing */
static int lookup(struct json_object *v, const char *path, struct json_object **found)
{
	char buf[1024], *save = NULL, *k;
	if (snprintf(buf, sizeof buf, "%s", path[0] == '.' ? path + 1 : path) >= (int)sizeof buf)
		return 0;
	for (k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(v, json_type_object) && v) {
			if (!json_object_object_get_ex(v, k, &v))
				return 0;
		} else if (json_object_is_type(v, json_type_array) &&
			   k[strspn(k, "0123456789")] == '\0' &&
			   strtoul(k, NULL, 10) < json_object_array_length(v)) {
			v = json_object_array_get_idx(v, strtoul(k, NULL, 10));
		} else {
			return 0;
		}
	}
	*found = v;
	return 1;
}

/* a scalar as jq -r (or python's print) shows it; 0 when it is not one */
static int scalar(struct json_object *v, FILE *out)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		fputs(python ? "None" : "null", out);
		return 1;
	case json_type_boolean:
		fputs(json_object_get_boolean(v) ? (python ? "True" : "true")
						 : (python ? "False" : "false"),
		      out);
		return 1;
	case json_type_int:
		fprintf(out, "%lld", (long long)json_object_get_int64(v));
		return 1;
	case json_type_string:
		fputs(json_object_get_string(v), out);
		return 1;
	default:
		return 0;
	}
}

static int show(struct json_object *v, FILE *out)
{
	if (scalar(v, out))
		return 0;
	if (python)
		return 3;
	if (json_object_is_type(v, json_type_array)) {
		size_t i, n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);
			if (i)
				fputc(' ', out);
			if (!scalar(e, out))
				fputs(json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN),
				      out);
		}
		return 0;
	}
	fputs(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), out);
	return 0;
}

/* -s: PATH=JSON; 1 when PATH crosses something that is not an object, 2 bad JSON */
static int set(struct json_object *root, const char *arg)
{
	char buf[1024], *save = NULL, *k, *next, *eq;
	struct json_object *v = root, *val;
	if (snprintf(buf, sizeof buf, "%s", arg[0] == '.' ? arg + 1 : arg) >= (int)sizeof buf ||
	    !(eq = strchr(buf, '=')))
		return 2;
	*eq = '\0';
	if (!(val = json_tokener_parse(eq + 1)) && strcmp(eq + 1, "null"))
		return 2;
	for (k = strtok_r(buf, ".", &save); k; k = next) {
		if (!json_object_is_type(v, json_type_object) || !v) {
			json_object_put(val);
			return 1;
		}
		if (!(next = strtok_r(NULL, ".", &save))) {
			json_object_object_add(v, k, val);
			return 0;
		}
		struct json_object *sub;
		if (!json_object_object_get_ex(v, k, &sub)) {
			sub = json_object_new_object();
			json_object_object_add(v, k, sub);
		}
		v = sub;
	}
	json_object_put(val);
	return 2; /* an empty PATH */
}

int main(int argc, char **argv)
{
	int c, join = 0, setting = 0, i, rc;
	while ((c = getopt(argc, argv, "pjs")) != -1) {
		if (c == 'p')
			python = 1;
		else if (c == 'j')
			join = 1;
		else if (c == 's')
			setting = 1;
		else
			return 2;
	}
	if (argc - optind < 2) {
		fprintf(stderr,
			"usage: jget [-p] [-j] FILE|- PATH... | jget -s FILE|- PATH=JSON...\n");
		return 2;
	}
	const char *file = argv[optind];
	struct json_object *root =
	    strcmp(file, "-") ? json_object_from_file(file) : json_object_from_fd(0);
	if (!root) {
		fprintf(stderr, "jget: %s: %s\n", file, json_util_get_last_err());
		return 2;
	}
	if (setting) {
		for (i = optind + 1, rc = 0; i < argc && rc == 0; i++)
			if ((rc = set(root, argv[i])))
				fprintf(stderr, "jget: %s: cannot set %s\n", file, argv[i]);
		if (rc == 0)
			printf("%s\n",
			       json_object_to_json_string_ext(
				   root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
		return rc;
	}
	/* everything is looked up before anything is printed: a failure prints nothing */
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	rc = out ? 0 : 2;
	for (i = optind + 1; i < argc && rc == 0; i++) {
		struct json_object *v;
		if (!lookup(root, argv[i], &v)) {
			fprintf(stderr, "jget: %s: no %s\n", file, argv[i]);
			rc = 1;
			break;
		}
		if (i > optind + 1)
			fputc(join ? ' ' : '\n', out);
		rc = show(v, out);
	}
	if (out)
		fclose(out);
	if (rc == 0)
		printf("%s\n", text);
	free(text);
	json_object_put(root);
	return rc;
}
