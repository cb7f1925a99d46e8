#!/usr/bin/env python3
"""The receiving end of an OCI --console-socket, as conmon and containerd-shim are:
listen on PATH, take the pty master sent with SCM_RIGHTS, optionally type INPUT into
it, and print what the container writes until it closes (or TIMEOUT seconds).
Usage: console-recv.py PATH [INPUT] [TIMEOUT]"""
import os, select, socket, sys, time

path = sys.argv[1]
text = sys.argv[2] if len(sys.argv) > 2 else ""
limit = float(sys.argv[3]) if len(sys.argv) > 3 else 10
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(limit)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
conn.close()
srv.close()
if not fds:
    print("no fd received", file=sys.stderr)
    sys.exit(1)
master = fds[0]
print("name=" + msg.decode(), flush=True)
if text:
    os.write(master, text.encode())
end = time.time() + limit
out = b""
while time.time() < end:
    r, _, _ = select.select([master], [], [], 0.2)
    if not r:
        continue
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode(errors="replace"))
