/* `diyc image import` (runtime/img_import.c, img_layer.c; libarchive) on arbitrary tarballs, into a
 * scratch data root; whatever it accepts is removed again. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "runtime/diyc.h"
#include "lib/util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <unistd.h>

int cmd_image(int argc, char **argv);

static char root[] = "/tmp/diyc-fuzz-tar.XXXXXX", tarball[PATH_MAX];

static void cleanup(void)
{
	remove_tree(root);
	unlink(tarball);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!G.root || strcmp(G.root, root)) {
		if (!mkdtemp(root))
			abort();
		atexit(cleanup);
		G.root = root;
		snprintf(tarball, sizeof(tarball), "%s.tar", root);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1); /* the imported name (stderr stays: libFuzzer reports there) */
		close(null);
	}
	int fd = open(tarball, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	char *argv[] = {"image", "import", "fz", tarball, NULL};
	cmd_image(4, argv);
	remove_tree(root);
	mkdir(root, 0700);
	unlink(tarball);
	return 0;
}
