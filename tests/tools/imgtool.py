#!/usr/bin/env python3
"""Helpers of tests/integration/images.sh (standard library only).

  tree DIR                    a normalised listing of a root filesystem: path, type,
                              mode, owner, link target, content digest, xattrs
  hostile OUT                 hostile images (OCI layouts and docker archives) in OUT
  docker25 OCI_DIR OUT.tar    a docker save archive in Docker 25's layout (OCI layout
                              + manifest.json pointing into blobs/sha256) from an OCI
                              layout with one image
  key REF                     the pull directory name diyc uses for host/repo@ref
  stack BASE.tar N OUT        an OCI layout (gzip layers): BASE.tar and N-1 small
                              layers on it, each adding and changing a few files
  tokenreg LAYOUT PORT CREDS  a registry that demands a bearer token (from its own
                              /token endpoint, basic auth CREDS) serving the one image
                              of LAYOUT as t/auth:1 on 127.0.0.1:PORT
"""
import base64, gzip, hashlib, http.server, io, json, os, stat, sys, tarfile


def tree(root):
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for n in sorted(dirs + files):
            p = os.path.join(d, n)
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            m = st.st_mode
            kind = ("dir" if stat.S_ISDIR(m) else "link" if stat.S_ISLNK(m) else
                    "file" if stat.S_ISREG(m) else "chr" if stat.S_ISCHR(m) else
                    "blk" if stat.S_ISBLK(m) else "fifo" if stat.S_ISFIFO(m) else "other")
            extra = ""
            if kind == "link":
                extra = os.readlink(p)
            elif kind == "file":
                with open(p, "rb") as f:
                    extra = hashlib.sha256(f.read()).hexdigest()[:16]
            elif kind in ("chr", "blk"):
                extra = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
            xs = []
            try:
                for x in sorted(os.listxattr(p, follow_symlinks=False)):
                    if not x.startswith("trusted.overlay."):
                        xs.append(x + "=" + os.getxattr(p, x, follow_symlinks=False).hex())
            except OSError:
                pass
            out.append("%s %s %04o %d:%d %s %s" % (rel, kind, stat.S_IMODE(m), st.st_uid,
                                                    st.st_gid, extra, ",".join(xs)))
    print("\n".join(out))


def blob(layout, data):
    h = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", h), "wb") as f:
        f.write(data)
    return "sha256:" + h


def tar_bytes(members):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for ti, data in members:
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return b.getvalue()


def f(name, data=b"x", mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    return ti, data


def link(name, target, kind=tarfile.SYMTYPE):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = target
    return ti, None


def layout(out, layers, gz=False, bad=None):
    """An OCI layout of the uncompressed layer tars given; bad: a way to break it."""
    os.makedirs(out, exist_ok=True)
    descs, ids = [], []
    for data in layers:
        ids.append("sha256:" + hashlib.sha256(data).hexdigest())
        body = gzip.compress(data) if gz else data
        if bad == "truncated-gzip":
            body = gzip.compress(data)[: len(gzip.compress(data)) // 2]
        d = blob(out, body)
        if bad == "digest":  # the blob changes after its digest was taken
            with open(os.path.join(out, "blobs", "sha256", d[7:]), "ab") as fh:
                fh.write(b"tampered")
        mt = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gz or bad == "truncated-gzip" else "")
        descs.append({"mediaType": mt, "digest": d, "size": len(body)})
    if bad == "diffid":
        ids[-1] = "sha256:" + "0" * 64
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/true"]},
                      "rootfs": {"type": "layers", "diff_ids": ids}}).encode()
    cd = blob(out, cfg)
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                 "digest": cd, "size": len(cfg)},
                      "layers": descs}).encode()
    md = blob(out, man)
    with open(os.path.join(out, "index.json"), "w") as fh:
        json.dump({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
             "size": len(man)}]}, fh)
    with open(os.path.join(out, "oci-layout"), "w") as fh:
        fh.write('{"imageLayoutVersion":"1.0.0"}')


def hostile(out, scratch):
    base = tar_bytes([f("bin/ok", b"ok")])
    cases = {
        # a symlink in layer 1, a file through it in layer 2
        "symlink2": [tar_bytes([link("evil", scratch)]), tar_bytes([f("evil/through")])],
        "symrel2": [tar_bytes([link("up", "../../../../../../../.." + scratch)]),
                    tar_bytes([f("up/through")])],
        "whiteout-dotdot": [base, tar_bytes([f(".wh...")])],
        "whiteout-up": [base, tar_bytes([f("../.wh.x")])],
        "opaque-outside": [base, tar_bytes([f("../.wh..wh..opq")])],
        "opaque-abs": [base, tar_bytes([f(scratch + "/.wh..wh..opq")])],
        "hardlink-out": [base, tar_bytes([link("pw", "../../../../../../etc/passwd", tarfile.LNKTYPE)])],
        "hardlink-abs": [base, tar_bytes([link("pw", scratch + "/target", tarfile.LNKTYPE)])],
        "dotdot2": [base, tar_bytes([f("a/../../escape")])],
    }
    for name, layers in cases.items():
        layout(os.path.join(out, name), layers)
    layout(os.path.join(out, "digest"), [base], bad="digest")
    layout(os.path.join(out, "diffid"), [base], bad="diffid")
    layout(os.path.join(out, "truncgz"), [base], bad="truncated-gzip")
    # a docker save archive whose manifest names a layer outside the archive
    d = os.path.join(out, "manifest-path")
    os.makedirs(d, exist_ok=True)
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1" * 64]}}).encode()
    h = hashlib.sha256(cfg).hexdigest()
    with open(os.path.join(d, h + ".json"), "wb") as fh:
        fh.write(cfg)
    with open(os.path.join(d, "manifest.json"), "w") as fh:
        json.dump([{"Config": h + ".json", "Layers": ["../../etc/passwd"]}], fh)
    with tarfile.open(os.path.join(out, "manifest-path.tar"), "w") as tf:
        for n in os.listdir(d):
            tf.add(os.path.join(d, n), n)
    print(" ".join(sorted(list(cases) + ["digest", "diffid", "truncgz"])))


def docker25(oci, out):
    idx = json.load(open(os.path.join(oci, "index.json")))
    md = idx["manifests"][0]["digest"]
    man = json.load(open(os.path.join(oci, "blobs", "sha256", md[7:])))
    entry = {"Config": "blobs/sha256/" + man["config"]["digest"][7:], "RepoTags": ["localhost/d25:1"],
             "Layers": ["blobs/sha256/" + l["digest"][7:] for l in man["layers"]]}
    with tarfile.open(out, "w") as tf:
        for name in ["oci-layout", "index.json"]:
            tf.add(os.path.join(oci, name), name)
        for b in sorted(os.listdir(os.path.join(oci, "blobs", "sha256"))):
            tf.add(os.path.join(oci, "blobs", "sha256", b), "blobs/sha256/" + b)
        data = json.dumps([entry]).encode()
        ti = tarfile.TarInfo("manifest.json")
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))


def tokenreg(lay, port, creds):
    idx = json.load(open(os.path.join(lay, "index.json")))
    md = idx["manifests"][0]["digest"]
    token = "diyc-test-token"
    want_basic = "Basic " + base64.b64encode(creds.encode()).decode()

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def send(self, code, body=b"", ctype="application/json", extra=None):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path.startswith("/token"):
                ok = self.headers.get("Authorization") == want_basic and "scope=repository%3At%2Fauth%3Apull" in self.path
                return self.send(200, json.dumps({"token": token}).encode()) if ok else self.send(401)
            if self.headers.get("Authorization") != "Bearer " + token:
                return self.send(401, b"{}", extra={"WWW-Authenticate":
                    'Bearer realm="http://127.0.0.1:%d/token",service="diyc-test",scope="repository:t/auth:pull"' % port})
            if self.path == "/v2/t/auth/manifests/1":
                with open(os.path.join(lay, "blobs", "sha256", md[7:]), "rb") as fh:
                    return self.send(200, fh.read(), "application/vnd.oci.image.manifest.v1+json")
            if self.path.startswith("/v2/t/auth/blobs/sha256:"):
                p = os.path.join(lay, "blobs", "sha256", self.path.rsplit(":", 1)[1])
                if os.path.exists(p):
                    with open(p, "rb") as fh:
                        return self.send(200, fh.read(), "application/octet-stream")
            self.send(404)

    http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()


def stack(base, n, out):
    layers = [open(base, "rb").read()]
    for i in range(1, n):
        layers.append(tar_bytes([f("layer%d/file" % i, b"x" * 4096 * i), f("etc/stack", b"%d" % i)]))
    layout(out, layers, gz=True)
    with open(os.path.join(out, "index.json")) as fh:
        idx = json.load(fh)
    idx["manifests"][0]["annotations"] = {"org.opencontainers.image.ref.name": "stack"}
    with open(os.path.join(out, "index.json"), "w") as fh:
        json.dump(idx, fh)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "tree":
        tree(sys.argv[2])
    elif cmd == "hostile":
        hostile(sys.argv[2], sys.argv[3])
    elif cmd == "docker25":
        docker25(sys.argv[2], sys.argv[3])
    elif cmd == "key":
        print(hashlib.sha256(sys.argv[2].encode()).hexdigest()[:16])
    elif cmd == "stack":
        stack(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif cmd == "tokenreg":
        tokenreg(sys.argv[2], int(sys.argv[3]), sys.argv[4])
