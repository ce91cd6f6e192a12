#!/usr/bin/env bats
# `urun spec`: the generated config.json, its options, and that it runs as-is for the calling user.

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	SPECDIR=$BATS_TEST_TMPDIR/spec
	mkdir -p "$SPECDIR"
}
teardown() { common_teardown; }

@test "spec --rootless writes a valid config.json in the current directory" {
	cd "$SPECDIR"
	run urun spec --rootless
	[ "$status" -eq 0 ]
	[ -s config.json ]
	jq -e . config.json >/dev/null
}

@test "spec without --rootless writes config.json too" {
	cd "$SPECDIR"
	run urun spec
	[ "$status" -eq 0 ]
	jq -e . config.json >/dev/null
}

@test "spec --bundle DIR, --bundle=DIR and -b DIR write into DIR" {
	mkdir "$SPECDIR/a" "$SPECDIR/b" "$SPECDIR/c"
	run urun spec --rootless --bundle "$SPECDIR/a"
	[ "$status" -eq 0 ]
	run urun spec --rootless --bundle="$SPECDIR/b"
	[ "$status" -eq 0 ]
	run urun spec -b "$SPECDIR/c" --rootless
	[ "$status" -eq 0 ]
	for d in a b c; do
		jq -e . "$SPECDIR/$d/config.json" >/dev/null
	done
	[ ! -e "$SPECDIR/config.json" ]
}

@test "spec refuses to overwrite an existing config.json" {
	echo '{"keep": true}' >"$SPECDIR/config.json"
	run --separate-stderr urun spec --rootless --bundle "$SPECDIR"
	assert_urun_error "config.json exists"
	jq -e '.keep == true' "$SPECDIR/config.json"
}

@test "spec into a missing directory fails" {
	run --separate-stderr urun spec --rootless --bundle "$SPECDIR/nonexistent"
	assert_urun_error nonexistent
}

@test "the rootless spec: sh, no terminal, rootfs, all namespaces" {
	run urun spec --rootless --bundle "$SPECDIR"
	[ "$status" -eq 0 ]
	local c=$SPECDIR/config.json
	jq -e '.ociVersion | type == "string" and startswith("1.")' "$c"
	jq -e '.process.args == ["sh"]' "$c"
	jq -e '.process.terminal == false' "$c"
	jq -e '.process.cwd == "/"' "$c"
	jq -e '.process.env | any(startswith("PATH="))' "$c"
	jq -e '.root.path == "rootfs"' "$c"
	jq -e '.hostname | type == "string" and length > 0' "$c"
	for ns in pid ipc uts mount network user; do
		jq -e --arg ns "$ns" '[.linux.namespaces[].type] | index($ns) != null' "$c"
	done
}

@test "the rootless spec is portable: a user namespace, no mappings, no network but loopback (as crun's)" {
	run urun spec --rootless --bundle "$SPECDIR"
	[ "$status" -eq 0 ]
	local c=$SPECDIR/config.json
	jq -e '[.linux.namespaces[].type] | index("user") != null' "$c"
	jq -e '.linux.uidMappings == null and .linux.gidMappings == null' "$c"
	jq -e '.annotations == null or (.annotations["run.urun.network"] == null)' "$c"
}

@test "the generated rootless spec runs as-is" {
	# Only process.args changes: the rest is exactly what spec wrote.
	rm "$BUNDLE/config.json"
	run urun spec --rootless --bundle "$BUNDLE"
	[ "$status" -eq 0 ]
	run urun run --bundle "$BUNDLE" c1 </dev/null
	[ "$status" -eq 0 ]
	bundle_args sh -c 'echo spec-ok'
	run urun run --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	assert_contains "$output" spec-ok
}

@test "the generated non-rootless spec runs as-is for an unprivileged user" {
	rm "$BUNDLE/config.json"
	run urun spec --bundle "$BUNDLE"
	[ "$status" -eq 0 ]
	bundle_args sh -c 'echo spec-ok; id -u'
	run urun run --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	assert_contains "$output" spec-ok
}

@test "tests/make-bundle.sh builds a bundle that runs its ARGS" {
	local b=$BATS_TEST_TMPDIR/mb
	run env URUN="$URUN" "$TESTS_DIR/make-bundle.sh" "$b" sh -c 'echo "made by make-bundle"'
	[ "$status" -eq 0 ]
	[ -x "$b/rootfs/bin/busybox" ]
	[ -L "$b/rootfs/bin/sh" ]
	grep -q '^root:x:0:0:' "$b/rootfs/etc/passwd"
	grep -q '^nobody:' "$b/rootfs/etc/group"
	run urun run --bundle "$b" c1
	[ "$status" -eq 0 ]
	assert_contains "$output" "made by make-bundle"
}
