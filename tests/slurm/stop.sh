#!/bin/bash
# Stops what tests/slurm/setup.sh started in DIR and removes DIR: cancels the cluster's jobs, stops
# slurmd, slurmctld and munged through their pid files, then kills what is still left of the cluster
# (slurmstepd and the jobs' processes carry SLURM_CONF=DIR/etc/slurm.conf in their environment). Only
# processes of this cluster are touched. Bounded: about 15 s at most. Root only; idempotent.
#
# usage: tests/slurm/stop.sh [DIR]   (default /run/urun-slurm)
set -uo pipefail

dir=${1:-/run/urun-slurm}
[ -d "$dir" ] || exit 0
dir=$(cd "$dir" && pwd -P)
conf=$dir/etc/slurm.conf

# PID from DIR/run/NAME.pid when that process is still NAME (not a recycled pid).
daemon_pid() {
	local f=$dir/run/$1.pid pid
	[ -f "$f" ] || return 1
	pid=$(cat "$f" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] && echo "$pid"
}

# Processes whose environment names this cluster's slurm.conf.
cluster_procs() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" != "$$" ] || continue
		if tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -qxF "SLURM_CONF=$conf"; then
			echo "${p#/proc/}"
		fi
	done
}

# Waits up to TENTHS tenths of a second for all PIDS to be gone.
wait_gone() {
	local tenths=$1 p alive
	shift
	for _ in $(seq "$tenths"); do
		alive=0
		for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}

if [ -f "$conf" ] && daemon_pid slurmctld >/dev/null; then
	export SLURM_CONF=$conf
	jobs=$(timeout 5 squeue -h -o %i 2>/dev/null)
	if [ -n "$jobs" ]; then
		# shellcheck disable=SC2086 # one job id per word
		timeout 5 scancel $jobs 2>/dev/null
		for _ in $(seq 80); do
			[ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break
			sleep 0.1
		done
	fi
fi

pids=()
for d in slurmd slurmctld munged; do
	if p=$(daemon_pid "$d"); then
		kill -TERM "$p" 2>/dev/null && pids+=("$p")
	fi
done
if [ "${#pids[@]}" -gt 0 ] && ! wait_gone 50 "${pids[@]}"; then
	kill -KILL "${pids[@]}" 2>/dev/null
	wait_gone 20 "${pids[@]}"
fi

mapfile -t left < <(cluster_procs)
if [ "${#left[@]}" -gt 0 ]; then
	kill -KILL "${left[@]}" 2>/dev/null
	wait_gone 20 "${left[@]}"
fi
rm -rf "$dir"
