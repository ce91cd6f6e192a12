#!/usr/bin/env bats
# Attack class: a container writing into the runtime's own state through a directory bound into it.
# /run/notify was urun's state subdirectory bound read-write: a container that made a nested,
# chowned, 0700 tree there made every later `delete -f` fail ("Directory not empty") and left the
# state directory behind. Ancestor: CVE-2019-16884-style abuse of a runtime-owned path (there, a
# mount over /proc that disabled AppArmor; here, writes into the runtime's state). The directory is
# now bound read-only: sd_notify's connect/sendto work on a socket of a read-only mount (unix(7)).

load ../integration/helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	# sd_notify by hand (the probe is static: it runs in the busybox rootfs)
	local probe=$(dirname "$URUN")/tests/probe/urun-probe
	[ -x "$probe" ] || probe=$TESTS_DIR/probe/urun-probe
	[ -x "$probe" ] || skip "no urun-probe next to $URUN or in $TESTS_DIR/probe"
	cp "$probe" "$BUNDLE/rootfs/bin/urun-probe"
}
teardown() {
	[ -z "${PEER:-}" ] || kill "$PEER" 2>/dev/null || true
	common_teardown
}

@test "notify: the container writes nothing under /run/notify, still sends READY=1, and delete -f leaves nothing" {
	command -v python3 >/dev/null || skip "python3 is needed for the NOTIFY_SOCKET peer"
	local sock=$BATS_TEST_TMPDIR/host-notify.sock
	python3 "$BATS_TEST_DIRNAME/../integration/tools/notify-receiver.py" "$sock" "$URUN_TEST_TIMEOUT" >"$BATS_TEST_TMPDIR/notify.out" 3>&- &
	PEER=$!
	wait_for_file "$sock.ready"
	bundle_share
	# every way of leaving something behind that the old read-write bind allowed; each success is
	# recorded, then READY=1 goes out through the socket of the same directory
	bundle_args sh -c '
	  mkdir /run/notify/a 2>/dev/null && echo mkdir >> /shared/made
	  mkdir -p /run/notify/a/b 2>/dev/null && chown -R 1000:1000 /run/notify/a && chmod 700 /run/notify/a/b /run/notify/a &&
	    echo tree >> /shared/made
	  touch /run/notify/f 2>/dev/null && echo file >> /shared/made
	  ln -s / /run/notify/l 2>/dev/null && echo symlink >> /shared/made
	  chmod 777 /run/notify 2>/dev/null && echo chmod >> /shared/made
	  rm -f /run/notify/notify.sock 2>/dev/null && echo unlink >> /shared/made
	  touch /shared/tried
	  exec /bin/urun-probe notify READY=1 sleep '"$SLEEP_ARG"
	NOTIFY_SOCKET=$sock run_detached create --bundle "$BUNDLE" ntfro
	[ "$status" -eq 0 ]
	NOTIFY_SOCKET=$sock run urun start ntfro
	[ "$status" -eq 0 ]
	[ -e "$SHARED/tried" ]
	if [ -e "$SHARED/made" ]; then
		echo "the container left behind: $(cat "$SHARED/made")" >&2
		false
	fi
	run ls -A "$URUN_ROOT/ntfro/notify"
	[ "$output" = notify.sock ]
	# read-only, and nothing to run or open devices through
	run urun exec ntfro grep " /run/notify " /proc/self/mounts
	[ "$status" -eq 0 ]
	local opts
	opts=$(echo "$output" | awk '{print $4}')
	[[ ,$opts, == *,ro,* && ,$opts, == *,nosuid,* && ,$opts, == *,nodev,* && ,$opts, == *,noexec,* ]]
	local pid
	pid=$(state_field ntfro .pid)
	run urun delete --force ntfro
	[ "$status" -eq 0 ]
	[ ! -e "$URUN_ROOT/ntfro" ]
	wait_for_text "$BATS_TEST_TMPDIR/notify.out" "READY=1" || true
	kill "$PEER" 2>/dev/null || true
	wait "$PEER" || true
	run cat "$BATS_TEST_TMPDIR/notify.out"
	[[ $output == *"MAINPID=$pid|READY=1"* ]]
}
