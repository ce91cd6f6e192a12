#!/usr/bin/env bats
# Attack class: parser resource exhaustion and oversized config values. Ancestors: CVE-2019-11253
# (Kubernetes: YAML "billion laughs" aliases exhausting the API server) for the document, and the
# CVE-2019-16884 line of runc config abuse for values the runtime trusted: here a 100 KB linux.sysctl
# key overflowed a stack buffer in the init. Every size from a config is bounded before use
# (spec.h SPEC_MAX_*), and the error names the field.

load ../integration/helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# create with this test's bundle must fail with one `urun: ...` line holding every given string, and
# leave nothing behind (status 124 would be a hang). stdin and stdout are not pipes of `run`'s, which
# a container that was wrongly created would hold open.
create_quiet() {
	urun create --bundle "$BUNDLE" --pid-file "$PIDFILE" bad </dev/null >/dev/null
}
refused() {
	run --separate-stderr create_quiet
	assert_urun_error "$@"
	assert_nothing_left bad
}

@test "config bounds: a 100 KB linux.sysctl key is refused naming the field (it overflowed the init's stack)" {
	bundle_jq --arg k "net.$(head -c 102400 /dev/zero | tr '\0' x)" '.linux.sysctl = {($k): "1"}'
	refused "config.json: linux.sysctl: key \"net.xxx" "is longer than 255 bytes"
}

@test "config bounds: a sysctl key of 600 bytes (silent corruption before) and a 4 KB value are refused" {
	bundle_jq --arg k "net.$(head -c 596 /dev/zero | tr '\0' y)" '.linux.sysctl = {($k): "1"}'
	refused "linux.sysctl: key \"net.yyy" "is longer than 255 bytes"
	bundle_jq --arg v "$(head -c 4096 /dev/zero | tr '\0' 1)" '.linux.sysctl = {"net.core.somaxconn": $v}'
	refused "linux.sysctl.net.core.somaxconn: longer than 4095 bytes"
}

@test "config bounds: paths longer than PATH_MAX are refused naming the field" {
	local long
	long=/$(head -c 4095 /dev/zero | tr '\0' p)
	bundle_jq --arg p "$long" '.process.cwd = $p'
	refused "process.cwd: longer than 4095 bytes"
	new_bundle "$BUNDLE"
	bundle_jq --arg p "$long" '.mounts += [{"destination": $p, "type": "tmpfs", "source": "tmpfs"}]'
	refused "mounts[" "].destination: longer than 4095 bytes"
	new_bundle "$BUNDLE"
	bundle_jq --arg p "$long" '.hooks.prestart = [{"path": $p}]'
	refused "hooks.prestart[0].path: longer than 4095 bytes"
	new_bundle "$BUNDLE"
	bundle_jq --arg p "$long" '.process.args = [$p]'
	refused "process.args[0]: longer than 4095 bytes"
}

@test "config bounds: hostname, env entries and IDs are bounded" {
	bundle_jq --arg h "$(head -c 65 /dev/zero | tr '\0' h)" '.hostname = $h'
	refused "hostname: longer than 64 bytes"
	new_bundle "$BUNDLE"
	# (through a file: jq's own argument could not be that long)
	head -c 131070 /dev/zero | tr '\0' e >"$BATS_TEST_TMPDIR/env"
	bundle_jq --rawfile e "$BATS_TEST_TMPDIR/env" '.process.env += ["A=" + $e]'
	refused "process.env[" "]: longer than 131071 bytes"
	new_bundle "$BUNDLE"
	bundle_jq '.process.user.uid = 4294967295'
	refused "process.user.uid: 4294967295 is not a valid ID (at most 4294967294)"
	new_bundle "$BUNDLE"
	bundle_jq '.linux.devices = [{"path": "/dev/x", "type": "c", "major": 1, "minor": 3, "gid": 4294967295}]'
	refused "linux.devices[0].gid: 4294967295 is not a valid ID"
}

@test "config bounds: annotations are bounded, so a container's state file stays readable" {
	# they go into state.json, which every command reads up to 1 MiB: 1.6 MB of them made a
	# container that state, list and delete could not read
	# (8 x 200 KB: one string may have 256 KiB)
	head -c 200000 /dev/zero | tr '\0' v >"$BATS_TEST_TMPDIR/v"
	bundle_jq --rawfile v "$BATS_TEST_TMPDIR/v" '.annotations = ([range(8)] | map({key: "k\(.)", value: $v}) | from_entries)'
	refused "annotations: 1600016 bytes of keys and values, more than 131072"
	new_bundle "$BUNDLE"
	bundle_jq --arg k "$(head -c 1025 /dev/zero | tr '\0' k)" '.annotations = {($k): "v"}'
	refused "annotations: key \"kkk" "is longer than 1024 bytes"
}

@test "config bounds: a NUL inside a JSON string is refused, not a truncated path" {
	# "\u0000" in JSON: a C string would end at the NUL and make "/tmp\u0000/etc" the host's /tmp
	local shared=$BATS_TEST_TMPDIR/nul
	mkdir -p "$shared"
	bundle_jq --arg s "$shared" '.mounts += [{"destination": "/mnt", "type": "bind", "source": ($s + "\u0000/etc"), "options": ["bind"]}]'
	refused "mounts[" "].source: string contains a NUL character"
	new_bundle "$BUNDLE"
	bundle_jq '.process.cwd = "/tmp\u0000/x"'
	refused "process.cwd: string contains a NUL character"
}

@test "config bounds: an oversized, deeply nested or aliased config is refused quickly" {
	# 5 MB (the limit is 4 MiB): one huge annotation value
	head -c 5000000 /dev/zero | tr '\0' a | jq -R '{ociVersion: "1.2.0", root: {path: "rootfs"}, annotations: {a: .}}' \
		>"$BUNDLE/config.json"
	refused "config.json: larger than 4194304 bytes"
	# a million nested arrays under an unknown field (unknown fields are ignored, not unbounded)
	{ printf '{"ociVersion": "1.2.0", "root": {"path": "rootfs"}, "x": '; head -c 1000000 /dev/zero | tr '\0' '['; } \
		>"$BUNDLE/config.json"
	refused "nesting deeper than 64 levels"
	# billion laughs in config.yaml
	rm "$BUNDLE/config.json"
	cat >"$BUNDLE/config.yaml" <<-'YAML'
		ociVersion: 1.2.0
		root: {path: rootfs}
		a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
		b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
		c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
		d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]
	YAML
	refused "config.yaml: a: anchors (&a) are not supported"
	printf 'ociVersion: 1.2.0\nroot: {path: rootfs}\nprocess: *p\n' >"$BUNDLE/config.yaml"
	refused "process: aliases (*p) are not supported"
}
