#!/usr/bin/env bash
# Hostile images: images whose files and programs attack the runtime (root, TAP).
# Every case checks the host afterwards (sha256 of the targets, the image itself,
# the diyc binary), not only what the container saw. The images are built here
# from the busybox image plus tests/tools/hostile (static). Runs inside a harness
# with private UTS, IPC, PID and mount namespaces, like runtime.sh.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
harness "hostile image tests" "$0" "$@"
I=$DIYC_ROOT/images
# PROFILE: the live kernel, or (HOSTILE_PROFILE=nopid) one without PID/UTS namespaces
probe_json "$T/full.json"
prof=(--profile "$T/full.json")

# mkimg NAME: a copy of busybox with /hostile in it
mkimg() { rm -rf "${I:?}/$1"; cp -a "$I/busybox" "$I/$1"; cp "$HOSTILE" "$I/$1/hostile"; }
# digest of files and of the image tree (names, types, link targets, contents)
sum() { sha256sum "$@" 2>/dev/null | sha256sum | cut -c1-16; }
tree() { (cd "$1" && find . -printf '%p %y %l\n' | sort && find . -type f -exec sha256sum {} + | sort) | sha256sum | cut -c1-16; }
gone() {
	local left
	left=$(ls -d /run/diyc/h* "$DIYC_ROOT"/containers/* 2>/dev/null; find /sys/fs/cgroup -name 'diyc-h*' 2>/dev/null)
	[ -z "$left" ] && ok "$1: nothing left" || fail "$1: nothing left" "$left"
}
run() { d run --rm "${prof[@]}" "$@"; }

diyc_sum=$(sum "$(readlink -f "$DIYC")")
mkdir -p "$T/scratch"
echo precious >"$T/scratch/target"
target_sum() { sum "$T/scratch/target" "$T"/scratch/*; }
before=$(target_sum)
host_sum=$(sum /etc/hostname /etc/hosts /etc/resolv.conf)

cases() {
# --- 1. /etc files as symlinks: absolute, ../.., /proc/self/root, /proc/self/cwd
mkimg hetc
ln -sf "$T/scratch/target" "$I/hetc/etc/resolv.conf"
ln -sf ../../../../../../../.."$T/scratch/target" "$I/hetc/etc/hosts"
ln -sf /proc/self/root"$T/scratch/target" "$I/hetc/etc/hostname"
img=$(tree "$I/hetc")
run hc1 hetc sh -c 'cat /etc/hostname; echo x >>/etc/resolv.conf; echo y >>/etc/hosts'
[ "$rc" = 0 ] && [ -n "$out" ] && ok "$tag /etc symlinks (absolute, ../.., /proc/self/root): replaced, not followed" || fail "$tag /etc symlinks" "rc=$rc $out $errout"
ln -sf /proc/self/cwd/../../../../"$T/scratch/target" "$I/hetc/etc/hostname"
ln -sf /proc/1/root"$T/scratch/target" "$I/hetc/etc/hosts"
img=$(tree "$I/hetc")
run hc1 hetc cat /etc/hosts
[ "$rc" = 0 ] && ok "$tag /etc symlinks into /proc/self/cwd and /proc/1/root: replaced" || fail "$tag /proc/self links" "rc=$rc $errout"
[ "$(target_sum)" = "$before" ] && [ "$(sum /etc/hostname /etc/hosts /etc/resolv.conf)" = "$host_sum" ] && ok "$tag the host's files are unchanged" || fail "$tag host file changed" "$(cat "$T/scratch/target")"
[ "$(tree "$I/hetc")" = "$img" ] && ok "$tag the image is unchanged" || fail "$tag image changed"

# --- 2. /dev as a symlink, device entries as symlinks, /proc and /sys as symlink/file
mkimg hdev
rm -rf "$I/hdev/dev"; ln -s "$T/scratch" "$I/hdev/dev"
run hc2 hdev sh -c '[ -c /dev/null ] && echo >/dev/null && ls /dev/pts >/dev/null && echo dev-ok'
expect "$tag /dev a symlink to a host dir: a fresh /dev, the host dir untouched" 0 '^dev-ok$'
mkimg hdev2
rm -rf "$I/hdev2/dev"; mkdir "$I/hdev2/dev"
ln -s "$T/scratch/target" "$I/hdev2/dev/null"; ln -s "$T/scratch" "$I/hdev2/dev/pts"
ln -s "$T/scratch/target" "$I/hdev2/dev/console"
run hc2 hdev2 sh -c 'echo x >/dev/null; echo y >/dev/console 2>/dev/null; [ -c /dev/null ] && echo dev-ok'
expect "$tag /dev/null, /dev/pts, /dev/console as symlinks: hidden by diyc's /dev" 0 '^dev-ok$'
mkimg hproc
rm -rf "$I/hproc/proc" "$I/hproc/sys"
ln -s "$T/scratch" "$I/hproc/proc"; echo notadir >"$I/hproc/sys"
img=$(tree "$I/hproc")
run hc2 hproc sh -c 'grep -q "^Seccomp:" /proc/self/status && [ -d /sys/kernel ] && echo proc-ok'
expect "$tag /proc a symlink, /sys a file: replaced in the container's layer" 0 '^proc-ok$'
mkimg hproc2
rm -rf "$I/hproc2/proc"; echo notadir >"$I/hproc2/proc"; rm -rf "$I/hproc2/sys"; ln -s /proc/self/cwd "$I/hproc2/sys"
run hc2 hproc2 sh -c 'grep -q "^Seccomp:" /proc/self/status && echo proc-ok'
expect "$tag /proc a file, /sys a symlink into /proc/self: replaced" 0 '^proc-ok$'
[ "$(tree "$I/hproc")" = "$img" ] && [ "$(target_sum)" = "$before" ] && ok "$tag host scratch files and the image unchanged" || fail "$tag scratch changed" "$(ls -la "$T/scratch")"

# --- 3. the diyc binary: #!/proc/self/exe, and /proc/*/exe opened for writing
mkimg hexe
printf '#!/proc/self/exe\necho script-ran\n' >"$I/hexe/evil"; chmod 755 "$I/hexe/evil"
run hc3 hexe /evil
[ "$rc" != 0 ] && [ "$rc" != 139 ] && ! printf '%s' "$out" | grep -q script-ran && ok "$tag '#!/proc/self/exe' command runs only the sealed diyc-init, which exits ($rc)" || fail "$tag #!/proc/self/exe" "rc=$rc $out $errout"
# The attack is to change an executable through /proc/PID/exe: the image's or diyc's.
# 6.1 refuses the open (ETXTBSY); 4.4's overlayfs lets it succeed and copies the file
# up into the container's own layer.  Either way the image and diyc stay unchanged.
img=$(tree "$I/hexe")
run hc3 hexe sh -c 'sleep 5 & /hostile exe-write; kill %1'
case $out in
*"exe-write: blocked"*) how="cannot be opened for writing" ;;
*"exe-write: SUCCEEDED"*) how="opened for writing, only the container's copy-up layer changed" ;;
*) how= ;;
esac
[ -n "$how" ] && [ "$(tree "$I/hexe")" = "$img" ] && [ "$(sum "$(readlink -f "$DIYC")")" = "$diyc_sum" ] &&
	ok "$tag /proc/*/exe of the container's processes: $how; image and diyc unchanged" ||
	fail "$tag /proc/*/exe write" "rc=$rc $out $errout"
"$DIYC" run -d "${prof[@]}" hc3 hexe /hostile exe-write 6 >/dev/null 2>&1
for i in $(seq 20); do "$DIYC" exec hc3 /bin/true 2>/dev/null; done
sleep 0.5
d logs hc3
case $out in *"exe-write: "*) [ "$(tree "$I/hexe")" = "$img" ] && [ "$(sum "$(readlink -f "$DIYC")")" = "$diyc_sum" ] &&
	ok "$tag 20 diyc exec: no executable of the image or of diyc changed from inside" || fail "$tag exec window" "$out" ;;
*) fail "$tag exec window" "no verdict: $out" ;; esac
"$DIYC" rm -f hc3 >/dev/null 2>&1
[ "$(sum "$(readlink -f "$DIYC")")" = "$diyc_sum" ] && ok "$tag the diyc binary on the host is unchanged" || fail "$tag diyc binary changed"

# --- 4. setuid-root binary, extra descriptors, working directory outside
mkimg hsuid
cp "$HOSTILE" "$I/hsuid/suid"; chown 0:0 "$I/hsuid/suid"; chmod 4755 "$I/hsuid/suid"
run hc4 hsuid /hostile as-user /suid ids
expect "$tag a setuid-root binary gains nothing (no_new_privs)" 0 '^uid=1000 euid=1000 CapEff:.0000000000000000'
out=$(exec 7</ 8<"$T/scratch/target"; "$DIYC" run --rm "${prof[@]}" hc4 hsuid ls /proc/self/fd 2>/dev/null | tr '\n' ' ')
same "$tag the caller's extra descriptors (exec 7</) are not inside" "$out" "0 1 2 3 "
ln -s ../../../../../../.."$T/scratch" "$I/hsuid/escape"
run -w /escape hc4 hsuid sh -c 'pwd; ls'
! printf '%s' "$out" | grep -q target && ok "$tag -w through a symlink to a host dir: stays inside ($rc)" || fail "$tag workdir escape" "$out"
run -w /../../.. hc4 hsuid pwd
expect "$tag -w /../../..: the container's root" 0 '^/$'

# --- 5. the terminal: TIOCSTI must not reach the caller's terminal
if command -v script >/dev/null; then
	out=$(script -qec "$DIYC run --rm ${prof[*]} hc5 hsuid /hostile tiocsti" /dev/null </dev/null 2>&1)
	case $out in *"tiocsti: blocked"*) ok "$tag TIOCSTI on the caller's terminal is refused" ;; *) fail "$tag TIOCSTI" "$out" ;; esac
	out=$(script -qec "$DIYC run --rm -t ${prof[*]} hc5 hsuid /hostile tiocsti" /dev/null </dev/null 2>&1)
	case $out in *INJECTED*) [ "$(printf '%s' "$out" | grep -c INJECTED)" -le 1 ] && ok "$tag with -t: at most the container's own pty" || fail "$tag TIOCSTI -t" "$out" ;; *) ok "$tag with -t: at most the container's own pty" ;; esac
else
	skip "$tag TIOCSTI" "no script(1) here"
	skip "$tag TIOCSTI -t" "no script(1) here"
fi

# --- 6. privileged operations inside
for a in mknod mount remount sysctl sysrq module reboot; do
	run hc6 hsuid /hostile $a
	expect "$tag $a fails inside" 0 ": blocked"
done
run hc6 hsuid sh -c 'echo 1 >/proc/sys/kernel/sysrq 2>/dev/null || echo ro'
expect "$tag /proc/sys is read-only" 0 '^ro$'
gone "$tag hostile images"
}

tag="[live]"
cases
# the same without PID and UTS namespaces, unless this kernel already lacks them
if [ "$(jget "$T/full.json" 'd["namespaces"]["pid"]["status"]')" = yes ]; then
	tag="[no pid/uts]"
	probe_json "$T/nopid.json" --pid --uts
	prof=(--profile "$T/nopid.json")
	cases 2>/dev/null
fi

# --- 7. tarballs for diyc image import
python3 - "$T" <<'PY'
import io, sys, tarfile
t = sys.argv[1]
def tar(name, members, fmt=tarfile.GNU_FORMAT):
    with tarfile.open(f"{t}/{name}.tar", "w", format=fmt) as tf:
        for m, data in members:
            tf.addfile(m, io.BytesIO(data) if data is not None else None)
def f(name, data=b"x"):
    ti = tarfile.TarInfo(name); ti.size = len(data); return ti, data
def link(name, target, kind=tarfile.SYMTYPE):
    ti = tarfile.TarInfo(name); ti.type = kind; ti.linkname = target; return ti, None
tar("dotdot", [f("ok"), f("../../escape")])
tar("abs", [f("ok"), f("/tmp/diyc-escape-abs")])
tar("symlink", [link("link", t + "/scratch"), f("link/through")])
tar("symrel", [link("up", "../../../../../../.." + t + "/scratch"), f("up/through")])
tar("hardabs", [link("pw", t + "/scratch/target", tarfile.LNKTYPE)])
tar("hardrel", [link("pw", "../../../../../../.." + t + "/scratch/target", tarfile.LNKTYPE)])
tar("longname", [f("a/" * 60000 + "x")], tarfile.PAX_FORMAT)
tar("hugepax", [f("x")], tarfile.PAX_FORMAT)
PY
# a pax header claiming a gigantic size, and a header of garbage
python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
b = bytearray(open(f"{t}/hugepax.tar", "rb").read())
# the first header is the pax 'x' header: make its size field absurd
b[124:136] = b"77777777777\0"
open(f"{t}/hugepax.tar", "wb").write(bytes(b))
open(f"{t}/garbage.tar", "wb").write(bytes(range(256)) * 40)
PY
head -c 700 "$T/dotdot.tar" >"$T/cut.tar"
d image import probe "$T/dotdot.tar"
case $errout in
*"cannot load libarchive"*)
	skip "tarball imports" "libarchive is not installed here" ;;
*)
	for bad in dotdot abs symlink symrel hardabs hardrel longname hugepax garbage cut; do
		d image import "bad$bad" "$T/$bad.tar"
		lines=$(printf '%s\n' "$errout" | grep -c .)
		[ "$rc" = 125 ] && [ "$lines" = 1 ] && ok "tarball '$bad': refused with one line" || fail "tarball '$bad'" "rc=$rc $errout"
	done
	[ "$(target_sum)" = "$before" ] && [ ! -e /tmp/diyc-escape-abs ] && [ ! -e "$DIYC_ROOT/escape" ] && [ ! -e "$T/scratch/through" ] && ok "nothing written outside the image directory" || fail "escape" "$(ls "$T" "$T/scratch")"
	[ -z "$(ls -a "$I" | grep -E '^bad|import')" ] && ok "no half image left" || fail "half image" "$(ls -a "$I")"
	;;
esac
same "host name intact" "$(hostname)" "$(cat /proc/sys/kernel/hostname)"
gone "all"
done_testing
