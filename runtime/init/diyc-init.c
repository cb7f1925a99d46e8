/*
 * diyc-init: the last program diyc runs inside a container, a few hundred
 * bytes of freestanding code with no library.  The container process (and
 * `diyc exec`'s child) executes it from a sealed memfd instead of executing
 * the command directly, so at the moment the command's execve() resolves
 * paths, /proc/self/exe is this sealed copy and not the host's diyc binary
 * (runc's CVE-2019-5736: an image whose command is `#!/proc/self/exe` makes
 * the kernel run the current executable again inside the container, with the
 * image's libraries, and code there can write to it).  Executed again that
 * way, this program only exits: it loads no library and parses nothing but
 * its own arguments.
 *
 * argv: diyc-init ERRFD PATH ARG0 [ARG...]; the environment passes through.
 * On success PATH replaces us and ERRFD (marked close-on-exec first) closes:
 * the supervisor reads end-of-file.  On failure the errno goes to ERRFD as
 * 4 bytes and we exit 127 (not found) or 126.
 */
#include <asm/unistd.h>
#include <linux/fcntl.h>

#define ENOENT 2
#define FD_CLOEXEC 1

#if defined(__x86_64__)
static long sys3(long n, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}
__asm__(".text\n.global _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n"
	"\tcall entry\n\thlt\n");
#elif defined(__aarch64__)
static long sys3(long n, long a, long b, long c)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
}
__asm__(".text\n.global _start\n_start:\n\tmov x0, sp\n\tbl entry\n\tbrk #0\n");
#else
#error "diyc-init: add this architecture's system call convention"
#endif

void entry(long *sp) __attribute__((used, noreturn));
void entry(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	long fd = -1;
	if (argc >= 4 && argv[1][0]) {
		fd = 0;
		for (const char *p = argv[1]; *p && fd >= 0; p++)
			fd = *p >= '0' && *p <= '9' && fd < 100000 ? fd * 10 + (*p - '0') : -1;
	}
	if (fd < 0) /* not started by diyc (e.g. as `#!/proc/self/exe`): do nothing */
		sys3(__NR_exit_group, 125, 0, 0);
	sys3(__NR_fcntl, fd, F_SETFD, FD_CLOEXEC);
	int e = (int)-sys3(__NR_execve, (long)argv[2], (long)(argv + 3), (long)envp);
	sys3(__NR_write, fd, (long)&e, sizeof(e));
	sys3(__NR_exit_group, e == ENOENT ? 127 : 126, 0, 0);
	for (;;) {
	}
}
