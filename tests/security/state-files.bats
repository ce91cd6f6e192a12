#!/usr/bin/env bats
# Attack class: runtime state tampering. Whoever can write to a container's state directory (the
# user, a tool gone wrong, or a container through a directory of it that reached the container)
# plants a fifo, symlink, directory or garbage where urun keeps its state, or fills the directory
# with a tree urun did not make. Ancestors: link following in a runtime's own directories (CWE-59;
# runc's CVE-2021-30465 followed a path component swapped for a symlink) and blocking opens of
# planted special files (CWE-400). urun must answer at once (no hang on a fifo), never follow a
# planted symlink, list such a container as `unknown` with the reason, stop its process under
# --force only when pid and start time match what create recorded, and remove the directory
# whatever it holds.

load ../integration/helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	# A command that hangs on a planted fifo must fail the test soon, not after a minute.
	URUN_TEST_TIMEOUT=15
	VICTIM=
}
teardown() {
	if [ -n "$VICTIM" ]; then
		kill "$VICTIM" 2>/dev/null || true
		wait "$VICTIM" 2>/dev/null || true
	fi
	common_teardown
}

# Field 22 of /proc/PID/stat: the start time urun records with a pid.
start_time_of() {
	local stat rest
	stat=$(cat "/proc/$1/stat") || return 1
	rest=${stat##*) }
	read -r -a f <<<"$rest"
	echo "${f[19]}"
}

# The row of ID in `urun list` output ($output), split into the array ROW.
list_row() {
	local line
	line=$(printf '%s\n' "${lines[@]}" | grep "^$1 ") || {
		echo "no row for $1 in: $output" >&2
		return 1
	}
	read -r -a ROW <<<"$line"
}

@test "a state.json that is a fifo: list, state and delete answer at once, naming the file" {
	create_ctr c1
	local pid dir=$URUN_ROOT/c1
	pid=$(state_field c1 .pid)
	rm "$dir/state.json"
	mkfifo "$dir/state.json"

	run --separate-stderr urun list
	[ "$status" -eq 0 ]
	list_row c1
	[ "${ROW[1]}" = "$pid" ]
	[ "${ROW[2]}" = unknown ]
	assert_contains "$stderr" "container c1: status unknown: "
	assert_contains "$stderr" "c1/state.json: is a fifo, not a regular file"

	run --separate-stderr urun list --format json
	[ "$status" -eq 0 ]
	jq -e --argjson pid "$pid" '.[] | select(.id == "c1") | .status == "unknown" and .pid == $pid
		and (.error | test("c1/state.json: is a fifo, not a regular file"))' <<<"$output"

	run --separate-stderr urun list -q
	[ "$status" -eq 0 ]
	[ "$output" = c1 ]

	run --separate-stderr urun state c1
	assert_urun_error "c1/state.json: is a fifo, not a regular file"

	run --separate-stderr urun delete c1
	assert_urun_error "cannot delete container c1 without --force" "state.json: is a fifo"
	pid_alive "$pid"

	run --separate-stderr urun delete --force c1
	[ "$status" -eq 0 ]
	[ ! -e "$dir" ]
	refute pid_alive "$pid"
}

@test "a corrupt state.json does not hide a running container, and delete -f stops its init" {
	bundle_long_running
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	local pid
	pid=$(state_field c1 .pid)
	echo '{"id": "c1", "pid": ' >"$URUN_ROOT/c1/state.json"

	run --separate-stderr urun list
	[ "$status" -eq 0 ]
	list_row c1
	[ "${ROW[1]}" = "$pid" ]
	[ "${ROW[2]}" = unknown ]
	assert_contains "$stderr" "c1/state.json: "

	run --separate-stderr urun delete --force c1
	[ "$status" -eq 0 ]
	[ ! -e "$URUN_ROOT/c1" ]
	refute pid_alive "$pid"
	# the sleep in the container's pid namespace went with its init
	[ -z "$(procs_with "$SLEEP_ARG")" ]
}

@test "delete -f of an unreadable state never kills a pid whose start time differs from the record" {
	sleep 3600 &
	VICTIM=$!
	local start dir=$URUN_ROOT/fake
	start=$(start_time_of "$VICTIM")
	mkdir -p "$URUN_ROOT" && chmod 0700 "$URUN_ROOT" && mkdir -m 0700 "$dir"
	echo 'not json' >"$dir/state.json"
	# the recorded pid now belongs to someone else: same pid, another start time
	printf 'init %s %s\nhelper 0 0\n' "$VICTIM" "$((start + 1))" >"$dir/procs"

	run --separate-stderr urun list -f json
	[ "$status" -eq 0 ]
	jq -e '.[] | select(.id == "fake") | .status == "unknown" and .pid == 0' <<<"$output"

	run --separate-stderr urun delete --force fake
	[ "$status" -eq 0 ]
	[ ! -e "$dir" ]
	pid_alive "$VICTIM"
}

@test "delete -f of an unreadable state without a usable process record only removes the directory" {
	sleep 3600 &
	VICTIM=$!
	local start dir
	start=$(start_time_of "$VICTIM")
	mkdir -p "$URUN_ROOT" && chmod 0700 "$URUN_ROOT"
	for rec in missing garbage fifo symlink; do
		dir=$URUN_ROOT/fake-$rec
		mkdir -m 0700 "$dir"
		echo '[]' >"$dir/state.json"
		printf 'init %s %s\nhelper 0 0\n' "$VICTIM" "$start" >"$BATS_TEST_TMPDIR/record"
		case $rec in
		garbage) printf 'init %s %s\n' "$VICTIM" "$start" >"$dir/procs" ;;
		fifo) mkfifo "$dir/procs" ;;
		symlink) ln -s "$BATS_TEST_TMPDIR/record" "$dir/procs" ;;
		esac
		run --separate-stderr urun delete --force "fake-$rec"
		[ "$status" -eq 0 ]
		[ ! -e "$dir" ]
		pid_alive "$VICTIM"
	done
}

@test "a state.json that is a symlink is refused, not followed, and listed as unknown" {
	create_ctr c1
	local dir=$URUN_ROOT/c1 pid
	pid=$(state_field c1 .pid)
	cp "$dir/state.json" "$BATS_TEST_TMPDIR/elsewhere.json"
	ln -sf "$BATS_TEST_TMPDIR/elsewhere.json" "$dir/state.json"

	run --separate-stderr urun state c1
	assert_urun_error "c1/state.json: is a symlink, not a regular file"
	run --separate-stderr urun list
	[ "$status" -eq 0 ]
	list_row c1
	[ "${ROW[2]}" = unknown ]

	run --separate-stderr urun delete --force c1
	[ "$status" -eq 0 ]
	[ ! -e "$dir" ]
	[ -f "$BATS_TEST_TMPDIR/elsewhere.json" ]
	refute pid_alive "$pid"
}

@test "a state.json that is a directory, too large, or empty: unknown with the reason" {
	create_ctr c1
	local dir=$URUN_ROOT/c1
	cp "$dir/state.json" "$BATS_TEST_TMPDIR/good.json"
	for kind in directory large empty; do
		rm -rf "$dir/state.json"
		case $kind in
		directory) mkdir "$dir/state.json" ;;
		large) head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$dir/state.json" ;;
		empty) : >"$dir/state.json" ;;
		esac
		run --separate-stderr urun list -f json
		[ "$status" -eq 0 ]
		jq -e '.[] | select(.id == "c1") | .status == "unknown"' <<<"$output"
		run --separate-stderr urun state c1
		case $kind in
		directory) assert_urun_error "c1/state.json: is a directory, not a regular file" ;;
		large) assert_urun_error "c1/state.json: larger than 1048576 bytes" ;;
		empty) assert_urun_error "c1/state.json: " ;;
		esac
	done
	rm -rf "$dir/state.json"
	cp "$BATS_TEST_TMPDIR/good.json" "$dir/state.json"
	[ "$(state_field c1 .status)" = created ]
}

@test "a long ID's id file that is a fifo hangs nothing" {
	local id dir
	id=long-$(printf 'x%.0s' $(seq 250))
	create_ctr "$id"
	dir=$(find "$URUN_ROOT" -mindepth 1 -maxdepth 1 -name '*~*')
	[ -d "$dir" ]
	rm "$dir/id"
	mkfifo "$dir/id"

	run --separate-stderr urun list -q
	[ "$status" -eq 0 ]
	run --separate-stderr urun state "$id"
	assert_urun_error "does not exist"

	rm "$dir/id"
	printf '%s' "$id" >"$dir/id"
	run --separate-stderr urun delete --force "$id"
	[ "$status" -eq 0 ]
	[ ! -e "$dir" ]
}

@test "delete removes a state directory whatever it holds, without following symlinks" {
	create_ctr c1
	local dir=$URUN_ROOT/c1 outside=$BATS_TEST_TMPDIR/outside d
	mkdir -p "$outside" && echo keep >"$outside/keep"
	# a nested tree with modes that forbid listing and changing it, as a container could leave
	mkdir -p "$dir/junk/a/b/c" "$dir/ro/sub"
	echo x >"$dir/junk/a/b/c/f"
	echo x >"$dir/ro/sub/f"
	chmod 0000 "$dir/junk/a/b"
	chmod 0500 "$dir/ro/sub" "$dir/ro"
	chmod 0300 "$dir/junk/a"
	ln -s "$outside" "$dir/dirlink"
	ln -s / "$dir/rootlink"
	ln -s "$outside/keep" "$dir/filelink"
	mkfifo "$dir/fifo"
	d=$dir/deep
	for _ in $(seq 100); do d=$d/d; done
	mkdir -p "$d" && echo x >"$d/f"

	run --separate-stderr urun delete c1
	[ "$status" -eq 0 ]
	[ ! -e "$dir" ]
	[ "$(cat "$outside/keep")" = keep ]
}

@test "delete -f of a running container removes whatever its state directory holds" {
	bundle_long_running
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	local dir=$URUN_ROOT/c1 pid
	pid=$(state_field c1 .pid)
	mkdir -p "$dir/t/u/v"
	chmod 0000 "$dir/t/u/v" "$dir/t/u"
	run --separate-stderr urun delete --force c1
	[ "$status" -eq 0 ]
	[ ! -e "$dir" ]
	refute pid_alive "$pid"
}

@test "the reason list gives for an unknown state prints no control bytes from the file" {
	create_ctr c1
	local pid
	pid=$(state_field c1 .pid)
	printf '{"id": "c1", "pid": %s, "annotations": {"\\u001b]0;owned\\u0007\\u001b[2J": [1]}}' "$pid" \
		>"$URUN_ROOT/c1/state.json"
	run --separate-stderr urun list
	[ "$status" -eq 0 ]
	list_row c1
	[ "${ROW[2]}" = unknown ]
	assert_contains "$stderr" 'annotations.\x1b]0;owned\x07\x1b[2J'
	[[ $stderr != *$'\e'* ]] && [[ $stderr != *$'\a'* ]]
}
