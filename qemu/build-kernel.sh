#!/usr/bin/env bash
# Build (or take from the cache) a kernel for make ci-qemu.
#   qemu/build-kernel.sh FRAGMENT          -> prints the path of its bzImage
#   qemu/build-kernel.sh --key FRAGMENT    -> prints the cache key and source dir, builds nothing
# KTAR=FILE: another kernel source tarball (default Debian's linux-source-6.1);
# KPATCHES="qemu/patches/a.patch ...": applied (patch -p1) to a fresh unpack.
# tinyconfig (ARCH=x86_64: without it tinyconfig silently makes a 32-bit kernel)
# + qemu/base.config + FRAGMENT, olddefconfig, then a check that every option the
# fragments ask for survived (Kconfig drops an option with unmet dependencies with
# nothing but a warning), then bzImage.  The cache lives outside the repository,
# keyed by the source package version and the options both fragments set (their
# comments left out: rewording one rebuilds nothing), so a second run builds
# nothing.  Logs: $CACHE/kernel-KEY/build.log.
set -euo pipefail
cd "$(dirname "$0")/.."
keyonly=
[ "${1:-}" = --key ] && { keyonly=1; shift; }
frag=qemu/${1:?usage: qemu/build-kernel.sh [--key] FRAGMENT}
[ -f "$frag" ] || { echo "build-kernel: no fragment $frag" >&2; exit 2; }
CACHE=${DIYC_CI_CACHE:-/var/cache/diyc-ci}
DEFAULT_KTAR=/usr/src/linux-source-6.1.tar.xz
KTAR=${KTAR:-$DEFAULT_KTAR}
[ -f "$KTAR" ] || { echo "build-kernel: $KTAR missing (make deps installs linux-source-6.1)" >&2; exit 2; }
# the source's identity: Debian's package version, or a user's tarball by name, size and time
if [ "$KTAR" = "$DEFAULT_KTAR" ]; then
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || stat -c %s "$KTAR")
else
	ver=user-$(basename "$KTAR" | sed 's/\.tar.*$//; s/[^A-Za-z0-9._-]/_/g')-$(stat -c %s-%Y "$KTAR")
fi
for p in ${KPATCHES:-}; do
	[ -f "$p" ] || { echo "build-kernel: patch $p missing" >&2; exit 2; }
done
phash=$([ -n "${KPATCHES:-}" ] && cat ${KPATCHES} | sha256sum | cut -c1-8 || true)
# the options: "CONFIG_X=..." and "# CONFIG_X is not set" lines; other comments and
# blank lines do not count
key=$( { echo "$ver${phash:+ $phash}"; grep -hE '^(CONFIG_|# CONFIG_[A-Za-z0-9_]+ is not set)' \
	qemu/base.config "$frag"; } | sha256sum | cut -c1-16)
out=$CACHE/kernel-$key
src=$CACHE/linux-source-$ver${phash:+-p$phash}
if [ -n "$keyonly" ]; then
	echo "$key $src"
	exit 0
fi
if [ -f "$out/bzImage" ]; then
	echo "$out/bzImage"
	exit 0
fi
mkdir -p "$CACHE"
if [ ! -f "$src/Makefile" ]; then
	echo "build-kernel: unpacking $KTAR" >&2
	rm -rf "$src.tmp" && mkdir -p "$src.tmp"
	tar -C "$src.tmp" --strip-components=1 -xf "$KTAR"
	for p in ${KPATCHES:-}; do
		echo "build-kernel: applying $p" >&2
		patch -d "$src.tmp" -p1 --quiet <"$p"
	done
	mv "$src.tmp" "$src"
fi
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
log=$out.tmp/build.log
b=$(realpath "$out.tmp")
echo "build-kernel: building $1 (key $key; log $log)" >&2
{
	make -C "$src" O="$b" ARCH=x86_64 tinyconfig
	"$src"/scripts/kconfig/merge_config.sh -m -O "$b" "$b/.config" qemu/base.config "$frag"
	make -C "$src" O="$b" ARCH=x86_64 olddefconfig
} >"$log" 2>&1 || { tail -20 "$log" >&2; exit 1; }
# Every requested option must be in the final .config as asked; the profile's
# fragment overrides base.config, as in the merge.
declare -A want=()
order=()
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) opt=${line%%=*} ;;
	"# CONFIG_"*" is not set") opt=${line#"# "}; opt=${opt%% *} ;;
	*) continue ;;
	esac
	[ -n "${want[$opt]:-}" ] || order+=("$opt")
	want[$opt]=$line
done < <(cat qemu/base.config "$frag")
missing=0
for opt in "${order[@]}"; do
	got=$(grep -E "^($opt=|# $opt is not set)" "$b/.config" || true)
	w=${want[$opt]}
	# "not set" may also show as absent (an option whose menu is off)
	if [ "$w" != "$got" ] && ! { [ -z "$got" ] && [ "${w#\# }" != "$w" ]; }; then
		echo "build-kernel: $opt: asked '$w', got '${got:-absent}'" >&2
		missing=1
	fi
done
[ $missing = 0 ] || { echo "build-kernel: Kconfig dropped options; fix $frag or qemu/base.config" >&2; exit 1; }
make -C "$src" O="$b" ARCH=x86_64 -j"$(nproc)" bzImage >>"$log" 2>&1 || { tail -30 "$log" >&2; exit 1; }
cp "$b/arch/x86/boot/bzImage" "$b/bzImage"
cp "$b/.config" "$b/config"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out/bzImage"
