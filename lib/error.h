/*
 * diyc's one error convention (after crun's libcrun_error_t): a function that can
 * fail takes `struct dc_err *e` last, returns -1 (or NULL) and fills e with the
 * errno and a one-line message; the caller adds context or passes it up, and the
 * command at the top prints it once (dc_err_print).  Nothing below the command
 * prints an error itself.  Functions that cannot fail in a way worth a message
 * return -errno (documented beside them) or a bool; those are the only other forms.
 */
#ifndef DIYC_ERROR_H
#define DIYC_ERROR_H

struct dc_err {
	int errnum;    /* the errno behind it, 0 when none */
	char msg[600]; /* one line, no "diyc: " prefix */
};

/* Fill e: the message, then ": strerror(errnum)" when errnum is non-zero. Returns -1. */
int dc_fail(struct dc_err *e, int errnum, const char *f, ...) __attribute__((format(printf, 3, 4)));
/* Put "CONTEXT: " in front of e's message. Returns -1. */
int dc_context(struct dc_err *e, const char *f, ...) __attribute__((format(printf, 2, 3)));
/* Print e as one "diyc: ..." line on stderr. */
void dc_err_print(const struct dc_err *e);

#endif
