/*
 * `diyc volume create|ls|inspect|rm|prune`: named volumes, as docker's and podman's
 * commands of the same names.  The store (paths, the lock, who uses a volume) is
 * volume.c's; this file parses, takes the lock and prints.  Differences from docker,
 * said in diyc(1): `create` of an existing volume prints its name like docker (podman
 * refuses); `prune` removes every unused volume (podman's meaning; diyc has no
 * anonymous volumes) and asks first unless -f.
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/storage.h"
#include "lib/util.h"

#include <dirent.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "Usage: diyc volume create NAME\n"
    "       diyc volume ls [-q]\n"
    "       diyc volume inspect NAME...\n"
    "       diyc volume rm NAME...\n"
    "       diyc volume prune [-f]\n"
    "A volume is a directory kept under the data root (volumes/NAME/_data) that\n"
    "outlives containers: diyc run -v NAME:/path (made when missing) or --mount\n"
    "type=volume,src=NAME,dst=/path. rm refuses a volume a container uses, running or\n"
    "stopped; prune removes every volume no container uses (-f: without asking).\n";

static int fail(struct dc_err *e)
{
	dc_err_print(e);
	return EXIT_DIYC;
}

/* the volumes' names, sorted; the count (names freed by the caller) */
static int list(char ***names)
{
	char p[PATH_MAX];
	struct dirent **ents;
	*names = NULL;
	if (fmt(p, sizeof(p), "%s/volumes", G.root) < 0)
		return 0;
	int n = scandir(p, &ents, NULL, alphasort), k = 0;
	if (n < 0)
		return 0;
	*names = calloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++) {
		struct dc_err e;
		if (*names && volume_name_check(ents[i]->d_name, &e) == 0 &&
		    volume_exists(ents[i]->d_name))
			(*names)[k++] = strdup(ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return k;
}

static void free_list(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int create(int argc, char **argv)
{
	struct dc_err e = {0};
	if (argc != 3 || argv[2][0] == '-')
		return dc_error("usage: diyc volume create NAME"), EXIT_DIYC;
	if (volume_name_check(argv[2], &e) < 0)
		return fail(&e);
	int fd = volume_lock(&e), r = fd < 0 ? -1 : volume_make(argv[2], &e);
	if (fd >= 0)
		close(fd);
	if (r < 0)
		return fail(&e);
	printf("%s\n", argv[2]);
	return 0;
}

static void created_at(const char *name, char *out, size_t len)
{
	char p[PATH_MAX];
	out[0] = '\0';
	if (fmt(p, sizeof(p), "%s/volumes/%s/created", G.root, name) == 0)
		read_line(p, out, len);
}

static int ls(int argc, char **argv)
{
	bool quiet = argc == 3 && (!strcmp(argv[2], "-q") || !strcmp(argv[2], "--quiet"));
	if (argc > 3 || (argc == 3 && !quiet))
		return dc_error("usage: diyc volume ls [-q]"), EXIT_DIYC;
	char **names, users[512], created[32];
	int n = list(&names);
	if (!quiet)
		printf("%-32s %-21s %s\n", "NAME", "CREATED", "USED BY");
	for (int i = 0; i < n; i++) {
		if (quiet) {
			printf("%s\n", names[i]);
			continue;
		}
		volume_users(names[i], NULL, users, sizeof(users));
		created_at(names[i], created, sizeof(created));
		printf("%-32s %-21s %s\n", names[i], created, users[0] ? users : "-");
	}
	free_list(names, n);
	return 0;
}

static json_object *inspect_one(const char *name)
{
	char p[PATH_MAX], users[512], created[32], *save = NULL;
	json_object *o = json_object_new_object(), *by = json_object_new_array();
	volume_data_dir(name, p, sizeof(p));
	created_at(name, created, sizeof(created));
	volume_users(name, NULL, users, sizeof(users));
	for (char *u = strtok_r(users, ", ", &save); u; u = strtok_r(NULL, ", ", &save))
		json_object_array_add(by, json_object_new_string(u));
	json_object_object_add(o, "Name", json_object_new_string(name));
	json_object_object_add(o, "Driver", json_object_new_string("local"));
	json_object_object_add(o, "Mountpoint", json_object_new_string(p));
	json_object_object_add(o, "CreatedAt", json_object_new_string(created));
	json_object_object_add(o, "Scope", json_object_new_string("local"));
	json_object_object_add(o, "UsedBy", by);
	return o;
}

/* inspect and rm: each NAME; the first failure decides the exit status */
static int each(int argc, char **argv, bool rm)
{
	struct dc_err e = {0};
	int rc = 0, fd = -1;
	json_object *arr = json_object_new_array();
	if (argc < 3)
		rc = (dc_error("volume %s needs a NAME", argv[1]), EXIT_DIYC);
	if (!rc && rm && (fd = volume_lock(&e)) < 0)
		rc = fail(&e);
	for (int i = 2; i < argc && fd >= (rm ? 0 : -1); i++) {
		if (rm && volume_remove(argv[i], NULL, &e) == 0)
			printf("%s\n", argv[i]);
		else if (rm || volume_name_check(argv[i], &e) < 0)
			rc = fail(&e);
		else if (!volume_exists(argv[i]))
			rc = (dc_error("no volume '%s' (see diyc volume ls)", argv[i]), EXIT_DIYC);
		else
			json_object_array_add(arr, inspect_one(argv[i]));
	}
	if (fd >= 0)
		close(fd);
	if (!rm && argc >= 3)
		printf("%s\n", json_object_to_json_string_ext(
				   arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	return rc;
}

static bool confirmed(void)
{
	char ans[16];
	fputs("This removes every volume no container uses. Continue? [y/N] ", stderr);
	return fgets(ans, sizeof(ans), stdin) && (ans[0] == 'y' || ans[0] == 'Y');
}

static int prune(int argc, char **argv)
{
	struct dc_err e = {0};
	bool force = argc == 3 && (!strcmp(argv[2], "-f") || !strcmp(argv[2], "--force"));
	if (argc > 3 || (argc == 3 && !force))
		return dc_error("usage: diyc volume prune [-f]"), EXIT_DIYC;
	if (!force && !isatty(0))
		return dc_error("volume prune removes every volume no container uses: add -f "
				"(no terminal to ask on)"),
		       EXIT_DIYC;
	if (!force && !confirmed())
		return 0;
	int fd = volume_lock(&e);
	if (fd < 0)
		return fail(&e);
	char **names;
	int n = list(&names);
	for (int i = 0; i < n; i++)
		if (volume_remove(names[i], NULL, &e) == 0) /* (refused while in use) */
			printf("%s\n", names[i]);
	free_list(names, n);
	close(fd);
	return 0;
}

int cmd_volume(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_DIYC : 0;
	}
	if (!strcmp(argv[1], "create"))
		return create(argc, argv);
	if (!strcmp(argv[1], "ls") || !strcmp(argv[1], "list"))
		return ls(argc, argv);
	if (!strcmp(argv[1], "inspect") || !strcmp(argv[1], "rm"))
		return each(argc, argv, !strcmp(argv[1], "rm"));
	if (!strcmp(argv[1], "prune"))
		return prune(argc, argv);
	dc_error("unknown volume command '%s' (create, ls, inspect, rm, prune)", argv[1]);
	return EXIT_DIYC;
}
