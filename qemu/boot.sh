#!/usr/bin/env bash
# Boot one kernel + initramfs under QEMU and turn what the guest wrote into a verdict.
#   qemu/boot.sh KERNEL INITRD OUTDIR "KERNEL ARGS"
# The guest writes to a second UART backed by OUTDIR/results.tap (kernel messages go
# to OUTDIR/console.log), ending with "CI-QEMU-RESULT rc=N", and stops QEMU with
# isa-debug-exit.  Exit status: N from the sentinel; 124 when the guest hung past
# TIMEOUT (default 480 s); 125 when it died without a verdict (panic, boot failure)
# or wrote a truncated TAP stream.  The last console lines are shown on failure.
# ACCEL=tcg (default), kvm, or auto: KVM only if its guest says CI-QEMU-BEGIN within
# 15 s (on some hosts /dev/kvm exists but guests hang silently), else TCG.
# Two vCPUs (SMP=N for another number): a guest runs its suites in two lanes
# (tests/qemu/lanes.sh).  Measured on this 2-core machine: the no-nftables guest alone
# took 121.6 s with one vCPU and the suites one after the other, 100.3 s with one vCPU
# and two lanes, 72.3 s with two; the whole matrix (two guests at a time) 301 s
# against 313-344 s.  With the suites one after the other a second vCPU only idled.
set -u
vcpus=${SMP:-2}
[[ $vcpus =~ ^[1-9][0-9]?$ ]] || { echo "boot: SMP=${SMP}: not a number of vCPUs (1-99)" >&2; exit 2; }
# qemu/boot.sh --vcpus: that number only (ci/qemu-matrix.sh asks before it builds anything)
[ "${1:-}" = --vcpus ] && { echo "$vcpus"; exit 0; }
kernel=$1 initrd=$2 out=$3 append=$4
TIMEOUT=${TIMEOUT:-480}
mkdir -p "$out"
boot() { # boot ACCEL: run QEMU in the background, pid in $qpid
	: >"$out/results.tap"
	: >"$out/console.log"
	local a="-accel tcg,thread=multi"
	[ "$1" = kvm ] && a="-accel kvm -cpu host"
	timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -nodefaults -no-user-config -display none \
		-no-reboot -machine q35 $a -smp "$vcpus" -m 1024 \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 oops=panic loglevel=4 ci.timeout=$((TIMEOUT - 30)) $append" \
		-serial "file:$out/console.log" \
		-chardev "file,id=res,path=$out/results.tap" -device isa-serial,chardev=res \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 &
	qpid=$!
}
accel=${ACCEL:-tcg}
start=$(date +%s.%N)
if [ "$accel" = auto ]; then
	accel=tcg
	if [ -w /dev/kvm ]; then
		boot kvm
		for i in $(seq 150); do
			grep -q CI-QEMU-BEGIN "$out/results.tap" && { accel=kvm; break; }
			kill -0 $qpid 2>/dev/null || break
			sleep 0.1
		done
		if [ $accel = tcg ]; then
			kill $qpid 2>/dev/null
			wait $qpid 2>/dev/null
			echo "boot: KVM guest gave no sign of life in 15 s: using TCG" >&2
			start=$(date +%s.%N)
			boot tcg
		fi
	else
		boot tcg
	fi
else
	boot "$accel"
fi
wait $qpid
qrc=$?
secs=$(echo "$(date +%s.%N) $start" | awk '{printf "%.1f", $1 - $2}')
tr -d '\r' <"$out/results.tap" >"$out/results.clean" && mv "$out/results.clean" "$out/results.tap"
echo "accel=$accel seconds=$secs qemu_status=$qrc" >"$out/run.info"
verdict=$(sed -n 's/^CI-QEMU-RESULT rc=\([0-9]*\).*/\1/p' "$out/results.tap" | tail -1)
rc=
if [ -n "$verdict" ]; then
	rc=$verdict
	# the TAP stream must be whole: a plan, and as many test lines as it announces
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out/results.tap" | tail -1)
	tests=$(grep -cE '^(not )?ok ' "$out/results.tap")
	if [ -z "$plan" ] || [ "$plan" != "$tests" ]; then
		echo "boot: truncated TAP (plan ${plan:-none}, $tests test lines)" >&2
		[ "$rc" = 0 ] && rc=125
	fi
elif [ $qrc = 124 ] || [ $qrc = 137 ]; then
	echo "boot: the guest did not finish within $TIMEOUT s" >&2
	rc=124
else
	echo "boot: the guest died without a verdict (QEMU status $qrc)" >&2
	rc=125
fi
if [ "$rc" != 0 ]; then
	echo "--- last console lines ($out/console.log):" >&2
	tail -15 "$out/console.log" >&2
	echo "--- last result lines ($out/results.tap):" >&2
	tail -5 "$out/results.tap" >&2
fi
exit "$rc"
