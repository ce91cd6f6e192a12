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

# bench_crun_private_view BUNDLE: crun 1.8 refuses to run rootless when the cgroup2 mount of a hybrid
# hierarchy (v1 controllers plus a cgroup2 at /sys/fs/cgroup/unified) lists a controller in its
# cgroup.controllers: "cgroups in hybrid mode not supported".  On the development machines that
# controller is hugetlb, and it cannot be moved to a v1 hierarchy while cgroups below the cgroup2 root
# enable it (tests/delegate-cgroup.sh does, for the integration tests).  So the host is left alone:
# when $user's crun fails on BUNDLE that way, this sets bench_view to a command prefix that runs the
# rest of its arguments in a private mount namespace in which an empty file is bound over that
# cgroup.controllers.  crun then sees what a hybrid host with no v2 controller shows and runs without
# a cgroup, as urun and runc do rootless here.  Nothing else changes: urun reads that file only in a
# delegated cgroup, which the benchmark's user does not have, and the view ends with the command.
# Otherwise bench_view stays empty.  Needs bench_root_setup.
bench_crun_private_view() {
	local bundle=$1 root err
	bench_view=()
	command -v crun >/dev/null || return 0
	root=$(runuser -u "$user" -- mktemp -d /tmp/urun-bench-crun.XXXXXX)
	if ! err=$(bench_crun_probe "$bundle" "$root") && [[ $err == *hybrid* ]] &&
		grep -q . /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null; then
		say "crun refuses to run rootless: $err"
		: >"$stage/no-controllers"
		bench_view=(unshare --mount --propagation private
			bash -c 'mount --bind "$0" /sys/fs/cgroup/unified/cgroup.controllers && exec "$@"' "$stage/no-controllers")
		if err=$(bench_crun_probe "$bundle" "$root" "${bench_view[@]}"); then
			say "measuring in a private mount namespace where /sys/fs/cgroup/unified/cgroup.controllers is empty"
		else
			say "crun fails in a private view with no cgroup2 controller too, left out: $err"
			bench_view=()
		fi
	fi
	rm -rf "$root"
}

# bench_crun_probe BUNDLE ROOT [PREFIX...]: one `crun run` of BUNDLE as $user (under PREFIX); its
# error output when it fails.
bench_crun_probe() {
	local bundle=$1 root=$2 out rc=0
	shift 2
	out=$(cd "$home" && "$@" runuser -u "$user" -- env XDG_RUNTIME_DIR="/run/user/$uid" \
		crun --root "$root" run --bundle "$bundle" probe 2>&1 </dev/null) || rc=1
	runuser -u "$user" -- crun --root "$root" delete --force probe >/dev/null 2>&1 || true
	[ "$rc" = 0 ] || echo "$out" | tail -n 1
	return "$rc"
}
