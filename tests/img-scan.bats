# img-scan.bats: img-scan against the real docker-registry 2.8 (no auth,
# htpasswd basic auth, TLS, bearer tokens from tokserver.py), with images
# pushed by skopeo, and registry-stub.py where docker-registry cannot show
# a case (tag pagination, 429, 500). Request counts come from the
# registry's own access log.

bats_require_minimum_version 1.5.0

load helpers
load servers/registry-servers

setup_file() {
	local t=$BATS_FILE_TMPDIR
	start_registry "$t/noauth" noauth
	export PLAIN=$REG_HOST PLAIN_LOG=$REG_DIR/log
	push_image "$t/oci" 1.0.3 2024-01-03T00:00:00Z amd64 team/app >/dev/null
	push_image "$t/oci" 1.0.4 2024-01-04T00:00:00Z amd64 team/app >/dev/null
	push_image "$t/oci" 2.0.0 2024-01-05T00:00:00Z amd64 team/app >/dev/null
	push_image "$t/oci" latest 2024-01-06T00:00:00Z amd64 team/app \
	    >/dev/null
	push_image "$t/dock" 3.1.0 2024-01-07T00:00:00Z amd64 team/app-docker \
	    v2s2 >/dev/null
	push_multi "$t/multi" multi team/multi
	push_multi "$t/multi2" multi team/multi-docker v2s2
	MKIMG_LABEL=2020-05-05T05:05:05Z push_image "$t/lab" 1.0.0 \
	    2024-01-08T00:00:00Z amd64 team/labelled >/dev/null

	start_registry "$t/basic" basic
	export BASIC=$REG_HOST
	push_image "$t/oci-b" 1.0.0 2024-01-01T00:00:00Z amd64 team/app >/dev/null

	start_registry "$t/tls" tls
	export TLS=$REG_HOST TLS_CA=$REG_CA
	push_image "$t/oci-t" 1.0.0 2024-01-01T00:00:00Z amd64 team/app >/dev/null

	start_registry "$t/token" token
	export TOKEN=$REG_HOST TOKEN_LOG=$TOK_LOG
	push_image "$t/oci-k" 1.0.0 2024-01-01T00:00:00Z amd64 team/app >/dev/null
	push_image "$t/oci-k" 1.0.1 2024-01-02T00:00:00Z amd64 team/app >/dev/null

	start_registry_stub "$t/stub" 3
	export STUB=$STUB_HOST
}

teardown_file() {
	stop_registries
}

# obj NAME IMAGE [ANNOTATIONS-JSON [KIND]]: an object record of source
# "demo" for a one-container workload; automated unless told otherwise.
obj() {
	local ann=${3:-'{"fluxcd.io/automated":"true"}'}
	jq -nc --arg n "$1" --arg i "$2" --argjson a "$ann" \
	    --arg k "${4:-Deployment}" \
	    '{type: "object", source: "demo", commit: null,
	      file: ("apps/" + $n + ".yaml"), doc: 0,
	      id: ("default:" + ($k | ascii_downcase) + "/" + $n),
	      ignored: false,
	      object: {apiVersion: "apps/v1", kind: $k,
	        metadata: {name: $n, annotations: $a},
	        spec: {template: {spec: {containers:
	          [{name: "app", image: $i}]}}}}}'
}

# end_of SOURCE: the end record manifest-gen would write.
end_of() {
	jq -nc --arg s "${1:-demo}" '{type: "end", stage: "manifest-gen",
	    source: $s, commit: null, ok: true, counts: {}, failed: []}'
}

# scan [IMG-SCAN-ARGS...]: img-scan over $BATS_TEST_TMPDIR/in, with the
# test's state folder and the plain registry allowed over HTTP.
scan() {
	img-scan --state-dir "$BATS_TEST_TMPDIR/state" \
	    --registry-insecure-host "$PLAIN,$BASIC,$TOKEN,$STUB" "$@" \
	    <"$BATS_TEST_TMPDIR/in"
}

# mark LOG: the access log's length now, for requests_since.
mark() {
	wc -l <"$1"
}

# requests_since LOG MARK: sluice's requests to docker-registry since
# MARK, by kind, as {"tags":N,"head":N,"get":N,"blob":N}.
requests_since() {
	tail -n +"$(($2 + 1))" "$1" | grep '"sluice/' | awk '
	    / "GET \/v2\/.*\/tags\/list/ { t++ }
	    / "HEAD \/v2\/.*\/manifests\// { h++ }
	    / "GET \/v2\/.*\/manifests\// { g++ }
	    / "GET \/v2\/.*\/blobs\// { b++ }
	    END { printf "{\"tags\":%d,\"head\":%d,\"get\":%d,\"blob\":%d}\n",
	        t, h, g, b }'
}

image_of() {
	lines_of_type image | jq -c --arg n "$1" 'select(.name == $n)'
}

@test "a cold scan: every tag's digest and created time, pass-through intact" {
	{
		jq -nc '{type: "revision", source: "demo", commit: "c1"}'
		obj web "$PLAIN/team/app:1.0.3"
		printf '%s\n' '{"type":"custom","x":[1,  2]}'
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	local m
	m=$(mark "$PLAIN_LOG")
	run -0 --separate-stderr scan
	# everything upstream comes out first, byte for byte
	[ "$(printf '%s\n' "$output" | head -n 4)" = \
	    "$(cat "$BATS_TEST_TMPDIR/in")" ]
	image_of "$PLAIN/team/app" | jqe '
	    .source == "demo" and (.error | not) and
	    ([.tags[].tag] | sort) == ["1.0.3", "1.0.4", "2.0.0", "latest"] and
	    (.tags | map(select(.tag == "1.0.4"))[0].created ==
	        "2024-01-04T00:00:00Z") and
	    (.tags | map(select(.tag != "latest")) |
	        all(.digest | startswith("sha256:")))'
	# latest is never chosen by glob:*, so nobody asked about it
	image_of "$PLAIN/team/app" | jqe '.tags[] | select(.tag == "latest") |
	    .digest == null and .created == null'
	lines_of_type end | tail -n 1 | jqe '.stage == "img-scan" and .ok and
	    .commit == "c1" and .counts.images == 1 and .counts.tags == 4'
	# one tags list, 3 HEADs, then one manifest and one config per digest
	requests_since "$PLAIN_LOG" "$m" | jqe \
	    '. == {"tags": 1, "head": 3, "get": 3, "blob": 3}'
	# the digests are what skopeo pushed
	[ "$(image_of "$PLAIN/team/app" | jq -r '.tags[] |
	    select(.tag == "1.0.3") | .digest')" = \
	    "$(reg_curl_plain -I -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	    "http://$PLAIN/v2/team/app/manifests/1.0.3" |
	    tr -d '\r' | sed -n 's/^Docker-Content-Digest: //Ip')" ]
}

# curl against the plain registry whatever the current REG_* say
reg_curl_plain() {
	curl -sS "$@"
}

@test "a warm scan costs one tags request per repository and nothing else" {
	{
		obj web "$PLAIN/team/app:1.0.3"
		obj docker "$PLAIN/team/app-docker:3.1.0"
		obj multi "$PLAIN/team/multi:multi"
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	run -0 scan
	local first m
	first=$(lines_of_type image | jq -c 'del(.source)')
	m=$(mark "$PLAIN_LOG")
	run -0 scan
	requests_since "$PLAIN_LOG" "$m" | jqe \
	    '. == {"tags": 3, "head": 0, "get": 0, "blob": 0}'
	[ "$(lines_of_type image | jq -c 'del(.source)')" = "$first" ]
	lines_of_type end | tail -n 1 | jqe '.ok and .counts.requests == 3'
	# nothing changed, so nothing was written
	local before
	before=$(stat -c %Y.%s "$BATS_TEST_TMPDIR"/state/demo/images/*.repo |
	    sort)
	sleep 1.1
	run -0 scan
	[ "$(stat -c %Y.%s "$BATS_TEST_TMPDIR"/state/demo/images/*.repo |
	    sort)" = "$before" ]
}

@test "a semver-only repository costs its tags pages, no manifest at all" {
	{
		obj web "$PLAIN/team/app:1.0.3" \
		    '{"fluxcd.io/automated":"true","fluxcd.io/tag.app":"semver:~1.0"}'
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	local m
	m=$(mark "$PLAIN_LOG")
	run -0 scan
	requests_since "$PLAIN_LOG" "$m" | jqe \
	    '. == {"tags": 1, "head": 0, "get": 0, "blob": 0}'
	image_of "$PLAIN/team/app" | jqe '(.tags | length) == 4 and
	    all(.tags[]; .digest == null and .created == null)'
}

@test "a glob or regexp filter reads only the tags it lets through" {
	{
		obj web "$PLAIN/team/app:1.0.3" \
		    '{"fluxcd.io/automated":"true","fluxcd.io/tag.app":"glob:2.*"}'
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	local m
	m=$(mark "$PLAIN_LOG")
	run -0 scan
	# 2.0.0, and 1.0.3 which runs now
	requests_since "$PLAIN_LOG" "$m" | jqe '.head == 2 and .get == 2'
	image_of "$PLAIN/team/app" | jqe '[.tags[] | select(.created != null) |
	    .tag] | sort == ["1.0.3", "2.0.0"]'

	{
		obj web "$PLAIN/team/app:2.0.0" \
		    '{"fluxcd.io/automated":"true","flux.weave.works/tag.app":"regexp:^1\\.0\\.\\d$"}'
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	rm -rf "$BATS_TEST_TMPDIR/state"
	run -0 scan
	image_of "$PLAIN/team/app" | jqe '[.tags[] | select(.created != null) |
	    .tag] | sort == ["1.0.3", "1.0.4", "2.0.0"]'
}

@test "a due tag is re-checked with a HEAD; a moved tag is read again" {
	local t=$BATS_TEST_TMPDIR m start
	{
		obj web "$PLAIN/team/moving:1.0"
		end_of
	} >"$t/in"
	start=$(date +%s)
	REG_HOST=$PLAIN REG_MODE=noauth push_image "$t/a" 1.0 \
	    2024-02-01T00:00:00Z amd64 team/moving >/dev/null
	REG_HOST=$PLAIN REG_MODE=noauth push_image "$t/a" 1.1 \
	    2024-02-02T00:00:00Z amd64 team/moving >/dev/null
	SLUICE_TEST_NOW=$start run -0 scan
	# within the hour nothing is due
	m=$(mark "$PLAIN_LOG")
	SLUICE_TEST_NOW=$((start + 3000)) run -0 scan
	requests_since "$PLAIN_LOG" "$m" | jqe '.head == 0 and .get == 0'
	# after it, both tags are HEADed, and nothing else: they did not move
	m=$(mark "$PLAIN_LOG")
	SLUICE_TEST_NOW=$((start + 3700)) run -0 scan
	requests_since "$PLAIN_LOG" "$m" | jqe \
	    '. == {"tags": 1, "head": 2, "get": 0, "blob": 0}'
	# unchanged, the interval doubled to 2 h: not due at +1 h 50 min
	m=$(mark "$PLAIN_LOG")
	SLUICE_TEST_NOW=$((start + 3700 + 6600)) run -0 scan
	requests_since "$PLAIN_LOG" "$m" | jqe '.head == 0'
	# move 1.1 to a new image: the HEAD sees it, one GET and blob read it
	REG_HOST=$PLAIN REG_MODE=noauth push_image "$t/b" 1.1 \
	    2024-03-03T00:00:00Z amd64 team/moving >/dev/null
	m=$(mark "$PLAIN_LOG")
	SLUICE_TEST_NOW=$((start + 3700 + 7300)) run -0 scan
	requests_since "$PLAIN_LOG" "$m" | jqe \
	    '. == {"tags": 1, "head": 2, "get": 1, "blob": 1}'
	image_of "$PLAIN/team/moving" | jqe '.tags[] | select(.tag == "1.1") |
	    .created == "2024-03-03T00:00:00Z"'
}

@test "multi-arch: the index digest, the platform's created time" {
	{
		obj a "$PLAIN/team/multi:multi"
		obj b "$PLAIN/team/multi-docker:multi"
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	run -0 scan
	image_of "$PLAIN/team/multi" | jqe '.tags[0].created ==
	    "2024-02-01T00:00:00Z"'
	image_of "$PLAIN/team/multi-docker" | jqe '.tags[0].created ==
	    "2024-02-01T00:00:00Z"'
	local idx
	idx=$(curl -sS -I -H 'Accept: application/vnd.oci.image.index.v1+json' \
	    "http://$PLAIN/v2/team/multi/manifests/multi" | tr -d '\r' |
	    sed -n 's/^Docker-Content-Digest: //Ip')
	image_of "$PLAIN/team/multi" | jq -e --arg d "$idx" \
	    '.tags[0].digest == $d'
	run -0 scan --platform linux/arm64 --cache-dir "$BATS_TEST_TMPDIR/arm"
	image_of "$PLAIN/team/multi" | jqe '.tags[0].created ==
	    "2024-03-01T00:00:00Z"'
	# no such platform: the tag is known, its image is not
	run -0 scan --platform linux/s390x --cache-dir "$BATS_TEST_TMPDIR/s390"
	image_of "$PLAIN/team/multi" | jqe '.tags[0].digest == null and
	    .tags[0].created == null and (.error | not)'
	run -64 img-scan --platform linux </dev/null
}

@test "--registry-use-labels takes created from the image's label" {
	{
		obj l "$PLAIN/team/labelled:1.0.0"
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	run -0 scan
	image_of "$PLAIN/team/labelled" | jqe '.tags[0].created ==
	    "2024-01-08T00:00:00Z"'
	run -0 scan --registry-use-labels "$PLAIN/team/*"
	image_of "$PLAIN/team/labelled" | jqe '.tags[0].created ==
	    "2020-05-05T05:05:05Z"'
}

@test "which workloads: automated, not locked or ignored; or --all-images" {
	{
		obj auto "$PLAIN/team/app:1.0.3"
		obj manual "$PLAIN/team/app-docker:3.1.0" '{}'
		obj locked "$PLAIN/team/multi:multi" \
		    '{"fluxcd.io/automated":"true","fluxcd.io/locked":"true"}'
		obj ign "$PLAIN/team/labelled:1.0.0" \
		    '{"fluxcd.io/automated":"true","fluxcd.io/ignore":"true"}'
		obj pod "$PLAIN/team/multi-docker:multi" \
		    '{"fluxcd.io/automated":"true"}' CronJob
		obj svc "$PLAIN/team/none:1" '{"fluxcd.io/automated":"true"}' \
		    Service
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	run -0 scan
	[ "$(lines_of_type image | jq -r .name | sort | tr '\n' ' ')" = \
	    "$PLAIN/team/app " ]
	run -0 scan --all-images --registry-exclude-image '*/team/none'
	[ "$(lines_of_type image | jq -r .name | sort | tr '\n' ' ')" = \
	    "$PLAIN/team/app $PLAIN/team/app-docker $PLAIN/team/labelled $PLAIN/team/multi " ]
}

@test "HelmRelease values and CronJob job templates are read" {
	{
		jq -nc --arg i "$PLAIN/team/app" '{type: "object", source: "demo",
		    commit: null, file: "hr.yaml", doc: 0,
		    id: "default:helmrelease/hr", object: {
		      apiVersion: "helm.fluxcd.io/v1", kind: "HelmRelease",
		      metadata: {name: "hr", annotations:
		        {"fluxcd.io/automated": "true"}},
		      spec: {values: {image: {repository: $i, tag: "1.0.3"}}}}}'
		jq -nc --arg i "$PLAIN/team/app-docker:3.1.0" '{type: "object",
		    source: "demo", commit: null, file: "cj.yaml", doc: 0,
		    id: "default:cronjob/cj", object: {
		      apiVersion: "batch/v1", kind: "CronJob",
		      metadata: {name: "cj", annotations:
		        {"fluxcd.io/automated": "true"}},
		      spec: {jobTemplate: {spec: {template: {spec: {
		        initContainers: [{name: "init", image: $i}]}}}}}}}'
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	run -0 scan
	[ "$(lines_of_type image | jq -r .name | sort | tr '\n' ' ')" = \
	    "$PLAIN/team/app $PLAIN/team/app-docker " ]
}

@test "include and exclude globs on canonical names; exclude wins" {
	{
		obj a "$PLAIN/team/app:1.0.3"
		obj b "$PLAIN/team/app-docker:3.1.0"
		obj c "k8s.gcr.io/pause:3.1"
		obj d "nginx:1.25"
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	run -0 scan --registry-include-image "$PLAIN/*"
	[ "$(lines_of_type image | jq -r .name | sort | tr '\n' ' ')" = \
	    "$PLAIN/team/app $PLAIN/team/app-docker " ]
	run -0 scan --registry-include-image "$PLAIN/*" \
	    --registry-exclude-image "*-docker"
	[ "$(lines_of_type image | jq -r .name)" = "$PLAIN/team/app" ]
	# the default exclude (k8s.gcr.io/*), and a canonical Docker Hub name
	run -0 scan --registry-include-image "*pause*"
	[ -z "$(lines_of_type image)" ]
	run -0 scan --registry-include-image "index.docker.io/library/nginx" \
	    --registry-exclude-image "index.docker.io/*"
	[ -z "$(lines_of_type image)" ]
}

@test "a bad image reference is an error record; the rest is scanned" {
	{
		obj bad "$PLAIN/Team/App:1.0"
		obj good "$PLAIN/team/app:1.0.3"
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr scan
	lines_of_type error | jqe '.stage == "img-scan" and
	    .id == "default:deployment/bad" and .file == "apps/bad.yaml" and
	    (.message | test("invalid image reference"))'
	# right after its object
	printf '%s\n' "$output" | sed -n 2p | jqe '.type == "error"'
	image_of "$PLAIN/team/app" | jqe '.error | not'
	lines_of_type end | tail -n 1 | jqe '.ok == false and
	    .failed == ["default:deployment/bad"] and .counts.errors == 1'
}

@test "basic auth from a Docker config; without it a clear 78, no secrets" {
	local t=$BATS_TEST_TMPDIR
	{
		obj a "$BASIC/team/app:1.0.0"
		end_of
	} >"$t/in"
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$BASIC" \
	    "$(printf alice:s3cret | base64)" >"$t/config.json"
	run -0 --separate-stderr scan --docker-config "$t/config.json"
	image_of "$BASIC/team/app" | jqe '.tags[0].created ==
	    "2024-01-01T00:00:00Z"'
	[[ $output != *s3cret* && $stderr != *s3cret* ]]
	[[ $output != *YWxpY2U6czNjcmV0* && $stderr != *YWxpY2U6czNjcmV0* ]]
	rm -rf "$t/state"
	run -78 --separate-stderr scan
	image_of "$BASIC/team/app" | jqe '.tags == [] and
	    (.error | test("credentials"))'
	lines_of_type end | jqe 'select(.stage == "img-scan") | .ok == false'
}

@test "credentials from a credential helper (credHelpers)" {
	local t=$BATS_TEST_TMPDIR
	mkdir -p "$t/bin"
	cat >"$t/bin/docker-credential-test" <<EOF
#!/bin/sh
[ "\$1" = get ] || exit 1
read -r host
printf '%s\n' "\$host" >>"$t/helper.log"
printf '{"ServerURL":"%s","Username":"alice","Secret":"s3cret"}\n' "\$host"
EOF
	chmod +x "$t/bin/docker-credential-test"
	printf '{"credHelpers":{"%s":"test"}}\n' "$BASIC" >"$t/config.json"
	{
		obj a "$BASIC/team/app:1.0.0"
		end_of
	} >"$t/in"
	PATH="$t/bin:$PATH" run -0 --separate-stderr scan \
	    --docker-config "$t/config.json"
	image_of "$BASIC/team/app" | jqe '.tags[0].digest != null'
	[ "$(cat "$t/helper.log")" = "$BASIC" ]
	[[ $stderr != *s3cret* ]]
}

@test "TLS: verified against --registry-ca-file, refused without it" {
	{
		obj a "$TLS/team/app:1.0.0"
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	run -1 img-scan --state-dir "$BATS_TEST_TMPDIR/state" \
	    <"$BATS_TEST_TMPDIR/in"
	image_of "$TLS/team/app" | jqe '.error | test("certificate|SSL")'
	run -0 img-scan --state-dir "$BATS_TEST_TMPDIR/state" \
	    --registry-ca-file "$TLS_CA" <"$BATS_TEST_TMPDIR/in"
	image_of "$TLS/team/app" | jqe '.tags[0].created ==
	    "2024-01-01T00:00:00Z"'
}

@test "bearer tokens: anonymous pull tokens, one per repository scope" {
	{
		obj a "$TOKEN/team/app:1.0.0"
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	local before
	before=$(grep -c '^token' "$TOKEN_LOG" || true)
	run -0 scan
	image_of "$TOKEN/team/app" | jqe '(.tags | length) == 2 and
	    all(.tags[]; .created != null)'
	[ "$(($(grep -c '^token' "$TOKEN_LOG") - before))" -eq 1 ]
	# 401, token, tags; 2 HEADs; GET and config for each
	lines_of_type end | tail -n 1 | jqe '.counts.requests == 3 + 2 + 4'
	# a known token realm: later repositories fetch their token first
	{
		obj a "$TOKEN/team/app:1.0.0" \
		    '{"fluxcd.io/automated":"true","fluxcd.io/tag.app":"semver:*"}'
		obj b "$TOKEN/team/other:1.0.0" \
		    '{"fluxcd.io/automated":"true","fluxcd.io/tag.app":"semver:*"}'
		obj c "$TOKEN/team/third:1.0.0" \
		    '{"fluxcd.io/automated":"true","fluxcd.io/tag.app":"semver:*"}'
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	run -1 scan
	lines_of_type end | tail -n 1 | jqe '.counts.requests == 1 + 3 * 2'
}

@test "tag lists across pages (Link headers) are read whole" {
	{
		obj a "$STUB/team/paged-10:t00" \
		    '{"fluxcd.io/automated":"true","fluxcd.io/tag.app":"semver:*"}'
		obj b "$STUB/team/abs-7:t00" \
		    '{"fluxcd.io/automated":"true","fluxcd.io/tag.app":"semver:*"}'
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	run -0 scan
	image_of "$STUB/team/paged-10" | jqe '[.tags[].tag] ==
	    ["t00","t01","t02","t03","t04","t05","t06","t07","t08","t09"]'
	image_of "$STUB/team/abs-7" | jqe '(.tags | length) == 7'
	lines_of_type end | tail -n 1 | jqe '.counts.requests == 4 + 3'
}

@test "429 with Retry-After and a 500 are retried; the scan succeeds" {
	{
		obj a "$STUB/team/r-4:t00" \
		    '{"fluxcd.io/automated":"true","fluxcd.io/tag.app":"semver:*"}'
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	stub_fault 429 1 1
	stub_fault 500 1
	local t0=$SECONDS
	run -0 scan
	image_of "$STUB/team/r-4" | jqe '(.tags | length) == 4 and
	    (.error | not)'
	# Retry-After: 1 was waited for
	[ $((SECONDS - t0)) -ge 1 ]
}

@test "a registry that keeps failing: error, old tags kept, cache untouched" {
	{
		obj a "$STUB/team/keep-5:t00" \
		    '{"fluxcd.io/automated":"true","fluxcd.io/tag.app":"semver:*"}'
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	run -0 scan
	local sum
	sum=$(cat "$BATS_TEST_TMPDIR"/state/demo/images/*.repo | sha256sum)
	stub_fault 503 20
	run -75 --separate-stderr scan --registry-timeout 5s
	image_of "$STUB/team/keep-5" | jqe '(.tags | length) == 5 and
	    (.error | test("tags of .*keep-5.*: UNAVAILABLE.*the cache"))'
	lines_of_type end | tail -n 1 | jqe '.ok == false and
	    .failed == ["'"$STUB"'/team/keep-5"] and .counts.failed == 1'
	[[ $stderr == *keep-5* ]]
	[ "$(cat "$BATS_TEST_TMPDIR"/state/demo/images/*.repo | sha256sum)" = \
	    "$sum" ]
	curl -fsS -X POST "http://$STUB/_fault?status=200&count=0" >/dev/null
}

@test "a registry that is not there: a temporary error (75), the rest goes on" {
	local port
	port=$(python3 -c 'import socket; s = socket.socket();
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	{
		obj a "127.0.0.1:$port/team/app:1.0" '{"fluxcd.io/automated":"true"}'
		obj b "$PLAIN/team/app:1.0.3"
		end_of
	} >"$BATS_TEST_TMPDIR/in"
	run -75 scan --registry-insecure-host "127.0.0.1:$port" \
	    --registry-timeout 2s
	image_of "127.0.0.1:$port/team/app" | jqe '.error != null'
	image_of "$PLAIN/team/app" | jqe '(.error | not) and
	    (.tags | length) == 4'
}

@test "a stream cut short: scanned, but the end record says incomplete" {
	obj a "$PLAIN/team/app:1.0.3" >"$BATS_TEST_TMPDIR/in"
	run -1 scan
	lines_of_type end | jqe '.ok == false and
	    (.message | test("incomplete input"))'
	image_of "$PLAIN/team/app" | jqe '(.tags | length) == 4'
}

@test "sources are scanned apart, each with its own cache" {
	{
		obj a "$PLAIN/team/app:1.0.3"
		end_of
		obj b "$PLAIN/team/app-docker:3.1.0" | jq -c '.source = "two"'
		end_of two
	} >"$BATS_TEST_TMPDIR/in"
	run -0 scan
	[ "$(lines_of_type image | jq -r '.source + " " + .name' |
	    tr '\n' ,)" = "demo $PLAIN/team/app,two $PLAIN/team/app-docker," ]
	[ "$(lines_of_type end | jq -r 'select(.stage == "img-scan") |
	    .source' | tr '\n' ,)" = "demo,two," ]
	ls "$BATS_TEST_TMPDIR"/state/demo/images/*.repo \
	    "$BATS_TEST_TMPDIR"/state/two/images/*.repo
}

@test "bad flags and a broken stream" {
	run -64 img-scan --registry-rps 0 </dev/null
	run -64 img-scan extra </dev/null
	run -0 img-scan </dev/null
	[ -z "$output" ]
	printf 'not json\n' >"$BATS_TEST_TMPDIR/in"
	run -65 scan
	printf '{"auths":' >"$BATS_TEST_TMPDIR/config.json"
	run -78 img-scan --docker-config "$BATS_TEST_TMPDIR/config.json" \
	    </dev/null
}

