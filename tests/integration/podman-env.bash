# A private, offline podman configuration that runs containers with urun, for podman.bats (and by hand).
# Everything podman keeps lives under one directory: its containers.conf and storage.conf (pointed at by
# CONTAINERS_CONF and CONTAINERS_STORAGE_CONF), the vfs storage, its tmp dir (with the rootless pause
# process's pid file and the exit files), and a private XDG_RUNTIME_DIR (podman's runroot, and urun's
# state root: podman runs urun without --root), and XDG config/data/cache homes: nothing is read from
# or written to ~/.config, ~/.local/share or /run/user. Needs no systemd, no network, no journald
# (made on a Debian 12 host with hybrid cgroups and podman 4.3.1).
#
# By hand, as a normal user:
#   . tests/integration/podman-env.bash
#   podman_env_write /tmp/pm build/urun        # writes /tmp/pm/{containers,storage}.conf
#   PODMAN_DIR=/tmp/pm pm import rootfs.tar localhost/urun-busybox
#   PODMAN_DIR=/tmp/pm pm run --rm localhost/urun-busybox echo hi
#   PODMAN_DIR=/tmp/pm podman_env_destroy      # containers, storage and the pause process

PODMAN_IMAGE=localhost/urun-busybox:latest

# A TOML basic string holding $1.
toml_string() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# podman_env_write DIR URUN: creates DIR's layout and its two config files, with URUN as the runtime.
#   - runtime "urun" (so podman's messages say `urun: ...`), listed in runtime_supports_json (podman
#     then passes --log-format=json --log FILE) and in runtime_supports_nocgroup (`--cgroups=disabled`
#     then passes crun's global option --cgroup-manager disabled; podman 4.3 reads this key, not
#     `runtime_supports_nocgroups` as /usr/share/containers/containers.conf spells it);
#   - cgroupfs and a file events log (no systemd, no journald), pull_policy "never" (offline);
#   - netns "none": a network namespace with loopback only, no slirp4netns/netavark needed;
#   - the sanitizer variables the suite passes through go to conmon_env_vars: conmon runs `urun create`
#     and `urun exec` with only those (podman itself runs start/kill/delete with XDG_RUNTIME_DIR alone).
podman_env_write() {
	local dir=$1 urun=$2 v envs
	mkdir -p "$dir/storage" "$dir/tmp" "$dir/home" "$dir/xdg"
	chmod 0700 "$dir/xdg"
	envs=$(toml_string "PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin")
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		if [ -n "${!v+set}" ]; then envs+=", $(toml_string "$v=${!v}")"; fi
	done
	cat >"$dir/containers.conf" <<EOF
[containers]
netns = "none"
log_driver = "k8s-file"

[engine]
runtime = "urun"
runtime_supports_json = ["urun"]
runtime_supports_nocgroup = ["urun"]
cgroup_manager = "cgroupfs"
events_logger = "file"
pull_policy = "never"
tmp_dir = $(toml_string "$dir/tmp")
static_dir = $(toml_string "$dir/storage/libpod")
volume_path = $(toml_string "$dir/storage/volumes")
conmon_env_vars = [$envs]

[engine.runtimes]
urun = [$(toml_string "$urun")]
EOF
	# Rootless, containers/storage takes the graph root from rootless_storage_path (graphroot is for
	# root) and the run root from $XDG_RUNTIME_DIR/containers (a runroot here would be ignored).
	cat >"$dir/storage.conf" <<EOF
[storage]
driver = "vfs"
rootless_storage_path = $(toml_string "$dir/storage")
EOF
}

# The environment podman runs with: the private configuration, runtime dir, and XDG config/data/cache
# homes (podman import writes a blob-info cache to the data home, system reset touches the config
# home's cni/ and containers/), so that nothing of the user's $HOME is read or written.
pm_env() {
	printf '%s\n' \
		"XDG_RUNTIME_DIR=$PODMAN_DIR/xdg" \
		"XDG_CONFIG_HOME=$PODMAN_DIR/home/config" \
		"XDG_DATA_HOME=$PODMAN_DIR/home/data" \
		"XDG_CACHE_HOME=$PODMAN_DIR/home/cache" \
		"CONTAINERS_CONF=$PODMAN_DIR/containers.conf" \
		"CONTAINERS_STORAGE_CONF=$PODMAN_DIR/storage.conf"
}

# podman with the configuration in $PODMAN_DIR. fd 3 (bats' output) is closed so that conmon and the
# pause process, which outlive the command, cannot hold the test run open; a hung podman is killed
# after $URUN_TEST_TIMEOUT seconds.
pm() {
	local envs
	mapfile -t envs < <(pm_env)
	timeout -k 5 "${URUN_TEST_TIMEOUT:-60}" env "${envs[@]}" podman "$@" 3>&-
}

# The command line of `pm ARGS...` (without the timeout), quoted for a shell (`script -c` runs one).
pm_cmdline() {
	local envs
	mapfile -t envs < <(pm_env)
	printf '%q ' env "${envs[@]}" podman "$@"
}

# urun's state root as podman uses it (podman passes no --root, so urun uses $XDG_RUNTIME_DIR/urun).
podman_urun_root() {
	echo "$PODMAN_DIR/xdg/urun"
}

# Imports DIR (a rootfs) as $PODMAN_IMAGE. Files are stored as owned by root, so that the image also
# works with --uidmap/--userns (an image of files owned by the test user's own UID would not).
podman_import_rootfs() {
	local rootfs=$1
	tar --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$PODMAN_DIR/rootfs.tar" . &&
		pm import --quiet --change 'CMD ["/bin/sh"]' "$PODMAN_DIR/rootfs.tar" "$PODMAN_IMAGE" &&
		rm -f "$PODMAN_DIR/rootfs.tar"
}

# After each test: removes every container (kill, `urun delete --force`, storage), then waits for
# the processes that work for podman in the background (conmon, and the `podman container cleanup`
# conmon starts when a container exits) and fails when any of them, or any urun state, is left.
podman_cleanup_containers() {
	[ -n "${PODMAN_DIR:-}" ] && [ -f "$PODMAN_DIR/containers.conf" ] || return 0
	local rc=0 pids p root
	pm rm --all --force --time 0 >/dev/null 2>&1 || true
	for _ in $(seq 100); do
		pids=$(procs_with "$PODMAN_DIR")
		[ -n "$pids" ] || break
		sleep 0.1
	done
	if [ -n "$pids" ]; then
		echo "podman's helper processes left after podman rm --all:" >&2
		for p in $pids; do
			echo "  $p: $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")" >&2
			kill -KILL "$p" 2>/dev/null || true
		done
		rc=1
	fi
	root=$(podman_urun_root)
	if [ -n "$(ls -A "$root" 2>/dev/null)" ]; then
		echo "urun state left in podman's state root after podman rm --all: $(ls -A "$root" | tr '\n' ' ')" >&2
		delete_all_in "$root"
		rc=1
	fi
	return "$rc"
}

# After the file: containers, images and storage go (`podman system reset`, which also stops the
# rootless pause process, `catatonit -P`, that holds podman's user namespace), then the directory.
podman_env_destroy() {
	[ -n "${PODMAN_DIR:-}" ] && [ -f "$PODMAN_DIR/containers.conf" ] || return 0
	local pause=
	pause=$(cat "$PODMAN_DIR/tmp/pause.pid" 2>/dev/null) || pause=
	pm rm --all --force --time 0 >/dev/null 2>&1 || true
	pm system reset --force >/dev/null 2>&1 || true
	# reset stops the pause process; make sure, but only if the pid is still podman's pause process.
	if [ -n "$pause" ] && [[ $(tr '\0' ' ' 2>/dev/null <"/proc/$pause/cmdline") == *catatonit* ]]; then
		kill -KILL "$pause" 2>/dev/null || true
	fi
	rm -rf "$PODMAN_DIR" 2>/dev/null || true
}
