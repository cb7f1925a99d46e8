/*
 * The static programs and their dynamic twins.  `diyc` and `diyc-oci` are linked
 * statically (no dynamic loader, no shared libc: docs/bench.md "Where diyc's
 * start-up time goes"), but libkmod, libarchive, libcrypto and libcurl can only be
 * opened with dlopen() by a dynamically linked program: a static glibc would load
 * a second libc for them.  So the build also makes `diyc-dynamic` and
 * `diyc-oci-dynamic`, the same programs linked dynamically, and the static one
 * re-executes the whole command in its twin, same arguments and environment, at
 * the first point that needs one of those libraries.
 *
 * That point must come before the command has changed anything, since the twin
 * starts the command again: the diyc commands that may need them anywhere
 * (`image`, `net`, `network`) go over at dispatch (runtime/main.c), the others
 * only in the features step, before any state exists (the kernel probe, a module
 * to load).  In a dynamic build (the twins, diyc-probe, the ASan build and
 * LINK=shared) nothing here re-executes: dc_dlopen() is dlopen().
 */
#ifndef DIYC_TWIN_H
#define DIYC_TWIN_H

#include "lib/error.h"

/* main(): remember the arguments a re-execution passes on. */
void dc_twin_init(char **argv);
/* In a static program: run this command in the dynamic twin now (WHAT says what
 * needs it, for -v); returns only when that fails (-1, e set).  Elsewhere 0. */
int dc_twin_reexec(const char *what, struct dc_err *e);
/* From here on the command changes things: a later dc_twin_reexec() fails (a bug
 * to fix, never a second start of the command in the twin). */
void dc_twin_seal(void);
/* dlopen(SONAME, RTLD_NOW | RTLD_LOCAL); in a static program, dc_twin_reexec()
 * instead, and NULL with dc_dlerror() saying why when that fails. */
void *dc_dlopen(const char *soname);
const char *dc_dlerror(void);

#endif
