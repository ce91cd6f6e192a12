#!/bin/bash
# Submits, as a second user, a job whose containerised step runs beside the test user's steps
# (slurm.bats, "a second user's step at the same time"). The step runs a root-made bundle like
# DIR/bundle, with DIR/shared (the test user's, read-only) at /shared: it prints who it is, then waits
# until the test user creates DIR/shared/go (at most an hour), prints `second: done` and exits. Its
# output goes to DIR/second/job.out, readable by everyone. Root only; run by tests/slurm/setup.sh.
#
# usage: tests/slurm/second-user.sh DIR SECOND-USER TEST-USER
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 DIR SECOND-USER TEST-USER" >&2
	exit 2
fi
dir=$1 second=$2 tester=$3
export SLURM_CONF=$dir/etc/slurm.conf

install -d -m 0755 -o "$tester" -g "$(id -g "$tester")" "$dir/shared"
install -d -m 0755 -o "$second" -g "$(id -g "$second")" "$dir/second"

# DIR/bundle with /shared added. A copy of its rootfs: Slurm 22.05 runs BUNDLE/rootfs whatever
# root.path says.
bundle=$dir/second/bundle
install -d -m 0755 "$bundle"
cp -a "$dir/bundle/rootfs" "$bundle/rootfs"
mkdir -p "$bundle/rootfs/shared"
jq --arg src "$dir/shared" \
	'.mounts += [{"destination": "/shared", "type": "bind", "source": $src, "options": ["rbind", "ro"]}]' \
	"$dir/bundle/config.json" >"$bundle/config.json"
chmod 0644 "$bundle/config.json"

# The step's script, in the rootfs (read-only for the second user).
cat >"$bundle/rootfs/second.sh" <<'EOF'
echo "second: uid $(id -u), host uid $(sed -n 's/^ *0 *\([0-9]*\).*/\1/p' /proc/self/uid_map)"
i=0
while [ ! -e /shared/go ]; do
	i=$((i + 1))
	[ "$i" -le 36000 ] || { echo "second: no go after an hour"; exit 3; }
	sleep 0.1
done
echo "second: done"
EOF

home=$(getent passwd "$second" | cut -d: -f6)
runuser -u "$second" -- env -i HOME="$home" USER="$second" LOGNAME="$second" LANG=C.UTF-8 \
	PATH=/usr/local/bin:/usr/bin:/bin SLURM_CONF="$SLURM_CONF" \
	sbatch --quiet --job-name=urun-second --time=90 --chdir="$dir/second" \
	--output="$dir/second/job.out" --wrap="exec srun --container $bundle /bin/sh /second.sh"
