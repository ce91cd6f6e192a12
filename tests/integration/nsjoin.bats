#!/usr/bin/env bats
# linux.namespaces[].path: joining another container's namespaces.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# Starts container "host" from a copy of the bundle, sleeping; sets HOST_PID.
start_host() {
	local b=$BATS_TEST_TMPDIR/hostbundle
	new_bundle "$b"
	BUNDLE=$b bundle_args sleep "$SLEEP_ARG"
	run_detached run --detach --bundle "$b" host
	[ "$status" -eq 0 ]
	HOST_PID=$(state_field host .pid)
}

@test "nsjoin: join another container's user, network and pid namespaces" {
	start_host
	bundle_jq --arg p "$HOST_PID" 'del(.linux.uidMappings) | del(.linux.gidMappings) |
	  .linux.namespaces |= map(if .type == "user" or .type == "network" or .type == "pid"
	    then .path = ("/proc/" + $p + "/ns/" + (.type | sub("network"; "net"))) else . end)'
	bundle_args sh -c 'ps -o pid,args; readlink /proc/self/ns/net'
	run urun run --bundle "$BUNDLE" joiner
	[ "$status" -eq 0 ]
	[[ $output == *"1 sleep $SLEEP_ARG"* ]]
	[[ $output == *"$(readlink "/proc/$HOST_PID/ns/net")"* ]]
}

@test "nsjoin: joining the user namespace alone still creates the others inside it" {
	start_host
	bundle_jq --arg p "$HOST_PID" 'del(.linux.uidMappings) | del(.linux.gidMappings) |
	  .linux.namespaces |= map(if .type == "user" then .path = ("/proc/" + $p + "/ns/user") else . end)'
	bundle_args sh -c 'echo $$; readlink /proc/self/ns/net'
	run urun run --bundle "$BUNDLE" joinuser
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" != "$(readlink "/proc/$HOST_PID/ns/net")" ]
}

@test "nsjoin: a path to a namespace of the wrong type, or to no namespace, is an error" {
	bundle_jq '.linux.namespaces |= map(if .type == "pid" then .path = "/proc/self/ns/net" else . end)'
	run --separate-stderr urun create --bundle "$BUNDLE" wrongtype
	assert_urun_error "/proc/self/ns/net is a network namespace, not a pid one"
	assert_nothing_left wrongtype
	bundle_jq --arg f "$BUNDLE/config.json" '.linux.namespaces |= map(if .type == "pid" then .path = $f else . end)'
	run --separate-stderr urun create --bundle "$BUNDLE" notns
	assert_urun_error "is not a namespace"
	assert_nothing_left notns
	bundle_jq '.linux.namespaces |= map(if .type == "pid" then .path = "/nonexistent/ns" else . end)'
	run --separate-stderr urun create --bundle "$BUNDLE" missingns
	assert_urun_error "linux.namespaces[0].path: /nonexistent/ns"
	assert_nothing_left missingns
}

@test "nsjoin: a created container's init (still urun) cannot be reached through /proc/PID/exe" {
	# CVE-2019-5736 class: "waiter" joins host's pid namespace and waits in create, running urun's
	# code; a process of host's pid namespace must not be able to open its /proc/PID/exe.
	start_host
	local w=$BATS_TEST_TMPDIR/waiter
	new_bundle "$w"
	BUNDLE=$w bundle_jq --arg p "$HOST_PID" 'del(.linux.uidMappings) | del(.linux.gidMappings) |
	  .linux.namespaces |= map(if .type == "user" or .type == "pid"
	    then .path = ("/proc/" + $p + "/ns/" + .type) else . end)'
	run_detached create --bundle "$w" waiter
	[ "$status" -eq 0 ]
	bundle_jq --arg p "$HOST_PID" 'del(.linux.uidMappings) | del(.linux.gidMappings) |
	  .linux.namespaces |= map(if .type == "user" or .type == "pid"
	    then .path = ("/proc/" + $p + "/ns/" + .type) else . end)'
	bundle_args sh -c 'for p in /proc/[0-9]*; do if [ "$(cat $p/comm 2>/dev/null)" = urun ]; then
	    cat $p/exe >/dev/null 2>&1 && echo "readable $p" || echo "refused $p"; fi; done'
	run urun run --bundle "$BUNDLE" prober
	[ "$status" -eq 0 ]
	[[ $output == *refused* ]]
	[[ $output != *readable* ]]
}
