# Shared by tests/integration/image.bats and tests/security/image-archive.bats: a private image store
# per test file ($XDG_DATA_HOME), and the images of tests/image/make-image.py built once per file
# from the suite's busybox rootfs.

MAKE_IMAGE=$TESTS_DIR/image/make-image.py

# image_setup_file: IMG (a directory of built images and layers) with
#   bb.tar         the busybox rootfs as one root-owned layer
#   ids.tar        a layer with /etc/passwd and /etc/group (alice = 1000), /home/alice owned by 1000,
#                  a setuid binary, a hard link to it, a device node and files to delete later
#   top.tar        a layer deleting /gone (whiteout) and making /opq opaque
image_setup_file() {
	IMG=$BATS_FILE_TMPDIR/img
	mkdir -p "$IMG"
	[ -s "$BATS_FILE_TMPDIR/base/config.json" ] || return 0
	python3 "$MAKE_IMAGE" layer "$IMG/bb.tar" --dir "$BATS_FILE_TMPDIR/base/rootfs"
	python3 "$MAKE_IMAGE" layer "$IMG/ids.tar" \
		--entry '{"path": "etc/passwd", "data": "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n"}' \
		--entry '{"path": "etc/group", "data": "root:x:0:\nalice:x:1000:\n"}' \
		--entry '{"path": "home/alice", "type": "dir", "uid": 1000, "gid": 1000, "mode": "755"}' \
		--entry '{"path": "home/alice/f", "uid": 1000, "gid": 1000, "data": "alice"}' \
		--entry '{"path": "gone", "data": "bye"}' \
		--entry '{"path": "opq", "type": "dir", "mode": "755"}' \
		--entry '{"path": "opq/old", "data": "old"}' \
		--entry '{"path": "bin/suid", "mode": "4755", "data": "s"}' \
		--entry '{"path": "bin/suid-link", "type": "hardlink", "target": "bin/suid"}' \
		--entry '{"path": "dev/mydev", "type": "chr"}'
	python3 "$MAKE_IMAGE" layer "$IMG/top.tar" \
		--entry '{"path": ".wh.gone"}' \
		--entry '{"path": "opq", "type": "dir", "mode": "755"}' \
		--entry '{"path": "opq/.wh..wh..opq"}' \
		--entry '{"path": "opq/new", "data": "new"}'
}

image_setup() {
	export XDG_DATA_HOME=$BATS_TEST_TMPDIR/data
	STORE=$XDG_DATA_HOME/urun
	IMG=$BATS_FILE_TMPDIR/img
}

# make_image FORMAT OUT NAME LAYER... [-- make-image options]   (LAYER: a name in IMG, or a path)
make_image() {
	local format=$1 out=$2 name=$3 layers=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		case $1 in
		/*) layers+=(--layer "$1") ;;
		*) layers+=(--layer "$IMG/$1") ;;
		esac
		shift
	done
	[ $# -eq 0 ] || shift
	python3 "$MAKE_IMAGE" image "$format" "$out" --name "$name" "${layers[@]}" "$@"
}

# The first subordinate uid of this user.
subuid_start() {
	awk -F: -v u="$(id -un)" -v n="$(id -u)" '($1 == u || $1 == n) { print $2; exit }' /etc/subuid
}

# Nothing but empty directories in the store: no layer, config, record or temporary directory.
assert_store_empty() {
	local left
	left=$(find "$STORE" -mindepth 2 -not -name lock 2>/dev/null || true)
	if [ -n "$left" ]; then
		echo "left in the store: $left" >&2
		return 1
	fi
}

# The store's layers and bundles hold files of subordinate IDs, which only the user namespace may
# remove; bats could not clean the test's directory otherwise.
image_teardown() {
	local d
	for d in "$BATS_TEST_TMPDIR/data" "$BATS_TEST_TMPDIR/out"; do
		[ ! -e "$d" ] || "$URUN" unshare rm -rf "$d" || true
	done
}
