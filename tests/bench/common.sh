# common.sh: what the benchmark scripts share (sourced, POSIX sh).
# shellcheck shell=sh

# git with no user or system config: hooks, signing or fsync settings of
# the machine must not change what is measured; no automatic gc either
GIT_CONFIG_NOSYSTEM=1
GIT_CONFIG_GLOBAL=/dev/null
export GIT_CONFIG_NOSYSTEM GIT_CONFIG_GLOBAL
git_q () {
	git -c user.name=bench -c user.email=bench@example.invalid \
	    -c commit.gpgsign=false -c core.fsync=none -c gc.auto=0 "$@"
}

# field KEY FILE: the value of KEY in a line of KEY=VALUE words
field () {
	awk -v k="$1" '{
		for (i = 1; i <= NF; i++)
			if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit }
	}' "$2"
}

# calc EXPR: floating point arithmetic
calc () {
	awk "BEGIN { print ($1) }"
}

# verdict TRUE-OR-FALSE (1 or 0): a goal's word in the table
verdict () {
	if [ "$1" -eq 1 ]; then printf 'met'; else printf 'MISSED'; fi
}

# fail WHAT: the benchmark could not run; the end of $dir/err says why
fail () {
	printf 'bench: FAILED: %s\n' "$1" >&2
	[ ! -s "${dir-}/err" ] || tail -n 5 "${dir-}/err" >&2
	exit 1
}

# mismatch WHAT: a run did not do what it must (wrong count, wrong bytes)
mismatch () {
	printf '\nbench: MISMATCH: %s\n' "$1" >&2
	printf 'bench: MISMATCH: the benchmark is broken, not slow\n' >&2
	exit 1
}
