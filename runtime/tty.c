/*
 * The container's terminal (diyc run -t): a pty of the host whose slave the
 * container gets, the caller's terminal in raw mode while it runs, window size
 * passed on.  No pty at all where the profile says devpts is not private (4.4).
 */
#define _GNU_SOURCE
#include "runtime/diyc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved_tio;
static bool tio_saved;

void tty_raw(void)
{
	struct termios t;
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
		return;
	tio_saved = true;
	t = saved_tio;
	cfmakeraw(&t);
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

void tty_restore(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	tio_saved = false;
}

void tty_resize(int master)
{
	struct winsize ws;
	if (master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/*
 * The container's terminal: a pty of the host, its slave handed to the container.
 * Through /dev/pts/ptmx first: the ptmx of the very instance where ptsname() names
 * the slave.  /dev/ptmx may belong to another instance: on 4.4 it is always the
 * initial one, even where /dev/pts was mounted with newinstance, and then the slave
 * is missing under /dev/pts, or is somebody else's pty of the same number.
 * /dev/ptmx only where /dev/pts/ptmx cannot be opened.
 */
static int open_pty_at(const char *ptmx, int *master, int *slave)
{
	*slave = -1;
	*master = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0)
		return -1;
	char *name = grantpt(*master) == 0 && unlockpt(*master) == 0 ? ptsname(*master) : NULL;
	*slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
	if (*slave >= 0)
		return 0;
	int e = errno;
	close(*master);
	*master = -1;
	errno = e;
	return -1;
}

int open_pty(int *master, int *slave)
{
	return open_pty_at("/dev/pts/ptmx", master, slave) == 0
		   ? 0
		   : open_pty_at("/dev/ptmx", master, slave);
}
