/*
 * diyc run's storage (-v, --mount, --tmpfs, --read-only: mounts.c, mounttree.c),
 * named volumes (volume.c, cmd_volume.c) and the tree copy they share with `diyc cp`
 * (copytree.c).
 */
#ifndef DIYC_STORAGE_H
#define DIYC_STORAGE_H

#include "runtime/diyc.h"

enum run_mount_kind { RM_BIND, RM_VOLUME, RM_TMPFS };
struct run_mount {
	enum run_mount_kind kind;
	char src[PATH_MAX];  /* bind: an absolute host path; volume: its name; tmpfs: "" */
	char dst[PATH_MAX];  /* absolute in the container, normalised ("/a/b") */
	unsigned long flags; /* MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC */
	char data[96];	     /* tmpfs: size=, mode=, uid=, gid=, nr_inodes= */
	bool nocopy;	     /* a volume: no copy of the image's files into it when empty */
};
#define DC_MOUNTS_MAX 32

/* ---- storage (mounts.c, volume.c) ---- */
/* Parse -v SRC:DST[:OPTS], --mount KEY=VAL,..., --tmpfs DST[:OPTS] into m: 0, or -1 and
 * one line in e. */
int mount_parse_volume(const char *arg, struct run_mount *m, struct dc_err *e);
int mount_parse_mount(const char *arg, struct run_mount *m, struct dc_err *e);
int mount_parse_tmpfs(const char *arg, struct run_mount *m, struct dc_err *e);
/* After parsing: no two mounts on one path, bind sources exist; sorted parents first. */
int mounts_check(struct run_opts *o, struct dc_err *e);
/* (container process, before pivot_root) o's mounts in the new root; with --read-only
 * the tmpfs on /tmp and /run. */
int mounts_apply(const struct launch *l, int rootfd, struct dc_err *e);
/* (container process) add flags (MS_RDONLY, MS_NOSUID, ...) to the mount at fd and
 * every mount below it (mounttree.c). 0 or -1. */
int mount_tree_flags(int fd, unsigned long add, struct dc_err *e);
/* (container process, after pivot_root) --read-only: "/" remounted read-only. */
int mounts_root_readonly(const struct launch *l, struct dc_err *e);
/* A volume's name: [A-Za-z0-9][A-Za-z0-9_.-]{0,63}; 0 or -1 with one line in e. */
int volume_name_check(const char *name, struct dc_err *e);
/* DATA_ROOT/volumes/NAME/_data. 0 or -ENAMETOOLONG. */
int volume_data_dir(const char *name, char *out, size_t len);
/* Step "volumes": the named volumes of o made when missing (their names appended to
 * created, "a,b"), under the volumes' lock. 0 or -1. */
int volumes_prepare(const struct run_opts *o, char *created, size_t len, struct dc_err *e);
/* Remove the volumes of a comma list that no container but self uses (the undo of a
 * failed start). */
void volumes_remove_unused(const char *names, const char *self);
/* The store (volume.c) for `diyc volume` (cmd_volume.c): volumes/ made and its lock
 * held (the fd, or -1); whether NAME exists; make it (lock held: 1 made, 0 existed,
 * -1); the containers using it but except ("a, b" in out, the count); remove it when
 * unused (lock held). */
int volume_lock(struct dc_err *e);
bool volume_exists(const char *name);
int volume_make(const char *name, struct dc_err *e);
int volume_users(const char *name, const char *except, char *out, size_t len);
int volume_remove(const char *name, const char *except, struct dc_err *e);

/* ---- copytree.c: a tree copied between directory fds, never following a link ---- */
struct copy_opts {
	bool keep_owner; /* copy uid/gid (a volume's copy-up); else the copier's own */
	bool drop_setid; /* no setuid/setgid bits (out of a container) */
	int warned;	 /* special files skipped: warned once */
};
/* sname in sdir copied as dname in ddir (a directory: merged into an existing one). */
int copy_tree(struct copy_opts *c, int sdir, const char *sname, int ddir, const char *dname,
	      struct dc_err *e);

#endif
