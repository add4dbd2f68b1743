#!/usr/bin/env bats
# img-update against a real git daemon: the pass git-fetch | manifest-gen,
# then image records as img-scan writes them, then img-update, which edits
# the YAML in the mirror's object store, commits and pushes.

load helpers
load servers/git-servers

setup_file() {
	export SRV=$BATS_FILE_TMPDIR/srv
	mkdir -p "$SRV"
	start_git_daemon "$SRV"
	export GITD_PORT
}

teardown_file() {
	stop_servers
}

teardown() {	# the gpg-agents a signing test started
	local h
	for h in "$BATS_TEST_TMPDIR/gnupg" "$BATS_TEST_TMPDIR/verify"; do
		[ ! -d "$h" ] || GNUPGHOME=$h gpgconf --kill all 2>/dev/null ||
		    true
	done
}

setup() {
	export SLUICE_STATE_DIR=$BATS_TEST_TMPDIR/state
	NAME=r$BATS_TEST_NUMBER
	URL=git://127.0.0.1:$GITD_PORT/$NAME.git
	git_seed_repo "$SRV" "$NAME"
}

head_of() {	# head_of [REF]: the server's commit
	git --git-dir="$SRV/$NAME.git" rev-parse "${1:-main}"
}

show() {	# show REV:PATH: a file on the server
	git --git-dir="$SRV/$NAME.git" show "$1"
}

# put FILE CONTENT: commit FILE on the server; prints the commit
put() {
	git_push_commit "$SRV" "$NAME" "add $1" "$1" "$2"
}

# image NAME TAG[=RFC3339]...: an image record of source $NAME
image() {
	local name=$1
	shift
	jq -nc --arg s "$NAME" --arg n "$name" '{type: "image", source: $s,
	    name: $n, tags: [$ARGS.positional[] | split("=") |
	    {tag: .[0], digest: null, created: .[1]}]}' --args "$@"
}

# render: git-fetch and manifest-gen into $BATS_TEST_TMPDIR/stream
render() {
	git-fetch --git-url "$URL" --git-branch main --source "$NAME" |
	    manifest-gen >"$BATS_TEST_TMPDIR/stream"
}

# update ARGS...: the stream plus the image records on stdin, into
# img-update --git-url $URL ARGS
update() {
	cat "$BATS_TEST_TMPDIR/stream" - >"$BATS_TEST_TMPDIR/in"
	img-update --git-url "$URL" --git-branch main "$@" \
	    <"$BATS_TEST_TMPDIR/in"
}

DEPLOY='# the web app
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.app: semver:~1
spec:
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com/team/web:1.0.0   # keep me
      - name: side
        image: "registry.example.com/team/side:2.0"'

@test "one image: the scalar changes, nothing else; Flux's commit message" {
	local before
	put apps/web.yaml "$DEPLOY" >/dev/null
	before=$(head_of)
	render
	run --separate-stderr -0 update < <(
	    image registry.example.com/team/web 1.0.0 1.4.2 2.0.0 1.5.0-rc.1)
	[ "$(head_of main~1)" = "$before" ]
	[ "$(show main:apps/web.yaml)" = "${DEPLOY/web:1.0.0/web:1.4.2}" ]
	[ "$(git --git-dir="$SRV/$NAME.git" diff --name-only main~1 main)" = \
	    apps/web.yaml ]
	[ "$(git --git-dir="$SRV/$NAME.git" log -1 --format='%an <%ae>|%B' main)" = \
	    "sluice <sluice@localhost>|Auto-release registry.example.com/team/web:1.4.2" ]
	lines_of_type update | jqe '.commit == "'"$(head_of)"'" and .id ==
	    "prod:deployment/web" and .container == "app" and
	    .file == "apps/web.yaml" and
	    .from == "registry.example.com/team/web:1.0.0" and
	    .to == "registry.example.com/team/web:1.4.2" and
	    .dryRun == false'
	lines_of_type end | tail -n 1 | jqe '.stage == "img-update" and .ok and
	    .counts.updates == 1'
	# the next pass has nothing to do
	render
	run --separate-stderr -0 update < <(
	    image registry.example.com/team/web 1.0.0 1.4.2 2.0.0)
	[ -z "$(lines_of_type update)" ]
}

@test "--dry-run shows the diff and pushes nothing" {
	local before
	put apps/web.yaml "$DEPLOY" >/dev/null
	before=$(head_of)
	render
	run --separate-stderr -0 update --dry-run < <(
	    image registry.example.com/team/web 1.0.0 1.4.2)
	[ "$(head_of)" = "$before" ]
	lines_of_type update | jqe '.commit == null and .dryRun == true and
	    .to == "registry.example.com/team/web:1.4.2"'
	[[ $stderr == *'-        image: registry.example.com/team/web:1.0.0   # keep me'* ]]
	[[ $stderr == *'+        image: registry.example.com/team/web:1.4.2   # keep me'* ]]
	# no URL needed to look
	run --separate-stderr -0 img-update --dry-run <"$BATS_TEST_TMPDIR/in"
}

@test "several images in several files: one commit, Flux's list message" {
	put apps/web.yaml "$DEPLOY" >/dev/null
	put apps/hr.yaml 'apiVersion: helm.fluxcd.io/v1
kind: HelmRelease
metadata:
  name: hr
  namespace: prod
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.chart-image: glob:v*
spec:
  values:
    image:
      repository: quay.io/team/chart   # the chart image
      tag: v1' >/dev/null
	render
	run --separate-stderr -0 update --git-ci-skip < <(
	    image registry.example.com/team/web 1.0.0 1.4.2
	    image quay.io/team/chart v1=2024-01-01T00:00:00Z \
	        v2=2024-02-01T00:00:00Z x9=2024-03-01T00:00:00Z)
	[ "$(lines_of_type update | wc -l)" -eq 2 ]
	[ "$(git --git-dir="$SRV/$NAME.git" log -1 --format=%B main)" = \
	    "Auto-release multiple (2) images

 - quay.io/team/chart:v2
 - registry.example.com/team/web:1.4.2

[ci skip]" ]
	[ "$(git --git-dir="$SRV/$NAME.git" rev-list --count main~1..main)" = 1 ]
	[[ "$(show main:apps/hr.yaml)" == *'      tag: v2'* ]]
	[[ "$(show main:apps/hr.yaml)" == *'repository: quay.io/team/chart   # the chart image'* ]]
}

@test "the branch moved meanwhile: fetched, redone on the new head, pushed" {
	local theirs
	put apps/web.yaml "$DEPLOY" >/dev/null
	render
	# somebody pushes while img-update works on an older commit
	theirs=$(put apps/other.yaml 'kind: ConfigMap')
	run --separate-stderr -0 update < <(
	    image registry.example.com/team/web 1.0.0 1.4.2)
	[ "$(head_of main~1)" = "$theirs" ]
	[ "$(show main:apps/other.yaml)" = 'kind: ConfigMap' ]
	[ "$(show main:apps/web.yaml)" = "${DEPLOY/web:1.0.0/web:1.4.2}" ]
	[[ $stderr == *moved* ]]
	lines_of_type update | jqe '.commit == "'"$(head_of)"'"'
}

@test "the field changed on the new head: left alone, nothing overwritten" {
	local theirs
	put apps/web.yaml "$DEPLOY" >/dev/null
	render
	theirs=$(put apps/web.yaml "${DEPLOY/web:1.0.0/web:1.3.0}")
	run --separate-stderr -1 update < <(
	    image registry.example.com/team/web 1.0.0 1.4.2)
	[ "$(head_of)" = "$theirs" ]
	lines_of_type error | jqe '.stage == "img-update" and
	    .id == "prod:deployment/web" and
	    (.message | test("not .*registry.example.com/team/web:1.0.0.* as expected"))'
	lines_of_type end | tail -n 1 | jqe '.ok == false and
	    .failed == ["prod:deployment/web"]'
}

@test "locked, not automated, ignored and pinned workloads are left alone" {
	local before
	put apps/w.yaml '---
apiVersion: apps/v1
kind: Deployment
metadata: {name: locked, annotations: {fluxcd.io/automated: "true", fluxcd.io/locked: "true"}}
spec: {template: {spec: {containers: [{name: a, image: "r.io/a:1.0.0"}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: manual}
spec: {template: {spec: {containers: [{name: a, image: "r.io/a:1.0.0"}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ign, annotations: {fluxcd.io/automated: "true", fluxcd.io/ignore: "true"}}
spec: {template: {spec: {containers: [{name: a, image: "r.io/a:1.0.0"}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pinned, annotations: {fluxcd.io/automated: "true"}}
spec: {template: {spec: {containers: [{name: a, image: "r.io/a:1.0.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}]}}}' >/dev/null
	before=$(head_of)
	render
	run --separate-stderr -0 update < <(image r.io/a 1.0.0 2.0.0)
	[ "$(head_of)" = "$before" ]
	[ -z "$(lines_of_type update)" ]
	[[ $stderr == *"pinned by digest"* ]]
	lines_of_type end | tail -n 1 | jqe '.ok and .counts.skipped == 1'
}

@test "time filters: no creation time for the current image means no move" {
	local before
	put apps/web.yaml "${DEPLOY/semver:~1/glob:*}" >/dev/null
	before=$(head_of)
	render
	run --separate-stderr -0 update < <(
	    image registry.example.com/team/web 1.0.0 1.4.2=2024-01-01T00:00:00Z)
	[ "$(head_of)" = "$before" ]
	[[ $stderr == *"has no creation time"* ]]
	render
	run --separate-stderr -0 update < <(
	    image registry.example.com/team/web 1.0.0=2023-01-01T00:00:00Z \
	        1.4.2=2024-01-01T00:00:00Z hotfix=2022-01-01T00:00:00Z)
	[[ "$(show main:apps/web.yaml)" == *'team/web:1.4.2   # keep me'* ]]
}

@test "List items and later documents are edited in place" {
	put apps/list.yaml 'apiVersion: v1
kind: ConfigMap
metadata: {name: first}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: s}
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: listed
    annotations: {fluxcd.io/automated: "true", fluxcd.io/tag.a: "semver:*"}
  spec:
    template:
      spec:
        initContainers:
        - {name: a, image: '"'"'r.io/a:1.0.0'"'"'}' >/dev/null
	render
	run --separate-stderr -0 update < <(image r.io/a 1.0.0 1.1.0)
	[[ "$(show main:apps/list.yaml)" == *"- {name: a, image: 'r.io/a:1.1.0'}" ]]
	[ "$(show main:apps/list.yaml | head -n 3)" = 'apiVersion: v1
kind: ConfigMap
metadata: {name: first}' ]
}

@test "--git-signing-key: the pushed commit verifies; an unknown key is 78" {
	local fpr before
	export GNUPGHOME=$BATS_TEST_TMPDIR/gnupg
	mkdir -m 700 "$GNUPGHOME"
	fpr=$(make_gpg_key signer)
	put apps/web.yaml "$DEPLOY" >/dev/null
	render
	run --separate-stderr -0 update --git-signing-key "$fpr" < <(
	    image registry.example.com/team/web 1.0.0 1.4.2)
	[ "$(show main:apps/web.yaml)" = "${DEPLOY/web:1.0.0/web:1.4.2}" ]
	# checked on the server, by a keyring that holds only the public key
	mkdir -m 700 "$BATS_TEST_TMPDIR/verify"
	GNUPGHOME=$BATS_TEST_TMPDIR/verify gpg --batch --quiet \
	    --import "$BATS_TEST_TMPDIR/signer.asc"
	run -0 env GNUPGHOME="$BATS_TEST_TMPDIR/verify" \
	    git --git-dir="$SRV/$NAME.git" verify-commit --raw main
	[[ $output == *"[GNUPG:] VALIDSIG $fpr "* ]]
	[ "$(git --git-dir="$SRV/$NAME.git" log -1 --format=%G? main)" = G ]

	# a key that is not there: a config error, and nothing pushed
	before=$(head_of)
	render
	run --separate-stderr -78 update --git-signing-key \
	    0123456789ABCDEF0123456789ABCDEF01234567 < <(
	    image registry.example.com/team/web 1.4.2 1.5.0)
	[ "$(head_of)" = "$before" ]
	[[ $stderr == *0123456789ABCDEF0123456789ABCDEF01234567* ]]
}

@test "--git-readonly refuses to commit (78); bad usage (64)" {
	run --separate-stderr -78 img-update --git-url "$URL" --git-readonly \
	    </dev/null
	[[ $stderr == *"--git-readonly"* ]]
	run --separate-stderr -64 img-update </dev/null
	run --separate-stderr -0 img-update --git-readonly --dry-run </dev/null
}

@test "a stream cut before the objects' end record changes nothing" {
	local before
	put apps/web.yaml "$DEPLOY" >/dev/null
	before=$(head_of)
	render
	grep -v '"type":"end"' "$BATS_TEST_TMPDIR/stream" >"$BATS_TEST_TMPDIR/cut"
	mv "$BATS_TEST_TMPDIR/cut" "$BATS_TEST_TMPDIR/stream"
	run --separate-stderr -1 update < <(
	    image registry.example.com/team/web 1.0.0 1.4.2)
	[ "$(head_of)" = "$before" ]
	lines_of_type end | tail -n 1 | jqe '.ok == false and
	    (.message | test("incomplete input"))'
}

# --- .flux.yaml updaters ----------------------------------------------------

GEN_TMPL='apiVersion: apps/v1
kind: Deployment
metadata:
  name: gen
  namespace: prod
  annotations:
    fluxcd.io/automated: "true"
spec:
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com/team/gen:1.0.0'

# The updater edits the template and leaves a new file with the
# environment it got (what the shell itself adds left out).
GEN_CONFIG='version: 1
commandUpdated:
  generators:
  - command: cat deploy.tmpl
  updaters:
  - containerImage:
      command: >-
        sed "s|image: $FLUX_IMG:.*|image: $FLUX_IMG:$FLUX_TAG|"
        deploy.tmpl >t && mv t deploy.tmpl &&
        env | grep -Ev "^(PWD|OLDPWD|SHLVL|_)=" | sort >last-update.env'

# render_gen: render gen/, running the generators
render_gen() {
	git-fetch --git-url "$URL" --git-branch main --source "$NAME" \
	    --git-path gen |
	    manifest-gen --manifest-generation >"$BATS_TEST_TMPDIR/stream"
}

@test ".flux.yaml commandUpdated: the updaters run with Flux's FLUX_* environment; what they change is committed" {
	put gen/deploy.tmpl "$GEN_TMPL" >/dev/null
	put gen/.flux.yaml "$GEN_CONFIG" >/dev/null
	before=$(head_of)
	render_gen
	grep -q '"file":"gen/.flux.yaml"' "$BATS_TEST_TMPDIR/stream"

	# commands from Git run only when the operator says so
	run --separate-stderr -1 update < <(
	    image registry.example.com/team/gen \
	    1.0.0=2024-01-01T00:00:00Z 1.1.0=2024-01-02T00:00:00Z)
	lines_of_type error | jqe '.file == "gen/.flux.yaml" and
	    (.message | test("--manifest-generation"))'
	[ "$(head_of)" = "$before" ]

	run --separate-stderr -0 update --manifest-generation < <(
	    image registry.example.com/team/gen \
	    1.0.0=2024-01-01T00:00:00Z 1.1.0=2024-01-02T00:00:00Z)
	[ "$(head_of main~1)" = "$before" ]
	[ "$(show main:gen/deploy.tmpl)" = \
	    "${GEN_TMPL/gen:1.0.0/gen:1.1.0}" ]
	[ "$(show main:gen/last-update.env)" = "FLUX_CONTAINER=app
FLUX_IMG=registry.example.com/team/gen
FLUX_TAG=1.1.0
FLUX_WL_KIND=deployment
FLUX_WL_NAME=gen
FLUX_WL_NS=prod
FLUX_WORKLOAD=prod:deployment/gen
PATH=$PATH" ]
	[ "$(git --git-dir="$SRV/$NAME.git" diff --name-only main~1 main)" = \
	    "gen/deploy.tmpl
gen/last-update.env" ]
	[ "$(git --git-dir="$SRV/$NAME.git" log -1 --format=%s main)" = \
	    "Auto-release registry.example.com/team/gen:1.1.0" ]
	lines_of_type update | jqe '.file == "gen/.flux.yaml" and
	    .to == "registry.example.com/team/gen:1.1.0" and
	    .commit == "'"$(head_of)"'"'
}

# A generator that makes two objects; the patch automates the Deployment,
# scales it and gives one of its containers an env var.
PATCH_TMPL='apiVersion: apps/v1
kind: Deployment
metadata:
  name: gen
  namespace: prod
spec:
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com/team/gen:1.0.0
      - name: side
        image: registry.example.com/team/side:1.0.0
---
apiVersion: v1
kind: Service
metadata:
  name: gen
  namespace: prod
spec:
  ports:
  - port: 80'

PATCH_FILE='# written by hand
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gen
  namespace: prod
  annotations:
    fluxcd.io/automated: "true"
spec:
  replicas: 3
  template:
    spec:
      containers:
      - name: app
        env: [{name: MODE, value: patched}]'

@test ".flux.yaml patchUpdated: the patch file is recomputed as Flux wrote it, and a sync makes the new image" {
	put gen/deploy.tmpl "$PATCH_TMPL" >/dev/null
	put gen/patch.yaml "$PATCH_FILE" >/dev/null
	put gen/.flux.yaml 'version: 1
patchUpdated:
  generators:
  - command: cat deploy.tmpl
  patchFile: patch.yaml' >/dev/null
	before=$(head_of)
	render_gen
	run --separate-stderr -0 update --manifest-generation < <(
	    image registry.example.com/team/gen \
	    1.0.0=2024-01-01T00:00:00Z 1.1.0=2024-01-02T00:00:00Z)
	[ "$(head_of main~1)" = "$before" ]
	# only the patch changed: one document per changed object, keys
	# sorted, the merge-keyed list with its $setElementOrder
	[ "$(git --git-dir="$SRV/$NAME.git" diff --name-only main~1 main)" = \
	    gen/patch.yaml ]
	[ "$(show main:gen/patch.yaml)" = '---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    fluxcd.io/automated: "true"
  name: gen
  namespace: prod
spec:
  replicas: 3
  template:
    spec:
      $setElementOrder/containers:
      - name: app
      - name: side
      containers:
      - env:
        - name: MODE
          value: patched
        image: registry.example.com/team/gen:1.1.0
        name: app' ]
	[ "$(show main:gen/deploy.tmpl)" = "$PATCH_TMPL" ]
	lines_of_type update | jqe '.file == "gen/.flux.yaml" and
	    .to == "registry.example.com/team/gen:1.1.0"'

	# the next sync makes the new image, and the rest as before
	render_gen
	jq -c 'select(.type == "object" and .kind == "Deployment") |
	    .object' "$BATS_TEST_TMPDIR/stream" >"$BATS_TEST_TMPDIR/dep"
	jq -e '.spec.replicas == 3 and
	    (.spec.template.spec.containers | map(.name) == ["app", "side"])
	    and .spec.template.spec.containers[0].image ==
	    "registry.example.com/team/gen:1.1.0" and
	    .spec.template.spec.containers[0].env[0].value == "patched" and
	    .spec.template.spec.containers[1].image ==
	    "registry.example.com/team/side:1.0.0"' "$BATS_TEST_TMPDIR/dep"
	grep -q '"kind":"Service"' "$BATS_TEST_TMPDIR/stream"

	# up to date now: nothing to commit
	after=$(head_of)
	run --separate-stderr -0 update --manifest-generation < <(
	    image registry.example.com/team/gen \
	    1.0.0=2024-01-01T00:00:00Z 1.1.0=2024-01-02T00:00:00Z)
	[ "$(head_of)" = "$after" ]
}

@test ".flux.yaml patchUpdated: without a patch file one is made; a patch file outside the repository is refused" {
	put gen/deploy.tmpl "${PATCH_TMPL/  name: gen
  namespace: prod
spec:
  template/  name: gen
  namespace: prod
  annotations:
    fluxcd.io/automated: \"true\"
spec:
  template}" >/dev/null
	put gen/.flux.yaml 'version: 1
patchUpdated:
  generators:
  - command: cat deploy.tmpl
  patchFile: patches/flux.yaml' >/dev/null
	put gen/patches/README 'patches live here' >/dev/null
	render_gen
	run --separate-stderr -0 update --manifest-generation < <(
	    image registry.example.com/team/gen \
	    1.0.0=2024-01-01T00:00:00Z 1.1.0=2024-01-02T00:00:00Z)
	[ "$(show main:gen/patches/flux.yaml)" = '---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gen
  namespace: prod
spec:
  template:
    spec:
      $setElementOrder/containers:
      - name: app
      - name: side
      containers:
      - image: registry.example.com/team/gen:1.1.0
        name: app' ]

	put gen/.flux.yaml 'version: 1
patchUpdated:
  generators:
  - command: cat deploy.tmpl
  patchFile: ../../outside.yaml' >/dev/null
	before=$(head_of)
	render_gen
	run --separate-stderr -1 update --manifest-generation < <(
	    image registry.example.com/team/gen \
	    1.0.0=2024-01-01T00:00:00Z 1.2.0=2024-01-03T00:00:00Z)
	lines_of_type error | jqe '.message | test("outside the repository")'
	[ "$(head_of)" = "$before" ]
	[ ! -e "$BATS_TEST_TMPDIR/outside.yaml" ]
}

@test ".flux.yaml: policy changes run the policy updaters once per policy, or recompute the patch" {
	put gen/deploy.tmpl "$GEN_TMPL" >/dev/null
	put gen/.flux.yaml 'version: 1
commandUpdated:
  generators:
  - command: cat deploy.tmpl
  updaters:
  - policy:
      command: >-
        { env | grep -Ev "^(PWD|OLDPWD|SHLVL|_)=" | sort;
        echo "value set: ${FLUX_POLICY_VALUE+yes}"; echo; } >>policy.log' \
	    >/dev/null
	before=$(head_of)
	render_gen
	# deautomate removes fluxcd.io/automated; lock adds three keys
	run --separate-stderr -0 policy --git-url "$URL" --git-branch main \
	    --source "$NAME" --workload prod:deployment/gen --deautomate \
	    --lock -m "held" --user "Ann <ann@example.com>" \
	    --manifest-generation <"$BATS_TEST_TMPDIR/stream"
	[ "$(head_of main~1)" = "$before" ]
	[ "$(git --git-dir="$SRV/$NAME.git" diff --name-only main~1 main)" = \
	    gen/policy.log ]
	show main:gen/policy.log >"$BATS_TEST_TMPDIR/log"
	# one run per policy, each with exactly Flux's variables
	[ "$(grep -c '^FLUX_POLICY=' "$BATS_TEST_TMPDIR/log")" = 4 ]
	grep -A1 -x 'FLUX_POLICY=automated' "$BATS_TEST_TMPDIR/log" |
	    grep -qx 'FLUX_WL_KIND=deployment'
	grep -x 'FLUX_POLICY_VALUE=Ann <ann@example.com>' \
	    "$BATS_TEST_TMPDIR/log"
	grep -x 'FLUX_POLICY_VALUE=held' "$BATS_TEST_TMPDIR/log"
	[ "$(grep -c '^FLUX_POLICY_VALUE=' "$BATS_TEST_TMPDIR/log")" = 3 ]
	[ "$(grep -c '^value set: yes' "$BATS_TEST_TMPDIR/log")" = 3 ]
	[ "$(grep -c '^value set: $' "$BATS_TEST_TMPDIR/log")" = 1 ]
	! grep -v -E '^(FLUX_(POLICY|POLICY_VALUE|WORKLOAD|WL_NS|WL_KIND|WL_NAME)=|PATH=|value set|$)' \
	    "$BATS_TEST_TMPDIR/log"
	lines_of_type policy | jqe '.id == "prod:deployment/gen" and
	    .removed == ["fluxcd.io/automated"] and
	    .set["fluxcd.io/locked"] == "true"'

	# patchUpdated: the annotations land in the patch
	put gen/.flux.yaml 'version: 1
patchUpdated:
  generators:
  - command: cat deploy.tmpl
  patchFile: patch.yaml' >/dev/null
	render_gen
	run --separate-stderr -0 policy --git-url "$URL" --git-branch main \
	    --source "$NAME" --workload prod:deployment/gen --lock \
	    --tag app='semver:~1' --manifest-generation \
	    <"$BATS_TEST_TMPDIR/stream"
	[ "$(show main:gen/patch.yaml)" = '---
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    fluxcd.io/locked: "true"
    fluxcd.io/tag.app: semver:~1
  name: gen
  namespace: prod' ]
	render_gen
	grep -q '"fluxcd.io/locked":"true"' "$BATS_TEST_TMPDIR/stream"
}

@test ".flux.yaml: a failing updater commits nothing" {
	put gen/deploy.tmpl "$GEN_TMPL" >/dev/null
	put gen/.flux.yaml 'version: 1
commandUpdated:
  generators:
  - command: cat deploy.tmpl
  updaters:
  - containerImage:
      command: echo half >half && echo broken >&2 && exit 3' >/dev/null
	before=$(head_of)
	render_gen
	run --separate-stderr -1 update --manifest-generation < <(
	    image registry.example.com/team/gen \
	    1.0.0=2024-01-01T00:00:00Z 1.1.0=2024-01-02T00:00:00Z)
	lines_of_type error | jqe '(.message | test("exit.*3")) and
	    (.message | test("broken"))'
	[ "$(head_of)" = "$before" ]

	# nor does a policy change of a generated workload, unless asked
	run --separate-stderr -1 policy --git-url "$URL" --git-branch main \
	    --source "$NAME" --workload prod:deployment/gen --lock \
	    <"$BATS_TEST_TMPDIR/stream"
	lines_of_type error | jqe '.file == "gen/.flux.yaml" and
	    (.message | test("--manifest-generation"))'
	[ "$(head_of)" = "$before" ]
}
