#!/usr/bin/env bats
# The sluice front command, and make install.

load helpers

@test "sluice: --help lists the tools" {
	run -0 sluice --help
	[[ $output == *usage:* ]]
	[[ $output == *'  manifest-gen'* ]]
	! printf '%s\n' "$output" | grep -qx '  sluice'
}

@test "sluice: --version" {
	run -0 sluice --version
	[[ $output =~ ^sluice\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "sluice: runs a tool with its arguments and status" {
	mkdir -p "$BATS_TEST_TMPDIR/d"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' \
	    >"$BATS_TEST_TMPDIR/d/c.yaml"
	run -0 sluice manifest-gen --dir "$BATS_TEST_TMPDIR/d"
	[ "$(printf '%s\n' "$output" | jq -r 'select(.type == "object").id')" = \
	    default:configmap/c ]
	run -64 sluice manifest-gen --bad-flag
}

@test "sluice: an unknown tool or a path is a usage error" {
	run --separate-stderr -64 sluice no-such-tool
	[[ $stderr == *"'no-such-tool' is not a sluice tool"* ]]
	run -64 sluice ../bin/sh
	run -64 sluice
	run -64 sluice --frobnicate
}

@test "make install: tools in libexec, front command in bin, man pages" {
	d=$BATS_TEST_TMPDIR/dest
	run -0 make -s -C "$BATS_TEST_DIRNAME/.." O="$SLUICE_BUILD" \
	    PREFIX=/opt/sl DESTDIR="$d" install
	[ -x "$d/opt/sl/libexec/sluice/manifest-gen" ]
	[ -x "$d/opt/sl/bin/sluice" ]
	[ -f "$d/opt/sl/share/man/man1/manifest-gen.1" ]
	[ -f "$d/opt/sl/share/man/man5/sluice.env.5" ]
	[ -f "$d/opt/sl/libexec/sluice/pass.sh" ]
	[ -f "$d/opt/sl/libexec/sluice/pass-summary.jq" ]
	[ ! -e "$d/opt/sl/bin/manifest-gen" ]
	grep -q '/opt/sl/libexec/sluice' "$d/opt/sl/bin/sluice"
	SLUICE_LIBEXEC=$d/opt/sl/libexec/sluice run -0 "$d/opt/sl/bin/sluice" \
	    manifest-gen --version
	[[ $output == "manifest-gen "* ]]
	# the supervisor, from the installed tree
	SLUICE_LIBEXEC=$d/opt/sl/libexec/sluice SLUICE_STATE_DIR=$d/state \
	    run -1 "$d/opt/sl/bin/sluice" status nothing-here
}
