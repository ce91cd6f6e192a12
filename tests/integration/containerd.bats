#!/usr/bin/env bats
# Rootless containerd as Debian ships it (containerd 1.6 with containerd-shim-runc-v2), under
# rootlesskit (user and mount namespaces, /etc and /run copied up, as containerd-rootless.sh does), and
# Debian's `ctr` with `--runc-binary URUN`: the shim runs urun as `--root /run/containerd/runc/NS --log
# F --log-format json create --bundle B --pid-file P [--console-socket S] ID`, then start, kill,
# delete. The daemon is this file's own, started in setup_file and stopped in teardown_file; ctr runs
# in its namespaces (nsenter, as `containerd-rootless-setuptool.sh nsenter` does), where the shim's
# sockets and ctr's stdio fifos live. The image is made offline from the busybox rootfs (engines.bash).

load helpers
load engines

CTR_IMAGE=docker.io/library/urun-busybox:latest

setup_file() {
	[ "$(id -u)" -ne 0 ] || return 0
	containerd_available || return 0
	common_setup_file
	CD_DIR=$BATS_FILE_TMPDIR/cd
	export CD_DIR
	# A failure is remembered (in the logs) rather than raised, so that each test reports it.
	containerd_start >"$BATS_FILE_TMPDIR/containerd-start.log" 2>&1 || return 0
	if [ -x "$BATS_FILE_TMPDIR/base/rootfs/bin/busybox" ]; then
		{ image_archive "$BATS_FILE_TMPDIR/base/rootfs" "$CD_DIR/image.tar" urun-busybox:latest &&
			cctr images import "$CD_DIR/image.tar"; } >"$BATS_FILE_TMPDIR/containerd-import.log" 2>&1 || true
	fi
}

teardown_file() {
	CD_DIR=$BATS_FILE_TMPDIR/cd
	containerd_stop
}

setup() {
	containerd_available || skip "$(containerd_available 2>&1)"
	common_setup
	CD_DIR=$BATS_FILE_TMPDIR/cd
	if ! cctr version >/dev/null 2>&1; then
		cat "$BATS_FILE_TMPDIR/containerd-start.log" "$CD_DIR/containerd.log" >&2 || true
		echo "rootless containerd did not start" >&2
		return 1
	fi
	if ! cctr images check "name==$CTR_IMAGE" 2>/dev/null | grep -q complete; then
		cat "$BATS_FILE_TMPDIR/containerd-import.log" >&2 || true
		echo "ctr images import of the busybox image failed" >&2
		return 1
	fi
}

teardown() {
	local rc=0
	containerd_remove_all || rc=1
	common_teardown || rc=1
	return "$rc"
}

# --- the daemon -------------------------------------------------------------------------------

# Succeeds when rootless containerd can run here; else prints why (the reason a test skips with).
containerd_available() {
	local c
	for c in containerd ctr containerd-shim-runc-v2 rootlesskit nsenter newuidmap; do
		command -v "$c" >/dev/null || { echo "$c is not installed (containerd, rootlesskit, util-linux, uidmap)"; return 1; }
	done
	grep -Eq "^($(id -un)|$(id -u)):" /etc/subuid 2>/dev/null || { echo "no subordinate UIDs for $(id -un)"; return 1; }
}

# Starts containerd under rootlesskit in the background and waits (at most 30 s) until it answers.
# Its configuration only moves its root, state and socket under $CD_DIR: Debian's
# /etc/containerd/config.toml names /var/lib/containerd/opt, which a user cannot write.
containerd_start() {
	local t0 t1 pid
	t0=$(date +%s%N)
	mkdir -p "$CD_DIR/root" "$CD_DIR/state" "$CD_DIR/rk"
	cat >"$CD_DIR/config.toml" <<EOF
version = 2
root = "$CD_DIR/root"
state = "$CD_DIR/state"
[grpc]
  address = "$CD_DIR/containerd.sock"
EOF
	# --copy-up=/run: the shim's sockets (/run/containerd/s) and urun's --root are made there
	setsid rootlesskit --state-dir="$CD_DIR/rk/state" --copy-up=/etc --copy-up=/run --propagation=rslave \
		containerd --config "$CD_DIR/config.toml" </dev/null >"$CD_DIR/containerd.log" 2>&1 3>&- &
	pid=$!
	echo "$pid" >"$CD_DIR/rootlesskit.pid"
	for _ in $(seq 300); do
		if [ -f "$CD_DIR/rk/state/child_pid" ] && cctr version >/dev/null 2>&1; then
			t1=$(date +%s%N)
			echo "rootless containerd answered after $(((t1 - t0) / 1000000)) ms" >>"$CD_DIR/timing"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "rootless containerd did not answer; its log:" >&2
	cat "$CD_DIR/containerd.log" >&2
	return 1
}

# ctr against this file's containerd, in rootlesskit's user and mount namespaces; killed after
# $URUN_TEST_TIMEOUT seconds, fd 3 closed.
cctr() {
	timeout -k 5 "$URUN_TEST_TIMEOUT" nsenter -U --preserve-credentials -m \
		-t "$(cat "$CD_DIR/rk/state/child_pid")" --wd=/ ctr --address "$CD_DIR/containerd.sock" "$@" 3>&-
}

# The command line of `cctr ARGS...` (without the timeout), quoted for a shell (`script -c` runs one).
cctr_cmdline() {
	printf '%q ' nsenter -U --preserve-credentials -m -t "$(cat "$CD_DIR/rk/state/child_pid")" --wd=/ \
		ctr --address "$CD_DIR/containerd.sock" "$@"
}

# Kills and removes every task and container of the file's containerd.
containerd_remove_all() {
	[ -f "${CD_DIR:-}/rk/state/child_pid" ] || return 0
	local id rc=0
	for id in $(cctr containers list --quiet 2>/dev/null); do
		cctr tasks kill --signal KILL "$id" >/dev/null 2>&1 || true
		for _ in $(seq 50); do
			cctr tasks delete "$id" >/dev/null 2>&1 && break
			# not stopped yet, or no task at all
			cctr tasks list --quiet 2>/dev/null | grep -qx "$id" || break
			sleep 0.1
		done
		cctr containers delete "$id" >/dev/null 2>&1 || rc=1
	done
	return "$rc"
}

# Stops the daemon: every container goes, then SIGTERM to rootlesskit (which passes it on to
# containerd), at most 30 s, then SIGKILL to whatever of it and its shims is left; the data goes
# through `urun unshare` (its snapshots hold files owned by subordinate IDs).
containerd_stop() {
	[ -n "${CD_DIR:-}" ] && [ -d "$CD_DIR" ] || return 0
	local pid p
	containerd_remove_all || true
	pid=$(cat "$CD_DIR/rootlesskit.pid" 2>/dev/null) || pid=
	if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
		for _ in $(seq 300); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	for p in $(procs_with "$CD_DIR"); do
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$CD_DIR" 2>/dev/null || timeout 60 "$URUN" unshare rm -rf "$CD_DIR" >/dev/null 2>&1 3>&- || true
}

# --- tests ------------------------------------------------------------------------------------

@test "containerd: ctr run --rm with --runc-binary urun echoes, in rootlesskit's user namespace" {
	run --separate-stderr cctr run --rm --runc-binary "$URUN" "$CTR_IMAGE" c1 sh -c 'echo hi; id -u; hostname'
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hi ]
	[ "${lines[1]}" = 0 ]
	run --separate-stderr cctr run --rm --runc-binary "$URUN" "$CTR_IMAGE" c2 sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run --separate-stderr cctr containers list --quiet
	[ -z "$output" ]
}

@test "containerd: ctr run -t gives the container a terminal (under script)" {
	command -v script >/dev/null || skip "script (bsdutils) is needed for a terminal"
	# (`stty size` is not asked: ctr leaves the size unset with script's stdin at EOF)
	run timeout -k 5 "$URUN_TEST_TIMEOUT" script -qec \
		"$(cctr_cmdline run -t --rm --runc-binary "$URUN" "$CTR_IMAGE" c3 sh -c 'tty; exit 3')" \
		/dev/null </dev/null 3>&-
	[ "$status" -eq 3 ]
	[[ $output == *"/dev/pts/0"* ]]
}

@test "containerd: ctr run -d, then task exec, kill and delete" {
	run --separate-stderr cctr run -d --runc-binary "$URUN" "$CTR_IMAGE" c4 \
		sh -c "trap 'exit 0' TERM; sleep $SLEEP_ARG & wait"
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	run --separate-stderr cctr tasks list
	[[ $output == *"c4"*RUNNING* ]]
	[ -n "$(procs_with "$SLEEP_ARG")" ]
	# The answer travels in the exit status: ctr may report an exec's exit before the shim has copied
	# all of its output (seen once under a parallel run: the output came back empty), the status never.
	# 5: the process sees the container's pid 1 (its sh -c trap ...); 6: it sees something else.
	run --separate-stderr cctr tasks exec --exec-id e1 c4 \
		sh -c 'case "$(tr "\0" " " </proc/1/cmdline)" in "sh -c trap"*) exit 5 ;; *) exit 6 ;; esac'
	echo "$stderr" >&2
	[ "$status" -eq 5 ]
	run --separate-stderr cctr tasks kill c4
	[ "$status" -eq 0 ]
	for _ in $(seq 100); do
		cctr tasks list | grep -q "c4.*STOPPED" && break
		sleep 0.1
	done
	run --separate-stderr cctr tasks delete c4
	[ "$status" -eq 0 ]
	[ -z "$(procs_with "$SLEEP_ARG")" ]
	run --separate-stderr cctr containers delete c4
	[ "$status" -eq 0 ]
}

@test "containerd: ctr run -d -t keeps a terminal container running, then it is killed and deleted" {
	command -v script >/dev/null || skip "script (bsdutils) is needed for a terminal"
	# ctr asks its own stdin for the terminal's size: it must be a terminal too
	run timeout -k 5 "$URUN_TEST_TIMEOUT" script -qec \
		"$(cctr_cmdline run -d -t --runc-binary "$URUN" "$CTR_IMAGE" c5 sh -c "tty >/tty.txt; sleep $SLEEP_ARG")" \
		/dev/null </dev/null 3>&-
	echo "$output" >&2
	[ "$status" -eq 0 ]
	run --separate-stderr cctr tasks list
	[[ $output == *"c5"*RUNNING* ]]
	# as in the test above: the answer in the exit status (5: the container's terminal is /dev/pts/0)
	run --separate-stderr cctr tasks exec --exec-id e2 c5 sh -c \
		'for i in $(seq 50); do [ -s /tty.txt ] && break; sleep 0.1; done; [ "$(cat /tty.txt)" = /dev/pts/0 ] && exit 5; exit 6'
	[ "$status" -eq 5 ]
	run --separate-stderr cctr tasks kill --signal KILL c5
	[ "$status" -eq 0 ]
	for _ in $(seq 100); do
		cctr tasks list | grep -q "c5.*STOPPED" && break
		sleep 0.1
	done
	run --separate-stderr cctr tasks delete c5
	[ "$status" -eq 0 ]
	[ -z "$(procs_with "$SLEEP_ARG")" ]
}
