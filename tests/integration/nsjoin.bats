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

@test "nsjoin: a created container's init (still urun) is not dumpable: /proc/PID/exe is refused" {
	# CVE-2019-5736 class: until start, the init runs urun's code; nothing may reach the urun binary
	# through its /proc/PID/exe (nor, as with runc, join its namespaces) until it has exec'd.
	run_detached create --bundle "$BUNDLE" waiter
	[ "$status" -eq 0 ]
	local p
	p=$(state_field waiter .pid)
	run readlink "/proc/$p/exe"
	[ "$status" -ne 0 ]
	run cat "/proc/$p/exe"
	[ "$status" -ne 0 ]
	start_ctr waiter
	wait_status waiter stopped
}

@test "nsjoin: net.* sysctls apply in a network namespace joined by path (podman's default network)" {
	# podman makes the network namespace itself and passes it by path, with
	# net.ipv4.ping_group_range among its default sysctls: refused before, as not "the container's own"
	start_host
	bundle_jq --arg p "$HOST_PID" 'del(.linux.uidMappings) | del(.linux.gidMappings) |
	  .linux.namespaces |= map(if .type == "user" or .type == "network"
	    then .path = ("/proc/" + $p + "/ns/" + (.type | sub("network"; "net"))) else . end) |
	  .linux.sysctl = {"net.ipv4.ping_group_range": "0 0", "net.ipv4.ip_unprivileged_port_start": "0"}'
	bundle_args cat /proc/sys/net/ipv4/ip_unprivileged_port_start
	run --separate-stderr urun run --bundle "$BUNDLE" sysjoin
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
	# the host container sees it: it is its namespace
	run --separate-stderr urun exec host cat /proc/sys/net/ipv4/ping_group_range
	[[ $output == *"0"*"0"* ]]
}

@test "nsjoin: a net.* sysctl is still refused where the container would share urun's network namespace" {
	bundle_jq '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/net" else . end) |
	  .linux.sysctl = {"net.ipv4.ping_group_range": "0 0"}'
	run --separate-stderr urun run --bundle "$BUNDLE" sysself
	assert_urun_error 'linux.sysctl: "net.ipv4.ping_group_range" needs a network namespace that is not urun'"'"'s own'
	assert_nothing_left sysself
}
