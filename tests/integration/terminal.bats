#!/usr/bin/env bats
# process.terminal: the pty of a foreground run, consoleSize, and --console-socket as conmon uses it.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# Runs ARGS on a terminal of their own (util-linux script), as a person at a terminal would; stdin
# is passed through.  status and output as `run` sets them.
on_tty() {
	local cmd
	printf -v cmd '%q ' "$@"
	run script -qefc "$cmd" /dev/null
	output=${output//$'\r'/}
	mapfile -t lines <<<"$output"
}

@test "terminal: a foreground run gets a pty of the container's own, consoleSize and the exit status" {
	bundle_jq '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 99}'
	bundle_args sh -c 'tty; stty size; [ -c /dev/console ] && echo console; exit 5'
	# a foreground run copies the caller's window size (runc's too): make it the same
	on_tty sh -c 'stty rows 33 cols 99 && exec "$@"' sh "$URUN" --root "$URUN_ROOT" run --bundle "$BUNDLE" fgtty </dev/null
	[ "$status" -eq 5 ]
	[[ $output == *"/dev/pts/0"* ]]
	[[ $output == *"33 99"* ]]
	[[ $output == *console* ]]
}

@test "terminal: stdin is passed through the pty" {
	bundle_jq '.process.terminal = true'
	bundle_args sh -c 'read line; echo "got:$line"'
	on_tty "$URUN" --root "$URUN_ROOT" run --bundle "$BUNDLE" fgin <<<"hello"
	[ "$status" -eq 0 ]
	[[ $output == *"got:hello"* ]]
}

@test "terminal: a foreground terminal container without a terminal fails at once, leaving nothing" {
	bundle_jq '.process.terminal = true'
	bundle_args sh -c 'read line; echo "got:$line"'
	# stdin a pipe that never closes, as ssh without -t gives: it used to wait forever
	run --separate-stderr timeout 10 "$URUN" --root "$URUN_ROOT" run --bundle "$BUNDLE" notty < <(sleep 20)
	assert_urun_error "process.terminal is true but stdin is not a terminal"
	assert_nothing_left notty
}

# console_receiver SOCK: tools/console-receiver.py listening on SOCK in the background (20 s at
# most), once it is ready; console_output then waits for it and puts what it wrote (the name of the
# fd it got, then what came through the pty master) in $output and $lines.
console_receiver() {
	python3 "$BATS_TEST_DIRNAME/tools/console-receiver.py" "$1" 20 >"$BATS_TEST_TMPDIR/console.out" 3>&- &
	CONSOLE_PEER=$!
	wait_for_file "$1.ready"
}

console_output() {
	wait "$CONSOLE_PEER"
	run cat "$BATS_TEST_TMPDIR/console.out"
}

@test "terminal: create with a console socket lets go of its caller's stdout and stderr (create | cat returns)" {
	command -v python3 >/dev/null || skip "python3 is needed for the console-socket peer"
	bundle_jq '.process.terminal = true'
	bundle_args sh -c 'echo on-the-pty'
	local sock=$BATS_TEST_TMPDIR/console.sock
	console_receiver "$sock"
	# containerd's shim reads create's output through a pipe until it closes: it must close when
	# create returns, although the container waits for start
	run timeout 10 bash -c '"$0" --root "$1" create --console-socket "$2" --bundle "$3" piped 2>&1 | cat' \
		"$URUN" "$URUN_ROOT" "$sock" "$BUNDLE" 3>&-
	[ "$status" -eq 0 ]
	[ "$(state_field piped .status)" = created ]
	start_ctr piped
	console_output
	[[ $output == *on-the-pty* ]]
}

@test "terminal: --console-socket receives the pty master, and the process writes to it" {
	command -v python3 >/dev/null || skip "python3 is needed for the console-socket peer"
	bundle_jq '.process.terminal = true'
	bundle_args sh -c 'echo "on the terminal: $(tty)"'
	local sock=$BATS_TEST_TMPDIR/console.sock
	console_receiver "$sock"
	create_ctr csock --console-socket "$sock"
	start_ctr csock
	console_output
	[[ ${lines[0]} == /dev/ptmx ]]
	[[ $output == *"on the terminal: /dev/pts/0"* ]]
}

@test "terminal: a --console-socket path longer than a socket address (108 bytes) is reached through its directory" {
	command -v python3 >/dev/null || skip "python3 is needed for the console-socket peer"
	bundle_jq '.process.terminal = true'
	bundle_args sh -c 'echo "deep terminal: $(tty)"'
	local dir=$BATS_TEST_TMPDIR/a-directory-deep-enough-that/the-socket-path-is-longer-than/what-sun-path-holds
	mkdir -p "$dir"
	local sock=$dir/console.sock
	[ "${#sock}" -gt 108 ]
	console_receiver "$sock"
	create_ctr deepsock --console-socket "$sock"
	start_ctr deepsock
	console_output
	[[ ${lines[0]} == /dev/ptmx ]]
	[[ $output == *"deep terminal: /dev/pts/0"* ]]
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
