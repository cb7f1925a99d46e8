/*
 * DIYC_FAULT=NAME: a kernel refusal that the development kernels never give,
 * injected where diyc makes the request, so that the fallback answering it runs on
 * every test kernel.  The faults are listed once, in fault.c, each with the kernel
 * behaviour it simulates; an unknown name is refused (dc_fault_check).
 */
#ifndef DIYC_FAULT_H
#define DIYC_FAULT_H

#include "lib/error.h"

/* Whether $DIYC_FAULT names a known fault (or is unset). */
int dc_fault_check(struct dc_err *e);
/* The errno the simulated kernel answers when $DIYC_FAULT is NAME, else 0. */
int dc_fault_errno(const char *name);

#endif
