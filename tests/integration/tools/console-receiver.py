#!/usr/bin/env python3
"""A --console-socket peer, as conmon is: listen on SOCKET, receive one pty master over SCM_RIGHTS,
print the name that came with it on the first line, then copy everything the container writes to the
terminal to stdout until it closes (EIO), at most TIMEOUT seconds."""
import os, select, socket, sys, time

path, timeout = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 20
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
# bound by its name in its directory: a path longer than sun_path (108 bytes) works too
here = os.getcwd()
os.chdir(os.path.dirname(os.path.abspath(path)))
srv.bind(os.path.basename(path))
os.chdir(here)
srv.listen(1)
open(path + ".ready", "w").close()
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
print(msg.decode(), flush=True)
master = fds[0]
deadline = time.time() + timeout
while time.time() < deadline:
    r, _, _ = select.select([master], [], [], 0.2)
    if not r:
        continue
    try:
        data = os.read(master, 4096)
    except OSError:
        break
    if not data:
        break
    sys.stdout.write(data.decode(errors="replace"))
    sys.stdout.flush()
