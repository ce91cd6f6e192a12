#!/usr/bin/env bats
# process.terminal: the pty of a foreground run, consoleSize, and --console-socket as conmon uses it.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

@test "terminal: a foreground run gets a pty of the container's own, consoleSize and the exit status" {
	bundle_jq '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 99}'
	bundle_args sh -c 'tty; stty size; [ -c /dev/console ] && echo console; exit 5'
	run urun run --bundle "$BUNDLE" fgtty </dev/null
	[ "$status" -eq 5 ]
	[[ $output == *"/dev/pts/0"* ]]
	[[ $output == *"33 99"* ]]
	[[ $output == *console* ]]
}

@test "terminal: stdin is passed through the pty" {
	bundle_jq '.process.terminal = true'
	bundle_args sh -c 'read line; echo "got:$line"'
	run urun run --bundle "$BUNDLE" fgin <<<"hello"
	[ "$status" -eq 0 ]
	[[ $output == *"got:hello"* ]]
}

@test "terminal: --console-socket receives the pty master, and the process writes to it" {
	command -v python3 >/dev/null || skip "python3 is needed for the console-socket peer"
	bundle_jq '.process.terminal = true'
	bundle_args sh -c 'echo "on the terminal: $(tty)"'
	local sock=$BATS_TEST_TMPDIR/console.sock
	python3 "$BATS_TEST_DIRNAME/tools/console-receiver.py" "$sock" 20 >"$BATS_TEST_TMPDIR/console.out" 3>&- &
	local peer=$!
	wait_for_file "$sock.ready"
	create_ctr csock --console-socket "$sock"
	start_ctr csock
	wait "$peer"
	run cat "$BATS_TEST_TMPDIR/console.out"
	[[ ${lines[0]} == /dev/ptmx ]]
	[[ $output == *"on the terminal: /dev/pts/0"* ]]
}

@test "terminal: a detached terminal container without --console-socket is refused" {
	bundle_jq '.process.terminal = true'
	run --separate-stderr urun create --bundle "$BUNDLE" --pid-file "$PIDFILE" nosock
	assert_urun_error "process.terminal is true" "--console-socket"
	assert_nothing_left nosock
	run --separate-stderr urun run --detach --bundle "$BUNDLE" nosock
	assert_urun_error "--console-socket"
	assert_nothing_left nosock
}

@test "terminal: --console-socket without process.terminal, or to a missing socket, is refused" {
	run --separate-stderr urun create --bundle "$BUNDLE" --console-socket "$BATS_TEST_TMPDIR/x.sock" noterm
	assert_urun_error "--console-socket is only used when process.terminal is true"
	assert_nothing_left noterm
	bundle_jq '.process.terminal = true'
	run --separate-stderr urun create --bundle "$BUNDLE" --console-socket "$BATS_TEST_TMPDIR/missing.sock" nopeer
	assert_urun_error "--console-socket: connect $BATS_TEST_TMPDIR/missing.sock"
	assert_nothing_left nopeer
}
