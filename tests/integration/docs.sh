#!/usr/bin/env bash
# The --help texts and the man pages say the same: every option a --help lists
# appears in the man page, and every command of `diyc --help` has a section (TAP).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
DIYC=${DIYC:-./diyc}
PROBE=${PROBE:-./diyc-probe}
NSEXEC=${NSEXEC:-./nsexec}
# opts TEXT: the long options in a help text
opts() { grep -oE -- '--[a-z][a-z-]+' | sort -u; }
# man FILE: the text of a man page, roff escapes for '-' removed
man_text() { sed 's/\\-/-/g; s/\\f[BIRP]//g' "$1"; }
chk() { # chk LABEL MANPAGE HELPTEXT
	local missing="" o
	for o in $(printf '%s\n' "$3" | opts); do
		man_text "$2" | grep -qF -- "$o" || missing="$missing $o"
	done
	[ -z "$missing" ] && ok "$1: every option of --help is in $(basename "$2")" || fail "$1: options missing from $(basename "$2")" "$missing"
}
chk "diyc" docs/man/diyc.1 "$("$DIYC" --help)"
for c in $("$DIYC" --help | awk '/^Commands:/ {on=1; next} /^$/ {on=0} on {print $1}'); do
	h=$("$DIYC" "$c" --help 2>&1)
	chk "diyc $c" docs/man/diyc.1 "$h"
	man_text docs/man/diyc.1 | grep -qE "^\.(SS|TP|B|SH).*\b$c\b|^diyc $c|\.B diyc $c" && ok "diyc $c has its place in diyc(1)" || fail "diyc $c not in diyc(1)"
done
chk "diyc-probe" docs/man/diyc-probe.8 "$("$PROBE" --help)"
DIYC_OCI=${DIYC_OCI:-./diyc-oci}
chk "diyc-oci" docs/man/diyc-oci.8 "$("$DIYC_OCI" --help)"
for c in $("$DIYC_OCI" --help | awk '/^Commands:/ {on=1; next} /^$/ {on=0} on {print $1}'); do
	man_text docs/man/diyc-oci.8 | grep -qE "^\.B $c( |$)|\\fB$c " && ok "diyc-oci $c has its place in diyc-oci(8)" ||
		fail "diyc-oci $c not in diyc-oci(8)"
done
chk "nsexec" docs/man/nsexec.1 "$("$NSEXEC" --help 2>&1)"
# docs/architecture.md shows the tables diyc is built from: generated, never edited
# block NAME: the lines between "<!-- diyc debug NAME -->" and "<!-- end -->"
block() { awk -v b="<!-- diyc debug $1 -->" '$0 == b {on=1; next} /^<!-- end -->$/ {on=0} on' docs/architecture.md | grep -v '^```'; }
for t in steps features; do
	want=$("$DIYC" debug "$t")
	[ -n "$want" ] && [ "$(block "$t")" = "$want" ] && ok "docs/architecture.md shows diyc debug $t as it is" ||
		fail "docs/architecture.md: the $t table differs from diyc debug $t" "$(diff <(block "$t") <(printf '%s\n' "$want"))"
done
done_testing
