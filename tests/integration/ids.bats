#!/usr/bin/env bats
# Container IDs: the allowed alphabet and length, hostile IDs, and concurrent creates.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# An ID of N bytes made of the whole allowed alphabet.
long_id() {
	local n=$1 s=node1.alice.123.0.0_A-Z+
	while [ "${#s}" -lt "$n" ]; do s+=$s; done
	echo "${s:0:n}"
}

@test "a Slurm-style dotted ID works through run" {
	bundle_args sh -c 'echo dotted'
	run urun run --bundle "$BUNDLE" node1.alice.123.0.0
	[ "$status" -eq 0 ]
	[ "$output" = dotted ]
}

@test "a Slurm-style dotted ID works through create, start, state, kill, delete" {
	local id=node1.alice.123.0.0
	bundle_long_running
	create_ctr "$id"
	start_ctr "$id"
	wait_for_file "$SHARED/ready"
	[ "$(state_field "$id" .id)" = "$id" ]
	run urun kill "$id" KILL
	[ "$status" -eq 0 ]
	wait_status "$id" stopped
	run urun delete "$id"
	[ "$status" -eq 0 ]
}

@test "IDs with every allowed character class work" {
	bundle_args true
	for id in a A 0 _x x- x+y a.b Z_9.+-z 1.2.3; do
		run urun run --bundle "$BUNDLE" "$id"
		if [ "$status" -ne 0 ]; then
			echo "run '$id': status $status: $output" >&2
			return 1
		fi
	done
}

@test "a 1024-byte ID works for create, start, state, list, delete" {
	local id
	id=$(long_id 1024)
	[ "${#id}" -eq 1024 ]
	bundle_share
	bundle_args touch /shared/marker
	create_ctr "$id" --pid-file "$PIDFILE"
	[ "$(state_field "$id" .id)" = "$id" ]
	[ "$(state_field "$id" .status)" = created ]
	run urun list -q
	[ "$output" = "$id" ]
	start_ctr "$id"
	wait_for_file "$SHARED/marker"
	wait_status "$id" stopped
	run urun delete "$id"
	[ "$status" -eq 0 ]
	[ -z "$(urun list -q)" ]
}

@test "a 1024-byte ID works for run and for a running container" {
	local id
	id=$(long_id 1024)
	bundle_args sh -c 'exit 4'
	run urun run --bundle "$BUNDLE" "$id"
	[ "$status" -eq 4 ]
	bundle_long_running
	run_detached run -d --bundle "$BUNDLE" "$id"
	[ "$status" -eq 0 ]
	wait_for_file "$SHARED/ready"
	[ "$(state_field "$id" .status)" = running ]
	run urun delete --force "$id"
	[ "$status" -eq 0 ]
}

@test "invalid IDs are refused by create with 'invalid container id'" {
	local long
	long=$(long_id 1025)
	local -a bad=(.. . a/b / ../x .hidden "" "a b" 'a*' 'a:b' 'a\b' "$(printf 'a\nb')" "é" "$long")
	for id in "${bad[@]}"; do
		run --separate-stderr urun create --bundle "$BUNDLE" --pid-file "$PIDFILE" "$id" </dev/null
		if ! assert_urun_error "invalid container id"; then
			echo "(for the ID '$id')" >&2
			return 1
		fi
		assert_nothing_left "$id"
	done
	# Nothing was created in the state root, nor beside it (../x).
	[ -z "$(ls -A "$URUN_ROOT" 2>/dev/null | grep -v '^\.')" ]
	[ ! -e "$BATS_TEST_TMPDIR/x" ]
}

@test "invalid IDs are refused by run, state, start, kill and delete" {
	for id in .. a/b ../state .hidden; do
		for cmd in "run --bundle $BUNDLE" state start "kill" "delete" "delete --force"; do
			# shellcheck disable=SC2086 # cmd holds the command and its options
			run --separate-stderr urun $cmd "$id" </dev/null
			if ! assert_urun_error "invalid container id"; then
				echo "(for urun $cmd '$id')" >&2
				return 1
			fi
		done
	done
}

@test "parallel creates of one ID: exactly one succeeds" {
	local i n=8 ok=0
	local -a pids=()
	for i in $(seq "$n"); do
		"$URUN" --root "$URUN_ROOT" create --bundle "$BUNDLE" same </dev/null \
			>"$BATS_TEST_TMPDIR/p$i.out" 2>"$BATS_TEST_TMPDIR/p$i.err" 3>&- &
		pids+=($!)
	done
	local -a losers=()
	for i in $(seq "$n"); do
		if wait "${pids[i - 1]}"; then
			ok=$((ok + 1))
		else
			losers+=("$(cat "$BATS_TEST_TMPDIR/p$i.err")")
		fi
	done
	echo "$ok of $n creates succeeded; the others said:" >&2
	printf '  %s\n' "${losers[@]}" >&2
	[ "$ok" -eq 1 ]
	for err in "${losers[@]}"; do
		assert_contains "$err" "container same already exists"
	done
	run urun list -q
	[ "$output" = same ]
	[ "$(state_field same .status)" = created ]
	pid_alive "$(state_field same .pid)"
	# The losers left no container init behind: one process carries this state root, the winner's.
	[ "$(procs_with "$URUN_ROOT" | wc -l)" -le 1 ]
}

@test "parallel creates of distinct IDs: all succeed" {
	local i n=8 fail=0
	local -a pids=()
	for i in $(seq "$n"); do
		"$URUN" --root "$URUN_ROOT" create --bundle "$BUNDLE" "ctr$i" </dev/null \
			>"$BATS_TEST_TMPDIR/p$i.out" 2>"$BATS_TEST_TMPDIR/p$i.err" 3>&- &
		pids+=($!)
	done
	for i in $(seq "$n"); do
		if ! wait "${pids[i - 1]}"; then
			echo "create ctr$i failed: $(cat "$BATS_TEST_TMPDIR/p$i.err")" >&2
			fail=1
		fi
	done
	[ "$fail" -eq 0 ]
	[ "$(urun list -q | sort | tr '\n' ' ')" = "$(printf 'ctr%s\n' $(seq "$n") | sort | tr '\n' ' ')" ]
	for i in $(seq "$n"); do
		[ "$(state_field "ctr$i" .status)" = created ]
	done
}

@test "parallel runs of distinct IDs all complete" {
	local i n=8 fail=0
	local -a pids=()
	bundle_args sh -c 'exit 0'
	for i in $(seq "$n"); do
		"$URUN" --root "$URUN_ROOT" run --bundle "$BUNDLE" "r$i" </dev/null \
			>"$BATS_TEST_TMPDIR/p$i.out" 2>"$BATS_TEST_TMPDIR/p$i.err" 3>&- &
		pids+=($!)
	done
	for i in $(seq "$n"); do
		if ! wait "${pids[i - 1]}"; then
			echo "run r$i failed: $(cat "$BATS_TEST_TMPDIR/p$i.err")" >&2
			fail=1
		fi
	done
	[ "$fail" -eq 0 ]
	[ -z "$(urun list -q)" ]
}

@test "a 1024-byte ID under a 300-byte state root path works (socket paths stay short)" {
	local id deep=$BATS_TEST_TMPDIR
	id=$(long_id 1024)
	while [ "${#deep}" -lt 300 ]; do deep+=/a-rather-long-directory-name; done
	URUN_ROOT=$deep/state
	mkdir -p "$deep"
	bundle_share
	bundle_args sh -c 'touch /shared/marker; exit 6'
	create_ctr "$id"
	start_ctr "$id"
	wait_for_file "$SHARED/marker"
	wait_status "$id" stopped
	run urun delete "$id"
	[ "$status" -eq 0 ]
	run urun run --bundle "$BUNDLE" "$id"
	[ "$status" -eq 6 ]
}
