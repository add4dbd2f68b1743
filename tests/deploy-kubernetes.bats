#!/usr/bin/env bats
# deploy/kubernetes: the manifests go through sluice's own manifest-gen and
# kube-apply against the test API server, and the sync pass's ClusterRole
# is checked against every request a real sync pass (kube-apply and gc)
# makes, read from the server's request log.

load helpers
load servers/kube-servers

DEPLOY=$BATS_TEST_DIRNAME/../deploy/kubernetes

setup_file() {
	# --verbose: one log line per request, "METHOD PATH HTTP/1.1" CODE
	start_kube_apiserver "$BATS_FILE_TMPDIR/kube" --verbose
}

teardown_file() {
	stop_kube_apiserver
}

setup() {
	T=$BATS_TEST_TMPDIR
	kube_reset
	export KUBECONFIG=$KUBECONFIG_FILE
}

# objects KIND: the objects of that kind in deploy/kubernetes, as JSON
objects() {
	manifest-gen --dir "$DEPLOY" |
	    jq -c --arg k "$1" 'select(.type == "object" and
	        .object.kind == $k) | .object'
}

@test "deploy/kubernetes: manifest-gen reads every file without an error" {
	run --separate-stderr -0 manifest-gen --dir "$DEPLOY"
	lines_of_type end | jqe '.ok and .counts.errors == 0'
	[ "$(lines_of_type object | jq -r .id | sort | tr '\n' ' ')" = \
	    "<cluster>:clusterrole/sluice-sync <cluster>:clusterrolebinding/sluice-sync <cluster>:namespace/sluice sluice:configmap/sluice-demo sluice:cronjob/sluice-demo-images sluice:cronjob/sluice-demo-sync sluice:persistentvolumeclaim/sluice-demo-images sluice:persistentvolumeclaim/sluice-demo-sync sluice:serviceaccount/sluice-images sluice:serviceaccount/sluice-sync " ]
}

@test "deploy/kubernetes: a dry run, then an apply, create everything" {
	manifest-gen --dir "$DEPLOY" >"$T/stream"
	run --separate-stderr -0 kube-apply --dry-run <"$T/stream"
	# what lives in the namespace to be created can only be skipped
	lines_of_type applied | jqe '.dryRun and (.action == "created" or
	    (.action == "skipped" and (.id | startswith("sluice:"))))'
	lines_of_type end | jqe '.ok'
	run -1 kubectl get namespace sluice
	run --separate-stderr -0 kube-apply <"$T/stream"
	[ "$(lines_of_type applied | jq -r .action | sort | uniq -c |
	    awk '{print $2 "=" $1}')" = created=10 ]
	kubectl -n sluice get cronjob sluice-demo-sync -o json >"$T/cj.json"
	jq -e '.spec.concurrencyPolicy == "Forbid"' "$T/cj.json"
	run --separate-stderr -0 kube-apply --full <"$T/stream"
	lines_of_type applied | jqe '.action == "unchanged"'
}

@test "deploy/kubernetes: both passes are CronJobs that never overlap" {
	objects CronJob >"$T/cj"
	[ "$(wc -l <"$T/cj")" -eq 2 ]
	jqe '.spec.concurrencyPolicy == "Forbid" and
	    .spec.jobTemplate.spec.template.spec.restartPolicy == "Never"' <"$T/cj"
	# the config as environment, the state on a claim, secrets as files
	jqe '.spec.jobTemplate.spec.template.spec as $p |
	    ($p.containers[0].envFrom[0].configMapRef.name == "sluice-demo") and
	    ([$p.volumes[] | select(.persistentVolumeClaim)] | length == 1) and
	    ([$p.volumes[] | select(.secret)] | length >= 1) and
	    ([$p.containers[0].volumeMounts[] | select(.name == "state") |
	      .mountPath] == ["/var/lib/sluice"])' <"$T/cj"
	# each pass its own claim, so neither waits for the other's node
	[ "$(jq -r '.spec.jobTemplate.spec.template.spec.volumes[] |
	    .persistentVolumeClaim.claimName // empty' <"$T/cj" | sort -u |
	    wc -l)" -eq 2 ]
	jqe '.spec.jobTemplate.spec.template.spec.containers[0].args[0] as $a |
	    ($a == "sync" or $a == "images")' <"$T/cj"
}

@test "deploy/kubernetes: the images pass gets no Kubernetes access at all" {
	objects CronJob | jq -c 'select(.metadata.name == "sluice-demo-images")
	    | .spec.jobTemplate.spec.template.spec' >"$T/pod"
	jqe '.automountServiceAccountToken == false and
	    .serviceAccountName == "sluice-images"' <"$T/pod"
	objects ServiceAccount | jqe 'select(.metadata.name == "sluice-images")
	    | .automountServiceAccountToken == false'
	# and nothing binds a role to it
	objects ClusterRoleBinding >"$T/b"
	objects RoleBinding >>"$T/b"
	run -0 jq -r '.subjects[].name' "$T/b"
	[ "$output" = sluice-sync ]
}

# check_rbac RULES LOG: every resource request in the server's LOG is
# allowed by the RBAC RULES (a JSON array), as the RBAC authorizer reads
# them (pkg/apis/rbac/v1/evaluation_helpers.go); prints what is not
check_rbac() {
	python3 - "$1" "$2" <<'EOF'
import json, re, sys, urllib.parse
rules = json.load(open(sys.argv[1]))
def allows(verb, group=None, res=None, url=None):
    for r in rules:
        if verb not in r.get("verbs", []) and "*" not in r.get("verbs", []):
            continue
        if url is not None:
            for u in r.get("nonResourceURLs", []):
                if u == url or u == "*" or (u.endswith("*") and
                                            url.startswith(u[:-1])):
                    return True
            continue
        g, rs = r.get("apiGroups", []), r.get("resources", [])
        if (group in g or "*" in g) and (res in rs or "*" in rs):
            return True
    return False
seen, bad = set(), []
for line in open(sys.argv[2]):
    m = re.search(r'"([A-Z]+) (\S+) HTTP/1\.1" (\d+)', line)
    if not m or m.group(2).startswith("/_test/"):
        continue
    method, path, code = m.group(1), urllib.parse.urlparse(m.group(2)).path, m.group(3)
    seg = [s for s in path.split("/") if s]
    if seg[:2] == ["api", "v1"]:
        group, rest = "", seg[2:]
    elif seg[:1] == ["apis"] and len(seg) >= 3:
        group, rest = seg[1], seg[3:]
    else:
        rest = None
    if not rest:                       # discovery: a non-resource URL
        need = [("get", None, None, path)]
    else:
        if rest[0] == "namespaces" and len(rest) >= 3:
            rest = rest[2:]
        res, name = rest[0], rest[1] if len(rest) > 1 else None
        verb = {"GET": "get" if name else "list", "PATCH": "patch",
                "DELETE": "delete", "POST": "create", "PUT": "update"}[method]
        need = [(verb, group, res, None)]
        if method == "PATCH" and code == "201":
            need.append(("create", group, res, None))  # apply that creates
    for v, g, r, u in need:
        seen.add(v)
        if not allows(v, g, r, u):
            bad.append("%s %s (%s)" % (v, path, code))
for b in sorted(set(bad)):
    print("not allowed:", b)
print("verbs:", " ".join(sorted(seen)))
sys.exit(1 if bad else 0)
EOF
}

@test "deploy/kubernetes: the sync ClusterRole allows every request of a sync pass" {
	objects ClusterRole | jq -c 'select(.metadata.name == "sluice-sync") |
	    .rules' >"$T/rules.json"
	[ -s "$T/rules.json" ]
	# a whole sync pass, then one that deletes what left Git
	sync_fixture "$T/repo" >/dev/null
	log=$KUBE_DIR/kube-apiserver.log
	from=$(wc -l <"$log")
	rendered "$T/repo" | kube-apply | gc --state-dir "$T/state" >"$T/out1"
	git -C "$T/repo" rm -q apps/secret.yaml
	recommit "$T/repo" "drop the secret" >/dev/null
	rendered "$T/repo" | kube-apply | gc --state-dir "$T/state" >"$T/out2"
	jqe 'select(.type == "deleted") | .id == "shop:secret/web-token"' \
	    <"$T/out2"
	tail -n +"$((from + 1))" "$log" >"$T/requests"
	run -0 check_rbac "$T/rules.json" "$T/requests"
	# the pass made every kind of request the role is there for
	[ "${lines[-1]}" = 'verbs: create delete get list patch' ]
}

@test "deploy/kubernetes: the RBAC check fails on a role that lacks a verb" {
	sync_fixture "$T/repo" >/dev/null
	log=$KUBE_DIR/kube-apiserver.log
	from=$(wc -l <"$log")
	rendered "$T/repo" | kube-apply >/dev/null
	tail -n +"$((from + 1))" "$log" >"$T/requests"
	objects ClusterRole | jq -c 'select(.metadata.name == "sluice-sync") |
	    .rules | map(.verbs -= ["create"])' >"$T/rules.json"
	run -1 check_rbac "$T/rules.json" "$T/requests"
	[[ $output == *'not allowed: create /apis/apps/v1/namespaces/shop/deployments/web'* ]]
	objects ClusterRole | jq -c 'select(.metadata.name == "sluice-sync") |
	    .rules | map(select(.nonResourceURLs | not))' >"$T/rules.json"
	run -1 check_rbac "$T/rules.json" "$T/requests"
	[[ $output == *'not allowed: get /apis '* ]]
}

@test "deploy/kubernetes: the sync pass runs in-cluster with its service account" {
	# what a pod of the CronJob sees: the service host and port, and the
	# token and CA mounted where kube-apply looks for them
	mkdir -p "$T/sa"
	printf '%s' "$KUBE_TOKEN" >"$T/sa/token"
	cp "$KUBE_CA" "$T/sa/ca.crt"
	printf 'sluice' >"$T/sa/namespace"
	manifest-gen --dir "$DEPLOY" >"$T/stream"
	run --separate-stderr -0 env -u KUBECONFIG HOME="$T" \
	    KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$KUBE_PORT" \
	    SLUICE_SERVICEACCOUNT_DIR="$T/sa" kube-apply <"$T/stream"
	[ "$(lines_of_type applied | jq -r .action | sort -u)" = created ]
}
