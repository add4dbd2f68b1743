#!/usr/bin/env bats
# kube-apply and gc against the test API server (tests/servers/
# kube-apiserver.py), with kubectl as the check of what the API holds.

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
	kube_reset
	export KUBECONFIG=$KUBECONFIG_FILE
	sync_fixture "$T/repo" >/dev/null
	rendered "$T/repo" >"$T/stream"
}

action_of() {
	lines_of_type applied | jq -r --arg id "$1" 'select(.id == $id).action'
}

kc() {
	kubectl --kubeconfig "$KUBECONFIG_FILE" "$@"
}

@test "kube-target: a first apply creates everything, in order, CRDs first" {
	run --separate-stderr -0 kube-apply <"$T/stream"
	[ "$(lines_of_type applied | jq -r .action | sort | uniq -c |
	    awk '{print $2 "=" $1}' | tr '\n' ' ')" = 'created=8 skipped=1 ' ]
	kc get deployment web -n shop -o json --show-managed-fields >"$T/web.json"
	jq -e '.metadata.labels["fluxcd.io/sync-gc-mark"] | startswith("sha256.")' "$T/web.json"
	jq -e '.metadata.annotations["fluxcd.io/sync-checksum"] | length == 40' "$T/web.json"
	jq -e '.metadata.managedFields[] | select(.manager == "sluice") |
	    .operation == "Apply"' "$T/web.json"
	kc get widget gadget -n shop -o name | grep -qx 'widget.example.com/gadget'
	run -1 kc get configmap hands-off -n shop
}

@test "kube-target: nothing changed means no mutating request at all" {
	kube-apply <"$T/stream" >/dev/null
	kube_stats_reset
	run --separate-stderr -0 kube-apply <"$T/stream"
	[ "$(kube_stats .mutations)" = 0 ]
	[ "$(lines_of_type applied | jq -r .action | sort -u | tr '\n' ' ')" = \
	    'skipped unchanged ' ]
}

@test "kube-target: one change sends one mutating request" {
	kube-apply <"$T/stream" >/dev/null
	sed -i 's/greeting: hello/greeting: bonjour/' "$T/repo/apps/web.yaml"
	recommit "$T/repo" change >/dev/null
	rendered "$T/repo" >"$T/stream2"
	kube_stats_reset
	run --separate-stderr -0 kube-apply <"$T/stream2"
	[ "$(kube_stats .mutations)" = 1 ]
	[ "$(action_of shop:configmap/web-config)" = configured ]
	[ "$(kc get cm web-config -n shop -o jsonpath='{.data.greeting}')" = bonjour ]
}

@test "kube-target: --full re-applies everything; a no-op apply is unchanged" {
	kube-apply <"$T/stream" >/dev/null
	kube_stats_reset
	run --separate-stderr -0 kube-apply --full <"$T/stream"
	[ "$(kube_stats .mutations)" = 8 ]
	[ "$(action_of shop:deployment/web)" = unchanged ]
}

@test "kube-target: --full undoes drift made behind Git's back" {
	kube-apply <"$T/stream" >/dev/null
	kc patch cm web-config -n shop --type merge -p '{"data":{"greeting":"drift"}}'
	run --separate-stderr -0 kube-apply --full <"$T/stream"
	[ "$(action_of shop:configmap/web-config)" = configured ]
	[ "$(kc get cm web-config -n shop -o jsonpath='{.data.greeting}')" = hello ]
}

@test "kube-target: --dry-run changes nothing" {
	run --separate-stderr -0 kube-apply --dry-run <"$T/stream"
	[ "$(action_of '<cluster>:namespace/shop')" = created ]
	# a custom resource whose CRD is not there yet cannot be dry-run,
	# nor an object in a namespace the dry run only pretended to make
	[ "$(action_of shop:widget/gadget)" = skipped ]
	[ "$(action_of shop:configmap/web-config)" = skipped ]
	run -1 kc get namespace shop
}

@test "kube-target: a missing namespace fails that object with the API's words" {
	mkdir -p "$T/d"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lost, namespace: nowhere}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine, namespace: default}\n' \
	    >"$T/d/cm.yaml"
	manifest-gen --dir "$T/d" >"$T/s"
	run --separate-stderr -1 kube-apply <"$T/s"
	lines_of_type applied | jqe 'select(.id == "nowhere:configmap/lost") |
	    .action == "failed" and (.error | test("namespaces \"nowhere\" not found"))'
	[ "$(action_of default:configmap/fine)" = created ]
}

@test "kube-target: an unknown kind, a webhook denial and Forbidden fail alone" {
	mkdir -p "$T/d"
	cat >"$T/d/x.yaml" <<'EOF2'
apiVersion: nothing.example.com/v1
kind: Nothing
metadata: {name: void, namespace: default}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: denied, namespace: default, labels: {sluice.test/deny: "true"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: fine, namespace: default}
EOF2
	manifest-gen --dir "$T/d" >"$T/s"
	run --separate-stderr -1 kube-apply <"$T/s"
	lines_of_type applied | jqe 'select(.id == "default:nothing/void") |
	    .error | test("no matches for kind")'
	lines_of_type applied | jqe 'select(.id == "default:configmap/denied") |
	    .error | test("denied the request")'
	[ "$(action_of default:configmap/fine)" = created ]
	run --separate-stderr -1 kube-apply --full --context readonly <"$T/s"
	lines_of_type applied | jqe 'select(.id == "default:configmap/fine") |
	    .error | test("Forbidden")'
}

@test "kube-target: another field manager's fields are taken over" {
	kube-apply <"$T/stream" >/dev/null
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config, namespace: shop}\ndata: {greeting: mine}\n' |
	    kc apply --server-side --field-manager=someone -f - --force-conflicts
	run --separate-stderr -0 kube-apply --full <"$T/stream"
	[ "$(action_of shop:configmap/web-config)" = configured ]
	[ "$(kc get cm web-config -n shop -o jsonpath='{.data.greeting}')" = hello ]
}

@test "kube-target: 429 with Retry-After is waited out and retried" {
	kube_fault 429 2 PATCH 1
	SECONDS=0
	run --separate-stderr -0 kube-apply <"$T/stream"
	[ "$SECONDS" -ge 1 ]
	[ "$(action_of shop:deployment/web)" = created ]
	[ "$(kube_stats .faults)" -ge 2 ]
}

@test "kube-target: 503 that does not stop gives 75" {
	kube_fault 503 1000 PATCH
	run --separate-stderr -75 kube-apply --timeout 2s <"$T/stream"
	lines_of_type applied | jqe 'select(.action != "skipped") |
	    .action == "failed"'
	# the custom resource fails because its CRD did: temporary too
	lines_of_type applied | jqe 'select(.id == "shop:widget/gadget") |
	    .error | test("was not applied")'
	kube_faults_clear
}

@test "kube-target: a token context works as well as a client certificate" {
	run --separate-stderr -0 kube-apply --context token <"$T/stream"
	[ "$(action_of shop:deployment/web)" = created ]
}

@test "kube-target: a live fluxcd.io/ignore is respected" {
	kube-apply <"$T/stream" >/dev/null
	kc annotate cm web-config -n shop fluxcd.io/ignore=true
	run --separate-stderr -0 kube-apply --full <"$T/stream"
	[ "$(action_of shop:configmap/web-config)" = skipped ]
}

# --- gc -------------------------------------------------------------------

sync_pass() {	# sync_pass STATUS: repo HEAD through the whole sync pass
	local status=$1
	shift
	run --separate-stderr "$status" bash -c 'rendered "$1" | kube-apply |
	    gc --state-dir "$2" "${@:3}"' - "$T/repo" "$T/state" "$@"
}
export -f rendered revision

@test "kube-target: gc deletes what left Git, through the API" {
	sync_pass -0
	git -C "$T/repo" rm -q apps/secret.yaml
	recommit "$T/repo" "drop the secret" >/dev/null
	sync_pass -0
	[ "$(lines_of_type deleted | jq -r .id)" = shop:secret/web-token ]
	run -1 kc get secret web-token -n shop
	kc get deployment web -n shop -o name
}

@test "kube-target: a Flux v1 cluster is taken over without deletions, then pruned" {
	# objects as Flux v1 left them: its mark for this source, no checksum
	# of ours; one of them is no longer in Git
	sync_set=$(head -n 1 "$T/stream" | jq -r .syncSet)
	mark() {
		printf 'sha256.%s' "$(printf '%s%s' "$sync_set" "$1" |
		    openssl dgst -sha256 -binary | base64 | tr '+/' '-_' |
		    tr -d '=')"
	}
	# (kubectl create speaks protobuf, which the stand-in refuses)
	kc apply --server-side --field-manager=flux -f - <<EOF2
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: shop
  labels: {fluxcd.io/sync-gc-mark: "$(mark shop:configmap/web-config)"}
data: {greeting: old}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: retired
  namespace: shop
  labels: {fluxcd.io/sync-gc-mark: "$(mark shop:configmap/retired)"}
data: {x: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: foreign
  namespace: shop
  labels: {fluxcd.io/sync-gc-mark: "$(mark shop:configmap/not-this-name)"}
data: {x: "1"}
EOF2
	# a pass that fails (a broken file) takes nothing away
	printf 'kind: [\n' >"$T/repo/apps/broken.yaml"
	recommit "$T/repo" broken >/dev/null
	sync_pass -0
	[ -z "$(lines_of_type deleted)" ]
	[ "$(action_of shop:configmap/web-config)" = configured ]
	kc get cm retired -n shop -o name
	# the first complete pass deletes nothing, but says what would go
	git -C "$T/repo" rm -q apps/broken.yaml
	recommit "$T/repo" fixed >/dev/null
	sync_pass -0
	lines_of_type deleted | jqe '.id == "shop:configmap/retired" and .dryRun'
	kc get cm retired -n shop -o name
	# adopted (configured) by the failing pass already: now unchanged
	[ "$(action_of shop:configmap/web-config)" = unchanged ]
	# the next pass prunes it; foreign stays
	sync_pass -0
	lines_of_type deleted | jqe '.id == "shop:configmap/retired" and
	    (.dryRun | not)'
	run -1 kc get cm retired -n shop
	kc get cm foreign -n shop -o name
	[ "$(kc get cm web-config -n shop -o jsonpath='{.data.greeting}')" = hello ]
}

@test "kube-target: gc plans from its inventory: nothing left Git, no request" {
	sync_pass -0
	sync_pass -0
	kube-apply <"$T/stream" >"$T/applied"
	kube_stats_reset
	run --separate-stderr -0 gc --state-dir "$T/state" <"$T/applied"
	[ "$(kube_stats .total)" = 0 ]
	lines_of_type end | jqe 'select(.stage == "gc") | .ok'
	# one object gone from Git: only its kind and namespace are listed
	git -C "$T/repo" rm -q apps/secret.yaml
	recommit "$T/repo" "drop the secret" >/dev/null
	rendered "$T/repo" | kube-apply >"$T/applied"
	kube_stats_reset
	run --separate-stderr -0 gc --state-dir "$T/state" <"$T/applied"
	[ "$(lines_of_type deleted | jq -r .id)" = shop:secret/web-token ]
	[ "$(kube_stats .verbs.list)" = 1 ]
	[ "$(kube_stats .verbs.delete)" = 1 ]
}

@test "kube-target: gc --dry-run deletes nothing" {
	sync_pass -0
	git -C "$T/repo" rm -q apps/secret.yaml
	recommit "$T/repo" "drop the secret" >/dev/null
	sync_pass -0 --dry-run
	lines_of_type deleted | jqe '.dryRun'
	kc get secret web-token -n shop -o name
}
