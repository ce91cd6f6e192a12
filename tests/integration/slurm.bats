#!/usr/bin/env bats
# urun under a real Slurm 22.05 (Debian's slurm-wlm): `srun --container` of a bundle root made with
# `urun spec --rootless`, run through the README's oci.conf. The cluster is private to the suite:
# tests/integration/run.sh starts it as root (tests/slurm/setup.sh) and passes SLURM_CONF; it stops it
# when the run ends. Each test looks only at its own job (a job name of its own) and its own steps'
# containers in the state root the oci.conf names (/tmp/urun-UID).

load helpers

setup() {
	if [ "$(id -u)" -eq 0 ]; then
		skip "the integration tests never run urun as root (use tests/integration/run.sh)"
	fi
	if [ -z "${SLURM_CONF:-}" ] || ! timeout 10 sinfo -h >/dev/null 2>&1; then
		if [ -n "${CI:-}" ]; then
			echo "CI starts a private Slurm (tests/slurm/setup.sh from run.sh as root), but none answers" \
				"(SLURM_CONF=${SLURM_CONF:-unset}; see run.sh's output)" >&2
			return 1
		fi
		skip "no Slurm: tests/integration/run.sh run as root starts one (tests/slurm/setup.sh)"
	fi
	SLURM_DIR=${SLURM_CONF%/etc/slurm.conf}
	BUNDLE=$SLURM_DIR/bundle
	STATE_ROOT=/tmp/urun-$(id -u)
	SLEEP_ARG=1$(printf '%04d%05d' "$(((${URUN_TEST_NUMBER_BASE:-0} + BATS_SUITE_TEST_NUMBER) % 10000))" "$RANDOM")
	JOB_NAME=urun-bats-$SLEEP_ARG
	SRUN_OUT=$BATS_TEST_TMPDIR/srun.out
	SRUN_PID=
}

teardown() {
	[ -n "${JOB_NAME:-}" ] || return 0
	timeout 10 scancel --name "$JOB_NAME" 2>/dev/null || true
	if [ -n "$SRUN_PID" ]; then
		wait_gone_pid "$SRUN_PID" 150 || kill -KILL "$SRUN_PID" 2>/dev/null || true
	fi
	wait_job_gone 150 || true
	check_no_leftover_processes
}

# srun ARGS... in the background (its output in $SRUN_OUT); fd 3 closed as for urun.
srun_bg() {
	timeout -k 5 "$URUN_TEST_TIMEOUT" srun --job-name "$JOB_NAME" "$@" </dev/null >"$SRUN_OUT" 2>&1 3>&- &
	SRUN_PID=$!
}

# The id of this test's job ("" when it has none in the queue).
job_id() {
	timeout 10 squeue -h --name "$JOB_NAME" -o %i 2>/dev/null | head -n 1
}

# Waits until this test's job has its step 0 running and the step's container is running (Slurm
# lists the step before urun has created it), then sets JOB_ID and CTR_ID (the container ID the
# oci.conf gives the step: %n.%u.%j.%s.%t).
wait_step_running() {
	local node
	CTR_ID=
	for _ in $(seq 300); do
		JOB_ID=$(job_id)
		if [ -z "$CTR_ID" ] && [ -n "$JOB_ID" ] &&
			timeout 10 squeue -h -s -j "$JOB_ID" -o %i | grep -qx "$JOB_ID.0"; then
			node=$(timeout 10 squeue -h -j "$JOB_ID" -o %N)
			CTR_ID=$node.$(id -un).$JOB_ID.0.0
		fi
		if [ -n "$CTR_ID" ] && [ "$(urun_state_of "$CTR_ID" 2>/dev/null)" = running ]; then
			return 0
		fi
		sleep 0.1
	done
	echo "job $JOB_NAME has no running step with a running container ${CTR_ID:-} after 30 s;" \
		"squeue: $(squeue 2>&1); srun: $(cat "$SRUN_OUT")" >&2
	return 1
}

# The status of container ID in the oci.conf's state root, as its user sees it.
urun_state_of() {
	timeout 10 "$URUN" --root "$STATE_ROOT" state "$1" 3>&- | jq -r .status
}

wait_gone_pid() {
	local pid=$1 tenths=$2
	for _ in $(seq "$tenths"); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

wait_job_gone() {
	local tenths=$1
	for _ in $(seq "$tenths"); do
		[ -z "$(job_id)" ] && return 0
		sleep 0.1
	done
	echo "job $JOB_NAME still queued after $((tenths / 10)) s: $(squeue 2>&1)" >&2
	return 1
}

# After a step ended: its job leaves the queue, and nothing of its container is left: no state
# directory, no process of it (its sleep argument or its container ID on a command line).
container_gone() {
	[ ! -e "$STATE_ROOT/$1" ] && [ -z "$(procs_with "$SLEEP_ARG"; procs_with "$1")" ]
}
assert_step_gone() {
	local id=$1 end=$((SECONDS + 30))
	wait_job_gone 300
	until container_gone "$id"; do
		if [ "$SECONDS" -ge "$end" ]; then
			echo "left of container $id after 30 s: processes [$(procs_with "$SLEEP_ARG"; procs_with "$id")]" \
				"$([ -e "$STATE_ROOT/$id" ] && echo "and its state directory $STATE_ROOT/$id")" >&2
			return 1
		fi
		sleep 0.2
	done
}

@test "slurm: srun --container runs a bundle root made with spec --rootless and prints its output" {
	[ "$(stat -c %u "$BUNDLE/config.json")" = 0 ]
	# shellcheck disable=SC2016 # expanded in the container
	run timeout -k 5 "$URUN_TEST_TIMEOUT" srun --job-name "$JOB_NAME" --container "$BUNDLE" \
		sh -c 'echo "hello from $(hostname)"; echo "uid $(id -u)"; head -n 1 /proc/self/uid_map
		       echo "id $SLURM_JOB_NODELIST.$SLURM_JOB_USER.$SLURM_JOB_ID.$SLURM_STEP_ID.0"' 3>&-
	[ "$status" -eq 0 ] || { echo "srun failed ($status): $output" >&2; return 1; }
	assert_contains "$output" "hello from "
	assert_contains "$output" "uid 0"
	# container root is the job's user
	[[ $output =~ (^|$'\n')\ *0\ +$(id -u)\ +1($'\n'|$) ]] || { echo "uid_map: $output" >&2; return 1; }
	local id
	id=$(sed -n 's/^id //p' <<<"$output")
	[ -n "$id" ]
	assert_step_gone "$id"
}

@test "slurm: the container's exit code is the step's" {
	run timeout -k 5 "$URUN_TEST_TIMEOUT" srun --job-name "$JOB_NAME" --container "$BUNDLE" sh -c 'exit 7' 3>&-
	[ "$status" -eq 7 ] || { echo "expected 7, got $status: $output" >&2; return 1; }
	run timeout -k 5 "$URUN_TEST_TIMEOUT" srun --job-name "$JOB_NAME" --container "$BUNDLE" true 3>&-
	[ "$status" -eq 0 ] || { echo "expected 0, got $status: $output" >&2; return 1; }
}

@test "slurm: squeue shows the containerised step while it runs" {
	# An init that ends on SIGTERM, so that scancel stops it at once.
	srun_bg --container "$BUNDLE" sh -c "trap 'exit 0' TERM; sleep $SLEEP_ARG & wait"
	wait_step_running
	run squeue -h -j "$JOB_ID" -o '%j %u %T'
	assert_equal "$output" "$JOB_NAME $(id -un) RUNNING"
	# the container is up: its state (as the user sees it) and its sleep
	run urun_state_of "$CTR_ID"
	assert_equal "$output" running
	[ -n "$(procs_with "$SLEEP_ARG")" ]
	timeout 10 scancel "$JOB_ID"
	wait_gone_pid "$SRUN_PID" 300
	assert_step_gone "$CTR_ID"
}

@test "slurm: scancel stops a container whose init ignores SIGTERM and leaves nothing of it" {
	# sleep is the container's init: SIGTERM from outside its pid namespace does not reach it, so
	# Slurm's SIGKILL after KillWait ends the step, and root's RunTimeQuery and RunTimeDelete remove
	# what urun run could not.
	srun_bg --container "$BUNDLE" sleep "$SLEEP_ARG"
	wait_step_running
	[ -d "$STATE_ROOT/$CTR_ID" ]
	timeout 10 scancel "$JOB_ID"
	wait_gone_pid "$SRUN_PID" 300
	assert_step_gone "$CTR_ID"
	run timeout 10 "$URUN" --root "$STATE_ROOT" list --quiet 3>&-
	refute grep -qxF "$CTR_ID" <<<"$output"
}

@test "slurm: a second user's step runs at the same time as ours" {
	local other=urun-test2 other_job out=$SLURM_DIR/second/job.out
	id -u "$other" >/dev/null || skip "no second test user $other (run.sh as root makes one)"
	# The second user's job (tests/slurm/second-user.sh) waits for $SLURM_DIR/shared/go.
	for _ in $(seq 300); do
		other_job=$(timeout 10 squeue -h -u "$other" -n urun-second -t R -o %i | head -n 1)
		[ -n "$other_job" ] && timeout 10 squeue -h -s -j "$other_job" -o %i | grep -qx "$other_job.0" && break
		other_job=
		sleep 0.1
	done
	[ -n "$other_job" ] || { echo "the second user's step is not running: $(squeue 2>&1); $(cat "$out" 2>&1)" >&2; return 1; }
	wait_for_file "$out" 300
	for _ in $(seq 300); do grep -q '^second: uid' "$out" && break; sleep 0.1; done
	assert_equal "$(head -n 1 "$out")" "second: uid 0, host uid $(id -u "$other")"

	srun_bg --container "$BUNDLE" sh -c "trap 'exit 0' TERM; sleep $SLEEP_ARG & wait"
	wait_step_running
	# both steps at once, each in its own user's container
	run timeout 10 squeue -h -s -o '%i %u'
	assert_contains "$output" "$JOB_ID.0 $(id -un)"
	assert_contains "$output" "$other_job.0 $other"
	assert_equal "$(urun_state_of "$CTR_ID")" running
	[ -n "$(procs_with ".$other.$other_job.0.0")" ]

	touch "$SLURM_DIR/shared/go"
	for _ in $(seq 300); do grep -qx 'second: done' "$out" && break; sleep 0.1; done
	grep -qx 'second: done' "$out" || { echo "second user's step: $(cat "$out")" >&2; return 1; }
	local end=$((SECONDS + 30))
	while [ "$SECONDS" -lt "$end" ]; do
		[ -z "$(timeout 10 squeue -h -j "$other_job" -o %i 2>/dev/null)" ] &&
			[ -z "$(procs_with ".$other.$other_job.0.0")" ] && break
		sleep 0.2
	done
	assert_equal "$(timeout 10 squeue -h -j "$other_job" -o %i 2>/dev/null)" ""
	assert_equal "$(procs_with ".$other.$other_job.0.0")" ""
	# ours still runs, untouched
	assert_equal "$(urun_state_of "$CTR_ID")" running
	timeout 10 scancel "$JOB_ID"
	wait_gone_pid "$SRUN_PID" 300
	assert_step_gone "$CTR_ID"
}
