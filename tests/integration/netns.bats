#!/usr/bin/env bats
# Built-in slirp networking (netns/, issue 4), as the unprivileged test user: the tap device, host
# loopback allowed and refused, published TCP and UDP ports, DNS through 10.0.2.3 against a resolver
# the test runs itself (run.urun.dns-upstream), the helper's lifetime and sandbox, and the refusals.
# Every address the tests talk to is on this machine: 127.0.0.1 on the host, the container's own
# virtual network (10.0.2.0/24, fd00::/64) inside.

load helpers

# A small static program for both sides, built once per file: a UDP echo server (inside the
# container; busybox has no UDP server), a UDP client that sends one datagram and prints the answer,
# and a DNS responder (on the host) that answers every A query with one address and logs the names it
# was asked.
setup_file() {
	BUNDLE_NETWORK=slirp common_setup_file
	[ "$(id -u)" -ne 0 ] || return 0
	local src=$BATS_FILE_TMPDIR/netns-testsrv.c
	cat >"$src" <<'EOF'
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int udp_bind(const char *ip, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    inet_pton(AF_INET, ip, &a.sin_addr);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        perror("bind");
        exit(1);
    }
    return fd;
}

int main(int argc, char **argv)
{
    unsigned char b[4096];
    struct sockaddr_in peer;
    socklen_t pl;
    ssize_t n;

    if (argc == 3 && strcmp(argv[1], "udp-echo") == 0) {
        int fd = udp_bind("0.0.0.0", atoi(argv[2]));
        for (;;) {
            pl = sizeof(peer);
            if ((n = recvfrom(fd, b, sizeof(b), 0, (struct sockaddr *)&peer, &pl)) > 0)
                sendto(fd, b, (size_t)n, 0, (struct sockaddr *)&peer, pl);
        }
    }
    if (argc == 5 && strcmp(argv[1], "udp-ask") == 0) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[3]))};
        struct timeval tv = {.tv_sec = 0, .tv_usec = 300000};
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        inet_pton(AF_INET, argv[2], &a.sin_addr);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
            return 1;
        for (int i = 0; i < 30; i++) {
            send(fd, argv[4], strlen(argv[4]), 0);
            if ((n = recv(fd, b, sizeof(b) - 1, 0)) > 0) {
                b[n] = 0;
                printf("%s\n", b);
                return 0;
            }
        }
        return 1;
    }
    if (argc == 4 && strcmp(argv[1], "dns") == 0) {
        int fd = udp_bind("127.0.0.1", atoi(argv[2]));
        unsigned char addr[4];
        inet_pton(AF_INET, argv[3], addr);
        setvbuf(stdout, NULL, _IOLBF, 0);
        for (;;) {
            pl = sizeof(peer);
            n = recvfrom(fd, b, sizeof(b) - 16, 0, (struct sockaddr *)&peer, &pl);
            if (n < 17)
                continue;
            size_t i = 12;
            char name[256] = "";
            while (i < (size_t)n && b[i] && i + b[i] < (size_t)n && strlen(name) + b[i] + 2 < sizeof(name)) {
                strncat(name, (char *)b + i + 1, b[i]);
                strcat(name, ".");
                i += b[i] + 1u;
            }
            if (i + 5 > (size_t)n)
                continue;
            int type = b[i + 1] << 8 | b[i + 2];
            size_t end = i + 5;
            printf("query %s type %d\n", name, type);
            b[2] = 0x81, b[3] = 0x80;              /* response, recursion available */
            b[6] = 0, b[7] = type == 1;            /* one answer for A */
            b[8] = b[9] = b[10] = b[11] = 0;
            if (type == 1) {
                unsigned char rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};
                memcpy(b + end, rr, sizeof(rr));
                memcpy(b + end + sizeof(rr), addr, 4);
                end += sizeof(rr) + 4;
            }
            sendto(fd, b, end, 0, (struct sockaddr *)&peer, pl);
        }
    }
    fprintf(stderr, "usage: netns-testsrv udp-echo PORT | udp-ask IP PORT TEXT | dns PORT A.B.C.D\n");
    return 2;
}
EOF
	cc -static -O1 -o "$BATS_FILE_TMPDIR/netns-testsrv" "$src" >"$BATS_FILE_TMPDIR/testsrv.log" 2>&1 || true
}

setup() {
	common_setup
	if ! "$URUN" run --help 2>&1 | grep -q -- '--network'; then
		skip "this urun has no --network option"
	fi
	if [ ! -c /dev/net/tun ] || [ ! -r /dev/net/tun ] || [ ! -w /dev/net/tun ]; then
		skip "/dev/net/tun is missing or not read-write for $(id -un) (tests/setup-test-user.sh makes it 0666)"
	fi
	HOST_PIDS=()
	mkdir -p "$BUNDLE/rootfs/www"
	echo "hello from the container" >"$BUNDLE/rootfs/www/index.html"
}

teardown() {
	local p
	for p in "${HOST_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	common_teardown
}

# --- helpers ------------------------------------------------------------------------------------

# free_port [tcp|udp]: helpers.bash's.

# Waits until something listens on 127.0.0.1:PORT (PROTO tcp|udp).
wait_listen() {
	local port=$1 proto=${2:-tcp} opt=-ltn
	[ "$proto" = udp ] && opt=-lun
	for _ in $(seq 200); do
		ss -H "$opt" "sport = :$port" | grep -q . && return 0
		sleep 0.05
	done
	echo "nothing listens on $proto port $port" >&2
	return 1
}

# An HTTP server on the host's loopback serving $HOST_WWW/index.html; sets HOST_PORT.
start_host_http() {
	HOST_WWW=$BATS_TEST_TMPDIR/host-www
	mkdir -p "$HOST_WWW"
	echo "hello from the host" >"$HOST_WWW/index.html"
	HOST_PORT=$(free_port)
	busybox httpd -f -p "127.0.0.1:$HOST_PORT" -h "$HOST_WWW" &
	HOST_PIDS+=($!)
	wait_listen "$HOST_PORT"
}

need_testsrv() {
	if [ ! -x "$BATS_FILE_TMPDIR/netns-testsrv" ]; then
		skip "cannot build the static test server (cc -static): $(tail -n 3 "$BATS_FILE_TMPDIR/testsrv.log")"
	fi
	cp "$BATS_FILE_TMPDIR/netns-testsrv" "$BUNDLE/rootfs/bin/netns-testsrv"
}

# The PIDs of the slirp helper(s) serving container init PID (its argv names the init).
helper_of() {
	procs_with "urun-slirp --init-pid $1 "
}

# Waits until no helper serves init PID.
wait_no_helper() {
	local pid=$1 left
	for _ in $(seq 100); do
		left=$(helper_of "$pid")
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	echo "slirp helper(s) $left still serve container init $pid" >&2
	return 1
}

# The slirp helper of container ID, from the container's own state (procs: "helper PID START").
helper_from_state() {
	awk '$1 == "helper" { print $2 }' "$URUN_ROOT/$1/procs"
}

# Waits until the echo server (nc -ll -e cat) behind published port PORT answers.
wait_echo() {
	local port=$1 out=
	for _ in $(seq 100); do
		out=$(echo ready | timeout 5 busybox nc 127.0.0.1 "$port" 2>/dev/null) || true
		[ "$out" = ready ] && return 0
		sleep 0.1
	done
	echo "no echo through published port $port" >&2
	return 1
}

# Runs a detached slirp container whose process is the shell script SCRIPT, with extra options.
run_net_detached() {
	local id=$1 script=$2
	shift 2
	bundle_args sh -c "$script"
	run_detached run --detach --bundle "$BUNDLE" --network slirp "$@" "$id"
	if [ "$status" -ne 0 ]; then
		echo "urun run --detach $id failed with status $status: $output" >&2
		return 1
	fi
}

# --- what the container gets --------------------------------------------------------------------

@test "slirp: tap0 has its addresses, MTU and routes when the container's process starts" {
	bundle_args sh -c 'ip addr show tap0; ip route; ip -6 route; cat /etc/resolv.conf'
	run urun run --bundle "$BUNDLE" --network slirp net1
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	assert_contains "$output" "mtu 65520"
	assert_contains "$output" "inet 10.0.2.100/24"
	assert_contains "$output" "inet6 fd00::100/64"
	assert_contains "$output" "default via 10.0.2.2 dev tap0"
	assert_contains "$output" "default via fd00::2 dev tap0"
	assert_contains "$output" "nameserver 10.0.2.3"
}

@test "slirp: tap0 is persistent, so the helper's exit never waits for the device to be unregistered" {
	# closing the last fd of a non-persistent tap unregisters it (~15 ms of RCU grace periods), and
	# `run` and `delete` wait for the helper's exit; a persistent tap0 goes with the namespace instead
	bundle_args sh -c 'cat /sys/class/net/tap0/tun_flags'
	run urun run --bundle "$BUNDLE" --network slirp persist1
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	# IFF_PERSIST is 0x0800 (linux/if_tun.h); IFF_TAP 0x0002 and IFF_NO_PI 0x1000 as before
	[ $(( output & 0x0800 )) -ne 0 ] || { echo "tun_flags $output: not persistent" >&2; return 1; }
	[ $(( output & 0x1002 )) -eq $(( 0x1002 )) ] || { echo "tun_flags $output" >&2; return 1; }
}

@test "slirp: the network chosen by annotations, MTU from run.urun.mtu" {
	bundle_jq '.annotations["run.urun.network"] = "slirp" | .annotations["run.urun.mtu"] = "1500"'
	bundle_args sh -c 'ip link show tap0'
	run urun run --bundle "$BUNDLE" net2
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	assert_contains "$output" "mtu 1500"
}

@test "slirp: --network none overrides the annotation: loopback only" {
	bundle_jq '.annotations["run.urun.network"] = "slirp"'
	bundle_args sh -c 'ip -o link | cut -d: -f2'
	run urun run --bundle "$BUNDLE" --network none net3
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	assert_equal "$(echo $output)" "lo"
}

@test "network: spec --rootless asks for no network (loopback only); --network slirp and host are on request" {
	run urun spec --rootless --bundle "$BATS_TEST_TMPDIR"
	[ "$status" -eq 0 ]
	assert_equal "$(jq -r '.annotations["run.urun.network"]' "$BATS_TEST_TMPDIR/config.json")" "null"
	local spec_bundle=$BATS_TEST_TMPDIR/specb
	new_bundle "$spec_bundle"
	cp "$BATS_TEST_TMPDIR/config.json" "$spec_bundle/config.json"
	BUNDLE=$spec_bundle bundle_args sh -c 'ls /sys/class/net | tr "\n" " "'
	run --separate-stderr urun run --bundle "$spec_bundle" lo-only
	[ "$status" -eq 0 ]
	[ "$output" = "lo " ]
	run --separate-stderr urun run --network slirp --bundle "$spec_bundle" with-slirp
	[ "$status" -eq 0 ]
	[[ $output == *tap0* ]]
	# host: the caller's network namespace (MPI, InfiniBand), no slirp helper
	run --separate-stderr urun run --network host --bundle "$spec_bundle" hostnet
	[ "$status" -eq 0 ]
	[ "$output" = "$(ls /sys/class/net | tr '\n' ' ')" ]
	BUNDLE=$spec_bundle bundle_args readlink /proc/self/ns/net
	run --separate-stderr urun run --network host --bundle "$spec_bundle" hostnet2
	[ "$output" = "$(readlink /proc/self/ns/net)" ]
}

@test "slirp: a rootfs without /etc/resolv.conf is never written: DNS is left out, with a warning" {
	rm -f "$BUNDLE/rootfs/etc/resolv.conf"
	# a site-wide image: read-only for the user (here: the user's own, made read-only)
	chmod a-w "$BUNDLE/rootfs/etc"
	bundle_args sh -c 'ip addr show tap0 >/dev/null && echo net-up'
	run --separate-stderr urun run --bundle "$BUNDLE" nores
	chmod u+w "$BUNDLE/rootfs/etc"
	[ "$status" -eq 0 ]
	[ "$output" = net-up ]
	assert_contains "$stderr" "the rootfs has no /etc/resolv.conf"
	[ ! -e "$BUNDLE/rootfs/etc/resolv.conf" ]
}

@test "slirp: /etc/resolv.conf is left alone when the spec mounts one" {
	printf 'nameserver 192.0.2.1\n' >"$BATS_TEST_TMPDIR/my-resolv.conf"
	bundle_jq --arg src "$BATS_TEST_TMPDIR/my-resolv.conf" \
		'.mounts += [{"destination": "/etc/resolv.conf", "type": "bind", "source": $src, "options": ["bind", "ro"]}]'
	bundle_args cat /etc/resolv.conf
	run urun run --bundle "$BUNDLE" --network slirp net4
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	assert_equal "$output" "nameserver 192.0.2.1"
}

# --- host loopback ------------------------------------------------------------------------------

@test "slirp: the host's loopback is reachable at 10.0.2.2 with --allow-host-loopback" {
	start_host_http
	bundle_args busybox timeout 10 wget -q -O- "http://10.0.2.2:$HOST_PORT/index.html"
	run urun run --bundle "$BUNDLE" --network slirp --allow-host-loopback hl1
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	assert_equal "$output" "hello from the host"
}

@test "slirp: ... and with the annotation run.urun.allow-host-loopback" {
	start_host_http
	bundle_jq '.annotations["run.urun.network"] = "slirp" | .annotations["run.urun.allow-host-loopback"] = "true"'
	bundle_args busybox timeout 10 wget -q -O- "http://10.0.2.2:$HOST_PORT/index.html"
	run urun run --bundle "$BUNDLE" hl2
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	assert_equal "$output" "hello from the host"
}

@test "slirp: without allow-host-loopback, connections to 10.0.2.2 fail at once" {
	start_host_http
	bundle_args sh -c "busybox timeout 10 wget -q -O- http://10.0.2.2:$HOST_PORT/index.html; echo status=\$?"
	local t0=$SECONDS
	run urun run --bundle "$BUNDLE" --network slirp hl3
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	assert_contains "$output" "status=1"
	[[ $output != *"hello from the host"* ]]
	# refused, not timed out
	[ $((SECONDS - t0)) -lt 8 ]
}

# --- published ports ----------------------------------------------------------------------------

# fetch_retry URL: the body at URL, retried for up to 5 s while the server inside comes up (each
# attempt bounded; busybox wget -T crashes, so timeout bounds it); empty when it never answered.
fetch_retry() {
	local body
	for _ in $(seq 50); do
		body=$(busybox timeout 5 busybox wget -q -O- "$1" 2>/dev/null) && break
		body=
		sleep 0.1
	done
	printf '%s' "$body"
}

@test "slirp: a host client reaches the container's server through a published TCP port" {
	local port
	port=$(free_port)
	run_net_detached pub1 'httpd -f -p 80 -h /www' -p "127.0.0.1:$port:80"
	wait_listen "$port"
	local out
	out=$(fetch_retry "http://127.0.0.1:$port/index.html")
	assert_equal "$out" "hello from the container"
}

@test "slirp: a published port on the host's IPv6 loopback" {
	[ -e /proc/net/if_inet6 ] || skip "this host has no IPv6"
	local port
	port=$(free_port)
	run_net_detached pub6 'httpd -f -p 80 -h /www' -p "[::1]:$port:80"
	wait_listen "$port"
	local out
	out=$(fetch_retry "http://[::1]:$port/index.html")
	assert_equal "$out" "hello from the container"
}

@test "slirp: the host IP of a published port defaults to 127.0.0.1" {
	local port
	port=$(free_port)
	run_net_detached pub2 'httpd -f -p 80 -h /www' --publish "$port:80"
	wait_listen "$port"
	run ss -H -ltn "sport = :$port"
	assert_contains "$output" "127.0.0.1:$port"
	[[ $output != *"0.0.0.0:$port"* ]]
	[[ $output != *"*:$port"* ]]
}

@test "slirp: a UDP echo through a published UDP port" {
	need_testsrv
	local port
	port=$(free_port udp)
	run_net_detached pub3 'exec netns-testsrv udp-echo 7' -p "127.0.0.1:$port:7/udp"
	wait_listen "$port" udp
	run "$BATS_FILE_TMPDIR/netns-testsrv" udp-ask 127.0.0.1 "$port" "ping $port"
	assert_equal "$output" "ping $port"
	# a second client gets its own answers
	run "$BATS_FILE_TMPDIR/netns-testsrv" udp-ask 127.0.0.1 "$port" "pong $port"
	assert_equal "$output" "pong $port"
}

@test "slirp: ports published by annotation" {
	local port
	port=$(free_port)
	bundle_jq --arg p "127.0.0.1:$port:80/tcp" '.annotations["run.urun.network"] = "slirp" | .annotations["run.urun.publish"] = $p'
	bundle_args httpd -f -p 80 -h /www
	run_detached run --detach --bundle "$BUNDLE" pub4
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	wait_listen "$port"
	local out
	out=$(fetch_retry "http://127.0.0.1:$port/index.html")
	assert_equal "$out" "hello from the container"
}

@test "slirp: 64 MiB through a published TCP port arrive intact, there and back" {
	local port sum
	port=$(free_port)
	run_net_detached big1 'nc -ll -p 8000 -e cat' -p "127.0.0.1:$port:8000"
	wait_echo "$port"
	head -c $((64 << 20)) /dev/urandom >"$BATS_TEST_TMPDIR/big"
	sum=$(timeout 60 busybox nc 127.0.0.1 "$port" <"$BATS_TEST_TMPDIR/big" | sha256sum)
	assert_equal "$sum" "$(sha256sum <"$BATS_TEST_TMPDIR/big")"
}

@test "slirp: a forwarded TCP connection comes from the container's own address, not 10.0.2.2" {
	# spliced (the helper connects from inside the container's network namespace), not libslirp's
	# hostfwd, whose connections came from the gateway
	mkdir -p "$BUNDLE/rootfs/www/cgi-bin"
	printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "peer $REMOTE_ADDR"\n' \
		>"$BUNDLE/rootfs/www/cgi-bin/peer"
	chmod 0755 "$BUNDLE/rootfs/www/cgi-bin/peer"
	local port out=
	port=$(free_port)
	run_net_detached peer1 'httpd -f -p 0.0.0.0:80 -h /www' -p "127.0.0.1:$port:80"
	out=$(fetch_retry "http://127.0.0.1:$port/cgi-bin/peer")
	assert_equal "$out" "peer 10.0.2.100"
}

@test "slirp: the end of a client's data reaches the container's server, which still answers" {
	local port out
	port=$(free_port)
	run_net_detached half1 'nc -ll -p 8000 -e sh -c "n=\$(wc -c); echo got \$n bytes, then end of file"' \
		-p "127.0.0.1:$port:8000"
	wait_listen "$port"
	# busybox nc shuts its write side at the end of its input and reads on until the server closes
	for _ in $(seq 50); do
		out=$(printf '0123456789' | timeout 10 busybox nc 127.0.0.1 "$port" 2>/dev/null) || true
		[ -n "$out" ] && break
		sleep 0.1
	done
	assert_equal "$out" "got 10 bytes, then end of file"
}

@test "slirp: a container server bound to its loopback only cannot be reached through a published port" {
	local port_lo port_all out
	port_lo=$(free_port)
	port_all=$(free_port)
	run_net_detached lo1 'httpd -p 127.0.0.1:80 -h /www; exec httpd -f -p 81 -h /www' \
		-p "127.0.0.1:$port_lo:80" -p "127.0.0.1:$port_all:81"
	# the container is up once its server on all addresses answers
	out=$(fetch_retry "http://127.0.0.1:$port_all/index.html")
	assert_equal "$out" "hello from the container"
	run busybox timeout 5 busybox wget -q -O- "http://127.0.0.1:$port_lo/index.html"
	[ "$status" -ne 0 ]
	[[ $output != *"hello from the container"* ]]
}

@test "slirp: a connection to a published port where nothing listens inside is closed at once" {
	local port t0
	port=$(free_port)
	run_net_detached none1 "sleep $SLEEP_ARG" -p "127.0.0.1:$port:8000"
	wait_listen "$port"
	t0=$SECONDS
	run timeout 20 busybox nc 127.0.0.1 "$port" </dev/null
	# 124: timeout had to end it
	[ "$status" -ne 124 ]
	[ -z "$output" ]
	[ $((SECONDS - t0)) -lt 10 ]
}

@test "slirp: the helper holds no fd of finished connections" {
	local port hp before after i out
	port=$(free_port)
	run_net_detached fds1 'nc -ll -p 8000 -e cat' -p "127.0.0.1:$port:8000"
	wait_echo "$port"
	hp=$(helper_from_state fds1)
	[ -n "$hp" ] && [ -d "/proc/$hp/fd" ]
	before=$(ls "/proc/$hp/fd" | wc -l)
	for i in $(seq 50); do
		out=$(echo "ping $i" | timeout 10 busybox nc 127.0.0.1 "$port")
		assert_equal "$out" "ping $i"
	done
	# the helper closes a connection once both of its directions are done: soon after the client
	for _ in $(seq 50); do
		after=$(ls "/proc/$hp/fd" | wc -l)
		[ "$after" -eq "$before" ] && break
		sleep 0.1
	done
	[ "$after" -eq "$before" ] || { ls -l "/proc/$hp/fd" >&2; echo "$before fds before, $after after" >&2; return 1; }
}

@test "slirp: the socket factory is in the container's namespaces, sandboxed, holds one socket, and ends with the helper" {
	local port pid hp fp target fd
	port=$(free_port)
	run_net_detached fac1 "sleep $SLEEP_ARG" -p "127.0.0.1:$port:8000"
	pid=$(state_field fac1 .pid)
	hp=$(helper_from_state fac1)
	fp=$(tr -d ' ' <"/proc/$hp/task/$hp/children")
	[ -n "$fp" ] || { echo "the helper $hp has no child" >&2; return 1; }
	assert_equal "$(cat "/proc/$fp/comm")" urun-slirp-sock
	assert_equal "$(readlink "/proc/$fp/ns/net")" "$(readlink "/proc/$pid/ns/net")"
	assert_equal "$(readlink "/proc/$fp/ns/user")" "$(readlink "/proc/$pid/ns/user")"
	run grep -E '^(NoNewPrivs|Seccomp):' "/proc/$fp/status"
	assert_contains "$output" "NoNewPrivs:	1"
	assert_contains "$output" "Seccomp:	2"
	for fd in /proc/"$fp"/fd/*; do
		target=$(readlink "$fd")
		case ${fd##*/}:$target in
		[012]:/dev/null | [0-9]*:socket:*) ;;
		*)
			echo "the socket factory holds $fd -> $target" >&2
			return 1
			;;
		esac
	done
	[ "$(ls "/proc/$fp/fd" | grep -c .)" -eq 4 ]
	# the helper itself keeps none of the container's namespaces
	run sh -c "ls -l /proc/$hp/fd | grep -E 'net:|user:'"
	[ "$status" -ne 0 ]
	kill -9 "$hp"
	for _ in $(seq 100); do
		pid_alive "$fp" || return 0
		sleep 0.05
	done
	echo "the socket factory $fp outlived its helper $hp" >&2
	return 1
}

# The attacker's view: a container that shares the host's pid namespace (HPC style, /proc bound from
# the host) sees urun-slirp and its socket factory.  Every access that needs ptrace rights must fail:
# urun-slirp is in the host's user namespace, and the factory, in the container's, holds capabilities
# the container lacks.  The probe is checked on the container's own process, where it must succeed.
@test "slirp: a container without its own pid namespace can neither read nor trace urun-slirp or its factory" {
	bundle_jq '.linux.namespaces |= map(select(.type != "pid")) |
		.mounts |= map(if .destination == "/proc" then {"destination": "/proc", "type": "bind",
			"source": "/proc", "options": ["rbind", "nosuid", "noexec", "nodev"]} else . end)'
	bundle_args sh -c '
		probe() {
			# (a process that is exiting, as the helper of another test may be, has no memory
			# left: its files open and read as empty, which gives nothing away)
			[ -n "$(head -c 16 "$1/environ" 2>/dev/null | tr "\0" " ")" ] && echo "read $1/environ"
			[ -n "$(head -c 16 "$1/maps" 2>/dev/null)" ] && echo "read $1/maps"
			readlink "$1/fd/0" >/dev/null 2>&1 && echo "readlink $1/fd/0"
			ls "$1/root/" >/dev/null 2>&1 && echo "listed $1/root"
		}
		[ "$(probe /proc/self | wc -l)" -eq 4 ] && echo "probe works"
		seen=0
		for p in /proc/[0-9]*; do
			case $(cat "$p/comm" 2>/dev/null) in urun-slirp | urun-slirp-sock) ;; *) continue ;; esac
			seen=$((seen + 1))
			probe "$p"
		done
		[ "$seen" -ge 2 ] && echo "helpers seen"'
	run --separate-stderr urun run --bundle "$BUNDLE" --network slirp -p "127.0.0.1:$(free_port):8000" trace1
	[ "$status" -eq 0 ]
	assert_equal "$output" "probe works
helpers seen"
}

# Under a subreaper (as a container engine or a batch system often is), whatever `run` leaves running
# or unreaped comes to it; with a PID 1 that does not reap, a zombie would stay for good.
@test "slirp: run leaves nothing to reap: its helper and socket factory are collected, not handed on" {
	bundle_args true
	run python3 - "$URUN" "$URUN_ROOT" "$BUNDLE" "$(free_port)" <<'EOF'
import ctypes, os, subprocess, sys, time
urun, root, bundle, port = sys.argv[1:]
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    sys.exit("prctl failed")
r = subprocess.run([urun, "--root", root, "run", "--bundle", bundle, "--network", "slirp",
                    "-p", "127.0.0.1:%s:8000" % port, "reap1"])
if r.returncode != 0:
    sys.exit("run failed: %d" % r.returncode)
time.sleep(1)  # for a process that dies with the helper to be handed on
def name(pid):
    try:
        with open("/proc/%s/comm" % pid) as f:
            return "%s (%s)" % (pid, f.read().strip())
    except OSError:
        return str(pid)
left = [name(p) for p in open("/proc/self/task/%d/children" % os.getpid()).read().split()]
while True:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid == 0:
        break
    left.append("%d reaped here" % pid)
print("left: %s" % " ".join(left) if left else "nothing left")
EOF
	[ "$status" -eq 0 ]
	assert_equal "$output" "nothing left"
}

# --- DNS ----------------------------------------------------------------------------------------

@test "slirp: DNS at 10.0.2.3 resolves against the resolver given by run.urun.dns-upstream" {
	need_testsrv
	local port
	port=$(free_port udp)
	"$BATS_FILE_TMPDIR/netns-testsrv" dns "$port" 192.0.2.77 >"$BATS_TEST_TMPDIR/dns.log" 2>&1 &
	HOST_PIDS+=($!)
	wait_listen "$port" udp
	bundle_jq --arg u "127.0.0.1:$port" '.annotations["run.urun.dns-upstream"] = $u'
	bundle_args busybox timeout 10 nslookup -type=a probe.urun.test
	run urun run --bundle "$BUNDLE" --network slirp dns1
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	assert_contains "$output" "Address: 192.0.2.77"
	run cat "$BATS_TEST_TMPDIR/dns.log"
	assert_contains "$output" "query probe.urun.test. type 1"
}

# --- the helper ---------------------------------------------------------------------------------

@test "slirp: the helper is sandboxed and holds no fd it does not need" {
	run_net_detached sb1 "sleep $SLEEP_ARG"
	local pid hp
	pid=$(state_field sb1 .pid)
	hp=$(helper_of "$pid")
	[ -n "$hp" ] || { echo "no helper serves init $pid" >&2; return 1; }
	run grep -E '^(NoNewPrivs|Seccomp):' "/proc/$hp/status"
	assert_contains "$output" "NoNewPrivs:	1"
	assert_contains "$output" "Seccomp:	2"
	local fd target
	for fd in /proc/"$hp"/fd/*; do
		target=$(readlink "$fd")
		case $target in
		/dev/null | /dev/net/tun | socket:* | anon_inode:*pidfd* | anon_inode:\[pidfd\] | pidfd:*) ;;
		*"$CTR_ERR" | *"$CTR_OUT") ;; # urun's stderr, the runtime log without --log
		*)
			echo "the helper holds $fd -> $target" >&2
			return 1
			;;
		esac
	done
}

@test "slirp: no helper remains after delete" {
	run_net_detached life1 "sleep $SLEEP_ARG"
	local pid
	pid=$(state_field life1 .pid)
	[ -n "$(helper_of "$pid")" ]
	run urun delete --force life1
	[ "$status" -eq 0 ]
	wait_no_helper "$pid"
}

@test "slirp: no helper remains after the container exits by itself" {
	run_net_detached life2 "sleep 0.5"
	local pid
	pid=$(state_field life2 .pid)
	wait_status life2 stopped
	wait_no_helper "$pid"
	bundle_args true
	run urun run --bundle "$BUNDLE" --network slirp life3
	[ "$status" -eq 0 ]
	# the helper's argv carries urun's, and so this test's state root
	# (only this test's: another user's urun-slirp may run on the machine; the loop's status used to
	# come from `grep && echo` of whichever helper came last, failing the test on someone else's)
	local left p
	for _ in $(seq 100); do
		left=
		for p in $(procs_with "urun-slirp --init-pid"); do
			if grep -qF "$URUN_ROOT" "/proc/$p/cmdline" 2>/dev/null; then
				left+=" $p"
			fi
		done
		[ -z "$left" ] && break
		sleep 0.05
	done
	[ -z "$left" ] || { echo "helper(s) left after run: $left" >&2; return 1; }
}

@test "slirp: no helper remains after kill -9 of the container's init" {
	run_net_detached life4 "sleep $SLEEP_ARG"
	local pid
	pid=$(state_field life4 .pid)
	[ -n "$(helper_of "$pid")" ]
	kill -9 "$pid"
	wait_no_helper "$pid"
}

@test "slirp: the helper logs to the runtime log" {
	local log=$BATS_TEST_TMPDIR/runtime.log
	bundle_args true
	run timeout -k 5 "$URUN_TEST_TIMEOUT" "$URUN" --root "$URUN_ROOT" --log "$log" --log-format json run \
		--bundle "$BUNDLE" --network slirp log1 3>&-
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	run grep 'urun-slirp: serving container init' "$log"
	[ "$status" -eq 0 ] || { cat "$log" >&2; return 1; }
	echo "$output" | head -n 1 | jq -e '.level == "info" and (.msg | startswith("urun-slirp: serving container init "))
		and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{9}Z$"))' >/dev/null
}

@test "slirp: the helper's text log lines read like urun's own" {
	local log=$BATS_TEST_TMPDIR/runtime.log
	bundle_args true
	run timeout -k 5 "$URUN_TEST_TIMEOUT" "$URUN" --root "$URUN_ROOT" --log "$log" run \
		--bundle "$BUNDLE" --network slirp logt1 3>&-
	[ "$status" -eq 0 ] || { echo "$output" >&2; return 1; }
	# the same stamp (RFC 3339, nanoseconds, UTC) and "level: " as urun's lines, the helper named first
	run grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{9}Z info: urun-slirp: serving container init [0-9]+: tap0 mtu 65520, 0 published port[(]s[)]$' "$log"
	[ "$status" -eq 0 ] || { cat "$log" >&2; return 1; }
}

@test "slirp: the helper keeps none of the caller's fds: out=\$(urun run -d ... 2>&1) returns at once" {
	# the container lets go of the stdio it inherits: only urun's (and its helper's) hold the pipe
	bundle_args sh -c "exec </dev/null >/dev/null 2>&1; sleep $SLEEP_ARG"
	local t0=$SECONDS out
	out=$(timeout 20 "$URUN" --root "$URUN_ROOT" run -d --network slirp --bundle "$BUNDLE" det1 \
		</dev/null 2>&1 3>&-) || { echo "run -d failed: $out" >&2; return 1; }
	# it used to return only when the container exited (the helper held the pipe)
	[ $((SECONDS - t0)) -lt 10 ]
	[ "$(state_field det1 .status)" = running ]
}

# --- refusals -----------------------------------------------------------------------------------

@test "slirp: bad settings fail before anything is created" {
	local port
	bundle_args true
	run --separate-stderr urun create --bundle "$BUNDLE" --network bogus bad1
	assert_urun_error '"bogus"'
	assert_nothing_left bad1

	bundle_jq '.annotations["run.urun.network"] = "tap"'
	run --separate-stderr urun create --bundle "$BUNDLE" bad1b
	assert_urun_error 'annotation run.urun.network: "tap": unknown network mode; expected none, slirp or host'
	assert_nothing_left bad1b
	bundle_jq 'del(.annotations["run.urun.network"])'

	run --separate-stderr urun create --bundle "$BUNDLE" --network slirp -p 8080 bad2
	assert_urun_error '--publish "8080": expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]'
	assert_nothing_left bad2

	run --separate-stderr urun create --bundle "$BUNDLE" --network slirp -p 9999:80/sctp bad3
	assert_urun_error 'protocol "sctp": expected tcp or udp'
	assert_nothing_left bad3

	run --separate-stderr urun create --bundle "$BUNDLE" --network slirp -p 9999:80 -p 9999:81 bad4
	assert_urun_error 'duplicate host port'
	assert_nothing_left bad4

	run --separate-stderr urun create --bundle "$BUNDLE" --network none -p 9999:80 bad5
	assert_urun_error '--publish needs the slirp network'
	assert_nothing_left bad5

	bundle_jq '.annotations["run.urun.mtu"] = "70000"'
	run --separate-stderr urun create --bundle "$BUNDLE" --network slirp bad6
	assert_urun_error 'annotation run.urun.mtu: "70000": expected a number from 1280 to 65520'
	assert_nothing_left bad6
}

@test "slirp: a host port already in use fails create cleanly" {
	start_host_http
	bundle_args true
	run --separate-stderr urun create --bundle "$BUNDLE" --network slirp -p "127.0.0.1:$HOST_PORT:80" busy1
	assert_urun_error "publish 127.0.0.1:$HOST_PORT/tcp: the host port is already in use"
	assert_nothing_left busy1
}

@test "slirp: a spec without a network namespace of its own cannot have slirp" {
	bundle_jq '.linux.namespaces |= map(select(.type != "network"))'
	bundle_args true
	run --separate-stderr urun create --bundle "$BUNDLE" --network slirp nons1
	assert_urun_error 'the spec has no network namespace'
	assert_nothing_left nons1
}
