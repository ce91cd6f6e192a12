#!/usr/bin/env bats
# The command line itself: --help and help, --version, global options and their spellings, usage errors.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

COMMANDS=(create start run state kill delete exec ps pause resume update list features spec unshare completion help)

# Every line of the help text in $output is at most 80 columns wide.
assert_fits_80() {
	local l
	while IFS= read -r l; do
		if [ "${#l}" -gt 80 ]; then
			echo "$1: a line of ${#l} columns: $l" >&2
			return 1
		fi
	done <<<"$output"
}

@test "--help and help list every command, completion and help included, and exit 0" {
	local c
	for help in --help help; do
		run --separate-stderr "$URUN" "$help"
		[ "$status" -eq 0 ]
		[ -z "$stderr" ]
		for c in "${COMMANDS[@]}"; do
			if ! grep -q "^  $c  " <<<"$output"; then
				echo "urun $help does not list $c: $output" >&2
				return 1
			fi
		done
	done
	run --separate-stderr "$URUN" --help
	for c in "${COMMANDS[@]}"; do
		assert_contains "$output" "$c"
	done
	for o in --root --log --log-format --debug --rootless --systemd-cgroup --version; do
		assert_contains "$output" "$o"
	done
}

@test "COMMAND --help describes the command's options and exits 0" {
	run --separate-stderr "$URUN" create --help
	[ "$status" -eq 0 ]
	for o in --bundle --pid-file --console-socket --no-pivot --no-new-keyring --preserve-fds; do
		assert_contains "$output" "$o"
	done
	run --separate-stderr "$URUN" run --help
	[ "$status" -eq 0 ]
	for o in --bundle --detach --pid-file --keep; do
		assert_contains "$output" "$o"
	done
	for c in "${COMMANDS[@]}"; do
		run --separate-stderr "$URUN" "$c" --help
		[ "$status" -eq 0 ]
		[ -n "$output" ]
	done
}

@test "help COMMAND prints exactly what COMMAND --help does, for every command" {
	local c want
	for c in "${COMMANDS[@]}"; do
		want=$("$URUN" "$c" --help)
		run --separate-stderr "$URUN" help "$c"
		[ "$status" -eq 0 ]
		if [ "$output" != "$want" ] || [ -n "$stderr" ]; then
			echo "urun help $c differs from urun $c --help: $output" >&2
			return 1
		fi
	done
}

@test "no line of --help is wider than 80 columns, for urun and for every command" {
	local c
	run --separate-stderr "$URUN" --help
	assert_fits_80 "urun --help"
	for c in "${COMMANDS[@]}"; do
		run --separate-stderr "$URUN" "$c" --help
		[ "$status" -eq 0 ]
		assert_fits_80 "urun $c --help"
	done
	# and a long description wraps under the description column
	run --separate-stderr "$URUN" update --help
	assert_contains "$output" "      --memory-reservation BYTES
                               memory soft limit"
}

@test "help with an unknown command is one clear error and status 1" {
	run --separate-stderr urun help frobnicate
	assert_urun_error 'help: unknown command "frobnicate"'
	[ -z "$output" ]
	run --separate-stderr urun help --man exec
	assert_urun_error "--man"
}

@test "exec --help says --pid-file writes the new process's pid" {
	run --separate-stderr "$URUN" exec --help
	[ "$status" -eq 0 ]
	assert_contains "$output" "--pid-file FILE"
	assert_contains "$output" "new process's pid"
}

@test "--version prints the name and a version and exits 0" {
	run --separate-stderr "$URUN" --version
	[ "$status" -eq 0 ]
	assert_contains "$output" urun
	[[ $output =~ [0-9]+\.[0-9]+\.[0-9]+ ]]
}

@test "an unknown command is a usage error" {
	run --separate-stderr urun frobnicate
	assert_urun_error frobnicate
}

@test "an unknown global option is a usage error" {
	run --separate-stderr urun --frobnicate list
	assert_urun_error frobnicate
}

@test "an unknown command option is a usage error" {
	run --separate-stderr urun create --frobnicate --bundle "$BUNDLE" c1
	assert_urun_error frobnicate
	assert_nothing_left c1
}

@test "a missing container ID is a usage error for every command that takes one" {
	for c in create start state kill delete run; do
		run --separate-stderr urun "$c"
		if [ "$status" -ne 1 ] || [ -z "$stderr" ]; then
			echo "urun $c without an ID: status $status, stderr: $stderr" >&2
			return 1
		fi
	done
}

@test "an option missing its value is a usage error" {
	run --separate-stderr "$URUN" --root
	[ "$status" -eq 1 ]
	run --separate-stderr urun create c1 --bundle
	[ "$status" -eq 1 ]
	assert_nothing_left c1
}

@test "--root DIR and --root=DIR both select the state root" {
	local r1=$BATS_TEST_TMPDIR/r1 r2=$BATS_TEST_TMPDIR/r2
	# shellcheck disable=SC2034 # read by common_teardown
	EXTRA_ROOTS=("$r1" "$r2")
	"$URUN" --root "$r1" create --bundle "$BUNDLE" c1 </dev/null >/dev/null 2>&1 3>&-
	"$URUN" --root="$r2" create --bundle "$BUNDLE" c2 </dev/null >/dev/null 2>&1 3>&-
	[ -d "$r1/c1" ]
	[ -d "$r2/c2" ]
	[ ! -e "$URUN_ROOT" ]
	run "$URUN" --root "$r1" list -q
	[ "$output" = c1 ]
	run "$URUN" --root="$r2" list --quiet
	[ "$output" = c2 ]
}

@test "--log FILE --log-format json: the error is a JSON line in FILE (and a bare line on stderr)" {
	local log=$BATS_TEST_TMPDIR/urun.log
	run --separate-stderr urun --log "$log" --log-format json state nosuch
	[ "$status" -eq 1 ]
	# an engine (podman, conmon) shows it as "urun: <line>" itself, so no prefix of ours, as runc
	[ "$stderr" = "container nosuch does not exist" ]
	[ -s "$log" ]
	while IFS= read -r l; do
		if ! jq -e . >/dev/null 2>&1 <<<"$l"; then
			echo "not a JSON line: $l" >&2
			return 1
		fi
	done <"$log"
	jq -se 'any(.[]; (tostring | contains("container nosuch does not exist")))' "$log"
}

@test "--log=FILE --log-format=text: the error is a text line in FILE" {
	local log=$BATS_TEST_TMPDIR/urun.log
	run --separate-stderr urun --log="$log" --log-format=text state nosuch
	assert_urun_error "container nosuch does not exist"
	grep -q "container nosuch does not exist" "$log"
	refute jq -e . "$log"
	# Every line is complete.
	[ "$(tail -c 1 "$log" | od -An -c | tr -d ' ')" = '\n' ]
}

@test "--debug logs debug messages to the --log file" {
	local log=$BATS_TEST_TMPDIR/urun.log
	bundle_args true
	run urun --debug --log "$log" --log-format json run --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	[ -s "$log" ]
	jq -se 'length > 0' "$log"
}

@test "an invalid --log-format is refused" {
	run --separate-stderr urun --log-format xml list
	assert_urun_error xml
}

@test "--rootless true and --rootless=auto are accepted; a bogus value is refused" {
	bundle_args true
	run urun --rootless true run --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	run urun --rootless=auto run --bundle "$BUNDLE" c2
	[ "$status" -eq 0 ]
	run --separate-stderr urun --rootless=maybe list
	assert_urun_error maybe
}

@test "--systemd-cgroup is accepted and the log says what it does" {
	local log=$BATS_TEST_TMPDIR/urun.log
	bundle_args true
	run urun --systemd-cgroup --debug --log "$log" run --bundle "$BUNDLE" c1
	[ "$status" -eq 0 ]
	grep -qi systemd "$log"
}

@test "--debug does not change stdout of state" {
	create_ctr c1
	run --separate-stderr urun --debug state c1
	[ "$status" -eq 0 ]
	jq -e '.id == "c1"' <<<"$output"
}

@test "features: the OCI features document lists what urun actually supports" {
	run "$URUN" features
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .ociVersionMax)" = 1.2.0 ]
	[ "$(echo "$output" | jq -c .hooks)" = '["prestart","createRuntime","createContainer","startContainer","poststart","poststop"]' ]
	[ "$(echo "$output" | jq -c '.linux.namespaces | sort')" = '["cgroup","ipc","mount","network","pid","time","user","uts"]' ]
	echo "$output" | jq -e '.linux.capabilities | index("CAP_SYS_ADMIN") and index("CAP_CHOWN")'
	echo "$output" | jq -e '.linux.seccomp.actions | index("SCMP_ACT_NOTIFY")'
	echo "$output" | jq -e '.mountOptions | index("rro") and index("nosuid") and index("rshared") and index("tmpcopyup")'
	echo "$output" | jq -e '.linux.cgroup.v2 == true and .linux.cgroup.v1 == false and .linux.cgroup.systemd == false'
	echo "$output" | jq -e '.linux.apparmor.enabled == false and .linux.selinux.enabled == false'
}
