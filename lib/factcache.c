/*
 * The profile's facts, cached beside it: PATH.facts (pfacts.h).
 *
 * Every `diyc run` used to parse the 20 KB JSON profile with json-c to fill one
 * struct dc_facts: about half of the supervisor's instructions (callgrind) and its
 * largest heap.  The struct is now also written, as it is in memory, next to the
 * profile the first time it is read, and read back with one open and one read
 * while the profile has not changed.
 *
 * Why this is safe to trust: the cache says nothing the profile does not; it is
 * used only when
 *   - its header names this build (version, struct size) — another diyc reads JSON;
 *   - the profile at PATH still has the device, inode, size, owner, mtime and ctime
 *     recorded when it was parsed (the probe replaces the file by rename, so a new
 *     profile is a new inode; an edit changes mtime/ctime; a profile replaced while
 *     it was being parsed is never cached: the identity is taken before and checked
 *     again before writing);
 *   - the cache file is a regular file (O_NOFOLLOW) owned by the profile's owner,
 *     so whoever could plant a cache could have written the profile itself.
 * Whether the profile is stale (another boot or kernel) is still decided by the
 * caller from the facts, as for a parsed profile.
 */
#define _GNU_SOURCE
#include "lib/pfacts.h"
#include "lib/util.h"
#include "lib/version.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cache_file {
	char magic[8]; /* "DIYCFCT\0" */
	struct dc_facts_key key;
	struct dc_facts facts;
};

/* raised whenever dc_facts_read maps the JSON to the struct differently */
#define CACHE_LAYOUT 1

static void build_id(char *out, size_t len)
{
	snprintf(out, len, "diyc %s facts %d/%zu", DIYC_VERSION, CACHE_LAYOUT,
		 sizeof(struct dc_facts));
}

static void key_of(const struct stat *st, struct dc_facts_key *k)
{
	memset(k, 0, sizeof(*k));
	k->dev = st->st_dev;
	k->ino = st->st_ino;
	k->size = (unsigned long long)st->st_size;
	k->uid = st->st_uid;
	k->mtime_s = st->st_mtim.tv_sec;
	k->mtime_ns = st->st_mtim.tv_nsec;
	k->ctime_s = st->st_ctim.tv_sec;
	k->ctime_ns = st->st_ctim.tv_nsec;
	build_id(k->build, sizeof(k->build));
}

int dc_facts_cache_key(const char *path, struct dc_facts_key *k)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	key_of(&st, k);
	return 0;
}

static int cache_path(const char *path, char *out, size_t len)
{
	return fmt(out, len, "%s.facts", path);
}

int dc_facts_cache_load(const char *path, struct dc_facts *f)
{
	static struct cache_file c; /* 6 KB: not on the stack of a cloned child */
	struct dc_facts_key now;
	char cp[4096];
	struct stat st;
	if (dc_facts_cache_key(path, &now) < 0 || cache_path(path, cp, sizeof(cp)) < 0)
		return -1;
	int fd = open(cp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == now.uid &&
	    st.st_size == (off_t)sizeof(c))
		n = read(fd, &c, sizeof(c));
	close(fd);
	if (n != (ssize_t)sizeof(c) || memcmp(c.magic, "DIYCFCT", 8) ||
	    memcmp(&c.key, &now, sizeof(now)))
		return -1;
	*f = c.facts;
	return 0;
}

void dc_facts_cache_save(const char *path, const struct dc_facts_key *k, const struct dc_facts *f)
{
	static struct cache_file c;
	struct dc_facts_key now;
	char cp[4096], tmp[4200];
	if (dc_facts_cache_key(path, &now) < 0 || memcmp(&now, k, sizeof(now)) ||
	    cache_path(path, cp, sizeof(cp)) < 0 ||
	    fmt(tmp, sizeof(tmp), "%s.tmp.%d", cp, (int)getpid()) < 0)
		return; /* replaced while it was read: the next reader parses it again */
	memset(&c, 0, sizeof(c));
	memcpy(c.magic, "DIYCFCT", 8);
	c.key = *k;
	c.facts = *f;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return;
	bool ok = write(fd, &c, sizeof(c)) == (ssize_t)sizeof(c);
	if (close(fd) < 0 || !ok || rename(tmp, cp) < 0)
		unlink(tmp);
}
