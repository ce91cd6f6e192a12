# Shared set-up, tear-down and assertions of the urun integration suite (bats).
# Every test gets its own bundle and its own state root under $BATS_TEST_TMPDIR; teardown deletes the
# containers the test left and fails the test if urun processes or sanitizer reports remain.
# Never runs urun as root: tests/integration/run.sh drops to an unprivileged user first.

bats_require_minimum_version 1.5.0

: "${URUN:?URUN must name the urun binary under test}"
TESTS_DIR=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
URUN_TEST_TIMEOUT=${URUN_TEST_TIMEOUT:-60}

# --- set-up and tear-down ---------------------------------------------------------------------

# Builds the busybox rootfs and the `urun spec --rootless` config once per .bats file; tests copy it.
# A failure is remembered rather than raised so that each test reports it.
common_setup_file() {
	[ "$(id -u)" -ne 0 ] || return 0
	# Tests that need the network ask for it (netns.bats); the others should not pay for slirp.
	URUN="$URUN" BUNDLE_NETWORK=${BUNDLE_NETWORK:-} "$TESTS_DIR/make-bundle.sh" "$BATS_FILE_TMPDIR/base" \
		>"$BATS_FILE_TMPDIR/make-bundle.log" 2>&1 || true
}

common_setup() {
	if [ "$(id -u)" -eq 0 ]; then
		skip "the integration tests never run urun as root (use tests/integration/run.sh)"
	fi
	if [ ! -s "$BATS_FILE_TMPDIR/base/config.json" ]; then
		cat "$BATS_FILE_TMPDIR/make-bundle.log" >&2 || true
		echo "tests/make-bundle.sh failed: cannot build the test bundle" >&2
		return 1
	fi
	URUN_ROOT=$BATS_TEST_TMPDIR/state
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	SHARED=$BATS_TEST_TMPDIR/shared
	PIDFILE=$BATS_TEST_TMPDIR/ctr.pid
	# A sleep argument no other process on the host has, to find the container's processes by.
	SLEEP_ARG=1$(printf '%04d%05d' "$(((${URUN_TEST_NUMBER_BASE:-0} + BATS_SUITE_TEST_NUMBER) % 10000))" "$RANDOM")
	DETACHED_N=0
	# Further state roots a test uses (with $URUN directly); teardown empties them too.
	EXTRA_ROOTS=()
	new_bundle "$BUNDLE"
}

common_teardown() {
	[ -n "${URUN_ROOT:-}" ] || return 0
	local root
	for root in "$URUN_ROOT" "${EXTRA_ROOTS[@]}"; do
		delete_all_in "$root"
	done
	local rc=0
	check_no_leftover_processes || rc=1
	check_no_leftover_cgroups || rc=1
	check_sanitizer_logs || rc=1
	return "$rc"
}

# Force-deletes every container in state root ROOT: the IDs `list` knows, and the state
# directories in case `list` itself is broken.
delete_all_in() {
	local root=$1 id
	[ -d "$root" ] || return 0
	while IFS= read -r id; do
		[ -z "$id" ] || timeout 30 "$URUN" --root "$root" delete --force "$id" >/dev/null 2>&1 3>&- || true
	done < <(timeout 30 "$URUN" --root "$root" list --quiet 2>/dev/null 3>&-; ls -A "$root" 2>/dev/null)
}

# After all containers are deleted, no process may still carry this test's state root on its
# command line (its state roots and bundles live there, and urun keeps the parent's argv in its forked
# children), nor this test's sleep argument.
check_no_leftover_processes() {
	local pids p
	pids=$(procs_with "$BATS_TEST_TMPDIR"; procs_with "$SLEEP_ARG")
	[ -n "$pids" ] || return 0
	echo "leftover processes after deleting every container:" >&2
	for p in $pids; do
		echo "  $p: $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")" >&2
		kill -KILL "$p" 2>/dev/null || true
	done
	return 1
}

# Where the cgroup2 filesystem is mounted ("" on a cgroup v1 host).
cgroup2_mount() {
	awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo
}

# The cgroup v2 directory the suite runs in ("" on a cgroup v1 host), and the delegated directory above
# it where urun puts the containers' cgroups when it may (writable by us: tests/delegate-cgroup.sh).
own_cgroup_dir() {
	local mnt rel
	mnt=$(cgroup2_mount)
	rel=$(sed -n 's/^0:://p' /proc/self/cgroup)
	[ -n "$mnt" ] && [ -n "$rel" ] || return 0
	echo "$mnt${rel%/}"
}
delegated_cgroup_dir() {
	local own
	own=$(own_cgroup_dir)
	[ -n "$own" ] && [ -w "$(dirname "$own")/cgroup.procs" ] && [ -w "$(dirname "$own")" ] || return 0
	dirname "$own"
}
require_delegated_cgroup() {
	DELEGATED=$(delegated_cgroup_dir)
	if [ -z "$DELEGATED" ]; then
		if [ -n "${CI:-}" ]; then
			echo "CI runs the suite in a delegated cgroup v2 (tests/delegate-cgroup.sh), but none is writable" >&2
			return 1
		fi
		skip "no delegated cgroup v2 here (tests/integration/run.sh as root sets one up)"
	fi
}
# The cgroup (below the mount) of process PID, e.g. "/urun-delegated-urun-test/ID".
cgroup_of() {
	sed -n 's/^0:://p' "/proc/$1/cgroup"
}

# Nothing of a container's cgroup may outlive delete: no directory besides the runner's own may be
# left in the delegated subtree.
check_no_leftover_cgroups() {
	local deleg own d rc=0
	deleg=$(delegated_cgroup_dir)
	[ -n "$deleg" ] || return 0
	own=$(own_cgroup_dir)
	for d in "$deleg"/*/; do
		d=${d%/}
		[ -d "$d" ] && [ "$d" != "$own" ] || continue
		echo "leftover cgroup after deleting every container: $d (made $(stat -c %y "$d"), processes:" \
			"$(while read -r p; do printf '%s[%s] ' "$p" "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"; done \
				<"$d/cgroup.procs" 2>/dev/null))" >&2
		rmdir "$d" 2>/dev/null || true
		rc=1
	done
	return "$rc"
}

# With URUN_SANITIZER_LOG_DIR set (tests/run.sh does for the sanitizer build), ASan/UBSan write their
# reports there: any new report fails the test that produced it.
check_sanitizer_logs() {
	local d=${URUN_SANITIZER_LOG_DIR:-} f found=0
	[ -n "$d" ] && [ -d "$d" ] || return 0
	for f in "$d"/*; do
		[ -f "$f" ] || continue
		case $f in *.seen) continue ;; esac
		echo "sanitizer report $f:" >&2
		cat "$f" >&2
		mv "$f" "$f.seen"
		found=1
	done
	[ "$found" -eq 0 ]
}

# --- running urun -----------------------------------------------------------------------------

# urun against this test's state root. fd 3 (bats' own output) is closed so that no process urun
# leaves behind can hold the test run open; a hung urun is killed after $URUN_TEST_TIMEOUT seconds.
urun() {
	timeout -k 5 "$URUN_TEST_TIMEOUT" "$URUN" --root "$URUN_ROOT" "$@" 3>&-
}

# Like `run urun ARGS...`, for commands that leave a container behind (create, run --detach): the
# container inherits urun's stdio, so a pipe as bats' `run` uses would stay open until the container
# exits. stdout and stderr go to files instead ($CTR_OUT, $CTR_ERR, which the container keeps
# writing to); status, output (urun's stderr) and lines are set as `run` sets them.
run_detached() {
	DETACHED_N=$((DETACHED_N + 1))
	CTR_OUT=$BATS_TEST_TMPDIR/detached$DETACHED_N.out
	CTR_ERR=$BATS_TEST_TMPDIR/detached$DETACHED_N.err
	# shellcheck disable=SC2034 # status, output, stderr and lines are read by the tests, as after `run`
	status=0
	urun "$@" </dev/null >"$CTR_OUT" 2>"$CTR_ERR" || status=$?
	output=$(cat "$CTR_ERR")
	stderr=$output
	mapfile -t lines <"$CTR_ERR"
}

# create ID with this test's bundle, or fail the test showing why.
create_ctr() {
	local id=$1
	shift
	run_detached create --bundle "$BUNDLE" "$@" "$id"
	if [ "$status" -ne 0 ]; then
		echo "urun create $id failed with status $status: $output" >&2
		return 1
	fi
}

start_ctr() {
	run urun start "$1"
	if [ "$status" -ne 0 ]; then
		echo "urun start $1 failed with status $status: $output" >&2
		return 1
	fi
}

# Field FIELD of `urun state ID` (jq path, e.g. .status).
state_field() {
	urun state "$1" | jq -r "$2"
}

# Waits until `urun state ID` reports STATUS.
wait_status() {
	local id=$1 want=$2 got=
	for _ in $(seq 200); do
		got=$(state_field "$id" .status 2>/dev/null) || got=
		[ "$got" = "$want" ] && return 0
		sleep 0.05
	done
	echo "container $id did not become $want (last status: ${got:-none})" >&2
	return 1
}

wait_for_file() {
	local f=$1 tries=${2:-200}
	for _ in $(seq "$tries"); do
		[ -e "$f" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for $f" >&2
	return 1
}

# Waits until FILE (e.g. what a peer process prints) contains TEXT, for at most 10 seconds.
wait_for_text() {
	local f=$1 text=$2
	for _ in $(seq 200); do
		grep -qF -- "$text" "$f" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "timed out waiting for '$text' in $f" >&2
	return 1
}

# --- bundles ----------------------------------------------------------------------------------

# new_bundle DIR [ARGS...]: a private copy of the per-file base bundle, optionally with process.args.
new_bundle() {
	local dir=$1
	shift
	mkdir -p "$dir"
	cp -a "$BATS_FILE_TMPDIR/base/rootfs" "$dir/rootfs"
	cp "$BATS_FILE_TMPDIR/base/config.json" "$dir/config.json"
	if [ $# -gt 0 ]; then
		BUNDLE=$dir bundle_args "$@"
	fi
}

# Applies a jq filter to $BUNDLE/config.json; extra arguments go to jq before the filter.
bundle_jq() {
	local filter=${!#}
	local n=$(($# - 1))
	jq "${@:1:n}" "$filter" "$BUNDLE/config.json" >"$BUNDLE/config.json.tmp"
	mv "$BUNDLE/config.json.tmp" "$BUNDLE/config.json"
}

# Sets process.args of $BUNDLE (each argument is encoded on its own: jq 1.6 would take an
# option-like positional argument such as "-c" as its own option).
bundle_args() {
	local args=[ a sep=
	for a in "$@"; do
		args+=$sep$(jq -cn --arg a "$a" '$a')
		sep=,
	done
	args+=]
	bundle_jq --argjson a "$args" '.process.args = $a'
}

# Bind-mounts the host directory $SHARED read-write at /shared in $BUNDLE's container.
bundle_share() {
	mkdir -p "$SHARED" "$BUNDLE/rootfs/shared"
	bundle_jq --arg src "$SHARED" \
		'if any(.mounts[]?; .destination == "/shared") then . else
		 .mounts += [{"destination": "/shared", "type": "bind", "source": $src, "options": ["rbind", "rw"]}] end'
}

# Makes $BUNDLE run a container that touches /shared/ready and then sleeps (sh stays PID 1 and
# the sleep, carrying $SLEEP_ARG, is its child, so that killing init must kill the whole tree).
bundle_long_running() {
	bundle_share
	bundle_args sh -c "sleep $SLEEP_ARG & touch /shared/ready; wait"
}

# --- ports ------------------------------------------------------------------------------------

# free_port [tcp|udp]: one below the kernel's ephemeral range, unused in any state.
. "$TESTS_DIR/free-port.sh"

# --- processes --------------------------------------------------------------------------------

# PIDs of live processes whose command line (arguments joined by spaces) contains STRING (zombies
# have an empty command line). One grep over every /proc/PID/cmdline: a fork per process would cost a
# third of a second per call on a busy host. A STRING without blanks cannot span two arguments, so
# grep on the raw NUL-separated cmdline finds exactly what the joined command line holds; one with
# blanks takes the slow way.
procs_with() {
	local p cmd
	if [[ $1 != *[[:space:]]* ]]; then
		while IFS= read -r p; do
			p=${p#/proc/}
			echo "${p%/cmdline}"
		done < <(grep -lasF -- "$1" /proc/[0-9]*/cmdline)
		return 0
	fi
	for p in /proc/[0-9]*; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		if [[ $cmd == *"$1"* ]]; then
			echo "${p#/proc/}"
		fi
	done
}

# True when PID exists and is not a zombie.
pid_alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# --- assertions -------------------------------------------------------------------------------

# The last `run` failed with urun's error convention: status 1 and one line `urun: ...` containing
# every given substring. Use with `run --separate-stderr` so that only stderr is judged.
assert_urun_error() {
	local err=${stderr-$output} s
	if [ "$status" -ne 1 ]; then
		echo "expected exit status 1, got $status; stderr: $err" >&2
		return 1
	fi
	if [ "$(printf '%s\n' "$err" | grep -c .)" -ne 1 ] || [[ $err != "urun: "* ]]; then
		echo "expected one line 'urun: ...' on stderr, got: $err" >&2
		return 1
	fi
	for s in "$@"; do
		if [[ $err != *"$s"* ]]; then
			echo "expected stderr to contain '$s', got: $err" >&2
			return 1
		fi
	done
}

# After a failed create of ID: no state directory, no pid file, no process left behind.
assert_nothing_left() {
	local id=$1
	if [ -e "$URUN_ROOT/$id" ]; then
		echo "state directory $URUN_ROOT/$id left behind" >&2
		return 1
	fi
	if [ -e "$PIDFILE" ]; then
		echo "pid file $PIDFILE written by a failed command" >&2
		return 1
	fi
	local pids
	pids=$(procs_with "$URUN_ROOT")
	if [ -n "$pids" ]; then
		echo "processes left behind: $pids" >&2
		return 1
	fi
}

assert_contains() {
	if [[ $1 != *"$2"* ]]; then
		echo "expected to find '$2' in: $1" >&2
		return 1
	fi
}

assert_equal() {
	if [ "$1" != "$2" ]; then
		echo "expected '$2', got '$1'" >&2
		return 1
	fi
}

# Fails when the command succeeds (a bare `! cmd` does not fail a bats test: set -e ignores it).
refute() {
	if "$@" >/dev/null 2>&1; then
		echo "expected to fail: $*" >&2
		return 1
	fi
}
