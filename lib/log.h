/*
 * diyc's messages: one line each on stderr, "diyc: ...".  Every layer prints
 * through these three (a library never writes to stderr on its own), so the
 * prefix and the verbosity switch live in one place.  Named dc_* so that they
 * cannot be mistaken for err(3)/warn(3) of <err.h>, which exit or add errno.
 */
#ifndef DIYC_LOG_H
#define DIYC_LOG_H

/* -v count: dc_info prints only when it is non-zero. */
extern int dc_verbose;
/* The prefix of each line ("diyc", "diyc-oci"). */
extern const char *dc_prog;
/* Where diyc-oci's --log sends each message too (level "error", "warning", "info");
 * info then goes only there. */
extern void (*dc_log_sink)(const char *level, const char *msg);

void dc_error(const char *f, ...) __attribute__((format(printf, 1, 2)));
void dc_warn(const char *f, ...) __attribute__((format(printf, 1, 2)));
void dc_info(const char *f, ...) __attribute__((format(printf, 1, 2)));

#endif
