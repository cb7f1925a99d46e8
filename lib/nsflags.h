/* CLONE_NEW* flags, including the ones older libc headers lack. */
#ifndef DIYC_NSFLAGS_H
#define DIYC_NSFLAGS_H

#include <sched.h>

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000 /* 4.6 */
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080 /* 5.6 */
#endif

#endif
