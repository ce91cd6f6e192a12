#!/usr/bin/env bats
# The state root: $XDG_RUNTIME_DIR/urun, the /run/user/$UID/urun and /tmp/urun-$UID fallbacks, --root,
# and hostile roots.

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	# An ID no other test run uses, for the tests on the shared default roots.
	ID=root-test-$$-$RANDOM
	# Without a usable XDG_RUNTIME_DIR: /run/user/$UID/urun when that directory is ours (the suite's
	# user has one, as pam_systemd makes it), else /tmp/urun-$UID.
	RUN_USER=/run/user/$(id -u)
	TMP_FALLBACK=/tmp/urun-$(id -u)
	if [ -d "$RUN_USER" ] && [ "$(stat -c %u "$RUN_USER")" = "$(id -u)" ] &&
		[ $((0$(stat -c %a "$RUN_USER") & 022)) -eq 0 ]; then
		FALLBACK=$RUN_USER/urun
	else
		FALLBACK=$TMP_FALLBACK
	fi
}
teardown() {
	# Containers made under the default roots.
	env -u XDG_RUNTIME_DIR timeout 30 "$URUN" delete --force "$ID" >/dev/null 2>&1 3>&- || true
	if [ -n "${XDG:-}" ]; then
		XDG_RUNTIME_DIR=$XDG timeout 30 "$URUN" delete --force "$ID" >/dev/null 2>&1 3>&- || true
	fi
	common_teardown
}

# urun without --root, with the given XDG_RUNTIME_DIR (or unset when empty).
urun_default_root() {
	local xdg=$1
	shift
	if [ -n "$xdg" ]; then
		XDG_RUNTIME_DIR=$xdg timeout 60 "$URUN" "$@" </dev/null 3>&-
	else
		env -u XDG_RUNTIME_DIR timeout 60 "$URUN" "$@" </dev/null 3>&-
	fi
}

# create ID under the default root for XDG_RUNTIME_DIR=XDG (unset when empty), its stdio in files (the
# container inherits them); status and output (stderr) as `run` sets them.
create_default_root() {
	local xdg=$1
	shift
	status=0
	urun_default_root "$xdg" create "$@" >"$BATS_TEST_TMPDIR/create.out" 2>"$BATS_TEST_TMPDIR/create.err" || status=$?
	# shellcheck disable=SC2034 # read by assert_urun_error
	output=$(cat "$BATS_TEST_TMPDIR/create.err")
	stderr=$output
}

@test "the default root is \$XDG_RUNTIME_DIR/urun, created 0700" {
	XDG=$BATS_TEST_TMPDIR/xdg
	mkdir -m 0700 "$XDG"
	create_default_root "$XDG" --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ -d "$XDG/urun/$ID" ]
	[ "$(stat -c %a "$XDG/urun")" = 700 ]
	run urun_default_root "$XDG" state "$ID"
	[ "$status" -eq 0 ]
	jq -e --arg id "$ID" '.id == $id' <<<"$output"
	run urun_default_root "$XDG" delete "$ID"
	[ "$status" -eq 0 ]
	[ ! -e "$XDG/urun/$ID" ]
}

@test "with XDG_RUNTIME_DIR unset the root is /run/user/\$UID/urun when that is ours, else /tmp/urun-\$UID" {
	create_default_root "" --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ -d "$FALLBACK/$ID" ]
	[ "$(stat -c %a "$FALLBACK")" = 700 ]
	[ "$(stat -c %u "$FALLBACK")" = "$(id -u)" ]
	run urun_default_root "" list -q
	assert_contains "$output" "$ID"
	run urun_default_root "" delete "$ID"
	[ "$status" -eq 0 ]
	[ ! -e "$FALLBACK/$ID" ]
}

@test "with XDG_RUNTIME_DIR pointing nowhere the root is the same fallback" {
	create_default_root "$BATS_TEST_TMPDIR/no-such-dir" --bundle "$BUNDLE" "$ID"
	[ "$status" -eq 0 ]
	[ -d "$FALLBACK/$ID" ]
	[ ! -e "$BATS_TEST_TMPDIR/no-such-dir" ]
	run urun_default_root "" delete "$ID"
	[ "$status" -eq 0 ]
}

@test "--root is created 0700 when missing" {
	run_detached create --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	[ "$(stat -c %a "$URUN_ROOT")" = 700 ]
	[ -d "$URUN_ROOT/c1" ]
}

@test "a world-writable --root (/tmp) is refused" {
	URUN_ROOT=/tmp run_detached create --bundle "$BUNDLE" "$ID"
	assert_urun_error /tmp
	[ ! -e "/tmp/$ID" ]
	run --separate-stderr "$URUN" --root /tmp list
	assert_urun_error /tmp
}

@test "a group-writable --root is refused" {
	local r=$BATS_TEST_TMPDIR/gw
	mkdir "$r"
	chmod 0770 "$r"
	URUN_ROOT="$r" run_detached create --bundle "$BUNDLE" c1
	assert_urun_error "$r"
	[ -z "$(ls -A "$r")" ]
	[ "$(stat -c %a "$r")" = 770 ]
	run --separate-stderr "$URUN" --root "$r" list
	assert_urun_error "$r"
}

@test "a --root that is a symlink is refused" {
	local real=$BATS_TEST_TMPDIR/real link=$BATS_TEST_TMPDIR/link
	mkdir -m 0700 "$real"
	ln -s "$real" "$link"
	URUN_ROOT="$link" run_detached create --bundle "$BUNDLE" c1
	assert_urun_error "$link"
	[ -z "$(ls -A "$real")" ]
	run --separate-stderr "$URUN" --root "$link" list
	assert_urun_error "$link"
}

@test "a --root owned by another user is refused" {
	local r=/usr/share
	[ "$(stat -c %u "$r")" != "$(id -u)" ] || skip "$r belongs to the test user"
	URUN_ROOT="$r" run_detached create --bundle "$BUNDLE" c1
	assert_urun_error "$r"
	run --separate-stderr "$URUN" --root "$r" list
	assert_urun_error "$r"
}

@test "a --root that is a regular file is refused" {
	local r=$BATS_TEST_TMPDIR/file
	echo not-a-dir >"$r"
	URUN_ROOT="$r" run_detached create --bundle "$BUNDLE" c1
	assert_urun_error "$r"
	[ "$(cat "$r")" = not-a-dir ]
}

@test "a hostile /tmp/urun-\$UID fallback is refused, not used" {
	# Only testable when the fallback does not exist yet or is ours to loosen temporarily.
	if [ -e "$TMP_FALLBACK" ] && [ "$(stat -c %u "$TMP_FALLBACK")" != "$(id -u)" ]; then
		skip "$TMP_FALLBACK belongs to someone else"
	fi
	[ -e "$TMP_FALLBACK" ] || mkdir -m 0700 "$TMP_FALLBACK"
	local mode run_mode=
	mode=$(stat -c %a "$TMP_FALLBACK")
	# /run/user/$UID is taken first where it is ours: made group-writable for the moment, it is not
	if [ "$FALLBACK" != "$TMP_FALLBACK" ]; then
		run_mode=$(stat -c %a "$RUN_USER")
		chmod g+w "$RUN_USER"
	fi
	chmod 0777 "$TMP_FALLBACK"
	create_default_root "" --bundle "$BUNDLE" "$ID"
	chmod "$mode" "$TMP_FALLBACK"
	[ -z "$run_mode" ] || chmod "$run_mode" "$RUN_USER"
	assert_urun_error "$TMP_FALLBACK"
	[ ! -e "$TMP_FALLBACK/$ID" ]
}

@test "state, kill, delete, list and ps never create a missing state root (Slurm's query as root would lock the user out)" {
	local r=$BATS_TEST_TMPDIR/not-there
	run --separate-stderr "$URUN" --root "$r" list
	[ "$status" -eq 0 ]
	run --separate-stderr "$URUN" --root "$r" list -f json
	[ "$output" = "[]" ]
	run --separate-stderr "$URUN" --root "$r" state x
	assert_urun_error "container x does not exist"
	run --separate-stderr "$URUN" --root "$r" delete --force x
	[ "$status" -eq 0 ]
	run --separate-stderr "$URUN" --root "$r" kill x
	assert_urun_error "container x does not exist"
	run --separate-stderr "$URUN" --root "$r" ps x
	assert_urun_error "container x does not exist"
	[ ! -e "$r" ]
}

@test "a --root owned by an ID no user database names is refused by number, without a crash" {
	# A subordinate ID owns it (no passwd entry); urun then asks NSS for a name.  A statically linked
	# glibc crashed loading the system's NSS modules (libnss_systemd) there: urun asks getent instead.
	local d=$BATS_TEST_TMPDIR/sub-owned uid
	mkdir -m 0700 "$d"
	run urun unshare chown 1000:1000 "$d"
	[ "$status" -eq 0 ]
	uid=$(stat -c %u "$d")
	[ "$uid" != "$(id -u)" ]
	! getent passwd "$uid" >/dev/null || skip "uid $uid has a name on this machine"
	run --separate-stderr "$URUN" --root "$d" list
	assert_urun_error "state root $d: owned by uid $uid, not you" "--root DIR"
}

@test "a state root someone else made names its owner and --root" {
	# (the suite's user cannot make a root-owned directory: / stands in for someone else's)
	run --separate-stderr "$URUN" --root / list
	assert_urun_error "state root /: owned by uid 0 (root), not you" "--root DIR"
}
