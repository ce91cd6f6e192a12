# Shared by the benchmarks when they run as root (sourced, needs `repo` and a `say` function):
# install the Debian packages they measure with, prepare the unprivileged test user, and make a
# private staging directory that user can read whatever the checkout's permissions.

# bench_root_setup STAGE_PREFIX PACKAGE...: sets user, uid, home and stage (removed at exit).
bench_root_setup() {
	local prefix=$1 p
	shift
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		say "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q >/dev/null
		apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
	fi
	user=${URUN_TEST_USER:-urun-test}
	"$repo/tests/setup-test-user.sh" >/dev/null
	uid=$(id -u "$user")
	home=$(getent passwd "$user" | cut -d: -f6)
	stage=$(mktemp -d "/tmp/$prefix.XXXXXX")
	# shellcheck disable=SC2064 # expand now: the trap must remove this directory
	trap "rm -rf '$stage'" EXIT
	mkdir -p "$stage/bench" "$stage/tests"
}

# bench_crun_hybrid_fix BUNDLE: crun 1.8 refuses to run rootless when the cgroup2 mount of a hybrid
# hierarchy holds a controller ("cgroups in hybrid mode not supported"); on the development machines
# that is hugetlb.  When $user's crun fails on BUNDLE for that reason, mount a v1 hugetlb hierarchy,
# which moves the controller off cgroup2, and crun then runs (until reboot).  Needs bench_root_setup.
bench_crun_hybrid_fix() {
	local bundle=$1 root err
	command -v crun >/dev/null || return 0
	root=$(runuser -u "$user" -- mktemp -d /tmp/urun-bench-crun.XXXXXX)
	if ! err=$(cd "$home" && runuser -u "$user" -- env XDG_RUNTIME_DIR="/run/user/$uid" \
		crun --root "$root" run --bundle "$bundle" probe 2>&1 </dev/null); then
		if [[ $err == *hybrid* ]] && grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null &&
			! grep -q ' /sys/fs/cgroup/hugetlb ' /proc/self/mounts; then
			say "crun refuses to run rootless: $err"
			say "mounting a cgroup v1 hugetlb hierarchy at /sys/fs/cgroup/hugetlb to take hugetlb off cgroup2"
			mkdir -p /sys/fs/cgroup/hugetlb
			mount -t cgroup -o hugetlb none /sys/fs/cgroup/hugetlb || say "that mount failed; crun stays skipped"
		fi
	fi
	runuser -u "$user" -- crun --root "$root" delete --force probe >/dev/null 2>&1 || true
	rm -rf "$root"
}
