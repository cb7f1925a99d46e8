#!/usr/bin/env bash
# The test runner of `make check`: unit tests (cmocka, TAP), integration tests (TAP),
# the same again with the ASan+UBSan build, and a leftover check around all of it.
# Prints every TAP line and closes with "N passed, N failed"; exit 1 on any failure.
set -u
cd "$(dirname "$0")/.."
build=build/normal asan=
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--asan) asan=$2; shift 2 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
passed=0 failed=0 skipped=0
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# run NAME CMD...: run one TAP producer, echo its lines, count its results
run() {
	local name=$1; shift
	echo "# --- $name"
	local out rc
	out=$("$@" 2>&1); rc=$?
	printf '%s\n' "$out"
	local p f s
	p=$(printf '%s\n' "$out" | grep -cE '^ok ' ); s=$(printf '%s\n' "$out" | grep -cE '^ok .*# SKIP')
	f=$(printf '%s\n' "$out" | grep -cE '^not ok ')
	passed=$((passed + p - s)); skipped=$((skipped + s)); failed=$((failed + f))
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited $rc"
		failed=$((failed + 1))
	fi
	# a producer that printed no result at all checked nothing: that is a failure,
	# a skip must say so (ok ... # SKIP reason)
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name reported no test"
		failed=$((failed + 1))
	fi
}

before=$(tests/leftovers.sh)
# the busybox image every suite's harness starts from, built once and copied
# (tests/lib.sh: DIYC_IMAGE_SEED)
seed=$(mktemp -d /tmp/diyc-seed.XXXXXX)
trap 'rm -rf "$seed"' EXIT
runtime/mkimage-busybox.sh "$seed" >/dev/null && export DIYC_IMAGE_SEED=$seed/images/busybox
for dir in "$build" ${asan:+"$asan"}; do
	tag=$([ "$dir" = "$asan" ] && echo " [asan]")
	for t in "$dir"/tests/test_*; do
		[ -x "$t" ] && run "$(basename "$t")$tag" "$t"
	done
	# the fuzz targets over their corpus (seeds and inputs that once crashed)
	for t in "$dir"/tests/fuzz_*; do
		[ -x "$t" ] && run "$(basename "$t")$tag" "$t" "tests/fuzz/corpus/${t##*/fuzz_}"
	done
	bin=.
	[ "$dir" = "$asan" ] && bin=$asan
	for t in tests/integration/*.sh; do
		run "$(basename "$t" .sh)$tag" env PROBE=$bin/diyc-probe DIYC=$bin/diyc DIYC_OCI=$bin/diyc-oci NSEXEC=$bin/nsexec NONS=./tests/tools/nons \
			HOSTILE=./tests/tools/hostile LOAD_RUNS=$([ -n "$tag" ] && echo 200 || echo 1000) "$t"
	done
done
after=$(tests/leftovers.sh)
echo "# --- leftovers"
if [ "$before" = "$after" ]; then
	echo "ok - nothing left behind (mounts, cgroups, state, links, rules)"
	passed=$((passed + 1))
else
	echo "not ok - the tests left something behind:"
	diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed 's/^/#   /'
	failed=$((failed + 1))
fi
echo
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$failed" -eq 0 ]
