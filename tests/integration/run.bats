#!/usr/bin/env bats
# `urun run`: create + start + wait, exit codes, signals, --keep, --detach, --pid-file.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# Starts `urun run ARGS...` in the background (not through a function, so that $! is urun itself)
# and sets RUN_PID. bash starts background commands with SIGINT and SIGQUIT ignored, which the
# container would inherit (and a shell cannot trap a signal ignored on entry): env resets them.
run_in_background() {
	env --default-signal=INT,QUIT "$URUN" --root "$URUN_ROOT" run "$@" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>"$BATS_TEST_TMPDIR/run.err" 3>&- &
	RUN_PID=$!
}

# Waits for the background `urun run` and sets status to its exit status.
wait_run() {
	status=0
	wait "$RUN_PID" || status=$?
	echo "run exited $status; stderr: $(cat "$BATS_TEST_TMPDIR/run.err")" >&2
}

@test "run prints the container's output and exits 0" {
	bundle_args sh -c 'echo hello; echo to-stderr >&2'
	run --separate-stderr urun run --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	[ "$output" = hello ]
	[ "$stderr" = to-stderr ]
}

@test "run passes the container's stdin through" {
	bundle_args sh -c 'read x; echo "got $x"'
	run urun run --bundle "$BUNDLE" c1 <<<"line-from-stdin"
	[ "$status" -eq 0 ]
	[ "$output" = "got line-from-stdin" ]
}

@test "run returns the container's exit code" {
	for code in 0 1 3 42 255; do
		bundle_args sh -c "exit $code"
		run urun run --bundle "$BUNDLE" "c$code"
		if [ "$status" -ne "$code" ]; then
			echo "exit $code in the container: urun run returned $status ($output)" >&2
			return 1
		fi
	done
}

@test "run deletes the container after it exits" {
	bundle_args true
	run urun run --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	[ -z "$(urun list -q)" ]
	[ ! -e "$URUN_ROOT/c1" ]
	# The ID is free again.
	run urun run --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
}

@test "run deletes the container after a non-zero exit too" {
	bundle_args sh -c 'exit 3'
	run urun run --bundle "$BUNDLE" c1
	[ "$status" -eq 3 ]
	[ ! -e "$URUN_ROOT/c1" ]
}

@test "run --keep keeps the stopped container" {
	bundle_args sh -c 'exit 7'
	run urun run --keep --bundle "$BUNDLE" c1
	[ "$status" -eq 7 ]
	run urun list -q
	[ "$output" = c1 ]
	[ "$(state_field c1 .status)" = stopped ]
	run urun delete c1
	[ "$status" -eq 0 ]
}

@test "run: -b DIR after the ID, and --bundle=DIR" {
	bundle_args true
	run urun run c1 -b "$BUNDLE"
	[ "$status" -eq 0 ]
	run urun run --bundle="$BUNDLE" c2
	[ "$status" -eq 0 ]
}

@test "run returns 137 when urun kill KILLs the container from another shell" {
	bundle_share
	bundle_args sh -c "touch /shared/ready; exec sleep $SLEEP_ARG"
	run_in_background --bundle "$BUNDLE" c1
	wait_for_file "$SHARED/ready"
	run urun kill c1 KILL
	[ "$status" -eq 0 ]
	wait_run
	[ "$status" -eq 137 ]
	[ ! -e "$URUN_ROOT/c1" ]
}

@test "run forwards SIGTERM it receives to the container" {
	bundle_share
	bundle_args sh -c 'trap "echo got-TERM >/shared/log; exit 42" TERM; touch /shared/ready; while :; do sleep 0.05; done'
	run_in_background --bundle "$BUNDLE" c1
	wait_for_file "$SHARED/ready"
	kill -TERM "$RUN_PID"
	wait_run
	[ "$status" -eq 42 ]
	[ "$(cat "$SHARED/log")" = got-TERM ]
}

@test "run forwards SIGINT, SIGHUP and SIGUSR1 too" {
	bundle_share
	bundle_args sh -c '
		for s in INT HUP USR1; do trap "echo $s >>/shared/log" $s; done
		trap "exit 5" TERM
		touch /shared/ready
		while :; do sleep 0.05; done'
	run_in_background --bundle "$BUNDLE" c1
	wait_for_file "$SHARED/ready"
	local n=0
	for s in INT HUP USR1; do
		kill -"$s" "$RUN_PID"
		n=$((n + 1))
		for _ in $(seq 100); do
			[ "$(grep -c . "$SHARED/log" 2>/dev/null)" = "$n" ] && break
			sleep 0.05
		done
		[ "$(tail -n 1 "$SHARED/log")" = "$s" ]
	done
	kill -TERM "$RUN_PID"
	wait_run
	[ "$status" -eq 5 ]
}

@test "run --detach returns while the container runs" {
	bundle_long_running
	run_detached run --detach --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	wait_for_file "$SHARED/ready"
	[ "$(state_field c1 .status)" = running ]
	run urun kill c1 KILL
	wait_status c1 stopped
	# A detached container is not deleted when it stops.
	run urun delete c1
	[ "$status" -eq 0 ]
}

@test "run -d --pid-file writes the container's pid" {
	bundle_long_running
	run_detached run -d --pid-file "$PIDFILE" --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	[ "$(cat "$PIDFILE")" = "$(state_field c1 .pid)" ]
	pid_alive "$(cat "$PIDFILE")"
}

@test "run --pid-file=FILE writes the pid while the container runs" {
	bundle_share
	bundle_args sh -c 'echo $$ >/shared/inner; touch /shared/ready; read x </shared/fifo'
	mkfifo "$SHARED/fifo"
	run_in_background --pid-file="$PIDFILE" --bundle "$BUNDLE" c1
	wait_for_file "$SHARED/ready"
	[ "$(cat "$PIDFILE")" = "$(state_field c1 .pid)" ]
	# Inside its own PID namespace the process is PID 1.
	[ "$(cat "$SHARED/inner")" = 1 ]
	echo go >"$SHARED/fifo"
	wait_run
	[ "$status" -eq 0 ]
}

@test "run of an existing ID fails and leaves the container alone" {
	create_ctr c1
	bundle_args true
	run --separate-stderr urun run --bundle "$BUNDLE" c1
	assert_urun_error "container c1 already exists"
	[ "$(state_field c1 .status)" = created ]
}

@test "run of a missing executable fails, naming it, and leaves nothing" {
	bundle_args /bin/no-such-program
	run --separate-stderr urun run --pid-file "$PIDFILE" --bundle "$BUNDLE" c1
	[ "$status" -ne 0 ]
	assert_contains "$stderr" no-such-program
	assert_nothing_left c1
}

@test "run --preserve-fds 1 passes fd 3 to the container" {
	echo "through fd 3" >"$BATS_TEST_TMPDIR/fd3"
	bundle_args sh -c 'cat <&3'
	# Not through urun(), which closes fd 3.
	run timeout 60 "$URUN" --root "$URUN_ROOT" run --preserve-fds 1 --bundle "$BUNDLE" c1 3<"$BATS_TEST_TMPDIR/fd3"
	[ "$status" -eq 0 ]
	[ "$output" = "through fd 3" ]
}

@test "run without --preserve-fds passes no extra fd" {
	bundle_args sh -c 'ls /proc/self/fd'
	local f=$BATS_TEST_TMPDIR/extra
	touch "$f"
	run timeout 60 "$URUN" --root "$URUN_ROOT" run --bundle "$BUNDLE" c1 3<"$f" 4<"$f" 7<"$f"
	[ "$status" -eq 0 ]
	# ls itself opens one directory fd; only 0 1 2 and that may show.
	local fds
	fds=$(tr -s ' \n' '\n' <<<"$output" | grep -c '^[0-9]')
	[ "$fds" -le 4 ]
}

@test "run --no-pivot and --no-new-keyring work" {
	bundle_args sh -c 'test -x /bin/busybox && test ! -e /etc/debian_version && echo ok'
	run urun run --no-pivot --no-new-keyring --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}
