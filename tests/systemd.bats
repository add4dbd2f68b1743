#!/usr/bin/env bats
# The systemd units in deploy/systemd, as `make install` installs them,
# checked by systemd-analyze (systemd 252) without systemd running.
#
# Pitfalls this works around:
# - verify checks that ExecStart's program exists, at the path in the unit:
#   so the whole of sluice is installed to a temporary PREFIX (not DESTDIR,
#   which would leave ExecStart pointing at a PREFIX that does not exist).
#   --root=DESTDIR does not help: it then wants sysinit.target and the rest
#   of systemd's own units under that root too.
# - verify exits 0 on unknown keys and unparsable values ("Unknown key
#   'X' in section [Service], ignoring"): only its messages tell. So any
#   output at all counts as a failure here.
# - Documentation=man:... makes verify run man(1) for pages that are not
#   installed where man looks: --man=no.
# - a template is verified through an instance (sluice-sync@demo.service);
#   an instance name like systemd gives Accept=yes services
#   (sluice-hook@0-127.0.0.1:3031-127.0.0.1:5555) fails with "Couldn't
#   process aliases: No such file or directory"; a plain one works.

load helpers

REPO=$BATS_TEST_DIRNAME/..

setup_file() {
	export T=$BATS_FILE_TMPDIR
	# the build folder of this test run, relative, as the Makefile wants O
	O=$(realpath --relative-to="$REPO" "$SLUICE_BUILD")
	make -s -C "$REPO" --no-print-directory O="$O" install \
	    PREFIX="$T/usr" >"$T/install.log" 2>&1
	make -s -C "$REPO" --no-print-directory O="$O" install \
	    DESTDIR="$T/dest" PREFIX=/usr >>"$T/install.log" 2>&1
	export UNITS=$T/usr/lib/systemd/system
}

# verify_units DIR UNIT...: systemd-analyze verify, silent and 0, or fail
verify_units() {
	local dir=$1 out rc=0
	shift
	out=$(cd "$dir" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify \
	    --man=no "$@" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
		printf 'systemd-analyze verify: exit %s\n%s\n' "$rc" "$out" >&2
		return 1
	fi
}

ALL=(sluice-sync@demo.service sluice-sync@demo.timer
    sluice-images@demo.service sluice-images@demo.timer
    sluice-hook.socket sluice-hook@1.service)

@test "systemd: make install puts every unit, the sysusers and polkit files" {
	for u in sluice-sync@.service sluice-sync@.timer sluice-images@.service \
	    sluice-images@.timer sluice-hook.socket sluice-hook@.service; do
		[ -f "$UNITS/$u" ]
		[ -f "$T/dest/usr/lib/systemd/system/$u" ]
	done
	[ -f "$T/usr/lib/sysusers.d/sluice.conf" ]
	[ -f "$T/usr/share/polkit-1/rules.d/50-sluice-hook.rules" ]
	[ -x "$T/usr/bin/sluice" ]
	[ -x "$T/usr/libexec/sluice/hook" ]
	[ -f "$T/dest/usr/share/doc/sluice/kubernetes/sync.yaml" ]
}

@test "systemd: the installed units pass systemd-analyze verify" {
	verify_units "$UNITS" "${ALL[@]}"
}

@test "systemd: ExecStart runs the installed sluice, not @BINDIR@" {
	run -0 grep -h '^ExecStart=' "$UNITS"/*.service
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[*]} == *"ExecStart=$T/usr/bin/sluice sync %i"* ]]
	[[ ${lines[*]} == *"ExecStart=$T/usr/bin/sluice images %i"* ]]
	[[ ${lines[*]} == *"ExecStart=$T/usr/bin/sluice hook "* ]]
	# DESTDIR is where files go, not where they run from
	run -0 grep -h '^ExecStart=' "$T/dest/usr/lib/systemd/system"/*.service
	[[ ${lines[0]} == ExecStart=/usr/bin/sluice* ]]
	! grep -rq '@BINDIR@\|dest/' "$UNITS" "$T/dest/usr/lib/systemd/system"
}

@test "systemd: verify catches a broken unit (so the check above can fail)" {
	cp -r "$UNITS" "$T/broken"
	sed -i 's/^NoNewPrivileges=yes/NoNewPrivilegs=yes/' \
	    "$T/broken/sluice-sync@.service"
	run ! verify_units "$T/broken" sluice-sync@demo.service
	[[ $output == *"Unknown key 'NoNewPrivilegs'"* ]]
	cp "$UNITS/sluice-sync@.service" "$T/broken/"
	sed -i "s|^ExecStart=.*|ExecStart=$T/usr/bin/no-such sync %i|" \
	    "$T/broken/sluice-sync@.service"
	run ! verify_units "$T/broken" sluice-sync@demo.service
	[[ $output == *'not executable'* ]]
	cp "$UNITS/sluice-sync@.service" "$T/broken/"
	rm "$T/broken/sluice-hook@.service"
	run ! verify_units "$T/broken" sluice-hook.socket
}

# unit_value FILE KEY: the values KEY takes in FILE, one a line
unit_value() {
	sed -n "s/^$2=//p" "$1"
}

@test "systemd: the passes are oneshot, per source, and a held lock is no failure" {
	for p in sync images; do
		f=$UNITS/sluice-$p@.service
		[ "$(unit_value "$f" Type)" = oneshot ]
		[ "$(unit_value "$f" EnvironmentFile)" = '/etc/sluice/%i.env' ]
		[ "$(unit_value "$f" StateDirectory)" = 'sluice/%i' ]
		[ "$(unit_value "$f" User)" = sluice ]
		[ "$(unit_value "$f" SuccessExitStatus)" = 75 ]
	done
	grep -qx 'u sluice - "sluice GitOps" /var/lib/sluice' \
	    "$T/usr/lib/sysusers.d/sluice.conf"
}

@test "systemd: the timers run each pass every 5 minutes, as Flux v1 did" {
	for p in sync images; do
		f=$UNITS/sluice-$p@.timer
		[ "$(unit_value "$f" OnUnitActiveSec)" = 5min ]
		[ -n "$(unit_value "$f" OnBootSec)" ]
		[ "$(unit_value "$f" WantedBy)" = timers.target ]
	done
}

@test "systemd: every service is hardened (systemd-analyze security)" {
	for u in sluice-sync@.service sluice-images@.service \
	    sluice-hook@.service; do
		f=$UNITS/$u
		for kv in NoNewPrivileges=yes ProtectSystem=strict \
		    ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
		    ProtectKernelTunables=yes ProtectKernelModules=yes \
		    ProtectKernelLogs=yes ProtectControlGroups=yes \
		    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' \
		    RestrictNamespaces=yes LockPersonality=yes \
		    MemoryDenyWriteExecute=yes SystemCallArchitectures=native \
		    CapabilityBoundingSet=; do
			grep -qx "$kv" "$f" || {
				printf '%s: no %s\n' "$u" "$kv" >&2
				return 1
			}
		done
		# the score is 0 (locked down) to 10; --threshold is in tenths
		(cd "$UNITS" && systemd-analyze security --offline=yes \
		    --man=no --threshold=20 "$u" >"$T/security.out" 2>&1) || {
			tail -n 3 "$T/security.out" >&2
			return 1
		}
	done
}

@test "systemd: the hook socket hands over one connection at a time" {
	f=$UNITS/sluice-hook.socket
	[ "$(unit_value "$f" Accept)" = yes ]
	[[ "$(unit_value "$f" ListenStream)" == 127.0.0.1:* ]]
	f=$UNITS/sluice-hook@.service
	[ "$(unit_value "$f" StandardInput)" = socket ]
	[ "$(unit_value "$f" StandardOutput)" = socket ]
}
