#!/usr/bin/env bats
# Attack class: a hook inheriting what it should not: the caller's working directory (a path the
# hook's relative file names then resolve against, unlike under runc and crun, which start hooks in the
# bundle) and urun's open fds, the CVE-2024-21626 class ("Leaky Vessels": an fd of the runtime's
# reaching a process it starts). Hooks start in the bundle (startContainer, inside the container, at
# its /) and hold only fds 0, 1 and 2.

load ../integration/helpers

setup_file() { common_setup_file; }
setup() { common_setup; }
teardown() { common_teardown; }

@test "hooks: every kind starts in the bundle (startContainer at the container's /), not in the caller's cwd" {
	local log=$BATS_TEST_TMPDIR/hooks.log elsewhere=$BATS_TEST_TMPDIR/elsewhere bundle
	bundle=$(realpath "$BUNDLE")
	mkdir -p "$elsewhere"
	bundle_share
	bundle_jq --arg log "$log" '
	  def h($n; $to): [{"path": "/bin/sh", "args": ["sh", "-c",
	    "echo \"\($n) $(pwd -P) $(test -f config.json && echo has-config)\" >> \($to)"]}];
	  .hooks = {"prestart": h("prestart"; $log), "createRuntime": h("createRuntime"; $log),
	            "createContainer": h("createContainer"; $log), "startContainer": h("startContainer"; "/shared/start.log"),
	            "poststart": h("poststart"; $log), "poststop": h("poststop"; $log)}'
	bundle_args true
	cd "$elsewhere"
	run --separate-stderr urun run --bundle "$bundle" hkcwd
	[ "$status" -eq 0 ]
	run cat "$log"
	[ "${lines[0]}" = "prestart $bundle has-config" ]
	[ "${lines[1]}" = "createRuntime $bundle has-config" ]
	[ "${lines[2]}" = "createContainer $bundle has-config" ]
	[ "${lines[3]}" = "poststart $bundle has-config" ]
	[ "${lines[4]}" = "poststop $bundle has-config" ]
	run cat "$SHARED/start.log"
	[ "$output" = "startContainer / " ]
}

@test "hooks: a hook holds no fd of urun's but its stdin, stdout and stderr" {
	local log=$BATS_TEST_TMPDIR/fds.log
	bundle_share
	# ls lists its own fds: the hook's 0, 1 and 2, and 3 for the directory it reads; anything the
	# hook inherited from urun would be a fifth
	bundle_jq --arg log "$log" '
	  def h($n; $to): [{"path": "/bin/sh", "args": ["sh", "-c", "echo \($n) >> \($to); ls /proc/self/fd >> \($to)"]}];
	  .hooks = {"prestart": h("prestart"; $log), "createRuntime": h("createRuntime"; $log),
	            "createContainer": h("createContainer"; $log), "startContainer": h("startContainer"; "/shared/start.log"),
	            "poststart": h("poststart"; $log), "poststop": h("poststop"; $log)}'
	bundle_args true
	# urun itself, not the suite's `urun`, which closes fd 3 (the preserved fds must be open)
	run --separate-stderr timeout 30 "$URUN" --root "$URUN_ROOT" run --bundle "$BUNDLE" --preserve-fds 2 hkfds \
		3</dev/null 4</dev/null
	[ "$status" -eq 0 ]
	run cat "$log" "$SHARED/start.log"
	echo "$output"
	[ "${#lines[@]}" -eq 30 ]
	local i
	for ((i = 0; i < 30; i += 5)); do
		[ "${lines[*]:i + 1:4}" = "0 1 2 3" ]
	done
}
