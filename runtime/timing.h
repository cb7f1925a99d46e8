/*
 * DIYC_TIMING=1: marks along a start, printed as "diyc-timing NAME US" (timing.c).
 */
#ifndef DIYC_TIMING_H
#define DIYC_TIMING_H

/* Map the shared page and take the first mark, when DIYC_TIMING is set. */
void timing_init(void);
/* Note now under NAME (a string literal); PRE is put before it ("undo "). */
void timing_mark(const char *name);
void timing_mark2(const char *pre, const char *name);
/* Print the marks on stderr, each as the time since the one before. */
void timing_report(void);

#endif
