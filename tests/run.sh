#!/bin/sh
# run.sh TEST...: run every test file (two at a time), show the TAP of the
# ones that failed, and end with the line "N passed, N failed[, N skipped]"
# that CI reads. A test file that dies, or prints no plan, counts as a
# failure: a test that cannot run must never look like one that passed.
set -eu

dir=$(mktemp -d "${TMPDIR:-/tmp}/sluice-tests.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

here=$(dirname "$0")
jobs=${TEST_JOBS:-2}

i=0
for t in "$@"; do
	i=$((i + 1))
	printf '%s\t%s\n' "$i" "$t"
done >"$dir/list"

# each test writes its TAP, stderr and exit status to files named by its
# number; xargs runs them $jobs at a time
awk -v d="$dir" -F '\t' '{ print d "/" $1, $2 }' "$dir/list" >"$dir/args"
# shellcheck disable=SC2016 # $0..$2 belong to the inner sh
xargs -P "$jobs" -n 2 sh -c '
	"$0" "$2" >"$1.tap" 2>"$1.err" </dev/null && echo 0 >"$1.rc" ||
	    echo $? >"$1.rc"
' "$here/run-test.sh" <"$dir/args"

passed=0 failed=0 skipped=0
while IFS='	' read -r n t; do
	f="$dir/$n"
	counts=$(awk '
		/^ok / { if ($0 ~ /# [Ss][Kk][Ii][Pp]/) s++; else p++ }
		/^not ok / { f++ }
		/^1\.\.[0-9]+/ { split($0, a, "."); plan = a[3] + 0; seen = 1 }
		END {
			run = p + f + s
			if (!seen || run != plan) f += (plan > run ? plan - run : 0) + (!seen)
			printf "%d %d %d\n", p, f, s
		}' "$f.tap")
	# shellcheck disable=SC2086 # split the three counts on purpose
	set -- $counts
	rc=$(cat "$f.rc")
	p=$1 fl=$2 s=$3
	if [ "$rc" -ne 0 ] && [ "$fl" -eq 0 ]; then
		fl=1	# died or exited non-zero without saying why
	fi
	passed=$((passed + p)) failed=$((failed + fl)) skipped=$((skipped + s))
	if [ "$fl" -ne 0 ]; then
		printf '# FAIL %s (exit %s)\n' "$t" "$rc"
		grep -v '^ok ' "$f.tap" | sed 's/^/#   /' || true
		sed 's/^/#   stderr: /' "$f.err" | head -n 40
	else
		printf '# ok   %s (%s passed)\n' "$t" "$p"
	fi
done <"$dir/list"

if [ "$skipped" -ne 0 ]; then
	printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
else
	printf '%d passed, %d failed\n' "$passed" "$failed"
fi
[ "$failed" -eq 0 ]
