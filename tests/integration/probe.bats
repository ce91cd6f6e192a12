#!/usr/bin/env bats
# The probe (tests/probe/urun-probe, static) inside a urun container, with the default
# `urun spec --rootless` config: it runs in a rootfs without a libc, and reports root, no fd above 2
# (the CVE-2024-21626 class: nothing urun holds may reach the container), exactly the spec's
# capabilities, no_new_privs, the spec's RLIMIT_NOFILE and umask 0022.

load helpers

setup_file() { common_setup_file; }

setup() {
	common_setup
	# The build dir holds both: build/urun and build/tests/probe/urun-probe.
	PROBE=$(dirname "$URUN")/tests/probe/urun-probe
	[ -x "$PROBE" ] || PROBE=$TESTS_DIR/probe/urun-probe
	if [ ! -x "$PROBE" ]; then
		skip "no urun-probe next to $URUN or in $TESTS_DIR/probe (meson builds it as tests/probe/urun-probe)"
	fi
	cp "$PROBE" "$BUNDLE/rootfs/bin/urun-probe"
}

teardown() { common_teardown; }

# Runs `urun-probe ARGS...` as the container's process; status, output (stdout) and lines as `run`
# sets them. fd 5 is open (not close-on-exec) in urun: it must not reach the container.
probe() {
	bundle_args /bin/urun-probe "$@"
	run --separate-stderr urun run --bundle "$BUNDLE" "p$BATS_TEST_NUMBER" 5<"$BUNDLE/config.json"
	if [ "$status" -ne 0 ]; then
		echo "urun-probe $* failed with status $status; stdout: $output; stderr: $stderr" >&2
		return 1
	fi
}

# The value of the probe's `key=` line (the first one).
fact() {
	local l
	for l in "${lines[@]}"; do
		if [[ $l == "$1="* ]]; then
			echo "${l#"$1="}"
			return 0
		fi
	done
	echo "no '$1=' line in the probe's output: $output" >&2
	return 1
}

# The capability set named by jq path PATH in config.json, as /proc/PID/status prints it (16 hex digits).
cap_mask() {
	local -A bit=(
		[CAP_CHOWN]=0 [CAP_DAC_OVERRIDE]=1 [CAP_DAC_READ_SEARCH]=2 [CAP_FOWNER]=3 [CAP_FSETID]=4
		[CAP_KILL]=5 [CAP_SETGID]=6 [CAP_SETUID]=7 [CAP_SETPCAP]=8 [CAP_LINUX_IMMUTABLE]=9
		[CAP_NET_BIND_SERVICE]=10 [CAP_NET_BROADCAST]=11 [CAP_NET_ADMIN]=12 [CAP_NET_RAW]=13
		[CAP_IPC_LOCK]=14 [CAP_IPC_OWNER]=15 [CAP_SYS_MODULE]=16 [CAP_SYS_RAWIO]=17 [CAP_SYS_CHROOT]=18
		[CAP_SYS_PTRACE]=19 [CAP_SYS_PACCT]=20 [CAP_SYS_ADMIN]=21 [CAP_SYS_BOOT]=22 [CAP_SYS_NICE]=23
		[CAP_SYS_RESOURCE]=24 [CAP_SYS_TIME]=25 [CAP_SYS_TTY_CONFIG]=26 [CAP_MKNOD]=27 [CAP_LEASE]=28
		[CAP_AUDIT_WRITE]=29 [CAP_AUDIT_CONTROL]=30 [CAP_SETFCAP]=31 [CAP_MAC_OVERRIDE]=32
		[CAP_MAC_ADMIN]=33 [CAP_SYSLOG]=34 [CAP_WAKE_ALARM]=35 [CAP_BLOCK_SUSPEND]=36 [CAP_AUDIT_READ]=37
		[CAP_PERFMON]=38 [CAP_BPF]=39 [CAP_CHECKPOINT_RESTORE]=40
	)
	local mask=0 c
	while IFS= read -r c; do
		[ -n "$c" ] || continue
		[ -n "${bit[$c]:-}" ] || { echo "unknown capability $c in the spec" >&2; return 1; }
		mask=$((mask | (1 << bit[$c])))
	done < <(jq -r "($1 // [])[]" "$BUNDLE/config.json")
	printf '%016x\n' "$mask"
}

@test "probe: the static probe runs in a rootfs without a libc and prints facts" {
	probe ids
	[ "$(fact uid)" = 0 ]
	[ "$(fact gid)" = 0 ]
	[ "$(fact euid)" = 0 ]
}

@test "probe: no fd above 2 is open in the container (CVE-2024-21626 class)" {
	probe fds
	local l
	for l in "${lines[@]}"; do
		if [[ $l == fd=* ]]; then
			echo "an fd reached the container: $l (all output: $output)" >&2
			return 1
		fi
	done
}

@test "probe: the capability sets are exactly the default spec's" {
	probe caps
	[ "$(fact cap_eff)" = "$(cap_mask .process.capabilities.effective)" ]
	[ "$(fact cap_prm)" = "$(cap_mask .process.capabilities.permitted)" ]
	[ "$(fact cap_bnd)" = "$(cap_mask .process.capabilities.bounding)" ]
	[ "$(fact cap_inh)" = "$(cap_mask .process.capabilities.inheritable)" ]
	[ "$(fact cap_amb)" = "$(cap_mask .process.capabilities.ambient)" ]
	# and the default list is not empty, so the comparison means something
	[ "$(fact cap_eff)" != 0000000000000000 ]
}

@test "probe: no_new_privs is set, as the default spec asks" {
	[ "$(jq -r .process.noNewPrivileges "$BUNDLE/config.json")" = true ]
	probe no_new_privs
	[ "$(fact no_new_privs)" = 1 ]
}

@test "probe: RLIMIT_NOFILE is the spec's 1024:1024, and umask is 0022" {
	probe rlimits umask
	[ "$(fact rlimit_nofile)" = 1024:1024 ]
	[ "$(fact umask)" = 0022 ]
}

@test "probe: the default run reports every fact, and /proc is the container's" {
	probe
	local k
	for k in uid gid groups cap_eff no_new_privs seccomp rlimit_nofile rlimit_stack umask cwd hostname tty0 \
		oom_score_adj; do
		fact "$k" >/dev/null
	done
	[ "$(fact cwd)" = / ]
	[ "$(fact tty0)" = 0 ]
	assert_contains "$output" "mount=/proc proc "
}

@test "probe: actions report errno names, and exit N is the container's status" {
	bundle_jq '.hostname = "probed"'
	bundle_args /bin/urun-probe mkdir /dev/shm/made mkdir /dev/shm/made write /dev/shm/made/f hello \
		sysctl kernel.hostname getcwd exit 7
	run --separate-stderr urun run --bundle "$BUNDLE" "p$BATS_TEST_NUMBER"
	[ "$status" -eq 7 ]
	[ "${lines[0]}" = mkdir=ok ]
	[ "${lines[1]}" = mkdir=EEXIST ]
	[ "${lines[2]}" = write=ok ]
	[ "${lines[3]}" = sysctl.kernel.hostname=probed ]
	[ "${lines[4]}" = getcwd=/ ]
}
