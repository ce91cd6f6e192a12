#!/usr/bin/env python3
"""A linux.seccomp.listenerPath peer: accept one connection, receive the notify fd (SCM_RIGHTS) and the
containerProcessState JSON, print the JSON on one line, then close the fd, which makes every pending and
later notified syscall in the container fail with ENOSYS (seccomp_unotify(2))."""
import json, os, socket, sys

path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
open(path + ".ready", "w").close()
srv.settimeout(20)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 65536, 1)
print(json.dumps(json.loads(msg)), flush=True)
print("fds=%d" % len(fds), flush=True)
for fd in fds:
    os.close(fd)
