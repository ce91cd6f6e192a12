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
#
# Fuzzing: after the builds, the harnesses are built with clang in their own directory (the first
# build's name plus -fuzz, e.g. build-fuzz) and run two at a time, each from its seed corpus for
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
			meson setup --wipe "${opts[@]}" "$dir" || return 1
		else
			meson setup "${opts[@]}" "$dir" || return 1
		fi
	fi
	say "$dir: meson compile"
	meson compile -C "$dir"
}

# Runs every unit test of build DIR (suite "unit") directly and counts its TAP output.
run_unit_tests() {
	local dir=$1 logs=$1/test-logs n i name proto workdir rc log
	local -a cmd envs
	mkdir -p "$logs"
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
	mkdir -p "$dir/test-logs"
	if [ ! -x "$dir/urun" ]; then
		count_step "$dir/integration: no urun binary" 1
		return
	fi
	say "$dir: integration suite (bats)"
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

# Builds the harnesses of tests/fuzz/ in DIR (clang, -Dfuzz=true) and runs each for SECONDS, two at
# a time (CI has 2 cores).
run_fuzz() {
	local dir=$1 seconds=$2 i k rc
	local -a harnesses=(fuzz_spec fuzz_resources fuzz_seccomp fuzz_mounts fuzz_netns fuzz_state) batch pids
	if [ ! -f "$dir/meson-private/coredata.dat" ]; then
		say "$dir: meson setup -Dfuzz=true (clang)"
		rm -rf "$dir"
		if ! CC=clang meson setup -Dfuzz=true "$dir"; then
			count_step "$dir: fuzz build" 1
			return
		fi
	fi
	say "$dir: meson compile (fuzz harnesses)"
	if ! meson compile -C "$dir" "${harnesses[@]}"; then
		count_step "$dir: fuzz build" 1
		return
	fi
	count_step "$dir: fuzz build" 0
	mkdir -p "$dir/test-logs"
	for ((i = 0; i < ${#harnesses[@]}; i += 2)); do
		batch=("${harnesses[@]:i:2}")
		pids=()
		say "$dir: fuzzing ${batch[*]} for ${seconds}s each"
		for k in "${!batch[@]}"; do
			tests/fuzz/fuzz.sh "$dir" "${batch[k]}" "$seconds" </dev/null >"$dir/test-logs/${batch[k]}.log" 2>&1 &
			pids[k]=$!
		done
		for k in "${!batch[@]}"; do
			rc=0
			wait "${pids[k]}" || rc=$?
			count_fuzz "$dir/fuzz: ${batch[k]}" "$rc" "$dir/test-logs/${batch[k]}.log"
		done
	done
}

for dir in $builds; do
	unset ASAN_OPTIONS UBSAN_OPTIONS URUN_SANITIZER_LOG_DIR
	if ! build_dir "$dir"; then
		count_step "$dir: build" 1
		continue
	fi
	count_step "$dir: build" 0
	sanitizer_dir=
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
done

fuzz_seconds=${URUN_TEST_FUZZ_SECONDS:-60}
if ! [[ $fuzz_seconds =~ ^[0-9]+$ ]]; then
	count_step "URUN_TEST_FUZZ_SECONDS=$fuzz_seconds: not a number of seconds" 1
elif [ "$fuzz_seconds" -gt 0 ]; then
	unset ASAN_OPTIONS UBSAN_OPTIONS URUN_SANITIZER_LOG_DIR
	read -r first_build _ <<<"$builds"
	run_fuzz "${first_build:-build}-fuzz" "$fuzz_seconds"
fi

if [ "${#failures[@]}" -gt 0 ]; then
	say "failures"
	printf '  %s\n' "${failures[@]}"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
