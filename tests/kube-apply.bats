#!/usr/bin/env bats
# kube-apply on the dir: target (no cluster). The same rules against the
# test API server are in tests/kube-target.bats.

load helpers

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
