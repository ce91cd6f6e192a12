#!/usr/bin/env bats
# Attack class: paths the container controls resolved through an fd that points outside it.
# Ancestor: CVE-2024-21626 (runc "Leaky Vessels": WORKDIR /proc/self/fd/N reached the host through a
# leaked directory fd). Every container-controlled path (process.cwd, exec --cwd, args[0], PATH) is
# tried through every fd from 3 to 64, for the fds urun itself holds and for a directory fd the
# caller leaves open. A host directory holds a marker file and an executable that prints it: the
# test fails if any container output shows the marker.

load ../integration/helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	HOSTDIR=$BATS_TEST_TMPDIR/hostdir
	MARK=host-marker-$RANDOM$RANDOM
	mkdir -p "$HOSTDIR"
	echo "$MARK" >"$HOSTDIR/marker"
	printf '#!/bin/sh\necho %s\n' "$MARK" >"$HOSTDIR/run-me"
	chmod 755 "$HOSTDIR/run-me"
	# From any host directory at depth <= 10, this walks to the host's / and then to $HOSTDIR.
	UP=../../../../../../../../../..$HOSTDIR
	# A shell snippet that climbs from its cwd and prints the marker if it ever sees it.
	CLIMB="for i in 1 2 3 4 5 6 7 8 9 10 11; do cat ./marker ./${HOSTDIR#/}/marker 2>/dev/null; cd .. || break; done; true"
}
teardown() {
	if [ -n "${PEER:-}" ]; then
		kill "$PEER" 2>/dev/null || true
		wait "$PEER" 2>/dev/null || true
	fi
	common_teardown
}

# urun with the caller's fds as given (the suite's `urun` closes fd 3, which these tests pass on).
urun_fds() {
	timeout -k 5 "$URUN_TEST_TIMEOUT" "$URUN" --root "$URUN_ROOT" "$@"
}

# A run that did not reach the host either failed naming FIELD, or ran inside the container (an
# fd of the container's own, such as the init's /proc, is a directory inside it).
assert_refused_or_inside() {
	if [ "$status" -ne 0 ]; then
		assert_contains "$stderr" "$1"
	fi
}

refute_marker() {
	if [[ $output == *"$MARK"* ]]; then
		echo "the container reached the host directory $HOSTDIR: $output" >&2
		return 1
	fi
}

@test "fd escape: process.cwd /proc/self/fd/N (N = 3..64) never reaches the host, caller's fd 9 open" {
	bundle_args sh -c "$CLIMB"
	local n
	for n in $(seq 3 64); do
		bundle_jq --arg c "/proc/self/fd/$n" '.process.cwd = $c'
		run --separate-stderr urun run --bundle "$BUNDLE" "cwd$n" 9<"$HOSTDIR" </dev/null
		output="$output $stderr" refute_marker
		assert_refused_or_inside "process.cwd"
	done
}

@test "fd escape: a cwd through a preserved directory fd is refused as outside the container" {
	bundle_args sh -c "$CLIMB"
	bundle_jq '.process.cwd = "/proc/self/fd/3"'
	run --separate-stderr urun_fds run --preserve-fds 1 --bundle "$BUNDLE" pres 3<"$HOSTDIR" </dev/null
	output="$output $stderr" refute_marker
	assert_urun_error "process.cwd" "outside the container"
	# stdin as a host directory: the same
	bundle_jq '.process.cwd = "/proc/self/fd/0"'
	run --separate-stderr urun_fds run --bundle "$BUNDLE" stdin <"$HOSTDIR"
	output="$output $stderr" refute_marker
	assert_urun_error "process.cwd" "outside the container"
}

@test "fd escape: process.args[0] and PATH through /proc/self/fd/N (N = 3..64) never run a host file" {
	local n
	for n in $(seq 3 64); do
		bundle_args "/proc/self/fd/$n/$UP/run-me"
		run --separate-stderr urun run --bundle "$BUNDLE" "arg$n" 9<"$HOSTDIR" </dev/null
		output="$output $stderr" refute_marker
		[ "$status" -ne 0 ]
		bundle_args run-me
		bundle_jq --arg p "PATH=/proc/self/fd/$n/$UP" '.process.env = [$p]'
		run --separate-stderr urun run --bundle "$BUNDLE" "path$n" 9<"$HOSTDIR" </dev/null
		output="$output $stderr" refute_marker
		[ "$status" -ne 0 ]
		# the same error whatever the fd: nothing tells a host file's existence
		assert_contains "$stderr" 'exec: "run-me": executable file not found in $PATH'
		bundle_jq 'del(.process.env)'
	done
}

@test "fd escape: exec --cwd, args[0] and PATH through /proc/self/fd/N (N = 3..64), caller's fd 9 open" {
	bundle_args sleep "$SLEEP_ARG"
	run_detached run --detach --bundle "$BUNDLE" tgt
	[ "$status" -eq 0 ]
	local n
	for n in $(seq 3 64); do
		run --separate-stderr urun exec --cwd "/proc/self/fd/$n" tgt sh -c "$CLIMB" 9<"$HOSTDIR" </dev/null
		output="$output $stderr" refute_marker
		assert_refused_or_inside "cwd"
		run --separate-stderr urun exec tgt "/proc/self/fd/$n/$UP/run-me" 9<"$HOSTDIR" </dev/null
		output="$output $stderr" refute_marker
		[ "$status" -ne 0 ]
		run --separate-stderr urun exec --env "PATH=/proc/self/fd/$n/$UP" tgt run-me 9<"$HOSTDIR" </dev/null
		output="$output $stderr" refute_marker
		[ "$status" -ne 0 ]
	done
	run --separate-stderr urun_fds exec --preserve-fds 7 --cwd /proc/self/fd/9 tgt sh -c "$CLIMB" \
		3</dev/null 4</dev/null 5</dev/null 6</dev/null 7</dev/null 8</dev/null 9<"$HOSTDIR" </dev/null
	output="$output $stderr" refute_marker
	assert_urun_error "cwd" "outside the container"
}

@test "fd escape: exec -t with a console socket, --cwd /proc/self/fd/N (N = 3..64)" {
	command -v python3 >/dev/null || skip "python3 is needed for the console-socket peer"
	bundle_args sleep "$SLEEP_ARG"
	run_detached run --detach --bundle "$BUNDLE" tgt
	[ "$status" -eq 0 ]
	local sock=$BATS_TEST_TMPDIR/console.sock
	python3 "$BATS_TEST_DIRNAME/tools/console-sink.py" "$sock" 120 >"$BATS_TEST_TMPDIR/console.out" 3>&- &
	PEER=$!
	wait_for_file "$sock.ready"
	local n
	for n in $(seq 3 64); do
		run --separate-stderr urun exec -t -d --console-socket "$sock" --cwd "/proc/self/fd/$n" tgt sh -c "$CLIMB" \
			9<"$HOSTDIR" </dev/null
		output="$output $stderr" refute_marker
		assert_refused_or_inside "cwd"
	done
	kill "$PEER" 2>/dev/null || true
	wait "$PEER" || true
	PEER=
	run cat "$BATS_TEST_TMPDIR/console.out"
	refute_marker
}

@test "fd escape: create with a console socket and process.cwd /proc/self/fd/N (N = 3..64)" {
	command -v python3 >/dev/null || skip "python3 is needed for the console-socket peer"
	local sock=$BATS_TEST_TMPDIR/console.sock
	python3 "$BATS_TEST_DIRNAME/tools/console-sink.py" "$sock" 120 >"$BATS_TEST_TMPDIR/console.out" 3>&- &
	PEER=$!
	wait_for_file "$sock.ready"
	bundle_jq '.process.terminal = true'
	bundle_args sh -c "$CLIMB"
	local n
	for n in $(seq 3 64); do
		bundle_jq --arg c "/proc/self/fd/$n" '.process.cwd = $c'
		run_detached create --console-socket "$sock" --bundle "$BUNDLE" "tty$n" 9<"$HOSTDIR"
		if [ "$status" -eq 0 ]; then
			urun start "tty$n" || true
		fi
		output="$output $(cat "$CTR_OUT")" refute_marker
		stderr=$output assert_refused_or_inside "process.cwd"
	done
	kill "$PEER" 2>/dev/null || true
	wait "$PEER" || true
	PEER=
	run cat "$BATS_TEST_TMPDIR/console.out"
	refute_marker
}

@test "fd escape: a process exec'd into a created container sees none of the init's fds or its binary" {
	# The init of a created container is urun's own code holding the exec fifo: it stays
	# non-dumpable, so its /proc entries (fd, exe, cwd, root) are closed to the container.
	bundle_args true
	create_ctr held 9<"$HOSTDIR"
	run --separate-stderr urun exec held sh -c 'ls /proc/1/fd; readlink /proc/1/exe; ls /proc/1/cwd/; cat /proc/1/exe >/dev/null && echo EXE-READ'
	[ "$status" -ne 0 ]
	refute_marker
	[[ $output != *EXE-READ* ]]
	[[ $output != *urun* ]]
	assert_contains "$stderr" "Permission denied"
	[ "$(state_field held .status)" = created ]
}
