#!/usr/bin/env bash
# valgrind (memcheck) on the CLI paths that do not start a container: help texts,
# bad input, listings, the probe. Any memory error or definite leak fails (TAP).
# Skipped for the ASan build (the two do not mix) and where valgrind is missing.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
DIYC=${DIYC:-./diyc}
PROBE=${PROBE:-./diyc-probe}
# memcheck cannot put its malloc into a static program (it reports glibc's own start
# as errors): the static diyc's twin is the same code linked dynamically (lib/twin.h)
[ -x "$(dirname "$DIYC")/diyc-dynamic" ] && DIYC=$(dirname "$DIYC")/diyc-dynamic
if ! command -v valgrind >/dev/null || nm -u "$DIYC" 2>/dev/null | grep -q __asan_init; then
	skip "valgrind" "no valgrind here, or an ASan build"
	done_testing
	exit
fi
T=$(mktemp -d /tmp/diyc-vg.XXXXXX)
trap 'rm -rf "$T"' EXIT
export DIYC_ROOT=$T/root
mkdir -p "$DIYC_ROOT"
vg() { # vg DESC WANT-RC CMD...
	local desc=$1 want=$2; shift 2
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--suppressions=tests/valgrind.supp \
		--log-file="$T/vg.log" "$@" >/dev/null 2>"$T/err"
	local r=$?
	# memcheck's findings are the ==PID== lines; --PID-- lines are valgrind's own notes
	# (an unhandled syscall answered ENOSYS)
	if [ "$r" = "$want" ] && ! grep -q '^==' "$T/vg.log"; then ok "valgrind: $desc"; else fail "valgrind: $desc" "rc=$r (want $want) $(grep '^==' "$T/vg.log" | head -20) $(head -3 "$T/err")"; fi
}
vg "diyc --help" 0 "$DIYC" --help
vg "diyc --version" 0 "$DIYC" --version
vg "diyc run --help" 0 "$DIYC" run --help
vg "diyc ps" 0 "$DIYC" ps
vg "diyc images" 0 "$DIYC" images
vg "diyc gc (nothing to do)" 0 "$DIYC" gc
vg "diyc net status (not set up: 1)" 1 "$DIYC" net status
vg "diyc network ls (none)" 0 "$DIYC" network ls
vg "diyc network --help" 0 "$DIYC" network --help
vg "diyc ps -a --format json" 0 "$DIYC" ps -a --format json
vg "diyc volume create" 0 "$DIYC" volume create vgv
vg "diyc volume ls" 0 "$DIYC" volume ls
vg "diyc volume inspect" 0 "$DIYC" volume inspect vgv
vg "diyc volume rm" 0 "$DIYC" volume rm vgv
vg "diyc stats --no-stream (none running)" 0 "$DIYC" stats --no-stream
for args in "run" "run -m abc c1 busybox" "run --cpus x c1 busybox" "run bad/name busybox" \
	"run c1 nosuchimage" "run -p 99999:1 c1 busybox" "run --net bogus c1 busybox" "kill c1" \
	"stop -t x c1" "exec c1 true" "rm c1" "logs c1" "bogus" "--root relative ps" \
	"image import bad/name x.tar" "net setup --subnet 10.0.0.0/33" "network create bad.name" \
	"network inspect nosuch" "network rm bridge" "network create x --subnet 1.2.3.4" "port c1" \
	"run -p 1-200:1001-1200 c1 busybox" "run -p 127.0.0.1:80:80/sctp c1 busybox" "run --dns x c1 busybox" \
	"run --add-host a:b c1 busybox" "run --network-alias a! c1 busybox" \
	"run -v /nonexistent:/x c1 busybox" "run -v /tmp:/x:z c1 busybox" "run --mount type=x c1 busybox" \
	"run --tmpfs /x:size=q c1 busybox" "run --cap-add NOPE c1 busybox" "run --ulimit nofile=x c1 busybox" \
	"run --env-file /nonexistent c1 busybox" "run --restart x c1 busybox" "volume rm nosuch" \
	"volume create .x" "inspect nosuch" "wait nosuch" "top nosuch" "cp a b" "logs --tail x c1" "ps -x"; do
	vg "diyc $args (bad input)" 125 "$DIYC" $args
done
# the image paths: a root filesystem tar imported (libarchive, libcrypto), listed,
# inspected, saved as an OCI layout, imported back from it, removed
mkdir -p "$T/rfs/bin" && echo hi >"$T/rfs/bin/x" && tar -C "$T/rfs" -cf "$T/rfs.tar" .
vg "diyc image import (a root filesystem tar)" 0 "$DIYC" image import vi "$T/rfs.tar"
vg "diyc image ls" 0 "$DIYC" image ls
vg "diyc image inspect" 0 "$DIYC" image inspect vi
vg "diyc image save" 0 "$DIYC" image save vi "$T/lay"
vg "diyc image import (an OCI layout)" 0 "$DIYC" image import vi2 "$T/lay"
vg "diyc image import (refused: exists)" 125 "$DIYC" image import vi2 "$T/lay"
vg "diyc image pull (bad reference)" 125 "$DIYC" image pull 'bad ref!'
vg "diyc image rm" 0 "$DIYC" image rm vi
vg "diyc image rm (the last user of the layer)" 0 "$DIYC" image rm vi2
vg "diyc profile --profile (a fixture)" 0 "$DIYC" profile --profile tests/fuzz/corpus/profile/live.json
vg "diyc-probe --help" 0 "$PROBE" --help
vg "diyc-probe --sysroot fixture (files only)" 0 "$PROBE" -q --sysroot tests/fixtures/hybrid -o "$T/p.json"
# live: every test measured (and the answers kept), then this boot's answers reused.
# valgrind 3.19 answers fsopen and seccomp with ENOSYS, so these answers differ from
# the native ones; they are kept apart (the fingerprint sees memcheck as /proc/self/exe)
export DIYC_PROBE_ANSWERS=$T/answers
vg "diyc-probe --fresh (live tests, answers kept)" 0 "$PROBE" -q -n --fresh
vg "diyc-probe (this boot's answers reused)" 0 "$PROBE" -q -n
done_testing
