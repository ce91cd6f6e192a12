#!/usr/bin/env bats
# Rootless Docker as Debian ships it (docker.io 20.10: dockerd-rootless.sh under rootlesskit, with
# slirp4netns; its containerd and containerd-shim-runc-v2), with urun added as a runtime in
# daemon.json (`runtimes`, and `default-runtime` so that the classic builder's RUN steps use it too)
# and cgroupfs, no systemd. Debian's `docker` CLI drives it. The daemon is this file's own: started
# in setup_file with private XDG dirs under the file's temp dir, stopped in teardown_file. The shim
# runs urun as `--root R --log F --log-format json create --bundle B --pid-file P
# [--console-socket S] ID`, then start, kill, delete. The image is made offline from the busybox
# rootfs (engines.bash) and loaded with `docker load`.

load helpers
load engines

DOCKER_IMAGE=urun-busybox:latest

setup_file() {
	[ "$(id -u)" -ne 0 ] || return 0
	docker_available || return 0
	common_setup_file
	DK_DIR=$BATS_FILE_TMPDIR/dk
	export DK_DIR
	# A failure is remembered (in the logs) rather than raised, so that each test reports it.
	docker_start >"$BATS_FILE_TMPDIR/docker-start.log" 2>&1 || return 0
	if [ -x "$BATS_FILE_TMPDIR/base/rootfs/bin/busybox" ]; then
		{ image_archive "$BATS_FILE_TMPDIR/base/rootfs" "$DK_DIR/image.tar" "$DOCKER_IMAGE" &&
			dk load -i "$DK_DIR/image.tar"; } >"$BATS_FILE_TMPDIR/docker-load.log" 2>&1 || true
	fi
}

teardown_file() {
	DK_DIR=$BATS_FILE_TMPDIR/dk
	docker_stop
}

setup() {
	docker_available || skip "$(docker_available 2>&1)"
	common_setup
	DK_DIR=$BATS_FILE_TMPDIR/dk
	if ! dk version >/dev/null 2>&1; then
		cat "$BATS_FILE_TMPDIR/docker-start.log" "$DK_DIR/dockerd.log" >&2 || true
		echo "rootless dockerd did not start" >&2
		return 1
	fi
	if ! dk image inspect "$DOCKER_IMAGE" >/dev/null 2>&1; then
		cat "$BATS_FILE_TMPDIR/docker-load.log" >&2 || true
		echo "docker load of the busybox image failed" >&2
		return 1
	fi
}

teardown() {
	local rc=0 ids
	ids=$(dk ps --all --quiet 2>/dev/null) || ids=
	if [ -n "$ids" ]; then
		# shellcheck disable=SC2086 # one ID per word
		dk rm --force $ids >/dev/null 2>&1 || rc=1
	fi
	common_teardown || rc=1
	return "$rc"
}

# --- the daemon -------------------------------------------------------------------------------

DOCKERD_ROOTLESS=/usr/share/docker.io/contrib/dockerd-rootless.sh

# Succeeds when rootless Docker can run here; else prints why (the reason a test skips with).
docker_available() {
	local c
	for c in docker dockerd rootlesskit slirp4netns newuidmap containerd containerd-shim-runc-v2; do
		command -v "$c" >/dev/null || { echo "$c is not installed (docker.io, rootlesskit, slirp4netns, uidmap)"; return 1; }
	done
	[ -x "$DOCKERD_ROOTLESS" ] || { echo "$DOCKERD_ROOTLESS is missing (docker.io)"; return 1; }
	grep -Eq "^($(id -un)|$(id -u)):" /etc/subuid 2>/dev/null || { echo "no subordinate UIDs for $(id -un)"; return 1; }
}

# The environment of the daemon and the CLI: everything under $DK_DIR. dockerd-rootless.sh takes its
# data root from XDG_DATA_HOME, its exec root, pid file and socket from XDG_RUNTIME_DIR, and daemon.json
# from XDG_CONFIG_HOME; the CLI's own config goes to DOCKER_CONFIG.
docker_env() {
	DK_ENV=(
		"XDG_RUNTIME_DIR=$DK_DIR/run"
		"XDG_CONFIG_HOME=$DK_DIR/config"
		"XDG_DATA_HOME=$DK_DIR/data"
		"DOCKER_CONFIG=$DK_DIR/cli"
		"DOCKER_HOST=unix://$DK_DIR/run/docker.sock"
	)
}

# docker against this file's daemon; killed after $URUN_TEST_TIMEOUT seconds, fd 3 closed.
dk() {
	docker_env
	timeout -k 5 "$URUN_TEST_TIMEOUT" env "${DK_ENV[@]}" docker "$@" 3>&-
}

# The command line of `dk ARGS...` (without the timeout), quoted for a shell (`script -c` runs one).
dk_cmdline() {
	docker_env
	printf '%q ' env "${DK_ENV[@]}" docker "$@"
}

# Starts dockerd-rootless.sh in the background (rootlesskit: user, mount and network namespaces, then
# dockerd, which starts its own containerd) with daemon.json naming urun, and waits (at most 60 s)
# until the daemon answers. Its pid (rootlesskit's) goes to $DK_DIR/rootlesskit.pid.
docker_start() {
	local t0 t1
	t0=$(date +%s%N)
	mkdir -p "$DK_DIR/run" "$DK_DIR/config/docker" "$DK_DIR/data" "$DK_DIR/cli"
	chmod 0700 "$DK_DIR/run"
	jq -n --arg urun "$URUN" '{
		runtimes: {urun: {path: $urun}},
		"default-runtime": "urun",
		"exec-opts": ["native.cgroupdriver=cgroupfs"]}' >"$DK_DIR/config/docker/daemon.json"
	docker_env
	# setsid: its own process group, so that nothing of bats' reaches it; fd 3 closed (bats' output)
	setsid env "${DK_ENV[@]}" "$DOCKERD_ROOTLESS" </dev/null >"$DK_DIR/dockerd.log" 2>&1 3>&- &
	echo "$!" >"$DK_DIR/rootlesskit.pid"
	for _ in $(seq 600); do
		if env "${DK_ENV[@]}" docker version >/dev/null 2>&1; then
			t1=$(date +%s%N)
			echo "rootless dockerd answered after $(((t1 - t0) / 1000000)) ms" >>"$DK_DIR/timing"
			return 0
		fi
		kill -0 "$(cat "$DK_DIR/rootlesskit.pid")" 2>/dev/null || break
		sleep 0.1
	done
	echo "rootless dockerd did not answer; its log:" >&2
	cat "$DK_DIR/dockerd.log" >&2
	return 1
}

# Stops the daemon: every container goes, then SIGTERM to rootlesskit (which passes it to dockerd,
# which stops its containerd), at most 30 s, then SIGKILL to whatever of it is left. Then the data
# root, whose layers hold files owned by subordinate IDs, is removed through `urun unshare` (the same
# map as rootlesskit's).
docker_stop() {
	[ -n "${DK_DIR:-}" ] && [ -d "$DK_DIR" ] || return 0
	local pid p ids
	pid=$(cat "$DK_DIR/rootlesskit.pid" 2>/dev/null) || pid=
	ids=$(dk ps --all --quiet 2>/dev/null) || ids=
	# shellcheck disable=SC2086 # one ID per word
	[ -z "$ids" ] || dk rm --force $ids >/dev/null 2>&1 || true
	if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
		for _ in $(seq 300); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	for p in $(procs_with "$DK_DIR"); do
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$DK_DIR" 2>/dev/null || timeout 60 "$URUN" unshare rm -rf "$DK_DIR" >/dev/null 2>&1 3>&- || true
}

# docker run -d NAME ARGS...: a detached container, or the test fails showing why.
run_detached_dk() {
	local name=$1
	shift
	run --separate-stderr dk run -d --name "$name" "$@"
	if [ "$status" -ne 0 ]; then
		echo "docker run -d $name failed with status $status: $stderr" >&2
		return 1
	fi
}

# --- tests ------------------------------------------------------------------------------------

@test "docker: the daemon has urun as its default runtime, and the loaded image is there" {
	run --separate-stderr dk info --format '{{.DefaultRuntime}} {{.CgroupDriver}}'
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	[[ $output == "urun "* ]]
	run --separate-stderr dk image inspect --format '{{json .Config.Cmd}}' "$DOCKER_IMAGE"
	[ "$output" = '["/bin/sh"]' ]
}

@test "docker: run --rm echoes and leaves no container" {
	run --separate-stderr dk run --rm "$DOCKER_IMAGE" sh -c 'echo hi; id -u; hostname'
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hi ]
	[ "${lines[1]}" = 0 ]
	[ "${#lines[2]}" -eq 12 ]
	run --separate-stderr dk ps --all --quiet
	[ -z "$output" ]
}

@test "docker: exit codes: the container's, 127 for a missing command, 126 for a directory" {
	run --separate-stderr dk run --rm "$DOCKER_IMAGE" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	# Docker's CLI picks 127/126 from the runtime's message ("no such file or directory",
	# "permission denied", case-sensitive)
	run -127 --separate-stderr dk run --rm "$DOCKER_IMAGE" /nonexistent
	echo "$stderr" >&2
	[ "$status" -eq 127 ]
	[[ $stderr == *'exec: "/nonexistent": no such file or directory'* ]]
	run -127 --separate-stderr dk run --rm "$DOCKER_IMAGE" nosuchcommand
	[ "$status" -eq 127 ]
	run -126 --separate-stderr dk run --rm "$DOCKER_IMAGE" /etc
	echo "$stderr" >&2
	[ "$status" -eq 126 ]
	[[ $stderr == *'exec: "/etc": permission denied'* ]]
}

@test "docker: run -it gives the container a terminal (under script)" {
	command -v script >/dev/null || skip "script (bsdutils) is needed for a terminal"
	# (`stty size` is not asked: with script's stdin at EOF, the docker CLI leaves the container's
	# terminal unusable for stty, with runc too)
	run timeout -k 5 "$URUN_TEST_TIMEOUT" script -qec \
		"stty rows 24 cols 80; $(dk_cmdline run --rm -it "$DOCKER_IMAGE" sh -c 'tty; exit 3')" \
		/dev/null </dev/null 3>&-
	[ "$status" -eq 3 ]
	[[ $output == *"/dev/pts/0"* ]]
}

@test "docker: run -d -t, then exec -it, stop and rm -f" {
	command -v script >/dev/null || skip "script (bsdutils) is needed for a terminal"
	run_detached_dk tty1 -t "$DOCKER_IMAGE" sh -c "trap 'exit 0' TERM; sleep $SLEEP_ARG & wait"
	run --separate-stderr dk inspect --format '{{.State.Status}} {{.HostConfig.Runtime}} {{.Config.Tty}}' tty1
	[ "$output" = "running urun true" ]
	run timeout -k 5 "$URUN_TEST_TIMEOUT" script -qec \
		"$(dk_cmdline exec -it tty1 sh -c 'tty; id -u; exit 4')" /dev/null </dev/null 3>&-
	[ "$status" -eq 4 ]
	[[ $output == *"/dev/pts/"* ]]
	run --separate-stderr dk exec tty1 cat /proc/1/cmdline
	[[ $output == sh* ]]
	# SIGTERM ends it (the trap): no fallback to SIGKILL after the timeout
	run --separate-stderr dk stop --time 20 tty1
	[ "$status" -eq 0 ]
	run --separate-stderr dk inspect --format '{{.State.Status}} {{.State.ExitCode}}' tty1
	[ "$output" = "exited 0" ]
	[ -z "$(procs_with "$SLEEP_ARG")" ]
	run_detached_dk tty2 -t "$DOCKER_IMAGE" sh -c "sleep $SLEEP_ARG"
	run --separate-stderr dk rm -f tty1 tty2
	[ "$status" -eq 0 ]
	[ -z "$(procs_with "$SLEEP_ARG")" ]
	run --separate-stderr dk ps --all --quiet
	[ -z "$output" ]
}

@test "docker: -p 127.0.0.1:PORT:80 reaches a busybox httpd in the container from the host" {
	local port
	port=$(free_port)
	run_detached_dk web1 -p "127.0.0.1:$port:80" "$DOCKER_IMAGE" \
		sh -c 'mkdir -p /www && echo hello-from-urun >/www/index.html && exec httpd -f -p 80 -h /www'
	run http_get_wait "http://127.0.0.1:$port/index.html" hello-from-urun
	[ "$status" -eq 0 ]
}

@test "docker: --user, --read-only and --cap-drop ALL" {
	run --separate-stderr dk run --rm --user 1000:1000 "$DOCKER_IMAGE" sh -c 'id -u; id -g'
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "1000 1000" ]
	run --separate-stderr dk run --rm --read-only "$DOCKER_IMAGE" sh -c 'touch /x 2>/dev/null || echo ro'
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	[ "$output" = ro ]
	run --separate-stderr dk run --rm --cap-drop ALL "$DOCKER_IMAGE" sh -c 'grep -E "^Cap(Eff|Prm|Bnd):" /proc/self/status'
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	[ "$(awk '{print $2}' <<<"$output" | sort -u)" = 0000000000000000 ]
}

@test "docker: the classic builder runs RUN steps on urun, and the built image runs" {
	local ctx=$BATS_TEST_TMPDIR/ctx
	mkdir -p "$ctx"
	cat >"$ctx/Dockerfile" <<EOF
FROM $DOCKER_IMAGE
RUN echo step-one-ran
RUN echo 'app:x:1000:1000:app:/home/app:/bin/sh' >>/etc/passwd && echo 'app:x:1000:' >>/etc/group && mkdir -p /home/app && chown 1000:1000 /home/app
USER app
WORKDIR /home/app
CMD ["sh", "-c", "id -un; stat -c %u:%g /home/app; touch mine && echo writable"]
EOF
	# the classic builder runs each RUN step in a container of the daemon's default runtime: urun
	docker_env
	run --separate-stderr timeout -k 5 "$URUN_TEST_TIMEOUT" env "${DK_ENV[@]}" DOCKER_BUILDKIT=0 \
		docker build --tag urun-built "$ctx" 3>&-
	echo "$output" >&2
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	[[ $output == *step-one-ran* ]]
	run --separate-stderr dk run --rm urun-built
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	[ "${lines[*]}" = "app 1000:1000 writable" ]
	dk rmi urun-built >/dev/null 2>&1 || true
}
