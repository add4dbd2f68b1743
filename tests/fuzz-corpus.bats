#!/usr/bin/env bats
# The libFuzzer targets of tests/fuzz/ over their checked-in corpora, built
# by the compiler `make check` uses, without libFuzzer (tests/fuzz/replay.c):
# `make fuzz` searches for inputs that break an invariant, and this keeps
# the ones found, and the seeds, from breaking it again.

load helpers

REPLAY=$SLUICE_BUILD/tests/fuzz
CORPUS=$BATS_TEST_DIRNAME/fuzz/corpus

@test "yedit: every seed is edited exactly or refused, and never crashes" {
	local seeds=("$CORPUS"/yedit/*)
	[ "${#seeds[@]}" -ge 15 ]
	YEDIT_FUZZ_VERBOSE=1 run --separate-stderr -0 \
	    "$REPLAY/yedit-replay" "${seeds[@]}"
	# the seeds reach the edits, not only the refusals
	[ "$(grep -c '^yedit_fuzz: done$' <<<"$stderr")" -ge 10 ]
	[ "$(grep -c '^yedit_fuzz: refused: ' <<<"$stderr")" -ge 3 ]
	[ "$(grep -c '^replay: ' <<<"$stderr")" -eq "${#seeds[@]}" ]
}
