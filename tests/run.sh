#!/bin/bash
# The test command of urun (README and .ci/run call exactly this). For a normal build (build/) and
# then an ASan+UBSan build (build-asan/): configure and compile, run every C unit test and the bats
# integration suite, and count each TAP result itself. Ends with one line `N passed, N failed, N skipped`
# and exits non-zero if anything failed.
#
# Knobs for developers (CI sets none):
#   URUN_TEST_BUILDS="build"       only some of the builds (default: "build build-asan")
#   URUN_TEST_INTEGRATION=0        skip the bats suite
#   URUN_TEST_BATS_ARGS="-f kill"  arguments for bats instead of the whole suite
#   URUN_TEST_FUZZ_SECONDS=60      how long each libFuzzer harness of tests/fuzz/ runs (0: skip fuzzing)
#   URUN_TEST_JOBS=6               bats files run at once by tests/integration/run.sh (as root)
#
# Overlap (the whole run takes about 15 minutes on 2 cores): the first build is made, then its tests
# run while, in the background, the other builds are made and then the fuzz harnesses, which then run
# one after the other beside the tests. A background step's output is shown, and its result counted,
# when the run gets to it.
#
# Fuzzing: the harnesses are built with clang in their own directory (the first build's name plus
# -fuzz, e.g. build-fuzz) and run one at a time, each from its seed corpus for
# URUN_TEST_FUZZ_SECONDS; each harness is one step, failed by any crash, leak, hang or sanitizer report.
#
# Leak checking: LeakSanitizer stays on (detect_leaks=1) for the unit tests and for every urun process
# of the integration suite, the forked ones included. It works inside user namespaces, even after the
# process changed its credentials there (checked on this kernel with a fork + unshare(CLONE_NEWUSER) +
# setresuid test program). It cannot work in a process that has no /proc (it reads /proc/self/maps
# and /proc/self/task): a container init that exit()ed between pivot_root and mounting /proc would die
# with "LeakSanitizer has encountered a fatal error". None has been seen; one would fail the test that
# produced it, like any sanitizer report. In the suite the
# reports go to files (log_path) that helpers.bash checks after every test, because the stderr of a
# detached container process is not the test's.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$repo" || exit 1

builds=${URUN_TEST_BUILDS:-build build-asan}
unit_timeout=300
integration_timeout=2400

# Under sudo, everything written into the checkout (the build directories, their test logs, the fuzz
# build) is made by the user who ran sudo, so that they can remove or rebuild it later without root:
# when the checkout is theirs, meson, the log writes and the fuzzers run as SUDO_UID/SUDO_GID. Started as
# root without sudo (as CI does), everything runs as root. The unit tests and the integration suite's
# set-up (tests/integration/run.sh) need root and stay root; they write their files elsewhere.
as_user=()
if [ "$(id -u)" -eq 0 ] && [[ ${SUDO_UID:-0} =~ ^[1-9][0-9]*$ ]] && [ "$(stat -c %u "$repo")" = "$SUDO_UID" ]; then
	invoker_gid=${SUDO_GID:-$(id -g "$SUDO_UID")}
	invoker_home=$(getent passwd "$SUDO_UID" | cut -d: -f6)
	as_user=(setpriv "--reuid=$SUDO_UID" "--regid=$invoker_gid" --init-groups env "HOME=${invoker_home:-/}")
fi

# mkdir -p DIR... as the invoking user (see above).
mkdir_user() {
	"${as_user[@]}" mkdir -p "$@"
}
# Creates (or empties) FILE as the invoking user, for root to write into: it stays theirs.
file_user() {
	"${as_user[@]}" sh -c ': >"$1"' sh "$1"
}
# Directories an earlier root run (before sudo runs built as the user) left owned by root in the
# checkout: given back to the invoking user, who could not rebuild them otherwise.
if [ "${#as_user[@]}" -gt 0 ]; then
	for d in build build-asan build-fuzz ${URUN_TEST_BUILDS:-} "${URUN_TEST_BUILDS%% *}-fuzz"; do
		if [ -e "$d" ] && [[ $d != */* ]] && [ -n "$(find "$d" ! -user "$SUDO_UID" -print -quit)" ]; then
			chown -R -h "$SUDO_UID:$invoker_gid" "$d"
		fi
	done
fi

passed=0
failed=0
skipped=0
failures=()

say() { printf '\n=== %s\n' "$*"; }

# count_tap LABEL FILE: counts the TAP results in FILE; adds a failure if the plan is not met.
count_tap() {
	local label=$1 file=$2 line lower planned='' seen=0 desc
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		if [[ $line =~ ^(not[[:space:]]+)?ok([[:space:]]|$) ]]; then
			seen=$((seen + 1))
			local not=${BASH_REMATCH[1]}
			# The description: after "ok", the optional number and the optional dash.
			desc=${line#"$not"ok}
			[[ $desc =~ ^[[:space:]]*([0-9]+)?[[:space:]]*(-([[:space:]]+|$))?(.*)$ ]] && desc=${BASH_REMATCH[1]:+${BASH_REMATCH[1]} }${BASH_REMATCH[4]}
			lower=${line,,}
			if [[ $lower =~ \#[[:space:]]*(skip|todo) ]]; then
				skipped=$((skipped + 1))
			elif [ -z "$not" ]; then
				passed=$((passed + 1))
			else
				failed=$((failed + 1))
				failures+=("$label: $desc")
			fi
		elif [[ $line =~ ^1\.\.([0-9]+) ]]; then
			planned=${BASH_REMATCH[1]}
			if [ "$planned" -eq 0 ]; then
				skipped=$((skipped + 1))
			fi
		elif [[ $line == "Bail out!"* ]]; then
			failed=$((failed + 1))
			failures+=("$label: $line")
		fi
	done <"$file"
	if [ -z "$planned" ]; then
		failed=$((failed + 1))
		failures+=("$label: no TAP plan (crashed or printed no TAP?)")
	elif [ "$planned" -ne 0 ] && [ "$seen" -ne "$planned" ]; then
		failed=$((failed + 1))
		failures+=("$label: planned $planned tests, saw $seen")
	fi
}

# A step that is not a TAP test (build, crash, exit status) counted as one result.
count_step() {
	local label=$1 rc=$2
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$label (status $rc)")
	fi
}

build_dir() {
	local dir=$1
	local -a opts=()
	# shellcheck disable=SC2054 # one option whose value has commas
	case $dir in
	*asan*) opts=(-Db_sanitize=address,undefined) ;;
	esac
	if [ ! -f "$dir/meson-private/coredata.dat" ]; then
		say "$dir: meson setup ${opts[*]}"
		if [ -d "$dir" ]; then
			"${as_user[@]}" meson setup --wipe "${opts[@]}" "$dir" || return 1
		else
			"${as_user[@]}" meson setup "${opts[@]}" "$dir" || return 1
		fi
	fi
	say "$dir: meson compile"
	"${as_user[@]}" meson compile -C "$dir"
}

# Runs every unit test of build DIR (suite "unit") directly and counts its TAP output.
run_unit_tests() {
	local dir=$1 logs=$1/test-logs n i name proto workdir rc log
	local -a cmd envs
	mkdir_user "$logs"
	local tests_json
	if ! tests_json=$(meson introspect "$dir" --tests); then
		count_step "$dir: meson introspect --tests" 1
		return
	fi
	n=$(jq '[.[] | select(any(.suite[]; . == "unit" or endswith(":unit")))] | length' <<<"$tests_json")
	if [ "$n" -eq 0 ]; then
		count_step "$dir: no unit tests found" 1
		return
	fi
	local filtered
	filtered=$(jq -c '[.[] | select(any(.suite[]; . == "unit" or endswith(":unit")))]' <<<"$tests_json")
	for ((i = 0; i < n; i++)); do
		local sel=".[$i]"
		name=$(jq -r "$sel.name" <<<"$filtered")
		proto=$(jq -r "$sel.protocol // \"exitcode\"" <<<"$filtered")
		workdir=$(jq -r "$sel.workdir // empty" <<<"$filtered")
		mapfile -t cmd < <(jq -r "$sel.cmd[]" <<<"$filtered")
		mapfile -t envs < <(jq -r "$sel.env // {} | to_entries[] | \"\\(.key)=\\(.value)\"" <<<"$filtered")
		log=$logs/$name.tap
		say "$dir: unit test $name"
		rc=0
		file_user "$log"
		(cd "${workdir:-$dir}" && env "${envs[@]}" timeout -k 10 "$unit_timeout" "${cmd[@]}") </dev/null >"$log" 2>&1 || rc=$?
		cat "$log"
		if [ "$proto" = tap ]; then
			count_tap "$dir/$name" "$log"
			if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
				count_step "$dir/$name: exited non-zero" "$rc"
			fi
		elif [ "$rc" -eq 77 ]; then
			skipped=$((skipped + 1))
		else
			count_step "$dir/$name" "$rc"
		fi
	done
}

run_integration() {
	local dir=$1 log=$1/test-logs/integration.tap rc=0
	mkdir_user "$dir/test-logs"
	if [ ! -x "$dir/urun" ]; then
		count_step "$dir/integration: no urun binary" 1
		return
	fi
	say "$dir: integration suite (bats)"
	file_user "$log"
	local -a args=()
	if [ -n "${URUN_TEST_BATS_ARGS:-}" ]; then
		read -r -a args <<<"$URUN_TEST_BATS_ARGS"
	fi
	timeout -k 30 "$integration_timeout" tests/integration/run.sh "$dir/urun" "${args[@]}" </dev/null 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	count_tap "$dir/integration" "$log"
	# bats exits 1 when a test failed (already counted); anything else is the harness failing.
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		count_step "$dir/integration: harness exited non-zero" "$rc"
	fi
}

# Sanitizer reports written by urun processes the tests could not see (e.g. a container's helper).
check_sanitizer_dir() {
	local dir=$1 label=$2 f n=0
	# tests/integration/run.sh gives each of its parallel jobs a directory of its own inside DIR.
	while IFS= read -r f; do
		echo "--- unattributed sanitizer report $f:"
		cat "$f"
		n=$((n + 1))
	done < <(find "$dir" -type f ! -name '*.seen' | LC_ALL=C sort)
	if [ "$n" -gt 0 ]; then
		failed=$((failed + 1))
		failures+=("$label: $n sanitizer report(s) outside any test")
	fi
}

# Counts one harness's run as a step; a failed one's report (the sanitizer's or libFuzzer's, with the
# stack, then the kept input) is printed from its log.
count_fuzz() {
	local label=$1 rc=$2 log=$3 report='^==[0-9]+==|check failed|runtime error|^ERROR: libFuzzer|^fuzz\.sh:'
	if [ "$rc" -eq 0 ]; then
		echo "$label: $(grep -m1 '^Done ' "$log" || echo 'nothing found')"
	else
		echo "--- $label failed (status $rc), from $log:"
		if grep -qE "$report" "$log"; then
			sed -n -E "/$report/,\$p" "$log" | head -n 250
		else
			tail -n 60 "$log"
		fi
	fi
	count_step "$label" "$rc"
}

harnesses=(fuzz_spec fuzz_resources fuzz_seccomp fuzz_mounts fuzz_netns fuzz_state)

# Builds the harnesses of tests/fuzz/ in DIR (clang, -Dfuzz=true).
build_fuzz() {
	local dir=$1
	if [ ! -f "$dir/meson-private/coredata.dat" ]; then
		say "$dir: meson setup -Dfuzz=true (clang)"
		rm -rf "$dir"
		CC=clang "${as_user[@]}" meson setup -Dfuzz=true "$dir" || return 1
	fi
	say "$dir: meson compile (fuzz harnesses)"
	"${as_user[@]}" meson compile -C "$dir" "${harnesses[@]}"
}

# Runs each harness of DIR for SECONDS, one after the other (the suite runs beside them: one core for
# the fuzzer, the other for the tests); each one's status goes to $bg/HARNESS.rc.
run_fuzzers() {
	local dir=$1 seconds=$2 h rc
	mkdir_user "$dir/test-logs"
	for h in "${harnesses[@]}"; do
		file_user "$dir/test-logs/$h.log"
		rc=0
		"${as_user[@]}" tests/fuzz/fuzz.sh "$dir" "$h" "$seconds" </dev/null >"$dir/test-logs/$h.log" 2>&1 || rc=$?
		echo "$rc" >"$bg/$h.rc"
	done
}

# wait_rc NAME: waits for $bg/NAME.rc, which the background work writes when its step NAME ends, and
# prints that status (1 when the background work ended without writing it).
wait_rc() {
	until [ -s "$bg/$1.rc" ]; do
		if ! kill -0 "$bg_pid" 2>/dev/null; then
			[ -s "$bg/$1.rc" ] && break
			echo 1
			return
		fi
		sleep 1
	done
	cat "$bg/$1.rc"
}

# Runs the unit tests and the integration suite of build DIR (built already).
test_build() {
	local dir=$1 sanitizer_dir=
	unset ASAN_OPTIONS UBSAN_OPTIONS URUN_SANITIZER_LOG_DIR
	case $dir in
	*asan*)
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
		export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
		;;
	esac
	run_unit_tests "$dir"
	if [ "${URUN_TEST_INTEGRATION:-1}" != 0 ]; then
		if [ -n "${ASAN_OPTIONS:-}" ]; then
			# urun's reports go to files that the suite checks after each test (stderr is often
			# a container's or swallowed); the process still aborts on the first error.
			sanitizer_dir=$(mktemp -d /tmp/urun-sanitizer.XXXXXX)
			export URUN_SANITIZER_LOG_DIR=$sanitizer_dir
			export ASAN_OPTIONS=$ASAN_OPTIONS:log_path=$sanitizer_dir/asan
			export UBSAN_OPTIONS=$UBSAN_OPTIONS:log_path=$sanitizer_dir/ubsan
		fi
		run_integration "$dir"
		if [ -n "$sanitizer_dir" ]; then
			check_sanitizer_dir "$sanitizer_dir" "$dir/integration"
			rm -rf "$sanitizer_dir"
		fi
	fi
	unset ASAN_OPTIONS UBSAN_OPTIONS URUN_SANITIZER_LOG_DIR
}

fuzz_seconds=${URUN_TEST_FUZZ_SECONDS:-60}
fuzz=0
if ! [[ $fuzz_seconds =~ ^[0-9]+$ ]]; then
	count_step "URUN_TEST_FUZZ_SECONDS=$fuzz_seconds: not a number of seconds" 1
elif [ "$fuzz_seconds" -gt 0 ]; then
	fuzz=1
fi
read -r -a build_list <<<"$builds"
fuzz_dir=${build_list[0]:-build}-fuzz

# The first build is made first and its tests start at once. Meanwhile, in the background, the other
# builds are made, then the fuzz harnesses, which then run one after the other: each step writes its
# output to $bg/NAME.log and its status to $bg/NAME.rc, shown and counted here when the tests reach it.
bg=$(mktemp -d /tmp/urun-run.XXXXXX)
bg_pid=
# shellcheck disable=SC2154 # set when the trap runs
trap 'if [ -n "$bg_pid" ]; then kill -TERM -- -"$bg_pid" 2>/dev/null || kill -TERM "$bg_pid" 2>/dev/null; fi; rm -rf "$bg"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

for ((b = 0; b < ${#build_list[@]}; b++)); do
	dir=${build_list[b]}
	if [ "$b" -eq 0 ]; then
		rc=0
		build_dir "$dir" || rc=$?
		if [ "${#build_list[@]}" -gt 1 ] || [ "$fuzz" -eq 1 ]; then
			# its own process group (set -m), so that the trap above stops all of it
			set -m
			(
				trap - EXIT
				for d in "${build_list[@]:1}"; do
					r=0
					build_dir "$d" </dev/null >"$bg/build-$d.log" 2>&1 || r=$?
					echo "$r" >"$bg/build-$d.rc"
				done
				if [ "$fuzz" -eq 1 ]; then
					r=0
					build_fuzz "$fuzz_dir" </dev/null >"$bg/build-fuzz.log" 2>&1 || r=$?
					echo "$r" >"$bg/build-fuzz.rc"
					if [ "$r" -eq 0 ]; then run_fuzzers "$fuzz_dir" "$fuzz_seconds"; fi
				fi
			) &
			bg_pid=$!
			set +m
		fi
	else
		rc=$(wait_rc "build-$dir")
		cat "$bg/build-$dir.log" 2>/dev/null
	fi
	count_step "$dir: build" "$rc"
	if [ "$rc" -eq 0 ]; then
		test_build "$dir"
	fi
done

if [ "$fuzz" -eq 1 ]; then
	rc=$(wait_rc build-fuzz)
	cat "$bg/build-fuzz.log" 2>/dev/null
	count_step "$fuzz_dir: fuzz build" "$rc"
	if [ "$rc" -eq 0 ]; then
		say "$fuzz_dir: fuzzing ${harnesses[*]} for ${fuzz_seconds}s each"
		for h in "${harnesses[@]}"; do
			count_fuzz "$fuzz_dir/fuzz: $h" "$(wait_rc "$h")" "$fuzz_dir/test-logs/$h.log"
		done
	fi
fi
if [ -n "$bg_pid" ]; then
	wait "$bg_pid" 2>/dev/null || true
	bg_pid=
fi

if [ "${#failures[@]}" -gt 0 ]; then
	say "failures"
	printf '  %s\n' "${failures[@]}"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
