#!/usr/bin/env bats
# What the user's process sees inside the container: namespaces, rootfs, /proc, /dev, /sys, lo,
# hostname, identity, and the spec's process settings.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

# Runs a shell script in a fresh container; status and output as `run` sets them.
in_container() {
	bundle_args sh -c "$1"
	run --separate-stderr urun run --bundle "$BUNDLE" "c$BATS_TEST_NUMBER"
	if [ "$status" -ne 0 ]; then
		echo "script failed with status $status: $1" >&2
		echo "stdout: $output" >&2
		echo "stderr: $stderr" >&2
	fi
}

@test "the user is root inside" {
	in_container 'id -u; id -g'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
}

@test "root inside is the calling user outside" {
	bundle_share
	in_container 'touch /shared/owned'
	[ "$status" -eq 0 ]
	[ "$(stat -c %u "$SHARED/owned")" = "$(id -u)" ]
}

@test "the process is PID 1 of a new PID namespace" {
	in_container 'echo $$; ps -o pid,comm | wc -l'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	# Only sh, ps and wc (and the header) are visible.
	[ "${lines[1]}" -le 5 ]
}

@test "the root is the bundle's rootfs (pivot_root)" {
	in_container 'test -x /bin/busybox && test ! -e /etc/debian_version && cat /etc/passwd'
	[ "$status" -eq 0 ]
	assert_contains "$output" "root:x:0:0"
}

@test "the hostname comes from the spec" {
	local h=urun-test-$RANDOM
	bundle_jq --arg h "$h" '.hostname = $h'
	in_container 'hostname; cat /proc/sys/kernel/hostname'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$h" ]
	[ "${lines[1]}" = "$h" ]
	[ "$(cat /proc/sys/kernel/hostname)" != "$h" ]
}

@test "a new network namespace with only lo, and lo is up" {
	in_container 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; ip link show lo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = lo ]
	[ "${#lines[@]}" -ge 2 ]
	# The only interface line before `ip link` output.
	[[ ${lines[1]} == *": lo: "* ]]
	[[ ${lines[1]} == *"<LOOPBACK,UP"* ]]
}

@test "lo answers on 127.0.0.1" {
	# The listener's stdin must not hit EOF before the data arrives (nc may then quit): it is a sleep.
	in_container 'sleep 10 | nc -l -p 5555 >/dev/shm/got &
		for i in $(seq 50); do echo ping | nc 127.0.0.1 5555 2>/dev/null && break; sleep 0.1; done
		for i in $(seq 50); do [ -s /dev/shm/got ] && break; sleep 0.1; done
		cat /dev/shm/got'
	[ "$status" -eq 0 ]
	assert_contains "$output" ping
}

@test "/proc is mounted and is the container's" {
	in_container 'grep " /proc proc " /proc/self/mounts >/dev/null && cat /proc/1/comm && ls /proc | grep -c "^[0-9]"'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = sh ] || [ "${lines[0]}" = busybox ]
	[ "${lines[1]}" -le 5 ]
}

@test "the standard devices exist in /dev and work" {
	in_container '
		for d in null zero full random urandom tty; do test -c /dev/$d || { echo "no /dev/$d"; exit 1; }; done
		echo x >/dev/null || exit 2
		test "$(head -c 4 /dev/zero | od -An -tx1 | tr -d " ")" = 00000000 || exit 3
		if echo x >/dev/full 2>/dev/null; then exit 4; fi
		test "$(head -c 16 /dev/urandom | wc -c)" = 16 || exit 5
		test "$(head -c 16 /dev/random | wc -c)" = 16 || exit 6
		echo devices-ok'
	[ "$status" -eq 0 ]
	[ "$output" = devices-ok ]
}

@test "/dev has the standard links" {
	in_container 'for l in fd stdin stdout stderr; do test -L /dev/$l || echo "no /dev/$l"; done; readlink /dev/fd'
	[ "$status" -eq 0 ]
	[ "$output" = /proc/self/fd ]
}

@test "/dev/pts, /dev/shm and /dev/mqueue are mounted" {
	in_container 'cat /proc/self/mounts'
	[ "$status" -eq 0 ]
	grep -q ' /dev/pts devpts ' <<<"$output"
	grep -q ' /dev/shm tmpfs ' <<<"$output"
	grep -q ' /dev/mqueue mqueue ' <<<"$output"
	grep -Eq ' /dev (tmpfs|devtmpfs) ' <<<"$output"
}

@test "/dev/shm is writable" {
	in_container 'echo shm >/dev/shm/x && cat /dev/shm/x'
	[ "$status" -eq 0 ]
	[ "$output" = shm ]
}

@test "/sys is mounted" {
	in_container 'grep -E " /sys (sysfs|[a-z0-9]+) " /proc/self/mounts | head -n 1; test -d /sys/class && echo has-class'
	[ "$status" -eq 0 ]
	[ -n "${lines[0]}" ]
	[ "${lines[1]}" = has-class ]
}

@test "process.env and process.cwd come from the spec" {
	bundle_jq '.process.env += ["URUN_TEST_VAR=hello world"] | .process.cwd = "/tmp"'
	in_container 'echo "$URUN_TEST_VAR"; pwd'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "hello world" ]
	[ "${lines[1]}" = /tmp ]
}

@test "a read-only rootfs is read-only" {
	bundle_jq '.root.readonly = true'
	in_container 'if touch /should-fail 2>/dev/null; then echo writable; else echo read-only; fi'
	[ "$status" -eq 0 ]
	[ "$output" = read-only ]
	[ ! -e "$BUNDLE/rootfs/should-fail" ]
}

@test "a writable rootfs is writable" {
	bundle_jq '.root.readonly = false'
	in_container 'touch /written && echo ok'
	[ "$status" -eq 0 ]
	[ -e "$BUNDLE/rootfs/written" ]
}

@test "a bind mount from the spec is visible, and read-only when asked" {
	mkdir "$BATS_TEST_TMPDIR/ro"
	echo content >"$BATS_TEST_TMPDIR/ro/file"
	mkdir "$BUNDLE/rootfs/ro"
	bundle_jq --arg s "$BATS_TEST_TMPDIR/ro" \
		'.mounts += [{"destination": "/ro", "type": "bind", "source": $s, "options": ["bind", "ro"]}]'
	in_container 'cat /ro/file; if touch /ro/new 2>/dev/null; then echo writable; else echo read-only; fi'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = content ]
	[ "${lines[1]}" = read-only ]
}

@test "a tmpfs mount from the spec is mounted" {
	bundle_jq '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=1m"]}]'
	mkdir "$BUNDLE/rootfs/scratch"
	in_container 'grep " /scratch tmpfs " /proc/self/mounts >/dev/null && echo ok'
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}

@test "tmpcopyup: the tmpfs starts with a copy of what the rootfs had there (files, dirs, links, modes)" {
	bundle_jq '.mounts += [{"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "tmpcopyup"]}]'
	mkdir -p "$BUNDLE/rootfs/etc/sub/deeper"
	echo secret >"$BUNDLE/rootfs/etc/sub/deeper/file"
	chmod 0640 "$BUNDLE/rootfs/etc/sub/deeper/file"
	ln -s sub/deeper/file "$BUNDLE/rootfs/etc/link"
	in_container 'grep -q " /etc tmpfs " /proc/self/mounts && echo tmpfs; cat /etc/link; stat -c %a /etc/sub/deeper/file;
		head -n1 /etc/passwd; echo new >/etc/new && echo writable'
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "tmpfs secret 640 root:x:0:0:root:/root:/bin/sh writable" ]
	# the copy is the tmpfs's: the rootfs itself is unchanged
	[ ! -e "$BUNDLE/rootfs/etc/new" ]
}

@test "tmpcopyup on anything but a tmpfs is refused, naming the mount" {
	bundle_jq '.mounts += [{"destination": "/mnt", "type": "bind", "source": "/tmp", "options": ["rbind", "tmpcopyup"]}]'
	run --separate-stderr urun run --bundle "$BUNDLE" c1
	assert_urun_error "/mnt" "tmpcopyup: only for tmpfs mounts"
}

@test "a read-only sysfs or cgroup mount bound from the host is read-only all the way down" {
	# without a cgroup namespace urun binds the host's /sys/fs/cgroup (every v1 hierarchy under it)
	bundle_jq 'del(.linux.namespaces[] | select(.type == "cgroup"))
		| .mounts += [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "ro"]}]'
	in_container 'grep " /sys" /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	local l f rw=
	for l in "${lines[@]}"; do
		read -r -a f <<<"$l"
		[[ ${f[4]} == /sys/fs/cgroup* ]] || continue
		[[ ${f[5]} == ro,nosuid,nodev,noexec* ]] || rw+="${f[4]}(${f[5]}) "
	done
	[ -z "$rw" ] || { echo "not ro,nosuid,nodev,noexec: $rw" >&2; return 1; }
}

@test "the container's mounts are not visible on the host" {
	bundle_share
	bundle_args sh -c 'touch /shared/ready; read x </shared/fifo'
	mkfifo "$SHARED/fifo"
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	refute grep -q "$BUNDLE/rootfs" /proc/self/mounts
	echo go >"$SHARED/fifo"
}

@test "the container has its own pid, ipc, uts, mount, network and user namespaces" {
	bundle_share
	bundle_args sh -c 'touch /shared/ready; read x </shared/fifo'
	mkfifo "$SHARED/fifo"
	create_ctr c1
	start_ctr c1
	wait_for_file "$SHARED/ready"
	local pid
	pid=$(state_field c1 .pid)
	for ns in pid ipc uts mnt net user; do
		if [ "$(readlink "/proc/$pid/ns/$ns")" = "$(readlink "/proc/self/ns/$ns")" ]; then
			echo "the container shares the host's $ns namespace" >&2
			return 1
		fi
	done
	echo go >"$SHARED/fifo"
}

@test "a mount destination that is a symlink out of the rootfs is resolved inside the rootfs" {
	local outside=$BATS_TEST_TMPDIR/outside
	mkdir -p "$outside" "$SHARED"
	# An absolute and a relative symlink, both pointing at a host directory if followed on the host.
	ln -s "$outside" "$BUNDLE/rootfs/escape-abs"
	ln -s "../../../../../../../../../..$outside" "$BUNDLE/rootfs/escape-rel"
	bundle_jq --arg s "$SHARED" '.mounts += [
		{"destination": "/escape-abs", "type": "bind", "source": $s, "options": ["rbind", "rw"]},
		{"destination": "/escape-rel", "type": "bind", "source": $s, "options": ["rbind", "rw"]}]'
	bundle_args sh -c 'echo abs >/escape-abs/via-abs; echo rel >/escape-rel/via-rel; echo done'
	run --separate-stderr urun run --bundle "$BUNDLE" c1
	# Whether urun mounts at the in-rootfs target or refuses, the host directory stays untouched.
	[ -z "$(ls -A "$outside")" ]
	if [ "$status" -eq 0 ]; then
		[ "$output" = done ]
		[ "$(cat "$SHARED/via-abs")" = abs ]
		[ "$(cat "$SHARED/via-rel")" = rel ]
	else
		assert_urun_error escape
	fi
}

@test "a rootfs whose /proc is a symlink cannot redirect the proc mount to the host" {
	local outside=$BATS_TEST_TMPDIR/outside-proc
	mkdir -p "$outside"
	rmdir "$BUNDLE/rootfs/proc"
	ln -s "$outside" "$BUNDLE/rootfs/proc"
	bundle_args sh -c 'cat /proc/self/stat >/dev/null && echo has-proc'
	run --separate-stderr urun run --bundle "$BUNDLE" c1
	[ -z "$(ls -A "$outside")" ]
	if [ "$status" -eq 0 ]; then
		[ "$output" = has-proc ]
	else
		assert_urun_error proc
	fi
}

@test "mounts: options the kernel locks inside a user namespace keep the source's, with one warning; adding ro/nosuid/nodev/noexec always works" {
	# the host's atime setting is locked for a bind inside a user namespace: strictatime on a
	# relatime (or noatime) source failed the whole create with EPERM; crun applies what it can
	local src=$BATS_TEST_TMPDIR/bindsrc atime
	mkdir -p "$src"
	atime=$(findmnt -no OPTIONS --target "$src" | tr ',' '\n' | grep -E '^(relatime|noatime)$' | head -1) || true
	[ -n "$atime" ] || skip "the host mount of $src is strictatime: no locked atime setting to test"
	bundle_jq --arg s "$src" '.mounts += [{"destination": "/mnt", "type": "bind", "source": $s,
	  "options": ["rbind", "strictatime", "ro", "nosuid", "nodev", "noexec"]}]'
	bundle_args sh -c 'grep " /mnt " /proc/self/mountinfo'
	run --separate-stderr urun run --bundle "$BUNDLE" locked
	[ "$status" -eq 0 ]
	assert_contains "$stderr" "mounts["
	assert_contains "$stderr" "/mnt: strictatime not applied: inside a user namespace the kernel keeps the source's flags"
	[ "$(grep -c warning <<<"$stderr")" -eq 1 ]
	local opts
	opts=$(awk '{print $6}' <<<"$output")
	[[ ,$opts, == *,ro,* && ,$opts, == *,nosuid,* && ,$opts, == *,nodev,* && ,$opts, == *,noexec,* ]]
	[[ ,$opts, == *,$atime,* ]]
}
