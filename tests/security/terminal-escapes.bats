#!/usr/bin/env bats
# Attack class: terminal escape injection, where text a container controls reaches the caller's
# terminal raw and retitles it, clears it or forges lines. Ancestor: CVE-2021-25743 (kubectl printed
# escape sequences from container-controlled fields unneutralised). urun escapes C0, DEL, C1 and
# invalid UTF-8 as \xHH (src/base/escape.c) wherever it prints such text: `ps` and hook output.

load ../integration/helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# True when FILE holds a byte a terminal could act on: C0 but newline, DEL, or 0x80-0x9f (C1 raw or
# as the second byte of UTF-8 U+0080-U+009F; the tests print no other non-ASCII text).
has_raw_controls() {
	od -An -v -tx1 "$1" | tr -s ' ' '\n' | grep -Eqx '0[0-9b-f]|1[0-9a-f]|7f|[89][0-9a-f]'
}

@test "terminal escapes: ps escapes the command lines the container wrote (OSC, CSI, C1, raw 0x9b)" {
	bundle_share
	# an inner sh gets ESC ] 0 ; title BEL, a UTF-8 C1 CSI and a raw 0x9b byte as its $0: the
	# container makes them at run time (a config may not even hold raw C1 characters).  "ready" once
	# the sleep runs (its comm says so), not before: ps must find it.
	bundle_args sh -c 'x=$(printf "\033]0;pwned\007\302\2332J \233[2J"); sh -c "sleep \$1 & until [ \"\$(cat /proc/\$!/comm 2>/dev/null)\" = sleep ]; do :; done; touch /shared/ready; wait" "$x" '"$SLEEP_ARG"' & wait'
	run_detached run --detach --bundle "$BUNDLE" esc
	[ "$status" -eq 0 ]
	wait_for_file "$SHARED/ready"
	urun ps esc >"$BATS_TEST_TMPDIR/ps.out"
	cat "$BATS_TEST_TMPDIR/ps.out"
	refute has_raw_controls "$BATS_TEST_TMPDIR/ps.out"
	run cat "$BATS_TEST_TMPDIR/ps.out"
	[[ $output == *'\x1b]0;pwned\x07\xc2\x9b2J \x9b[2J'* ]]
	[[ $output == *"sleep $SLEEP_ARG"* ]]
}

@test "terminal escapes: a command line that rewrites itself with newlines cannot forge ps lines" {
	bundle_share
	bundle_args sh -c 'touch /shared/ready; sleep '"$SLEEP_ARG"' & wait' "$(printf 'x\n0        1        0        forged')"
	run_detached run --detach --bundle "$BUNDLE" nl
	[ "$status" -eq 0 ]
	wait_for_file "$SHARED/ready"
	run urun ps nl
	[ "$status" -eq 0 ]
	[[ $output == *'x\x0a0        1'* ]]
	for line in "${lines[@]}"; do
		[[ $line != "0        1        0"* ]]
	done
}

@test "terminal escapes: a failing hook's output is escaped in the error" {
	bundle_jq '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c",
	  "printf \"\\033]0;pwned\\007 \\302\\233 \\233[2J \\177 done\"; exit 3"]}]'
	run --separate-stderr urun create --bundle "$BUNDLE" hookesc
	printf '%s' "$stderr" >"$BATS_TEST_TMPDIR/err"
	assert_urun_error 'hooks.createRuntime[0] /bin/sh: exited with status 3: \x1b]0;pwned\x07 \xc2\x9b \x9b[2J \x7f done'
	refute has_raw_controls "$BATS_TEST_TMPDIR/err"
	assert_nothing_left hookesc
}
