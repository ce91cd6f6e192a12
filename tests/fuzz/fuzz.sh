#!/bin/bash
# Runs one libFuzzer harness of tests/fuzz/ for a bounded time, starting from its seed corpus
# (corpus/HARNESS/, which it only reads: new inputs go to a temporary directory that is removed).
# Exits 0 when nothing was found; otherwise the crash report is in the output and the input that
# caused it is kept in BUILD_DIR/fuzz-artifacts/HARNESS/ (emptied when the harness starts again).
#
# usage: tests/fuzz/fuzz.sh BUILD_DIR HARNESS SECONDS   (BUILD_DIR configured with -Dfuzz=true)
set -uo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 BUILD_DIR HARNESS SECONDS" >&2
	exit 2
fi
build=$1 harness=$2 seconds=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
bin=$build/tests/fuzz/$harness
seeds=$here/corpus/$harness

if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
	echo "fuzz.sh: no harness $bin or no seed corpus $seeds" >&2
	exit 2
fi
artifacts=$(cd "$build" && pwd -P)/fuzz-artifacts/$harness
rm -rf "$artifacts" && mkdir -p "$artifacts" || exit 2
work=$(mktemp -d "${TMPDIR:-/tmp}/urun-fuzz-$harness.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

# LeakSanitizer on; UBSan already aborts (-fno-sanitize-recover); symbolized stacks when
# llvm-symbolizer is installed (package llvm).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:symbolize=1:print_legend=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# -timeout: one input taking this many seconds is a hang, reported like a crash.
# -rss_limit_mb: the parsers bound every size, so a growing process is a finding too.
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
	-dict="$here/oci.dict" -artifact_prefix="$artifacts/" "$work" "$seeds" </dev/null 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
	for f in "$artifacts"/*; do
		[ -f "$f" ] || continue
		echo "--- $harness: kept input $f ($(stat -c %s "$f") bytes), base64:"
		base64 -w 100 "$f" | head -c 4000
		echo
	done
fi
exit "$rc"
