/*
 * Running an outside tool (iptables and its kin) without a shell: argv straight to
 * execve, a text on its stdin, its stderr kept; and finding the tool through $PATH
 * plus the sbin directories that a non-login root's PATH may lack.  Shared by the
 * probe (which tries each iptables backend) and netsetup (which uses the one that
 * works), so both run the same binary the same way.
 */
#ifndef DIYC_SPAWN_H
#define DIYC_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A started tool: wait for it with spawn_wait. */
struct spawned {
	pid_t pid;
	int errfd; /* read end of its stderr */
};

/*
 * Start argv[0] (an absolute path, or a name looked up in PATH) with IN on its stdin
 * (NULL: /dev/null) and stdout on /dev/null.  IN must fit a pipe (64 KiB).
 * 0, or -errno with nothing left running.
 */
int spawn_start(char *const argv[], const char *in, struct spawned *s);
/* Collect its stderr into stderr_text (NUL-terminated; the tool's words, data for the caller's
 * error) and reap it: its exit status, or -1 when it died by a signal or could not be reaped. */
int spawn_wait(struct spawned *s, char *stderr_text, size_t len);
/* Both at once: the exit status, or -1. */
int spawn_run(char *const argv[], const char *in, char *stderr_text, size_t len);
/* Run argv[0] for its output: stdout into OUT (NUL-terminated), stdin and stderr on
 * /dev/null.  The exit status, or -1 (not run, killed, or more than LEN - 1 bytes). */
int spawn_output(char *const argv[], char *out, size_t len);

/*
 * Fold a tool's stderr into one line that keeps what failed: lines joined with
 * spaces, "Try `x --help'" advice dropped, and when too long the end kept (where
 * iptables-restore says which line and why), "..." in front.  Writes line.
 */
void tool_error_line(const char *text, char *line, size_t len);

/* The executable NAME in $PATH, then /usr/local/sbin, /usr/sbin, /sbin, /usr/bin, /bin:
 * true with its path in out. */
bool find_tool(const char *name, char *out, size_t len);

#endif
