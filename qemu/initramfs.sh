#!/usr/bin/env bash
# Pack the initramfs of a make ci-qemu guest.
#   qemu/initramfs.sh OUT.cpio.gz                      the guest's files
#   qemu/initramfs.sh --modules OUT.cpio.gz MODROOT KVER   a Debian kernel's modules
# The first holds busybox-static (the guest's userland and the test image), bash and
# a trimmed python3 for the test scripts, diyc's binaries with the shared libraries
# ldd names (plus libkmod, which diyc opens with dlopen), the tests, qemu/*.profile,
# and qemu/guest-init as /init.  The second holds the modules diyc and the tests may
# load from a Debian kernel unpacked by qemu/debian-kernel.sh, with their
# dependencies, indexed by depmod for libkmod: ci/qemu-matrix.sh appends it to the
# first (the kernel unpacks concatenated archives in turn), so the guest's files are
# packed once for every kernel.  Packed as non-root with cpio -R 0:0, so no file
# needs to be owned by root on the host.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: qemu/initramfs.sh OUT.cpio.gz | --modules OUT.cpio.gz MODROOT KVER"
mods_only=
[ "${1:-}" = --modules ] && { mods_only=1; shift; }
[ $# = "$([ -n "$mods_only" ] && echo 3 || echo 1)" ] || { echo "$usage" >&2; exit 2; }
out=$1 modroot=${2:-} kver=${3:-}
[ -z "$mods_only" ] || [ -d "$modroot/lib/modules/$kver" ] ||
	{ echo "initramfs: $modroot/lib/modules/$kver: no such kernel modules directory" >&2; exit 2; }
S=$(mktemp -d /tmp/diyc-initramfs.XXXXXX)
trap 'rm -rf "$S"' EXIT
pack() { # the staging directory, as OUT
	(cd "$S" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$out.tmp"
	mv "$out.tmp" "$out"
	echo "$out $(du -h "$out" | cut -f1)"
}
if [ -n "$mods_only" ]; then
	# overlay, veth, bridge and what networking needs; their dependencies from modules.dep
	mods="overlay veth bridge br_netfilter nf_tables nft_nat nft_masq nft_compat nft_chain_nat
		nf_nat nf_conntrack xt_conntrack xt_addrtype xt_MASQUERADE xt_comment xt_nat iptable_nat iptable_filter"
	dst=$S/lib/modules/$kver
	mkdir -p "$dst"
	for f in modules.order modules.builtin modules.builtin.modinfo; do
		[ -f "$modroot/lib/modules/$kver/$f" ] && cp "$modroot/lib/modules/$kver/$f" "$dst/"
	done
	for m in $mods; do
		modprobe -d "$modroot" -S "$kver" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" {print $2}'
	done | sort -u | while read -r ko; do
		rel=${ko#"$modroot"}
		mkdir -p "$S$(dirname "$rel")"
		cp "$ko" "$S$rel"
	done
	depmod -b "$S" "$kver"
	pack
	exit
fi
mkdir -p "$S"/{bin,sbin,usr/bin,usr/sbin,usr/lib,lib64,etc,proc,sys,dev,tmp,run,root,ci/bin,var/lib}
cp /bin/busybox "$S/bin/busybox"
cp qemu/guest-init "$S/init"
cc -O2 -static -o "$S/ci/bin/qemu-exit" qemu/qemu-exit.c

# put FILE...: each file at its own path (followed if a link)
put() {
	local f
	for f in "$@"; do
		[ -e "$S$f" ] && continue
		mkdir -p "$S$(dirname "$f")"
		cp -L "$f" "$S$f"
	done
}
# libs_of FILE...: the libraries ldd names for them.  ldd names a file's whole
# closure, so one ldd for all (an ldd a file, and again for each library, took 3.7 s
# of a 10 s pack for the 122 iptables extensions alone)
libs_of() { ldd "$@" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | sort -u; }
# copy FILE...: put them and their libraries
copy() {
	put "$@"
	put $(libs_of "$@")
}
copy /bin/bash /usr/bin/python3.11 /usr/lib/x86_64-linux-gnu/libkmod.so.2
# script(1): the hostile suite's TIOCSTI test needs a terminal
copy /usr/bin/script
# jq: the tests' JSON edits and filters (plain lookups go to the static
# tests/tools/jget: jq 1.6 takes 0.2 s to start under TCG, python3 0.15 s)
copy /usr/bin/jq
# the networking tests' host tools: iproute2 (netns) and iptables, both backends as
# Debian installs them (iptables-nft-* and iptables-legacy-* in /usr/sbin), the plain
# names pointing at nf_tables as Debian's default does; the probe picks what works
copy /usr/bin/ip /usr/bin/ss /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi
for t in ip ss; do ln -sf /usr/bin/$t "$S/ci/bin/$t"; done
# each network's DNS server (the tests also run one as the "outside" upstream)
copy /usr/sbin/dnsmasq
for b in nft legacy; do
	for t in iptables iptables-save iptables-restore; do
		ln -sf xtables-$b-multi "$S/usr/sbin/${t/iptables/iptables-$b}"
	done
done
for t in iptables iptables-save iptables-restore; do ln -sf /usr/sbin/xtables-nft-multi "$S/ci/bin/$t"; done
copy /usr/lib/x86_64-linux-gnu/xtables/*.so
ln -sf python3.11 "$S/usr/bin/python3"
ln -sf /bin/bash "$S/usr/bin/bash"
# python's standard library without what tests never import
rsync_like() { (cd /usr/lib/python3.11 && find . -type d \( -name test -o -name tests -o -name idlelib -o -name tkinter \
	-o -name turtledemo -o -name lib2to3 -o -name ensurepip -o -name pydoc_data -o -name __pycache__ \
	-o -name 'config-3.11*' -o -name distutils -o -name dist-packages -o -name site-packages -o -name unittest \
	-o -name asyncio -o -name xml -o -name sqlite3 -o -name curses \
	-o -name venv -o -name multiprocessing -o -name concurrent -o -name xmlrpc -o -name wsgiref -o -name ctypes \) -prune \
	-o -print | cpio -pdm --quiet "$S/usr/lib/python3.11"); }
rsync_like

# the project: binaries, tests, profiles, the image builder
bins=()
for b in diyc diyc-dynamic diyc-oci diyc-oci-dynamic diyc-probe nsexec tests/tools/nons tests/tools/hostile tests/tools/jget; do
	[[ $b != *-dynamic ]] || [ -e "$b" ] || continue # none in a LINK=shared build
	mkdir -p "$S/ci/$(dirname $b)"
	cp "$b" "$S/ci/$b"
	bins+=("$b")
done
put $(libs_of "${bins[@]}")
mkdir -p "$S/ci/runtime" "$S/ci/qemu"
cp -r tests/integration tests/qemu tests/fixtures tests/lib.sh tests/leftovers.sh "$S/ci/tests/"
cp tests/tools/console-recv.py "$S/ci/tests/tools/"
cp runtime/mkimage-busybox.sh "$S/ci/runtime/"
cp -r runtime/completion "$S/ci/runtime/" # (everyday.sh tests it)
cp qemu/*.profile "$S/ci/qemu/"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$S/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$S/etc/group"

pack
