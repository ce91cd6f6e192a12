#!/usr/bin/env bats
# Attack class: the container reaches the runtime's own binary through /proc/PID/exe and overwrites
# it. Ancestor: CVE-2019-5736 (runc: a container process opened /proc/<runc>/exe and rewrote the host's
# runc). urun's processes in a container run urun's code until they exec (the init of a created
# container, an exec'd process before its execve) and stay non-dumpable meanwhile; the slirp helper
# lives outside the container's pid namespace. Here the binaries are copies the test user owns and
# could write, so that only that protection stands between the container and them.

load ../integration/helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	BIN=$BATS_TEST_TMPDIR/bin
	mkdir -p "$BIN"
	cp "$URUN" "$BIN/urun"
	if [ -x "$(dirname "$URUN")/urun-slirp" ]; then cp "$(dirname "$URUN")/urun-slirp" "$BIN/"; fi
	chmod 755 "$BIN"/*
	SIZES=" $(stat -c %s "$BIN"/* | tr '\n' ' ')"
	SUMS=$(sha256sum "$BIN"/*)
	# Inside the container: every /proc/PID/exe it can read or open for writing, with its size.
	SCAN='for p in /proc/[0-9]*; do
		if s=$(wc -c <"$p/exe" 2>/dev/null); then echo "READ $p $s"; fi
		if (printf "" >>"$p/exe") 2>/dev/null; then echo "WROTE $p"; fi
	done'
}
teardown() { common_teardown; }

myurun() {
	timeout -k 5 "$URUN_TEST_TIMEOUT" "$BIN/urun" --root "$URUN_ROOT" "$@" 3>&-
}

# No scanned exe may have the size of one of the copies, none may be writable, and the copies must
# be unchanged.
assert_binaries_safe() {
	local line
	while read -r line; do
		case $line in
		WROTE*) echo "the container opened $line for writing" >&2; return 1 ;;
		READ*)
			if [[ $SIZES == *" ${line##* } "* ]]; then
				echo "the container read a urun binary: $line" >&2
				return 1
			fi
			;;
		esac
	done <<<"$1"
	[ "$(sha256sum "$BIN"/*)" = "$SUMS" ]
}

@test "proc exe: the init of a created container is unreachable from a process exec'd into it" {
	bundle_args true
	myurun create --bundle "$BUNDLE" held </dev/null >/dev/null 2>&1
	run --separate-stderr myurun exec held sh -c "$SCAN"
	[ "$status" -eq 0 ]
	assert_binaries_safe "$output"
	[ "$(state_field held .status)" = created ]
}

@test "proc exe: an exec'd process is unreachable before its execve, while the container scans" {
	bundle_args sh -c "end=\$((\$(date +%s) + 4)); while [ \$(date +%s) -lt \$end ]; do $SCAN; done"
	myurun run --detach --bundle "$BUNDLE" scanner </dev/null >"$BATS_TEST_TMPDIR/scan.out" 2>&1
	local i
	for i in $(seq 40); do
		myurun exec scanner true </dev/null || true
	done
	wait_status scanner stopped
	assert_binaries_safe "$(cat "$BATS_TEST_TMPDIR/scan.out")"
}

@test "proc exe: the slirp helper is not in the container's pid namespace, and its binary is unreachable" {
	[ -x "$BIN/urun-slirp" ] || skip "urun-slirp is not built"
	[ -w /dev/net/tun ] || skip "/dev/net/tun is not usable here"
	bundle_args sh -c "$SCAN"
	run --separate-stderr myurun run --network slirp --bundle "$BUNDLE" slirpscan </dev/null
	[ "$status" -eq 0 ]
	assert_binaries_safe "$output"
}
