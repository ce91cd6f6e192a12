#!/bin/bash
# Every C source and header of the tree (shared/ excepted: it is not ours) is formatted as the repo's
# .clang-format says (shared/STYLE.md: warnings are errors).  TAP, one line a file.  Reformat with:
#   clang-format -i $(git ls-files '*.c' '*.h' ':!shared')
src=${1:?usage: format-check.sh SOURCE_ROOT}
cd "$src" || exit 1
if ! command -v clang-format >/dev/null; then
	echo "1..0 # SKIP clang-format is not installed (Debian package: clang-format)"
	exit 0
fi
if [ -d .git ] || [ -f .git ]; then
	mapfile -t files < <(git ls-files '*.c' '*.h' ':!shared')
else
	mapfile -t files < <(find src idmap netns tests bench -name '*.[ch]' 2>/dev/null | sort)
fi
echo "1..${#files[@]}"
n=0 rc=0
for f in "${files[@]}"; do
	n=$((n + 1))
	if out=$(clang-format --dry-run -Werror "$f" 2>&1); then
		echo "ok $n - $f"
	else
		echo "not ok $n - $f is not formatted (clang-format -i $f)"
		printf '%s\n' "$out" | head -n 12 | sed 's/^/# /'
		rc=1
	fi
done
exit $rc
