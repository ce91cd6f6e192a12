#!/usr/bin/env bats
# linux.seccomp, hooks and linux.sysctl as the runtime-spec describes them.

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	PROBE=$(dirname "$URUN")/tests/probe/urun-probe
	[ -x "$PROBE" ] || PROBE=$TESTS_DIR/probe/urun-probe
}
teardown() { common_teardown; }

@test "seccomp: a profile that denies mkdir with EPERM" {
	bundle_jq '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
	bundle_args sh -c 'grep Seccomp: /proc/self/status; mkdir /dev/shm/x 2>&1; echo rc=$?'
	run urun run --bundle "$BUNDLE" secmkdir
	[ "$status" -eq 0 ]
	[[ $output == *"Seccomp:"*"2"* ]]
	[[ $output == *"Operation not permitted"* ]]
	[[ $output == *"rc=1"* ]]
}

@test "seccomp: a profile that kills on getcwd" {
	bundle_jq '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getcwd"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
	bundle_args pwd -P
	run urun run --bundle "$BUNDLE" seckill
	[ "$status" -eq 159 ] # 128 + SIGSYS
}

@test "seccomp: an argument filter and ERRNO with errnoRet" {
	# deny setting mode 0700 (448) only, with ENOSYS (38): chmod has the mode in argument 1,
	# fchmodat in argument 2
	bundle_jq '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
	  {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "args": [{"index": 1, "value": 448, "op": "SCMP_CMP_EQ"}]},
	  {"names": ["fchmodat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "args": [{"index": 2, "value": 448, "op": "SCMP_CMP_EQ"}]}]}'
	bundle_args sh -c 'touch /dev/shm/f; chmod 700 /dev/shm/f 2>&1; chmod 755 /dev/shm/f && echo chmod-755-ok'
	run urun run --bundle "$BUNDLE" secarg
	[ "$status" -eq 0 ]
	[[ $output == *"Function not implemented"* ]]
	[[ $output == *chmod-755-ok* ]]
}

@test "seccomp: bad profiles are one clear error and leave nothing" {
	bundle_jq '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]}'
	run --separate-stderr urun create --bundle "$BUNDLE" --pid-file "$PIDFILE" secbad
	assert_urun_error 'linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_BOGUS"'
	assert_nothing_left secbad
	bundle_jq '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}'
	run --separate-stderr urun create --bundle "$BUNDLE" secnotify
	assert_urun_error "listenerPath"
	assert_nothing_left secnotify
}

@test "hooks: every kind runs at its point, in order, with the state on stdin" {
	local log=$BATS_TEST_TMPDIR/hooks.log
	bundle_share
	bundle_jq --arg log "$log" '
	  def h($n): [{"path": "/bin/sh", "args": ["sh", "-c", "read -r s; echo \($n) >> \($log); echo \"$s\" >> \($log).\($n)"]}];
	  .hooks = {"prestart": h("prestart"), "createRuntime": h("createRuntime"), "createContainer": h("createContainer"),
	            "startContainer": h("startContainer"), "poststart": h("poststart"), "poststop": h("poststop")}'
	# createContainer and startContainer run in the container: /bin/sh there is busybox, and the log
	# path must exist inside too, so it goes through the shared mount
	bundle_jq --arg log "$log" '.hooks.createContainer[0].args[2] = "read -r s; echo createContainer >> \($log)" |
	  .hooks.startContainer[0].args[2] = "read -r s; echo startContainer >> /shared/start.log; echo \"$s\" > /shared/start.json"'
	bundle_args sh -c 'echo process >> /shared/start.log'
	create_ctr hk
	start_ctr hk
	wait_status hk stopped
	run urun delete hk
	[ "$status" -eq 0 ]
	run cat "$log"
	[ "${lines[*]}" = "prestart createRuntime createContainer poststart poststop" ]
	run cat "$SHARED/start.log"
	[ "${lines[*]}" = "startContainer process" ]
	[ "$(jq -r .status "$log.createRuntime")" = creating ]
	[ "$(jq -r .id "$log.createRuntime")" = hk ]
	[ "$(jq -r .status "$log.poststop")" = stopped ]
	[ "$(jq -r .id "$SHARED/start.json")" = hk ]
}

@test "hooks: the state a hook in the container gets names the owner as the host knows it" {
	# the container's /etc/passwd gives the caller's uid another name: it must not reach the state
	echo "impostor:x:$(id -u):$(id -g)::/:/bin/sh" >> "$BUNDLE/rootfs/etc/passwd"
	bundle_share
	bundle_jq '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "cat > /shared/start.json"]}]'
	bundle_args true
	run urun run --bundle "$BUNDLE" hkowner
	[ "$status" -eq 0 ]
	[ "$(jq -r .owner "$SHARED/start.json")" = "$(id -un)" ]
}

@test "hooks: a failing create-phase hook aborts create and cleans up" {
	bundle_jq '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "echo no way >&2; exit 3"]}]'
	run --separate-stderr urun create --bundle "$BUNDLE" --pid-file "$PIDFILE" hkfail
	assert_urun_error "hooks.createRuntime[0] /bin/sh: exited with status 3: no way"
	assert_nothing_left hkfail
}

@test "hooks: a hook that times out fails create" {
	bundle_jq '.hooks.prestart = [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]'
	run --separate-stderr urun create --bundle "$BUNDLE" hkslow
	assert_urun_error "hooks.prestart[0] /bin/sleep: timed out after 1s"
	assert_nothing_left hkslow
}

@test "hooks: a failing poststart or poststop hook warns and carries on" {
	bundle_jq '.hooks.poststart = [{"path": "/bin/false"}] | .hooks.poststop = [{"path": "/bin/false"}]'
	bundle_args true
	run --separate-stderr urun run --bundle "$BUNDLE" hkwarn
	[ "$status" -eq 0 ]
	[[ $stderr == *"warning: hooks.poststart[0] /bin/false: exited with status 1"* ]]
	[[ $stderr == *"warning: hooks.poststop[0] /bin/false: exited with status 1"* ]]
	[ ! -e "$URUN_ROOT/hkwarn" ]
}

@test "hooks: after a failing poststart or poststop hook the remaining hooks of that point still run, in order" {
	local log=$BATS_TEST_TMPDIR/hooks.log
	bundle_jq --arg log "$log" '
	  def h(n): {"path": "/bin/sh", "args": ["sh", "-c", "echo " + n + " >>" + $log]};
	  .hooks.poststart = [h("ps1"), {"path": "/bin/false"}, h("ps2")] |
	  .hooks.poststop = [{"path": "/bin/false"}, h("pt1"), {"path": "/nonexistent-hook"}, h("pt2")]'
	bundle_args true
	run --separate-stderr urun run --bundle "$BUNDLE" hkall
	[ "$status" -eq 0 ]
	run cat "$log"
	[ "$output" = "$(printf 'ps1\nps2\npt1\npt2')" ]
}

@test "sysctl: a network key is set in the container's own namespace, not the host's" {
	local host_before
	host_before=$(cat /proc/sys/net/ipv4/ip_default_ttl)
	bundle_jq '.linux.sysctl = {"net.ipv4.ip_default_ttl": "33"}'
	bundle_args cat /proc/sys/net/ipv4/ip_default_ttl
	run urun run --bundle "$BUNDLE" sysnet
	[ "$status" -eq 0 ]
	[ "$output" = 33 ]
	[ "$(cat /proc/sys/net/ipv4/ip_default_ttl)" = "$host_before" ]
}

@test "sysctl: keys that are not namespaced, or whose namespace is shared, are refused" {
	bundle_jq '.linux.sysctl = {"vm.swappiness": "10"}'
	run --separate-stderr urun create --bundle "$BUNDLE" sysbad
	assert_urun_error 'linux.sysctl: "vm.swappiness" is not namespaced'
	assert_nothing_left sysbad
	bundle_jq '.linux.sysctl = {"net.ipv4.ip_default_ttl": "33"} | .linux.namespaces |= map(select(.type != "network"))'
	run --separate-stderr urun create --bundle "$BUNDLE" sysshared
	assert_urun_error 'needs a network namespace'
	assert_nothing_left sysshared
}

@test "seccomp: SCMP_ACT_NOTIFY hands the notify fd and the process state to listenerPath" {
	command -v python3 >/dev/null || skip "python3 is needed for the listener"
	local sock=$BATS_TEST_TMPDIR/listener.sock
	python3 "$BATS_TEST_DIRNAME/tools/seccomp-listener.py" "$sock" >"$BATS_TEST_TMPDIR/listener.out" 3>&- &
	local peer=$!
	wait_for_file "$sock.ready"
	bundle_jq --arg s "$sock" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": $s,
	  "listenerMetadata": "hello", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}'
	bundle_args sh -c 'sleep 1; mkdir /dev/shm/x 2>&1; echo rc=$?'
	run urun run --bundle "$BUNDLE" secnotify
	wait "$peer"
	[ "$status" -eq 0 ]
	# the listener closed the fd without answering: the notified mkdir fails with ENOSYS
	[[ $output == *"Function not implemented"* ]]
	run cat "$BATS_TEST_TMPDIR/listener.out"
	[ "$(echo "${lines[0]}" | jq -r '.fds[0]')" = seccompFd ]
	[ "$(echo "${lines[0]}" | jq -r '.metadata')" = hello ]
	[ "$(echo "${lines[0]}" | jq -r '.state.id')" = secnotify ]
	[ "${lines[1]}" = fds=1 ]
}

@test "mounts: rootfsPropagation, recursive read-only binds and a device from the host" {
	mkdir -p "$BATS_TEST_TMPDIR/tree/sub"
	bundle_jq --arg t "$BATS_TEST_TMPDIR/tree" '.linux.rootfsPropagation = "rshared" |
	  .mounts += [{"destination": "/tree", "type": "bind", "source": $t, "options": ["rbind", "rro"]}] |
	  .linux.devices = [{"path": "/dev/net/tun", "type": "c", "major": 10, "minor": 200}]'
	[ -x "$PROBE" ] || skip "no urun-probe built"
	cp "$PROBE" "$BUNDLE/rootfs/bin/urun-probe"
	bundle_args sh -c '/bin/urun-probe mounts | grep -E "^(propagation=/ |mount=/tree )"; touch /tree/sub/f 2>&1; [ -c /dev/net/tun ] && echo tun'
	run urun run --bundle "$BUNDLE" props
	if [[ $output == *"make it recursively read-only"* ]]; then
		skip "this kernel has no mount_setattr (recursive read-only)"
	fi
	[ "$status" -eq 0 ]
	[[ $output == *"propagation=/ shared"* ]]
	[[ $output == *"mount=/tree "*" ro"* ]]
	[[ $output == *"Read-only file system"* ]]
	[[ $output == *tun* ]]
}

@test "capabilities: ambient ones not in permitted and inheritable are skipped with one warning (buildah's spec)" {
	# buildah lists ambient capabilities but no inheritable set; runc and crun skip what the kernel
	# will not raise, and `podman build` failed at its first RUN with urun
	bundle_jq '.process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_CHOWN", "CAP_KILL"],
	  "permitted": ["CAP_CHOWN", "CAP_KILL"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"]}'
	bundle_args sh -c 'grep CapAmb /proc/self/status'
	run --separate-stderr urun run --bundle "$BUNDLE" amb
	[ "$status" -eq 0 ]
	# only CAP_KILL (bit 5) is ambient
	[[ $output == *"CapAmb:"*"0000000000000020"* ]]
	assert_contains "$stderr" "ambient capabilities CAP_CHOWN, CAP_NET_RAW skipped"
	[ "$(grep -c warning <<<"$stderr")" -eq 1 ]
	# exec: the same
	bundle_args sleep "$SLEEP_ARG"
	run_detached run --detach --bundle "$BUNDLE" amb2
	run --separate-stderr urun exec amb2 sh -c 'grep CapAmb /proc/self/status'
	[ "$status" -eq 0 ]
	[[ $output == *"0000000000000020"* ]]
	assert_contains "$stderr" "exec: ambient capabilities CAP_CHOWN, CAP_NET_RAW skipped"
}
