#!/usr/bin/env bats
# Attack class: denial of service by a peer the caller names that never answers: a --console-socket
# listener that never accepts made `create` block in connect(2) forever (a unix socket whose backlog
# is full blocks the connecting side). No CVE of its own; its ancestor is runc's create hang on
# --preserve-fds (opencontainers/runc#2000). urun connects with a 5 s timeout, which also bounds the
# send of the pty (util_connect_unix, SO_SNDTIMEO).

load ../integration/helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# A listener at SOCK with a backlog of 0 that one connection of its own fills, and that never
# accepts: the next connect(2) blocks. Ready when SOCK.ready exists; exits after 30 s at most.
full_listener() {
	python3 -c '
import socket, sys, time
path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(0)
filler = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
filler.connect(path)
open(path + ".ready", "w").close()
time.sleep(30)
' "$1" 3>&- &
	LISTENER=$!
	wait_for_file "$1.ready"
}

@test "console socket: a listener that never accepts fails create within seconds, leaving nothing" {
	command -v python3 >/dev/null || skip "python3 is needed for the listener"
	bundle_jq '.process.terminal = true'
	local sock=$BATS_TEST_TMPDIR/full.sock
	full_listener "$sock"
	local t0=$SECONDS
	# not urun(): a hang must show as status 124 of this short timeout, not the suite's 60 s one
	run --separate-stderr timeout -k 2 20 "$URUN" --root "$URUN_ROOT" create --bundle "$BUNDLE" \
		--console-socket "$sock" --pid-file "$PIDFILE" hang 3>&-
	kill "$LISTENER" 2>/dev/null || true
	[ "$status" -ne 124 ]
	assert_urun_error "--console-socket: connect $sock: no connection accepted within 5 s: Connection timed out"
	[ $((SECONDS - t0)) -lt 15 ]
	assert_nothing_left hang
}

@test "console socket: run --detach with a listener that never accepts fails too" {
	command -v python3 >/dev/null || skip "python3 is needed for the listener"
	bundle_jq '.process.terminal = true'
	local sock=$BATS_TEST_TMPDIR/full.sock
	full_listener "$sock"
	run --separate-stderr timeout -k 2 20 "$URUN" --root "$URUN_ROOT" run --detach --bundle "$BUNDLE" \
		--console-socket "$sock" hangrun 3>&-
	kill "$LISTENER" 2>/dev/null || true
	[ "$status" -ne 124 ]
	assert_urun_error "--console-socket: connect $sock: no connection accepted within 5 s"
	assert_nothing_left hangrun
}

@test "console socket: a listener that accepts late (within the timeout) still gets the pty" {
	command -v python3 >/dev/null || skip "python3 is needed for the listener"
	bundle_jq '.process.terminal = true'
	bundle_args sh -c 'echo "late peer: $(tty)"'
	local sock=$BATS_TEST_TMPDIR/late.sock
	# the same full backlog, but the listener accepts (and drops) its own filler after 1 s, then
	# takes urun's connection and reads the pty as conmon does
	python3 -c '
import os, select, socket, sys, time
path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(0)
filler = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
filler.connect(path)
open(path + ".ready", "w").close()
time.sleep(1)
srv.accept()[0].close()
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
print(msg.decode(), flush=True)
end = time.time() + 20
while time.time() < end:
    if not select.select([fds[0]], [], [], 0.2)[0]:
        continue
    try:
        data = os.read(fds[0], 4096)
    except OSError:
        break
    if not data:
        break
    sys.stdout.write(data.decode(errors="replace"))
    sys.stdout.flush()
' "$sock" >"$BATS_TEST_TMPDIR/late.out" 3>&- &
	local peer=$!
	wait_for_file "$sock.ready"
	create_ctr late --console-socket "$sock"
	start_ctr late
	wait "$peer"
	run cat "$BATS_TEST_TMPDIR/late.out"
	[[ ${lines[0]} == /dev/ptmx ]]
	[[ $output == *"late peer: /dev/pts/0"* ]]
}
