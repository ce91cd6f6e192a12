#!/usr/bin/env bats
# A created container (init waiting on the exec fifo, non-dumpable): exec, ps and kill --all reach it
# through the namespaces its init hands over (src/runtime/nsshare.h).  The containers here have no cgroup
# (--cgroup-manager disabled, as on a cgroup v1 host), so ps and kill --all go through the pid
# namespace too.

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	bundle_args sh -c 'echo started; sleep 1000'
}
teardown() { common_teardown; }

nocg_create() {
	run_detached --cgroup-manager disabled create --bundle "$BUNDLE" "$1"
	[ "$status" -eq 0 ] || { echo "create $1: $output" >&2; return 1; }
}

@test "created: exec runs in the created container's namespaces, and start still works afterwards" {
	nocg_create c1
	run --separate-stderr urun exec c1 sh -c 'echo $$; hostname; cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != 1 ]
	[ "$(state_field c1 .status)" = created ]
	# the exec'd process sees the init as pid 1 of its pid namespace
	run --separate-stderr urun exec c1 sh -c 'ls /proc | grep -c "^[0-9]"'
	[ "$status" -eq 0 ]
	start_ctr c1
	[ "$(state_field c1 .status)" = running ]
	run --separate-stderr urun exec c1 sh -c 'cat /proc/1/cmdline | tr "\0" " "'
	[ "$status" -eq 0 ]
	assert_contains "$output" "sleep 1000"
}

@test "created: exec -d leaves a process that ps lists and kill --all stops" {
	nocg_create c2
	# detached: its output goes to files, or bats would wait for the sleep to close its pipe
	run_detached exec -d c2 sleep "$SLEEP_ARG"
	[ "$status" -eq 0 ]
	run --separate-stderr urun ps --format json c2
	[ "$status" -eq 0 ]
	local n
	n=$(jq length <<<"$output")
	[ "$n" -eq 2 ]
	local pid
	pid=$(procs_with "sleep $SLEEP_ARG")
	[ -n "$pid" ]
	run urun kill --all c2 KILL
	[ "$status" -eq 0 ]
	for _ in $(seq 100); do pid_alive "$pid" || break; sleep 0.05; done
	! pid_alive "$pid"
}

@test "created: the namespace socket exists while created, exec works after start, and delete removes it all" {
	nocg_create c3
	[ -S "$URUN_ROOT"/c3*/ns.sock ] || ls -R "$URUN_ROOT" >&2
	start_ctr c3
	run --separate-stderr urun exec c3 true
	[ "$status" -eq 0 ]
	urun delete --force c3
	[ -z "$(ls "$URUN_ROOT")" ]
}
