#!/bin/bash
# Image benchmark: import time of a ~150 MB rootfs wrapped as an OCI image (one gzip layer) by
# `urun image import` against `umoci unpack --rootless` of the same OCI layout, and start-up of
# `urun run --image` against `urun run` of a bundle (both /bin/true).  Prints medians (hyperfine).
#
# usage: bench/image.sh [URUN]        (default: build/urun)   run as a normal user with subuids
#   BENCH_LAYER    a tar to use as the image's one layer, e.g. a Debian minbase made as root:
#                    sudo debootstrap --variant=minbase bookworm /var/tmp/mb &&
#                    sudo tar -C /var/tmp/mb --numeric-owner -cf /var/tmp/minbase.tar .
#   BENCH_ROOTFS   else, a directory to wrap as the image (default: the busybox rootfs of
#                  tests/make-bundle.sh plus the host's /usr/lib/python3, /usr/lib/python3.11,
#                  /usr/share/perl and /usr/lib/x86_64-linux-gnu/perl: ~160 MB, ~10,000 files)
#   BENCH_RUNS (default 5 for import, 30 for start-up)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)
urun=$(realpath "${1:-$repo/build/urun}")
runs=${BENCH_RUNS:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/urun-bench-image.XXXXXX")
cleanup() { "$urun" unshare rm -rf "$work"; }
trap cleanup EXIT
say() { echo "bench: $*"; }

command -v hyperfine >/dev/null || { say "hyperfine is needed"; exit 1; }
URUN=$urun "$repo/tests/make-bundle.sh" "$work/bundle" /bin/true >/dev/null
rootfs=${BENCH_ROOTFS:-}
if [ -n "${BENCH_LAYER:-}" ]; then
	say "layer $BENCH_LAYER: $(du -h "$BENCH_LAYER" | cut -f1), $(tar -tf "$BENCH_LAYER" | wc -l) entries"
	cp "$BENCH_LAYER" "$work/layer.tar"
elif [ -z "$rootfs" ]; then
	rootfs=$work/rootfs
	cp -a "$work/bundle/rootfs" "$rootfs"
	for d in /usr/lib/python3 /usr/lib/python3.11 /usr/share/perl /usr/lib/x86_64-linux-gnu/perl; do
		[ -d "$d" ] && mkdir -p "$rootfs$(dirname "$d")" && cp -a "$d" "$rootfs$d"
	done
fi
if [ -z "${BENCH_LAYER:-}" ]; then
	say "rootfs $rootfs: $(du -sh "$rootfs" | cut -f1), $(find "$rootfs" | wc -l) entries"
	python3 "$repo/tests/image/make-image.py" layer "$work/layer.tar" --dir "$rootfs"
fi
python3 "$repo/tests/image/make-image.py" image oci "$work/oci" --name bench:1 --layer "$work/layer.tar" \
	--compress gzip --config '{"Cmd": ["/bin/true"]}'

export XDG_DATA_HOME=$work/data
# shellcheck disable=SC2016
hyperfine --runs "$runs" --export-json "$work/import.json" \
	--prepare "$urun unshare rm -rf $work/data $work/umoci" \
	-n "urun image import" "$urun image import oci:$work/oci:bench:1 bench:1" \
	-n "umoci unpack --rootless" "umoci unpack --rootless --image $work/oci:bench:1 $work/umoci"
"$urun" image import "oci:$work/oci:bench:1" bench:1 >/dev/null
root=$work/state
hyperfine --runs "${BENCH_RUNS:-30}" --warmup 3 --export-json "$work/startup.json" \
	-n "urun run (bundle)" "$urun --root $root run --bundle $work/bundle b1" \
	-n "urun run --image" "$urun --root $root run --image bench:1 i1"
for f in import startup; do
	jq -r '.results[] | "\(.command): median \(.median * 1000 | floor) ms"' "$work/$f.json"
done
jq -r '"import: urun/umoci = \(.results[0].median / .results[1].median * 100 | floor / 100)"' "$work/import.json"
jq -r '"start-up: run --image / run of a bundle = \(.results[1].median / .results[0].median * 100 | floor / 100)"' "$work/startup.json"
