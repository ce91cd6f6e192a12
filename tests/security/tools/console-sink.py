#!/usr/bin/env python3
"""A --console-socket peer that takes any number of connections, as conmon does for one container
after another: listen on SOCKET, and for each connection receive one pty master over SCM_RIGHTS and
copy everything written to it to stdout. Stops after TIMEOUT seconds or when killed."""
import os, select, socket, sys, time

path, timeout = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 60
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(16)
open(path + ".ready", "w").close()
masters = []
deadline = time.time() + timeout
while time.time() < deadline:
    r, _, _ = select.select([srv] + masters, [], [], 0.2)
    for f in r:
        if f is srv:
            conn, _ = srv.accept()
            try:
                _, fds, _, _ = socket.recv_fds(conn, 1024, 1)
                masters.extend(fds)
            finally:
                conn.close()
            continue
        try:
            data = os.read(f, 4096)
        except OSError:
            data = b""
        if not data:
            masters.remove(f)
            os.close(f)
            continue
        sys.stdout.write(data.decode(errors="replace"))
        sys.stdout.flush()
