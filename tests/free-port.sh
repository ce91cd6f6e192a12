# Sourced by the bats helpers, tests/integration/run.sh (Slurm's two ports) and bench/network.sh.
#
# free_port [tcp|udp] [COUNT]: a port, the first of COUNT consecutive ones, that no socket of that
# protocol uses in any state, taken below the kernel's ephemeral range (net.ipv4.ip_local_port_range):
# inside it an outgoing connection of anything running beside may take the port before the caller
# binds it (seen once in CI: slurmd's "Address already in use"), which a check for listeners does
# not see.  Above the range when there is no room below it.
free_port() {
	local opt=-Hatn count=${2:-1} lo=32768 hi=60999 base=10000 span p k busy
	[ "${1:-tcp}" = udp ] && opt=-Haun
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	span=$((lo - base - count))
	if [ "$span" -lt 1000 ]; then # no room below it: above, else anywhere
		base=$((hi + 1)) span=$((65535 - hi - count))
		[ "$span" -ge 1000 ] || base=20000 span=30000
	fi
	for _ in $(seq 100); do
		p=$((base + RANDOM % span))
		busy=
		for ((k = 0; k < count; k++)); do
			if [ -n "$(ss "$opt" "sport = :$((p + k))" 2>/dev/null)" ]; then
				busy=1
				break
			fi
		done
		if [ -z "$busy" ]; then
			echo "$p"
			return 0
		fi
	done
	echo "free_port: no free port found" >&2
	return 1
}
