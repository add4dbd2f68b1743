#!/usr/bin/env bats
# kube-apply on the dir: target (no cluster). The same rules against the
# test API server are in tests/kube-target.bats; --state-dir is tested
# against both here, counting the server's requests.

load helpers
load servers/kube-servers

setup_file() {
	start_kube_apiserver "$BATS_FILE_TMPDIR/kube"
}

teardown_file() {
	stop_kube_apiserver
}

setup() {
	T=$BATS_TEST_TMPDIR
	OUT=$T/out
	sync_fixture "$T/repo" >/dev/null
	rendered "$T/repo" >"$T/stream"
}

ka() {
	kube-apply --target "dir:$OUT" "$@"
}

action_of() {	# action_of ID: the action of its applied record in $output
	lines_of_type applied | jq -r --arg id "$1" 'select(.id == $id).action'
}

# --- the standard cases -------------------------------------------------

@test "kube-apply: unknown record types pass through unchanged" {
	run -0 ka <<<'{"type":"not-yet-invented","x":1}'
	[ "$output" = '{"type":"not-yet-invented","x":1}' ]
}

@test "kube-apply: empty input gives empty output and 0" {
	run -0 ka </dev/null
	[ -z "$output" ]
}

@test "kube-apply: a line that is not JSON is a data error naming it" {
	run --separate-stderr -65 ka <<<$'{"type":"x"}\nnope'
	[[ $stderr == *'line 2'* ]]
}

@test "kube-apply: stdout to /dev/full gives 74" {
	run -74 bash -c 'kube-apply --target "dir:$1" <"$2" >/dev/full' - \
	    "$OUT" "$T/stream"
}

@test "kube-apply: bad flags give 64" {
	run -64 kube-apply --no-such-flag
	run -64 kube-apply --target nowhere </dev/null
	run -64 kube-apply --concurrency 0
	run -64 kube-apply extra
}

@test "kube-apply: a failing object is marked and gives 1; the others apply" {
	mkdir -p "$T/bad"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok-one}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: "../escape"}\n' \
	    >"$T/bad/cm.yaml"
	manifest-gen --dir "$T/bad" >"$T/badstream" || true
	run --separate-stderr -1 ka <"$T/badstream"
	[ "$(action_of 'default:configmap/ok-one')" = created ]
	[ "$(action_of 'default:configmap/../escape')" = failed ]
	lines_of_type end | jqe 'select(.stage == "kube-apply") |
	    .ok == false and .failed == ["default:configmap/../escape"]'
	[ ! -e "$T/escape.yaml" ] && [ ! -e "$OUT/escape.yaml" ]
}

@test "kube-apply: an unreachable API server gives 75" {
	port=$(free_port 2>/dev/null || echo 1)
	cat >"$T/kubeconfig" <<EOF2
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:$port", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: abc}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
EOF2
	run --separate-stderr -75 kube-apply --kubeconfig "$T/kubeconfig" \
	    --timeout 2s <"$T/stream"
	lines_of_type end | jqe 'select(.stage == "kube-apply") | .ok == false'
}

# --- applying -----------------------------------------------------------

@test "kube-apply: writes every object once, in Flux v1's order" {
	run --separate-stderr -0 ka <"$T/stream"
	diff <(lines_of_type applied | jq -r '[.id, .action] | @tsv') - <<'EOF2'
<cluster>:namespace/shop	created
shop:service/web	created
<cluster>:clusterrole/web-reader	created
<cluster>:customresourcedefinition/widgets.example.com	created
shop:configmap/hands-off	skipped
shop:configmap/web-config	created
shop:secret/web-token	created
shop:deployment/web	created
shop:widget/gadget	created
EOF2
	[ -f "$OUT/_cluster/namespace/shop.yaml" ]
	[ -f "$OUT/shop/deployment/web.yaml" ]
	[ -f "$OUT/shop/widget/gadget.yaml" ]
	[ ! -e "$OUT/shop/configmap/hands-off.yaml" ]
	lines_of_type applied | jqe 'select(.id == "shop:configmap/hands-off") |
	    .reason | test("ignored in Git")'
	lines_of_type end | jqe 'select(.stage == "kube-apply") | .ok and
	    .counts.created == 8 and .counts.skipped == 1'
}

@test "kube-apply: the GC mark and checksum are on what is applied" {
	run --separate-stderr -0 ka <"$T/stream"
	sync_set=$(head -n 1 "$T/stream" | jq -r .syncSet)
	want=$(printf '%s%s' "$sync_set" "shop:deployment/web" |
	    openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
	grep -q "fluxcd.io/sync-gc-mark: sha256.$want" "$OUT/shop/deployment/web.yaml"
	grep -Eq 'fluxcd.io/sync-checksum: "?[0-9a-f]{40}' "$OUT/shop/deployment/web.yaml"
}

@test "kube-apply: no bodies in the records, no secrets in the logs" {
	run --separate-stderr -0 ka <"$T/stream"
	[[ $output$stderr != *do-not-print-me* ]]
	! lines_of_type applied | jq -e 'has("object")' >/dev/null
}

@test "kube-apply: a second run changes nothing; a change is configured" {
	ka <"$T/stream" >/dev/null
	touch -d '2001-01-01' "$OUT/shop/deployment/web.yaml"
	run --separate-stderr -0 ka <"$T/stream"
	[ "$(lines_of_type applied | jq -r .action | sort -u | tr '\n' ' ')" = \
	    'skipped unchanged ' ]
	[ "$(stat -c %Y "$OUT/shop/deployment/web.yaml")" = "$(date -d 2001-01-01 +%s)" ]
	sed -i 's/greeting: hello/greeting: bonjour/' "$T/repo/apps/web.yaml"
	recommit "$T/repo" change >/dev/null
	rendered "$T/repo" >"$T/stream2"
	run --separate-stderr -0 ka <"$T/stream2"
	[ "$(action_of shop:configmap/web-config)" = configured ]
	[ "$(action_of shop:deployment/web)" = unchanged ]
	grep -q 'greeting: bonjour' "$OUT/shop/configmap/web-config.yaml"
}

@test "kube-apply: --full re-applies what a checksum says is unchanged" {
	ka <"$T/stream" >/dev/null
	# drift behind Git's back, checksum left as it was
	sed -i 's/image: nginx:1.25/image: evil:latest/' "$OUT/shop/deployment/web.yaml"
	run --separate-stderr -0 ka <"$T/stream"
	[ "$(action_of shop:deployment/web)" = unchanged ]
	run --separate-stderr -0 ka --full <"$T/stream"
	[ "$(action_of shop:deployment/web)" = configured ]
	grep -q 'image: nginx:1.25' "$OUT/shop/deployment/web.yaml"
}

@test "kube-apply: a live fluxcd.io/ignore is respected" {
	ka <"$T/stream" >/dev/null
	sed -i 's/^  annotations:$/  annotations:\n    fluxcd.io\/ignore: "true"/' \
	    "$OUT/shop/configmap/web-config.yaml"
	grep -q 'fluxcd.io/ignore' "$OUT/shop/configmap/web-config.yaml"
	run --separate-stderr -0 ka --full <"$T/stream"
	[ "$(action_of shop:configmap/web-config)" = skipped ]
	lines_of_type applied | jqe 'select(.id == "shop:configmap/web-config") |
	    .reason | test("ignored in the cluster")'
}

@test "kube-apply: --dry-run writes nothing and says what would happen" {
	run --separate-stderr -0 ka --dry-run <"$T/stream"
	[ "$(action_of shop:deployment/web)" = created ]
	lines_of_type applied | jqe '.dryRun == true'
	[ -z "$(find "$OUT" -type f 2>/dev/null)" ]
}

@test "kube-apply: --k8s-allow-namespace skips the rest" {
	run --separate-stderr -0 ka --k8s-allow-namespace other <"$T/stream"
	[ "$(action_of shop:deployment/web)" = skipped ]
	[ "$(action_of '<cluster>:namespace/shop')" = skipped ]
	[ "$(action_of '<cluster>:clusterrole/web-reader')" = created ]
	run --separate-stderr -0 ka --k8s-allow-namespace other,shop <"$T/stream"
	[ "$(action_of shop:deployment/web)" = created ]
}

@test "kube-apply: a stream cut before its end applies nothing" {
	grep -v '"type":"end"' "$T/stream" >"$T/half"
	run --separate-stderr -1 ka <"$T/half"
	[ -z "$(lines_of_type applied)" ]
	lines_of_type end | jqe 'select(.stage == "kube-apply") |
	    .ok == false and (.message | test("incomplete"))'
	[ -z "$(find "$OUT" -type f 2>/dev/null)" ]
}

@test "kube-apply: records it does not consume pass through, in order" {
	run --separate-stderr -0 ka <"$T/stream"
	[ "${lines[0]}" = "$(head -n 1 "$T/stream")" ]
	[ "$(lines_of_type end | jq -r .stage | tr '\n' ' ')" = \
	    'manifest-gen kube-apply ' ]
}

# --- --state-dir: what was applied is remembered --------------------------

# kst ARGS...: kube-apply to the test API server, remembering in $T/state
kst() {
	kube-apply --kubeconfig "$KUBECONFIG_FILE" --state-dir "$T/state" "$@"
}

# counts: the actions of the applied records in $output, "action=N ..."
counts() {
	lines_of_type applied | jq -r .action | sort | uniq -c |
	    awk '{ printf "%s=%s ", $2, $1 }'
}

state_file() {
	printf '%s\n' "$T/state/demo/kube-apply.state"
}

# applied_then_changed: an empty cluster gets $T/stream (state kept), then
# web-config changes in Git: $T/stream2 is the stream of that commit
applied_then_changed() {
	kube_reset
	kst <"$T/stream" >/dev/null
	sed -i 's/greeting: hello/greeting: bonjour/' "$T/repo/apps/web.yaml"
	recommit "$T/repo" change >/dev/null
	rendered "$T/repo" >"$T/stream2"
}

# changed_line: the line of $T/stream2 with web-config's object record
changed_line() {
	grep -n '"id":"shop:configmap/web-config"' "$T/stream2" | cut -d: -f1
}

@test "kube-apply --state-dir: an unchanged run sends no request at all" {
	kube_reset
	run --separate-stderr -0 kst <"$T/stream"
	[ "$(counts)" = 'created=8 skipped=1 ' ]
	kube_stats_reset
	run --separate-stderr -0 kst <"$T/stream"
	[ "$(counts)" = 'skipped=1 unchanged=8 ' ]
	[ "$(kube_stats .total)" = 0 ]
	lines_of_type end | jqe 'select(.stage == "kube-apply") | .ok and
	    .counts.unchanged == 8'
}

@test "kube-apply --state-dir: one changed object costs one list and one patch" {
	applied_then_changed
	kube_stats_reset
	run --separate-stderr -0 kst <"$T/stream2"
	[ "$(counts)" = 'configured=1 skipped=1 unchanged=7 ' ]
	[ "$(action_of shop:configmap/web-config)" = configured ]
	[ "$(kube_stats .verbs.list)" = 1 ]
	[ "$(kube_stats .mutations)" = 1 ]
	[ "$(kube_stats .resources.configmaps)" = 2 ]
	kube_curl "$KUBE_URL/api/v1/namespaces/shop/configmaps/web-config" |
	    jq -e '.data.greeting == "bonjour"'
	# and that is remembered too
	kube_stats_reset
	run --separate-stderr -0 kst <"$T/stream2"
	[ "$(kube_stats .total)" = 0 ]
}

@test "kube-apply --state-dir: discovery starts at a changed object, while the rest is read" {
	applied_then_changed
	n=$(changed_line)
	[ "$n" -lt "$(wc -l <"$T/stream2")" ]
	mkfifo "$T/fifo"
	kube_stats_reset
	kst <"$T/fifo" >"$T/out2" 2>"$T/err2" &
	pid=$!
	exec 8>"$T/fifo"
	# the stream up to the changed object only: no end, no EOF yet
	head -n "$n" "$T/stream2" >&8
	for _ in $(seq 100); do
		[ "$(kube_stats .discovery)" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(kube_stats .discovery)" -ge 2 ]
	[ "$(kube_stats '.verbs.list // 0')" = 0 ]
	tail -n +"$((n + 1))" "$T/stream2" >&8
	exec 8>&-
	wait "$pid"
	output=$(cat "$T/out2")
	[ "$(counts)" = 'configured=1 skipped=1 unchanged=7 ' ]
	[ "$(kube_stats .mutations)" = 1 ]
	[ "$(kube_stats .discovery)" = 2 ]	# once: /api and /apis
}

@test "kube-apply --state-dir: discovery that fails while the rest is read is the object's error" {
	applied_then_changed
	kube_fault 503 1000 'GET /apis'
	kube_stats_reset
	run --separate-stderr -75 kst <"$T/stream2"
	lines_of_type applied | jqe 'select(.id == "shop:configmap/web-config") |
	    .action == "failed" and (.error | test("discovery failed"))'
	[ "$(kube_stats .mutations)" = 0 ]
	kube_faults_clear
	# the next run discovers and applies it
	run --separate-stderr -0 kst <"$T/stream2"
	[ "$(action_of shop:configmap/web-config)" = configured ]
}

@test "kube-apply --state-dir: a stream that breaks while discovery runs gives 65 at once" {
	applied_then_changed
	n=$(changed_line)
	{ head -n "$n" "$T/stream2"; echo garbage; } >"$T/broken"
	# discovery hangs for 5 s: the exit must not wait for it, nor crash
	# in the clean-up the thread's TLS library does at exit
	kube_fault 503 1 'GET /api' '' 5
	start=$(date +%s%N)
	run --separate-stderr -65 kst <"$T/broken"
	[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 4000 ]
	[[ $stderr == *"line $((n + 1)): not a JSON object"* ]]
	[[ $stderr != *Sanitizer* ]]
	kube_faults_clear
}

@test "kube-apply --state-dir: the list for one changed object asks for it by name" {
	applied_then_changed
	# a fault that only a list narrowed to web-config meets
	kube_fault 403 1 'configmaps?limit=500&fieldSelector=metadata.name%3Dweb-config'
	run --separate-stderr -75 kst <"$T/stream2"
	lines_of_type applied | jqe 'select(.id == "shop:configmap/web-config") |
	    .action == "failed" and (.error | test("cannot list"))'
	kube_faults_clear
}

@test "kube-apply --state-dir: a failed object is not remembered, so it is retried" {
	kube_reset
	kube_fault 403 1 'PATCH /api/v1/namespaces/shop/configmaps/web-config'
	run --separate-stderr -1 kst <"$T/stream"
	[ "$(action_of shop:configmap/web-config)" = failed ]
	! grep -q 'shop:configmap/web-config' "$(state_file)"
	grep -q 'shop:deployment/web$' "$(state_file)"
	kube_stats_reset
	run --separate-stderr -0 kst <"$T/stream"
	[ "$(action_of shop:configmap/web-config)" = created ]
	[ "$(counts)" = 'created=1 skipped=1 unchanged=7 ' ]
	[ "$(kube_stats .verbs.list)" = 1 ]
	[ "$(kube_stats .mutations)" = 1 ]
	grep -q 'shop:configmap/web-config$' "$(state_file)"
}

@test "kube-apply --state-dir: --full compares everything and writes the state" {
	kube_reset
	kst <"$T/stream" >/dev/null
	rm "$(state_file)"
	kube_stats_reset
	run --separate-stderr -0 kst --full <"$T/stream"
	[ "$(kube_stats .verbs.list)" -gt 0 ]
	[ "$(kube_stats .mutations)" = 8 ]
	[ "$(counts)" = 'skipped=1 unchanged=8 ' ]
	[ "$(tail -n 1 "$(state_file)")" = 'end 8' ]
	# drift behind Git's back is the trade-off: only --full sees it
	kube_curl -X PATCH -H 'Content-Type: application/merge-patch+json' \
	    --data '{"data":{"greeting":"drift"}}' \
	    "$KUBE_URL/api/v1/namespaces/shop/configmaps/web-config" >/dev/null
	run --separate-stderr -0 kst <"$T/stream"
	[ "$(action_of shop:configmap/web-config)" = unchanged ]
	run --separate-stderr -0 kst --full <"$T/stream"
	[ "$(action_of shop:configmap/web-config)" = configured ]
	kube_curl "$KUBE_URL/api/v1/namespaces/shop/configmaps/web-config" |
	    jq -e '.data.greeting == "hello"'
}

@test "kube-apply --state-dir: --dry-run neither reads nor writes the state" {
	kube_reset
	run --separate-stderr -0 kst --dry-run <"$T/stream"
	[ ! -e "$T/state" ]
	kst <"$T/stream" >/dev/null
	cp "$(state_file)" "$T/before"
	was=$(stat -c '%i %y' "$(state_file)")
	kube_stats_reset
	run --separate-stderr -0 kst --dry-run <"$T/stream"
	[ "$(kube_stats .verbs.list)" -gt 0 ]
	cmp "$(state_file)" "$T/before"
	[ "$(stat -c '%i %y' "$(state_file)")" = "$was" ]
	[ "$(ls -A "$T/state/demo")" = kube-apply.state ]
}

@test "kube-apply --state-dir: a cut or corrupt state is ignored" {
	kube_reset
	kst <"$T/stream" >/dev/null
	cp "$(state_file)" "$T/good"
	for bad in cut garbage; do
		case $bad in
		cut) head -c -20 "$T/good" >"$(state_file)" ;;
		garbage) sed '3s/^[0-9a-f]/X/' "$T/good" >"$(state_file)" ;;
		esac
		kube_stats_reset
		run --separate-stderr -0 kst <"$T/stream"
		[ "$(counts)" = 'skipped=1 unchanged=8 ' ]
		[ "$(kube_stats .verbs.list)" -gt 0 ]
		[ "$(kube_stats .mutations)" = 0 ]
		[[ $stderr == *'not using the state'* ]]
		cmp "$(state_file)" "$T/good"
	done
}

@test "kube-apply --state-dir: a state for another target or namespaces is ignored" {
	kube_reset
	kst <"$T/stream" >/dev/null
	grep -qF "\"target\":\"$KUBE_URL\"" "$(state_file)"
	sed -i "2s|$KUBE_URL|https://127.0.0.1:1|" "$(state_file)"
	kube_stats_reset
	run --separate-stderr -0 kst <"$T/stream"
	[ "$(kube_stats .verbs.list)" -gt 0 ]
	[[ $stderr == *'another target'* ]]
	[ "$(counts)" = 'skipped=1 unchanged=8 ' ]
	# the same target with other namespaces allowed
	kube_stats_reset
	run --separate-stderr -0 kst --k8s-allow-namespace shop <"$T/stream"
	[ "$(kube_stats .verbs.list)" -gt 0 ]
	grep -q '"allow":\["shop"\]' "$(state_file)"
}

@test "kube-apply --state-dir: a stream cut before its end leaves the state as it was" {
	kube_reset
	kst <"$T/stream" >/dev/null
	cp "$(state_file)" "$T/before"
	was=$(stat -c '%i %y' "$(state_file)")
	sed -i 's/greeting: hello/greeting: bonjour/' "$T/repo/apps/web.yaml"
	recommit "$T/repo" change >/dev/null
	rendered "$T/repo" | grep -v '"type":"end"' >"$T/half"
	kube_stats_reset
	run --separate-stderr -1 kst <"$T/half"
	[ -z "$(lines_of_type applied)" ]
	[ "$(kube_stats .mutations)" = 0 ]
	cmp "$(state_file)" "$T/before"
	[ "$(stat -c '%i %y' "$(state_file)")" = "$was" ]
}

@test "kube-apply --state-dir: the state file is the owner's alone" {
	kube_reset
	kst <"$T/stream" >/dev/null
	[ "$(stat -c %a "$(state_file)")" = 600 ]
	[ "$(stat -c %a "$T/state/demo")" = 700 ]
	[ "$(head -n 1 "$(state_file)")" = 'sluice kube-apply state 1' ]
}

@test "kube-apply --state-dir: an object that left Git is forgotten, and applied when it is back" {
	kube_reset
	kst <"$T/stream" >/dev/null
	mv "$T/repo/apps/secret.yaml" "$T/secret.yaml"
	recommit "$T/repo" gone >/dev/null
	rendered "$T/repo" >"$T/stream2"
	run --separate-stderr -0 kst <"$T/stream2"
	! grep -q 'shop:secret/web-token' "$(state_file)"
	# as gc would
	kube_curl -X DELETE \
	    "$KUBE_URL/api/v1/namespaces/shop/secrets/web-token" >/dev/null
	mv "$T/secret.yaml" "$T/repo/apps/secret.yaml"
	recommit "$T/repo" back >/dev/null
	rendered "$T/repo" >"$T/stream3"
	run --separate-stderr -0 kst <"$T/stream3"
	[ "$(action_of shop:secret/web-token)" = created ]
}

@test "kube-apply --state-dir: a source that cannot name a folder keeps no state" {
	kube_reset
	rendered "$T/repo" .. >"$T/dots"
	run --separate-stderr -0 kst <"$T/dots"
	[[ $stderr == *"cannot name a folder"* ]]
	[ "$(counts)" = 'created=8 skipped=1 ' ]
	[ -z "$(find "$T" -name kube-apply.state)" ]
}

@test "kube-apply --state-dir: the dir target, drift seen only by --full" {
	ka --state-dir "$T/state" <"$T/stream" >/dev/null
	grep -qF "\"target\":\"dir:$OUT\"" "$(state_file)"
	sed -i 's/image: nginx:1.25/image: evil:latest/' \
	    "$OUT/shop/deployment/web.yaml"
	rm "$OUT/shop/configmap/web-config.yaml"
	run --separate-stderr -0 ka --state-dir "$T/state" <"$T/stream"
	[ "$(counts)" = 'skipped=1 unchanged=8 ' ]
	run --separate-stderr -0 ka --state-dir "$T/state" --full <"$T/stream"
	[ "$(action_of shop:deployment/web)" = configured ]
	[ "$(action_of shop:configmap/web-config)" = created ]
	grep -q 'image: nginx:1.25' "$OUT/shop/deployment/web.yaml"
}

@test "kube-apply --state-dir: a revision after the objects still sets their marks" {
	ka --state-dir "$T/state" <"$T/stream" >/dev/null
	# the same objects, read before a revision with another sync set
	{
		grep -v -e '"type":"revision"' -e '"type":"end"' "$T/stream"
		head -n 1 "$T/stream" | jq -c '.syncSet = "other"'
		grep '"type":"end"' "$T/stream"
	} >"$T/late"
	run --separate-stderr -0 ka --state-dir "$T/state" --sync-set test \
	    <"$T/late"
	[ "$(counts)" = 'configured=8 skipped=1 ' ]
	want=$(printf '%s%s' other "shop:deployment/web" |
	    openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
	grep -q "fluxcd.io/sync-gc-mark: sha256.$want" "$OUT/shop/deployment/web.yaml"
}

@test "kube-apply --state-dir: an empty name is a usage error" {
	run -64 kube-apply --state-dir '' </dev/null
}
