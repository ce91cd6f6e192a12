#!/bin/bash
# Assembles an OCI bundle from Debian's busybox-static: DIR/rootfs holds bin/busybox, a symlink per
# applet, the usual empty directories and a minimal /etc; DIR/config.json comes from `urun spec
# --rootless`. With ARGS, process.args is set to them. Runs as a normal user; never runs busybox over
# the host's own directories.
#
# usage: tests/make-bundle.sh DIR [ARGS...]
#   URUN     urun binary to run `spec` with (default: `urun` on PATH)
#   BUSYBOX  static busybox to copy (default: /bin/busybox, from the busybox-static package)
#   BUNDLE_NETWORK=slirp  add the run.urun.network: slirp annotation (the spec has loopback only)
set -euo pipefail

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	echo "usage: $0 DIR [ARGS...]" >&2
	exit 2
fi
dir=$1
shift

urun=${URUN:-$(command -v urun || true)}
if [ -z "$urun" ] || [ ! -x "$urun" ]; then
	echo "make-bundle.sh: no urun binary: set URUN or put urun on PATH" >&2
	exit 1
fi
command -v jq >/dev/null || { echo "make-bundle.sh: jq is needed" >&2; exit 1; }

busybox=${BUSYBOX:-}
if [ -z "$busybox" ]; then
	for b in /bin/busybox /usr/bin/busybox; do
		[ -x "$b" ] && { busybox=$b; break; }
	done
fi
if [ -z "$busybox" ] || [ ! -x "$busybox" ]; then
	echo "make-bundle.sh: no busybox: install busybox-static (tests/install-deps.sh)" >&2
	exit 1
fi
# The rootfs has no libc, so a dynamically linked busybox (Debian's `busybox` package) cannot work.
if ldd "$busybox" >/dev/null 2>&1; then
	echo "make-bundle.sh: $busybox is dynamically linked: install busybox-static" >&2
	exit 1
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)
rootfs=$dir/rootfs

if [ ! -x "$rootfs/bin/busybox" ]; then
	tmp=$(mktemp -d "$dir/.rootfs.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	chmod 0755 "$tmp"
	mkdir -p "$tmp"/{bin,dev,etc,proc,root,run,sys,tmp,var,var/tmp,usr/bin}
	chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
	chmod 0700 "$tmp/root"
	cp "$busybox" "$tmp/bin/busybox"
	chmod 0755 "$tmp/bin/busybox"

	# One symlink per applet, as `busybox --install -s` would make, but all under our own bin/.
	mapfile -t applets < <("$busybox" --list)
	names=()
	for a in "${applets[@]}"; do
		case $a in
		busybox | "" | */*) ;;
		*) names+=("$a") ;;
		esac
	done
	# perl (Essential on Debian) makes all the links in one process instead of one `ln` per applet.
	if command -v perl >/dev/null; then
		(cd "$tmp/bin" && perl -e 'for (@ARGV) { symlink("busybox", $_) or die "symlink $_: $!\n" }' -- "${names[@]}")
	else
		for a in "${names[@]}"; do ln -s busybox "$tmp/bin/$a"; done
	fi
	ln -s ../../bin/env "$tmp/usr/bin/env"

	cat >"$tmp/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
	cat >"$tmp/etc/group" <<'GROUP'
root:x:0:
nobody:x:65534:
GROUP
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >"$tmp/etc/hosts"
	: >"$tmp/etc/resolv.conf"

	rm -rf "$rootfs"
	mv "$tmp" "$rootfs"
	trap - EXIT
fi

rm -f "$dir/config.json"
"$urun" spec --rootless --bundle "$dir"
# BUNDLE_NETWORK=slirp: urun's built-in network, for tests that need one (the spec has loopback only).
if [ "${BUNDLE_NETWORK:-}" = slirp ]; then
	jq '.annotations["run.urun.network"] = "slirp"' "$dir/config.json" >"$dir/config.json.tmp"
	mv "$dir/config.json.tmp" "$dir/config.json"
fi
if [ ! -s "$dir/config.json" ]; then
	echo "make-bundle.sh: $urun spec wrote no $dir/config.json" >&2
	exit 1
fi
if [ $# -gt 0 ]; then
	# Each argument is the value of a --arg: jq would take a bare "-c" as its own option.
	jqargs=()
	i=0
	for a in "$@"; do
		jqargs+=(--arg "a$i" "$a")
		i=$((i + 1))
	done
	jq "${jqargs[@]}" --argjson n "$#" \
		'.process.args = [range(0; $n) as $i | $ARGS.named["a\($i)"]]' \
		"$dir/config.json" >"$dir/config.json.tmp"
	mv "$dir/config.json.tmp" "$dir/config.json"
fi
