#!/bin/bash
# Prepares the unprivileged user that runs urun in the integration tests and the benchmark when those
# are started as root (as CI does): the user, its subordinate ID ranges, its XDG runtime dir and a usable
# /dev/net/tun and /dev/fuse. Idempotent. Only root runs this; urun itself is never run as root by the tests.
#
# usage: tests/setup-test-user.sh [PATH...]
#   Each PATH must end up readable by the user; the script exits 3 when one is not (the caller then
#   stages a copy somewhere readable instead of loosening permissions on the host).
set -euo pipefail

user=${URUN_TEST_USER:-urun-test}
range_size=65536

if [ "$(id -u)" -ne 0 ]; then
	echo "setup-test-user.sh: must run as root" >&2
	exit 1
fi

if ! id -u "$user" >/dev/null 2>&1; then
	useradd -m -s /bin/bash -c "urun integration tests" "$user"
fi
uid=$(id -u "$user")
home=$(getent passwd "$user" | cut -d: -f6)
mkdir -p "$home"
chown "$user:" "$home"

# The first free start at or above 200000 that overlaps no range already listed in FILE.
next_free_start() {
	local file=$1 start=200000
	[ -f "$file" ] || { echo "$start"; return; }
	local end
	while IFS=: read -r _ s n; do
		[[ $s =~ ^[0-9]+$ && $n =~ ^[0-9]+$ ]] || continue
		end=$((s + n))
		if [ "$end" -gt "$start" ]; then
			start=$(((end + range_size - 1) / range_size * range_size))
		fi
	done <"$file"
	echo "$start"
}

has_range() {
	[ -f "$2" ] && grep -Eq "^($1|$uid):[0-9]+:[0-9]+$" "$2"
}

if ! has_range "$user" /etc/subuid; then
	s=$(next_free_start /etc/subuid)
	usermod --add-subuids "$s-$((s + range_size - 1))" "$user"
fi
if ! has_range "$user" /etc/subgid; then
	s=$(next_free_start /etc/subgid)
	usermod --add-subgids "$s-$((s + range_size - 1))" "$user"
fi

# XDG_RUNTIME_DIR as pam_systemd would make it: /run/user/UID, 0700, owned by the user.
rundir=/run/user/$uid
mkdir -p /run/user
chmod 0755 /run/user
mkdir -p "$rundir"
chown "$user:" "$rundir"
chmod 0700 "$rundir"

# slirp networking opens /dev/net/tun from inside a user namespace; some hosts ship it 0600.
if [ -c /dev/net/tun ]; then
	chmod 0666 /dev/net/tun
fi
# fuse-overlayfs (podman's overlay storage, rootless) opens /dev/fuse: 0666 as Debian's udev rules make
# it, but a host without udev (a container, a minimal VM) has it 0600.
if [ -c /dev/fuse ]; then
	chmod 0666 /dev/fuse
fi

rc=0
for p in "$@"; do
	if ! runuser -u "$user" -- test -r "$p"; then
		echo "setup-test-user.sh: $p is not readable by $user" >&2
		rc=3
	fi
done
exit "$rc"
