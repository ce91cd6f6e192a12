#!/usr/bin/env bats
# create → start → stopped → delete: runc's lifecycle, state, start/delete rules, --pid-file.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

@test "the user's process runs at start, not at create (marker in a bind-mounted dir)" {
	bundle_share
	bundle_args sh -c 'touch /shared/marker'
	create_ctr c1
	# Give a process that wrongly ran early the time to show itself.
	sleep 0.3
	[ ! -e "$SHARED/marker" ]
	[ "$(state_field c1 .status)" = created ]
	start_ctr c1
	wait_for_file "$SHARED/marker"
	wait_status c1 stopped
}

@test "the user's process runs at start, not at create (marker in the rootfs)" {
	bundle_jq '.root.readonly = false'
	bundle_args touch /marker
	create_ctr c1
	sleep 0.3
	[ ! -e "$BUNDLE/rootfs/marker" ]
	start_ctr c1
	wait_for_file "$BUNDLE/rootfs/marker"
}

@test "create then start: the container's stdout is create's stdout" {
	bundle_args sh -c 'echo hello from the container'
	create_ctr c1
	local out=$CTR_OUT
	[ ! -s "$out" ]
	start_ctr c1
	wait_status c1 stopped
	grep -q 'hello from the container' "$out"
}

@test "state of a created container" {
	create_ctr c1
	run --separate-stderr urun state c1
	[ "$status" -eq 0 ]
	local s=$output
	jq -e '.ociVersion | type == "string" and length > 0' <<<"$s"
	jq -e '.id == "c1"' <<<"$s"
	jq -e '.status == "created"' <<<"$s"
	jq -e '.pid | type == "number" and . > 1' <<<"$s"
	jq -e --arg b "$(cd "$BUNDLE" && pwd -P)" '.bundle == $b' <<<"$s"
	jq -e 'has("rootfs") and (.rootfs | type == "string")' <<<"$s"
	jq -e '.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")' <<<"$s"
	jq -e 'has("owner")' <<<"$s"
	jq -e '.annotations | type == "object"' <<<"$s"
	# The recorded pid is a live process: the container's init, waiting.
	pid_alive "$(jq .pid <<<"$s")"
}

@test "state carries the spec's annotations" {
	bundle_jq '.annotations = {"org.example.key": "value \"quoted\""}'
	create_ctr c1
	[ "$(state_field c1 '.annotations["org.example.key"]')" = 'value "quoted"' ]
}

@test "state follows created → running → stopped" {
	bundle_share
	bundle_args sh -c 'touch /shared/ready; read line </shared/fifo'
	mkfifo "$SHARED/fifo"
	create_ctr c1
	local pid
	pid=$(state_field c1 .pid)
	[ "$(state_field c1 .status)" = created ]
	start_ctr c1
	wait_for_file "$SHARED/ready"
	[ "$(state_field c1 .status)" = running ]
	[ "$(state_field c1 .pid)" = "$pid" ]
	echo go >"$SHARED/fifo"
	wait_status c1 stopped
}

@test "create: --bundle DIR, --bundle=DIR and -b DIR after the ID" {
	create_ctr c1
	run_detached create --bundle="$BUNDLE" c2
	[ "$status" -eq 0 ]
	run_detached create c3 -b "$BUNDLE"
	[ "$status" -eq 0 ]
	run_detached create c4 --bundle "$BUNDLE"
	[ "$status" -eq 0 ]
	for c in c1 c2 c3 c4; do
		[ "$(state_field "$c" .status)" = created ]
	done
}

@test "create without --bundle uses the current directory" {
	cd "$BUNDLE"
	run_detached create c1
	[ "$status" -eq 0 ]
	[ "$(state_field c1 .bundle)" = "$(pwd -P)" ]
}

@test "create accepts --no-pivot, --no-new-keyring and --preserve-fds 0" {
	bundle_share
	bundle_args touch /shared/marker
	create_ctr c1 --no-pivot --no-new-keyring --preserve-fds 0
	start_ctr c1
	wait_for_file "$SHARED/marker"
}

@test "create --pid-file writes the container's pid" {
	create_ctr c1 --pid-file "$PIDFILE"
	[ -s "$PIDFILE" ]
	[ "$(cat "$PIDFILE")" = "$(state_field c1 .pid)" ]
}

@test "create --pid-file=FILE with a relative path is relative to the current directory" {
	mkdir "$BATS_TEST_TMPDIR/cwd"
	cd "$BATS_TEST_TMPDIR/cwd"
	create_ctr c1 --pid-file=rel.pid
	[ "$(cat rel.pid)" = "$(state_field c1 .pid)" ]
}

@test "create of an existing ID fails and leaves the first container alone" {
	create_ctr c1
	local pid
	pid=$(state_field c1 .pid)
	run_detached create --bundle "$BUNDLE" --pid-file "$PIDFILE" c1
	assert_urun_error "container c1 already exists"
	[ ! -e "$PIDFILE" ]
	[ "$(state_field c1 .status)" = created ]
	[ "$(state_field c1 .pid)" = "$pid" ]
	pid_alive "$pid"
}

@test "create with a missing bundle directory fails cleanly" {
	run_detached create --bundle "$BATS_TEST_TMPDIR/nonexistent" --pid-file "$PIDFILE" c1
	assert_urun_error nonexistent
	assert_nothing_left c1
}

@test "start of a created container succeeds once" {
	bundle_long_running
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	[ "$(state_field c1 .status)" = running ]
}

@test "start of a running container: cannot start an already running container" {
	bundle_long_running
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	run --separate-stderr urun start c1
	assert_urun_error "cannot start an already running container"
	[ "$(state_field c1 .status)" = running ]
}

@test "start of a stopped container: cannot start a container that has stopped" {
	bundle_args true
	create_ctr c1
	start_ctr c1
	wait_status c1 stopped
	run --separate-stderr urun start c1
	assert_urun_error "cannot start a container that has stopped"
}

@test "start of an unknown container: container X does not exist" {
	run --separate-stderr urun start nosuch
	assert_urun_error "container nosuch does not exist"
}

@test "state of an unknown container: container X does not exist" {
	run --separate-stderr urun state nosuch
	assert_urun_error "container nosuch does not exist"
}

@test "a stopped container stays until deleted, then is gone" {
	bundle_args true
	create_ctr c1
	start_ctr c1
	wait_status c1 stopped
	run urun list -q
	[ "$output" = c1 ]
	run urun delete c1
	[ "$status" -eq 0 ]
	[ ! -e "$URUN_ROOT/c1" ]
	run --separate-stderr urun state c1
	assert_urun_error "container c1 does not exist"
}

@test "delete of a created container removes it and its waiting init" {
	create_ctr c1
	local pid
	pid=$(state_field c1 .pid)
	run urun delete c1
	[ "$status" -eq 0 ]
	[ ! -e "$URUN_ROOT/c1" ]
	for _ in $(seq 100); do pid_alive "$pid" || break; sleep 0.05; done
	refute pid_alive "$pid"
	[ -z "$(urun list -q)" ]
}

@test "delete of a running container without --force is refused" {
	bundle_long_running
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	run --separate-stderr urun delete c1
	assert_urun_error "cannot delete container c1 that is not stopped: running"
	[ "$(state_field c1 .status)" = running ]
}

@test "delete --force of a running container leaves no process" {
	bundle_long_running
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	local pid
	pid=$(state_field c1 .pid)
	[ -n "$(procs_with "sleep $SLEEP_ARG")" ]
	run urun delete --force c1
	[ "$status" -eq 0 ]
	# delete --force returns once the container is gone: no waiting here.
	[ -z "$(procs_with "sleep $SLEEP_ARG")" ]
	refute pid_alive "$pid"
	[ ! -e "$URUN_ROOT/c1" ]
	[ -z "$(urun list -q)" ]
}

@test "delete -f of a running container leaves no process" {
	bundle_long_running
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	run urun delete -f c1
	[ "$status" -eq 0 ]
	[ -z "$(procs_with "sleep $SLEEP_ARG")" ]
	[ ! -e "$URUN_ROOT/c1" ]
}

@test "delete of an unknown container: container X does not exist" {
	run --separate-stderr urun delete nosuch
	assert_urun_error "container nosuch does not exist"
}

@test "delete --force of an unknown container succeeds quietly, as runc's (engines clean up after a failed create)" {
	run --separate-stderr urun delete --force nosuch
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	# an invalid ID is still an error
	run --separate-stderr urun delete --force ../x
	assert_urun_error "invalid container id"
}

@test "a container whose init is killed from outside (not through urun) is stopped" {
	bundle_long_running
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	local pid
	pid=$(state_field c1 .pid)
	kill -KILL "$pid"
	# Nothing reaps it here (it is not our child): status must not rely on reaping.
	wait_status c1 stopped
	run urun delete c1
	[ "$status" -eq 0 ]
	[ -z "$(procs_with "sleep $SLEEP_ARG")" ]
}

@test "a relative --bundle is recorded as an absolute path" {
	cd "$BATS_TEST_TMPDIR"
	run_detached create --bundle bundle c1
	[ "$status" -eq 0 ]
	[ "$(state_field c1 .bundle)" = "$(cd "$BUNDLE" && pwd -P)" ]
	# And it is found again from another directory.
	cd /
	[ "$(state_field c1 .status)" = created ]
}

@test "a relative --root works from the directory it is relative to" {
	cd "$BATS_TEST_TMPDIR"
	mkdir -p rel
	EXTRA_ROOTS=("$BATS_TEST_TMPDIR/rel/root")
	"$URUN" --root rel/root create --bundle "$BUNDLE" c1 </dev/null >/dev/null 2>&1 3>&-
	[ -d "$BATS_TEST_TMPDIR/rel/root/c1" ]
	run "$URUN" --root rel/root state c1
	[ "$status" -eq 0 ]
	jq -e '.status == "created"' <<<"$output"
}

@test "start fails with the init's error when the process cannot be executed after start released it" {
	# an interpreter that does not exist: found and executable at create, refused by execve after start
	printf '#!/no/such/interpreter\n' >"$BUNDLE/rootfs/bin/badscript"
	chmod 755 "$BUNDLE/rootfs/bin/badscript"
	bundle_args /bin/badscript
	create_ctr badexec
	run --separate-stderr urun start badexec
	assert_urun_error "exec /bin/badscript: No such file or directory"
	[ "$(state_field badexec .status)" = stopped ]
	# run prints the same line and exits 127, as runc (126 for a file that is not executable)
	run -127 --separate-stderr urun run --bundle "$BUNDLE" badexec2
	assert_contains "$stderr" "exec /bin/badscript: No such file or directory"
	printf '\177ELFgarbage' >"$BUNDLE/rootfs/bin/badscript"
	run -126 --separate-stderr urun run --bundle "$BUNDLE" badexec3
	assert_contains "$stderr" "exec /bin/badscript: Exec format error"
}

@test "create refuses a directory or a missing path as process.args[0] with runc's words; run exits 126/127" {
	bundle_args /etc
	run --separate-stderr urun create --bundle "$BUNDLE" --pid-file "$PIDFILE" isdir
	assert_urun_error 'exec: "/etc": permission denied'
	assert_nothing_left isdir
	run -126 --separate-stderr urun run --bundle "$BUNDLE" isdir
	bundle_args /no/such/file
	run -127 --separate-stderr urun run --bundle "$BUNDLE" missing
	assert_contains "$stderr" 'exec: "/no/such/file": no such file or directory'
	bundle_args nosuchcmd
	run -127 --separate-stderr urun run --bundle "$BUNDLE" notfound
	assert_contains "$stderr" 'exec: "nosuchcmd": executable file not found in $PATH'
}
