#!/bin/bash
# Start-up benchmark: `run` of /bin/true on one busybox bundle, rootless, for urun, crun and runc side
# by side in one hyperfine invocation, plus a kernel floor (creating the same namespaces with unshare
# and running true). Prints the medians and the urun/crun, urun/runc and X/floor ratios.
#
# usage: bench/startup.sh [URUN]       (default: build/urun, built first if missing)
#   BENCH_RUNS (default 100), BENCH_WARMUP (default 10)
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

	local -a hf=(hyperfine "${shell_opt[@]}" --warmup "$warmup" --runs "$runs" --export-json "$out" --style basic
		--cleanup "bash $work/cleanup.sh")
	for i in "${!names[@]}"; do
		hf+=(--command-name "${names[i]}" "${cmds[i]}")
	done
	say "measuring ${names[*]}: $runs runs each after $warmup warm-up runs"
	"${hf[@]}" </dev/null

	# Every run must have deleted its container.
	for i in "${!names[@]}"; do
		if [ -n "${roots[i]}" ] && [ -n "$(ls -A "${roots[i]}" | grep -v '^\.' || true)" ]; then
			say "warning: ${names[i]} left state behind in ${roots[i]}: $(ls -A "${roots[i]}" | head -n 3 | tr '\n' ' ')"
		fi
	done
	report "$out"
}

# Prints the medians (ms) and the ratios from hyperfine's JSON export.
report() {
	local json=$1
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

as_user() {
	(cd "$home" && runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8 \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin \
		XDG_RUNTIME_DIR="/run/user/$uid" BENCH_RUNS="$runs" BENCH_WARMUP="$warmup" BENCH_NO_SHELL="${BENCH_NO_SHELL:-0}" "$@")
}

# crun 1.8 may refuse to run rootless on a hybrid cgroup host: see bench_crun_hybrid_fix (common.sh).
if command -v crun >/dev/null; then
	probe_dir=$(as_user mktemp -d /tmp/urun-bench-probe.XXXXXX)
	as_user bash "$stage/bench/startup.sh" --bundle "$probe_dir/bundle" "$stage/urun"
	bench_crun_hybrid_fix "$probe_dir/bundle"
	rm -rf "$probe_dir"
fi

out_dir=$(mktemp -d "$stage/out.XXXXXX")
chown "$user:" "$out_dir"
as_user bash "$stage/bench/startup.sh" --measure "$stage/urun" "$out_dir/startup.json"
cp "$out_dir/startup.json" "$result"
say "results saved to $result"
