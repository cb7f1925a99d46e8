/*
 * qemu-exit N: end the QEMU guest with status N through the isa-debug-exit device
 * (iobase 0xf4).  QEMU then exits with (N << 1) | 1, which qemu/boot.sh maps back.
 * Works on kernels without ACPI, where poweroff only halts and QEMU keeps running.
 * Built static so the initramfs needs no library for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

int main(int argc, char **argv)
{
	unsigned code = argc > 1 ? (unsigned)atoi(argv[1]) & 0x7f : 0;
	if (ioperm(0xf4, 4, 1) < 0) {
		perror("qemu-exit: ioperm");
		return 1;
	}
	outl(code, 0xf4);
	return 1; /* not reached under QEMU */
}
