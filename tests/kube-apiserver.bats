# kube-apiserver.bats: self-test of tests/servers/kube-apiserver.py through
# tests/servers/kube-servers.bash. Real kubectl (the fidelity check) and curl
# drive it: server-side apply create/no-op/conflict/force/dry-run, get, list
# forms, delete, errors with the real texts, discovery documents, CRDs,
# injected faults and the counters.

bats_require_minimum_version 1.5.0

load helpers
load servers/kube-servers

setup_file() {
	start_kube_apiserver "$BATS_FILE_TMPDIR/kube" --establish-delay 0.3 \
	    --namespace-delay 0.5
}

teardown_file() {
	stop_kube_apiserver
}

# k ARGS...: kubectl with the generated kubeconfig (admin context unless
# ARGS say otherwise) and a per-test cache.
k() {
	kubectl --kubeconfig "$KUBECONFIG_FILE" \
	    --cache-dir "$BATS_TEST_TMPDIR/kcache" "$@"
}

# manifests NS: a Namespace, a ConfigMap and a Deployment in NS, on stdout.
manifests() {
	cat <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $1
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm1
  namespace: $1
  labels:
    app: web
data:
  key: value
  other: thing
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: $1
spec:
  replicas: ${2:-2}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: nginx:1.25
EOF
}

# apply_body NS NAME [DATA-JSON]: a ConfigMap apply body (JSON).
cm_json() {
	jq -nc --arg ns "$1" --arg n "$2" --argjson d "${3:-{\"a\":\"b\"\}}" \
	    '{apiVersion: "v1", kind: "ConfigMap",
	      metadata: {name: $n, namespace: $ns}, data: $d}'
}

@test "kube-apiserver: exports, kubeconfig contexts, certificates" {
	[[ $KUBE_PORT =~ ^[0-9]+$ ]]
	ps -o args= -p "$KUBE_PID" | grep -q kube-apiserver.py
	[ "$KUBE_URL" = "https://127.0.0.1:$KUBE_PORT" ]
	run -0 k config get-contexts -o name
	[ "$(printf '%s\n' "$output" | sort | tr '\n' ' ')" = \
	    "admin readonly token " ]
	run -0 k version -o json
	[ "$(jq -r .serverVersion.gitVersion <<<"$output")" = v1.26.15 ]
	# the certificate is good for localhost too
	run -0 curl -sS --cacert "$KUBE_CA" --cert "$KUBE_CLIENT_CERT" \
	    --key "$KUBE_CLIENT_KEY" "https://localhost:$KUBE_PORT/api/v1/namespaces/default"
	[ "$(jq -r .metadata.name <<<"$output")" = default ]
}

@test "kube-apiserver: kubectl apply --server-side creates, then leaves unchanged" {
	manifests ka >"$BATS_TEST_TMPDIR/m.yaml"
	run -0 k apply --server-side -f "$BATS_TEST_TMPDIR/m.yaml"
	[[ $output == *'namespace/ka serverside-applied'* ]]
	[[ $output == *'configmap/cm1 serverside-applied'* ]]
	[[ $output == *'deployment.apps/web serverside-applied'* ]]
	run -0 k get cm cm1 -n ka -o json --show-managed-fields
	rv=$(jq -r .metadata.resourceVersion <<<"$output")
	jq -e '.data == {key: "value", other: "thing"}
	    and (.metadata.uid | length) == 36
	    and .metadata.managedFields[0].manager == "kubectl"
	    and .metadata.managedFields[0].operation == "Apply"
	    and .metadata.managedFields[0].fieldsType == "FieldsV1"
	    and .metadata.managedFields[0].fieldsV1."f:data"."f:key" == {}' \
	    <<<"$output"
	# again: nothing changes, resourceVersion included
	run -0 k apply --server-side -f "$BATS_TEST_TMPDIR/m.yaml"
	run -0 k get cm cm1 -n ka -o jsonpath='{.metadata.resourceVersion}'
	[ "$output" = "$rv" ]
	run -0 k get deploy -n ka
	[[ ${lines[0]} =~ ^NAME\ +READY\ +UP-TO-DATE\ +AVAILABLE\ +AGE ]]
	[[ ${lines[1]} =~ ^web\ +0/2\  ]]
	run -0 k get cm -n ka -o yaml
	[[ $output == *'kind: List'* || $output == *'kind: ConfigMapList'* ]]
	[[ $output == *'other: thing'* ]]
	# a field the manager stops applying goes away
	manifests ka | sed '/other: thing/d' >"$BATS_TEST_TMPDIR/m2.yaml"
	run -0 k apply --server-side -f "$BATS_TEST_TMPDIR/m2.yaml"
	run -0 k get cm cm1 -n ka -o json
	jq -e '.data == {key: "value"}' <<<"$output"
	[ "$(jq -r .metadata.resourceVersion <<<"$output")" -gt "$rv" ]
}

@test "kube-apiserver: field manager conflict (409) and --force-conflicts" {
	manifests kb >"$BATS_TEST_TMPDIR/m.yaml"
	run -0 k apply --server-side -f "$BATS_TEST_TMPDIR/m.yaml"
	manifests kb 5 >"$BATS_TEST_TMPDIR/m5.yaml"
	run -1 k apply --server-side --field-manager=other-manager \
	    -f "$BATS_TEST_TMPDIR/m5.yaml"
	[[ $output == *'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas'* ]]
	# the raw answer
	run -0 kube_curl -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
	    --data-binary '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"kb"},"spec":{"replicas":7}}' \
	    "$KUBE_URL/apis/apps/v1/namespaces/kb/deployments/web?fieldManager=other-manager"
	jq -e '.kind == "Status" and .code == 409 and .reason == "Conflict"
	    and .message == "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas"
	    and .details.causes == [{type: "FieldManagerConflict",
	        message: "conflict with \"kubectl\"", field: ".spec.replicas"}]' \
	    <<<"$output"
	run -0 k apply --server-side --field-manager=other-manager \
	    --force-conflicts -f "$BATS_TEST_TMPDIR/m5.yaml"
	run -0 k get deploy web -n kb -o json --show-managed-fields
	jq -e '.spec.replicas == 5 and .metadata.generation == 2
	    and ([.metadata.managedFields[]
	          | select(.fieldsV1.spec."f:replicas" // .fieldsV1."f:spec"."f:replicas")
	          | .manager] == ["other-manager"])' <<<"$output"
}

@test "kube-apiserver: a merge patch by another manager then conflicts with apply" {
	run -0 kube_curl -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
	    --data-binary "$(cm_json default mp)" \
	    "$KUBE_URL/api/v1/namespaces/default/configmaps/mp?fieldManager=sluice"
	run -0 kube_curl -X PATCH -H 'Content-Type: application/merge-patch+json' \
	    --data-binary '{"data":{"a":"changed"}}' \
	    "$KUBE_URL/api/v1/namespaces/default/configmaps/mp?fieldManager=editor"
	run -0 kube_curl -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
	    --data-binary "$(cm_json default mp)" \
	    "$KUBE_URL/api/v1/namespaces/default/configmaps/mp?fieldManager=sluice"
	jq -e '.code == 409 and (.message | test("^Apply failed with 1 conflict: conflict with \"editor\" using v1: .data.a$"))' <<<"$output"
	run -0 kube_curl -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
	    --data-binary "$(cm_json default mp)" \
	    "$KUBE_URL/api/v1/namespaces/default/configmaps/mp?fieldManager=sluice&force=true"
	jq -e '.data.a == "b"' <<<"$output"
	# no fieldManager on an apply: 400
	run -0 kube_curl -w '%{http_code}' -o /dev/null -X PATCH \
	    -H 'Content-Type: application/apply-patch+yaml' \
	    --data-binary "$(cm_json default mp)" \
	    "$KUBE_URL/api/v1/namespaces/default/configmaps/mp"
	[ "$output" = 400 ]
}

@test "kube-apiserver: dry run (kubectl --dry-run=server, dryRun=All) stores nothing" {
	rv0=$(kube_curl "$KUBE_URL/api/v1/namespaces" | jq -r .metadata.resourceVersion)
	run -0 k apply --server-side --dry-run=server -f - <<<"$(cm_json default dry)"
	[[ $output == *'configmap/dry serverside-applied (server dry run)'* ]]
	run -1 k get cm dry -n default
	[[ $output == *'Error from server (NotFound): configmaps "dry" not found'* ]]
	run -0 kube_curl -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
	    --data-binary "$(cm_json default dry)" \
	    "$KUBE_URL/api/v1/namespaces/default/configmaps/dry?fieldManager=sluice&dryRun=All"
	jq -e '.metadata.name == "dry" and (.metadata.uid | length) == 36' <<<"$output"
	rv1=$(kube_curl "$KUBE_URL/api/v1/namespaces" | jq -r .metadata.resourceVersion)
	[ "$rv0" = "$rv1" ]
}

@test "kube-apiserver: errors carry the real texts" {
	run -1 k apply --server-side -f - <<<"$(cm_json nowhere x)"
	[[ $output == *'Error from server (NotFound): namespaces "nowhere" not found'* ]]
	run -0 kube_curl "$KUBE_URL/api/v1/namespaces/nowhere/configmaps/x"
	jq -e '.code == 404 and .message == "configmaps \"x\" not found"
	    and .details == {name: "x", kind: "configmaps"}' <<<"$output"
	run -0 kube_curl -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
	    --data-binary "$(cm_json nowhere x)" \
	    "$KUBE_URL/api/v1/namespaces/nowhere/configmaps/x?fieldManager=t"
	jq -e '.code == 404 and .reason == "NotFound"
	    and .details == {name: "nowhere", kind: "namespaces"}' <<<"$output"
	# invalid name: 422 Invalid with causes
	run -0 kube_curl -X POST -H 'Content-Type: application/json' \
	    --data-binary "$(cm_json default Bad_Name)" \
	    "$KUBE_URL/api/v1/namespaces/default/configmaps"
	jq -e '.code == 422 and .reason == "Invalid"
	    and (.message | startswith("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain"))
	    and .details.causes[0].field == "metadata.name"' <<<"$output"
	# a deployment without selector and containers
	run -0 kube_curl -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
	    --data-binary '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"bad","namespace":"default"},"spec":{"template":{"metadata":{"labels":{"a":"b"}}}}}' \
	    "$KUBE_URL/apis/apps/v1/namespaces/default/deployments/bad?fieldManager=t"
	jq -e '.code == 422 and .message == "Deployment.apps \"bad\" is invalid: [spec.selector: Required value, spec.template.spec.containers: Required value]"' \
	    <<<"$output"
	# a ConfigMap value that is not a string
	run -0 kube_curl -X POST -H 'Content-Type: application/json' \
	    --data-binary "$(cm_json default num '{"n":1}')" \
	    "$KUBE_URL/api/v1/namespaces/default/configmaps"
	jq -e '.code == 400 and .reason == "BadRequest" and .message ==
	    "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string"' \
	    <<<"$output"
	# a kind the server does not serve
	run -1 k apply --server-side -f - <<<'{"apiVersion":"nope.example.com/v1","kind":"Thing","metadata":{"name":"t"}}'
	[[ $output == *'no matches for kind "Thing" in version "nope.example.com/v1"'* ]]
	run -0 kube_curl "$KUBE_URL/apis/apps/v1/namespaces/default/things/x"
	jq -e '.code == 404 and .message == "the server could not find the requested resource"' <<<"$output"
	# the admission webhook stand-in
	run -1 k apply --server-side -f - <<<'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"denied","namespace":"default","labels":{"sluice.test/deny":"true"}}}'
	[[ $output == *'Error from server (Forbidden): configmaps "denied" is forbidden: admission webhook "deny.sluice.test" denied the request: '* ]]
}

@test "kube-apiserver: readonly gets 403, no credentials or a bad token 401" {
	run -0 k --context readonly get ns default -o name
	[ "$output" = namespace/default ]
	run -1 k --context readonly apply --server-side -f - <<<"$(cm_json default ro)"
	[[ $output == *'Error from server (Forbidden): configmaps "ro" is forbidden: User "readonly" cannot patch resource "configmaps" in API group "" in the namespace "default"'* ]]
	run -0 curl -sS --cacert "$KUBE_CA" -H "Authorization: Bearer $KUBE_READONLY_TOKEN" \
	    -X DELETE "$KUBE_URL/apis/rbac.authorization.k8s.io/v1/clusterroles/x"
	jq -e '.code == 403 and .reason == "Forbidden" and .message ==
	    "clusterroles.rbac.authorization.k8s.io \"x\" is forbidden: User \"readonly\" cannot delete resource \"clusterroles\" in API group \"rbac.authorization.k8s.io\" at the cluster scope"' \
	    <<<"$output"
	run -0 curl -sS --cacert "$KUBE_CA" -w '\n%{http_code}' "$KUBE_URL/api/v1/namespaces"
	[ "${lines[1]}" = 401 ]
	jq -e '. == {kind: "Status", apiVersion: "v1", metadata: {},
	    status: "Failure", message: "Unauthorized", reason: "Unauthorized",
	    code: 401}' <<<"${lines[0]}"
	run -0 curl -sS --cacert "$KUBE_CA" -o /dev/null -w '%{http_code}' \
	    -H 'Authorization: Bearer wrong' "$KUBE_URL/api"
	[ "$output" = 401 ]
	run -0 k --context token get ns kube-system -o name
}

@test "kube-apiserver: discovery, legacy and aggregated (v2, v2beta1)" {
	local v
	for v in v2 v2beta1; do
		run -0 kube_curl -D "$BATS_TEST_TMPDIR/h" -H \
		    "Accept: application/json;g=apidiscovery.k8s.io;v=$v;as=APIGroupDiscoveryList,application/json" \
		    "$KUBE_URL/apis"
		grep -qi "^content-type: application/json;g=apidiscovery.k8s.io;v=$v;as=APIGroupDiscoveryList" "$BATS_TEST_TMPDIR/h"
		jq -e --arg v "$v" '.kind == "APIGroupDiscoveryList"
		    and .apiVersion == "apidiscovery.k8s.io/\($v)"
		    and ([.items[] | select(.metadata.name == "apps")
		          | .versions[0].resources[]
		          | select(.resource == "deployments")] ==
		         [{resource: "deployments",
		           responseKind: {group: "apps", version: "v1", kind: "Deployment"},
		           scope: "Namespaced", singularResource: "deployment",
		           verbs: ["create", "delete", "deletecollection", "get",
		                   "list", "patch", "update", "watch"],
		           shortNames: ["deploy"], categories: ["all"],
		           subresources: [{subresource: "status",
		               responseKind: {group: "apps", version: "v1", kind: "Deployment"},
		               verbs: ["get", "patch", "update"]}]}])
		    and ([.items[] | select(.metadata.name == "rbac.authorization.k8s.io")
		          | .versions[0].resources[] | select(.resource == "clusterroles")
		          | .scope] == ["Cluster"])' <<<"$output"
	done
	run -0 kube_curl -H "Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" "$KUBE_URL/api"
	jq -e '.items | length == 1 and (.[0].versions[0].version == "v1")
	    and ([.[0].versions[0].resources[] | select(.resource == "configmaps") | .shortNames] == [["cm"]])' <<<"$output"
	run -0 kube_curl "$KUBE_URL/apis"
	jq -e '.kind == "APIGroupList" and ([.groups[] | select(.name == "batch")
	    | .preferredVersion.groupVersion] == ["batch/v1"])' <<<"$output"
	run -0 kube_curl "$KUBE_URL/api"
	jq -e '.kind == "APIVersions" and .versions == ["v1"]' <<<"$output"
	run -0 kube_curl "$KUBE_URL/api/v1"
	jq -e '.kind == "APIResourceList" and ([.resources[] | select(.name == "namespaces") | .namespaced] == [false])' <<<"$output"
	run -0 kube_curl "$KUBE_URL/apis/autoscaling/v2"
	jq -e '[.resources[] | select(.name == "horizontalpodautoscalers") | .kind] == ["HorizontalPodAutoscaler"]' <<<"$output"
	run -0 k api-resources --api-group=admissionregistration.k8s.io -o name
	[[ $output == *validatingwebhookconfigurations.admissionregistration.k8s.io* ]]
}

@test "kube-apiserver: lists: label selectors, metadata only, pagination" {
	run -0 k apply --server-side -f - <<<'{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"kl"}}'
	for n in a b c d; do
		jq -nc --arg n "$n" '{apiVersion: "v1", kind: "ConfigMap",
		    metadata: {name: $n, namespace: "kl",
		        labels: ({tier: (if $n == "a" or $n == "b" then "web" else "db" end)}
		                 + (if $n == "d" then {} else {env: $n} end))}}' |
		    k apply --server-side -f - >/dev/null
	done
	sel() {
		kube_curl -G --data-urlencode "labelSelector=$1" \
		    "$KUBE_URL/api/v1/namespaces/kl/configmaps" |
		    jq -r '[.items[].metadata.name] | join(",")'
	}
	[ "$(sel tier=web)" = a,b ]
	[ "$(sel 'tier!=web')" = c,d ]
	[ "$(sel 'env in (a,c)')" = a,c ]
	[ "$(sel 'env notin (a,c)')" = b,d ]
	[ "$(sel env)" = a,b,c ]
	[ "$(sel '!env')" = d ]
	[ "$(sel 'tier=db,env')" = c ]
	run -0 k get cm -n kl -l 'tier in (web)' -o name
	[ "$output" = "$(printf 'configmap/a\nconfigmap/b')" ]
	run -0 kube_curl "$KUBE_URL/api/v1/namespaces/kl/configmaps?fieldSelector=metadata.name%3Dc"
	jq -e '.kind == "ConfigMapList" and [.items[].metadata.name] == ["c"]
	    and (.items[0] | has("kind") | not)' <<<"$output"
	run -0 kube_curl -D "$BATS_TEST_TMPDIR/h" \
	    -H 'Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1' \
	    "$KUBE_URL/api/v1/namespaces/kl/configmaps?labelSelector=tier%3Dweb"
	grep -qi '^content-type: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1' "$BATS_TEST_TMPDIR/h"
	jq -e '.kind == "PartialObjectMetadataList" and .apiVersion == "meta.k8s.io/v1"
	    and (.metadata.resourceVersion | length) > 0
	    and ([.items[] | keys] == [["apiVersion", "kind", "metadata"],
	                              ["apiVersion", "kind", "metadata"]])
	    and .items[0].kind == "PartialObjectMetadata"
	    and .items[0].metadata.labels.tier == "web"' <<<"$output"
	run -0 kube_curl "$KUBE_URL/api/v1/namespaces/kl/configmaps?limit=3"
	jq -e '[.items[].metadata.name] == ["a","b","c"] and .metadata.remainingItemCount == 1' <<<"$output"
	cont=$(jq -r .metadata.continue <<<"$output")
	run -0 kube_curl -G --data-urlencode "continue=$cont" --data-urlencode limit=3 \
	    "$KUBE_URL/api/v1/namespaces/kl/configmaps"
	jq -e '[.items[].metadata.name] == ["d"] and (.metadata | has("continue") | not)' <<<"$output"
	run -0 k get cm -n kl --chunk-size=1 -o name
	[ "${#lines[@]}" -eq 4 ]
}

@test "kube-apiserver: kubectl delete; namespaces terminate, then go" {
	manifests kd >"$BATS_TEST_TMPDIR/m.yaml"
	run -0 k apply --server-side -f "$BATS_TEST_TMPDIR/m.yaml"
	run -0 kube_curl -X DELETE "$KUBE_URL/api/v1/namespaces/kd/configmaps/cm1"
	jq -e '.kind == "Status" and .status == "Success"
	    and .details.name == "cm1" and .details.kind == "configmaps"' <<<"$output"
	run -0 k delete deploy web -n kd --cascade=foreground
	[[ $output == *'deployment.apps "web" deleted'* ]]
	run -0 k get deploy,cm -n kd -o name
	[ -z "$output" ]
	run -0 kube_curl -X DELETE "$KUBE_URL/api/v1/namespaces/kd"
	jq -e '.kind == "Namespace" and .status.phase == "Terminating"
	    and (.metadata.deletionTimestamp | length) > 0' <<<"$output"
	run -0 kube_curl -X POST -H 'Content-Type: application/json' \
	    --data-binary "$(cm_json kd late)" "$KUBE_URL/api/v1/namespaces/kd/configmaps"
	jq -e '.code == 403 and .message == "configmaps \"late\" is forbidden: unable to create new content in namespace kd because it is being terminated"' <<<"$output"
	manifests ke >"$BATS_TEST_TMPDIR/e.yaml"
	run -0 k apply --server-side -f "$BATS_TEST_TMPDIR/e.yaml"
	run -0 k delete -f "$BATS_TEST_TMPDIR/e.yaml"
	[[ $output == *'namespace "ke" deleted'* ]]
	run -1 k get ns ke
	[[ $output == *'namespaces "ke" not found'* ]]
}

@test "kube-apiserver: a CRD is Established after a delay, then its kind is served" {
	cat >"$BATS_TEST_TMPDIR/crd.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.sluice.test
spec:
  group: sluice.test
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wd]
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
EOF
	run -0 k apply --server-side -f "$BATS_TEST_TMPDIR/crd.yaml"
	run -0 kube_curl "$KUBE_URL/apis/sluice.test/v1/namespaces/default/widgets"
	jq -e '.code == 404' <<<"$output"
	run -0 k wait --for condition=Established --timeout=10s crd/widgets.sluice.test
	run -0 kube_curl "$KUBE_URL/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.sluice.test"
	jq -e '[.status.conditions[] | select(.type == "Established") | .status] == ["True"]
	    and .status.acceptedNames.kind == "Widget"' <<<"$output"
	run -0 k apply --server-side -f - <<<'{"apiVersion":"sluice.test/v1","kind":"Widget","metadata":{"name":"w1","namespace":"default"},"spec":{"size":3}}'
	[[ $output == *'widget.sluice.test/w1 serverside-applied'* ]]
	run -0 k get wd -n default -o name
	[ "$output" = widget.sluice.test/w1 ]
	run -0 kube_curl "$KUBE_URL/apis/sluice.test/v1/widgets"
	jq -e '.kind == "WidgetList" and .items[0].kind == "Widget"
	    and .items[0].metadata.generation == 1' <<<"$output"
	run -0 k delete crd widgets.sluice.test
	run -0 kube_curl "$KUBE_URL/apis/sluice.test/v1/namespaces/default/widgets"
	jq -e '.code == 404' <<<"$output"
}

@test "kube-apiserver: injected 429 with Retry-After, 503, and the counters" {
	kube_stats_reset
	kube_fault 429 2 PATCH 1
	run -0 kube_curl -D "$BATS_TEST_TMPDIR/h" -X PATCH \
	    -H 'Content-Type: application/apply-patch+yaml' \
	    --data-binary "$(cm_json default f1)" \
	    "$KUBE_URL/api/v1/namespaces/default/configmaps/f1?fieldManager=sluice"
	grep -q '^HTTP/1.1 429' "$BATS_TEST_TMPDIR/h"
	grep -qi '^retry-after: 1' "$BATS_TEST_TMPDIR/h"
	jq -e '.code == 429 and .reason == "TooManyRequests"
	    and .details.retryAfterSeconds == 1' <<<"$output"
	# reads do not match; the second PATCH still fails, the third passes
	run -0 kube_curl -o /dev/null -w '%{http_code}' "$KUBE_URL/api/v1/namespaces/default"
	[ "$output" = 200 ]
	for want in 429 201; do
		run -0 kube_curl -o /dev/null -w '%{http_code}' -X PATCH \
		    -H 'Content-Type: application/apply-patch+yaml' \
		    --data-binary "$(cm_json default f1)" \
		    "$KUBE_URL/api/v1/namespaces/default/configmaps/f1?fieldManager=sluice"
		[ "$output" = "$want" ]
	done
	kube_fault 503 1 /configmaps
	run -0 kube_curl -o /dev/null -w '%{http_code}' "$KUBE_URL/api/v1/namespaces/default/configmaps"
	[ "$output" = 503 ]
	run -0 kube_stats
	jq -e '.verbs.patch == 3 and .verbs.get == 1 and .verbs.list == 1
	    and .faults == 3 and .codes."429" == 2 and .codes."503" == 1
	    and .mutations == 3 and .reads == 2 and .apply == 3
	    and .lastMutationNs > 0' <<<"$output"
	kube_stats_reset
	[ "$(kube_stats .total)" = 0 ]
}

@test "kube-apiserver: keep-alive: many requests on few connections" {
	local args=() i c0
	for i in $(seq 1 50); do
		args+=(-o /dev/null "$KUBE_URL/api/v1/namespaces/default")
	done
	kube_stats_reset
	run -0 kube_curl "${args[@]}"
	# one connection for the 50 requests, one for kube_stats
	[ "$(kube_stats .connections)" = 2 ]
	[ "$(kube_stats .verbs.get)" = 50 ]
}
