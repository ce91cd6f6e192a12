#!/usr/bin/env bats
# Races between urun and the init it creates show up only now and then: run many times in a row.

load helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

@test "repeat: 150 runs in a row all succeed (map writing must not race the init)" {
	# own-ID maps: urun writes /proc/PID/uid_map itself (newuidmap, being setuid, would not race)
	bundle_jq --argjson u "$(id -u)" --argjson g "$(id -g)" \
		'.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}] |
		 .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1}] |
		 .mounts |= map(if .type == "devpts" then .options |= map(select(startswith("gid=") | not)) else . end)'
	bundle_args true
	local i failed=0
	for i in $(seq 150); do
		if ! out=$(urun run --bundle "$BUNDLE" "r$i" 2>&1); then
			echo "run $i failed: $out" >&2
			failed=$((failed + 1))
		fi
	done
	[ "$failed" -eq 0 ]
}
