#!/bin/bash
# Start-up benchmark: `run` of /bin/true on one busybox bundle, rootless, for urun, crun and runc side
# by side in one hyperfine invocation, plus a kernel floor (creating the same namespaces with unshare
# and running true). Prints the medians and the urun/crun, urun/runc and X/floor ratios.
#
# usage: bench/startup.sh [URUN]       (default: build/urun, built first if missing)
#   BENCH_RUNS (default 100), BENCH_WARMUP (default 10, per round), BENCH_ROUNDS (default 5)
#
# As root it installs hyperfine, crun and runc from Debian when missing, prepares the `urun-test`
# user (tests/setup-test-user.sh) and measures as that user: the runtimes run rootless, as the
# benchmark is about. As a normal user it measures directly with whatever is installed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)
runs=${BENCH_RUNS:-100}
warmup=${BENCH_WARMUP:-10}

say() { echo "bench: $*"; }

# --- the measurement, as an unprivileged user ---------------------------------------------------

# Runs ANCHOR's `run` once on the bundle; prints its error output when that fails.
probe() {
	local name=$1 bin=$2 root=$3 bundle=$4 out
	if out=$("$bin" --root "$root" run --bundle "$bundle" "probe-$name-$$" 2>&1 </dev/null); then
		return 0
	fi
	echo "$out"
	"$bin" --root "$root" delete --force "probe-$name-$$" >/dev/null 2>&1 || true
	return 1
}

# make_bench_bundle DIR URUN: the one bundle every runtime runs.
make_bench_bundle() {
	local bundle=$1 urun=$2
	# same work as crun and runc: no network beyond loopback (slirp is measured by bench/network.sh)
	URUN=$urun "$repo/tests/make-bundle.sh" "$bundle" /bin/true >/dev/null
	# crun 1.8 refuses ociVersion 1.2.0 ("unknown version specified"); nothing in this config differs
	# between 1.0.2 and 1.2.0, so every runtime gets the same bundle declared as 1.0.2.
	# `urun spec --rootless` writes no mappings (the bundle is portable); crun and runc would then map
	# only the caller's ID, without the setuid helpers. Every runtime gets the same explicit maps:
	# root -> the caller, then the caller's first subordinate range (urun's default map).
	local me sub_u sub_g
	me=$(id -un)
	sub_u=$(awk -F: -v u="$me" -v n="$(id -u)" '($1 == u || $1 == n) { print $2 ":" $3; exit }' /etc/subuid)
	sub_g=$(awk -F: -v u="$me" -v n="$(id -u)" '($1 == u || $1 == n) { print $2 ":" $3; exit }' /etc/subgid)
	if [ -z "$sub_u" ] || [ -z "$sub_g" ]; then
		say "$me has no subordinate ranges: the bundle maps only your own ID"
		sub_u=; sub_g=
	fi
	jq --argjson u "$(id -u)" --argjson g "$(id -g)" --arg su "$sub_u" --arg sg "$sub_g" '
		def maps($own; $sub): [{"containerID": 0, "hostID": $own, "size": 1}] +
			(if $sub == "" then [] else [{"containerID": 1, "hostID": ($sub | split(":")[0] | tonumber),
				"size": ($sub | split(":")[1] | tonumber)}] end);
		.ociVersion = "1.0.2" | .linux.uidMappings = maps($u; $su) | .linux.gidMappings = maps($g; $sg) |
		del(.annotations["run.urun.network"])' \
		"$bundle/config.json" >"$bundle/config.json.tmp"
	mv "$bundle/config.json.tmp" "$bundle/config.json"
}

measure() {
	local urun=$1 out=$2
	command -v hyperfine >/dev/null || { say "hyperfine is not installed: nothing to measure"; exit 1; }
	# Global: the EXIT trap needs it after this function has returned.
	work=$(mktemp -d "${TMPDIR:-/tmp}/urun-bench.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	local bundle=$work/bundle
	make_bench_bundle "$bundle" "$urun"

	# By default hyperfine starts each run in a new `sh -c` (and subtracts the time that takes), so
	# $$ gives every run its own container ID. BENCH_NO_SHELL=1 runs the commands without a shell
	# (hyperfine -N, more precise below 5 ms) and so with one fixed ID per runtime, which each run
	# frees again by deleting its container. --cleanup removes anything a failed run left.
	local id_suffix=\$\$ shell_opt=()
	if [ "${BENCH_NO_SHELL:-0}" = 1 ]; then
		id_suffix=-bench
		shell_opt=(-N)
	fi

	local -a names=() cmds=() roots=() bins=()
	local err cmd
	add() { names+=("$1"); cmds+=("$2"); bins+=("${3:-}"); roots+=("${4:-}"); }

	mkdir -m 0700 "$work/urun-root"
	if err=$(probe urun "$urun" "$work/urun-root" "$bundle"); then
		printf -v cmd '%q --root %q run --bundle %q u%s' "$urun" "$work/urun-root" "$bundle" "$id_suffix"
		add urun "$cmd" "$urun" "$work/urun-root"
	else
		say "urun cannot run the bundle, stopping: $err"
		exit 1
	fi
	local rt bin
	for rt in crun runc; do
		bin=$(command -v "$rt" || true)
		if [ -z "$bin" ]; then
			say "$rt is not installed: skipped"
			continue
		fi
		mkdir -m 0700 "$work/$rt-root"
		if err=$(probe "$rt" "$bin" "$work/$rt-root" "$bundle"); then
			printf -v cmd '%q --root %q run --bundle %q %s%s' "$bin" "$work/$rt-root" "$bundle" "${rt:0:1}" "$id_suffix"
			add "$rt" "$cmd" "$bin" "$work/$rt-root"
		else
			say "$rt cannot run the bundle rootless here, skipped: $(echo "$err" | tail -n 1)"
		fi
	done
	# The kernel floor: the namespaces the spec asks for (user, mount, pid, net, ipc, uts), a fresh
	# /proc, and exec of a trivial program; no runtime work at all.
	local floor="unshare --user --map-root-user --mount --pid --fork --net --ipc --uts --mount-proc true"
	if $floor 2>/dev/null; then
		add floor "$floor"
	else
		say "unshare cannot create the namespaces here: no kernel floor"
	fi

	local i
	{
		for i in "${!names[@]}"; do
			[ -n "${roots[i]}" ] || continue
			printf 'for c in $(%q --root %q list -q 2>/dev/null); do %q --root %q delete -f "$c"; done\n' \
				"${bins[i]}" "${roots[i]}" "${bins[i]}" "${roots[i]}"
		done
	} >"$work/cleanup.sh"

	# hyperfine measures one command after the other.  On a shared machine the load drifts during a
	# benchmark, and a runtime measured in a busier stretch looks slower.  So the runs are split into
	# BENCH_ROUNDS rounds (default 5), each a hyperfine invocation over every runtime, in alternating
	# order; the statistics are taken over the runs of all rounds together.
	local rounds=${BENCH_ROUNDS:-5} round per k
	[ "$rounds" -ge 1 ] && [ "$rounds" -le "$runs" ] || rounds=1
	per=$(((runs + rounds - 1) / rounds))
	say "measuring ${names[*]}: $((per * rounds)) runs each in $rounds rounds, each round after $warmup warm-up runs"
	for ((round = 0; round < rounds; round++)); do
		local -a hf=(hyperfine "${shell_opt[@]}" --warmup "$warmup" --runs "$per" --export-json "$work/round-$round.json"
			--style basic --cleanup "bash $work/cleanup.sh")
		for k in "${!names[@]}"; do
			i=$k
			((round % 2)) && i=$((${#names[@]} - 1 - k))
			hf+=(--command-name "${names[i]}" "${cmds[i]}")
		done
		"${hf[@]}" </dev/null >"$work/round-$round.log" 2>&1 || { cat "$work/round-$round.log"; exit 1; }
	done
	jq -s '{results: ([.[].results[]] | group_by(.command) | map(
		{command: .[0].command, user: (map(.user) | add / length), system: (map(.system) | add / length),
		 times: ([.[].times[]] | sort)}
		| .mean = (.times | add / length)
		| .median = (.times | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end)
		| .mean as $m
		| .stddev = (if (.times | length) > 1
			then (.times | map((. - $m) * (. - $m)) | add) / ((.times | length) - 1) | sqrt else 0 end)))}' \
		"$work"/round-*.json >"$out"
	# the order of the runtimes as measured, not group_by's
	jq --argjson order "$(printf '%s\n' "${names[@]}" | jq -R . | jq -s .)" \
		'.results |= sort_by(.command as $c | $order | index($c))' "$out" >"$out.tmp" && mv "$out.tmp" "$out"

	# Every run must have deleted its container.
	for i in "${!names[@]}"; do
		if [ -n "${roots[i]}" ] && [ -n "$(ls -A "${roots[i]}" | grep -v '^\.' || true)" ]; then
			say "warning: ${names[i]} left state behind in ${roots[i]}: $(ls -A "${roots[i]}" | head -n 3 | tr '\n' ' ')"
		fi
	done
	peak_rss "$bundle" "$work/rss.json"
	report "$out" "$work/rss.json"
}

# peak_rss BUNDLE OUT: the peak resident set of each runtime's `run` (median of 5 runs) as JSON
# {name: KiB}.  /usr/bin/time's %M is the largest single process of the tree it waited for: the runtime
# or one of its children (the container's process, newuidmap), not their sum.
peak_rss() {
	local bundle=$1 json=$2 i k kib
	local -a cmd
	echo '{}' >"$json"
	[ -x /usr/bin/time ] || { say "no /usr/bin/time: no peak RSS"; return 0; }
	for i in "${!names[@]}"; do
		if [ -n "${roots[i]}" ]; then
			cmd=("${bins[i]}" --root "${roots[i]}" run --bundle "$bundle")
		else
			read -ra cmd <<<"${cmds[i]}"
		fi
		local -a sizes=()
		for k in 1 2 3 4 5; do
			if [ -n "${roots[i]}" ]; then
				/usr/bin/time -f %M -o "$work/rss" "${cmd[@]}" "rss-${names[i]}-$k" </dev/null >/dev/null 2>&1 || continue
			else
				/usr/bin/time -f %M -o "$work/rss" "${cmd[@]}" </dev/null >/dev/null 2>&1 || continue
			fi
			sizes+=("$(tail -n 1 "$work/rss")")
		done
		[ "${#sizes[@]}" -gt 0 ] || continue
		kib=$(printf '%s\n' "${sizes[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		jq --arg n "${names[i]}" --argjson v "$kib" '.[$n] = $v' "$json" >"$json.tmp" && mv "$json.tmp" "$json"
	done
}

# Prints the medians (ms) and the ratios from hyperfine's JSON export.
report() {
	local json=$1 rss=${2:-}
	echo
	echo "median start-up of \`run /bin/true\` (hyperfine, $runs runs):"
	jq -r '.results[] | "  \(.command | .+ " " * (8 - length))  median \(.median * 1000 | . * 100 | round / 100) ms   mean \(.mean * 1000 | . * 100 | round / 100) ± \(.stddev * 1000 | . * 100 | round / 100) ms"' "$json"
	echo
	jq -r '
		(.results | map({(.command): .median}) | add) as $m
		| def ratio(a; b): if $m[a] and $m[b] then "  \(a)/\(b) = \($m[a] / $m[b] * 1000 | round / 1000)" else empty end;
		ratio("urun"; "crun"), ratio("urun"; "runc"),
		ratio("urun"; "floor"), ratio("crun"; "floor"), ratio("runc"; "floor"),
		(if $m.urun and $m.crun then
			"  target urun/crun <= 0.5: \(if $m.urun / $m.crun <= 0.5 then "met" else "NOT met" end)"
		 else "  target urun/crun <= 0.5: no crun measurement" end)' "$json"
	if [ -n "$rss" ] && [ "$(jq length "$rss")" -gt 0 ]; then
		echo
		echo "peak RSS of \`run /bin/true\` (largest process of the tree, median of 5 runs):"
		jq -r 'to_entries[] | "  \(.key | .+ " " * (8 - length))  \(.value) KiB"' "$rss"
	fi
}

# --- the entry point ----------------------------------------------------------------------------

case ${1:-} in
--measure)
	measure "$2" "$3"
	exit
	;;
--bundle)
	make_bench_bundle "$2" "$3"
	exit
	;;
esac

urun=${1:-$repo/build/urun}
if [ ! -x "$urun" ]; then
	say "building $urun"
	[ -f "$repo/build/meson-private/coredata.dat" ] || meson setup "$repo/build" >/dev/null
	meson compile -C "$repo/build" urun >/dev/null
fi
urun=$(realpath "$urun")
mkdir -p "$repo/bench/results" 2>/dev/null || true
result=$repo/bench/results/startup-$(date +%Y%m%d-%H%M%S).json

if [ "$(id -u)" -ne 0 ]; then
	if ! crun --version >/dev/null 2>&1 || ! runc --version >/dev/null 2>&1 || ! command -v hyperfine >/dev/null; then
		say "missing hyperfine, crun or runc: run as root once to install them (apt-get install hyperfine crun runc)"
	fi
	"$0" --measure "$urun" "$result"
	say "results saved to $result"
	exit
fi

# Root: install what is missing, then measure as the unprivileged test user.
. "$repo/bench/common.sh"
bench_root_setup urun-bench-stage hyperfine crun runc uidmap jq busybox-static
cp "$urun" "$stage/urun"
cp "$here/startup.sh" "$stage/bench/"
cp "$repo/tests/make-bundle.sh" "$stage/tests/"
chmod -R a+rX "$stage"
chown "$user:" "$stage"

# The command that runs the rest of its arguments as the test user, in its home, with a clean environment.
as_user=(runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8
	PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin
	XDG_RUNTIME_DIR="/run/user/$uid" BENCH_RUNS="$runs" BENCH_WARMUP="$warmup" BENCH_NO_SHELL="${BENCH_NO_SHELL:-0}")
as_user() { (cd "$home" && "${as_user[@]}" "$@"); }

# crun 1.8 cannot run rootless on this hybrid cgroup host as it is: the measurement then runs in a
# private mount view made for crun (bench_crun_private_view in common.sh).
bench_view=()
if command -v crun >/dev/null; then
	probe_dir=$(as_user mktemp -d /tmp/urun-bench-probe.XXXXXX)
	as_user bash "$stage/bench/startup.sh" --bundle "$probe_dir/bundle" "$stage/urun"
	bench_crun_private_view "$probe_dir/bundle"
	rm -rf "$probe_dir"
fi

out_dir=$(mktemp -d "$stage/out.XXXXXX")
chown "$user:" "$out_dir"
(cd "$home" && "${bench_view[@]}" "${as_user[@]}" bash "$stage/bench/startup.sh" --measure "$stage/urun" "$out_dir/startup.json")
cp "$out_dir/startup.json" "$result"
say "results saved to $result"
