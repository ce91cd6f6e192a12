#!/usr/bin/env bats
# Attack class: a hostile state root. Whoever can swap, own or write the directory urun keeps its
# state in (--root, $XDG_RUNTIME_DIR/urun or /tmp/urun-$UID) could point urun's writes elsewhere,
# plant containers, or read and tamper with another user's state. Ancestors: insecure shared
# temporary directories and link following (CWE-377, CWE-59; runc's CVE-2021-30465 is the
# symlink-swap instance in a runtime). urun refuses a root that is a symlink, belongs to another user
# or that others may write, on every command, and never follows an entry of the root that is not a
# real container directory.

load ../integration/helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	URUN_TEST_TIMEOUT=15
}
teardown() { common_teardown; }

# Every command against state root ROOT is refused with one error line naming it; none creates anything.
assert_root_refused() {
	local root=$1 want=$2 args
	for args in "list" "list -q" "state c1" "delete c1" "delete --force c1" "kill c1" "create --bundle $BUNDLE c1"; do
		# shellcheck disable=SC2086 # args holds a command and its options
		run --separate-stderr timeout -k 5 15 "$URUN" --root "$root" $args </dev/null 3>&-
		assert_urun_error "state root $root" "$want"
	done
}

@test "a --root that is a symlink is refused by every command, and nothing lands in its target" {
	local real=$BATS_TEST_TMPDIR/real link=$BATS_TEST_TMPDIR/link
	mkdir -m 0700 "$real"
	ln -s "$real" "$link"
	assert_root_refused "$link" "is a symlink"
	[ -z "$(ls -A "$real")" ]
	[ -L "$link" ]
}

@test "\$XDG_RUNTIME_DIR/urun that is a symlink is refused, not followed" {
	local xdg=$BATS_TEST_TMPDIR/xdg elsewhere=$BATS_TEST_TMPDIR/elsewhere
	mkdir -m 0700 "$xdg" "$elsewhere"
	ln -s "$elsewhere" "$xdg/urun"
	run --separate-stderr env XDG_RUNTIME_DIR="$xdg" timeout 15 "$URUN" list 3>&-
	assert_urun_error "state root $xdg/urun" "is a symlink"
	status=0
	env XDG_RUNTIME_DIR="$xdg" timeout 15 "$URUN" create --bundle "$BUNDLE" c1 </dev/null \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" 3>&- || status=$?
	stderr=$(cat "$BATS_TEST_TMPDIR/err")
	assert_urun_error "state root $xdg/urun" "is a symlink"
	[ -z "$(ls -A "$elsewhere")" ]
}

@test "a root owned by another user is refused" {
	local r
	for r in / /usr/share /var/tmp; do
		[ "$(stat -c %u "$r")" != "$(id -u)" ] || skip "$r belongs to the test user"
		run --separate-stderr "$URUN" --root "$r" list 3>&-
		assert_urun_error "state root $r"
		run --separate-stderr "$URUN" --root "$r" state c1 3>&-
		assert_urun_error "state root $r"
	done
	assert_root_refused / "owned by uid"
}

@test "a root that others may write is refused, whatever else its mode says" {
	local r=$BATS_TEST_TMPDIR/open mode
	mkdir "$r"
	for mode in 0777 1777 0702 0720 0770 2770 1733; do
		chmod "0$mode" "$r" # five digits: GNU chmod keeps a directory's setgid bit otherwise
		assert_root_refused "$r" "group/world-writable"
		[ -z "$(ls -A "$r")" ]
		[ "$(stat -c %a "$r")" = "$(printf '%o' "$((8#$mode))")" ]
	done
}

@test "a root that others were given write to after create is refused until it is closed again" {
	create_ctr c1
	chmod 0777 "$URUN_ROOT"
	run --separate-stderr urun list
	assert_urun_error "state root" "group/world-writable"
	run --separate-stderr urun delete --force c1
	assert_urun_error "state root" "group/world-writable"
	[ -d "$URUN_ROOT/c1" ]
	chmod 0700 "$URUN_ROOT"
	run --separate-stderr urun delete --force c1
	[ "$status" -eq 0 ]
	[ ! -e "$URUN_ROOT/c1" ]
}

@test "a root writable through an ACL is refused" {
	command -v setfacl >/dev/null || skip "setfacl is not installed"
	local r=$BATS_TEST_TMPDIR/acl
	mkdir -m 0700 "$r"
	setfacl -m "u:nobody:rwx" "$r" 2>/dev/null || skip "no ACLs on this file system"
	run --separate-stderr "$URUN" --root "$r" list 3>&-
	assert_urun_error "state root $r" "group/world-writable"
}

@test "an entry of the root that is a symlink to a directory is neither listed nor followed" {
	create_ctr c1
	local victim=$BATS_TEST_TMPDIR/victim
	mkdir -m 0700 "$victim"
	cp "$URUN_ROOT/c1/state.json" "$victim/state.json"
	echo keep >"$victim/keep"
	ln -s "$victim" "$URUN_ROOT/evil"

	run --separate-stderr urun list -q
	[ "$status" -eq 0 ]
	[ "$output" = c1 ]
	run --separate-stderr urun state evil
	assert_urun_error "container evil does not exist"
	run --separate-stderr urun delete evil
	assert_urun_error "container evil does not exist"
	run --separate-stderr urun delete --force evil
	[ "$status" -eq 0 ]
	[ "$(cat "$victim/keep")" = keep ]
	[ -f "$victim/state.json" ]
}

@test "fifos, sockets and files named like containers in the root are ignored at once" {
	mkdir -m 0700 "$URUN_ROOT"
	mkfifo "$URUN_ROOT/ff"
	echo x >"$URUN_ROOT/file"
	ln -s /dev/zero "$URUN_ROOT/dev"
	run --separate-stderr urun list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	for name in ff file dev; do
		run --separate-stderr urun state "$name"
		assert_urun_error "container $name does not exist"
		run --separate-stderr urun delete --force "$name"
		[ "$status" -eq 0 ]
	done
}

@test "a container directory nobody may open is listed as unknown, with the reason" {
	create_ctr c1
	local pid
	pid=$(state_field c1 .pid)
	chmod 0000 "$URUN_ROOT/c1"
	run --separate-stderr urun list -f json
	chmod 0700 "$URUN_ROOT/c1"
	[ "$status" -eq 0 ]
	jq -e '.[] | select(.id == "c1") | .status == "unknown" and (.error | test("c1: Permission denied"))' <<<"$output"
	run --separate-stderr urun delete --force c1
	[ "$status" -eq 0 ]
	refute pid_alive "$pid"
}
