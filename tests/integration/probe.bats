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

# --- process settings, seen from inside ---------------------------------------------------------

@test "process: capabilities are exactly the spec's five sets, ambient included" {
	bundle_jq '.process.user = {"uid": 1000, "gid": 1000} |
	  .process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"], "effective": ["CAP_NET_BIND_SERVICE"],
	    "permitted": ["CAP_NET_BIND_SERVICE"], "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}'
	probe caps
	[ "$(fact cap_bnd)" = 0000000000000401 ]
	[ "$(fact cap_amb)" = 0000000000000400 ]
	[ "$(fact cap_eff)" = 0000000000000400 ]
	[ "$(fact cap_inh)" = 0000000000000400 ]
}

@test "process: an unknown capability is an error naming the field" {
	bundle_jq '.process.capabilities.bounding += ["CAP_FLY"]'
	run --separate-stderr urun create --bundle "$BUNDLE" capbad
	assert_urun_error 'process.capabilities.bounding[11]: unknown capability "CAP_FLY"'
	assert_nothing_left capbad
}

@test "process: noNewPrivileges false leaves no_new_privs unset" {
	bundle_jq '.process.noNewPrivileges = false'
	probe no_new_privs
	[ "$(fact no_new_privs)" = 0 ]
}

@test "process: rlimits set both values; an unknown one or one above the host's hard limit is an error" {
	bundle_jq '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]'
	probe rlimits
	[ "$(fact rlimit_nofile)" = 100:200 ]
	[ "$(fact rlimit_core)" = 0:0 ]
	bundle_jq '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	run --separate-stderr urun create --bundle "$BUNDLE" rlbad
	assert_urun_error 'process.rlimits[0].type: unknown rlimit "RLIMIT_BOGUS"'
	assert_nothing_left rlbad
	local hard
	hard=$(ulimit -Hn)
	bundle_jq --argjson h "$((hard + 1))" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": $h}]'
	run --separate-stderr urun create --bundle "$BUNDLE" rlhigh
	assert_urun_error "process.rlimits[0]: set RLIMIT_NOFILE to 1024/$((hard + 1))"
	assert_nothing_left rlhigh
}

@test "process: umask, cwd, hostname and domainname" {
	mkdir -p "$BUNDLE/rootfs/work"
	bundle_jq '.process.user.umask = 63 | .process.cwd = "/work" | .hostname = "h1" | .domainname = "d1"'
	probe umask cwd hostname
	[ "$(fact umask)" = 0077 ]
	[ "$(fact cwd)" = /work ]
	[ "$(fact hostname)" = h1 ]
	[ "$(fact domainname)" = d1 ]
}

@test "process: oomScoreAdj can be raised; lowering it is an error with the reason" {
	bundle_jq '.process.oomScoreAdj = 500'
	probe oom_score_adj
	[ "$(fact oom_score_adj)" = 500 ]
	bundle_jq '.process.oomScoreAdj = -500'
	run --separate-stderr urun create --bundle "$BUNDLE" oomlow
	assert_urun_error "process.oomScoreAdj: -500 is below the current value" "CAP_SYS_RESOURCE"
	assert_nothing_left oomlow
}

@test "process: --preserve-fds 1 passes exactly fd 3, and nothing else urun holds" {
	bundle_args /bin/urun-probe fds
	# urun itself, not the suite's `urun` (which closes fd 3 for bats)
	run --separate-stderr timeout 20 "$URUN" --root "$URUN_ROOT" run --preserve-fds 1 --bundle "$BUNDLE" pfd \
		3<"$BUNDLE/config.json" 4<"$BUNDLE/config.json"
	[ "$status" -eq 0 ]
	[[ $output == *"fd=3:"*config.json* ]]
	[[ $output != *"fd=4:"* ]]
	# fd 3 closed: refused, although urun's own first fd would take number 3 (it used to pass that on)
	run --separate-stderr urun run --preserve-fds 1 --bundle "$BUNDLE" pfd3
	assert_urun_error "--preserve-fds 1: fd 3 is not open"
	assert_nothing_left pfd3
	run --separate-stderr urun run --preserve-fds 40 --bundle "$BUNDLE" pfd2
	assert_urun_error "--preserve-fds 40: fd" "is not open"
	assert_nothing_left pfd2
}

# --- filesystem confinement ---------------------------------------------------------------------

@test "mounts: masked paths, read-only paths and a read-only root" {
	probe mounts
	assert_contains "$output" "mount=/proc/keys "
	assert_contains "$output" "mount=/sys/firmware tmpfs ro"
	assert_contains "$output" "mount=/proc/sys proc ro"
	assert_contains "$output" "mount=/ "
	local root
	root=$(printf '%s\n' "${lines[@]}" | grep '^mount=/ ')
	[[ $root == "mount=/ "*" ro"* ]]
}

@test "mounts: a mount destination that is a symlink to a host path lands inside the rootfs" {
	# /target -> /etc: an unsafe resolution would bind over the host's /etc in the init's view;
	# RESOLVE_IN_ROOT must put it on the rootfs's own /etc
	mkdir -p "$BATS_TEST_TMPDIR/marker"
	touch "$BATS_TEST_TMPDIR/marker/escaped-here"
	ln -s /etc "$BUNDLE/rootfs/target"
	bundle_jq --arg m "$BATS_TEST_TMPDIR/marker" '.mounts += [{"destination": "/target", "type": "bind", "source": $m, "options": ["bind", "ro"]}]'
	bundle_args ls /etc
	run urun run --bundle "$BUNDLE" symesc
	[ "$status" -eq 0 ]
	[[ $output == *escaped-here* ]]
}

@test "mounts: a rootfs whose /proc is a symlink out of it cannot redirect the proc mount" {
	mkdir -p "$BATS_TEST_TMPDIR/hostdir"
	rm -rf "$BUNDLE/rootfs/proc"
	ln -s "$BATS_TEST_TMPDIR/hostdir" "$BUNDLE/rootfs/proc"
	run --separate-stderr urun create --bundle "$BUNDLE" procesc
	assert_urun_error "/proc" "points to nothing inside the rootfs"
	assert_nothing_left procesc
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/hostdir")" ]
}

@test "mounts: a device that does not exist is a clear error" {
	bundle_jq '.linux.devices = [{"path": "/dev/nonexistent-dev", "type": "c", "major": 1, "minor": 3}]'
	run --separate-stderr urun create --bundle "$BUNDLE" devbad
	assert_urun_error "linux.devices[0]" "/dev/nonexistent-dev"
	assert_nothing_left devbad
}

@test "process: socket activation (LISTEN_FDS) passes the fds on with LISTEN_FDS and LISTEN_PID=1" {
	bundle_args /bin/urun-probe fds env
	# LISTEN_PID must be urun's own pid: the shell execs it (no timeout wrapper, which would fork)
	run --separate-stderr sh -c 'LISTEN_PID=$$ LISTEN_FDS=2 exec "$0" "$@"' "$URUN" --root "$URUN_ROOT" \
		run --preserve-fds 1 --bundle "$BUNDLE" lfds 3<"$BUNDLE/config.json" 4<"$BUNDLE/config.json" 5<"$BUNDLE/config.json"
	[ "$status" -eq 0 ]
	[[ $output == *"fd=3:"* && $output == *"fd=4:"* && $output == *"fd=5:"* ]]
	[[ $output != *"fd=6:"* ]]
	[[ $output == *"env=LISTEN_FDS=2"* ]]
	[[ $output == *"env=LISTEN_PID=1"* ]]
}

@test "process: NOTIFY_SOCKET: start waits for READY=1 from the container and passes it on with MAINPID" {
	command -v python3 >/dev/null || skip "python3 is needed for the NOTIFY_SOCKET peer"
	local sock=$BATS_TEST_TMPDIR/host-notify.sock
	python3 "$BATS_TEST_DIRNAME/tools/notify-receiver.py" "$sock" "$URUN_TEST_TIMEOUT" >"$BATS_TEST_TMPDIR/notify.out" 3>&- &
	local peer=$!
	wait_for_file "$sock.ready"
	bundle_share
	bundle_args /bin/urun-probe sleep 1 write /shared/before-ready x notify READY=1 sleep 30
	NOTIFY_SOCKET=$sock run_detached create --bundle "$BUNDLE" ntf
	[ "$status" -eq 0 ]
	NOTIFY_SOCKET=$sock run urun start ntf
	[ "$status" -eq 0 ]
	# start returned only after READY=1, which comes after the file is written
	[ -e "$SHARED/before-ready" ]
	local pid
	pid=$(state_field ntf .pid)
	wait_for_text "$BATS_TEST_TMPDIR/notify.out" "READY=1" || true
	kill "$peer" 2>/dev/null || true
	run cat "$BATS_TEST_TMPDIR/notify.out"
	[[ $output == *"MAINPID=$pid|READY=1"* ]]
}

@test "process: NOTIFY_SOCKET: a container that exits before READY=1 makes start fail" {
	local sock=$BATS_TEST_TMPDIR/host-notify.sock
	bundle_args true
	NOTIFY_SOCKET=$sock run_detached create --bundle "$BUNDLE" ntfexit
	[ "$status" -eq 0 ]
	NOTIFY_SOCKET=$sock run --separate-stderr urun start ntfexit
	assert_urun_error "exited before it sent READY=1"
}

@test "process: linux.timeOffsets shift the container's boottime and monotonic clocks" {
	[ -e /proc/self/ns/time ] || skip "this kernel has no time namespaces"
	bundle_jq '.linux.namespaces += [{"type": "time"}] |
	  .linux.timeOffsets = {"boottime": {"secs": 1000000, "nanosecs": 0}, "monotonic": {"secs": 86400}}'
	bundle_args sh -c 'cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime'
	run urun run --bundle "$BUNDLE" timens
	[ "$status" -eq 0 ]
	[[ $output == *"monotonic"*"86400"* ]]
	[[ $output == *"boottime"*"1000000"* ]]
	[ "${lines[2]}" -gt 1000000 ]
	bundle_jq '.linux.namespaces |= map(select(.type != "time"))'
	run --separate-stderr urun create --bundle "$BUNDLE" timebad
	assert_urun_error "linux.timeOffsets: needs a new time namespace"
	assert_nothing_left timebad
}
