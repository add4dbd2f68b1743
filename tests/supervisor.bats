#!/usr/bin/env bats
# The supervisor (sluice sync, images, run, status, config check), end to
# end against real servers: a git daemon, sshd, a docker-registry with
# images pushed by skopeo, and the test Kubernetes API server.

bats_require_minimum_version 1.5.0

load helpers
load servers/git-servers
load servers/registry-servers
load servers/kube-servers

setup_file() {
	local t=$BATS_FILE_TMPDIR
	export SRV=$t/srv
	mkdir -p "$SRV"
	start_git_daemon "$SRV"
	export GITD_PORT
	start_sshd "$SRV"
	export SSHD_PORT SSH_KEY SSH_KNOWN_HOSTS
	start_kube_apiserver "$t/kube"
	export KUBE_PORT KUBE_PID KUBE_URL KUBE_DIR KUBECONFIG_FILE KUBE_CA \
	    KUBE_TOKEN
	start_registry "$t/reg" noauth
	export REG=$REG_HOST
	push_image "$t/oci" 1.0.0 2024-01-01T00:00:00Z amd64 team/web >/dev/null
	push_image "$t/oci" 1.1.0 2024-01-02T00:00:00Z amd64 team/web >/dev/null
}

teardown_file() {
	stop_registries
	stop_kube_apiserver
	stop_servers
}

setup() {
	kube_reset
	export SLUICE_STATE_DIR=$BATS_TEST_TMPDIR/state
	export SLUICE_CONFIG_DIR=$BATS_TEST_TMPDIR/etc
	mkdir -p "$SLUICE_CONFIG_DIR"
	NAME=r$BATS_TEST_NUMBER
	git_seed_repo "$SRV" "$NAME"
	envfile "$NAME"
}

teardown() {
	[ -z "${BG_PID:-}" ] || stop_pid "$BG_PID"
}

# envfile NAME [LINE...]: the env file of source NAME (repository
# NAME.git, path apps), with LINEs added
envfile() {
	local name=$1
	shift
	{
		printf '# source %s\n' "$name"
		printf 'GIT_URL=git://127.0.0.1:%s/%s.git\n' "$GITD_PORT" "$name"
		printf 'GIT_BRANCH="main"\nGIT_PATH=apps\n'
		printf "KUBECONFIG='%s'\n" "$KUBECONFIG_FILE"
		printf 'SYNC_GARBAGE_COLLECTION=true\n'
		printf '%s\n' "$@"
	} >"$SLUICE_CONFIG_DIR/$name.env"
}

put() {	# put FILE CONTENT: commit FILE to the source; prints the commit
	git_push_commit "$SRV" "$NAME" "change $1" "$1" "$2"
}

drop() {	# drop FILE: commit its removal
	_gs_work "$SRV" "$NAME" &&
	    git -C "$SRV/.work/$NAME" rm -q "$1" &&
	    git -C "$SRV/.work/$NAME" -c user.name=t -c user.email=t@e \
	        commit -q -m "drop $1" &&
	    git -C "$SRV/.work/$NAME" push -q origin HEAD:main
}

cm() {	# cm NAME [VALUE]: a ConfigMap manifest
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: default\ndata:\n  v: "%s"\n' \
	    "$1" "${2:-1}"
}

# automated_web [ANNOTATION]: an automated Deployment of
# $REG/team/web:1.0.0, with one more annotation line if given
automated_web() {
	printf '%s\n' 'apiVersion: apps/v1' 'kind: Deployment' 'metadata:' \
	    '  name: web' '  namespace: default' '  annotations:' \
	    '    fluxcd.io/automated: "true"'
	[ -z "${1-}" ] || printf '    %s\n' "$1"
	printf '%s\n' 'spec:' '  selector: {matchLabels: {app: web}}' \
	    '  template:' '    metadata: {labels: {app: web}}' '    spec:' \
	    '      containers:' '      - name: app' \
	    "        image: $REG/team/web:1.0.0"
}

live() {	# live NAME: the ConfigMap's data.v in the cluster, or "absent"
	local out
	out=$(kube_curl -w '\n%{http_code}' \
	    "$KUBE_URL/api/v1/namespaces/default/configmaps/$1")
	case ${out##*$'\n'} in
	200) printf '%s\n' "${out%$'\n'*}" | jq -r '.data.v // .data.repo' ;;
	404) echo absent ;;
	*) echo "error ${out##*$'\n'}" ;;
	esac
}

head_of() { git --git-dir="$SRV/$NAME.git" rev-parse main; }
tag_of() { git --git-dir="$SRV/$NAME.git" rev-parse -q --verify \
    'refs/tags/flux-sync^{commit}' || echo none; }

@test "supervisor: a commit appears in the cluster, and the sync tag moves" {
	run -0 sluice sync "$NAME"
	[ "$(live cm)" = "$NAME" ]
	[ "$(tag_of)" = "$(head_of)" ]
	c=$(put apps/web.yaml "$(cm web 7)")
	run -0 --separate-stderr sluice sync "$NAME"
	[ "$(live web)" = 7 ]
	[ "$(tag_of)" = "$c" ]
	# the record stream went to the journal (stderr), object bodies not
	printf '%s\n' "$stderr" | jqe 'select(.type == "applied"
	    and .id == "default:configmap/web") | .action == "created"'
	! printf '%s\n' "$stderr" | grep -q '^{"type":"object"'
	run -0 sluice status -o json "$NAME"
	printf '%s\n' "$output" | jq -e --arg c "$c" '.[0].sync
	    | .synced == $c and .ok and .created == ["default:configmap/web"]'
	run -0 sluice status "$NAME"
	[[ $output == *"synced     ${c:0:12}"* ]]
	[[ $output == *"created (1): default:configmap/web"* ]]
}

@test "supervisor: no new commit ends after the fetch; SYNC_INTERVAL re-applies" {
	envfile "$NAME" SYNC_INTERVAL=2s
	run -0 sluice sync "$NAME"
	run -0 sluice sync "$NAME"	# tag there, no full re-apply yet
	jq -e '.mode == "full"' "$SLUICE_STATE_DIR/$NAME/sync.json"
	kube_stats_reset
	run -0 sluice sync "$NAME"
	jq -e '.mode == "fetch" and .ok' "$SLUICE_STATE_DIR/$NAME/sync.json"
	[ "$(kube_stats .total)" -eq 0 ]
	sleep 2
	run -0 sluice sync "$NAME"
	jq -e '.mode == "full"' "$SLUICE_STATE_DIR/$NAME/sync.json"
	[ "$(kube_stats .verbs.patch)" -ge 1 ]
}

# fetch_only_as_jq PREV: compare the fetch-only pass just run (its
# summary, and the records and log line in $stderr) with what
# pass-summary.jq writes for that pass after the summary PREV, with the
# same times: the summary, the log line and the metrics file, byte for byte
fetch_only_as_jq() {
	local st=$SLUICE_STATE_DIR/$NAME m=$BATS_TEST_TMPDIR/metrics other
	other=$st/images.json
	[ -s "$other" ] || other=/dev/null
	printf '%s\n' "$stderr" | grep '^{"type"' >"$BATS_TEST_TMPDIR/recs"
	jq -n -r --arg source "$NAME" --arg pass sync --arg mode fetch \
	    --argjson status 0 --arg marked no \
	    --arg stages "$(printf 'git-fetch\t0')" \
	    --argjson start "$(jq '.startedAt | fromdate' "$st/sync.json")" \
	    --argjson stop "$(jq '.finishedAt | fromdate' "$st/sync.json")" \
	    --argjson dur "$(jq '.durationSeconds' "$st/sync.json")" \
	    --arg metrics "$m" --slurpfile prev "$1" --slurpfile other "$other" \
	    -f "$BATS_TEST_DIRNAME/../pipelines/pass-summary.jq" \
	    "$BATS_TEST_TMPDIR/recs" >"$BATS_TEST_TMPDIR/want"
	sed -n 1p "$BATS_TEST_TMPDIR/want" | diff - "$st/sync.json"
	sed -n 2p "$BATS_TEST_TMPDIR/want" |
	    diff - <(printf '%s\n' "$stderr" | grep '"tool":"sluice"')
	sed 1,2d "$BATS_TEST_TMPDIR/want" | diff - "$m/sluice-$NAME.prom"
}

# fetch_only: a sync pass that must end after the fetch, with no jq start
# (jq on PATH notes each start in jq.log), and writes what jq would
fetch_only() {
	local st=$SLUICE_STATE_DIR/$NAME
	cp "$st/sync.json" "$BATS_TEST_TMPDIR/prev.json"
	: >"$BATS_TEST_TMPDIR/jq.log"
	PATH=$BATS_TEST_TMPDIR/bin:$PATH run -0 --separate-stderr \
	    sluice sync "$NAME"
	[ ! -s "$BATS_TEST_TMPDIR/jq.log" ]
	jq -e '.mode == "fetch" and .ok and (.changed | not)' "$st/sync.json"
	fetch_only_as_jq "$BATS_TEST_TMPDIR/prev.json"
}

@test "supervisor: a pass that ends after the fetch writes what jq would, without jq" {
	envfile "$NAME" "METRICS_DIR=$BATS_TEST_TMPDIR/metrics" \
	    "REGISTRY_EXCLUDE_IMAGE=*"
	st=$SLUICE_STATE_DIR/$NAME
	mkdir "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\necho "$*" >>"%s"\nexec %s "$@"\n' \
	    "$BATS_TEST_TMPDIR/jq.log" "$(command -v jq)" \
	    >"$BATS_TEST_TMPDIR/bin/jq"
	chmod +x "$BATS_TEST_TMPDIR/bin/jq"
	run -0 sluice sync "$NAME"
	run -0 sluice sync "$NAME"
	jq -e '.mode == "full"' "$st/sync.json"
	run -0 sluice images "$NAME"	# the other pass in the metrics file
	fetch_only	# after a full re-apply
	put apps/web.yaml "$(cm web 3)"
	run -0 sluice sync "$NAME"
	jq -e '.mode == "sync" and .changed' "$st/sync.json"
	fetch_only	# after a sync pass
	fetch_only	# after one that ended after the fetch
	jq -e '.created == ["default:configmap/web"]' "$st/sync.json"
	run -0 sluice status -o json "$NAME"
	printf '%s\n' "$output" | jq -e --arg c "$(head_of)" '.[0].sync
	    | .mode == "fetch" and .ok and .exit == 0 and .commit == $c
	    and .synced == $c and .lastSuccessAt == .finishedAt'
	run -0 sluice status "$NAME"
	[[ $output == *"sync pass  ok, fetch, commit $(head_of | cut -c1-12), ended "* ]]
	[[ $output == *"created (1): default:configmap/web"* ]]
	# a pass without the metrics leaves the file behind the summary: the
	# next one sees it, and writes both with jq. The check compares the
	# run's time to the second and its duration to the millisecond: two
	# fetch-only passes in one second may well take the same time, so
	# this one starts in the next second
	envfile "$NAME" "REGISTRY_EXCLUDE_IMAGE=*"
	sleep 1
	run -0 sluice sync "$NAME"
	envfile "$NAME" "METRICS_DIR=$BATS_TEST_TMPDIR/metrics" \
	    "REGISTRY_EXCLUDE_IMAGE=*"
	cp "$st/sync.json" "$BATS_TEST_TMPDIR/prev.json"
	: >"$BATS_TEST_TMPDIR/jq.log"
	PATH=$BATS_TEST_TMPDIR/bin:$PATH run -0 --separate-stderr \
	    sluice sync "$NAME"
	[ "$(grep -c -- '-f .*pass-summary.jq' "$BATS_TEST_TMPDIR/jq.log")" -eq 1 ]
	fetch_only_as_jq "$BATS_TEST_TMPDIR/prev.json"
}

@test "supervisor: a deleted file is pruned" {
	put apps/web.yaml "$(cm web)"
	run -0 sluice sync "$NAME"
	[ "$(live web)" = 1 ]
	drop apps/web.yaml
	run -0 sluice sync "$NAME"
	[ "$(live web)" = absent ]
	[ "$(live cm)" = "$NAME" ]
	jq -e '.deleted == ["default:configmap/web"]' \
	    "$SLUICE_STATE_DIR/$NAME/sync.json"
}

@test "supervisor: a broken file blocks nothing else and deletes nothing" {
	put apps/web.yaml "$(cm web)"
	run -0 sluice sync "$NAME"
	tag=$(tag_of)
	put apps/web.yaml 'kind: ConfigMap
metadata: {name: web
data: "unclosed'
	put apps/new.yaml "$(cm new 2)"
	run -1 sluice sync "$NAME"
	[ "$(live new)" = 2 ]	# blocks nothing else
	[ "$(live web)" = 1 ]	# deletes nothing
	[ "$(tag_of)" = "$tag" ]
	run -0 sluice status -o json
	printf '%s\n' "$output" | jq -e '.[0].sync | .ok == false and .exit == 1
	    and (.errors | any(.stage == "manifest-gen"
	        and .file == "apps/web.yaml"))'
	run -0 sluice status "$NAME"
	[[ $output == *"last errors:"*"manifest-gen: apps/web.yaml"* ]]
}

@test "supervisor: a stage killed mid-pass leaves the tag and deletes nothing" {
	put apps/web.yaml "$(cm web)"
	run -0 sluice sync "$NAME"
	tag=$(tag_of)
	drop apps/web.yaml
	put apps/new.yaml "$(cm new)"
	envfile "$NAME" \
	    "SYNC_STAGES_BEFORE_APPLY=sh $FIXTURES/stages/die-after.sh 2"
	run -137 sluice sync "$NAME"
	[ "$(live web)" = 1 ]
	[ "$(live new)" = absent ]
	[ "$(tag_of)" = "$tag" ]
	jq -e '.stages | map(select(.stage == "sh")) | .[0].exit == 137' \
	    "$SLUICE_STATE_DIR/$NAME/sync.json"
	# without the stage, the next pass completes
	envfile "$NAME"
	run -0 sluice sync "$NAME"
	[ "$(live web)" = absent ]
	[ "$(tag_of)" = "$(head_of)" ]
}

@test "supervisor: a user's own stage (jq alone) is spliced in and counted" {
	put apps/lb.yaml 'apiVersion: v1
kind: Service
metadata: {name: lb, namespace: default}
spec: {type: LoadBalancer, ports: [{port: 80}]}'
	envfile "$NAME" \
	    "SYNC_STAGES_BEFORE_APPLY=sh $FIXTURES/stages/no-lb.sh"
	run -1 sluice sync "$NAME"	# no-lb exits 0, its end says not ok
	[ "$(live cm)" = "$NAME" ]
	[ "$(tag_of)" = none ]
	run -0 kube_curl -o /dev/null -w '%{http_code}' \
	    "$KUBE_URL/api/v1/namespaces/default/services/lb"
	[ "$output" = 404 ]
	run -0 sluice config check "$NAME"
	[[ $output == *"| 'sh' '$FIXTURES/stages/no-lb.sh'"*"| kube-apply"* ]]
}

@test "supervisor: a user's end record counts, whatever the order of its keys" {
	envfile "$NAME" \
	    "SYNC_STAGES_AFTER_GC=sh $FIXTURES/stages/late-end.sh false"
	run -1 sluice sync "$NAME"	# late-end exits 0, its end says not ok
	[ "$(live cm)" = "$NAME" ]
	[ "$(tag_of)" = none ]
	envfile "$NAME" \
	    "SYNC_STAGES_AFTER_GC=sh $FIXTURES/stages/late-end.sh true"
	run -0 sluice sync "$NAME"
	[ "$(tag_of)" = "$(head_of)" ]
}

@test "supervisor: a newer image tag is committed to Git and then applied" {
	put apps/web.yaml "$(automated_web 'fluxcd.io/tag.app: semver:~1')"
	envfile "$NAME" "REGISTRY_INSECURE_HOST=$REG" \
	    "REGISTRY_EXCLUDE_IMAGE=index.docker.io/*" GIT_USER=bot \
	    GIT_EMAIL=bot@example.com
	run -0 sluice sync "$NAME"
	before=$(head_of)
	run -0 sluice images "$NAME"
	[ "$(head_of)" != "$before" ]
	git --git-dir="$SRV/$NAME.git" show main:apps/web.yaml |
	    grep -qx "        image: $REG/team/web:1.1.0"
	jq -e '.updates | length == 1 and .[0].to == "'"$REG"'/team/web:1.1.0"' \
	    "$SLUICE_STATE_DIR/$NAME/images.json"
	run -0 sluice sync "$NAME"
	run -0 kube_curl "$KUBE_URL/apis/apps/v1/namespaces/default/deployments/web"
	[ "$(printf '%s' "$output" |
	    jq -r '.spec.template.spec.containers[0].image')" = \
	    "$REG/team/web:1.1.0" ]
	run -0 sluice status "$NAME"
	[[ $output == *"automation ok"*"1 updates"* ]]
}

@test "supervisor: over ssh, the sync pass applies and the automation pass pushes" {
	put apps/web.yaml "$(automated_web)"
	envfile "$NAME" "REGISTRY_INSECURE_HOST=$REG" \
	    "REGISTRY_EXCLUDE_IMAGE=index.docker.io/*" GIT_USER=bot \
	    GIT_EMAIL=bot@example.com "GIT_SSH_KEY=$SSH_KEY" \
	    "GIT_KNOWN_HOSTS=$SSH_KNOWN_HOSTS"
	sed -i "s|^GIT_URL=.*|GIT_URL=ssh://$(id -un)@127.0.0.1:$SSHD_PORT$SRV/$NAME.git|" \
	    "$SLUICE_CONFIG_DIR/$NAME.env"
	run -0 sluice sync "$NAME"
	[ "$(live cm)" = "$NAME" ]
	[ "$(tag_of)" = "$(head_of)" ]	# the tag was pushed over ssh
	before=$(head_of)
	run -0 sluice images "$NAME"
	[ "$(git --git-dir="$SRV/$NAME.git" rev-parse main~1)" = "$before" ]
	git --git-dir="$SRV/$NAME.git" show main:apps/web.yaml |
	    grep -qx "        image: $REG/team/web:1.1.0"
	run -0 sluice sync "$NAME"
	[ "$(tag_of)" = "$(head_of)" ]
}

@test "supervisor: two sources on one host" {
	other=o$BATS_TEST_NUMBER
	git_seed_repo "$SRV" "$other"
	git_push_commit "$SRV" "$other" "two" apps2/two.yaml "$(cm two 2)" \
	    >/dev/null
	envfile "$other" GIT_PATH=apps2
	run -0 sluice sync "$NAME"
	run -0 sluice sync "$other"
	[ "$(live cm)" = "$NAME" ]
	[ "$(live two)" = 2 ]
	run -0 sluice status -o json
	printf '%s\n' "$output" | jq -e --arg a "$NAME" --arg b "$other" \
	    'map(.source) | sort == ([$a, $b] | sort)'
	# the second source's gc never prunes the first's objects
	run -0 sluice sync "$other"
	[ "$(live cm)" = "$NAME" ]
}

@test "supervisor: overlapping passes are refused with 75" {
	mkdir -p "$SLUICE_STATE_DIR/$NAME"
	# the sleep itself holds the lock, so stopping it frees the lock
	(exec 9>"$SLUICE_STATE_DIR/$NAME/lock" && flock 9 && exec sleep 30) &
	BG_PID=$!
	wait_for "! flock -n '$SLUICE_STATE_DIR/$NAME/lock' true" 1500
	run -75 --separate-stderr sluice sync "$NAME"
	[[ $stderr == *"holds"*"/lock"* ]]
	run -75 sluice images "$NAME"
	[ "$(live cm)" = absent ]
	stop_pid "$BG_PID"
	BG_PID=
	run -0 sluice sync "$NAME"
}

@test "supervisor: notifications (generic and Slack) and a failing notifier" {
	python3 "$FIXTURES/stages/webhook.py" "$BATS_TEST_TMPDIR/port" \
	    "$BATS_TEST_TMPDIR/posts" 3>&- &
	BG_PID=$!
	wait_for "[ -s '$BATS_TEST_TMPDIR/port' ]"
	port=$(cat "$BATS_TEST_TMPDIR/port")
	envfile "$NAME" "NOTIFY_URL=http://127.0.0.1:$port/hook/s3cr3t"
	run -0 sluice sync "$NAME"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/posts")" -eq 1 ]
	jq -e '.path == "/hook/s3cr3t" and .type == "application/json"
	    and .body.type == "sluice.pass" and .body.ok
	    and .body.created == ["default:configmap/cm"]' \
	    "$BATS_TEST_TMPDIR/posts"
	run -0 sluice sync "$NAME"	# nothing changed: no POST
	[ "$(wc -l <"$BATS_TEST_TMPDIR/posts")" -eq 1 ]
	envfile "$NAME" "NOTIFY_URL=http://127.0.0.1:$port/slack" \
	    NOTIFY_FORMAT=slack
	put apps/web.yaml "$(cm web)"
	run -0 sluice sync "$NAME"
	tail -n 1 "$BATS_TEST_TMPDIR/posts" | jq -e '.path == "/slack"
	    and (.body.text | test("sync pass over \\*'"$NAME"'\\* applied"))
	    and (.body.attachments[0].fields[0].value
	         == "default:configmap/web")'
	# a failing notifier never fails the pass, nor shows its URL
	stop_pid "$BG_PID"
	BG_PID=
	envfile "$NAME" "NOTIFY_URL=http://127.0.0.1:$port/hook/s3cr3t"
	put apps/x.yaml "$(cm x)"
	run -0 --separate-stderr sluice sync "$NAME"
	[ "$(live x)" = 1 ]
	[[ $stderr == *"notification failed"* ]]
	[[ $stderr != *s3cr3t* ]]
}

@test "supervisor: the metrics textfile" {
	envfile "$NAME" "METRICS_DIR=$BATS_TEST_TMPDIR/metrics"
	put apps/web.yaml "$(cm web)"
	run -0 sluice sync "$NAME"
	f=$BATS_TEST_TMPDIR/metrics/sluice-$NAME.prom
	grep -qx "sluice_objects{source=\"$NAME\",result=\"created\"} 2" "$f"
	grep -qx "sluice_pass_exit_status{source=\"$NAME\",pass=\"sync\"} 0" "$f"
	grep -q "^sluice_pass_duration_seconds{source=\"$NAME\",pass=\"sync\"} [0-9.]*$" "$f"
	grep -q "^sluice_pass_last_success_timestamp_seconds{source=\"$NAME\",pass=\"sync\"} [1-9][0-9]*$" "$f"
	drop apps/web.yaml
	run -0 sluice sync "$NAME"
	grep -qx "sluice_deletions{source=\"$NAME\"} 1" "$f"
	envfile "$NAME" "METRICS_DIR=$BATS_TEST_TMPDIR/metrics" \
	    "REGISTRY_EXCLUDE_IMAGE=*"
	run -0 sluice images "$NAME"
	grep -qx "sluice_images_scanned{source=\"$NAME\"} 0" "$f"
	grep -qx "sluice_image_updates{source=\"$NAME\"} 0" "$f"
	grep -qx "sluice_pass_exit_status{source=\"$NAME\",pass=\"images\"} 0" "$f"
	grep -qx "sluice_deletions{source=\"$NAME\"} 1" "$f"	# kept
	[ -z "$(find "$BATS_TEST_TMPDIR/metrics" -name '*.tmp*')" ]
}

@test "supervisor: sluice run polls, and starts early on the trigger file" {
	envfile "$NAME" GIT_POLL_INTERVAL=1h AUTOMATION_INTERVAL=1h \
	    "REGISTRY_EXCLUDE_IMAGE=*"
	sluice run "$NAME" 2>"$BATS_TEST_TMPDIR/run.log" 3>&- &
	BG_PID=$!
	wait_for "[ -s '$SLUICE_STATE_DIR/$NAME/images.json' ]" 3000
	[ "$(live cm)" = "$NAME" ]
	put apps/web.yaml "$(cm web 5)"
	images_before=$(cksum <"$SLUICE_STATE_DIR/$NAME/images.json")
	SLUICE_SYSTEMCTL=false sluice trigger "$NAME"
	wait_for "[ \"\$(live web)\" = 5 ]" 3000
	[ ! -e "$SLUICE_STATE_DIR/$NAME/trigger" ]
	# a sync trigger starts no automation pass; an images one does
	[ "$(cksum <"$SLUICE_STATE_DIR/$NAME/images.json")" = "$images_before" ]
	SLUICE_SYSTEMCTL=false sluice trigger "$NAME" images
	wait_for "[ \"\$(cksum <'$SLUICE_STATE_DIR/$NAME/images.json')\" != '$images_before' ]" 3000
	[ ! -e "$SLUICE_STATE_DIR/$NAME/trigger" ]
}

@test "supervisor: config check names file and line, hides secrets" {
	f=$SLUICE_CONFIG_DIR/$NAME.env
	envfile "$NAME" 'SLUICE_GIT_PASSWORD=hunter2' \
	    'NOTIFY_URL=https://hooks.example.com/T0/s3cr3t'
	sed -i "s|^GIT_URL=.*|GIT_URL=https://bot:pa55@example.com/r.git|" "$f"
	run -0 sluice config check "$NAME"
	[[ $output == *"| kube-apply '--kubeconfig'"* ]]
	[[ $output == *"| gc "* ]]
	[[ $output != *hunter2* && $output != *s3cr3t* && $output != *pa55* ]]
	envfile "$NAME" 'GIT_BRANCHH=main' 'SYNC_INTERVAL=5 minutes' \
	    'GIT_READONLY=maybe' 'echo=$(touch '"$BATS_TEST_TMPDIR"'/pwned)' \
	    'garbage line'
	run -78 --separate-stderr sluice config check "$NAME"
	[[ $stderr == *"$f:7: unknown variable 'GIT_BRANCHH'"* ]]
	[[ $stderr == *"$f:8: SYNC_INTERVAL: '5 minutes' is not a duration"* ]]
	[[ $stderr == *"$f:9: GIT_READONLY: 'maybe' is not a boolean"* ]]
	[[ $stderr == *"$f:11: not KEY=VALUE"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/pwned" ]
	run -78 sluice sync "$NAME"
	printf 'GIT_BRANCH=main\n' >"$BATS_TEST_TMPDIR/only.env"
	run -78 --separate-stderr sluice config check \
	    --config "$BATS_TEST_TMPDIR/only.env" "$NAME"
	[[ $stderr == *"GIT_URL is not set"* ]]
	run -64 sluice sync
	run -64 sluice sync ../x
	run -78 sluice sync no-such-source
}
