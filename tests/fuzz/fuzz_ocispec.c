/* The OCI config.json parser (runtime/oci_spec.c): any bytes as a bundle's config. */
#include "fuzz.h"
#include "runtime/oci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void cleanup(void)
{
	char p[96];
	snprintf(p, sizeof(p), "%s/config.json", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/rootfs", dir);
	rmdir(p);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[96];
	struct oci_spec s;
	struct dc_err e;
	if (!dir[0]) { /* one bundle per process, with a rootfs for root.path */
		snprintf(dir, sizeof(dir), "/tmp/diyc-fuzz-oci.%d", (int)getpid());
		mkdir(dir, 0700);
		snprintf(path, sizeof(path), "%s/rootfs", dir);
		mkdir(path, 0700);
		atexit(cleanup);
	}
	snprintf(path, sizeof(path), "%s/config.json", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (oci_spec_load(dir, &s, &e) == 0)
		oci_cap_number(s.proc.args[0]);
	oci_spec_free(&s);
	return 0;
}
