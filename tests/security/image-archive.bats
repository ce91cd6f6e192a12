#!/usr/bin/env bats
# Attack class: a hostile image archive (urun image import).  Ancestors: CVE-2019-14271 (docker cp),
# CVE-2018-15664, the tar path traversals of umoci (CVE-2021-29136) and containerd
# (CVE-2021-32760 chmod through symlinks), digest confusion between compressed and uncompressed
# layers.  Every blob must be checked before use, a failure must leave nothing in the store, and no
# name in a layer may write outside the layer's directory.

load ../integration/helpers
load ../image/image

setup_file() {
	common_setup_file
	image_setup_file
}
setup() {
	common_setup
	image_setup
	OUTSIDE=$BATS_TEST_TMPDIR/outside
	mkdir -p "$OUTSIDE"
}
teardown() {
	common_teardown
	image_teardown
}

# A layer of the given entries on top of busybox, as IMAGE (an oci-archive); its import must fail
# with a message matching WANT, leave the store empty and write nothing outside it.
assert_layer_refused() {
	local want=$1
	shift
	python3 "$MAKE_IMAGE" layer "$BATS_TEST_TMPDIR/evil.tar" "$@"
	make_image oci-archive "$BATS_TEST_TMPDIR/evil-image.tar" localhost/evil:1 bb.tar "$BATS_TEST_TMPDIR/evil.tar"
	run urun image import "$BATS_TEST_TMPDIR/evil-image.tar"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"$want"* ]]
	assert_store_empty
	[ -z "$(ls -A "$OUTSIDE")" ]
	[ ! -e "$BATS_TEST_TMPDIR/escaped" ]
}

@test "a layer whose blob does not match its digest is refused, naming the blob, and nothing is kept" {
	make_image oci-archive "$BATS_TEST_TMPDIR/bad.tar" localhost/bad:1 bb.tar ids.tar -- --corrupt layer --compress gzip
	run urun image import "$BATS_TEST_TMPDIR/bad.tar"
	[ "$status" -ne 0 ]
	[[ "$output" == *"blob sha256:"*"digest mismatch"* ]]
	assert_store_empty
	make_image docker-archive "$BATS_TEST_TMPDIR/bad2.tar" localhost/bad:2 bb.tar ids.tar -- --corrupt layer
	run urun image import "$BATS_TEST_TMPDIR/bad2.tar"
	[ "$status" -ne 0 ]
	[[ "$output" == *"layer "*"/layer.tar: digest mismatch"* ]]
	assert_store_empty
}

@test "a config that does not match its digest is refused" {
	make_image oci-archive "$BATS_TEST_TMPDIR/bad.tar" localhost/bad:1 bb.tar -- --corrupt config
	run urun image import "$BATS_TEST_TMPDIR/bad.tar"
	[ "$status" -ne 0 ]
	[[ "$output" == *"digest mismatch"* ]]
	make_image docker-archive "$BATS_TEST_TMPDIR/bad2.tar" localhost/bad:2 bb.tar -- --corrupt config
	run urun image import "$BATS_TEST_TMPDIR/bad2.tar"
	[ "$status" -ne 0 ]
	[[ "$output" == *"config sha256:"*"digest mismatch"* ]]
	assert_store_empty
}

@test "a truncated archive is refused and nothing is kept" {
	make_image docker-archive "$BATS_TEST_TMPDIR/full.tar" localhost/t:1 bb.tar
	local size
	size=$(stat -c %s "$BATS_TEST_TMPDIR/full.tar")
	make_image docker-archive "$BATS_TEST_TMPDIR/cut.tar" localhost/t:1 bb.tar -- --truncate $((size / 2))
	run urun image import "$BATS_TEST_TMPDIR/cut.tar"
	[ "$status" -ne 0 ]
	[[ "$output" == *"truncated"* ]]
	assert_store_empty
	make_image oci-archive "$BATS_TEST_TMPDIR/cut2.tar" localhost/t:1 bb.tar -- --compress gzip --truncate $((size / 3))
	run urun image import "$BATS_TEST_TMPDIR/cut2.tar"
	[ "$status" -ne 0 ]
	assert_store_empty
}

@test "a layer with ../ names is refused" {
	assert_layer_refused 'has a ".." component' \
		--entry "{\"path\": \"../../../../../../../../../..$BATS_TEST_TMPDIR/escaped\", \"data\": \"x\"}"
}

@test "a layer with an absolute name is refused" {
	assert_layer_refused "an absolute path" --entry "{\"path\": \"$BATS_TEST_TMPDIR/escaped\", \"data\": \"x\"}"
}

@test "a file written through a symlink pointing out of the layer is refused" {
	assert_layer_refused "member" \
		--entry "{\"path\": \"out\", \"type\": \"symlink\", \"target\": \"$OUTSIDE\"}" \
		--entry '{"path": "out/planted", "data": "x"}'
	assert_layer_refused "member" \
		--entry '{"path": "rel", "type": "symlink", "target": "../../../../../../../../.."}' \
		--entry "{\"path\": \"rel$OUTSIDE/planted\", \"data\": \"x\"}"
}

@test "a hard link, whiteout or opaque marker through a symlink or .. cannot reach out" {
	echo secret >"$OUTSIDE/secret"
	python3 "$MAKE_IMAGE" layer "$BATS_TEST_TMPDIR/evil.tar" \
		--entry "{\"path\": \"out\", \"type\": \"symlink\", \"target\": \"$OUTSIDE\"}" \
		--entry '{"path": "link", "type": "hardlink", "target": "out/secret"}'
	make_image oci-archive "$BATS_TEST_TMPDIR/e1.tar" localhost/evil:1 bb.tar "$BATS_TEST_TMPDIR/evil.tar"
	run urun image import "$BATS_TEST_TMPDIR/e1.tar"
	[ "$status" -ne 0 ]
	[[ "$output" == *'member "out/secret": its directory is not a directory inside the layer'* ]]
	python3 "$MAKE_IMAGE" layer "$BATS_TEST_TMPDIR/evil.tar" \
		--entry "{\"path\": \"out\", \"type\": \"symlink\", \"target\": \"$OUTSIDE\"}" \
		--entry '{"path": "out/.wh.secret"}' --entry '{"path": "out/.wh..wh..opq"}'
	make_image oci-archive "$BATS_TEST_TMPDIR/e2.tar" localhost/evil:2 bb.tar "$BATS_TEST_TMPDIR/evil.tar"
	run urun image import "$BATS_TEST_TMPDIR/e2.tar"
	[ "$status" -ne 0 ]
	[[ "$output" == *'member "out/.wh.secret"'* ]]
	[ "$(cat "$OUTSIDE/secret")" = secret ]
	[ "$(ls -A "$OUTSIDE")" = secret ]
	getfattr -n user.overlay.opaque "$OUTSIDE" 2>/dev/null && false
	assert_store_empty
}

@test "an absolute symlink in a layer is kept as it is and resolves inside the container" {
	echo host >"$OUTSIDE/f"
	python3 "$MAKE_IMAGE" layer "$BATS_TEST_TMPDIR/sym.tar" \
		--entry "{\"path\": \"abs\", \"type\": \"symlink\", \"target\": \"$OUTSIDE/f\"}"
	make_image oci-archive "$BATS_TEST_TMPDIR/s.tar" localhost/sym:1 bb.tar "$BATS_TEST_TMPDIR/sym.tar"
	urun image import "$BATS_TEST_TMPDIR/s.tar"
	run urun run --image localhost/sym:1 c1 -- sh -c 'cat /abs 2>&1; echo x > /abs; readlink /abs'
	[ "$(cat "$OUTSIDE/f")" = host ]
	[ "${lines[-1]}" = "$OUTSIDE/f" ]
}

@test "hostile outer archives: members with .. and a manifest naming files outside are refused" {
	make_image docker-archive "$BATS_TEST_TMPDIR/ok.tar" localhost/ok:1 bb.tar
	mkdir "$BATS_TEST_TMPDIR/x"
	(cd "$BATS_TEST_TMPDIR/x" && tar -xf ../ok.tar)
	jq '.[0].Layers = ["../../../../../../../etc/passwd"]' "$BATS_TEST_TMPDIR/x/manifest.json" >"$BATS_TEST_TMPDIR/m.json"
	mv "$BATS_TEST_TMPDIR/m.json" "$BATS_TEST_TMPDIR/x/manifest.json"
	tar -C "$BATS_TEST_TMPDIR/x" -cf "$BATS_TEST_TMPDIR/evil.tar" .
	run urun image import "docker-archive:$BATS_TEST_TMPDIR/evil.tar"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no member ../../"* ]]
	assert_store_empty
	# an oci layout's descriptors are digests, and a digest is 64 hex digits: no path
	make_image oci "$BATS_TEST_TMPDIR/layout" localhost/ok:1 bb.tar
	jq '.manifests[0].digest = "sha256:../../../../etc/passwd"' "$BATS_TEST_TMPDIR/layout/index.json" >"$BATS_TEST_TMPDIR/i.json"
	mv "$BATS_TEST_TMPDIR/i.json" "$BATS_TEST_TMPDIR/layout/index.json"
	run urun image import "oci:$BATS_TEST_TMPDIR/layout"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not a sha256 digest"* ]]
	assert_store_empty
}
