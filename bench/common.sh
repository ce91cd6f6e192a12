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
