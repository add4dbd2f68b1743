#!/usr/bin/env bats
# manifest-gen end to end, through stdin and stdout. The "unreachable
# remote gives 75" case of STYLE.md §10 does not apply: manifest-gen talks
# to nothing but the local object store.

load helpers

setup() {
	T=$BATS_TEST_TMPDIR
}

# --- the standard cases -------------------------------------------------

@test "manifest-gen: golden fixture, a real-world layout from a folder" {
	run --separate-stderr -1 manifest-gen \
	    --dir "$FIXTURES/manifest-gen/realworld"
	diff <(printf '%s\n' "$output" | sorted_json) \
	    <(sorted_json <"$FIXTURES/manifest-gen/realworld.out.ndjson")
}

@test "manifest-gen: unknown record types pass through unchanged" {
	run -0 manifest-gen <<<'{"type":"not-yet-invented","x":1, "y":[2]}'
	[ "$output" = '{"type":"not-yet-invented","x":1, "y":[2]}' ]
}

@test "manifest-gen: empty input gives empty output and 0" {
	run -0 manifest-gen </dev/null
	[ -z "$output" ]
	run -0 manifest-gen <<<''
	[ -z "$output" ]
}

@test "manifest-gen: a line that is not JSON is a data error naming it" {
	run --separate-stderr -65 manifest-gen <<<$'{"type":"x"}\n{"type":'
	[ "$output" = '{"type":"x"}' ]
	[[ $stderr == *'line 2'* ]]
}

@test "manifest-gen: records must be objects with a string type" {
	run --separate-stderr -65 manifest-gen <<<'[1,2]'
	[[ $stderr == *'line 1'*'not a JSON object'* ]]
	run --separate-stderr -65 manifest-gen <<<'{"kind":"x"}'
	[[ $stderr == *'line 1'*'type'* ]]
	run --separate-stderr -65 manifest-gen <<<'{"type":"x"} {}'
	[[ $stderr == *'line 1'* ]]
}

@test "manifest-gen: stdout to /dev/full gives 74" {
	# bats' run captures output, so the redirection goes inside bash -c
	run -74 bash -c 'manifest-gen --dir "$1" >/dev/full' - \
	    "$FIXTURES/manifest-gen/realworld"
	run -74 bash -c 'manifest-gen <<<"{\"type\":\"x\"}" >/dev/full'
}

@test "manifest-gen: bad flags give 64" {
	run -64 manifest-gen --no-such-flag
	run -64 manifest-gen extra-argument
	run -64 manifest-gen --sync-timeout 30
	run -64 manifest-gen --log-format xml
	run -64 manifest-gen --dir /nonexistent/folder
}

@test "manifest-gen: -h prints help on stdout and exits 0" {
	run -0 manifest-gen -h
	[[ $output == usage:* ]]
	run -0 manifest-gen --version
	[[ $output == "manifest-gen "* ]]
}

@test "manifest-gen: a failing file is an error record and gives 1" {
	mkdir "$T/d"
	printf 'kind: [\n' >"$T/d/bad.yaml"
	run --separate-stderr -1 manifest-gen --dir "$T/d"
	lines_of_type error | jqe 'select(.file == "bad.yaml" and .line == 2)'
	lines_of_type end | jqe '.ok == false and .failed == ["bad.yaml"]'
}

# --- revisions from Git ------------------------------------------------

@test "manifest-gen: reads a revision's blobs from the object store" {
	cp -r "$FIXTURES/manifest-gen/realworld" "$T/repo"
	commit=$(commit_dir "$T/repo")
	git clone -q --bare "$T/repo" "$T/bare.git"
	rev=$(revision demo "$T/bare.git" "$commit")
	run --separate-stderr -1 manifest-gen <<<"$rev"
	# the revision comes first, unchanged, for kube-apply and gc
	[ "${lines[0]}" = "$rev" ]
	# the same objects as from the folder, with the commit filled in
	diff <(lines_of_type object | jq -S -c 'del(.source, .commit)') \
	    <(jq -S -c 'select(.type == "object") | del(.source, .commit)' \
	    "$FIXTURES/manifest-gen/realworld.out.ndjson")
	[ -z "$(lines_of_type object | jq -c --arg c "$commit" \
	    'select(.source != "demo" or .commit != $c)')" ]
	lines_of_type end | jq -e --arg c "$commit" \
	    '.source == "demo" and .commit == $c and .stage == "manifest-gen"'
	# no worktree was written anywhere near the mirror
	[ -z "$(find "$T/bare.git" -name '*.yaml')" ]
}

@test "manifest-gen: revision paths, with --path added" {
	cp -r "$FIXTURES/manifest-gen/realworld" "$T/repo"
	commit=$(commit_dir "$T/repo")
	run --separate-stderr -0 manifest-gen --path ./infra/rbac.yaml \
	    <<<"$(revision demo "$T/repo/.git" "$commit" apps/podinfo/base/ lists)"
	diff <(lines_of_type object | jq -r .id) - <<'EOF2'
default:deployment/podinfo
default:service/podinfo
default:serviceaccount/builder
ci:serviceaccount/deployer
<cluster>:clusterrole/podinfo-reader
EOF2
}

@test "manifest-gen: overlapping paths read each file once" {
	cp -r "$FIXTURES/manifest-gen/realworld" "$T/repo"
	commit=$(commit_dir "$T/repo")
	run --separate-stderr -0 manifest-gen \
	    <<<"$(revision demo "$T/repo/.git" "$commit" lists lists/list.yml .//lists/)"
	[ "$(lines_of_type object | wc -l)" -eq 2 ]
}

@test "manifest-gen: a missing or escaping path is an error for that path" {
	cp -r "$FIXTURES/manifest-gen/realworld" "$T/repo"
	commit=$(commit_dir "$T/repo")
	run --separate-stderr -1 manifest-gen \
	    <<<"$(revision demo "$T/repo/.git" "$commit" nowhere ../etc /abs lists)"
	lines_of_type error | jqe 'select(.file == "nowhere") |
	    .message | test("not found in commit")'
	lines_of_type error | jqe 'select(.file == "../etc") |
	    .message | test("leaves the repository")'
	lines_of_type error | jqe 'select(.file == "/abs") |
	    .message | test("absolute")'
	[ "$(lines_of_type object | wc -l)" -eq 2 ]
	lines_of_type end | jqe '.ok == false and
	    .failed == ["nowhere", "../etc", "/abs"]'
}

@test "manifest-gen: an unreadable repository or commit ends the source not ok" {
	cp -r "$FIXTURES/manifest-gen/realworld" "$T/repo"
	commit=$(commit_dir "$T/repo")
	run --separate-stderr -1 manifest-gen <<<"$(revision a "$T/none" "$commit")
$(revision b "$T/repo/.git" 0123456789012345678901234567890123456789)
$(revision c "$T/repo/.git" "$commit" lists)"
	lines_of_type end | jqe 'select(.source == "a") | .ok == false'
	lines_of_type end | jqe 'select(.source == "b") | .ok == false'
	lines_of_type end | jqe 'select(.source == "c") | .ok == true'
	[[ $stderr == *'cannot read'* ]]
}

@test "manifest-gen: a revision that carries an error passes, not ok, exit 0" {
	rec='{"type":"revision","source":"s","commit":null,"error":{"msg":"fetch failed"}}'
	run --separate-stderr -0 manifest-gen <<<"$rec"
	[ "${lines[0]}" = "$rec" ]
	lines_of_type end | jqe '.ok == false and .source == "s"'
}

# --- discovery and IDs -------------------------------------------------

@test "manifest-gen: only .yaml and .yml, charts skipped, kind-less docs skipped" {
	run --separate-stderr -1 manifest-gen \
	    --dir "$FIXTURES/manifest-gen/realworld"
	! lines_of_type object | grep -q json-is-not-read
	! lines_of_type object | grep -q 'Release.Name'
	lines_of_type object | jqe 'select(.file == "lists/list.yml")' >/dev/null
	# config.yaml's first document is empty (a comment): the ConfigMap is doc 1
	lines_of_type object | jqe 'select(.id == "prod:configmap/podinfo-config") | .doc == 1'
}

@test "manifest-gen: a folder with only Chart.yaml is not a chart" {
	mkdir -p "$T/d/app"
	printf 'apiVersion: v2\nname: x\n' >"$T/d/app/Chart.yaml"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' \
	    >"$T/d/app/cm.yaml"
	run --separate-stderr -0 manifest-gen --dir "$T/d"
	lines_of_type object | jqe 'select(.id == "default:configmap/c")'
	printf 'x: 1\n' >"$T/d/app/values.yaml"
	run --separate-stderr -0 manifest-gen --dir "$T/d"
	[ -z "$(lines_of_type object)" ]
	# a target path inside a chart is skipped too
	run --separate-stderr -0 manifest-gen --dir "$T/d" --path app
	[ -z "$(lines_of_type object)" ]
}

@test "manifest-gen: List kinds are expanded into their items" {
	run --separate-stderr -0 manifest-gen \
	    --dir "$FIXTURES/manifest-gen/realworld" --path lists
	diff <(lines_of_type object | jq -c '[.id, .doc, .item]') - <<'EOF2'
["default:serviceaccount/builder",0,0]
["ci:serviceaccount/deployer",0,1]
EOF2
}

@test "manifest-gen: namespaces defaulted, cluster scope from kinds and CRDs" {
	run --separate-stderr -1 manifest-gen \
	    --dir "$FIXTURES/manifest-gen/realworld" \
	    --k8s-default-namespace team-a
	lines_of_type object | jqe 'select(.id == "team-a:deployment/podinfo") |
	    .object.metadata.namespace == "team-a" and .namespaced == true'
	lines_of_type object | jqe 'select(.id == "<cluster>:namespace/prod") |
	    .namespaced == false and (.object.metadata | has("namespace") | not)'
	lines_of_type object | jqe 'select(.id == "<cluster>:clusterrole/podinfo-reader")'
	# Widget is cluster-scoped by the CRD found in the same set
	lines_of_type object | jqe 'select(.id == "<cluster>:widget/big-widget") |
	    .namespaced == false'
	# Gizmo has no CRD: emitted as namespaced, marked unknown, warned about
	lines_of_type object | jqe 'select(.id == "team-a:gizmo/mystery") |
	    .namespaced == null and .object.metadata.namespace == "team-a"'
	[[ $stderr == *"scope of kind 'Gizmo'"* ]]
	lines_of_type end | jqe '.counts.unknownScope == 1'
}

@test "manifest-gen: a CRD after its custom resources still decides their scope" {
	mkdir -p "$T/d"
	cat >"$T/d/a-widget.yaml" <<'EOF2'
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
EOF2
	cat >"$T/d/z-crd.yaml" <<'EOF2'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec: {group: example.com, scope: Cluster, names: {kind: Widget, plural: widgets}}
EOF2
	run --separate-stderr -0 manifest-gen --dir "$T/d"
	diff <(lines_of_type object | jq -r .id) - <<'EOF2'
<cluster>:customresourcedefinition/widgets.example.com
<cluster>:widget/w
EOF2
}

@test "manifest-gen: fluxcd.io/ignore in Git marks the object ignored" {
	mkdir -p "$T/d"
	cat >"$T/d/x.yaml" <<'EOF2'
apiVersion: v1
kind: ConfigMap
metadata: {name: a, annotations: {fluxcd.io/ignore: "true"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b, annotations: {flux.weave.works/ignore: "true"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, annotations: {fluxcd.io/ignore: "false"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: d, annotations: {fluxcd.io/ignore: sync_only}}
EOF2
	run --separate-stderr -0 manifest-gen --dir "$T/d"
	diff <(lines_of_type object | jq -c '[.id, .ignored]') - <<'EOF2'
["default:configmap/a",true]
["default:configmap/b",true]
["default:configmap/c",false]
["default:configmap/d",false]
EOF2
	lines_of_type end | jqe '.counts.ignored == 2'
}

# --- fault isolation -----------------------------------------------------

@test "manifest-gen: a broken file is an error with line and column; the rest flows" {
	run --separate-stderr -1 manifest-gen \
	    --dir "$FIXTURES/manifest-gen/realworld"
	lines_of_type error | jqe 'select(.file == "broken/bad.yaml") |
	    .line > 0 and .column > 0 and .stage == "manifest-gen"'
	! lines_of_type object | grep -q half-written
	lines_of_type object | jqe 'select(.id == "default:deployment/podinfo")'
	lines_of_type end | jqe '.ok == false and
	    .failed == ["broken/bad.yaml", "broken/noname.yaml"]'
}

@test "manifest-gen: an object without a name fails alone" {
	run --separate-stderr -1 manifest-gen \
	    --dir "$FIXTURES/manifest-gen/realworld" --path broken/noname.yaml
	lines_of_type error | jqe 'select(.doc == 0) |
	    .message | test("has no metadata.name")'
	lines_of_type object | jqe 'select(.id == "default:configmap/after-the-nameless-one")'
}

@test "manifest-gen: a duplicate ID is an error naming both places" {
	mkdir -p "$T/d/x"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' >"$T/d/a.yaml"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\n' \
	    >"$T/d/x/b.yaml"
	run --separate-stderr -1 manifest-gen --dir "$T/d"
	[ "$(lines_of_type object | wc -l)" -eq 1 ]
	lines_of_type error | jqe '.file == "x/b.yaml" and
	    .id == "default:configmap/c" and
	    (.message | contains("a.yaml") and contains("x/b.yaml"))'
	lines_of_type end | jqe '.failed == ["x/b.yaml"]'
}

@test "manifest-gen: an alias bomb is refused as an error, not an OOM" {
	mkdir -p "$T/d"
	cat >"$T/d/bomb.yaml" <<'EOF2'
apiVersion: v1
kind: ConfigMap
metadata: {name: lol}
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
EOF2
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n' >"$T/d/ok.yaml"
	run --separate-stderr -1 manifest-gen --dir "$T/d"
	lines_of_type error | jqe '.file == "bomb.yaml" and .line > 0'
	lines_of_type object | jqe 'select(.id == "default:configmap/fine")'
}

@test "manifest-gen: a duplicate key is an error naming the line" {
	mkdir -p "$T/d"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: 1\n  a: 2\n' \
	    >"$T/d/dup.yaml"
	run --separate-stderr -1 manifest-gen --dir "$T/d"
	lines_of_type error | jqe '.file == "dup.yaml" and .line == 6'
}

@test "manifest-gen: symbolic links are not followed" {
	mkdir -p "$T/d" "$T/outside"
	printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n' >"$T/outside/s.yaml"
	ln -s "$T/outside/s.yaml" "$T/d/link.yaml"
	ln -s "$T/outside" "$T/d/linkdir"
	run --separate-stderr -0 manifest-gen --dir "$T/d"
	[ -z "$(lines_of_type object)" ]
	[[ $stderr == *'link.yaml'*'not followed'* ]]
}

@test "manifest-gen: output is deterministic" {
	run --separate-stderr -1 manifest-gen --dir "$FIXTURES/manifest-gen/realworld"
	first=$output
	run --separate-stderr -1 manifest-gen --dir "$FIXTURES/manifest-gen/realworld"
	[ "$output" = "$first" ]
}

@test "manifest-gen: YAML is typed as kubectl types it" {
	mkdir -p "$T/d"
	cat >"$T/d/t.yaml" <<'EOF2'
apiVersion: v1
kind: ConfigMap
metadata: {name: typed}
data:
  b1: yes
  b2: off
  i1: 0x1F
  i2: 017
  i3: 1_000
  n1: ~
  n2:
  s1: "yes"
  s2: !!str 42
  big: 18446744073709551615
  text: |
    line one
      line two
  folded: >-
    a
    b
EOF2
	run --separate-stderr -0 manifest-gen --dir "$T/d"
	# compared as text: jq 1.6 would round the big integer
	[[ $output == *'"data":{"b1":true,"b2":false,"i1":31,"i2":15,"i3":1000,"n1":null,"n2":null,"s1":"yes","s2":"42","big":18446744073709551615,"text":"line one\n  line two\n","folded":"a b"}}}'* ]]
}

# --- .flux.yaml -----------------------------------------------------------

flux_repo() {
	mkdir -p "$T/repo/gen" "$T/repo/raw" "$T/repo/plain"
	cat >"$T/repo/gen/.flux.yaml" <<'EOF2'
version: 1
commandUpdated:
  generators:
  - command: >-
      printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: generated}\ndata: {cwd: "%s"}\n' "${PWD##*/}"
  - command: cat extra.yaml
EOF2
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n' >"$T/repo/gen/extra.yaml"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: raw-in-gen}\n' >"$T/repo/gen/raw.yaml"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n' >"$T/repo/plain/p.yaml"
}

@test "manifest-gen: .flux.yaml is ignored, and nothing runs, without --manifest-generation" {
	flux_repo
	cat >"$T/repo/gen/.flux.yaml" <<EOF2
version: 1
commandUpdated:
  generators:
  - command: touch $T/ran
EOF2
	run --separate-stderr -0 manifest-gen --dir "$T/repo" --path gen
	[ ! -e "$T/ran" ]
	[[ $stderr == *'--manifest-generation is off'* ]]
	diff <(lines_of_type object | jq -r .id) - <<'EOF2'
default:configmap/extra
default:configmap/raw-in-gen
EOF2
}

@test "manifest-gen: commandUpdated generators make the objects of their path" {
	flux_repo
	run --separate-stderr -0 manifest-gen --manifest-generation \
	    --dir "$T/repo" --path gen --path plain
	diff <(lines_of_type object | jq -c '[.id, .file, .object.data.cwd]') - <<'EOF2'
["default:configmap/generated","gen/.flux.yaml","gen"]
["default:configmap/extra","gen/.flux.yaml",null]
["default:configmap/plain","plain/p.yaml",null]
EOF2
}

@test "manifest-gen: a .flux.yaml above the path applies, named as Flux names it" {
	flux_repo
	mkdir -p "$T/repo/gen/sub"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sub-extra}\n' \
	    >"$T/repo/gen/sub/extra.yaml"
	run --separate-stderr -0 manifest-gen --manifest-generation \
	    --dir "$T/repo" --path gen/sub
	lines_of_type object | jqe 'select(.id == "default:configmap/generated") |
	    .file == "gen/sub/../.flux.yaml" and .object.data.cwd == "sub"'
}

@test "manifest-gen: a failing generator is an error for its path only" {
	flux_repo
	cat >"$T/repo/gen/.flux.yaml" <<'EOF2'
version: 1
commandUpdated:
  generators:
  - command: echo "kustomize exploded" >&2; exit 3
EOF2
	run --separate-stderr -1 manifest-gen --manifest-generation \
	    --dir "$T/repo" --path gen --path plain
	lines_of_type error | jqe '.file == "gen/.flux.yaml" and
	    (.message | contains("exited with status 3") and contains("kustomize exploded"))'
	lines_of_type object | jqe 'select(.id == "default:configmap/plain")'
	lines_of_type end | jqe '.failed == ["gen/.flux.yaml"]'
}

@test "manifest-gen: a generator that runs too long is killed" {
	flux_repo
	cat >"$T/repo/gen/.flux.yaml" <<'EOF2'
version: 1
commandUpdated:
  generators:
  - command: sleep 30
    timeout: 1s
EOF2
	SECONDS=0
	run --separate-stderr -1 manifest-gen --manifest-generation \
	    --dir "$T/repo" --path gen
	[ "$SECONDS" -lt 10 ]
	lines_of_type error | jqe '.message | test("timed out")'
	run --separate-stderr -1 manifest-gen --manifest-generation \
	    --sync-timeout 1s --dir "$T/repo" --path gen
	lines_of_type error | jqe '.message | test("timed out")'
}

@test "manifest-gen: an invalid .flux.yaml is rejected with a clear error" {
	flux_repo
	printf 'version: 1\ncommandUpdated:\n  generators: ["echo hi"]\n' \
	    >"$T/repo/gen/.flux.yaml"
	run --separate-stderr -1 manifest-gen --manifest-generation \
	    --dir "$T/repo" --path gen
	lines_of_type error | jqe '.file == "gen/.flux.yaml" and
	    (.message | test("generators\\[0\\]"))'
	printf 'version: 2\nscanForFiles: {}\n' >"$T/repo/gen/.flux.yaml"
	run --separate-stderr -1 manifest-gen --manifest-generation \
	    --dir "$T/repo" --path gen
	lines_of_type error | jqe '.message | test("version")'
}

@test "manifest-gen: scanForFiles reads the path as plain YAML" {
	flux_repo
	printf 'version: 1\nscanForFiles: {}\n' >"$T/repo/gen/.flux.yaml"
	run --separate-stderr -0 manifest-gen --manifest-generation \
	    --dir "$T/repo" --path gen
	diff <(lines_of_type object | jq -r .id) - <<'EOF2'
default:configmap/extra
default:configmap/raw-in-gen
EOF2
}

@test "manifest-gen: patchUpdated applies its patch file to the generated objects" {
	mkdir -p "$T/repo/app"
	cat >"$T/repo/app/.flux.yaml" <<'EOF2'
version: 1
patchUpdated:
  generators:
  - command: cat base.yaml
  patchFile: flux-patch.yaml
EOF2
	cat >"$T/repo/app/base.yaml" <<'EOF2'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - {name: web, image: "nginx:1.24"}
      - {name: sidecar, image: "envoy:1.0"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a-config}
data: {k: v}
EOF2
	cat >"$T/repo/app/flux-patch.yaml" <<'EOF2'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  template:
    spec:
      containers:
      - {name: web, image: "nginx:1.25"}
EOF2
	run --separate-stderr -0 manifest-gen --manifest-generation \
	    --dir "$T/repo" --path app
	# sorted by ID, the patch merged by container name
	diff <(lines_of_type object | jq -c '[.id, [.object.spec.template.spec.containers[]?.image]]') - <<'EOF2'
["default:configmap/a-config",[]]
["default:deployment/web",["nginx:1.25","envoy:1.0"]]
EOF2
	# a patch for something not generated fails the path
	sed -i 's/name: web, namespace/name: gone, namespace/' "$T/repo/app/flux-patch.yaml"
	run --separate-stderr -1 manifest-gen --manifest-generation \
	    --dir "$T/repo" --path app
	lines_of_type error | jqe '.message | test("patch refers to missing resource")'
	[ -z "$(lines_of_type object)" ]
}

@test "manifest-gen: generators of a Git source run in a checkout in the state dir" {
	flux_repo
	commit=$(commit_dir "$T/repo")
	run --separate-stderr -0 manifest-gen --manifest-generation \
	    --state-dir "$T/state" <<<"$(revision demo "$T/repo/.git" "$commit" gen plain)"
	lines_of_type object | jqe 'select(.id == "default:configmap/generated") |
	    .commit != null and .object.data.cwd == "gen"'
	[ -f "$T/state/demo/checkout/gen/extra.yaml" ]
	[ "$(cat "$T/state/demo/checkout.commit")" = "$commit" ]
}

# --- the render cache (--cache) ------------------------------------------

# render_both NAME COMMIT [FLAGS...]: manifest-gen over $T/repo at COMMIT,
# with and without --cache, into $T/NAME.plain and $T/NAME.cached, their
# stderr into $T/NAME.plain.err and $T/NAME.err; fails unless the two exit
# alike and write the same bytes but for the end record's cached count.
render_both() {
	local name=$1 commit=$2 rev prc=0 crc=0
	shift 2
	rev=$(revision demo "$T/repo/.git" "$commit")
	manifest-gen "$@" <<<"$rev" >"$T/$name.plain" \
	    2>"$T/$name.plain.err" || prc=$?
	manifest-gen --cache --state-dir "$T/state" "$@" <<<"$rev" \
	    >"$T/$name.cached" 2>"$T/$name.err" || crc=$?
	[ "$prc" -eq "$crc" ] && [ "$prc" -le 1 ]
	diff <(grep -v '^{"type":"end"' "$T/$name.plain") \
	    <(grep -v '^{"type":"end"' "$T/$name.cached")
	diff <(grep '^{"type":"end"' "$T/$name.plain" | jq -c 'del(.counts.cached)') \
	    <(grep '^{"type":"end"' "$T/$name.cached" | jq -c 'del(.counts.cached)')
}

# cached NAME: the end record's cached count of $T/NAME.cached
cached() {
	grep '^{"type":"end"' "$T/$1.cached" | jq '.counts.cached'
}

# same_logs NAME: render_both NAME's two runs logged the same lines, but
# for debug ones
same_logs() {
	diff <(grep -v '"level":"debug"' "$T/$1.plain.err") \
	    <(grep -v '"level":"debug"' "$T/$1.err")
}

# folders: the folder entries of the render cache, one path a line
folders() {
	local f=$T/state/demo/render.cache
	grep -a '^D ' "$f" | sed 's/^D [0-9]*://; s/40:[0-9a-f]\{40\}.*//' |
	    sort
}

# yaml_cm FILE NAME [VALUE]: a ConfigMap NAME, in FILE (folders made)
yaml_cm() {
	mkdir -p "$(dirname "$1")"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\n%s\n' \
	    "$2" "data: {k: \"${3:-1}\"}" >"$1"
}

@test "manifest-gen: --cache writes what a run without it writes, and parses only new blobs" {
	cp -r "$FIXTURES/manifest-gen/realworld" "$T/repo"
	c1=$(commit_dir "$T/repo")
	render_both first "$c1"
	[ "$(cached first)" -eq 0 ]
	[ "$(stat -c %a "$T/state/demo/render.cache")" = 600 ]
	# every file but the broken two and the one with custom resources
	render_both second "$c1"
	[ "$(cached second)" -eq 7 ]
	# one file changed, one duplicating an object of a cached file, one
	# gone: the duplicate is still found, the changed file parsed again
	sed -i 's/replicas: .*/replicas: 7/' "$T/repo/apps/podinfo/base/deployment.yaml"
	grep -q 'replicas: 7' "$T/repo/apps/podinfo/base/deployment.yaml"
	cp "$T/repo/infra/rbac.yaml" "$T/repo/infra/another-rbac.yaml"
	git -C "$T/repo" rm -q lists/list.yml
	c2=$(commit_dir "$T/repo")
	render_both third "$c2"
	[ "$(cached third)" -eq 5 ]
	grep -q '"replicas":7' "$T/third.cached"
	grep '^{"type":"error"' "$T/third.cached" |
	    jqe 'select(.file == "infra/rbac.yaml") | .message | test("duplicate")'
	# the gone file is gone from the cache too
	! grep -q 'lists/list.yml' "$T/state/demo/render.cache"
}

@test "manifest-gen: --cache: a CRD's new scope reaches its custom resources" {
	mkdir -p "$T/repo"
	cat >"$T/repo/crd.yaml" <<'EOF2'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
EOF2
	printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n' \
	    >"$T/repo/widget.yaml"
	c1=$(commit_dir "$T/repo")
	render_both one "$c1"
	render_both two "$c1"
	grep -q '"id":"default:widget/w"' "$T/two.cached"
	sed -i 's/scope: Namespaced/scope: Cluster/' "$T/repo/crd.yaml"
	c2=$(commit_dir "$T/repo")
	render_both three "$c2"
	grep -q '"id":"<cluster>:widget/w"' "$T/three.cached"
}

@test "manifest-gen: --cache: another default namespace, or a damaged cache, is not used" {
	cp -r "$FIXTURES/manifest-gen/realworld" "$T/repo"
	c1=$(commit_dir "$T/repo")
	render_both first "$c1"
	render_both ns "$c1" --k8s-default-namespace other
	[ "$(cached ns)" -eq 0 ]
	grep -q '"id":"other:deployment/podinfo"' "$T/ns.cached"
	render_both again "$c1" --k8s-default-namespace other
	[ "$(cached again)" -eq 7 ]
	# cut short, as by a crash: none of it is trusted
	size=$(stat -c %s "$T/state/demo/render.cache")
	truncate -s $((size - 40)) "$T/state/demo/render.cache"
	render_both cut "$c1" --k8s-default-namespace other
	[ "$(cached cut)" -eq 0 ]
	# bytes changed inside an entry: its lengths no longer add up
	render_both good "$c1" --k8s-default-namespace other
	[ "$(cached good)" -eq 7 ]
	sed -i 's/"kind":"Service"/"kind":"Servic"/' "$T/state/demo/render.cache"
	render_both edited "$c1" --k8s-default-namespace other
	[ "$(cached edited)" -eq 0 ]
	grep -q '"kind":"Service"' "$T/edited.cached"
	# not a cache at all
	printf 'garbage\n' >"$T/state/demo/render.cache"
	render_both garbage "$c1" --k8s-default-namespace other
	[ "$(cached garbage)" -eq 0 ]
	[ -z "$(find "$T/state" -name '*.tmp')" ]
}

@test "manifest-gen: --cache that cannot be written changes nothing but speed" {
	cp -r "$FIXTURES/manifest-gen/realworld" "$T/repo"
	c1=$(commit_dir "$T/repo")
	mkdir -p "$T/state/demo"
	chmod 500 "$T/state/demo"
	if [ "$(id -u)" -eq 0 ]; then
		# root writes anyway: a file in the way of the state folder
		chmod 700 "$T/state/demo"
		rm -rf "$T/state"
		printf 'x' >"$T/state"
	fi
	render_both first "$c1"
	render_both second "$c1"
	[ "$(cached second)" -eq 0 ]
	grep -q 'no render cache\|cannot write the render cache' "$T/second.err"
}

@test "manifest-gen: --cache: folders are replayed through changes, adds, deletes, renames" {
	cp -r "$FIXTURES/manifest-gen/realworld" "$T/repo"
	yaml_cm "$T/repo/deep/a/b/c/cm.yaml" deep
	yaml_cm "$T/repo/deep/a/b/sibling.yaml" sibling
	yaml_cm "$T/repo/deep/x/x.yaml" x
	yaml_cm "$T/repo/deep/leaf.yaml" leaf
	c=$(commit_dir "$T/repo")
	render_both first "$c"
	same_logs first
	render_both second "$c"
	same_logs second
	[ "$(cached second)" -eq 11 ]
	# every folder but those with a chart below them (the root) and the
	# chart's own; a folder with a broken file still walks the same way
	diff <(folders) - <<'EOF2'
apps
apps/podinfo
apps/podinfo/base
apps/podinfo/overlays
apps/podinfo/overlays/prod
broken
crds
deep
deep/a
deep/a/b
deep/a/b/c
deep/x
infra
lists
EOF2
	# a file deep in a folder changes: its folders are walked again
	yaml_cm "$T/repo/deep/a/b/c/cm.yaml" deep 2
	c=$(recommit "$T/repo" changed)
	render_both changed "$c"
	same_logs changed
	grep -q '"data":{"k":"2"}' "$T/changed.cached"
	[ "$(cached changed)" -eq 10 ]
	# a folder added, with a folder in it
	yaml_cm "$T/repo/deep/new/sub/n.yaml" new
	c=$(recommit "$T/repo" added)
	render_both added "$c"
	grep -q '"id":"default:configmap/new"' "$T/added.cached"
	folders | grep -qx deep/new/sub
	# a folder deleted
	git -C "$T/repo" rm -rq deep/x
	c=$(recommit "$T/repo" deleted)
	render_both deleted "$c"
	! grep -q '"id":"default:configmap/x"' "$T/deleted.cached"
	! folders | grep -qx deep/x
	# a folder renamed: the same tree under another path
	git -C "$T/repo" mv deep/a deep/z
	c=$(recommit "$T/repo" renamed)
	render_both renamed "$c"
	grep -q '"file":"deep/z/b/c/cm.yaml"' "$T/renamed.cached"
	! grep -q '"file":"deep/a/' "$T/renamed.cached"
	folders | grep -qx deep/z/b/c
	# a file replaced by a folder of the same name, and a folder by a file
	git -C "$T/repo" rm -q deep/leaf.yaml
	yaml_cm "$T/repo/deep/leaf.yaml/inner.yaml" inner
	git -C "$T/repo" rm -rq deep/new
	yaml_cm "$T/repo/deep/new" flat
	c2=$(recommit "$T/repo" replaced)
	render_both replaced "$c2"
	same_logs replaced
	grep -q '"file":"deep/leaf.yaml/inner.yaml"' "$T/replaced.cached"
	! grep -q '"default:configmap/flat"' "$T/replaced.cached"
	# and back to the first commit and forth again, from each other's cache
	render_both back "$c"
	grep -q '"file":"deep/new/sub/n.yaml"' "$T/back.cached"
	render_both forth "$c2"
	same_logs forth
	# a folder entry whose lengths add up but whose items do not make
	# sense (a "/" inside a name, an id that is not hex) is walked instead
	f=$T/state/demo/render.cache
	sed -i '/^D 4:deep40:/s|10:leaf.yaml/|10:lea/.yaml/|' "$f"
	grep -aq '^D 4:deep40:.*10:lea/.yaml/' "$f"
	render_both badname "$c2"
	same_logs badname
	sed -i 's/12:sibling.yaml40:[0-9a-f]/12:sibling.yaml40:g/' "$f"
	grep -aq '^D 8:deep/z/b40:.*12:sibling.yaml40:g' "$f"
	render_both badid "$c2"
	same_logs badid
}

@test "manifest-gen: --cache: charts and symbolic links are met and logged on every run" {
	mkdir -p "$T/repo/apps/chart/templates"
	yaml_cm "$T/repo/apps/web/web.yaml" web
	yaml_cm "$T/repo/apps/chart/Chart.yaml" not-read
	yaml_cm "$T/repo/apps/chart/values.yaml" not-read-either
	yaml_cm "$T/repo/links/real.yaml" real
	ln -s real.yaml "$T/repo/links/link.yaml"
	c=$(commit_dir "$T/repo")
	export SLUICE_DEBUG=1
	for run in one two three; do
		render_both "$run" "$c"
		same_logs "$run"
		grep -q '"msg":"skipping Helm chart '\''apps/chart'\''"' \
		    "$T/$run.err"
		grep -q '"level":"warning".*links/link.yaml.*not followed' \
		    "$T/$run.err"
	done
	[ "$(cached three)" -eq 2 ]
	# above them nothing is kept; beside them it is
	[ "$(folders)" = apps/web ]
}

@test "manifest-gen: --cache: a folder entry spares reading the folder from Git" {
	cp -r "$FIXTURES/manifest-gen/realworld" "$T/repo"
	c=$(commit_dir "$T/repo")
	render_both first "$c"
	# the tree of an unchanged folder taken out of the repository
	tree=$(git -C "$T/repo" rev-parse "$c:apps/podinfo/base")
	obj=$T/repo/.git/objects/${tree:0:2}/${tree:2}
	[ -f "$obj" ]
	rm -f "$obj"
	# without the cache the folder cannot be read...
	run --separate-stderr -1 manifest-gen \
	    <<<"$(revision demo "$T/repo/.git" "$c")"
	lines_of_type error | jqe 'select(.file == "apps/podinfo/base") |
	    .message | test("cannot list")'
	# ...with it, it is never read: all is as from the whole repository
	manifest-gen --cache --state-dir "$T/state" \
	    <<<"$(revision demo "$T/repo/.git" "$c")" >"$T/second.cached" \
	    2>"$T/second.err" || [ $? -eq 1 ]
	diff <(grep -v '^{"type":"end"' "$T/first.plain") \
	    <(grep -v '^{"type":"end"' "$T/second.cached")
	diff "$T/first.plain.err" "$T/second.err"
	[ "$(cached second)" -eq 7 ]
}

@test "manifest-gen: --cache: folders nested too deep fail as without it, at any depth" {
	mkdir -p "$T/repo"
	# a/ and 256 folders below it: 256 levels under a, 257 under the root
	deep=a$(printf '/d%.0s' $(seq 256))
	yaml_cm "$T/repo/$deep/cm.yaml" deepest
	yaml_cm "$T/repo/a/top.yaml" top
	c=$(commit_dir "$T/repo")
	render_both a "$c" --path a
	render_both a2 "$c" --path a
	grep -q '"id":"default:configmap/deepest"' "$T/a2.cached"
	folders | grep -qx "$deep"
	# the same folders one level deeper: replayed down to the limit
	render_both root "$c"
	same_logs root
	grep '^{"type":"error"' "$T/root.cached" |
	    jqe '.message | test("nested deeper than 256")'
	! grep -q '"id":"default:configmap/deepest"' "$T/root.cached"
	render_both root2 "$c"
	render_both a3 "$c" --path a
	grep -q '"id":"default:configmap/deepest"' "$T/a3.cached"
}

@test "manifest-gen: --cache: overlapping paths render each file once, replayed or not" {
	cp -r "$FIXTURES/manifest-gen/realworld" "$T/repo"
	c=$(commit_dir "$T/repo")
	for run in one two; do
		render_both "$run" "$c" --path apps/podinfo --path apps \
		    --path apps/podinfo/base/deployment.yaml
		render_both "$run-r" "$c" --path apps --path apps/podinfo/base
	done
	[ "$(grep -c '"type":"object"' "$T/two.cached")" -eq 5 ]
	# each folder kept once
	[ -z "$(folders | uniq -d)" ]
	folders | grep -qx apps/podinfo/base
}
