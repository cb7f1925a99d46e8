#!/usr/bin/env bash
# Images made by producers no one here wrote, imported or pulled by diyc and run:
# podman save (docker-archive, oci-archive), buildah (a multi-layer image with
# whiteouts, an opaque directory, a directory replaced by a file, hard links, a setuid
# file), skopeo (OCI layouts, gzip and zstd layers, a local registry), each unpacked
# tree compared with umoci's; Debian's docker-registry on 127.0.0.1 inside the
# harness's network namespace, and a bearer-token registry of our own (tests/tools/
# imgtool.py) for the authentication; image config, flattening, save, rm, gc, hostile
# layers, crashes at each stage of an import.  Root, TAP.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
harness --net --need podman --need buildah --need skopeo --need umoci --need docker-registry \
	--need python3 "images from podman, buildah, skopeo and a registry" "$0" "$@"
IT=tests/tools/imgtool.py
I=$DIYC_ROOT
ip link set lo up
# containers/storage and CNI keep caches below /var/lib: a tmpfs there in this test's
# own mount namespace (their storage is in $T)
mount -t tmpfs -o mode=755 diyc-images-varlib /var/lib || { fail "a private /var/lib"; done_testing; exit; }
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR" "$T/scratch"
echo target >"$T/scratch/target"
S=(--root "$T/p/root" --runroot "$T/p/run" --storage-driver vfs)
P=(podman "${S[@]}" --tmpdir "$T/p/tmp" --events-backend file --cgroup-manager cgroupfs)
pm() { out=$("${P[@]}" "$@" 2>"$T/err" </dev/null); rc=$?; errout=$(cat "$T/err"); }
# layers: the store's layer count; leftovers: scratch dirs of imports and pulls
layers() { ls "$I/layers/sha256" 2>/dev/null | wc -l; }
leftovers() { ls -A "$I/layers/tmp" 2>/dev/null; ls -A "$I/images" | grep -E '^\.' ; }
# tree_of IMAGE: the merged view of a layered image's layers, as imgtool lists it
tree_of() {
	local ids lower=
	ids=$("$DIYC" image inspect "$1" | python3 -c 'import json,sys; print(" ".join(l["diff_id"][7:23] for l in json.load(sys.stdin)["layers"]))')
	for id in $ids; do lower="$I/layers/l/$id${lower:+:$lower}"; done
	mkdir -p "$T/mnt"
	if [ "${lower#*:}" = "$lower" ]; then mount --bind "$lower" "$T/mnt"; else mount -t overlay -o "lowerdir=$lower" diyc-test "$T/mnt"; fi
	python3 $IT tree "$T/mnt"
	umount "$T/mnt"
}
# same_as_umoci IMAGE LAYOUT:TAG: the trees of diyc's image and umoci's unpack match
same_as_umoci() {
	rm -rf "$T/umoci"
	umoci unpack --image "$2" "$T/umoci" >/dev/null 2>"$T/uerr" || { fail "umoci unpack $2" "$(cat "$T/uerr")"; return; }
	python3 $IT tree "$T/umoci/rootfs" >"$T/want"
	tree_of "$1" >"$T/got"
	if diff "$T/want" "$T/got" >"$T/diff"; then ok "$1: the same tree as umoci's unpack ($(wc -l <"$T/want") entries)"; else fail "$1: the same tree as umoci's" "$(head -20 "$T/diff")"; fi
}

# --- producers: podman import + save, buildah, skopeo
tar -C "$I/images/busybox" -cf "$T/bb.tar" .
pm import "$T/bb.tar" localhost/bb:1
expect "podman import of the busybox tree" 0
pm save --format docker-archive -o "$T/bb-docker.tar" localhost/bb:1
expect "podman save --format docker-archive" 0
pm save --format oci-archive -o "$T/bb-oci.tar" localhost/bb:1
expect "podman save --format oci-archive" 0
mkdir -p "$T/ctx"
cat >"$T/ctx/Containerfile" <<'CF'
FROM localhost/bb:1
RUN mkdir -p /data/sub /data/op /data/dir2file && echo a >/data/a && echo b >/data/sub/b && echo o >/data/op/old && echo keep >/etc/keep && ln -s /etc/keep /data/link && ln /data/a /data/a2 && echo f2d >/data/file2dir
RUN rm /data/a /data/a2 && echo changed >/etc/keep && rm -rf /data/op && mkdir /data/op && echo new >/data/op/new && rmdir /data/dir2file && echo f >/data/dir2file && chmod 4755 /data/dir2file && rm /data/file2dir && mkdir /data/file2dir && touch /data/h1 && ln /data/h1 /data/h2 && mkfifo /data/fifo && echo app:x:1234:1234::/home/app:/bin/sh >>/etc/passwd && echo app:x:1234: >>/etc/group && mkdir -p /home/app
ENV FOO=bar
WORKDIR /data
LABEL org.example.test=yes
EXPOSE 8080/tcp
STOPSIGNAL SIGINT
CMD ["cat", "/etc/keep"]
CF
cat >"$T/ctx/Userfile" <<'CF'
FROM localhost/multi:1
USER app
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["echo uid=$(id -u) home=$HOME"]
CF
buildah "${S[@]}" bud --layers --isolation chroot -t localhost/multi:1 "$T/ctx" >"$T/b.log" 2>&1
[ $? = 0 ] && ok "buildah: a multi-layer image (whiteouts, opaque dir, hard links, setuid)" || fail "buildah bud" "$(tail -5 "$T/b.log")"
buildah "${S[@]}" bud --layers --isolation chroot -f "$T/ctx/Userfile" -t localhost/user:1 "$T/ctx" >"$T/b.log" 2>&1
[ $? = 0 ] && ok "buildah: an image with USER and ENTRYPOINT" || fail "buildah bud (user)" "$(tail -5 "$T/b.log")"
pm save --format oci-archive -o "$T/multi-oci.tar" localhost/multi:1
pm save --format docker-archive -o "$T/multi-docker.tar" localhost/multi:1
pm save --format oci-archive -o "$T/user-oci.tar" localhost/user:1
sk() { skopeo --tmpdir "$T/tmp" copy -q "$@" >"$T/skerr" 2>&1 || fail "skopeo copy $*" "$(cat "$T/skerr")"; }
sk oci-archive:"$T/multi-oci.tar" oci:"$T/multi-layout:multi"
sk --dest-compress-format gzip oci-archive:"$T/multi-oci.tar" oci:"$T/multi-gz:multi"
sk --dest-compress-format zstd oci-archive:"$T/multi-oci.tar" oci:"$T/multi-zstd:multi"
sk oci-archive:"$T/multi-oci.tar" docker-archive:"$T/multi-skopeo-docker.tar":localhost/multi:1
python3 $IT docker25 "$T/multi-layout" "$T/multi-docker25.tar"
grep -q zstd "$T"/multi-zstd/blobs/sha256/* 2>/dev/null && ok "skopeo wrote zstd layers" || fail "zstd layers" "$(ls "$T/multi-zstd/blobs/sha256")"

# --- import each, run it, compare with umoci
before=$(layers)
for f in bb-docker.tar bb-oci.tar; do
	d image import "${f%.tar}" "$T/$f"
	expect "import $f" 0 "^${f%.tar}\$"
done
same "two images of one layer cost it once" "$(($(layers) - before))" 1
d run --rm r1 bb-docker echo from-docker-archive
expect "run an image from podman's docker-archive" 0 '^from-docker-archive$'
for src in multi-oci.tar multi-docker.tar multi-skopeo-docker.tar multi-docker25.tar multi-layout multi-gz multi-zstd; do
	name=m-${src%.tar}
	d image import "$name" "$T/$src"
	expect "import $src" 0 "^$name\$"
	d run --rm r2 "$name"
	expect "$src: the image's Cmd runs (cat /etc/keep of the last layer)" 0 '^changed$'
	same_as_umoci "$name" "$T/multi-layout:multi"
done
d image ls
expect "image ls shows the images and the shared layers" 0 '^m-multi-layout +3 +3 '
printf '%s\n' "$out" | grep -q '^layer store: ' && ok "image ls counts the store once" || fail "image ls store line" "$out"
d image inspect m-multi-oci
printf '%s\n' "$out" | python3 -c '
import json,sys; d=json.load(sys.stdin); c=d["config"]["config"]
assert c["Labels"]["org.example.test"]=="yes" and "8080/tcp" in c["ExposedPorts"] and c["StopSignal"]=="SIGINT", c
assert d["format"]=="oci" and len(d["layers"])==3' && ok "image inspect: JSON with labels, exposed ports, stop signal" || fail "image inspect" "$out"

# --- the layer semantics, seen from inside a container
d run --rm r3 m-multi-oci sh -c 'pwd; echo $FOO; echo $(ls /data); ls /data/op; cat /data/file2dir 2>&1 | head -1; [ -d /data/file2dir ] && echo f2d-is-dir; stat -c "%A" /data/dir2file; [ "$(stat -c %i /data/h1)" = "$(stat -c %i /data/h2)" ] && echo hardlinked; [ -p /data/fifo ] && echo fifo'
expect "WorkingDir and Env from the config" 0 '^/data$'
printf '%s\n' "$out" | grep -qx bar && ok "Env FOO=bar" || fail "Env" "$out"
printf '%s\n' "$out" | grep -qx 'dir2file fifo file2dir h1 h2 link op sub' && ok "whiteouts: /data/a and a2 gone, the rest there" || fail "whiteouts" "$out"
printf '%s\n' "$out" | grep -qx new && ! printf '%s\n' "$out" | grep -qx old && ok "opaque directory: only the upper layer's files" || fail "opaque" "$out"
printf '%s\n' "$out" | grep -qx f2d-is-dir && printf '%s\n' "$out" | grep -qx -- -rwsr-xr-x && ok "file -> dir and dir -> file; setuid kept" || fail "type changes, setuid" "$out"
printf '%s\n' "$out" | grep -qx hardlinked && printf '%s\n' "$out" | grep -qx fifo && ok "hard links within a layer; a FIFO" || fail "hard links, fifo" "$out"
d run --rm -e FOO=mine r4 m-multi-oci sh -c 'echo $FOO'
expect "-e wins over the image's Env" 0 '^mine$'
d run --rm --entrypoint /bin/echo r5 m-multi-oci hello
expect "--entrypoint replaces the Entrypoint, the arguments follow" 0 '^hello$'
d image import user "$T/user-oci.tar"
d run --rm r6 user
expect "Entrypoint + Cmd, as User (name from the image's /etc/passwd, its home)" 0 '^uid=1234 home=/home/app$'
d run --rm -u root r7 user 'id -u'
expect "-u root overrides the image's User" 0 '^0$'
d run --rm -u 1234:0 r8 user 'id -u; id -g'
expect "-u UID:GID" 0 '^1234$'
d run -d --net none s1 m-multi-oci sh -c 'trap "echo got-int; exit 0" INT; trap "echo got-term; exit 0" TERM; echo up; while :; do sleep 0.1; done'
sleep 0.5
d stop -t 5 s1
expect "diyc stop" 0
d logs s1
expect "diyc stop sends the image's StopSignal (SIGINT)" 0 '^got-int$'
"$DIYC" rm s1 >/dev/null 2>&1
d run -d --net none s2 bb-oci sh -c 'trap "echo got-term; exit 0" TERM; echo up; while :; do sleep 0.1; done'
sleep 0.5
"$DIYC" stop -t 5 s2 >/dev/null 2>&1
d logs s2
expect "an image without StopSignal: SIGTERM" 0 '^got-term$'
"$DIYC" rm s2 >/dev/null 2>&1
d run -d --net none ue user 'sleep 30'
d exec ue sh -c 'echo $(id -u) $HOME $FOO'
expect "diyc exec runs as the image's User, with its home and Env (as docker exec)" 0 '^1234 /home/app bar$'
"$DIYC" kill ue >/dev/null 2>&1; "$DIYC" rm -f ue >/dev/null 2>&1
d run -d --net none -u root ur user 'sleep 30'
d exec ur id -u
expect "diyc exec runs as the run's -u" 0 '^0$'
"$DIYC" kill ur >/dev/null 2>&1; "$DIYC" rm -f ur >/dev/null 2>&1
d run --rm -u nosuch r9 user 'id -u'
refused "-u of a name the image does not have"
d run --rm -u 'a b' r9 user true
refused "-u with a bad character"
d run --rm --entrypoint '' r9 user true
refused "an empty --entrypoint"

# --- flattening: a kernel that took fewer lower dirs than the image has layers
probe_json "$T/live.json"
python3 - "$T/live.json" "$T/ml2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d.setdefault("overlay", {})["max_lowers"] = "2"
json.dump(d, open(sys.argv[2], "w"))
PY
d run --rm --profile "$T/ml2.json" r10 m-multi-oci
expect "more layers than the kernel takes: flattened, and it runs" 0 '^changed$'
printf '%s\n' "$errout" | grep -q 'merged into one directory' && ok "diyc says it flattened" || fail "flatten notice" "$errout"
python3 $IT tree "$I/images/m-multi-oci/flat" >"$T/got"
umoci unpack --image "$T/multi-layout:multi" "$T/umoci2" >/dev/null 2>&1
python3 $IT tree "$T/umoci2/rootfs" >"$T/want"
diff "$T/want" "$T/got" >"$T/diff" && ok "the flattened tree is umoci's tree" || fail "flattened tree" "$(head -20 "$T/diff")"
grep -q max_lowers "$T/live.json" && ok "the probe reports overlay.max_lowers ($(jget "$T/live.json" 'd["overlay"]["max_lowers"]'))" || fail "overlay.max_lowers in the profile"

# --- save: skopeo and podman read it back
d image save m-multi-oci "$T/saved"
expect "image save to a directory" 0
skopeo inspect oci:"$T/saved:m-multi-oci" >"$T/si" 2>&1 && grep -q '"FOO=bar"' "$T/si" && ok "skopeo reads the saved layout (config kept)" || fail "skopeo inspect" "$(head "$T/si")"
d image save m-multi-oci "$T/saved.tar"
pm load -i "$T/saved.tar"
expect "podman loads the saved oci archive" 0
pm image inspect localhost/m-multi-oci:latest --format '{{.Config.WorkingDir}} {{len .RootFS.Layers}}'
expect "podman sees its config and layers" 0 '^/data 3$'
d image import back "$T/saved"
d run --rm r11 back cat /data/op/new
expect "import of a saved image, and run" 0 '^new$'
d image save m-multi-oci "$T/saved"
refused "save onto an existing path"

# --- a registry: Debian's docker-registry on 127.0.0.1, pushed to with skopeo
cat >"$T/reg.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $T/regdata
http:
  addr: 127.0.0.1:5000
YML
docker-registry serve "$T/reg.yml" >"$T/reg.log" 2>&1 &
REG=$!
at_exit "kill $REG 2>/dev/null; wait $REG 2>/dev/null"
for i in $(seq 100); do python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:5000/v2/")' 2>/dev/null && break; sleep 0.1; done
sk --dest-tls-verify=false oci:"$T/multi-gz:multi" docker://127.0.0.1:5000/t/multi:1
# a two-platform index: busybox as amd64, the multi image claiming arm64
buildah "${S[@]}" manifest create localhost/list:1 >/dev/null 2>&1
buildah "${S[@]}" manifest add localhost/list:1 containers-storage:localhost/bb:1 >/dev/null 2>&1
buildah "${S[@]}" manifest add --arch arm64 localhost/list:1 containers-storage:localhost/multi:1 >/dev/null 2>&1
buildah "${S[@]}" manifest push --all --tls-verify=false localhost/list:1 docker://127.0.0.1:5000/t/list:1 >"$T/mp" 2>&1 ||
	fail "buildah manifest push" "$(tail -3 "$T/mp")"
d image pull --insecure 127.0.0.1:5000/t/multi:1
expect "pull from the registry (name: the repository's last part)" 0 '^multi$'
d run --rm r12 multi
expect "run the pulled image" 0 '^changed$'
same_as_umoci multi "$T/multi-layout:multi"
d image pull --insecure --name arm 127.0.0.1:5000/t/list:1 --platform linux/arm64
expect "pull --platform linux/arm64 through an index (options after REF too, as docker)" 0 '^arm$'
same "the arm64 entry is the multi image" "$(jget <("$DIYC" image inspect arm) 'len(d["layers"])')" 3
d image pull --insecure --name host 127.0.0.1:5000/t/list:1
expect "pull picks the host's platform from the index" 0
same "the amd64 entry is busybox (1 layer)" "$(jget <("$DIYC" image inspect host) 'len(d["layers"])')" 1
d image pull --insecure --platform linux/s390x --name none 127.0.0.1:5000/t/list:1
refused "a platform the index lacks"
d image pull --insecure --name nope 127.0.0.1:5000/t/nope:1
refused "a repository the registry lacks"
d image pull --name https 127.0.0.1:5000/t/multi:1
refused "https against a plain-http registry without --insecure"
d image pull --insecure 'bad ref!'
refused "a malformed reference"
[ -z "$(ls -A "$I/layers/pulls" 2>/dev/null)" ] && ok "failed pulls left no download behind" || fail "pull leftovers" "$(ls -A "$I/layers/pulls")"

# resume: half a blob already there (a download cut short) is completed with a Range
# request; a corrupt half is caught by the digest and dropped, and the next pull works
"$DIYC" image rm multi >/dev/null 2>&1; "$DIYC" image rm m-multi-oci >/dev/null 2>&1
for img in $("$DIYC" image ls | awk 'NR>1 && $2 ~ /^[0-9]/ {print $1}'); do "$DIYC" image rm "$img" >/dev/null 2>&1; done
same "image rm of every layered image empties the store" "$(layers)" 0
key=$(python3 $IT key "127.0.0.1:5000/t/multi@1")
big=$(ls -S "$T"/multi-gz/blobs/sha256/ | head -1)
mkdir -p "$I/layers/pulls/$key/blobs/sha256"
size=$(stat -c %s "$T/multi-gz/blobs/sha256/$big")
head -c $((size / 2)) "$T/multi-gz/blobs/sha256/$big" >"$I/layers/pulls/$key/blobs/sha256/$big.part"
d image pull --insecure 127.0.0.1:5000/t/multi:1
expect "a pull resumes a half-downloaded blob" 0 '^multi$'
d run --rm r13 multi
expect "the resumed image runs" 0 '^changed$'
"$DIYC" image rm multi >/dev/null
mkdir -p "$I/layers/pulls/$key/blobs/sha256"
head -c $((size / 2)) /dev/zero >"$I/layers/pulls/$key/blobs/sha256/$big.part"
d image pull --insecure 127.0.0.1:5000/t/multi:1
refused "a corrupt half blob: the digest check catches the resumed download"
[ ! -e "$I/images/multi" ] && [ ! -e "$I/layers/pulls/$key/blobs/sha256/$big.part" ] && ok "nothing installed, the bad part dropped" || fail "after a bad resume" "$(ls -R "$I/layers/pulls" | head)"
d image pull --insecure 127.0.0.1:5000/t/multi:1
expect "the next pull works" 0 '^multi$'
"$DIYC" gc >/dev/null 2>&1
[ -z "$(ls -A "$I/layers/pulls")" ] && ok "gc leaves no pull directory" || fail "gc pulls" "$(ls -A "$I/layers/pulls")"
# a pull killed after each stage (into an empty store), then gc
CP=$T/proot
for s in $("$DIYC" debug image-steps | awk '{print $1}'); do
	rc=$(DIYC_ROOT=$CP DIYC_FAILPOINT=$s "$DIYC" image pull --insecure --name pc 127.0.0.1:5000/t/multi:1 >/dev/null 2>&1; echo $?)
	DIYC_ROOT=$CP "$DIYC" gc >/dev/null 2>&1
	n_used=$(for r in "$CP"/images/*/diyc-image.json; do [ -f "$r" ] && jget "$r" '"\n".join(l["diff_id"][7:] for l in d["layers"])'; done | sort -u | grep -c .)
	[ "$rc" = 137 ] && [ -z "$(ls -A "$CP/layers/tmp"; ls -A "$CP/layers/pulls")" ] && [ "$(ls "$CP/layers/sha256" | wc -l)" = "$n_used" ] &&
		ok "pull killed after '$s', then gc: no download, scratch dir or unused layer" || fail "pull crash at $s" "rc=$rc $(ls -R "$CP/layers" | head)"
	DIYC_ROOT=$CP "$DIYC" image rm pc >/dev/null 2>&1
done
rc=$(DIYC_ROOT=$CP "$DIYC" image pull --insecure --name pc 127.0.0.1:5000/t/multi:1 >/dev/null 2>&1; echo $?)
same "a pull after the crashes works" "$rc" 0
"$DIYC" image import bb-oci "$T/bb-oci.tar" >/dev/null

# --- bearer-token authentication
echo 'tester:s3cret' >"$T/creds"
echo 'tester:wrong' >"$T/badcreds"
python3 $IT tokenreg "$T/multi-gz" 5001 tester:s3cret >/dev/null 2>&1 &
TREG=$!
at_exit "kill $TREG 2>/dev/null; wait $TREG 2>/dev/null"
for i in $(seq 100); do python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:5001/v2/")' 2>&1 | grep -q 401 && break; sleep 0.1; done
d image pull --insecure --creds "$T/creds" --name authed 127.0.0.1:5001/t/auth:1
expect "a bearer-token challenge answered with the credentials file" 0 '^authed$'
d image pull --insecure --creds "$T/badcreds" --name authed2 127.0.0.1:5001/t/auth:1
refused "wrong credentials: no token"
d image pull --insecure --name authed2 127.0.0.1:5001/t/auth:1
refused "no credentials: no token"
d image pull --insecure --creds "$T/nosuch" --name authed2 127.0.0.1:5001/t/auth:1
refused "a missing credentials file"

# --- hostile layers: refused, nothing outside, nothing left
sum_scratch() { find "$T/scratch" -printf '%p %s\n' | sort | md5sum; }
before_sum=$(sum_scratch) before_layers=$(layers)
cases=$(python3 $IT hostile "$T/hostile" "$T/scratch")
for c in $cases manifest-path.tar; do
	d image import "h-${c%.tar}" "$T/hostile/$c"
	refused "hostile image '$c'"
done
[ "$(sum_scratch)" = "$before_sum" ] && [ ! -e /etc/passwd.wh ] && [ ! -e "$T/escape" ] && ok "nothing written outside the store" || fail "escape" "$(ls -la "$T/scratch")"
same "no layer of a refused image stays" "$(layers)" "$before_layers"
[ -z "$(leftovers)" ] && [ -z "$(ls "$I/images" | grep '^h-')" ] && ok "no half image or scratch dir left" || fail "leftovers" "$(leftovers; ls "$I/images")"

# --- bad input: one line, exit 125, nothing made
for args in "image import" "image import x" "image import bad/name $T/bb.tar" "image import x $T/nosuch.tar" \
	"image import busybox $T/bb.tar" "image import --platform windows/amd64 x $T/bb.tar" "image import --bogus x y" \
	"image inspect nosuch" "image inspect" "image rm nosuch" "image save nosuch $T/x" "image save" \
	"image pull" "image pull --bogus x" "image bogus" "image ls extra"; do
	d $args
	refused "diyc $args"
done
d image import --platform linux/arm64 x "$T/multi-oci.tar"
refused "an image for another platform (the config says amd64)"
[ -z "$(leftovers)" ] && [ ! -e "$I/images/x" ] && ok "bad input left nothing" || fail "bad input leftovers" "$(leftovers)"
d run --rm r14 bb-oci true
expect "a used image is still fine" 0

# --- a crash at each stage of an import, then gc: no half layer is ever used
CR=$T/croot
for s in $("$DIYC" debug image-steps | awk '{print $1}'); do
	rc=$(DIYC_ROOT=$CR DIYC_FAILPOINT=$s "$DIYC" image import cr "$T/multi-oci.tar" >/dev/null 2>&1; echo $?)
	[ "$rc" = 137 ] && ok "import killed after '$s'" || fail "failpoint $s"
	if [ "$s" = recorded ]; then
		DIYC_ROOT=$CR "$DIYC" run --rm --net none c1 cr >"$T/o" 2>&1 && grep -qx changed "$T/o" && ok "recorded: the image is whole" || fail "after recorded" "$(cat "$T/o")"
	else
		DIYC_ROOT=$CR "$DIYC" run --rm --net none c1 cr true >/dev/null 2>&1
		[ $? = 125 ] && ok "killed after '$s': no image to run" || fail "a half image ran after $s"
	fi
	DIYC_ROOT=$CR "$DIYC" gc >/dev/null 2>&1
	used=$(for r in "$CR"/images/*/diyc-image.json; do [ -f "$r" ] && jget "$r" '"\n".join(l["diff_id"][7:] for l in d["layers"])'; done | sort -u | grep -c .)
	[ -z "$(ls -A "$CR/layers/tmp")" ] && [ "$(ls "$CR/layers/sha256" | wc -l)" = "$used" ] && ok "gc after '$s': no scratch dir, no unused layer" || fail "gc after $s" "$(ls -R "$CR/layers" | head)"
	DIYC_ROOT=$CR "$DIYC" image rm cr >/dev/null 2>&1
done
DIYC_ROOT=$CR "$DIYC" image import cr "$T/multi-oci.tar" >/dev/null && DIYC_ROOT=$CR "$DIYC" run --rm --net none c2 cr >"$T/o" 2>&1 && grep -qx changed "$T/o" && ok "an import after the crashes works" || fail "import after crashes" "$(cat "$T/o")"
DIYC_ROOT=$CR "$DIYC" image rm cr >/dev/null

# --- image rm: refused while a container uses it; a layer goes with its last image
d run -d --net none w1 bb-oci sleep 30
d image rm bb-oci
refused "image rm of an image a container uses"
"$DIYC" stop w1 >/dev/null 2>&1; "$DIYC" rm w1 >/dev/null 2>&1
mkdir -p "$T/uniq" && echo $$ >"$T/uniq/only-here" && tar -C "$T/uniq" -cf "$T/uniq.tar" .
n1=$(layers)
"$DIYC" image import u1 "$T/uniq.tar" >/dev/null && "$DIYC" image import u2 "$T/uniq.tar" >/dev/null
same "a root filesystem tar imported twice: one layer" "$(layers)" $((n1 + 1))
d image rm u1
expect "image rm" 0
same "its layer stays while u2 uses it" "$(layers)" $((n1 + 1))
d image rm u2
same "the last user gone, the layer goes" "$(layers)" "$n1"
done_testing
