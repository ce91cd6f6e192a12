#!/usr/bin/env bats
# Attack class: a user ID that is not what it seems gives the process root.
# Ancestor: CVE-2016-3697 (runc took a numeric user that was also a name, and ran as the wrong user).
# Here: (uid_t)-1 means "unchanged" to setresuid, so `exec --user 4294967295` (or -1, or a process
# file with that uid) would stay container root; and exec must apply create's checks (IDs mapped in
# the container's user namespace).

load ../integration/helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	bundle_args sleep "$SLEEP_ARG"
	run_detached run --detach --bundle "$BUNDLE" tgt
	[ "$status" -eq 0 ]
}
teardown() { common_teardown; }

@test "exec user: --user 4294967295, -1, a sign, a non-number or an overflow is refused, never root" {
	local u
	for u in 4294967295 -1 +0 0x0 "" 99999999999 "0:4294967295" "0:-1" "1:" ":1" "0 "; do
		run --separate-stderr urun exec --user "$u" tgt id -u
		[[ $output != 0 ]] || { echo "--user '$u' ran as root" >&2; false; }
		assert_urun_error "--user"
	done
}

@test "exec user: an ID outside the container's maps is refused with create's message" {
	run --separate-stderr urun exec --user 70000 tgt id -u
	assert_urun_error "process.user.uid: 70000 is not mapped in the container's user namespace"
	run --separate-stderr urun exec --user 0:70000 tgt id -u
	assert_urun_error "process.user.gid: 70000 is not mapped"
	# inside the maps it runs, as that user
	run --separate-stderr urun exec --user 1000:1000 tgt id -u
	[ "$status" -eq 0 ]
	[ "$output" = 1000 ]
}

@test "exec user: a process file with uid 4294967295 or an unmapped gid is refused" {
	local p=$BATS_TEST_TMPDIR/process.json
	echo '{"args": ["id", "-u"], "cwd": "/", "user": {"uid": 4294967295, "gid": 0}}' >"$p"
	run --separate-stderr urun exec --process "$p" tgt
	[[ $output != 0 ]] || { echo "a process file with uid 4294967295 ran as root" >&2; false; }
	[ "$status" -ne 0 ]
	assert_contains "$stderr" "process.user.uid"
	echo '{"args": ["id", "-u"], "cwd": "/", "user": {"uid": 0, "gid": 0, "additionalGids": [70000]}}' >"$p"
	run --separate-stderr urun exec --process "$p" tgt
	[ "$status" -ne 0 ]
	assert_contains "$stderr" "process.user.additionalGids[0]: 70000 is not mapped"
}
