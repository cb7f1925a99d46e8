/* The capability profile reader (lib/profile.c) on arbitrary bytes. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "lib/profile.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz-profile", 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	struct dc_err e;
	struct dc_profile *p = dc_profile_load(path, &e);
	if (!p)
		return 0;
	static const char *const paths[] = {"namespaces.pid", "cgroups.tracking", "overlay.mount",
					    "hardening.seccomp", "a..b", "", "."};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		dc_profile_status(p, paths[i]);
		dc_profile_str(p, paths[i], "evidence");
	}
	dc_profile_str(p, "kernel", "release");
	dc_profile_json(p);
	dc_profile_free(p);
	return 0;
}
