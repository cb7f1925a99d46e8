#!/bin/sh
# Build the default image "busybox" from Debian's busybox-static: no network needed.
#   runtime/mkimage-busybox.sh [DATA_ROOT]      (default $DIYC_ROOT or /var/lib/diyc)
# The image is assembled in a temporary directory and renamed into place, so an
# interrupted build never leaves a half image. An existing image is kept.
set -eu
root=${1:-${DIYC_ROOT:-/var/lib/diyc}}
bb=/bin/busybox
[ -x "$bb" ] || { echo "mkimage: $bb missing: make deps installs busybox-static" >&2; exit 1; }
case $(file -b "$bb" 2>/dev/null || echo static) in
*dynamic*) echo "mkimage: $bb is not static (install busybox-static)" >&2; exit 1 ;;
esac
dst=$root/images/busybox
if [ -d "$dst" ]; then echo "image busybox already in $root"; exit 0; fi
mkdir -p "$root/images"
tmp=$(mktemp -d "$root/images/.build-busybox-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir -p "$tmp/bin" "$tmp/sbin" "$tmp/usr/bin" "$tmp/usr/sbin" "$tmp/etc" "$tmp/root" \
	"$tmp/tmp" "$tmp/dev" "$tmp/proc" "$tmp/sys" "$tmp/var" "$tmp/home"
chmod 1777 "$tmp/tmp"
chmod 700 "$tmp/root"
cp "$bb" "$tmp/bin/busybox"
for applet in $("$bb" --list-full); do
	[ -e "$tmp/$applet" ] || ln -s /bin/busybox "$tmp/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$tmp/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$tmp/etc/group"
mv "$tmp" "$dst"
trap - EXIT
echo "image busybox built in $dst"
