/*
 * The image's own config (Entrypoint, Cmd, Env, WorkingDir, User) applied to a
 * `diyc run` as docker does: the command is Entrypoint + (the run's arguments, or
 * Cmd); --entrypoint replaces Entrypoint and drops Cmd; the image's Env comes
 * before -e (which wins); -w and -u win over WorkingDir and User.  A directory
 * image has no config: /bin/sh stays the default command.  `diyc stop` sends the
 * image's StopSignal (img_stop_signal), as docker stop does; `diyc exec` runs with the
 * image's Env (img_env) as the run's user (kept in the state).
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"
#include "runtime/image.h"
#include "lib/parse.h"
#include "lib/util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the strings of array member key of c */
static int strings(json_object *c, const char *key, char **out, int max)
{
	json_object *a;
	int n = 0;
	if (!c || !json_object_object_get_ex(c, key, &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a) && n < max; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(a, i));
		if (s)
			out[n++] = strdup(s);
	}
	return n;
}

static const char *string(json_object *c, const char *key)
{
	json_object *v;
	const char *s =
	    c && json_object_object_get_ex(c, key, &v) ? json_object_get_string(v) : NULL;
	return s && s[0] ? s : NULL;
}

/* what a run keeps until it exits (static: still reachable for the leak checker) */
static char **volatile kept_argv; /* volatile: a store never read is still made */
static char *kept_env[256];

static int command(struct run_opts *o, json_object *c, const char *entrypoint, struct dc_err *e)
{
	int nuser = 0;
	while (o->argv && o->argv[nuser])
		nuser++;
	char **argv = calloc((size_t)nuser + 130, sizeof(char *));
	if (!argv)
		return dc_fail(e, 0, "out of memory");
	int n = entrypoint ? (argv[0] = strdup(entrypoint), 1) : strings(c, "Entrypoint", argv, 64);
	if (nuser)
		for (int i = 0; i < nuser; i++)
			argv[n++] = o->argv[i];
	else if (!entrypoint)
		n += strings(c, "Cmd", argv + n, 64);
	if (n)
		o->argv = kept_argv = argv;
	else
		free(argv);
	return 0;
}

static int environment(struct run_opts *o, json_object *c, struct dc_err *e)
{
	char **img = kept_env;
	int n = strings(c, "Env", img, 256);
	if (!n)
		return 0;
	char **env = calloc((size_t)(n + o->nenv + 1), sizeof(char *));
	if (!env)
		return dc_fail(e, 0, "out of memory");
	int k = 0;
	for (int i = 0; i < n; i++)
		if (strchr(img[i], '=') && img[i][0] != '=')
			env[k++] = img[i];
	for (int i = 0; i < o->nenv; i++)
		env[k++] = o->env[i];
	free(o->env);
	o->env = env;
	o->nenv = k;
	return 0;
}

int img_config_apply(struct run_opts *o, const char *entrypoint, struct dc_err *e)
{
	static struct img_rec r; /* its strings live as long as the run */
	int k = img_load(o->image, &r, e);
	if (k < 0)
		return -1;
	json_object *c = NULL;
	if (k == 0 && r.config)
		json_object_object_get_ex(r.config, "config", &c);
	if (command(o, c, entrypoint, e) < 0 || environment(o, c, e) < 0)
		return -1;
	const char *wd = string(c, "WorkingDir"), *user = string(c, "User");
	if (!o->workdir && wd) {
		char *abs = NULL;
		o->workdir = wd[0] == '/' ? wd : (asprintf(&abs, "/%s", wd) < 0 ? "/" : abs);
	}
	if (!o->user && user) {
		if (!user_spec_valid(user))
			return dc_fail(e, 0, "the image's User '%.64s' is not a user[:group]",
				       user);
		o->user = user;
	}
	return 0;
}

int img_stop_signal(const char *image)
{
	struct img_rec r;
	struct dc_err e;
	json_object *c = NULL;
	int sig = SIGTERM;
	if (img_load(image, &r, &e) != 0)
		return SIGTERM;
	if (r.config)
		json_object_object_get_ex(r.config, "config", &c);
	const char *s = string(c, "StopSignal");
	if (s && parse_signal(s, &sig) < 0)
		sig = SIGTERM;
	img_free(&r);
	return sig;
}

int img_env(const char *image, char **out, int max)
{
	struct img_rec r;
	struct dc_err e;
	json_object *c = NULL;
	if (img_load(image, &r, &e) != 0)
		return 0;
	if (r.config)
		json_object_object_get_ex(r.config, "config", &c);
	int n = strings(c, "Env", out, max), k = 0;
	for (int i = 0; i < n; i++)
		if (strchr(out[i], '=') && out[i][0] != '=')
			out[k++] = out[i];
		else
			free(out[i]);
	img_free(&r);
	return k;
}
