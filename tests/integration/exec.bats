#!/usr/bin/env bats
# urun exec: a new process in a running container, under its confinement.

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	PROBE=$(dirname "$URUN")/tests/probe/urun-probe
	[ -x "$PROBE" ] || PROBE=$TESTS_DIR/probe/urun-probe
	[ -x "$PROBE" ] && cp "$PROBE" "$BUNDLE/rootfs/bin/urun-probe"
	bundle_args sleep "$SLEEP_ARG"
}
teardown() { common_teardown; }

start_target() {
	run_detached run --detach --bundle "$BUNDLE" tgt
	[ "$status" -eq 0 ]
}

@test "exec: runs in the container's namespaces and passes the exit status on" {
	start_target
	run urun exec tgt sh -c 'echo pid=$$; hostname; cat /proc/1/cmdline | tr "\0" " "; exit 6'
	[ "$status" -eq 6 ]
	[ "${lines[0]}" != pid=1 ]
	[ "${lines[1]}" = urun ]
	[[ ${lines[2]} == "sleep $SLEEP_ARG"* ]]
}

@test "exec: the forked process never speaks before its pid is reported (200 execs in a row)" {
	# The process that joins the pid namespace forks the one that runs; both write to urun's socket,
	# and the child's READY once overtook its parent's pid report ("unexpected message 2").
	start_target
	local i fails=0
	for i in $(seq 200); do
		urun exec tgt true 2>>"$BATS_TEST_TMPDIR/err" || fails=$((fails + 1))
	done
	cat "$BATS_TEST_TMPDIR/err" >&2
	[ "$fails" -eq 0 ]
}

@test "exec: --env, --cwd and --user override the container's process settings" {
	start_target
	run urun exec --env FOO=bar --env PATH=/bin --cwd /tmp --user 1000:1000 tgt sh -c 'echo $FOO $PATH; pwd; id -u; id -g'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "bar /bin" ]
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = 1000 ]
	[ "${lines[3]}" = 1000 ]
}

@test "exec: --process runs an OCI process object; a bad one names the field" {
	start_target
	printf '{"user": {"uid": 0, "gid": 0}, "cwd": "/", "args": ["sh", "-c", "echo from-process-file"], "env": ["A=1"]}' \
		>"$BATS_TEST_TMPDIR/proc.json"
	run urun exec --process "$BATS_TEST_TMPDIR/proc.json" tgt
	[ "$status" -eq 0 ]
	[ "$output" = from-process-file ]
	printf '{"user": {"uid": 0, "gid": 0}, "cwd": "/", "args": [1]}' >"$BATS_TEST_TMPDIR/bad.json"
	run --separate-stderr urun exec --process "$BATS_TEST_TMPDIR/bad.json" tgt
	assert_urun_error "process.args[0]: expected a string"
}

@test "exec: the container's confinement applies (capabilities, no_new_privs, seccomp) and no fd leaks in" {
	[ -x "$PROBE" ] || skip "no urun-probe"
	bundle_jq '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	start_target
	run --separate-stderr urun exec tgt /bin/urun-probe caps no_new_privs seccomp fds mkdir /dev/shm/x 5<"$BUNDLE/config.json"
	[ "$status" -eq 0 ]
	[[ $output == *"seccomp=2"* ]]
	[[ $output == *"no_new_privs=1"* ]]
	[[ $output == *"mkdir=EPERM"* ]]
	[[ $output != *"fd="* ]]
	local eff
	eff=$(printf '%s\n' "${lines[@]}" | sed -n 's/^cap_eff=//p')
	[ "$eff" = 00000000800405fb ]
	run --separate-stderr urun exec --cap CAP_SYS_ADMIN tgt /bin/urun-probe caps
	eff=$(printf '%s\n' "${lines[@]}" | sed -n 's/^cap_eff=//p')
	[ "$eff" = 00000000802405fb ]
}

@test "exec: --tty gives the process a terminal of the container's devpts" {
	start_target
	run urun exec --tty tgt sh -c 'tty; exit 3' </dev/null
	[ "$status" -eq 3 ]
	[[ $output == *"/dev/pts/"* ]]
}

@test "exec: --detach with --pid-file returns once the process runs" {
	start_target
	run_detached exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" tgt sleep 30
	[ "$status" -eq 0 ]
	local p
	p=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	pid_alive "$p"
	[[ $(tr '\0' ' ' <"/proc/$p/cmdline") == "sleep 30"* ]]
	kill -KILL "$p"
}

@test "exec: a missing command, a stopped or unknown container, no command: clear errors" {
	start_target
	run --separate-stderr urun exec tgt nosuchcommand
	assert_urun_error 'exec: "nosuchcommand": executable file not found in $PATH'
	run --separate-stderr urun exec tgt
	assert_urun_error "give a command, or --process FILE"
	run --separate-stderr urun exec nosuch true
	assert_urun_error "container nosuch does not exist"
	run urun kill tgt KILL
	wait_status tgt stopped
	run --separate-stderr urun exec tgt true
	assert_urun_error "cannot exec in a stopped container"
}

@test "ps: lists the container's processes (table and json); kill --all reaches every one" {
	start_target
	run_detached exec --detach --pid-file "$BATS_TEST_TMPDIR/exec.pid" tgt sleep 1$SLEEP_ARG
	[ "$status" -eq 0 ]
	local init extra
	init=$(state_field tgt .pid)
	extra=$(cat "$BATS_TEST_TMPDIR/exec.pid")
	run urun ps tgt
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "UID"*"PID"*"PPID"*"CMD" ]]
	[[ $output == *"sleep $SLEEP_ARG"* ]]
	[[ $output == *"sleep 1$SLEEP_ARG"* ]]
	run urun ps --format json tgt
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -c 'sort')" = "$(jq -cn --argjson a "$init" --argjson b "$extra" '[$a, $b] | sort')" ]
	run urun kill --all tgt KILL
	[ "$status" -eq 0 ]
	for _ in $(seq 100); do pid_alive "$extra" || break; sleep 0.05; done
	! pid_alive "$extra"
}
