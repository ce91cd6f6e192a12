#!/usr/bin/env python3
"""The caller's NOTIFY_SOCKET, as systemd would be: bind a datagram socket at PATH, touch PATH.ready,
print every datagram received (one per line, newlines shown as '|') until TIMEOUT seconds pass."""
import os, socket, sys, time

path, timeout = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 10
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
open(path + ".ready", "w").close()
s.settimeout(0.2)
end = time.time() + timeout
while time.time() < end:
    try:
        data = s.recv(4096)
    except socket.timeout:
        continue
    print(data.decode().strip().replace("\n", "|"), flush=True)
