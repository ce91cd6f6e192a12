#!/usr/bin/env bats
# Full subordinate ID ranges (idmap/): the default map, chown into subordinate IDs, process.user,
# refused mappings, the own-ID fallback, and `urun unshare`.

load helpers

setup_file() { common_setup_file; }
setup() {
	common_setup
	SUB_UID=$(awk -F: -v u="$(id -un)" -v n="$(id -u)" '$1 == u || $1 == n { print $2; exit }' /etc/subuid)
	SUB_GID=$(awk -F: -v u="$(id -un)" -v n="$(id -u)" '$1 == u || $1 == n { print $2; exit }' /etc/subgid)
	[ -n "$SUB_UID" ] && [ -n "$SUB_GID" ] || skip "$(id -un) has no subordinate IDs in /etc/subuid and /etc/subgid"
	command -v newuidmap >/dev/null || skip "newuidmap is not installed (package uidmap)"
}
teardown() { common_teardown; }

@test "idmap: spec --rootless writes a user namespace without mappings: each user gets root -> self, then their range" {
	run jq -c '[.linux.uidMappings, .linux.gidMappings, (.linux.namespaces | map(.type) | index("user") != null)]' \
		"$BUNDLE/config.json"
	[ "$status" -eq 0 ]
	[ "$output" = "[null,null,true]" ]
	bundle_args cat /proc/self/uid_map
	run --separate-stderr urun run --bundle "$BUNDLE" maps
	[ "$status" -eq 0 ]
	read -r -a l0 <<<"${lines[0]}"
	read -r -a l1 <<<"${lines[1]}"
	[ "${l0[*]}" = "0 $(id -u) 1" ]
	[ "${l1[*]}" = "1 $SUB_UID 65536" ]
}

@test "idmap: /proc/self/uid_map and gid_map inside show both ranges" {
	bundle_args sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
	run urun run --bundle "$BUNDLE" maps
	[ "$status" -eq 0 ]
	read -r -a l0 <<<"${lines[0]}"
	read -r -a l1 <<<"${lines[1]}"
	read -r -a l3 <<<"${lines[3]}"
	[ "${l0[*]}" = "0 $(id -u) 1" ]
	[ "${l1[*]}" = "1 $SUB_UID 65536" ]
	[ "${l3[*]}" = "1 $SUB_GID 65536" ]
}

@test "idmap: chown 1000:1000 inside gives the file subordinate start + 999 on the host" {
	bundle_jq '.root.readonly = false'
	mkdir -p "$BUNDLE/rootfs/data"
	touch "$BUNDLE/rootfs/data/f"
	bundle_args chown 1000:1000 /data/f
	run urun run --bundle "$BUNDLE" chown
	[ "$status" -eq 0 ]
	[ "$(stat -c %u:%g "$BUNDLE/rootfs/data/f")" = "$((SUB_UID + 999)):$((SUB_GID + 999))" ]
}

@test "idmap: process.user runs the process as uid 1000 with its groups" {
	bundle_jq '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5, 2000]}'
	bundle_args sh -c 'id -u; id -g; id -G'
	run urun run --bundle "$BUNDLE" user
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[[ " ${lines[2]} " == *" 5 "* && " ${lines[2]} " == *" 2000 "* ]]
}

@test "idmap: a spec with no user namespace gets the whole delegation, so process.user 10 runs (as under crun)" {
	bundle_jq '.linux.namespaces |= map(select(.type != "user")) | del(.linux.uidMappings) | del(.linux.gidMappings) |
	  .process.user = {"uid": 10, "gid": 10}'
	bundle_args sh -c 'id -u; id -g; cat /proc/self/uid_map'
	run --separate-stderr urun run --bundle "$BUNDLE" nouserns
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 10 ]
	[ "${lines[1]}" = 10 ]
	# root -> the caller, then the subordinate range
	read -r -a l0 <<<"${lines[2]}"
	[ "${l0[*]}" = "0 $(id -u) 1" ]
	[ "${#lines[@]}" -eq 4 ]
}

@test "idmap: a uid outside the maps in process.user is a clear error" {
	bundle_jq '.process.user = {"uid": 70000, "gid": 0}'
	run --separate-stderr urun create --bundle "$BUNDLE" --pid-file "$PIDFILE" unmapped
	assert_urun_error "process.user.uid: 70000 is not mapped"
	assert_nothing_left unmapped
}

@test "idmap: a mapping outside the delegated ranges is refused, naming it, and nothing is left" {
	local bad=$((SUB_UID + 65536))
	bundle_jq --argjson u "$(id -u)" --argjson b "$bad" \
		'.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}, {"containerID": 1, "hostID": $b, "size": 100}] |
		 .linux.gidMappings = [{"containerID": 0, "hostID": $u, "size": 1}]'
	run --separate-stderr urun create --bundle "$BUNDLE" --pid-file "$PIDFILE" outside
	assert_urun_error "linux.uidMappings[1]: host IDs $bad-$((bad + 99)) are not delegated to $(id -un) in /etc/subuid"
	assert_nothing_left outside
}

@test "idmap: mapping host root is refused" {
	bundle_jq --argjson g "$(id -g)" '.linux.uidMappings = [{"containerID": 0, "hostID": 0, "size": 1}] |
		.linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1}]'
	run --separate-stderr urun create --bundle "$BUNDLE" rootmap
	assert_urun_error "linux.uidMappings[0]: host IDs 0-0 are not delegated"
	assert_nothing_left rootmap
}

@test "idmap: with no subordinate IDs the default map falls back to the caller's own ID, with a warning" {
	bundle_jq 'del(.linux.uidMappings) | del(.linux.gidMappings)'
	bundle_args cat /proc/self/uid_map
	printf 'someoneelse:100000:65536\n' >"$BATS_TEST_TMPDIR/subuid"
	URUN_SUBUID_FILE=$BATS_TEST_TMPDIR/subuid run --separate-stderr urun run --bundle "$BUNDLE" fallback
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	read -r -a l0 <<<"${lines[0]}"
	[ "${l0[*]}" = "0 $(id -u) 1" ]
	[[ $stderr == *"warning: no subordinate IDs for $(id -un) in $BATS_TEST_TMPDIR/subuid"* ]]
	# the suggested line overlaps no entry of either file (it used to be a fixed 100000:65536)
	[[ $stderr =~ \"$(id -un):([0-9]+):65536\" ]]
	local start=${BASH_REMATCH[1]} s n
	[ "$start" -ge 100000 ]
	while IFS=: read -r _ s n; do
		[[ $s =~ ^[0-9]+$ && $n =~ ^[0-9]+$ ]] || continue
		if [ "$start" -lt $((s + n)) ] && [ $((start + 65536)) -gt "$s" ]; then
			echo "suggested $start:65536 overlaps $s:$n" >&2
			return 1
		fi
	done < <(cat "$BATS_TEST_TMPDIR/subuid" /etc/subgid)
}

@test "idmap: where the helpers cannot act (no_new_privs), a default map falls back to your own ID; explicit ranges fail clearly" {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	bundle_jq 'del(.linux.uidMappings) | del(.linux.gidMappings)'
	bundle_args cat /proc/self/uid_map
	run --separate-stderr setpriv --no-new-privs timeout 30 "$URUN" --root "$URUN_ROOT" run --bundle "$BUNDLE" nnp 3>&-
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	assert_contains "$stderr" "urun runs with no_new_privs set, so the setuid newuidmap/newgidmap cannot act: mapping only your own ID"
	bundle_jq --argjson u "$(id -u)" --argjson s "$SUB_UID" --argjson g "$(id -g)" \
		'.linux.uidMappings = [{"containerID": 0, "hostID": $u, "size": 1}, {"containerID": 1, "hostID": $s, "size": 100}] |
		 .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 1}]'
	run --separate-stderr setpriv --no-new-privs timeout 30 "$URUN" --root "$URUN_ROOT" run --bundle "$BUNDLE" nnp2 3>&-
	assert_urun_error "linux.uidMappings/gidMappings: mapping subordinate IDs needs newuidmap and newgidmap, but urun runs with no_new_privs set"
	assert_nothing_left nnp2
}

@test "idmap: malformed lines in the subuid file are skipped with a warning" {
	bundle_jq 'del(.linux.uidMappings) | del(.linux.gidMappings)'
	bundle_args true
	printf '# comment\n\n%s:notanumber:5\n%s:%s:65536\n' "$(id -un)" "$(id -un)" "$SUB_UID" >"$BATS_TEST_TMPDIR/subuid"
	URUN_SUBUID_FILE=$BATS_TEST_TMPDIR/subuid run --separate-stderr urun run --bundle "$BUNDLE" malformed
	[ "$status" -eq 0 ]
	[[ $stderr == *"$BATS_TEST_TMPDIR/subuid:3: malformed line, skipped"* ]]
}

@test "idmap: urun unshare runs a host command as root of the default mapping" {
	run urun unshare sh -c 'id -u; cat /proc/self/uid_map'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	read -r -a l2 <<<"${lines[2]}"
	[ "${l2[*]}" = "1 $SUB_UID 65536" ]
	run urun unshare -- sh -c 'exit 7'
	[ "$status" -eq 7 ]
}

@test "idmap: urun unshare rm -rf removes a tree owned by subordinate IDs" {
	bundle_jq '.root.readonly = false'
	bundle_args sh -c 'mkdir -p /junk/a/b && touch /junk/a/b/f && chown -R 1000:1000 /junk && chmod 700 /junk/a'
	run urun run --bundle "$BUNDLE" mkjunk
	[ "$status" -eq 0 ]
	run rm -rf "$BUNDLE/rootfs/junk"
	[ "$status" -ne 0 ]
	[ -e "$BUNDLE/rootfs/junk/a" ]
	run urun unshare rm -rf "$BUNDLE/rootfs/junk"
	[ "$status" -eq 0 ]
	[ ! -e "$BUNDLE/rootfs/junk" ]
}

@test "idmap: container root may be a subordinate ID rather than the caller" {
	bundle_jq --argjson s "$SUB_UID" --argjson g "$SUB_GID" \
		'.linux.uidMappings = [{"containerID": 0, "hostID": $s, "size": 65536}] |
		 .linux.gidMappings = [{"containerID": 0, "hostID": $g, "size": 65536}] |
		 .mounts |= map(select(.destination != "/sys/fs/cgroup"))'
	# container root is now another host ID: it must be able to reach the rootfs, as with any user
	local d=$BUNDLE/rootfs
	while [ "$d" != / ]; do
		[ -O "$d" ] && chmod o+x "$d"
		d=$(dirname "$d")
	done
	bundle_args sh -c 'id -u; cat /proc/self/uid_map; touch /dev/shm/x && echo wrote'
	run urun run --bundle "$BUNDLE" subroot
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	read -r -a l1 <<<"${lines[1]}"
	[ "${l1[*]}" = "0 $SUB_UID 65536" ]
	[ "${lines[2]}" = wrote ]
}

# urun as root of a user namespace another tool made, as podman runs it: `urun unshare` makes one with
# podman's layout (0 -> the caller, 1..65536 -> the subordinate range).
in_nested() {
	run --separate-stderr urun unshare "$URUN" --root "$URUN_ROOT" "$@"
}

@test "idmap: nested in a user namespace, a spec without maps gets every ID of that namespace, written without helpers" {
	bundle_jq 'del(.linux.uidMappings, .linux.gidMappings)'
	bundle_args sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
	# (newuidmap would refuse from inside: its IDs are the initial namespace's)
	in_nested run --bundle "$BUNDLE" nested1
	echo "$stderr" >&2
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(tr -s ' ' <<<"${lines[0]}" | sed 's/^ //')" = "0 0 1" ]
	[ "$(tr -s ' ' <<<"${lines[1]}" | sed 's/^ //')" = "1 1 65536" ]
	[ "${#lines[@]}" -eq 4 ]
}

@test "idmap: nested, explicit maps are IDs of that namespace (podman's keep-id), and the container user is the caller" {
	bundle_share
	bundle_jq '.linux.uidMappings = [{"containerID": 0, "hostID": 1, "size": 1000}, {"containerID": 1000, "hostID": 0, "size": 1}]
		| .linux.gidMappings = .linux.uidMappings | .process.user = {"uid": 1000, "gid": 1000}'
	bundle_args sh -c 'id -u; touch /shared/mine'
	in_nested run --bundle "$BUNDLE" nested2
	[ "$status" -eq 0 ]
	[ "$output" = 1000 ]
	[ "$(stat -c %u:%g "$SHARED/mine")" = "$(id -u):$(id -g)" ]
}

@test "idmap: nested, a host range the namespace does not have is refused, naming the field" {
	bundle_jq '.linux.uidMappings = [{"containerID": 0, "hostID": 70000, "size": 1}] | .linux.gidMappings = [{"containerID": 0, "hostID": 0, "size": 1}]'
	in_nested create --bundle "$BUNDLE" nested3
	assert_urun_error "linux.uidMappings[0]: host IDs 70000-70000 do not exist in the user namespace urun runs in"
	assert_nothing_left nested3
}

# A range urun believes delegated (URUN_SUBUID_FILE/URUN_SUBGID_FILE, as for tests) that the system's
# /etc/subuid or /etc/subgid does not grant: urun plans the map, and the helper refuses it.
refused_by_helper() {
	local which=$1 fake=$BATS_TEST_TMPDIR/sub$1
	printf '%s:%s:65536\n' "$(id -un)" 3000000000 >"$fake"
	if [ "$which" = uid ]; then
		URUN_SUBUID_FILE=$fake run --separate-stderr urun run --bundle "$BUNDLE" refused
	else
		URUN_SUBGID_FILE=$fake run --separate-stderr urun run --bundle "$BUNDLE" refused
	fi
	assert_urun_error "write ${which} map: " "new${which}map failed (exit status 1): new${which}map: ${which} range"
	run urun list -q
	[ -z "$output" ]
	# nothing of it runs on: no helper, no init (each would be our child or grandchild, now orphaned)
	run pgrep -u "$(id -u)" -f "new${which}map [0-9]+ 0 "
	[ "$status" -eq 1 ]
}

@test "idmap: a uid map newuidmap refuses fails create with newuidmap's own words, and leaves nothing" {
	refused_by_helper uid
}

@test "idmap: a gid map newgidmap refuses fails create with newgidmap's own words, and leaves nothing" {
	refused_by_helper gid
}
