#!/usr/bin/env bash
# make check-layers (ci/check-layers.py) on this tree, and on copies of it broken on
# purpose: each kind of violation must be caught, or the check proves nothing. TAP.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
T=$(mktemp -d /tmp/diyc-layers.XXXXXX)
trap 'rm -rf "$T"' EXIT
out=$(python3 ci/check-layers.py 2>&1) && ok "this tree: $out" || fail "this tree breaks its layers" "$out"
# broken COPY-EDIT DESC PATTERN: the check must fail naming PATTERN
broken() {
	rm -rf "$T/t" && mkdir -p "$T/t" && cp -r lib probe netsetup runtime ci "$T/t/"
	(cd "$T/t" && eval "$1")
	local o
	if o=$(python3 "$T/t/ci/check-layers.py" 2>&1); then
		fail "$2: not caught" "$o"
	elif printf '%s\n' "$o" | grep -q -- "$3"; then
		ok "$2: caught"
	else
		fail "$2: caught, but not named" "$o"
	fi
}
broken 'sed -i "1i #include \"runtime/diyc.h\"" lib/util.c' "lib including runtime" "lib/util.c:1: lib/ includes runtime/diyc.h"
broken 'sed -i "1i #include \"runtime/diyc.h\"" netsetup/attach.c' "netsetup including runtime" "netsetup/ includes runtime"
broken 'sed -i "1i #include \"probe/probe.h\"" netsetup/host.c' "netsetup including probe" "netsetup/ includes probe"
broken 'sed -i "1i #include \"netsetup/netconf.h\"" runtime/steps.c' "runtime past netsetup.h" "only through netsetup/netsetup.h"
broken 'sed -i "1i #include \"util.h\"" probe/run.c' "a flat include" "does not name its layer"
broken 'printf "int f(void)\n{\n%s}\n" "$(for i in $(seq 85); do echo "	(void)0;"; done)" >>lib/util.c' "a function of 88 lines" "f() is 88 lines"
broken 'for i in $(seq 520); do echo "/* */"; done >>lib/names.c' "a file of 500+ lines" "lib/names.c: .* lines"
broken 'printf "#define X 0x%08x\n" $((1 << 25)) >>runtime/state.c' "a bare CLONE_NEWCGROUP" "bare CLONE_NEWCGROUP"
broken 'echo "static const char *n[] = {\"mnt\", \"uts\"};" >>runtime/state.c' "a second namespace list" "a list of namespace names"
done_testing
