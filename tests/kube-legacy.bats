#!/usr/bin/env bats
# kube-apply and gc against an API server that has only the per-group
# discovery documents (Kubernetes 1.26 and older), and with credentials
# from an exec plugin.

load helpers
load servers/kube-servers

setup_file() {
	start_kube_apiserver "$BATS_FILE_TMPDIR/kube" --no-aggregated-discovery
}

teardown_file() {
	stop_kube_apiserver
}

setup() {
	T=$BATS_TEST_TMPDIR
	kube_reset
	sync_fixture "$T/repo" >/dev/null
	rendered "$T/repo" >"$T/stream"
}

@test "kube-legacy: the server really has no aggregated discovery" {
	kube_curl -H 'Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' \
	    "$KUBE_URL/apis" | jq -e '.kind == "APIGroupList"'
}

@test "kube-legacy: applies and prunes with the per-group documents, CRDs included" {
	run --separate-stderr -0 kube-apply --kubeconfig "$KUBECONFIG_FILE" <"$T/stream"
	lines_of_type applied | jqe 'select(.id == "shop:widget/gadget") |
	    .action == "created"'
	lines_of_type end | jqe 'select(.stage == "kube-apply") |
	    .ok and .counts.created == 8'
	[ "$(kube_stats .discovery)" -gt 2 ]
	# and gc lists every kind with them on a first pass
	run --separate-stderr -0 bash -c 'kube-apply --kubeconfig "$1" <"$2" |
	    gc --kubeconfig "$1" --state-dir "$3"' - "$KUBECONFIG_FILE" \
	    "$T/stream" "$T/state"
	lines_of_type end | jqe 'select(.stage == "gc") | .ok'
	[ -s "$T/state/demo/inventory" ]
}

@test "kube-legacy: an exec credential plugin is run once and its token used" {
	cat >"$T/plugin" <<EOF2
#!/bin/sh
echo run >>"$T/plugin.runs"
[ -n "\$KUBERNETES_EXEC_INFO" ] || exit 3
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}\n' "$KUBE_TOKEN"
EOF2
	chmod +x "$T/plugin"
	cat >"$T/kubeconfig" <<EOF2
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: "$KUBE_URL", certificate-authority: "$KUBE_CA"}
users:
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $T/plugin
      interactiveMode: Never
contexts:
- name: plugin
  context: {cluster: test, user: plugin}
current-context: plugin
EOF2
	run --separate-stderr -0 kube-apply --kubeconfig "$T/kubeconfig" <"$T/stream"
	lines_of_type end | jqe 'select(.stage == "kube-apply") | .ok'
	[ "$(wc -l <"$T/plugin.runs")" -eq 1 ]
	[[ $stderr != *"$KUBE_TOKEN"* ]]
}
