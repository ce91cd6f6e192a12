#!/bin/bash
# Runs the bats integration suite against one urun binary and prints TAP. Started as root (as CI is),
# it prepares the unprivileged user `urun-test` and runs the suite as that user: the tests never run
# urun as root. Started as a normal user, it runs the suite directly.
#
# usage: tests/integration/run.sh URUN [BATS-ARGS...]
#   BATS-ARGS default to the whole suite (this directory); e.g. `-f kill` or a single .bats file.
#   Passed through to the suite: ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS URUN_SANITIZER_LOG_DIR
#   URUN_TEST_TIMEOUT CI.
set -euo pipefail

if [ $# -lt 1 ]; then
	echo "usage: $0 URUN [BATS-ARGS...]" >&2
	exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
tests=$(cd "$here/.." && pwd -P)
urun=$(realpath -e "$1")
shift
if [ ! -x "$urun" ]; then
	echo "run.sh: $urun is not executable" >&2
	exit 1
fi
if ! command -v bats >/dev/null; then
	echo "run.sh: bats is not installed (tests/install-deps.sh installs it)" >&2
	exit 1
fi

passthrough=()
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS URUN_SANITIZER_LOG_DIR URUN_TEST_TIMEOUT CI; do
	if [ -n "${!v+set}" ]; then
		passthrough+=("$v=${!v}")
	fi
done

if [ "$(id -u)" -ne 0 ]; then
	have_path=0
	for a in "$@"; do [ -e "$a" ] && have_path=1; done
	if [ "$have_path" -eq 0 ]; then set -- "$@" "$here" "$tests/security"; fi
	exec env URUN="$urun" bats --tap "$@"
fi

user=${URUN_TEST_USER:-urun-test}
rc=0
"$tests/setup-test-user.sh" "$urun" "$here/helpers.bash" "$tests/make-bundle.sh" || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
	echo "run.sh: setting up the test user failed" >&2
	exit 1
fi
orig_tests=$tests
# A delegated cgroup v2 subtree for the suite, as systemd gives each user: the runner starts in its leaf.
in_cgroup=()
if leaf=$("$tests/delegate-cgroup.sh" "$user") && [ -n "$leaf" ]; then
	# shellcheck disable=SC2016
	in_cgroup=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$leaf")
fi
uid=$(id -u "$user")
home=$(getent passwd "$user" | cut -d: -f6)

# The checkout (e.g. under /root) may not be reachable by the test user: run a private copy of the
# binary and the suite instead of loosening permissions on the host.
if [ "$rc" -eq 3 ]; then
	stage=$(mktemp -d /tmp/urun-it.XXXXXX)
	trap 'rm -rf "$stage"' EXIT
	cp "$urun" "$stage/urun"
	# urun looks for its slirp helper next to itself; the probe lives at tests/probe/ of the build
	for helper in urun-slirp urun-image; do
		if [ -x "$(dirname "$urun")/$helper" ]; then cp "$(dirname "$urun")/$helper" "$stage/"; fi
	done
	if [ -x "$(dirname "$urun")/tests/probe/urun-probe" ]; then
		mkdir -p "$stage/tests/probe" && cp "$(dirname "$urun")/tests/probe/urun-probe" "$stage/tests/probe/"
	fi
	mkdir "$stage/tests"
	cp -r "$here" "$tests/security" "$tests/image" "$tests/make-bundle.sh" "$stage/tests/"
	chmod -R a+rX "$stage"
	chown -R "$user:" "$stage/tests"
	urun=$stage/urun
	here=$stage/tests/integration
	tests=$stage/tests
fi

if [ -n "${URUN_SANITIZER_LOG_DIR:-}" ]; then
	mkdir -p "$URUN_SANITIZER_LOG_DIR"
	chown "$user:" "$URUN_SANITIZER_LOG_DIR"
fi

# bats arguments that name files or directories of the suite: absolute, and inside the staged copy.
args=()
have_path=0
for a in "$@"; do
	if [ -e "$a" ]; then
		have_path=1
		a=$(realpath "$a")
		if [ -n "${stage:-}" ] && [[ $a == "$orig_tests"* ]]; then
			a=$tests${a#"$orig_tests"}
		fi
	fi
	args+=("$a")
done
# Options only (e.g. `-f kill`): run them on the whole suite (integration and attack tests).
if [ "$have_path" -eq 0 ]; then args+=("$here" "$tests/security"); fi

# slurm.bats: when the run includes it, a private one-node Slurm (tests/slurm/setup.sh) with a second
# user, urun-test2, whose containerised step runs beside the test user's; stopped when the run ends.
slurm_env=()
for a in "${args[@]}"; do
	[ "$a" = "$here" ] || [ "${a##*/}" = slurm.bats ] || continue
	if URUN_TEST_USER=urun-test2 "$orig_tests/setup-test-user.sh" &&
		slurm_conf=$(URUN_SLURM_SECOND_USER=urun-test2 URUN_SLURM_TEST_USER="$user" \
			"$orig_tests/slurm/setup.sh" "$urun"); then
		slurm_env=("$slurm_conf")
	else
		echo "run.sh: Slurm did not start; slurm.bats reports it" >&2
	fi
	# shellcheck disable=SC2016 # expanded when the trap runs
	trap '"$orig_tests/slurm/stop.sh"; if [ -n "${stage:-}" ]; then rm -rf "$stage"; fi' EXIT
	break
done
cd "$home"
# Not exec: the EXIT trap removes the staged copy afterwards.
rc=0
"${in_cgroup[@]}" runuser -u "$user" -- env -i \
	HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/bash LANG=C.UTF-8 \
	PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
	XDG_RUNTIME_DIR="/run/user/$uid" \
	URUN="$urun" \
	"${slurm_env[@]}" \
	"${passthrough[@]}" \
	bats --tap "${args[@]}" || rc=$?
# The run's cgroups: empty now unless a test left a container behind (and then it failed already).
if [ "${#in_cgroup[@]}" -gt 0 ]; then
	rmdir "$leaf" "$(dirname "$leaf")" 2>/dev/null || true
fi
exit "$rc"
