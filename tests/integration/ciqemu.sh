#!/usr/bin/env bash
# ci/qemu-matrix.sh's bad input (make ci-qemu KERNEL=... SUITES=... SMP=... STALL_S=...):
# one line on stderr, exit 2, before anything is built, booted or written; and
# qemu/initramfs.sh's usage.  No QEMU runs here.  TAP.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
T=$(mktemp -d /tmp/diyc-ciqemu.XXXXXX)
trap 'rm -rf "$T"' EXIT
listing() { find build/ci-qemu -maxdepth 1 2>/dev/null | sort; }
# bad DESC WANT-TEXT ENV... -- PROFILE...: refused with one line naming WANT-TEXT
bad() {
	local desc=$1 want=$2 before rc
	shift 2
	local -a envs=()
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	before=$(listing)
	env "${envs[@]}" ci/qemu-matrix.sh "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q -- "$want" "$T/err" && [ ! -s "$T/out" ] &&
		[ "$(listing)" = "$before" ]; then
		ok "$desc: exit 2, one line, nothing made"
	else
		fail "$desc" "rc=$rc out=$(cat "$T/out") err=$(cat "$T/err")"
	fi
}
bad "an unknown profile" "no kernel profile 'nosuch'" -- nosuch
bad "a profile name with a path" "no kernel profile" -- ../etc/passwd
bad "SUITES naming no suite" "no suite 'nosuch'" SUITES=nosuch -- no-nftables
bad "SUITES with a path" "no suite '../x'" SUITES="net ../x" -- no-nftables
bad "SUITES with a kernel argument" "no suite 'net;init=/bin/sh'" "SUITES=net;init=/bin/sh" -- no-nftables
bad "SMP that is not a number" "SMP=two: not a number of vCPUs" SMP=two -- no-nftables
bad "SMP=0" "SMP=0: not a number of vCPUs" SMP=0 -- no-nftables
bad "STALL_S that is not a number" "STALL_S=soon: not a number of seconds" STALL_S=soon -- no-nftables
bad "STALL_S=0" "STALL_S=0: not a number of seconds" STALL_S=0 -- no-nftables
# qemu/initramfs.sh's usage (the matrix calls it): one line, exit 2, no archive, no
# staging directory left
packbad() {
	local desc=$1 want=$2 rc
	shift 2
	qemu/initramfs.sh "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q -- "$want" "$T/err" && [ ! -s "$T/out" ] &&
		[ ! -e "$T/i.cpio.gz" ] && [ -z "$(find /tmp -maxdepth 1 -name 'diyc-initramfs.*' -newer "$T/out" 2>/dev/null)" ]; then
		ok "initramfs.sh $desc: exit 2, one line, nothing made"
	else
		fail "initramfs.sh $desc" "rc=$rc out=$(cat "$T/out") err=$(cat "$T/err")"
	fi
}
packbad "without arguments" "usage:"
packbad "in its old form (OUT MODROOT KVER)" "usage:" "$T/i.cpio.gz" /nonexistent 6.1
packbad "--modules without a kernel's modules" "no such kernel modules directory" --modules "$T/i.cpio.gz" "$T" 6.1
done_testing
