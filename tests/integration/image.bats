#!/usr/bin/env bats
# urun image import/list/rm/prune/bundle and run/create --image: images built offline by
# tests/image/make-image.py in the three formats, unpacked as the user's subordinate IDs, run with an
# overlay rootfs (and the copy and fuse-overlayfs fallbacks).

load helpers
load ../image/image

setup_file() {
	common_setup_file
	image_setup_file
}
setup() {
	common_setup
	image_setup
}
teardown() {
	common_teardown
	image_teardown
}

@test "image import: docker-archive, then run --image passes the output and the exit status on" {
	make_image docker-archive "$BATS_TEST_TMPDIR/bb.tar" localhost/bb:1 bb.tar
	run --separate-stderr urun image import "docker-archive:$BATS_TEST_TMPDIR/bb.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == "Imported localhost/bb:1 (sha256:"* ]]
	[ -z "$stderr" ] # stderr is no terminal: no progress line
	run --separate-stderr urun run --image localhost/bb:1 c1 -- sh -c 'echo out; echo err >&2; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = out ]
	[ "$stderr" = err ]
	# the image's own command (Cmd /bin/sh) reads stdin
	run urun run --image localhost/bb:1 c1 <<<'echo from-stdin'
	[ "$status" -eq 0 ]
	[ "$output" = from-stdin ]
	# the container and its bundle are gone
	[ -z "$(ls -A "$URUN_ROOT/.image")" ]
}

@test "image import: oci-archive (gzip), an oci layout (zstd) and a plain path are all taken" {
	make_image oci-archive "$BATS_TEST_TMPDIR/a.tar" localhost/a:gz bb.tar -- --compress gzip
	make_image oci "$BATS_TEST_TMPDIR/layout" localhost/b:zst bb.tar -- --compress zstd
	make_image docker-archive "$BATS_TEST_TMPDIR/c.tar" localhost/c:plain bb.tar
	urun image import "oci-archive:$BATS_TEST_TMPDIR/a.tar"
	urun image import "oci:$BATS_TEST_TMPDIR/layout:localhost/b:zst" localhost/b:zst
	urun image import "$BATS_TEST_TMPDIR/c.tar" mine:latest
	run urun image list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -r '[.[] | "\(.name):\(.tag)"] | join(" ")' <<<"$output")" = "localhost/a:gz localhost/b:zst mine:latest" ]
	# one layer for all three: the same uncompressed tar
	[ "$(jq -r '[.[].layers[0]] | unique | length' <<<"$output")" = 1 ]
	[ "$(ls "$STORE/layers" | wc -l)" = 1 ]
	run urun image list
	[[ "${lines[0]}" == NAME*TAG*ID* ]]
	[ "${#lines[@]}" -eq 4 ]
	run urun run --image localhost/b:zst c1 -- echo zstd-ok
	[ "$output" = zstd-ok ]
}

@test "image import: owners land on the subordinate IDs; whiteouts, opaque dirs, setuid and hard links are kept" {
	local start
	start=$(subuid_start)
	[ -n "$start" ] || skip "$(id -un) has no subordinate uids"
	make_image oci-archive "$BATS_TEST_TMPDIR/m.tar" localhost/multi:v1 bb.tar ids.tar top.tar -- --compress gzip
	run --separate-stderr urun image import "$BATS_TEST_TMPDIR/m.tar"
	[ "$status" -eq 0 ]
	[ "$stderr" = "urun: image import: skipped 1 device node (a user namespace cannot make them)" ]
	local ids
	ids=$(jq -r '.layers[1][7:]' "$STORE/images/localhost+multi@v1.json")
	[ "$(stat -c %u:%g "$STORE/layers/$ids/home/alice/f")" = "$((start + 999)):$((start + 999))" ]
	[ "$(stat -c %u "$STORE/layers/$ids/bin/suid")" = "$(id -u)" ]
	run urun run --image localhost/multi:v1 c1 -- sh -c \
		'ls /gone 2>&1; ls /opq; stat -c "%A %h %u" /bin/suid; stat -c %u:%g /home/alice/f; ls /dev/mydev 2>&1; true'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"No such file or directory"* ]]
	[ "${lines[1]}" = new ]
	[ "${lines[2]}" = "-rwsr-xr-x 2 0" ]
	[ "${lines[3]}" = 1000:1000 ]
	[[ "${lines[4]}" == *"No such file or directory"* ]]
}

@test "run --image: the image's User, WorkingDir and Env, and -e, -w, -u, -v and --read-only over them" {
	make_image docker-archive "$BATS_TEST_TMPDIR/u.tar" localhost/u:1 bb.tar ids.tar -- \
		--config '{"Cmd": ["sh", "-c", "id -u; pwd; echo $FOO"], "User": "alice", "WorkingDir": "/home/alice", "Env": ["FOO=image"], "Labels": {"run.urun.network": "slirp", "org.example": "x"}, "StopSignal": "SIGINT"}'
	urun image import "$BATS_TEST_TMPDIR/u.tar"
	run urun run --image localhost/u:1 c1
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '1000\n/home/alice\nimage')" ]
	mkdir "$BATS_TEST_TMPDIR/vol"
	echo shared >"$BATS_TEST_TMPDIR/vol/f"
	run urun run --image localhost/u:1 -e FOO=cli -w /tmp -u 0:1000 -v "$BATS_TEST_TMPDIR/vol:/mnt:ro" --read-only c1 -- \
		sh -c 'id -u; id -g; pwd; echo $FOO; cat /mnt/f; touch /x 2>/dev/null || echo ro-root; touch /mnt/y 2>/dev/null || echo ro-vol'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '0\n1000\n/tmp\ncli\nshared\nro-root\nro-vol')" ]
	# labels become annotations, but never urun's own (an image must not turn a network on)
	urun create --image localhost/u:1 c2
	run urun state c2
	[ "$(jq -r '.annotations["org.example"]' <<<"$output")" = x ]
	[ "$(jq -r '.annotations["org.opencontainers.image.stopSignal"]' <<<"$output")" = SIGINT ]
	[ "$(jq -r '.annotations["run.urun.network"]' <<<"$output")" = null ]
	urun delete --force c2
	run urun run --image localhost/u:1 -u nobody c1 -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *'user "nobody": not in the image'* ]]
	run urun run -e A=B c1
	[ "$status" -ne 0 ]
	[[ "$output" == *"--env needs --image"* ]]
}

@test "two containers of one image share its layers and see only their own changes; delete removes them" {
	make_image docker-archive "$BATS_TEST_TMPDIR/i.tar" localhost/iso:1 bb.tar ids.tar
	urun image import "$BATS_TEST_TMPDIR/i.tar"
	run_detached run -d --image localhost/iso:1 a -- sh -c "echo a >/etc/mine; su alice -c 'echo x >/home/alice/new' 2>/dev/null || chown 1000 /etc/mine; sleep $SLEEP_ARG"
	[ "$status" -eq 0 ]
	run_detached run -d --image localhost/iso:1 b -- sleep "$SLEEP_ARG"
	[ "$status" -eq 0 ]
	run urun exec a cat /etc/mine
	[ "$output" = a ]
	run urun exec b cat /etc/mine
	[ "$status" -ne 0 ]
	# the upper layer holds files of a subordinate ID: delete still removes all of it
	urun exec a sh -c 'mkdir /d && touch /d/f && chown -R 1000:1000 /d && chmod 500 /d'
	[ -d "$URUN_ROOT/.image/a/upper/d" ]
	urun delete --force a
	urun delete --force b
	[ ! -e "$URUN_ROOT/.image/a" ]
	[ ! -e "$URUN_ROOT/.image/b" ]
	# the image's layers are untouched
	run urun run --image localhost/iso:1 c -- sh -c 'ls /etc/mine 2>/dev/null || echo clean'
	[ "$output" = clean ]
}

@test "create --image, start, delete; an ID in use is refused and keeps its bundle" {
	make_image docker-archive "$BATS_TEST_TMPDIR/b.tar" localhost/bb:1 bb.tar
	urun image import "$BATS_TEST_TMPDIR/b.tar"
	urun create --image localhost/bb:1 c1 -- true
	[ -f "$URUN_ROOT/.image/c1/config.json" ]
	run urun create --image localhost/bb:1 c1 -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *"container c1 already exists"* ]]
	[ -f "$URUN_ROOT/.image/c1/config.json" ]
	urun start c1
	urun delete --force c1
	[ ! -e "$URUN_ROOT/.image/c1" ]
	run urun run --image localhost/none:1 c1 -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *"image localhost/none:1 not found"* ]]
	[ ! -e "$URUN_ROOT/.image/c1" ]
}

@test "image rm and prune: layers stay until no image uses them" {
	make_image docker-archive "$BATS_TEST_TMPDIR/a.tar" localhost/a:1 bb.tar
	make_image docker-archive "$BATS_TEST_TMPDIR/b.tar" localhost/b:1 bb.tar ids.tar
	urun image import "$BATS_TEST_TMPDIR/a.tar"
	urun image import "$BATS_TEST_TMPDIR/b.tar"
	[ "$(ls "$STORE/layers" | wc -l)" = 2 ]
	run urun image rm localhost/b:1
	[ "$output" = "Removed localhost/b:1" ]
	run urun image prune
	[ "$output" = "Removed 1 layer" ]
	[ "$(ls "$STORE/layers" | wc -l)" = 1 ]
	run urun run --image localhost/a:1 c1 -- echo still
	[ "$output" = still ]
	urun image rm localhost/a:1
	urun image prune
	assert_store_empty
	run urun image rm localhost/a:1
	[ "$status" -ne 0 ]
	[[ "$output" == *"not found"* ]]
}

@test "image bundle: a plain bundle that urun run runs" {
	local start
	start=$(subuid_start)
	make_image oci-archive "$BATS_TEST_TMPDIR/m.tar" localhost/multi:v1 bb.tar ids.tar top.tar -- \
		--config '{"Cmd": ["sh", "-c", "ls /opq; cat /home/alice/f"]}'
	urun image import "$BATS_TEST_TMPDIR/m.tar" 2>/dev/null
	urun image bundle localhost/multi:v1 "$BATS_TEST_TMPDIR/out"
	[ -f "$BATS_TEST_TMPDIR/out/config.json" ]
	[ ! -e "$BATS_TEST_TMPDIR/out/rootfs/gone" ]
	[ "$(ls "$BATS_TEST_TMPDIR/out/rootfs/opq")" = new ]
	[ -z "$start" ] || [ "$(stat -c %u "$BATS_TEST_TMPDIR/out/rootfs/home/alice/f")" = "$((start + 999))" ]
	[ "$(stat -c %A "$BATS_TEST_TMPDIR/out/rootfs/bin/suid")" = -rwsr-xr-x ]
	[ "$(stat -c %h "$BATS_TEST_TMPDIR/out/rootfs/bin/suid")" = 2 ]
	run urun run --bundle "$BATS_TEST_TMPDIR/out" c1
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'new\nalice')" ]
	run urun image bundle localhost/multi:v1 "$BATS_TEST_TMPDIR/out"
	[ "$status" -ne 0 ]
	[[ "$output" == *"has a config.json or rootfs already"* ]]
}

@test "run --image falls back to a copy (URUN_IMAGE_ROOTFS=copy) and says so in the log" {
	make_image docker-archive "$BATS_TEST_TMPDIR/m.tar" localhost/multi:v1 bb.tar ids.tar top.tar
	urun image import "$BATS_TEST_TMPDIR/m.tar" 2>/dev/null
	URUN_IMAGE_ROOTFS=copy run urun --debug run --image localhost/multi:v1 c1 -- sh -c 'ls /opq; ls /gone 2>/dev/null || echo gone; echo x >/new; cat /new'
	[ "$status" -eq 0 ]
	[[ "$output" == *"rootfs from image localhost/multi:v1: copy"* ]]
	[[ "$output" == *$'new\ngone\nx'* ]]
	# the copy held files of a subordinate ID (/home/alice): delete removed them in the namespace
	[ ! -e "$URUN_ROOT/.image/c1" ]
	run urun --debug run --image localhost/multi:v1 c1 -- true
	[[ "$output" == *"rootfs from image localhost/multi:v1: overlay"* ]]
}

# fuse-overlayfs and /dev/fuse open to this user (as tests/integration/podman-env.bash checks)
fuse_overlayfs_usable() {
	command -v fuse-overlayfs >/dev/null && [ -r /dev/fuse ] && [ -w /dev/fuse ]
}

# The pids of this user's processes whose command line names $1 (a path of this test's own).
pids_naming() {
	local f
	for f in /proc/[0-9]*/cmdline; do
		[ -O "$f" ] && tr '\0' ' ' <"$f" 2>/dev/null | grep -qF -- "$1" && basename "${f%/cmdline}"
	done
	return 0
}

@test "run --image on fuse-overlayfs (URUN_IMAGE_ROOTFS=fuse-overlayfs): content, whiteouts, writes in upper/, owners; delete leaves no daemon" {
	fuse_overlayfs_usable || skip "fuse-overlayfs is not installed or /dev/fuse is not open to this user"
	make_image docker-archive "$BATS_TEST_TMPDIR/m.tar" localhost/multi:v1 bb.tar ids.tar top.tar
	urun image import "$BATS_TEST_TMPDIR/m.tar" 2>/dev/null
	URUN_IMAGE_ROOTFS=fuse-overlayfs run_detached --debug run -d --image localhost/multi:v1 c1 -- sleep "$SLEEP_ARG"
	[ "$status" -eq 0 ]
	[[ "$output" == *"rootfs from image localhost/multi:v1: fuse-overlayfs"* ]]
	local upper=$URUN_ROOT/.image/c1/upper
	[ -n "$(pids_naming "$upper")" ]
	run urun exec c1 sh -c 'grep " / / " /proc/self/mountinfo; ls /opq; ls /gone 2>/dev/null || echo gone; echo "$(cat /home/alice/f)"; stat -c %u:%g /home/alice/f /bin/busybox'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *" - fuse.fuse-overlayfs "* ]]
	[ "${lines[1]}" = new ]
	[ "${lines[2]}" = gone ]
	[ "${lines[3]}" = alice ]
	[ "${lines[4]}" = 1000:1000 ]
	[ "${lines[5]}" = 0:0 ]
	# writes as root and as alice land in the container's upper dir, owned as in the container
	urun exec c1 sh -c 'echo x >/new && su alice -c "echo y >/home/alice/g"'
	[ "$(cat "$upper/new")" = x ]
	[ "$(stat -c %u "$upper/new")" = "$(id -u)" ]
	[ "$(cat "$upper/home/alice/g")" = y ]
	local start
	start=$(subuid_start)
	[ -z "$start" ] || [ "$(stat -c %u "$upper/home/alice/g")" = "$((start + 999))" ]
	urun delete --force c1
	[ ! -e "$URUN_ROOT/.image/c1" ]
	local i
	for i in $(seq 50); do
		[ -z "$(pids_naming "$upper")" ] && break
		sleep 0.1
	done
	[ -z "$(pids_naming "$upper")" ]
}

@test "URUN_IMAGE_ROOTFS: overlay forces the kernel's overlayfs; an unknown mode is refused" {
	make_image docker-archive "$BATS_TEST_TMPDIR/b.tar" localhost/bb:1 bb.tar
	urun image import "$BATS_TEST_TMPDIR/b.tar"
	URUN_IMAGE_ROOTFS=overlay run urun --debug run --image localhost/bb:1 c1 -- sh -c 'grep " / / " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[[ "$output" == *"rootfs from image localhost/bb:1: overlay"* ]]
	[[ "$output" == *" - overlay "* ]]
	URUN_IMAGE_ROOTFS=zfs run urun run --image localhost/bb:1 c1 -- true
	[ "$status" -ne 0 ]
	[[ "$output" == *"URUN_IMAGE_ROOTFS=zfs: not overlay, fuse-overlayfs or copy"* ]]
	[ ! -e "$URUN_ROOT/.image/c1" ]
}

@test "run --image --network slirp: the overlay rootfs gets the container's resolv.conf (DNS at 10.0.2.3), without a warning" {
	# the image deletes its /etc/resolv.conf (a whiteout): the bind makes one in the container's
	# upper dir, not in a layer
	python3 "$MAKE_IMAGE" layer "$BATS_TEST_TMPDIR/nores.tar" --entry '{"path": "etc/.wh.resolv.conf"}'
	make_image docker-archive "$BATS_TEST_TMPDIR/b.tar" localhost/nores:1 bb.tar "$BATS_TEST_TMPDIR/nores.tar"
	urun image import "$BATS_TEST_TMPDIR/b.tar"
	URUN_IMAGE_ROOTFS=overlay run --separate-stderr urun run --image localhost/nores:1 --network slirp c1 -- cat /etc/resolv.conf
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	[[ "$output" == *"nameserver 10.0.2.3"* ]]
	[[ "$stderr" != *"no /etc/resolv.conf"* ]]
	run urun run --image localhost/nores:1 c1 -- sh -c 'ls /etc/resolv.conf 2>/dev/null || echo none'
	[ "$output" = none ]
}

@test "image rm refuses an image a container uses unless --force; prune keeps that container's layers" {
	make_image docker-archive "$BATS_TEST_TMPDIR/b.tar" localhost/iso:1 bb.tar ids.tar
	urun image import "$BATS_TEST_TMPDIR/b.tar"
	run_detached run -d --image localhost/iso:1 c1 -- sleep "$SLEEP_ARG"
	[ "$status" -eq 0 ]
	run urun image rm localhost/iso:1
	[ "$status" -ne 0 ]
	[[ "$output" == *"image localhost/iso:1: in use by container c1 (delete it first, or --force)"* ]]
	[ -n "$(urun image list -q)" ]
	run urun image rm --force localhost/iso:1
	[ "$status" -eq 0 ]
	[ -z "$(urun image list -q)" ]
	run urun image prune
	[ "$output" = "Removed 0 layers" ]
	[ "$(ls "$STORE/layers" | wc -l)" = 2 ]
	run urun exec c1 cat /home/alice/f
	[ "$output" = alice ]
	urun delete --force c1
	run urun image prune
	[ "$output" = "Removed 2 layers" ]
	assert_store_empty
	# a copy rootfs uses no layer: rm goes ahead
	urun image import "$BATS_TEST_TMPDIR/b.tar"
	URUN_IMAGE_ROOTFS=copy run_detached run -d --image localhost/iso:1 c2 -- sleep "$SLEEP_ARG"
	[ "$status" -eq 0 ]
	urun image rm localhost/iso:1
	urun delete --force c2
}
