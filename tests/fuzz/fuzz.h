/*
 * Fuzz targets: each file defines LLVMFuzzerTestOneInput.  `make fuzz` links
 * them with libFuzzer (clang); `make check` links them with replay.c, which
 * feeds every file of tests/fuzz/corpus/TARGET (seeds and the inputs that once
 * crashed) through the same function under ASan+UBSan.
 */
#ifndef DIYC_FUZZ_H
#define DIYC_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the input as a NUL-terminated string (malloc'ed) */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}
#endif
