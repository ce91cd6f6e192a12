#!/usr/bin/env bats
# urun image import of archives made by the real tool, offline: the busybox rootfs imported into a
# private podman storage (tests/integration/podman-env.bash), a multi-layer image built on it by
# `podman build` with urun as the runtime (a file deleted in a later layer, a directory whose
# contents a later layer replaces, a file owned by 1000:1000, a setuid file), then `podman save` in
# both archive formats, imported into a private urun image store per test (tests/image/image.bash)
# and run with `urun run --image`. Only the behaviour is checked, not how podman wrote the layers.

load helpers
load engines
load podman-env
load ../image/image

BUILT=localhost/urun-layers:latest

setup_file() {
	[ "$(id -u)" -ne 0 ] || return 0
	command -v podman >/dev/null || return 0
	common_setup_file
	PODMAN_DIR=$BATS_FILE_TMPDIR/podman
	podman_env_write "$PODMAN_DIR" "$URUN"
	storage_of_podmans_choice
	# A failure is remembered (in the log) rather than raised, so that each test reports it.
	[ -x "$BATS_FILE_TMPDIR/base/rootfs/bin/busybox" ] || return 0
	build_and_save >"$PODMAN_DIR/build.log" 2>&1 || true
}

# The storage driver podman picks by itself: the kernel's overlay where it works rootless (5.13 and
# later), vfs otherwise. Not fuse-overlayfs (podman-env.bash's choice): with it, Debian's podman 4.3
# loses opaque directories in the layers it commits (the layer of `rm -rf /d && mkdir /d` holds d/
# and d/f, without d/.wh..wh..opq nor a whiteout of the old files), so that podman itself shows the
# old files again once the image is saved and loaded.
storage_of_podmans_choice() {
	cat >"$PODMAN_DIR/storage.conf" <<EOF
[storage]
rootless_storage_path = $(toml_string "$PODMAN_DIR/storage")
EOF
}

# The base image, the built image and its two archives ($BATS_FILE_TMPDIR/docker.tar, oci.tar).
# The first RUN adds what the second deletes or replaces, so each change lands in a later layer.
build_and_save() {
	local ctx=$BATS_FILE_TMPDIR/ctx
	podman_import_rootfs "$BATS_FILE_TMPDIR/base/rootfs" || return 1
	mkdir -p "$ctx"
	cat >"$ctx/Containerfile" <<EOF
FROM $PODMAN_IMAGE
RUN echo bye >/gone && mkdir /d && echo old >/d/old && echo owned >/owned && chown 1000:1000 /owned && echo s >/suid && chmod 4755 /suid
RUN rm /gone && rm -rf /d && mkdir /d && echo new >/d/f
ENV GREETING=hello-from-podman
WORKDIR /d
CMD ["sh", "-c", "echo \$GREETING \$(pwd); exit 3"]
EOF
	URUN_TEST_TIMEOUT=300 pm build --tag "$BUILT" "$ctx" || return 1
	pm save --format docker-archive -o "$BATS_FILE_TMPDIR/docker.tar" "$BUILT" || return 1
	pm save --format oci-archive -o "$BATS_FILE_TMPDIR/oci.tar" "$BUILT"
}

teardown_file() {
	PODMAN_DIR=$BATS_FILE_TMPDIR/podman
	podman_env_destroy
}

setup() {
	command -v podman >/dev/null || skip "podman is not installed"
	common_setup
	image_setup
	PODMAN_DIR=$BATS_FILE_TMPDIR/podman
	if [ ! -s "$BATS_FILE_TMPDIR/oci.tar" ]; then
		cat "$PODMAN_DIR/build.log" >&2 || true
		echo "podman import, build or save of the test image failed" >&2
		return 1
	fi
}

teardown() {
	local rc=0
	podman_cleanup_containers || rc=1
	common_teardown || rc=1
	image_teardown
	return "$rc"
}

# check_built NAME: the image NAME, as urun runs it, is what the Containerfile made.
check_built() {
	local name=$1
	run --separate-stderr urun run --image "$name" c1 -- sh -c \
		'ls /gone 2>&1; ls -A /d; cat /d/f; stat -c %u:%g /owned; stat -c %A /suid; exit 5'
	echo "$output" >&2
	echo "$stderr" >&2
	[ "$status" -eq 5 ]
	[[ "${lines[0]}" == *"No such file or directory"* ]] # deleted in the later layer
	[ "${lines[1]}" = f ]                                # only the new content: no /d/old
	[ "${lines[2]}" = new ]
	[ "${lines[3]}" = 1000:1000 ]
	[ "${lines[4]}" = -rwsr-xr-x ]
	[ "${#lines[@]}" -eq 5 ]
	# the image's own command, environment and working directory, from podman's config
	run --separate-stderr urun run --image "$name" c1
	[ "$status" -eq 3 ]
	[ "$output" = "hello-from-podman /d" ]
	[ -z "$(ls -A "$URUN_ROOT/.image")" ]
}

# import_and_check SOURCE NAME: urun image import of SOURCE as NAME succeeds, and the image runs as
# built (check_built).
import_and_check() {
	local src=$1 name=$2
	run --separate-stderr urun image import "$src" "$name"
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	[[ "$output" == "Imported $name:latest (sha256:"* ]]
	check_built "$name"
}

@test "image-podman: podman save --format docker-archive of a podman-built image imports and runs" {
	import_and_check "docker-archive:$BATS_FILE_TMPDIR/docker.tar" name1
}

@test "image-podman: podman save --format oci-archive of a podman-built image imports and runs" {
	import_and_check "oci-archive:$BATS_FILE_TMPDIR/oci.tar" name2
}

@test "image-podman: both archives as plain paths, recognised by content; list shows both, sharing layers" {
	run --separate-stderr urun image import "$BATS_FILE_TMPDIR/docker.tar" name1
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	run --separate-stderr urun image import "$BATS_FILE_TMPDIR/oci.tar" name2
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	# without a name, the archive's own: podman's tag in the docker archive
	run --separate-stderr urun image import "$BATS_FILE_TMPDIR/docker.tar"
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	[[ "$output" == "Imported $BUILT (sha256:"* ]]
	run urun image list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.[] | "\(.name):\(.tag)"] | sort | join(" ")' <<<"$output")" = "$BUILT name1:latest name2:latest" ]
	# three layers each, the same uncompressed tars in both formats
	[ "$(jq -r '[.[].layers | length] | unique | join(" ")' <<<"$output")" = 3 ]
	[ "$(ls "$STORE/layers" | wc -l)" = 3 ]
	check_built name2
}
