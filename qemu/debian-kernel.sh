#!/usr/bin/env bash
# Fetch Debian's cloud kernel for make ci-qemu, without installing it on this host:
# `apt-get download` of the package linux-image-cloud-amd64 points to, unpacked with
# dpkg -x into the cache and indexed with depmod -b (the .deb ships no modules.dep).
#   qemu/debian-kernel.sh     -> prints "VMLINUZ MODROOT KVER"
set -euo pipefail
CACHE=${DIYC_CI_CACHE:-/var/cache/diyc-ci}
pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
[ -n "$pkg" ] || { echo "qemu-debian-kernel: apt knows no linux-image-cloud-amd64 (apt-get update)" >&2; exit 2; }
kver=${pkg#linux-image-}
root=$CACHE/$pkg
if [ ! -f "$root/boot/vmlinuz-$kver" ]; then
	rm -rf "$root.tmp" && mkdir -p "$root.tmp"
	(cd "$root.tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2)
	dpkg -x "$root.tmp"/*.deb "$root.tmp"
	rm -f "$root.tmp"/*.deb
	depmod -b "$root.tmp" "$kver"
	rm -rf "$root" && mv "$root.tmp" "$root"
fi
echo "$root/boot/vmlinuz-$kver $root $kver"
