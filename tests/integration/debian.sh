#!/usr/bin/env bash
# A real distribution image: Debian bookworm (debootstrap --variant=minbase, kept in
# the CI cache, $DIYC_CI_CACHE or /var/cache/diyc-ci, as the kernels are), imported
# into podman, a layer added by buildah (COPY of .deb files), saved as a docker
# archive and imported by diyc; then `dpkg -i` inside the container and the installed
# program run, on the live profile and on a simulated kernel without PID/UTS
# namespaces.  The .deb is built here with dpkg-deb (no network); the Debian image
# needs a mirror once.  Root, TAP.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
harness --need podman --need buildah --need dpkg-deb "a Debian bookworm image" "$0" "$@"
CACHE=${DIYC_CI_CACHE:-/var/cache/diyc-ci}
DEB=$CACHE/bookworm-minbase.tar
if [ ! -s "$DEB" ]; then
	if ! command -v debootstrap >/dev/null; then
		skip "a Debian bookworm image" "no cached $DEB and no debootstrap (make deps)"
		done_testing; exit
	fi
	mkdir -p "$CACHE" "$T/deb"
	# the harness's network namespace is the host's here (no --net): the mirror
	if ! debootstrap --variant=minbase bookworm "$T/deb" http://deb.debian.org/debian >"$T/ds.log" 2>&1; then
		skip "a Debian bookworm image" "debootstrap could not reach a mirror: $(tail -1 "$T/ds.log")"
		done_testing; exit
	fi
	tar -C "$T/deb" -cf "$DEB.part" . && mv "$DEB.part" "$DEB"
	rm -rf "$T/deb"
fi
ok "a bookworm minbase tree ($(du -m "$DEB" | cut -f1) MB, cached in $CACHE)"
mount -t tmpfs -o mode=755 diyc-debian-varlib /var/lib || { fail "a private /var/lib"; done_testing; exit; }
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR" "$T/ctx/pkg/DEBIAN" "$T/ctx/pkg/usr/bin"
S=(--root "$T/p/root" --runroot "$T/p/run" --storage-driver vfs)
P=(podman "${S[@]}" --tmpdir "$T/p/tmp" --events-backend file --cgroup-manager cgroupfs)
cat >"$T/ctx/pkg/DEBIAN/control" <<'CTL'
Package: diyc-hello
Version: 1.0
Architecture: all
Maintainer: diyc tests <tests@diyc.invalid>
Description: says hello from inside a diyc container
CTL
printf '#!/bin/sh\necho "hello from $(. /etc/os-release; echo $VERSION_CODENAME) pid $$"\n' >"$T/ctx/pkg/usr/bin/diyc-hello"
chmod 755 "$T/ctx/pkg/usr/bin/diyc-hello"
dpkg-deb --root-owner-group --build "$T/ctx/pkg" "$T/ctx/diyc-hello.deb" >/dev/null
check "dpkg-deb builds a package" test -s "$T/ctx/diyc-hello.deb"
"${P[@]}" import "$DEB" localhost/bookworm:min >/dev/null 2>"$T/err"
[ $? = 0 ] && ok "podman import of the bookworm tree" || fail "podman import" "$(cat "$T/err")"
printf 'FROM localhost/bookworm:min\nCOPY diyc-hello.deb /tmp/\nENV DEBIAN_FRONTEND=noninteractive\nCMD ["bash"]\n' >"$T/ctx/Containerfile"
buildah "${S[@]}" bud --isolation chroot -t localhost/bookworm:pkg "$T/ctx" >"$T/b.log" 2>&1
[ $? = 0 ] && ok "buildah adds a layer with the .deb" || fail "buildah bud" "$(tail -3 "$T/b.log")"
"${P[@]}" save --format docker-archive -o "$T/bookworm.tar" localhost/bookworm:pkg >/dev/null 2>"$T/err"
d image import bookworm "$T/bookworm.tar"
expect "diyc imports podman's docker archive of it" 0 '^bookworm$'
probe_json "$T/full.json"
probe_json "$T/nopid.json" --pid --uts
for prof in full nopid; do
	d run --rm --net none --profile "$T/$prof.json" deb1 bookworm bash -c 'dpkg -i /tmp/diyc-hello.deb >/dev/null && dpkg -s diyc-hello | grep Status && diyc-hello && apt-get --version | head -1'
	expect "[$prof] dpkg -i of the .deb, then the installed program runs" 0 '^hello from bookworm pid [0-9]+$'
	printf '%s\n' "$out" | grep -q 'Status: install ok installed' && ok "[$prof] dpkg records it installed" || fail "[$prof] dpkg status" "$out $errout"
	printf '%s\n' "$out" | grep -q '^apt 2\.6' && ok "[$prof] the image's own apt runs" || fail "[$prof] apt" "$out"
done
d run --rm --net none deb2 bookworm cat /etc/debian_version
expect "the image is unchanged by the containers (no dpkg state in it)" 0 '^12\.'
d run --rm --net none deb3 bookworm sh -c 'test ! -e /usr/bin/diyc-hello && echo clean'
expect "a new container does not see the last one's install" 0 '^clean$'
d image rm bookworm
expect "image rm" 0
[ -z "$(ls -A "$DIYC_ROOT/layers/sha256")" ] && ok "its layers are gone" || fail "layers left" "$(ls "$DIYC_ROOT/layers/sha256")"
"${P[@]}" rmi -af >/dev/null 2>&1
done_testing
