#!/bin/bash
# Network benchmark.  Start-up: `urun run --network slirp` of /bin/true against crun + slirp4netns
# doing the same as podman runs them (a user namespace kept across containers, a new network namespace
# per container with slirp4netns --configure --ready-fd; runc with a createRuntime hook where crun
# cannot run), and both without a network, in one hyperfine run.  Throughput: iperf3 from a container to an iperf3 server on the host's loopback
# and back (-R), through urun's built-in slirp (10.0.2.2 is the host's loopback with
# --allow-host-loopback), then in the same run through slirp4netns and pasta (where installed) under
# the same MTU.  Published port: iperf3 from the host to a server in the container through a port
# published on the host's loopback (urun -p 127.0.0.1:P:5201, slirp4netns's add_hostfwd through its API
# socket, pasta -t 127.0.0.1/P:5201), same MTU.  Prints medians and the ratios against the other tools.
#
# usage: bench/network.sh [URUN]       (default: build/urun, built first if missing; urun-slirp must
#                                       be next to it, as meson builds them)
#   BENCH_TIME     seconds per iperf3 run (default 10)
#   BENCH_RUNS     runs per tool, interleaved; the median counts (default 3)
#   BENCH_MTU      MTU for all tools (default 65520, urun's default)
#   BENCH_REVERSE  0: leave out host -> container (iperf3 -R; default 1)
#   BENCH_PUBLISH  0: leave out host -> container through a published port (default 1)
#   BENCH_STARTUP  0: leave out the start-up case (default 1)
#   BENCH_STARTUP_RUNS  hyperfine runs per start-up command (default 40)
#
# As root it installs iperf3, slirp4netns, passt, socat, hyperfine and crun from Debian when missing, prepares
# the `urun-test` user (tests/setup-test-user.sh) and measures as that user.  Every byte stays on this machine: the
# server listens on 127.0.0.1, and pasta runs inside a private network namespace whose only way out is
# a tap device nobody reads (through a published port, pasta forwards only 127.0.0.1:P to a server that
# connects nowhere).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)
time_s=${BENCH_TIME:-10}
runs=${BENCH_RUNS:-3}
mtu=${BENCH_MTU:-65520}
reverse=${BENCH_REVERSE:-1}
publish=${BENCH_PUBLISH:-1}
startup=${BENCH_STARTUP:-1}
startup_runs=${BENCH_STARTUP_RUNS:-40}

say() { echo "bench: $*" >&2; }

# --- the measurement, as an unprivileged user ---------------------------------------------------

# Gbit/s received, from iperf3's JSON on stdin.
gbits() {
	jq -r '.end.sum_received.bits_per_second / 1e9 | . * 100 | round / 100'
}

# free_port: a TCP port no socket uses, below the ephemeral range (tests/free-port.sh).
. "$repo/tests/free-port.sh"

# A bundle whose rootfs holds the host's iperf3 and the shared libraries it needs (same binary for
# every tool), with a writable /tmp (iperf3 makes its buffers from a temporary file).
make_iperf_bundle() {
	local bundle=$1 urun=$2 bin lib
	URUN=$urun "$repo/tests/make-bundle.sh" "$bundle" >/dev/null
	bin=$(command -v iperf3)
	mkdir -p "$bundle/rootfs/usr/bin"
	cp "$bin" "$bundle/rootfs/usr/bin/iperf3"
	for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
		mkdir -p "$bundle/rootfs$(dirname "$lib")"
		cp -L "$lib" "$bundle/rootfs$lib"
	done
	jq '.mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]}]
		| .process.env += ["HOME=/tmp"]' "$bundle/config.json" >"$bundle/config.json.tmp"
	mv "$bundle/config.json.tmp" "$bundle/config.json"
}

# iperf3 client arguments for one run (ARGS... extra, e.g. -R).
client_args() {
	local port=$1
	shift
	local a=(iperf3 -c 10.0.2.2 -p "$port" -t "$time_s" -J "$@")
	jq -cn '$ARGS.positional' --args -- "${a[@]}"
}

# urun: run the container (MTU through the run.urun.mtu annotation).
measure_urun() {
	local urun=$1 bundle=$2 root=$3 port=$4
	shift 4
	jq --argjson a "$(client_args "$port" "$@")" --arg mtu "$mtu" \
		'.process.args = $a | .annotations["run.urun.mtu"] = $mtu' "$bundle/config.json" >"$bundle/config.json.tmp"
	mv "$bundle/config.json.tmp" "$bundle/config.json"
	"$urun" --root "$root" run --bundle "$bundle" --network slirp --allow-host-loopback "bench-net-$$" </dev/null |
		gbits
}

# slirp4netns: a new user+net namespace whose shell waits until slirp4netns reports tap0 ready.
measure_slirp4netns() {
	local work=$1 port=$2
	shift 2
	local fifo=$work/s4n.ready out=$work/s4n.json
	rm -f "$fifo"
	mkfifo "$fifo"
	unshare --user --map-root-user --net sh -c 'read -r _ <"$1"; shift; exec "$@" >"$0"' \
		"$out" "$fifo" iperf3 -c 10.0.2.2 -p "$port" -t "$time_s" -J "$@" &
	local ns=$!
	slirp4netns --configure --mtu="$mtu" --ready-fd=3 "$ns" tap0 3>"$fifo" >/dev/null 2>&1 &
	local s4n=$!
	wait "$ns" || true
	kill "$s4n" 2>/dev/null || true
	wait "$s4n" 2>/dev/null || true
	gbits <"$out"
}

# pasta: with 10.0.2.2 as its gateway, which it maps to the host's loopback.  It runs inside a private
# user+net namespace (with its own iperf3 server) whose only route leads to a tap nobody reads, so
# nothing can leave the machine even if the mapping did not apply.
measure_pasta() {
	local work=$1 port=$2
	shift 2
	unshare --user --map-root-user --net sh -c '
		out=$1 port=$2 mtu=$3; shift 3
		ip link set lo up &&
		ip tuntap add dev ext0 mode tap && ip addr add 192.0.2.2/24 dev ext0 && ip link set ext0 up &&
		ip route add default via 192.0.2.1 || exit 1
		iperf3 -s -B 127.0.0.1 -p "$port" >/dev/null 2>&1 & srv=$!
		for _ in $(seq 100); do ss -H -ltn "sport = :$port" | grep -q . && break; sleep 0.05; done
		pasta --config-net -m "$mtu" -a 10.0.2.100 -n 24 -g 10.0.2.2 -- "$@" >"$out" 2>/dev/null
		kill $srv; wait $srv 2>/dev/null
		true' sh "$work/pasta.json" "$port" "$mtu" iperf3 -c 10.0.2.2 -p "$port" -t "$time_s" -J "$@" >/dev/null 2>&1
	gbits <"$work/pasta.json"
}

# --- through a published port: an iperf3 server in the container, the client on the host ---------

# iperf3 from the host to 127.0.0.1:PORT, again until the server behind it answers (until then the
# forwarder refuses or drops the connection); Gbit/s.
pub_client() {
	local port=$1 out v
	for _ in $(seq 100); do
		out=$(timeout $((time_s + 30)) iperf3 -c 127.0.0.1 -p "$port" -t "$time_s" -J 2>/dev/null) || out=
		v=$(echo "$out" | jq -r '.end.sum_received.bits_per_second // empty' 2>/dev/null) || v=
		if [ -n "$v" ]; then
			echo "$out" | gbits
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# Waits until process PID is in a network namespace other than ours.
wait_netns() {
	local me
	me=$(readlink /proc/self/ns/net)
	for _ in $(seq 500); do
		[ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" != "$me" ] && return 0
		sleep 0.01
	done
	return 1
}

# urun: the server in the container (iperf3 -s -1 ends after one test), its port published.
measure_urun_pub() {
	local urun=$1 bundle=$2 root=$3 port=$4 id=bench-pub-$$ v
	jq --arg mtu "$mtu" '.process.args = ["iperf3", "-s", "-1", "-p", "5201"] | .annotations["run.urun.mtu"] = $mtu' \
		"$bundle/config.json" >"$bundle/config.json.tmp"
	mv "$bundle/config.json.tmp" "$bundle/config.json"
	"$urun" --root "$root" run -d --bundle "$bundle" --network slirp -p "127.0.0.1:$port:5201" "$id" \
		</dev/null >/dev/null 2>&1 || return 1
	v=$(pub_client "$port") || v=0
	"$urun" --root "$root" delete --force "$id" >/dev/null 2>&1
	echo "$v"
}

# slirp4netns: the server in a new user+net namespace, its port forwarded with add_hostfwd through
# slirp4netns's API socket once tap0 is up.
measure_slirp4netns_pub() {
	local work=$1 port=$2 v=0
	local fifo=$work/s4n.ready api=$work/s4n.sock
	rm -f "$fifo" "$api"
	mkfifo "$fifo"
	unshare --user --map-root-user --net iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	local ns=$!
	wait_netns "$ns" || { kill "$ns"; return 1; }
	slirp4netns --configure --mtu="$mtu" --ready-fd=3 --api-socket "$api" "$ns" tap0 3>"$fifo" >/dev/null 2>&1 &
	local s4n=$!
	if [ "$(head -c 1 <"$fifo")" = 1 ] &&
		printf '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "127.0.0.1", "host_port": %d, "guest_port": 5201}}' \
			"$port" | socat - "UNIX-CONNECT:$api" | grep -q '"return"'; then
		v=$(pub_client "$port") || v=0
	fi
	kill "$ns" "$s4n" 2>/dev/null || true
	wait "$ns" "$s4n" 2>/dev/null || true
	echo "$v"
}

# pasta: the server in the namespace pasta makes, the port forwarded with -t (spliced by pasta to the
# namespace's loopback); no other port is forwarded either way.
measure_pasta_pub() {
	local work=$1 port=$2 v
	pasta --config-net -m "$mtu" -t "127.0.0.1/$port:5201" -u none -T none -U none -- iperf3 -s -1 -p 5201 \
		>/dev/null 2>&1 &
	local p=$!
	v=$(pub_client "$port") || v=0
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	echo "$v"
}

# --- start-up: a container whose network is up when its process starts --------------------------

# crun as podman runs it rootless.  One user namespace lives across containers (podman's pause
# process), with the start-up bundle's ID maps written by newuidmap/newgidmap; its pid goes to
# $work/userns.pid.  Each container gets a new network namespace in it, slirp4netns --configure for
# that namespace (--ready-fd), and crun runs in the namespace once tap0 is up, with a spec that creates
# neither a user nor a network namespace (nbundle).  A createRuntime hook cannot do this for crun: its
# container process is not dumpable before it execs, so slirp4netns may not open /proc/PID/ns/net.
make_podman_like() {
	local work=$1 h
	mkdir -p "$work/nbundle"
	jq --arg rootfs "$work/sbundle/rootfs" '.root.path = $rootfs | del(.linux.uidMappings, .linux.gidMappings)
		| .linux.namespaces |= map(select(.type != "user" and .type != "network"))' \
		"$work/sbundle/config.json" >"$work/nbundle/config.json"
	cat >"$work/crun-net.sh" <<'RUN'
# crun-net.sh WORK MTU ID, inside the user namespace: one container with slirp4netns, as podman runs it
d=$(mktemp -d "$1/run.XXXXXX")
mkfifo "$d/go" "$d/ready"
unshare --net sh -c 'read -r _ <"$0" && exec crun --root "$1" run --bundle "$2" "$3"' "$d/go" "$1/sc" "$1/nbundle" "$3" &
ctr=$!
# slirp4netns must find the new namespace, not the one unshare starts in
me=$(readlink /proc/self/ns/net)
i=0
while [ "$(readlink "/proc/$ctr/ns/net")" = "$me" ] && [ $((i += 1)) -lt 10000 ]; do :; done
slirp4netns --configure --mtu="$2" --ready-fd=3 "$ctr" tap0 3>"$d/ready" </dev/null >/dev/null 2>&1 &
s4n=$!
rc=1
# slirp4netns writes "1" (no newline) once tap0 is up
if [ "$(head -c 1 <"$d/ready")" = 1 ]; then echo >"$d/go"; wait "$ctr"; rc=$?; else kill "$ctr"; fi
kill "$s4n"
rm -rf "$d"
exit "$rc"
RUN
	unshare --user sleep infinity &
	h=$!
	echo "$h" >"$work/userns.pid"
	# the maps can be written once unshare has made the namespace
	for _ in $(seq 100); do
		[ "$(readlink "/proc/$h/ns/user")" != "$(readlink /proc/self/ns/user)" ] && break
		sleep 0.01
	done
	# shellcheck disable=SC2046 # one argument per number
	newuidmap "$h" $(jq -r '.linux.uidMappings[] | "\(.containerID) \(.hostID) \(.size)"' "$work/sbundle/config.json") &&
		newgidmap "$h" $(jq -r '.linux.gidMappings[] | "\(.containerID) \(.hostID) \(.size)"' "$work/sbundle/config.json")
}

# runc, where crun cannot run: its createRuntime hook (run in runc's namespaces, with the container's
# state on stdin) starts slirp4netns for the container's network namespace and does not return before
# it has configured tap0 (--ready-fd).  Its pid goes to s4n.pid, for the run to stop it afterwards.
write_s4n_hook() {
	local work=$1
	mkfifo "$work/s4n.ready"
	cat >"$work/s4n-hook.sh" <<'HOOK'
work=$1
state=$(tr -d ' \n')
pid=${state#*\"pid\":}
pid=${pid%%[,\}]*}
slirp4netns --configure --mtu="$2" --ready-fd=3 "$pid" tap0 3>"$work/s4n.ready" </dev/null >/dev/null 2>&1 &
echo $! >"$work/s4n.pid"
[ "$(head -c 1 <"$work/s4n.ready")" = 1 ] # slirp4netns writes "1" (no newline) once tap0 is up
HOOK
}

# The runc bundle: the start-up bundle's config (same rootfs) plus the hook.
make_runc_bundle() {
	local work=$1
	mkdir -p "$work/rbundle"
	jq --arg rootfs "$work/sbundle/rootfs" --arg hook "$work/s4n-hook.sh" --arg work "$work" --arg mtu "$mtu" '
		.root.path = $rootfs |
		.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", $hook, $work, $mtu]}]' \
		"$work/sbundle/config.json" >"$work/rbundle/config.json"
}

# Medians (ms) and the two ratios that have targets.
startup_report() {
	jq -r --arg runs "$startup_runs" --arg rt "$2" '
		(.results | map({(.command): (.median * 1000)}) | add) as $m
		| "\nstart-up, /bin/true, \($runs) runs (median ms):",
		  (.results[] | "  \(.command | . + " " * (28 - length)) \(.median * 1000 * 10 | round / 10)"),
		  (if $m["urun --network slirp"] and $m["urun"] then
			"  urun slirp / urun             = \($m["urun --network slirp"] / $m["urun"] * 100 | round / 100)   (target <= 1.5: \(if $m["urun --network slirp"] / $m["urun"] <= 1.5 then "met" else "NOT met" end))"
		   else empty end),
		  ($rt + " + slirp4netns") as $other
		  | (if $m["urun --network slirp"] and $m[$other] then
			"  urun slirp / \($other) = \($m["urun --network slirp"] / $m[$other] * 100 | round / 100)   (target < 1.0: \(if $m["urun --network slirp"] < $m[$other] then "met" else "NOT met" end))"
		   else "  no crun/runc + slirp4netns measurement" end)' "$1"
}

# The crun (podman-like) or runc commands for hyperfine, appended to the array cmds; prints the
# runtime's name, or nothing when neither can run.
startup_other_cmds() {
	local work=$1 ns
	command -v slirp4netns >/dev/null || { say "slirp4netns is not installed: no start-up case against it"; return 0; }
	if command -v crun >/dev/null && make_podman_like "$work"; then
		ns="nsenter --user=/proc/$(cat "$work/userns.pid")/ns/user --preserve-credentials --"
		if $ns sh "$work/crun-net.sh" "$work" "$mtu" "probe-$$" </dev/null >/dev/null 2>&1; then
			cmds+=(-n "crun + slirp4netns" "$ns sh $work/crun-net.sh $work $mtu c\$\$"
				-n "crun" "$ns unshare --net crun --root $work/sc0 run --bundle $work/nbundle d\$\$")
			echo crun
			return 0
		fi
		say "crun cannot run the start-up bundle in a podman-like user namespace with slirp4netns: left out"
		crun --root "$work/sc" delete --force "probe-$$" >/dev/null 2>&1 || true
	fi
	command -v runc >/dev/null || return 0
	write_s4n_hook "$work"
	make_runc_bundle "$work"
	# the probe: it runs, and the hook brought tap0 up
	if runc --root "$work/sc" run --bundle "$work/rbundle" "probe-$$" </dev/null >/dev/null 2>&1 &&
		kill "$(cat "$work/s4n.pid")" 2>/dev/null; then
		cmds+=(-n "runc + slirp4netns" "runc --root $work/sc run --bundle $work/rbundle c\$\$ && kill \$(cat $work/s4n.pid)"
			-n "runc" "runc --root $work/sc0 run --bundle $work/sbundle d\$\$")
		echo runc
		return 0
	fi
	say "runc cannot run the start-up bundle with its slirp4netns hook: left out"
	runc --root "$work/sc" delete --force "probe-$$" >/dev/null 2>&1 || true
}

measure_startup() {
	local urun=$1 work=$2
	command -v hyperfine >/dev/null || { say "hyperfine is not installed: no start-up case"; return 0; }
	bash "$here/startup.sh" --bundle "$work/sbundle" "$urun"
	mkdir -m 0700 "$work/su" "$work/su0" "$work/sc" "$work/sc0"
	local -a cmds=(
		-n "urun --network slirp" "$urun --root $work/su run --network slirp --bundle $work/sbundle u\$\$"
		-n "urun" "$urun --root $work/su0 run --bundle $work/sbundle n\$\$"
	)
	local rt
	startup_other_cmds "$work" >"$work/rt"
	rt=$(cat "$work/rt")
	say "start-up: ${startup_runs} runs of each, in one hyperfine invocation"
	hyperfine -w 3 -r "$startup_runs" --export-json "$work/startup.json" "${cmds[@]}" >/dev/null 2>&1 ||
		{ say "hyperfine failed"; return 0; }
	startup_report "$work/startup.json" "${rt:-crun}"
}

median() {
	sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a"}'
}

# One case: every tool BENCH_RUNS times, interleaved, so that they share the machine's moods.  KIND ""
# measures through the gateway (measure_urun ...), "_pub" through a published port (measure_urun_pub
# ...); ARGS go to the measure functions.
# target_line NAME RATIO WANT: "  urun/NAME = RATIO   (target >= WANT: met|NOT met)"; no target
# when WANT is empty.
target_line() {
	local name=$1 r=$2 want=$3
	if [ -z "$want" ]; then
		printf '  %-16s = %s\n' "urun/$name" "$r"
		return
	fi
	printf '  %-16s = %s   (target >= %s: %s)\n' "urun/$name" "$r" "$want" \
		"$(awk -v r="$r" -v w="$want" 'BEGIN {print (r == "n/a" ? "no measurement" : (r >= w ? "met" : "NOT met"))}')"
}

# measure_direction URUN WORK PORT LABEL KIND S4N_TARGET PASTA_TARGET [IPERF3 ARGS...]: the targets
# are the ratios urun must reach against slirp4netns and pasta (empty: none).
measure_direction() {
	local urun=$1 work=$2 port=$3 label=$4 kind=$5 want_s4n=$6 want_pasta=$7
	shift 7
	local -a u=() s=() p=()
	local have_s4n=0 have_pasta=0 v i
	command -v slirp4netns >/dev/null && have_s4n=1
	command -v pasta >/dev/null && have_pasta=1
	for i in $(seq "$runs"); do
		v=$("measure_urun$kind" "$urun" "$work/bundle" "$work/root" "$port" "$@" || echo 0)
		u+=("$v")
		say "$label run $i: urun $v Gbit/s"
		if [ "$have_s4n" = 1 ]; then
			v=$("measure_slirp4netns$kind" "$work" "$port" "$@" || echo 0)
			s+=("$v")
			say "$label run $i: slirp4netns $v Gbit/s"
		fi
		if [ "$have_pasta" = 1 ]; then
			v=$("measure_pasta$kind" "$work" "$port" "$@" || echo 0)
			p+=("$v")
			say "$label run $i: pasta $v Gbit/s"
		fi
	done
	local mu ms mp
	mu=$(printf '%s\n' "${u[@]}" | median)
	ms=$( [ ${#s[@]} -gt 0 ] && printf '%s\n' "${s[@]}" | median || echo n/a)
	mp=$( [ ${#p[@]} -gt 0 ] && printf '%s\n' "${p[@]}" | median || echo n/a)
	echo
	echo "$label, MTU $mtu, ${time_s}s x $runs runs (median Gbit/s):"
	printf '  %-12s %s\n' urun "$mu" slirp4netns "$ms" pasta "$mp"
	target_line slirp4netns "$(ratio "$mu" "$ms")" "$want_s4n"
	target_line pasta "$(ratio "$mu" "$mp")" "$want_pasta"
}

measure() {
	local urun=$1
	command -v iperf3 >/dev/null || { say "iperf3 is not installed: nothing to measure"; exit 1; }
	[ -x "$(dirname "$urun")/urun-slirp" ] || say "warning: no urun-slirp next to $urun (urun then looks in its libexecdir)"
	# Globals: the EXIT trap needs them after this function has returned.
	work=$(mktemp -d "${TMPDIR:-/tmp}/urun-netbench.XXXXXX")
	bench_urun=$urun
	mkdir -m 0700 "$work/root"
	local port
	port=$(free_port)
	iperf3 -s -B 127.0.0.1 -p "$port" >/dev/null 2>&1 &
	server=$!
	trap 'set +e; kill $server 2>/dev/null; [ -f "$work/userns.pid" ] && kill "$(cat "$work/userns.pid")"; "$bench_urun" --root "$work/root" delete --force "bench-net-$$" >/dev/null 2>&1; "$bench_urun" --root "$work/root" delete --force "bench-pub-$$" >/dev/null 2>&1; rm -rf "$work"' EXIT
	make_iperf_bundle "$work/bundle" "$urun"
	for _ in $(seq 100); do ss -H -ltn "sport = :$port" | grep -q . && break; sleep 0.05; done

	say "probing urun"
	local probe
	probe=$(BENCH_TIME=1 time_s=1 measure_urun "$urun" "$work/bundle" "$work/root" "$port" 2>&1) || true
	if [ -z "$probe" ] || [ "$probe" = null ]; then
		say "urun cannot run iperf3 through slirp, stopping:"
		"$urun" --root "$work/root" run --bundle "$work/bundle" --network slirp --allow-host-loopback "bench-probe-$$" </dev/null >&2 || true
		exit 1
	fi
	command -v slirp4netns >/dev/null || say "slirp4netns is not installed: no urun/slirp4netns ratio"
	command -v pasta >/dev/null || say "pasta is not installed: skipped"

	if [ "$startup" = 1 ]; then
		measure_startup "$urun" "$work"
	fi
	# the project's targets (issue 14): container -> host keeps ahead of both; host -> container
	# at least 1.3 times slirp4netns and level with pasta
	measure_direction "$urun" "$work" "$port" "container -> host" "" 1.0 1.0
	if [ "$reverse" = 1 ]; then
		measure_direction "$urun" "$work" "$port" "host -> container (-R)" "" 1.3 1.0 -R
	fi
	if [ "$publish" = 1 ]; then
		command -v socat >/dev/null || say "socat is not installed: slirp4netns's API cannot be reached, its published-port runs count 0"
		measure_direction "$urun" "$work" "$(free_port)" "host -> container through a published port" _pub 1.3 1.0
	fi
}

# --- the entry point ----------------------------------------------------------------------------

case ${1:-} in
-h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
	exit 0
	;;
--measure)
	measure "$2"
	exit
	;;
esac

urun=${1:-$repo/build/urun}
if [ ! -x "$urun" ]; then
	say "building $urun"
	[ -f "$repo/build/meson-private/coredata.dat" ] || meson setup "$repo/build" >/dev/null
	meson compile -C "$repo/build" urun urun-slirp >/dev/null
fi
urun=$(realpath "$urun")

if [ "$(id -u)" -ne 0 ]; then
	"$0" --measure "$urun"
	exit
fi

# Root: install what is missing, then measure as the unprivileged test user.
. "$repo/bench/common.sh"
bench_root_setup urun-netbench-stage iperf3 slirp4netns passt uidmap jq busybox-static iproute2 hyperfine crun runc socat
cp "$urun" "$stage/urun"
[ -x "$(dirname "$urun")/urun-slirp" ] && cp "$(dirname "$urun")/urun-slirp" "$stage/urun-slirp"
cp "$here/network.sh" "$here/startup.sh" "$stage/bench/"
cp "$repo/tests/make-bundle.sh" "$repo/tests/free-port.sh" "$stage/tests/"
chmod -R a+rX "$stage"
# crun 1.8 cannot run rootless on this hybrid cgroup host as it is: the measurement then runs in a
# private mount view made for crun (bench_crun_private_view in common.sh), every tool alike.
bench_view=()
if [ "$startup" = 1 ] && command -v crun >/dev/null; then
	probe_dir=$(runuser -u "$user" -- mktemp -d /tmp/urun-netbench-probe.XXXXXX)
	(cd "$home" && runuser -u "$user" -- bash "$stage/bench/startup.sh" --bundle "$probe_dir/bundle" "$stage/urun")
	bench_crun_private_view "$probe_dir/bundle"
	rm -rf "$probe_dir"
fi

cd "$home"
"${bench_view[@]}" runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8 \
	PATH=/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin XDG_RUNTIME_DIR="/run/user/$uid" \
	BENCH_TIME="$time_s" BENCH_RUNS="$runs" BENCH_MTU="$mtu" BENCH_REVERSE="$reverse" BENCH_PUBLISH="$publish" \
	BENCH_STARTUP="$startup" \
	BENCH_STARTUP_RUNS="$startup_runs" \
	bash "$stage/bench/network.sh" --measure "$stage/urun"
