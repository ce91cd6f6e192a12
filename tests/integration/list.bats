#!/usr/bin/env bats
# `urun list`: table, JSON and quiet formats, empty and populated.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

HEADER_RE='^ID +PID +STATUS +BUNDLE +CREATED +OWNER *$'

@test "list with no containers prints only the header" {
	run --separate-stderr urun list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ ${lines[0]} =~ $HEADER_RE ]]
}

@test "list --format json with no containers prints []" {
	run --separate-stderr urun list --format json
	[ "$status" -eq 0 ]
	jq -e 'type == "array" and length == 0' <<<"$output"
}

@test "list -q with no containers prints nothing" {
	run --separate-stderr urun list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "list on a state root that does not exist yet is empty" {
	run --separate-stderr "$URUN" --root "$BATS_TEST_TMPDIR/fresh" list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "list shows one row per container with its fields" {
	bundle_long_running
	create_ctr c1
	create_ctr c2
	start_ctr c2
	wait_for_file "$SHARED/ready"
	run --separate-stderr urun list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[0]} =~ $HEADER_RE ]]
	local b
	b=$(cd "$BUNDLE" && pwd -P)
	local row1 row2
	row1=$(printf '%s\n' "${lines[@]:1}" | grep '^c1 ')
	row2=$(printf '%s\n' "${lines[@]:1}" | grep '^c2 ')
	read -r -a f1 <<<"$row1"
	read -r -a f2 <<<"$row2"
	[ "${f1[0]}" = c1 ]
	[ "${f1[1]}" = "$(state_field c1 .pid)" ]
	[ "${f1[2]}" = created ]
	[ "${f1[3]}" = "$b" ]
	[ "${f2[2]}" = running ]
	[ "${f2[1]}" = "$(state_field c2 .pid)" ]
}

@test "list --format json, --format=json and -f json print the state objects" {
	create_ctr c1
	create_ctr c2
	for spelling in "--format json" "--format=json" "-f json"; do
		# shellcheck disable=SC2086 # spelling holds an option and its value
		run --separate-stderr urun list $spelling
		[ "$status" -eq 0 ]
		jq -e 'type == "array" and length == 2' <<<"$output"
		jq -e '[.[].id] | sort == ["c1", "c2"]' <<<"$output"
		jq -e 'all(.[]; .status == "created" and (.pid | type == "number") and (.bundle | type == "string")
			and (.created | type == "string") and has("owner"))' <<<"$output"
	done
	[ "$(urun list -f json | jq -r '.[] | select(.id == "c1") | .pid')" = "$(state_field c1 .pid)" ]
}

@test "list -q and --quiet print the IDs only" {
	create_ctr c1
	create_ctr node1.alice.123.0.0
	run --separate-stderr urun list -q
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "${lines[@]}" | sort | tr '\n' ' ')" = "c1 node1.alice.123.0.0 " ]
	run --separate-stderr urun list --quiet
	[ "$(printf '%s\n' "${lines[@]}" | sort | tr '\n' ' ')" = "c1 node1.alice.123.0.0 " ]
}

@test "list shows stopped containers as stopped" {
	bundle_args true
	run urun run --keep --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	run urun list
	[ "${#lines[@]}" -eq 2 ]
	read -r -a f <<<"${lines[1]}"
	[ "${f[0]}" = c1 ]
	[ "${f[2]}" = stopped ]
}

# state.json is renamed into place but not fsync'd (as runc's and crun's): what a crash of the machine
# can leave is an empty file, which must read as "unknown" and go with delete --force.
@test "a state.json a crash left empty shows as unknown, and delete --force removes it" {
	bundle_args true
	run urun run --keep --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	: >"$URUN_ROOT/c1/state.json"
	run urun list
	[ "$status" -eq 0 ]
	read -r -a f <<<"${lines[1]}"
	[ "${f[0]}" = c1 ]
	[ "${f[2]}" = unknown ]
	run urun delete c1
	[ "$status" -ne 0 ]
	[[ "$output" == *"c1/state.json: empty document"* ]]
	run urun delete --force c1
	[ "$status" -eq 0 ]
	[ ! -e "$URUN_ROOT/c1" ]
}

@test "list --format with an unknown format is refused" {
	run --separate-stderr urun list --format yaml
	assert_urun_error yaml
}

@test "list escapes JSON properly for odd bundle paths" {
	local odd=$BATS_TEST_TMPDIR/'b "quoted" \ back'
	mv "$BUNDLE" "$odd"
	BUNDLE=$odd
	create_ctr c1
	run --separate-stderr urun list -f json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].bundle' <<<"$output")" = "$(cd "$odd" && pwd -P)" ]
	run --separate-stderr urun state c1
	[ "$(jq -r .bundle <<<"$output")" = "$(cd "$odd" && pwd -P)" ]
}
