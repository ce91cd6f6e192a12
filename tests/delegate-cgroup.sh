#!/bin/bash
# Delegates a cgroup v2 subtree to the test user the way systemd does for user@UID.service: a directory
# owned by the user, with its cgroup.procs, cgroup.threads and cgroup.subtree_control.  Below it, made by
# the user, one directory per suite run (so that two runs at once never see each other's container
# cgroups) with a leaf `tests` for the test runner itself; urun puts the containers beside that leaf.
# The delegated directories hold no processes, so they may hand controllers down.
# Prints the leaf's directory; prints nothing on a host without a cgroup v2 hierarchy.  Only root runs
# this; the caller moves the test runner into the leaf before dropping privileges, and removes the run's
# directory afterwards (tests/integration/run.sh).
#
# usage: tests/delegate-cgroup.sh USER
set -euo pipefail

user=${1:?usage: $0 USER}
if [ "$(id -u)" -ne 0 ]; then
	echo "delegate-cgroup.sh: must run as root" >&2
	exit 1
fi
mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$mnt" ] || exit 0

deleg=$mnt/urun-delegated-$user
mkdir -p "$deleg"
# Hand down what the root has (none on a hybrid host, where the controllers belong to cgroup v1).
for c in $(cat "$mnt/cgroup.controllers"); do
	echo "+$c" >"$mnt/cgroup.subtree_control" 2>/dev/null || true
done
chown "$user:" "$deleg" "$deleg/cgroup.procs" "$deleg/cgroup.threads" "$deleg/cgroup.subtree_control"
run=$(runuser -u "$user" -- mktemp -d "$deleg/run.XXXXXX")
runuser -u "$user" -- mkdir "$run/tests"
echo "$run/tests"
