#!/bin/sh
# The built man page renders without a single groff warning (all of them enabled: -ww).  TAP.
page=$1
echo 1..1
if ! command -v groff >/dev/null; then
	echo "ok 1 # SKIP groff is not installed"
	exit 0
fi
warnings=$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$page" 2>&1)
if [ -z "$warnings" ] && [ -s "$page" ]; then
	echo "ok 1 - groff -man -ww renders $page without warnings"
else
	echo "not ok 1 - groff -man -ww renders $page without warnings"
	printf '%s\n' "$warnings" | sed 's/^/# /'
	exit 1
fi
