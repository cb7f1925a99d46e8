/* Replays files through a fuzz target without libFuzzer: `fuzz_X DIR|FILE...`.
 * Prints one TAP line per argument. */
#define _GNU_SOURCE
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees overreads */
	if (!copy)
		return -1;
	memcpy(copy, buf, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0;
	FILE *tap = fdopen(dup(1), "w"); /* a target may silence stdout (fuzz_tar) */
	if (!tap)
		return 1;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int count = 0, fail = 0;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;
			char p[4096];
			while (d && (de = readdir(d)))
				if (de->d_name[0] != '.') {
					snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
					fail += replay_file(p) < 0;
					count++;
				}
			if (d)
				closedir(d);
		} else {
			fail += replay_file(argv[i]) < 0;
			count++;
		}
		fprintf(tap, "%sok - %s: %d inputs replayed\n", fail ? "not " : "", argv[i], count);
		bad += fail;
	}
	fclose(tap);
	return bad ? 1 : 0;
}
