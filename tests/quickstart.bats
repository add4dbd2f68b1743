#!/usr/bin/env bats
# examples/quickstart.sh, the README's first command, run once to the end
# (without its install and build: SLUICE_QUICKSTART_NO_BUILD=1, the tools
# of $SLUICE_BUILD), then its outcome checked: the demo repository, the
# real docker-registry it started and stopped, the dir: target after each
# sync pass, and the automation pass's commit.

bats_require_minimum_version 1.5.0

load helpers

setup_file() {
	export QS=$BATS_FILE_TMPDIR/qs
	export SLUICE_BUILD
	SLUICE_QUICKSTART_NO_BUILD=1 sh "$BATS_TEST_DIRNAME/../examples/quickstart.sh" \
	    "$QS" >"$BATS_FILE_TMPDIR/out" 2>&1 3>&- &&
	    echo 0 >"$BATS_FILE_TMPDIR/rc" ||
	    echo $? >"$BATS_FILE_TMPDIR/rc"
	# the registry's host:port, as the script put it in the env file
	REG=$(sed -n 's/^REGISTRY_INSECURE_HOST=//p' "$QS/etc/demo.env" || true)
	export REG
}

teardown() {	# a failing test shows the script's output
	[ "${BATS_TEST_COMPLETED:-}" = 1 ] || cat "$BATS_FILE_TMPDIR/out"
}

demo_git() { git --git-dir="$QS/demo.git" "$@"; }

# applied LOG ID: the applied record of ID in the pass log LOG
applied() {
	jq -c --arg id "$2" 'select(.type == "applied" and .id == $id)' \
	    "$QS/logs/$1"
}

@test "quickstart: runs to the end, every step with its heading" {
	[ "$(cat "$BATS_FILE_TMPDIR/rc")" = 0 ]
	[[ $REG == 127.0.0.1:[0-9]* ]]
	run -0 grep -c '^==> ' "$BATS_FILE_TMPDIR/out"
	[ "$output" -ge 10 ]
	grep -q '^==> sluice sync demo' "$BATS_FILE_TMPDIR/out"
	grep -q '^==> sluice images demo' "$BATS_FILE_TMPDIR/out"
	grep -qxF "==> Done. Everything is under $QS:" "$BATS_FILE_TMPDIR/out"
	# a second run wipes its own folder, but never someone else's
	mkdir "$BATS_TEST_TMPDIR/mine" && touch "$BATS_TEST_TMPDIR/mine/keep"
	run -1 env SLUICE_QUICKSTART_NO_BUILD=1 sh \
	    "$BATS_TEST_DIRNAME/../examples/quickstart.sh" "$BATS_TEST_TMPDIR/mine"
	[[ $output == *"not an earlier quickstart's: not wiping it"* ]]
	[ -f "$BATS_TEST_TMPDIR/mine/keep" ]
}

@test "quickstart: the first sync rendered the Deployment with 1.0.0" {
	local first rec
	first=$(demo_git rev-list --max-parents=0 main)
	demo_git show "$first:web.yaml" |
	    grep -qx "        image: $REG/demo/web:1.0.0"
	rec=$(applied sync-1.log demo:deployment/web)
	printf '%s\n' "$rec" | jq -e --arg c "$first" \
	    '.action == "created" and .commit == $c'
	for id in '<cluster>:namespace/demo' demo:service/web \
	    demo:configmap/web-config; do
		applied sync-1.log "$id" | jqe '.action == "created"'
	done
	# what the script printed from the target folder after that pass
	[ "$(grep -m 1 '^Deployment demo/web runs ' "$BATS_FILE_TMPDIR/out")" = \
	    "Deployment demo/web runs $REG/demo/web:1.0.0" ]
}

@test "quickstart: the automation pass committed 1.1.0, not 2.0.0, as Flux does" {
	run -0 demo_git log -1 --format=%s main
	[ "$output" = "Auto-release $REG/demo/web:1.1.0" ]
	run -0 demo_git log -1 --format='%an <%ae>' main
	[ "$output" = "sluice <sluice@example.com>" ]
	[ "$(demo_git rev-list --count main)" = 2 ]
	# only the image's tag changed, byte for byte
	run -0 demo_git diff --numstat main~1 main
	[ "$output" = $'1\t1\tweb.yaml' ]
	run -0 demo_git diff -U0 main~1 main
	[[ $output == *"-        image: $REG/demo/web:1.0.0"$'\n'"+        image: $REG/demo/web:1.1.0"* ]]
	# the registry really had the newer tags
	grep -qx "pushed $REG/demo/web:2.0.0 (created 2024-03-01T00:00:00Z)" \
	    "$BATS_FILE_TMPDIR/out"
}

@test "quickstart: the second sync applied 1.1.0 to the dir target" {
	local head
	head=$(demo_git rev-parse main)
	grep -qx "        image: $REG/demo/web:1.1.0" \
	    "$QS/cluster/demo/deployment/web.yaml"
	applied sync-2.log demo:deployment/web | jq -e --arg c "$head" \
	    '.action == "configured" and .commit == $c'
	[ "$(find "$QS/cluster" -type f | wc -l)" = 4 ]
	[ "$(git --git-dir="$QS/state/demo/mirror.git" rev-parse \
	    'refs/tags/flux-sync^{commit}')" = "$head" ]
	# status finds the state folder the env file names
	SLUICE_CONFIG_DIR=$QS/etc SLUICE_STATE_DIR=/nonexistent \
	    run -0 sluice status demo
	[[ $output == *"1 configured, 3 unchanged"* ]]
	[ "$(grep '^Deployment demo/web runs ' "$BATS_FILE_TMPDIR/out" |
	    tail -n 1)" = "Deployment demo/web runs $REG/demo/web:1.1.0" ]
}

@test "quickstart: the registry is stopped when the script exits" {
	local pid
	pid=$(cat "$QS/registry/pid")
	[ -n "$pid" ]
	run ps -o comm= -p "$pid"
	[ -z "$output" ]
	run -0 grep -c 'listening on 127.0.0.1:' "$QS/registry/log"
	run ! curl -s -o /dev/null "http://$REG/v2/"
}

@test "README: the first command is the quickstart, the second CI's test command" {
	local root=$BATS_TEST_DIRNAME/..
	run -0 awk '/^```sh$/ { getline; print; n++ } n == 2 { exit }' \
	    "$root/README.md"
	[ "${lines[0]}" = "sh examples/quickstart.sh" ]
	[ "${lines[1]}" = "$(tail -n 1 "$root/.ci/run")" ]
	# and nothing command-like comes before them
	run -0 grep -n -m 1 '^```' "$root/README.md"
	[ "$(sed -n "$((${output%%:*} + 1))p" "$root/README.md")" = \
	    "sync pass        git-fetch | manifest-gen | kube-apply | gc" ]
}
