#!/usr/bin/env bats
# sluice trigger: through systemctl when the source's timer is active (a
# stand-in systemctl, SLUICE_SYSTEMCTL, records what it is asked), else
# through the trigger file that `sluice run` watches.

load helpers

setup() {
	T=$BATS_TEST_TMPDIR
	export SLUICE_CONFIG_DIR=$T/etc SLUICE_STATE_DIR=$T/state
	mkdir -p "$T/etc" "$T/state/prod"
	printf 'GIT_URL=file:///x\n' >"$T/etc/prod.env"
	# a systemctl on a host whose timers for prod are ACTIVE (a list)
	cat >"$T/systemctl" <<'SH'
#!/bin/sh
printf '%s\n' "$*" >>"${0%/*}/calls"
case $1 in
is-active)
	for t in $ACTIVE; do [ "$t" = "$3" ] && exit 0; done
	exit 3 ;;
start) exit "${START_STATUS:-0}" ;;
esac
exit 1
SH
	chmod +x "$T/systemctl"
	export SLUICE_SYSTEMCTL=$T/systemctl ACTIVE=
}

@test "trigger: with no timer active, asks the run loop through the file" {
	run --separate-stderr -0 sluice trigger prod
	[ "$(cat "$T/state/prod/trigger")" = sync ]
	run --separate-stderr -0 sluice trigger prod images
	[ "$(cat "$T/state/prod/trigger")" = $'sync\nimages' ]
	grep -qx 'is-active --quiet sluice-sync@prod.timer' "$T/calls"
	! grep -q '^start' "$T/calls"
}

@test "trigger: with the source's timer active, starts the unit" {
	ACTIVE=sluice-sync@prod.timer run --separate-stderr -0 \
	    sluice trigger prod sync
	grep -qx 'start --no-block sluice-sync@prod.service' "$T/calls"
	[ ! -e "$T/state/prod/trigger" ]
	# the images timer is not active: that pass goes through the file
	ACTIVE=sluice-sync@prod.timer run --separate-stderr -0 \
	    sluice trigger prod images
	! grep -q 'start --no-block sluice-images' "$T/calls"
	[ "$(cat "$T/state/prod/trigger")" = images ]
	ACTIVE=sluice-images@prod.timer run --separate-stderr -0 \
	    sluice trigger prod images
	grep -qx 'start --no-block sluice-images@prod.service' "$T/calls"
}

@test "trigger: no systemctl at all is a host without systemd" {
	SLUICE_SYSTEMCTL=$T/none run --separate-stderr -0 sluice trigger prod
	[ "$(cat "$T/state/prod/trigger")" = sync ]
}

@test "trigger: a systemctl that cannot start the unit gives 75" {
	ACTIVE=sluice-sync@prod.timer START_STATUS=1 \
	    run --separate-stderr -75 sluice trigger prod
	[[ $stderr == *'cannot start sluice-sync@prod.service'* ]]
}

@test "trigger: nothing runs the source (no state folder) gives 75" {
	rmdir "$T/state/prod"
	run --separate-stderr -75 sluice trigger prod
	[ ! -e "$T/state/prod" ]
}

@test "trigger: an unknown source is 78, bad arguments 64" {
	run --separate-stderr -78 sluice trigger nosuch
	[[ $stderr == *"no source 'nosuch'"* ]]
	run --separate-stderr -64 sluice trigger
	run --separate-stderr -64 sluice trigger prod deploy
	run --separate-stderr -64 sluice trigger prod sync extra
	run --separate-stderr -64 sluice trigger ../etc/prod
	run --separate-stderr -64 sluice trigger .prod
	run --separate-stderr -64 sluice trigger -prod
	[ ! -e "$T/state/prod/trigger" ]
}
