#!/usr/bin/env bats
# Rootless cgroup v2: one cgroup per container in a delegated subtree (tests/delegate-cgroup.sh gives the
# suite one as systemd gives each user), pause/resume through cgroup.freeze, update, ps/kill/delete
# through the cgroup, and hosts or places without delegation, where the container runs without one.

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	bundle_long_running
}
teardown() { common_teardown; }

# No pid namespace of its own: /proc is then the host's, bound in.
bundle_no_pidns() {
	bundle_jq 'del(.linux.namespaces[] | select(.type == "pid"))
		| .mounts = [.mounts[] | if .destination == "/proc" then
			{"destination": "/proc", "type": "bind", "source": "/proc", "options": ["rbind", "nosuid", "nodev", "noexec"]}
			else . end]'
}

# The container's counter: its init appends a line to /shared/count every 20 ms.
bundle_counting() {
	bundle_share
	bundle_args sh -c "sleep $SLEEP_ARG & touch /shared/ready; while :; do echo x >>/shared/count; sleep 0.02; done"
}
count() { grep -c . "$SHARED/count" 2>/dev/null || echo 0; }

@test "the container gets a cgroup of its own beside the caller's, and delete removes it" {
	require_delegated_cgroup
	create_ctr c1
	pid=$(state_field c1 .pid)
	[ "$(cgroup_of "$pid")" = "${DELEGATED#"$(cgroup2_mount)"}/c1" ]
	[ -d "$DELEGATED/c1" ]
	start_ctr c1
	wait_for_file "$SHARED/ready"
	# every process of the container is in it, not only the init
	run cat "$DELEGATED/c1/cgroup.procs"
	[ "${#lines[@]}" -eq 2 ]
	run urun delete --force c1
	[ "$status" -eq 0 ]
	[ ! -e "$DELEGATED/c1" ]
}

@test "exec starts its process in the container's cgroup" {
	require_delegated_cgroup
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	run urun exec c1 grep ^0:: /proc/self/cgroup
	[ "$status" -eq 0 ]
	# inside the container's cgroup namespace its own cgroup is the root
	[ "$output" = "0::/" ]
	run_detached exec -d c1 sleep "$SLEEP_ARG"
	[ "$status" -eq 0 ]
	for p in $(procs_with "sleep $SLEEP_ARG"); do
		[[ $(cgroup_of "$p") == */c1 ]]
	done
}

@test "pause freezes every process and state says paused; resume thaws them" {
	require_delegated_cgroup
	bundle_counting
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	run urun pause c1
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(state_field c1 .status)" = paused ]
	grep -qx 'frozen 1' "$DELEGATED/c1/cgroup.events"
	[ "$(urun list --format json | jq -r '.[0].status')" = paused ]
	a=$(count)
	sleep 0.3
	[ "$(count)" -eq "$a" ]
	run urun resume c1
	[ "$status" -eq 0 ]
	[ "$(state_field c1 .status)" = running ]
	sleep 0.3
	[ "$(count)" -gt "$a" ]
}

@test "a paused container refuses start, exec and delete with runc's messages" {
	require_delegated_cgroup
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	urun pause c1
	run --separate-stderr urun start c1
	assert_urun_error "cannot start a container in the paused state"
	run --separate-stderr urun exec c1 true
	assert_urun_error "cannot exec in a paused container (use --ignore-paused to override)"
	run --separate-stderr urun delete c1
	assert_urun_error "cannot delete container c1 that is not stopped: paused"
	# as runc: only a running or created container can be paused
	run --separate-stderr urun pause c1
	assert_urun_error "container not running"
	[ "$(state_field c1 .status)" = paused ]
}

@test "exec --ignore-paused runs once the container is resumed" {
	require_delegated_cgroup
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	urun pause c1
	urun exec --ignore-paused c1 touch /shared/execd 3>&- &
	sleep 0.3
	[ ! -e "$SHARED/execd" ]
	urun resume c1
	wait
	[ -e "$SHARED/execd" ]
}

@test "pause and resume of a created container; start after resume" {
	require_delegated_cgroup
	create_ctr c1
	run urun pause c1
	[ "$status" -eq 0 ]
	[ "$(state_field c1 .status)" = paused ]
	run urun resume c1
	[ "$status" -eq 0 ]
	[ "$(state_field c1 .status)" = created ]
	start_ctr c1
	wait_for_file "$SHARED/ready"
	[ "$(state_field c1 .status)" = running ]
}

@test "pause of a stopped container and resume of a running one are refused" {
	require_delegated_cgroup
	bundle_args true
	create_ctr c1
	start_ctr c1
	wait_status c1 stopped
	run --separate-stderr urun pause c1
	assert_urun_error "container not running"
	new_bundle "$BUNDLE"
	bundle_long_running
	create_ctr c2
	start_ctr c2
	run --separate-stderr urun resume c2
	assert_urun_error "container not paused"
	run --separate-stderr urun pause nosuch
	assert_urun_error "container nosuch does not exist"
}

@test "delete --force of a paused container kills everything in it" {
	require_delegated_cgroup
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	urun pause c1
	run urun delete --force c1
	[ "$status" -eq 0 ]
	[ -z "$(procs_with "$SLEEP_ARG")" ]
	[ ! -e "$DELEGATED/c1" ]
}

@test "without a pid namespace, ps, kill --all and delete reach the container's processes through its cgroup" {
	require_delegated_cgroup
	bundle_no_pidns
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	run urun ps --format json c1
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 2 ]
	jq -e --argjson p "$(state_field c1 .pid)" 'index($p) != null' <<<"$output"
	run urun kill --all c1 KILL
	[ "$status" -eq 0 ]
	wait_status c1 stopped
	for _ in $(seq 100); do [ -z "$(procs_with "$SLEEP_ARG")" ] && break; sleep 0.05; done
	[ -z "$(procs_with "$SLEEP_ARG")" ]
	run urun delete c1
	[ "$status" -eq 0 ]
	[ ! -e "$DELEGATED/c1" ]
}

@test "delete of a stopped container kills what its init left behind in the cgroup" {
	require_delegated_cgroup
	bundle_no_pidns
	bundle_args sh -c "sleep $SLEEP_ARG & touch /shared/ready"
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	wait_status c1 stopped
	[ -n "$(procs_with "sleep $SLEEP_ARG")" ]
	run urun delete c1
	[ "$status" -eq 0 ]
	[ -z "$(procs_with "sleep $SLEEP_ARG")" ]
	[ ! -e "$DELEGATED/c1" ]
}

@test "a relative cgroupsPath is placed beside the caller's cgroup, an absolute one from the root" {
	require_delegated_cgroup
	bundle_jq '.linux.cgroupsPath = "named-by-spec"'
	create_ctr c1
	[ -d "$DELEGATED/named-by-spec" ]
	[[ $(cgroup_of "$(state_field c1 .pid)") == */named-by-spec ]]
	run urun delete --force c1
	[ ! -e "$DELEGATED/named-by-spec" ]
	# absolute: from the root of the cgroup2 mount
	rel=${DELEGATED#"$(cgroup2_mount)"}
	bundle_jq --arg p "$rel/abs-$RANDOM" '.linux.cgroupsPath = $p'
	create_ctr c2
	[[ $(cgroup_of "$(state_field c2 .pid)") == "$rel"/abs-* ]]
}

@test "a cgroupsPath with .. is refused, naming the field" {
	bundle_jq '.linux.cgroupsPath = "../escape"'
	run --separate-stderr urun create --bundle "$BUNDLE" c1
	assert_urun_error "linux.cgroupsPath" '".."'
	assert_nothing_left c1
}

@test "update applies limits where the controller is enabled, and names the controller where not" {
	require_delegated_cgroup
	create_ctr c1
	start_ctr c1
	if grep -qw pids "$DELEGATED/c1/cgroup.controllers"; then
		run urun update --pids-limit 42 c1
		[ "$status" -eq 0 ]
		[ "$(cat "$DELEGATED/c1/pids.max")" = 42 ]
	else
		run --separate-stderr urun update --pids-limit 42 c1
		assert_urun_error "pids.limit" "the pids controller is not enabled for cgroup $DELEGATED/c1"
	fi
	if grep -qw memory "$DELEGATED/c1/cgroup.controllers"; then
		run urun update --memory 64m c1
		[ "$status" -eq 0 ]
		[ "$(cat "$DELEGATED/c1/memory.max")" = 67108864 ]
	else
		echo '{"memory": {"limit": 67108864}}' >"$BATS_TEST_TMPDIR/res.json"
		run --separate-stderr urun update --resources "$BATS_TEST_TMPDIR/res.json" c1
		assert_urun_error "memory.limit" "the memory controller is not enabled"
	fi
}

@test "linux.resources are written to the container's cgroup at create, and update changes them" {
	# cgroup.max.* belong to the cgroup core, so they apply even where no controller is delegated
	# (every controller of a hybrid host is cgroup v1's)
	require_delegated_cgroup
	bundle_jq '.linux.resources = {"unified": {"cgroup.max.descendants": "7", "cgroup.max.depth": "3"}}'
	run_detached create --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(cat "$DELEGATED/c1/cgroup.max.descendants")" = 7 ]
	[ "$(cat "$DELEGATED/c1/cgroup.max.depth")" = 3 ]
	printf 'unified:\n  cgroup.max.descendants: "2"\n' >"$BATS_TEST_TMPDIR/res.yaml"
	run urun update --resources "$BATS_TEST_TMPDIR/res.yaml" c1
	[ "$status" -eq 0 ]
	[ "$(cat "$DELEGATED/c1/cgroup.max.descendants")" = 2 ]
	echo '{"unified": {"cgroup.max.depth": "5"}}' | urun update -r - c1
	[ "$(cat "$DELEGATED/c1/cgroup.max.depth")" = 5 ]
	# a value the kernel refuses is an error naming the field and the file
	echo '{"unified": {"cgroup.max.depth": "lots"}}' >"$BATS_TEST_TMPDIR/bad.json"
	run --separate-stderr urun update --resources "$BATS_TEST_TMPDIR/bad.json" c1
	assert_urun_error "unified.cgroup.max.depth" "cgroup.max.depth"
}

@test "update refuses bad input and containers without a cgroup, clearly" {
	create_ctr c1
	run --separate-stderr urun update c1
	assert_urun_error "nothing to change"
	run --separate-stderr urun update --memory lots c1
	assert_urun_error "--memory" '"lots" is not'
	echo '{"pids": {"limit": "many"}}' >"$BATS_TEST_TMPDIR/res.json"
	run --separate-stderr urun update --resources "$BATS_TEST_TMPDIR/res.json" c1
	assert_urun_error "pids.limit"
	run --separate-stderr urun update --resources "$BATS_TEST_TMPDIR/nosuch.json" c1
	assert_urun_error "--resources" "nosuch.json"
	run --separate-stderr urun update --pids-limit 5 nosuch
	assert_urun_error "container nosuch does not exist"
	# a container without a cgroup
	new_bundle "$BUNDLE"
	bundle_long_running
	bundle_jq '.linux.cgroupsPath = "/urun-not-delegated"'
	create_ctr c2
	run --separate-stderr urun update --pids-limit 5 c2
	assert_urun_error "cannot update container c2: it has no cgroup"
	run --separate-stderr urun pause c2
	assert_urun_error "cannot pause container c2: it has no cgroup" "delegated cgroup v2"
}

@test "--cgroup-manager disabled makes no cgroup even where one is delegated; systemd is taken as cgroupfs" {
	run_detached --log "$BATS_TEST_TMPDIR/log" --cgroup-manager disabled create --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	grep -q 'c1 runs without a cgroup.*--cgroup-manager disabled' "$BATS_TEST_TMPDIR/log"
	run --separate-stderr urun pause c1
	assert_urun_error "it has no cgroup"
	run --separate-stderr urun --cgroup-manager bogus list
	assert_urun_error "bogus"
	run_detached --log "$BATS_TEST_TMPDIR/log2" --cgroup-manager systemd create --bundle "$BUNDLE" c2
	[ "$status" -eq 0 ]
	grep -q 'taken as cgroupfs' "$BATS_TEST_TMPDIR/log2"
}

@test "where cgroup v2 is not delegated the container runs without a cgroup and the log says so once" {
	bundle_jq '.linux.cgroupsPath = "/urun-not-delegated"'
	run_detached --log "$BATS_TEST_TMPDIR/log" create --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(grep -c 'runs without a cgroup' "$BATS_TEST_TMPDIR/log")" -eq 1 ]
	grep -q 'not writable by you' "$BATS_TEST_TMPDIR/log"
	start_ctr c1
	wait_for_file "$SHARED/ready"
	# ps and kill --all fall back to the pid namespace
	run urun ps --format json c1
	[ "$(jq length <<<"$output")" -eq 2 ]
	run urun kill --all c1 KILL
	[ "$status" -eq 0 ]
	wait_status c1 stopped
}

@test "limits that cannot be applied are warnings by default and errors with run.urun.cgroup-limits=require" {
	bundle_jq '.linux.resources = {"pids": {"limit": 100}, "memory": {"swappiness": 10}}'
	bundle_jq '.linux.cgroupsPath = "/urun-not-delegated"'
	run_detached create --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	# each limit by name, in one warning
	assert_contains "$output" "warning: linux.resources.pids.limit, linux.resources.memory.swappiness"
	assert_contains "$output" "are not applied: the container runs without a cgroup"
	run urun delete --force c1
	bundle_jq '.annotations["run.urun.cgroup-limits"] = "require"'
	run --separate-stderr urun create --bundle "$BUNDLE" c2
	assert_urun_error "linux.resources cannot be applied (run.urun.cgroup-limits=require)"
	assert_nothing_left c2
	bundle_jq '.annotations["run.urun.cgroup-limits"] = "sometimes"'
	run --separate-stderr urun create --bundle "$BUNDLE" c3
	assert_urun_error 'annotations.run.urun.cgroup-limits: "sometimes" is not warn or require'
}

@test "in a delegated cgroup, each limit that cannot be applied is named; require refuses and leaves no cgroup" {
	require_delegated_cgroup
	grep -qw pids "$DELEGATED/cgroup.controllers" && skip "the pids controller is delegated here: nothing to refuse"
	bundle_jq '.linux.resources = {"pids": {"limit": 100}, "memory": {"swappiness": 10}}'
	run_detached create --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	assert_contains "$output" "linux.resources.pids.limit is not applied: the pids controller is not enabled for cgroup $DELEGATED/c1"
	assert_contains "$output" "linux.resources.memory.swappiness (cgroup v1 only) is not applied"
	run urun delete --force c1
	bundle_jq '.annotations["run.urun.cgroup-limits"] = "require"'
	run --separate-stderr urun create --bundle "$BUNDLE" c2
	assert_urun_error "linux.resources.pids.limit: the pids controller is not enabled"
	assert_nothing_left c2
	[ ! -e "$DELEGATED/c2" ]
}

@test "a malformed linux.resources is refused at create, naming the field" {
	bundle_jq '.linux.resources = {"memory": {"limit": -5}}'
	run --separate-stderr urun create --bundle "$BUNDLE" c1
	assert_urun_error "linux.resources.memory.limit" "-5 is not a limit"
	assert_nothing_left c1
	bundle_jq '.linux.resources = {"unified": {"../x": "1"}}'
	run --separate-stderr urun create --bundle "$BUNDLE" c1
	assert_urun_error "linux.resources.unified.../x" "not a cgroup v2 interface file name"
	assert_nothing_left c1
}

@test "a malformed linux.cgroupsPath is refused by the plan, with or without a cgroup to use" {
	bundle_jq 'del(.linux.resources) | .linux.cgroupsPath = "/a/../b"'
	run --separate-stderr urun create --bundle "$BUNDLE" c1
	assert_urun_error 'linux.cgroupsPath: "/a/../b" has a "." or ".." component'
	assert_nothing_left c1
	# --cgroup-manager disabled makes no cgroup, but the config is still wrong
	run --separate-stderr urun --cgroup-manager disabled create --bundle "$BUNDLE" c1
	assert_urun_error 'linux.cgroupsPath: "/a/../b" has a "." or ".." component'
	assert_nothing_left c1
}
