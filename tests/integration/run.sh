#!/bin/bash
# Runs the bats integration suite against one urun binary and prints TAP. Started as root (as CI is),
# it prepares the unprivileged user `urun-test` and runs the suite as that user: the tests never run
# urun as root, and as root it runs the bats files as parallel jobs (see below). Started as a normal
# user, it runs the suite directly, one file after the other.
#
# usage: tests/integration/run.sh URUN [BATS-ARGS...]
#   BATS-ARGS default to the whole suite (this directory and ../security); e.g. `-f kill` or a
#   single .bats file. Options are given to each job's bats.
#   URUN_TEST_JOBS   how many bats files run at once (default 6; the suite mostly waits on urun)
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
	cp -r "$here" "$tests/security" "$tests/image" "$tests/make-bundle.sh" "$tests/free-port.sh" "$stage/tests/"
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
opts=()
paths=()
for a in "$@"; do
	if [ -e "$a" ]; then
		a=$(realpath "$a")
		if [ -n "${stage:-}" ] && [[ $a == "$orig_tests"* ]]; then
			a=$tests${a#"$orig_tests"}
		fi
		paths+=("$a")
	else
		opts+=("$a")
	fi
	args+=("$a")
done
# Options only (e.g. `-f kill`): run them on the whole suite (integration and attack tests).
if [ "${#paths[@]}" -eq 0 ]; then
	paths=("$here" "$tests/security")
	args+=("${paths[@]}")
fi

# slurm.bats: when the run includes it, a private one-node Slurm (tests/slurm/setup.sh) with a second
# user, urun-test2, whose containerised step runs beside the test user's; stopped when the run ends.
# The cluster is this run's own: its directory (stop.sh kills what names it), a free pair of ports and
# a range of job IDs (the containers' names) of its own, so that another run's cluster, started or
# stopped meanwhile, never touches it.
slurm_env=()
slurm_started=0
slurm_dir=/run/urun-slurm-$$
# A free port for slurmctld with a free one after it (slurmd's): tests/free-port.sh.
. "$orig_tests/free-port.sh"
for a in "${args[@]}"; do
	[ "$a" = "$here" ] || [ "${a##*/}" = slurm.bats ] || continue
	if URUN_TEST_USER=urun-test2 "$orig_tests/setup-test-user.sh" &&
		slurm_port=$(free_port tcp 2) &&
		slurm_conf=$(URUN_SLURM_SECOND_USER=urun-test2 URUN_SLURM_TEST_USER="$user" \
			URUN_SLURM_PORT=$slurm_port URUN_SLURM_FIRST_JOB_ID=$(($$ % 60000 * 1000 + 1)) \
			"$orig_tests/slurm/setup.sh" "$urun" "$slurm_dir"); then
		slurm_env=("$slurm_conf")
	else
		echo "run.sh: Slurm did not start; slurm.bats reports it" >&2
	fi
	slurm_started=1
	break
done
cd "$home"

# The run, one bats process per job, $jobs at a time, each job in its own delegated cgroup (so that a
# test's leftover-cgroup check sees only its own file's containers) and with its own sanitizer report
# directory (so that a report fails the test of the file that produced it). The files that use the
# shared default state roots (/run/user/UID/urun, /tmp/urun-UID), which root.bats makes hostile for a
# moment, share one job and run one after the other; every other file is a job of its own. The TAP
# of each job is printed when it ends, renumbered into one stream, with one plan for the whole run.
files=()
recursive=0
for a in "${opts[@]}"; do
	case $a in -r | --recursive) recursive=1 ;; esac
done
for a in "${paths[@]}"; do
	if [ -d "$a" ]; then
		if [ "$recursive" -eq 1 ]; then
			mapfile -t -O "${#files[@]}" files < <(find "$a" -name '*.bats' -type f | LC_ALL=C sort)
		else
			mapfile -t -O "${#files[@]}" files < <(find "$a" -maxdepth 1 -name '*.bats' -type f | LC_ALL=C sort)
		fi
	else
		files+=("$a")
	fi
done

# About the seconds each file takes on the project's 2-core machine (normal build, 4 jobs): the
# longest start first, so that the run does not end waiting for one of them. Others count as 10 s.
declare -A weight=(
	[podman.bats]=95 [lifecycle.bats]=90 [netns.bats]=70 [probe.bats]=60 [fd-escape.bats]=60
	[cgroup.bats]=60 [container.bats]=55 [config.bats]=55 [slurm.bats]=45 [run.bats]=45
	[idmap.bats]=35 [confine.bats]=35 [cli.bats]=35 [docker.bats]=30 [exec.bats]=30
	[terminal.bats]=30 [ids.bats]=25 [kill.bats]=25 [state-files.bats]=25 [spec.bats]=20
	[repeat.bats]=20 [list.bats]=20 [root.bats]=20 [nsjoin.bats]=20 [console-socket.bats]=15
	[proc-exe.bats]=15 [containerd.bats]=12 [state-root.bats]=12
)
# Files whose many slow tests would make them the last to end: their tests are dealt out to this
# many jobs (round robin, by bats --filter with the exact names), each of which runs setup_file.
declare -A split=([fd-escape.bats]=2)
serial_group=" root.bats state-root.bats slurm.bats "
job_files=()
job_weight=()
job_filter=()
group=
group_w=0
filtered=0
for a in "${opts[@]}"; do
	case $a in -f | --filter | --filter=*) filtered=1 ;; esac
done
for f in "${files[@]}"; do
	b=${f##*/}
	w=${weight[$b]:-10}
	if [[ $serial_group == *" $b "* ]]; then
		group+=${group:+$'\n'}$f
		group_w=$((group_w + w))
		continue
	fi
	n=${split[$b]:-1}
	names=()
	if [ "$n" -gt 1 ] && [ "$filtered" -eq 0 ]; then
		# the names as bats reads them: only plain ones (no quoting or expansion to undo)
		mapfile -t names < <(sed -n 's/^@test "\([^"\\$`]*\)" {$/\1/p' "$f")
		[ "${#names[@]}" -eq "$(grep -c '^@test ' "$f")" ] || names=()
	fi
	if [ "${#names[@]}" -lt 2 ]; then
		job_files+=("$f")
		job_weight+=("$w")
		job_filter+=("")
		continue
	fi
	for ((k = 0; k < n; k++)); do
		re=
		for ((t = k; t < ${#names[@]}; t += n)); do
			re+=${re:+|}$(sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"${names[t]}")
		done
		job_files+=("$f")
		job_weight+=("$((w / n))")
		job_filter+=("^($re)\$")
	done
done
if [ -n "$group" ]; then
	job_files+=("$group")
	job_weight+=("$group_w")
	job_filter+=("")
fi
order=()
mapfile -t order < <(for i in "${!job_files[@]}"; do echo "${job_weight[i]} $i"; done | sort -k1,1nr -k2,2n | cut -d' ' -f2)

jobs=${URUN_TEST_JOBS:-6}
if ! [[ $jobs =~ ^[1-9][0-9]*$ ]]; then
	echo "run.sh: URUN_TEST_JOBS=$jobs is not a positive number" >&2
	exit 2
fi

out=$(mktemp -d /tmp/urun-it-out.XXXXXX)
chmod 0755 "$out"
leaves=()
# The test numbers of each job start after those of the jobs before it (helpers.bash makes the sleep
# argument that identifies a test's processes from it: unique within the run).
total=0
base=()
for i in "${order[@]}"; do
	mapfile -t jf <<<"${job_files[i]}"
	n=$(bats --count "${opts[@]}" ${job_filter[i]:+--filter "${job_filter[i]}"} "${jf[@]}") || n=0
	base[i]=$total
	total=$((total + n))
done
# A split file's jobs must hold each of its tests exactly once.
if [ "$total" -ne "$(bats --count "${opts[@]}" "${files[@]}")" ]; then
	echo "run.sh: the jobs hold $total tests, the files $(bats --count "${opts[@]}" "${files[@]}")" >&2
	exit 2
fi

declare -A running=()
job_cg=()
# On any exit: the jobs still running (a timeout), the run's cgroups (empty now unless a test left a
# container behind, and then it failed already), the private Slurm, the staged copy.
cleanup() {
	local p
	for p in "${!running[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${leaves[@]}"; do
		rmdir "$p" "$(dirname "$p")" 2>/dev/null || true
	done
	rm -rf "$out"
	if [ "$slurm_started" -eq 1 ]; then "$orig_tests/slurm/stop.sh" "$slurm_dir"; fi
	if [ -n "${stage:-}" ]; then rm -rf "$stage"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# start_job I: starts job I in the background (its own cgroup leaf, sanitizer directory and TAP file).
start_job() {
	local i=$1 leaf= san= asan=${ASAN_OPTIONS-} ubsan=${UBSAN_OPTIONS-} lsan=${LSAN_OPTIONS-}
	local -a jf cg=() pass=("${passthrough[@]}") slurm=()
	mapfile -t jf <<<"${job_files[i]}"
	# Only slurm.bats' job gets SLURM_CONF: tests/slurm/stop.sh (and setup.sh, stopping an earlier
	# run's cluster) kills every process whose environment names the cluster's slurm.conf.
	if [[ $'\n'${job_files[i]}$'\n' == *"/slurm.bats"$'\n'* ]]; then slurm=("${slurm_env[@]}"); fi
	if leaf=$("$orig_tests/delegate-cgroup.sh" "$user") && [ -n "$leaf" ]; then
		leaves+=("$leaf")
		job_cg[i]=$(dirname "$leaf")
		# shellcheck disable=SC2016
		cg=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$leaf")
	fi
	if [ -n "${URUN_SANITIZER_LOG_DIR:-}" ]; then
		san=$URUN_SANITIZER_LOG_DIR/job$i
		mkdir -p "$san"
		chown "$user:" "$san"
		pass+=("URUN_SANITIZER_LOG_DIR=$san")
		[ -z "${ASAN_OPTIONS+set}" ] || pass+=("ASAN_OPTIONS=${asan//log_path=$URUN_SANITIZER_LOG_DIR\//log_path=$san/}")
		[ -z "${UBSAN_OPTIONS+set}" ] || pass+=("UBSAN_OPTIONS=${ubsan//log_path=$URUN_SANITIZER_LOG_DIR\//log_path=$san/}")
		[ -z "${LSAN_OPTIONS+set}" ] || pass+=("LSAN_OPTIONS=${lsan//log_path=$URUN_SANITIZER_LOG_DIR\//log_path=$san/}")
	fi
	date +%s >"$out/$i.start"
	"${cg[@]}" runuser -u "$user" -- env -i \
		HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/bash LANG=C.UTF-8 \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
		XDG_RUNTIME_DIR="/run/user/$uid" \
		URUN="$urun" URUN_TEST_NUMBER_BASE="${base[i]}" \
		"${slurm[@]}" \
		"${pass[@]}" \
		bats --tap "${opts[@]}" ${job_filter[i]:+--filter "${job_filter[i]}"} "${jf[@]}" </dev/null >"$out/$i.tap" 2>&1 &
	running[$!]=$i
}

# finish_job I RC: prints job I's TAP renumbered from $seen + 1; a plan it did not meet is reported.
seen=0
final=0
finish_job() {
	local i=$1 rc=$2 line plan= n=0 t0 t1
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ $line =~ ^(not[[:space:]]+)?ok[[:space:]]+[0-9]+(.*)$ ]]; then
			seen=$((seen + 1))
			n=$((n + 1))
			echo "${BASH_REMATCH[1]}ok $seen${BASH_REMATCH[2]}"
		elif [[ $line =~ ^1\.\.([0-9]+) ]]; then
			plan=${BASH_REMATCH[1]}
		else
			printf '%s\n' "$line"
		fi
	done <"$out/$i.tap"
	t0=$(cat "$out/$i.start")
	t1=$(date +%s)
	# CPU time of the job's cgroup: its bats and the containers its tests made (not podman's,
	# Docker's or containerd's daemons and their containers, nor Slurm's)
	cpu=
	if [ -n "${job_cg[i]:-}" ] && cpu=$(awk '$1 == "usage_usec" { print int($2 / 1000000) }' "${job_cg[i]}/cpu.stat" 2>/dev/null); then
		cpu=", $cpu s CPU"
	fi
	echo "# $(tr '\n' ' ' <<<"${job_files[i]//"$tests/"/}")${job_filter[i]:+(part) }- $n tests in $((t1 - t0)) s$cpu, status $rc"
	if [ -z "$plan" ] || [ "$plan" -ne "$n" ]; then
		echo "# ${job_files[i]}: planned ${plan:-nothing}, saw $n" >&2
		rc=2
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		final=$rc
	elif [ "$rc" -eq 1 ] && [ "$final" -eq 0 ]; then
		final=1
	fi
}

echo "1..$total"
next=0
while [ "$next" -lt "${#order[@]}" ] || [ "${#running[@]}" -gt 0 ]; do
	while [ "$next" -lt "${#order[@]}" ] && [ "${#running[@]}" -lt "$jobs" ]; do
		start_job "${order[next]}"
		next=$((next + 1))
	done
	rc=0
	wait -n -p done_pid "${!running[@]}" || rc=$?
	i=${running[$done_pid]}
	unset "running[$done_pid]"
	finish_job "$i" "$rc"
done
exit "$final"
