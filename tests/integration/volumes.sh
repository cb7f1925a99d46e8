#!/usr/bin/env bash
# Storage of diyc run (root, TAP): -v binds and named volumes, --mount, --tmpfs,
# --read-only, `diyc volume`; the hostile cases (a mount point that is a symlink in
# the image, -v /:/host:ro really read-only), every refusal one line and 125 with
# nothing made; on the live profile and on a simulated kernel without PID/UTS
# namespaces. Runs inside the harness (private UTS, IPC, PID and mount namespaces).
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
harness "volume tests" "$0" "$@"
I=$DIYC_ROOT/images
V=$DIYC_ROOT/volumes
probe_json "$T/full.json"
probe_json "$T/nopid.json" --pid --uts
nothing_of() { # nothing_of DESC NAME: no state, container directory or cgroup of NAME
	local left
	left=$(remains "$2")
	[ -z "$left" ] && ok "$1: nothing left" || fail "$1: nothing left" "$left"
}
mkdir -p "$T/src/sub" && echo host-data >"$T/src/file" && echo inner >"$T/src/sub/x"
host_etc=$(sha256sum /etc/hostname /etc/hosts /etc/passwd | sha256sum)

for tag in full nopid; do
	P=(--profile "$T/$tag.json" --net none)
	# ---- binds
	dv run --rm "${P[@]}" -v "$T/src:/data" v1 busybox sh -c 'cat /data/file; echo from-ctr >/data/new'
	expect "[$tag] -v HOST:DEST binds a host directory" 0 '^host-data$'
	same "[$tag] a write through -v reaches the host" "$(cat "$T/src/new" 2>/dev/null)" from-ctr
	dv run --rm "${P[@]}" -v "$T/src:/data:ro" v1 busybox sh -c 'echo x >/data/new2 2>/dev/null && echo wrote; grep " /data " /proc/mounts'
	expect "[$tag] -v ...:ro is read-only, nosuid, nodev" 0 ' /data [^ ]+ ro,nosuid,nodev'
	[ ! -e "$T/src/new2" ] && ok "[$tag] nothing written through :ro" || fail "[$tag] :ro wrote"
	dv run --rm "${P[@]}" -v "$T/src/file:/etc/motd:ro" v1 busybox cat /etc/motd
	expect "[$tag] -v binds a single file" 0 '^host-data$'
	dv run --rm "${P[@]}" -v "$T/src:/a/b/c:rw,exec,suid" v1 busybox sh -c 'cat /a/b/c/sub/x; grep " /a/b/c " /proc/mounts'
	expect "[$tag] -v on a new nested path, rw,exec,suid asked" 0 '^inner$'
	printf '%s\n' "$out" | grep -q ' /a/b/c [^ ]* rw,relatime\| /a/b/c [^ ]* rw,' && ! printf '%s\n' "$out" | grep -q 'nosuid' &&
		ok "[$tag] suid asked: no nosuid" || fail "[$tag] suid asked" "$out"
	# ---- named volumes
	dv run --rm "${P[@]}" -v "vol$tag:/srv" v1 busybox sh -c 'echo kept >/srv/f'
	expect "[$tag] -v NAME:DEST makes a named volume" 0
	[ -f "$V/vol$tag/_data/f" ] && ok "[$tag] the volume's data is under the data root" || fail "[$tag] volume data" "$(ls -R "$V" 2>&1)"
	dv run --rm "${P[@]}" --mount "type=volume,src=vol$tag,dst=/r,ro" v2 busybox sh -c 'cat /r/f; touch /r/g 2>/dev/null || echo ro'
	expect "[$tag] the volume outlives its container; a second one reads it read-only" 0 '^kept$'
	printf '%s\n' "$out" | grep -q '^ro$' && ok "[$tag] --mount ...,ro refuses writes" || fail "[$tag] --mount ro" "$out"
	# ---- tmpfs and read-only root
	dv run --rm "${P[@]}" --tmpfs /scratch:size=1m,mode=700 v1 busybox sh -c 'grep " /scratch " /proc/mounts; stat -c %a /scratch'
	expect "[$tag] --tmpfs with size and mode (noexec by default)" 0 'tmpfs /scratch tmpfs rw,nosuid,nodev,noexec,.*size=1024k'
	printf '%s\n' "$out" | grep -qx 700 && ok "[$tag] --tmpfs mode=700" || fail "[$tag] tmpfs mode" "$out"
	dv run --rm "${P[@]}" --mount type=tmpfs,dst=/t,tmpfs-size=2m --mount "src=$T/src,dst=/b,readonly=true,type=bind" v1 busybox sh -c 'grep -E " /t | /b " /proc/mounts'
	expect "[$tag] --mount type=tmpfs, and type=bind given last" 0 ' /b [^ ]+ ro,'
	dv run --rm "${P[@]}" --read-only v1 busybox sh -c 'touch /x 2>/dev/null && echo root-writable; touch /tmp/x /run/x && echo tmp-run-ok; grep " / " /proc/mounts'
	expect "[$tag] --read-only: / read-only, /tmp and /run writable" 0 '^tmp-run-ok$'
	printf '%s\n' "$out" | grep -q 'root-writable' && fail "[$tag] --read-only root writable" "$out" || ok "[$tag] --read-only: a write to / fails"
	nothing_of "[$tag] after the runs" v1
done

# ---- a new volume gets the image's files at its mount point (owners, modes, links),
# as docker's; not with nocopy, and never over what a volume holds already
rm -rf "${I:?}/cu" && cp -a "$I/busybox" "$I/cu" && mkdir -p "$I/cu/srv/app/sub" &&
	echo page >"$I/cu/srv/app/index.html" && ln -s index.html "$I/cu/srv/app/link" &&
	chown -R 1000:1001 "$I/cu/srv/app" && chmod 750 "$I/cu/srv/app" && chmod 4755 "$I/cu/srv/app/index.html"
dv run --rm --profile "$T/full.json" --net none -v cuvol:/srv/app cu1 cu sh -c 'cat /srv/app/index.html'
expect "copy-up: a new volume shows the image's files" 0 '^page$'
same "  ... owners, modes and links kept in the volume" \
	"$(stat -c '%u:%g %a' "$V/cuvol/_data" "$V/cuvol/_data/index.html" | tr '\n' ' ')$(readlink "$V/cuvol/_data/link")" \
	"1000:1001 750 1000:1001 4755 index.html"
echo changed >"$V/cuvol/_data/index.html"
dv run --rm --profile "$T/full.json" --net none -v cuvol:/srv/app cu1 cu cat /srv/app/index.html
expect "copy-up only into an empty volume: its data is kept" 0 '^changed$'
dv run --rm --profile "$T/full.json" --net none -v cuvol2:/srv/app:nocopy cu1 cu sh -c 'ls -A /srv/app | wc -l'
expect "-v NAME:DEST:nocopy: the volume stays empty" 0 '^0$'
d volume rm cuvol cuvol2

# ---- -v /:/host:ro: the user's choice, and really read-only (every mount below it,
# with mount_setattr and with the walk of older kernels)
for way in 0 1; do
	DIYC_TEST_NO_MOUNT_SETATTR=$way dv run --rm --profile "$T/full.json" --net none -v /:/host:ro v1 busybox sh -c \
		'touch /host/tmp/diyc-rw-'$$' 2>/dev/null && echo wrote; echo x >'"$T"'/never 2>/dev/null; echo x > /host'"$T"'/w 2>/dev/null && echo wrote2; n=$(grep -c " /host" /proc/mounts); echo mounts=$n'
	expect "-v /:/host:ro works ($([ $way = 1 ] && echo 'mountinfo walk' || echo mount_setattr))" 0 '^mounts=[0-9]+'
	! printf '%s\n' "$out" | grep -q wrote && [ ! -e /tmp/diyc-rw-$$ ] && [ ! -e "$T/w" ] &&
		ok "-v /:/host:ro: nothing writable below /host ($way)" || fail "-v /:/host:ro wrote" "$out"
	rm -f /tmp/diyc-rw-$$ "$T/w"
done
dv run --rm --profile "$T/full.json" --net none -v /:/host:ro v1 busybox sh -c 'grep " /host" /proc/mounts | grep -vc " ro,"'
same "-v /:/host:ro: every visible mount below /host is ro (mount_setattr)" "$out" 0

# ---- hostile: a mount point that is a symlink in the image
rm -rf "${I:?}/hv" && cp -a "$I/busybox" "$I/hv" && ln -s /etc "$I/hv/data" && ln -s /etc "$I/hv/deep"
for tag in full nopid; do
	dv run --rm --profile "$T/$tag.json" --net none -v "$T/src:/data" hv1 hv true
	refused "[$tag] a volume on /data, a symlink to /etc in the image: refused"
	printf '%s\n' "$errout" | grep -q 'symlink in the image' && ok "[$tag] ... saying why" || fail "[$tag] why" "$errout"
	dv run --rm --profile "$T/$tag.json" --net none -v "hvol:/deep/sub" hv1 hv true
	refused "[$tag] a volume below a symlinked directory of the image: refused"
	[ ! -e "$V/hvol" ] && ok "[$tag] the volume that refused run made is gone again" || fail "[$tag] hvol left" "$(ls "$V")"
	nothing_of "[$tag] refused symlinked mount points" hv1
done
same "the host's /etc untouched" "$(sha256sum /etc/hostname /etc/hosts /etc/passwd | sha256sum)" "$host_etc"
[ ! -e /etc/sub ] && [ ! -e /etc/file ] && ok "nothing made in the host's /etc" || fail "host /etc changed"

# ---- diyc volume
d volume create made
expect "volume create NAME prints it" 0 '^made$'
d volume create made
expect "volume create of an existing one: its name again (as docker)" 0 '^made$'
d volume ls
expect "volume ls lists the volumes" 0 '^volfull +[0-9T:-]+Z +-$'
d volume ls -q
same "volume ls -q: the names" "$out" "$(printf 'made\nvolfull\nvolnopid')"
d volume inspect made volfull
python3 -c 'import json,sys; a=json.loads(sys.argv[1]); assert [v["Name"] for v in a]==["made","volfull"]; assert a[1]["Mountpoint"].endswith("/volumes/volfull/_data"); assert a[0]["Driver"]=="local" and a[0]["UsedBy"]==[] and a[0]["CreatedAt"]' "$out" 2>/dev/null &&
	ok "volume inspect: JSON with Name, Driver, Mountpoint, CreatedAt, UsedBy" || fail "volume inspect" "$out $errout"
dv run -d --profile "$T/full.json" --net none -v made:/m vu busybox sleep 60
expect "a detached container using volume made" 0
d volume rm made
refused "volume rm of a volume a running container uses"
d volume inspect made
printf '%s\n' "$out" | grep -q '"vu"' && ok "volume inspect: UsedBy names the container" || fail "UsedBy" "$out"
d stop -t 0 vu
d volume rm made
refused "volume rm of a volume a stopped container uses"
d volume prune -f
[ -d "$V/made/_data" ] && ! [ -d "$V/volfull" ] && ok "volume prune -f removes only the unused ones" || fail "prune" "$out $(ls "$V")"
d volume prune </dev/null
refused "volume prune without -f and no terminal"
d rm vu
d volume rm made
expect "volume rm once its container is removed" 0 '^made$'
[ ! -e "$V/made" ] && ok "volume rm removed its directory" || fail "volume rm left" "$(ls "$V")"

# ---- refusals: one line, 125, nothing made (no state, no directory, no volume)
while IFS='|' read -r desc args; do
	eval "set -- $args"
	dv run --profile "$T/full.json" --net none "$@" bad1 busybox true
	refused "refused: $desc"
	nothing_of "refused: $desc" bad1
done <<EOF
a missing bind source|-v /nonexistent-$$:/x
a relative destination|-v $T/src:x
a destination with ..|-v $T/src:/a/../b
a bind on /|-v $T/src:/
a bind on /proc|-v $T/src:/proc/x
an anonymous volume|-v /data
SELinux :z|-v $T/src:/x:z
shared propagation|-v $T/src:/x:shared
an unknown -v option|-v $T/src:/x:bogus
a bad volume name|-v .bad:/x
a relative host path|-v ./src:/x
--mount volume-nocopy=maybe|--mount type=volume,src=v,dst=/x,volume-nocopy=maybe
two mounts on one path|-v $T/src:/x --tmpfs /x
--mount without type|--mount src=$T/src,dst=/x
--mount with an unknown key|--mount type=bind,src=$T/src,dst=/x,color=red
--mount type=bind with a name|--mount type=bind,src=name,dst=/x
--mount type=volume with a path|--mount type=volume,src=$T/src,dst=/x
--mount without a destination|--mount type=volume,src=v
--mount tmpfs with a source|--mount type=tmpfs,src=x,dst=/x
--mount ro=maybe|--mount type=bind,src=$T/src,dst=/x,ro=maybe
--tmpfs with a bad size|--tmpfs /x:size=lots
--tmpfs with a bad mode|--tmpfs /x:mode=999
--tmpfs with an unknown option|--tmpfs /x:color=red
EOF
[ ! -e "$V/v" ] && [ ! -e "$V/name" ] && ok "no volume made by a refused run" || fail "volume made by a refused run" "$(ls "$V")"
for args in "frob" "create" "create -x" "create .bad" "rm" "rm nosuch" "inspect nosuch" "ls -x" "prune -x" "inspect ../x"; do
	# shellcheck disable=SC2086
	d volume $args
	refused "volume $args: one line, 125"
done
# a failure after step "volumes" undoes the volume it made; after a run it is kept
DIYC_FAILPOINT=volumes:error dv run --rm --profile "$T/full.json" --net none -v undone:/u bad1 busybox true
[ "$rc" = 125 ] && [ ! -e "$V/undone" ] && ok "a start failing after step volumes removes the volume it made" || fail "undo of volumes" "rc=$rc $(ls "$V")"
# -v is a volume, --verbose says what diyc does
dv run --rm --profile "$T/full.json" --net none -v /tmp:/mnt v1 busybox true
expect "diyc run -v /tmp:/mnt (docker's -v, not verbose)" 0
d run --rm --verbose --profile "$T/full.json" --net none v1 busybox true
expect "diyc run --verbose is still taken (verbosity keeps the long option)" 0
nothing_of "after the suite" v1
done_testing
