#!/usr/bin/env bats
# `urun kill`: signal names and numbers, the default signal, --all, and its errors.

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	bundle_share
	# The container's PID 1 only receives signals it handles (pid_namespaces(7)), so it traps them and
	# logs each one; TERM also ends it.
	bundle_args sh -c '
		trap "echo USR1 >>/shared/log" USR1
		trap "echo USR2 >>/shared/log" USR2
		trap "echo TERM >>/shared/log; exit 0" TERM
		touch /shared/ready
		while :; do sleep 0.05; done'
}
teardown() { common_teardown; }

start_trapping() {
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
}

# Waits until the container's signal log has N lines and its last is WHAT.
wait_log() {
	local n=$1 what=$2
	for _ in $(seq 200); do
		if [ "$(grep -c . "$SHARED/log" 2>/dev/null)" = "$n" ]; then
			[ "$(tail -n 1 "$SHARED/log")" = "$what" ] && return 0
			echo "signal log: $(cat "$SHARED/log")" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "signal log never reached $n lines: $(cat "$SHARED/log" 2>/dev/null)" >&2
	return 1
}

@test "kill without a signal sends SIGTERM" {
	start_trapping
	run urun kill c1
	[ "$status" -eq 0 ]
	wait_log 1 TERM
	wait_status c1 stopped
}

@test "kill by name with and without SIG, and by number" {
	start_trapping
	run urun kill c1 USR1
	[ "$status" -eq 0 ]
	wait_log 1 USR1
	run urun kill c1 SIGUSR2
	[ "$status" -eq 0 ]
	wait_log 2 USR2
	run urun kill c1 "$(kill -l USR1)"
	[ "$status" -eq 0 ]
	wait_log 3 USR1
	run urun kill c1 SIGTERM
	[ "$status" -eq 0 ]
	wait_log 4 TERM
	wait_status c1 stopped
}

@test "kill KILL and kill 9 stop a container" {
	start_trapping
	run urun kill c1 KILL
	[ "$status" -eq 0 ]
	wait_status c1 stopped
	bundle_args sh -c 'touch /shared/ready2; sleep 1000'
	create_ctr c2
	start_ctr c2
	wait_for_file "$SHARED/ready2"
	run urun kill c2 9
	[ "$status" -eq 0 ]
	wait_status c2 stopped
}

@test "kill --all and kill -a stop the whole container" {
	bundle_long_running
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	run urun kill --all c1 KILL
	[ "$status" -eq 0 ]
	wait_status c1 stopped
	[ -z "$(procs_with "sleep $SLEEP_ARG")" ]

	rm "$SHARED/ready"
	create_ctr c2
	start_ctr c2
	wait_for_file "$SHARED/ready"
	run urun kill -a c2 SIGKILL
	[ "$status" -eq 0 ]
	wait_status c2 stopped
}

@test "kill of a created container stops it before it ever runs" {
	create_ctr c1
	run urun kill c1 KILL
	[ "$status" -eq 0 ]
	wait_status c1 stopped
	[ ! -e "$SHARED/ready" ]
	run urun delete c1
	[ "$status" -eq 0 ]
}

@test "kill with an invalid signal fails and signals nothing" {
	start_trapping
	for sig in NOPE SIGNOPE 999 TERMX ''; do
		run --separate-stderr urun kill c1 "$sig"
		if [ "$status" -ne 1 ] || [ -z "$stderr" ]; then
			echo "kill c1 '$sig': status $status, stderr: $stderr" >&2
			return 1
		fi
	done
	sleep 0.2
	[ ! -e "$SHARED/log" ]
	[ "$(state_field c1 .status)" = running ]
}

@test "kill of an unknown container: container X does not exist" {
	run --separate-stderr urun kill nosuch KILL
	assert_urun_error "container nosuch does not exist"
}
