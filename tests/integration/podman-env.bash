# podman as Debian ships it, with urun as its runtime, for podman.bats (and by hand). No containers.conf
# of ours: podman reads Debian's /usr/share/containers/containers.conf and gets `--runtime URUN` on
# every command, as the README tells users to run it. Only where podman keeps things is private to the
# suite, under one directory: storage.conf (CONTAINERS_STORAGE_CONF) with the graph root, and the XDG
# runtime/config/data/cache dirs (podman's runroot, tmp dir, netns files and urun's state root: podman
# runs urun without --root), so nothing is read from or written to ~/.config, ~/.local/share or
# /run/user. Needs no systemd, no journald and no network (podman falls back to cgroupfs and a file
# events log by itself when there is no systemd user session).
#
# By hand, as a normal user:
#   . tests/integration/podman-env.bash
#   podman_env_write /tmp/pm build/urun        # writes /tmp/pm/storage.conf
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

# True when this user can use fuse-overlayfs: the program, and /dev/fuse open to everyone, as
# distributions ship it (tests/setup-test-user.sh makes it so).
fuse_overlayfs_usable() {
	command -v fuse-overlayfs >/dev/null && [ -r /dev/fuse ] && [ -w /dev/fuse ]
}

# podman_env_write DIR URUN: creates DIR's layout, its storage.conf, and the runtime podman is given.
#   - The runtime is URUN itself. When the suite runs with sanitizer variables, they would not reach
#     urun (conmon runs `urun create` and `urun exec` with a fixed environment, and podman runs
#     start/kill/delete with XDG_RUNTIME_DIR alone), so the runtime is then DIR/bin/urun, a script that
#     sets them and execs URUN (named urun, so podman's messages still name "urun").
#   - Storage: overlay through fuse-overlayfs (`mount_program`), the driver rootless podman uses where
#     the kernel has no rootless overlay (before 5.13) and what distributions configure; podman would
#     pick the kernel's overlay here by itself. vfs where fuse-overlayfs cannot run (the test that
#     checks the storage then skips). Rootless, containers/storage takes the graph root from
#     rootless_storage_path (graphroot is for root) and the run root from $XDG_RUNTIME_DIR/containers.
podman_env_write() {
	local dir=$1 urun=$2 v envs=()
	mkdir -p "$dir/storage" "$dir/home" "$dir/xdg" "$dir/bin"
	chmod 0700 "$dir/xdg"
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		if [ -n "${!v+set}" ]; then envs+=("$v=${!v}"); fi
	done
	if [ "${#envs[@]}" -gt 0 ]; then
		{
			echo '#!/bin/sh'
			printf 'exec env %s %q "$@"\n' "$(printf '%q ' "${envs[@]}")" "$urun"
		} >"$dir/bin/urun"
		chmod 0755 "$dir/bin/urun"
		echo "$dir/bin/urun" >"$dir/runtime"
	else
		echo "$urun" >"$dir/runtime"
	fi
	if fuse_overlayfs_usable; then
		cat >"$dir/storage.conf" <<EOF
[storage]
driver = "overlay"
rootless_storage_path = $(toml_string "$dir/storage")

[storage.options.overlay]
mount_program = $(toml_string "$(command -v fuse-overlayfs)")
EOF
	else
		cat >"$dir/storage.conf" <<EOF
[storage]
driver = "vfs"
rootless_storage_path = $(toml_string "$dir/storage")
EOF
	fi
}

# The environment podman runs with: the private storage, runtime dir, and XDG config/data/cache homes
# (podman import writes a blob-info cache to the data home, system reset touches the config home's
# cni/ and containers/; podman reads a containers.conf there, and there is none).
pm_env() {
	printf '%s\n' \
		"XDG_RUNTIME_DIR=$PODMAN_DIR/xdg" \
		"XDG_CONFIG_HOME=$PODMAN_DIR/home/config" \
		"XDG_DATA_HOME=$PODMAN_DIR/home/data" \
		"XDG_CACHE_HOME=$PODMAN_DIR/home/cache" \
		"CONTAINERS_STORAGE_CONF=$PODMAN_DIR/storage.conf"
}

# The runtime podman is given (urun, or its sanitizer wrapper).
pm_runtime() {
	cat "$PODMAN_DIR/runtime"
}

# podman --runtime URUN with the environment of $PODMAN_DIR. fd 3 (bats' output) is closed so that
# conmon and the pause process, which outlive the command, cannot hold the test run open; a hung
# podman is killed after $URUN_TEST_TIMEOUT seconds.
pm() {
	local envs
	mapfile -t envs < <(pm_env)
	timeout -k 5 "${URUN_TEST_TIMEOUT:-60}" env "${envs[@]}" podman --runtime "$(pm_runtime)" "$@" 3>&-
}

# The command line of `pm ARGS...` (without the timeout), quoted for a shell (`script -c` runs one).
pm_cmdline() {
	local envs
	mapfile -t envs < <(pm_env)
	printf '%q ' env "${envs[@]}" podman --runtime "$(pm_runtime)" "$@"
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

# After each test: removes every container and pod (kill, `urun delete --force`, storage), then waits
# for the processes that work for podman in the background (conmon, slirp4netns, rootlessport, and
# the `podman container cleanup` conmon starts when a container exits) and fails when any of them, or
# any urun state, is left.
podman_cleanup_containers() {
	[ -n "${PODMAN_DIR:-}" ] && [ -f "$PODMAN_DIR/storage.conf" ] || return 0
	local rc=0 pids p root
	pm pod rm --all --force >/dev/null 2>&1 || true
	pm rm --all --force --time 0 >/dev/null 2>&1 || true
	for _ in $(seq 100); do
		pids=$(podman_helper_procs)
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

# podman's per-container helpers (they name $PODMAN_DIR on their command line), but not the rootless
# pause process nor the fuse-overlayfs mounts of images, which live as long as the storage.
podman_helper_procs() {
	local p cmd
	for p in $(procs_with "$PODMAN_DIR"); do
		cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || continue
		case $cmd in catatonit*|fuse-overlayfs*) continue ;; esac
		echo "$p"
	done
}

# After the file: containers, images and storage go (`podman system reset`, which also stops the
# rootless pause process, `catatonit -P`, that holds podman's user namespace), then the directory.
podman_env_destroy() {
	[ -n "${PODMAN_DIR:-}" ] && [ -f "$PODMAN_DIR/storage.conf" ] || return 0
	local pause= p
	pause=$(cat "$PODMAN_DIR/xdg/libpod/tmp/pause.pid" 2>/dev/null) || pause=
	pm pod rm --all --force >/dev/null 2>&1 || true
	pm rm --all --force --time 0 >/dev/null 2>&1 || true
	pm system reset --force >/dev/null 2>&1 || true
	# reset stops the pause process; make sure, but only if the pid is still podman's pause process.
	if [ -n "$pause" ] && [[ $(tr '\0' ' ' 2>/dev/null <"/proc/$pause/cmdline") == *catatonit* ]]; then
		kill -KILL "$pause" 2>/dev/null || true
	fi
	# fuse-overlayfs processes of this storage that reset left (they end when their mount goes)
	for p in $(procs_with "$PODMAN_DIR/storage"); do
		kill -TERM "$p" 2>/dev/null || true
	done
	pm_unshare_rm "$PODMAN_DIR"
}

# Removes DIR, whose storage holds files owned by subordinate IDs (layers of the built image): with
# `urun unshare` (root of a user namespace with the same map as podman's) when a plain rm cannot.
pm_unshare_rm() {
	rm -rf "$1" 2>/dev/null && return 0
	timeout 30 "$URUN" unshare rm -rf "$1" >/dev/null 2>&1 3>&- || true
	rm -rf "$1" 2>/dev/null || true
}
