#!/bin/bash
# Installs every Debian package that building urun, its tests and its benchmark need.
# Idempotent; needs root (re-runs itself through sudo when started as a normal user).
set -euo pipefail

packages=(
	# build
	meson ninja-build pkg-config gcc libc6-dev
	libseccomp-dev libcap-dev libyaml-dev libslirp-dev libglib2.0-dev
	# the urun-image helper: tar, gzip and zstd layers (libarchive), SHA-256 (OpenSSL libcrypto)
	libarchive-dev libssl-dev
	# the busybox rootfs of tests/make-bundle.sh
	busybox-static
	# rootless user namespaces (newuidmap/newgidmap)
	uidmap
	# integration tests
	bats jq iproute2 procps util-linux passwd acl
	# podman as a real client of urun (tests/integration/podman.bats): conmon and catatonit come with
	# it; its default network (slirp4netns), its rootless overlay storage (fuse-overlayfs) and `podman
	# build` (buildah built in); bsdutils has `script`, for the -it tests; curl fetches from published ports
	podman conmon catatonit slirp4netns fuse-overlayfs bsdutils curl
	# a real Slurm 22.05 for tests/integration/slurm.bats (srun --container): slurmctld, slurmd and the
	# client commands, and munge for their authentication
	slurm-wlm munge
	# rootless Docker (docker.bats: dockerd-rootless.sh, rootlesskit; iptables for dockerd's networks)
	# and rootless containerd with ctr (containerd.bats)
	docker.io rootlesskit iptables containerd
	# what urun is compared with when an engine fails it (not needed by the tests themselves)
	runc crun
	# the libFuzzer harnesses of tests/fuzz/: clang, its fuzzer and sanitizer runtimes (only recommended
	# by clang, so not pulled in with --no-install-recommends) and llvm-symbolizer for readable stacks
	clang libclang-rt-dev llvm
	# the format check of the unit tests (tests/unit/format-check.sh, with the repo's .clang-format)
	clang-format
	# fresh-clone basics
	git ca-certificates
)

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -- "$0" "$@"
	fi
	echo "install-deps.sh: must run as root (and sudo is not installed)" >&2
	exit 1
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps.sh: all ${#packages[@]} packages already installed"
	exit 0
fi

echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
