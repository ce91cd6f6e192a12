#!/usr/bin/env bats
# Bad bundles: malformed or hostile config.json, wrong types, missing rootfs, failing mounts.
# Each must give one clear error line, exit status 1, and leave no state dir, process or pid file.
# Also: config.yaml, and unknown fields being ignored.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# create c1 must fail cleanly with an error containing every given substring.
create_must_fail() {
	run_detached create --bundle "$BUNDLE" --pid-file "$PIDFILE" c1
	assert_urun_error "$@"
	assert_nothing_left c1
	# run fails the same way.
	run --separate-stderr urun run --bundle "$BUNDLE" --pid-file "$PIDFILE" c1 </dev/null
	assert_urun_error "$@"
	assert_nothing_left c1
}

@test "config.json that is not JSON" {
	echo '{"ociVersion": "1.0.2", "process": ' >"$BUNDLE/config.json"
	create_must_fail config.json
}

@test "config.json that is not an object" {
	echo '["sh"]' >"$BUNDLE/config.json"
	create_must_fail config.json
}

@test "an empty config.json" {
	: >"$BUNDLE/config.json"
	create_must_fail config.json
}

@test "no config.json (and no config.yaml)" {
	rm "$BUNDLE/config.json"
	create_must_fail config.json
}

@test "process.args that is a string" {
	bundle_jq '.process.args = "sh"'
	create_must_fail process.args
}

@test "process.args that is empty" {
	bundle_jq '.process.args = []'
	create_must_fail process.args
}

@test "process.args[1] that is a number" {
	bundle_jq '.process.args = ["sh", 1]'
	create_must_fail 'process.args[1]'
}

@test "process missing entirely" {
	bundle_jq 'del(.process)'
	create_must_fail process
}

@test "process.env that is not an array of strings" {
	bundle_jq '.process.env = ["PATH=/bin", {"x": 1}]'
	create_must_fail 'process.env[1]'
}

@test "process.terminal that is a string" {
	bundle_jq '.process.terminal = "no"'
	create_must_fail process.terminal
}

@test "process.user.uid that is negative" {
	bundle_jq '.process.user.uid = -1'
	create_must_fail process.user.uid
}

@test "a relative process.cwd" {
	bundle_jq '.process.cwd = "tmp"'
	create_must_fail process.cwd
}

@test "root.path that is a number" {
	bundle_jq '.root.path = 42'
	create_must_fail root.path
}

@test "ociVersion that is a number" {
	bundle_jq '.ociVersion = 1'
	create_must_fail ociVersion
}

@test "an unknown namespace type" {
	bundle_jq '.linux.namespaces += [{"type": "bogus"}]'
	create_must_fail linux.namespaces bogus
}

@test "a uid mapping with a string hostID" {
	bundle_jq '.linux.uidMappings = [{"containerID": 0, "hostID": "1000", "size": 1}]'
	create_must_fail 'linux.uidMappings[0].hostID'
}

@test "mounts that is an object" {
	bundle_jq '.mounts = {"destination": "/x"}'
	create_must_fail mounts
}

@test "a mount without a destination" {
	bundle_jq '.mounts += [{"type": "tmpfs", "source": "tmpfs"}]'
	create_must_fail 'mounts['
}

@test "a missing rootfs names the rootfs path" {
	rm -rf "$BUNDLE/rootfs"
	create_must_fail "$BUNDLE/rootfs"
}

@test "a root.path that does not exist names it" {
	bundle_jq '.root.path = "no-such-rootfs"'
	create_must_fail no-such-rootfs
}

@test "a rootfs that is a regular file" {
	rm -rf "$BUNDLE/rootfs"
	echo file >"$BUNDLE/rootfs"
	create_must_fail rootfs
}

@test "a bind mount of a missing source fails in the init and the error comes back" {
	bundle_jq --arg s "$BATS_TEST_TMPDIR/no-such-source" \
		'.mounts += [{"destination": "/mnt", "type": "bind", "source": $s, "options": ["rbind"]}]'
	create_must_fail "No such file or directory"
	[[ $stderr == *no-such-source* ]] || [[ $stderr == */mnt* ]]
}

@test "a mount of an unknown filesystem type fails with the step and errno" {
	bundle_jq '.mounts += [{"destination": "/mnt", "type": "nosuchfs", "source": "none"}]'
	create_must_fail /mnt
}

# Replaces config.json by the valid config plus an unknown top-level field whose JSON text is
# produced by the given command: only a limit in the parser can reject it.
config_with_unknown_field() {
	local valid
	valid=$(jq -c . "$BUNDLE/config.json")
	{
		printf '%s, "x_unknown": ' "${valid%\}}"
		"$@"
		printf '}'
	} >"$BUNDLE/config.json.new"
	mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

nested_arrays() {
	printf '[%.0s' $(seq 100000)
	printf ']%.0s' $(seq 100000)
}

huge_string() {
	printf '"'
	head -c 100000000 /dev/zero | tr '\0' a
	printf '"'
}

@test "the valid config plus an unknown field still runs (control for the limit tests)" {
	config_with_unknown_field echo '[[["fine"]]]'
	bundle_args true
	run urun run --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
}

@test "100000-deep nesting is refused (depth limit), not a crash" {
	config_with_unknown_field nested_arrays
	create_must_fail config.json
}

@test "a 100 MB string is refused (size limit), not a crash" {
	config_with_unknown_field huge_string
	create_must_fail config.json
}

@test "a config.json with a NUL byte is refused" {
	config_with_unknown_field printf '"a\0b"'
	create_must_fail config.json
}

@test "a config.json with invalid UTF-8 is refused" {
	config_with_unknown_field printf '"\xff\xfe"'
	create_must_fail config.json
}

@test "unknown fields are ignored" {
	bundle_jq '.x_unknown = {"deep": [1, 2, {"z": null}]} | .process.x_unknown = true
		| .linux.x_unknown = "y" | .root.x_unknown = 1'
	bundle_args sh -c 'echo still-runs'
	run urun run --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	[ "$output" = still-runs ]
}

@test "config.yaml is used when there is no config.json" {
	bundle_args sh -c 'echo from-yaml'
	# A block-style YAML rendering of the JSON config.
	jq -r '
		def y(ind):
			if type == "object" and length > 0 then
				to_entries | map(ind + (.key | tojson) + ":" +
					(if (.value | type) as $t | ($t == "object" or $t == "array") and (.value | length) > 0
					 then "\n" + (.value | y(ind + "  ")) else " " + (.value | tojson) end)) | join("\n")
			elif type == "array" and length > 0 then
				map(ind + "-" +
					(if (type == "object" or type == "array") and length > 0
					 then "\n" + y(ind + "  ") else " " + tojson end)) | join("\n")
			else ind + tojson end;
		y("")' "$BUNDLE/config.json" >"$BUNDLE/config.yaml"
	rm "$BUNDLE/config.json"
	grep -q '^"process":$' "$BUNDLE/config.yaml"
	run urun run --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	[ "$output" = from-yaml ]
}

@test "config.json wins over config.yaml" {
	bundle_args sh -c 'echo from-json'
	echo 'process: {args: [sh, -c, "echo from-yaml"]}' >"$BUNDLE/config.yaml"
	run urun run --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	[ "$output" = from-json ]
}

@test "a malformed config.yaml names config.yaml" {
	rm "$BUNDLE/config.json"
	printf 'process:\n  args: [sh\n  bad: : :\n' >"$BUNDLE/config.yaml"
	create_must_fail config.yaml
}
