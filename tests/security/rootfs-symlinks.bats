#!/usr/bin/env bats
# Attack class: an image (or config) whose paths lead a mount or a write out of the rootfs.
# Ancestors: CVE-2019-16884 and CVE-2019-19921 (runc mounted /proc over a symlink an image supplied),
# CVE-2021-30465 (mount destinations through symlinks raced out of the rootfs), CVE-2023-27561.
# The rootfs here has /proc, /dev, /sys, /dev/pts, /dev/shm and /etc/resolv.conf as symlinks to a
# host directory (absolute and relative), and mounts with destinations through symlinks and "..".
# Every target must land inside the rootfs: the host directory must never be written or mounted on.

load ../integration/helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	HOSTDIR=$BATS_TEST_TMPDIR/hostdir
	mkdir -p "$HOSTDIR"
	echo untouched >"$HOSTDIR/marker"
	# relative: from rootfs/X, enough ".." to reach / and then the host directory
	REL=../../../../../../../../../../..$HOSTDIR
	bundle_args sh -c 'ls /proc/self/status >/dev/null && echo proc-ok; echo ran'
}
teardown() {
	if [ -n "${PEER:-}" ]; then
		kill "$PEER" 2>/dev/null || true
		wait "$PEER" 2>/dev/null || true
	fi
	common_teardown
}

# Nothing was created in, mounted on or removed from the host directory.
assert_host_untouched() {
	local entries
	entries=$(ls -A "$HOSTDIR")
	[ "$entries" = marker ] || { echo "host directory changed: $entries" >&2; return 1; }
	[ "$(cat "$HOSTDIR/marker")" = untouched ]
	! grep -q " $HOSTDIR" /proc/self/mountinfo
}

link_in_rootfs() {
	local path=$1 target=$2
	rm -rf "${BUNDLE:?}/rootfs/$path"
	mkdir -p "$(dirname "$BUNDLE/rootfs/$path")"
	ln -s "$target" "$BUNDLE/rootfs/$path"
}

@test "rootfs symlinks: /proc, /dev, /sys, /dev/shm as absolute and relative links to a host path" {
	local p target
	for p in proc dev sys; do
		for target in "$HOSTDIR" "$REL"; do
			new_bundle "$BATS_TEST_TMPDIR/b-$p-${#target}" sh -c 'echo ran'
			BUNDLE=$BATS_TEST_TMPDIR/b-$p-${#target}
			link_in_rootfs "$p" "$target"
			run --separate-stderr urun run --bundle "$BUNDLE" "l$p${#target}" </dev/null
			assert_host_untouched
			# either refused, or run with the mount inside the rootfs
			[ "$status" -ne 0 ] || assert_contains "$output" ran
		done
	done
}

@test "rootfs symlinks: /dev/pts and /dev/shm mount targets behind a /dev the spec does not mount" {
	bundle_jq '.mounts |= map(select(.destination != "/dev"))'
	local p target
	for p in dev/pts dev/shm; do
		for target in "$HOSTDIR" "$REL"; do
			link_in_rootfs "$p" "$target"
			run --separate-stderr urun run --bundle "$BUNDLE" "l${p//\//-}${#target}" </dev/null
			assert_host_untouched
			rm -f "$BUNDLE/rootfs/$p"
		done
	done
}

@test "rootfs symlinks: /etc/resolv.conf as a link to a host file, with slirp networking" {
	[ -x "$(dirname "$URUN")/urun-slirp" ] || skip "urun-slirp is not built"
	[ -w /dev/net/tun ] || skip "/dev/net/tun is not usable here"
	local target
	for target in "$HOSTDIR/marker" "$REL/marker"; do
		link_in_rootfs etc/resolv.conf "$target"
		run --separate-stderr urun run --network slirp --bundle "$BUNDLE" "res${#target}" </dev/null
		assert_host_untouched
	done
}

@test "rootfs symlinks: mount destinations through a symlink and through '..' stay in the rootfs" {
	mkdir -p "$BATS_TEST_TMPDIR/src"
	echo from-src >"$BATS_TEST_TMPDIR/src/file"
	link_in_rootfs mnt/link "$HOSTDIR"
	local dest
	for dest in /mnt/link /mnt/link/sub "/../../../../../../../..$HOSTDIR" "/mnt/../../../..$HOSTDIR/x" \
		"/mnt/link/../../../../../../../../..$HOSTDIR"; do
		bundle_jq --arg d "$dest" --arg s "$BATS_TEST_TMPDIR/src" \
			'.mounts = [.mounts[] | select(.destination != "/x-test")] + [{"destination": $d, "type": "bind", "source": $s, "options": ["rbind", "rw"]}]'
		run --separate-stderr urun run --bundle "$BUNDLE" "dst$RANDOM" </dev/null
		assert_host_untouched
		bundle_jq '.mounts |= map(select(.type != "bind" or .source != "'"$BATS_TEST_TMPDIR/src"'"))'
	done
	# a tmpfs through the symlink: mounted inside the rootfs, where the container sees it
	bundle_jq '.mounts += [{"destination": "/mnt/link", "type": "tmpfs", "source": "tmpfs"}]'
	bundle_args sh -c 'touch /mnt/link/inside && echo wrote'
	run --separate-stderr urun run --bundle "$BUNDLE" tmpl </dev/null
	assert_host_untouched
}

@test "rootfs symlinks: a /dev/ptmx in the image that leads through /proc/self/fd opens no host pty" {
	command -v python3 >/dev/null || skip "python3 is needed for the console-socket peer"
	# no /dev tmpfs, so the image's /dev is what the init opens /dev/ptmx in
	bundle_jq '.mounts |= map(select(.destination != "/dev")) | .process.terminal = true'
	bundle_args sh -c 'tty'
	local sock=$BATS_TEST_TMPDIR/console.sock n
	python3 "$BATS_TEST_DIRNAME/tools/console-sink.py" "$sock" 60 >"$BATS_TEST_TMPDIR/console.out" 3>&- &
	PEER=$!
	wait_for_file "$sock.ready"
	for n in $(seq 3 12); do
		mkdir -p "$BUNDLE/rootfs/dev/pts"
		rm -f "$BUNDLE/rootfs/dev/ptmx"
		ln -s "/proc/self/fd/$n/../../../../../../../../dev/ptmx" "$BUNDLE/rootfs/dev/ptmx"
		run_detached create --console-socket "$sock" --bundle "$BUNDLE" "ptmx$n"
		# refused: the link leads nowhere once the host's fds are closed
		[ "$status" -ne 0 ] || { echo "create ptmx$n succeeded through /proc/self/fd/$n" >&2; false; }
		assert_contains "$output" "/dev/ptmx"
	done
	kill "$PEER"
	wait "$PEER" || true
	PEER=
}
