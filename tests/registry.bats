# registry.bats: lib/registry against the real docker-registry 2.8 (no
# auth, htpasswd basic auth, TLS, bearer tokens from tokserver.py) and
# registry-stub.py (tag pagination, 429 and 500), through
# tests/bench/registry-probe.

bats_require_minimum_version 1.5.0

load helpers
load servers/registry-servers

PROBE=${SLUICE_BUILD:-$BATS_TEST_DIRNAME/../build}/tests/bench/registry-probe

setup_file() {
	local t=$BATS_FILE_TMPDIR
	if [ ! -x "$PROBE" ]; then
		make -s -C "$BATS_TEST_DIRNAME/.." \
		    "${PROBE#"$(cd "$BATS_TEST_DIRNAME/.." && pwd -P)/"}" \
		    >&2 || return 1
	fi
	start_registry "$t/noauth" noauth
	export PLAIN=$REG_HOST
	push_image "$t/oci" 1.0.3 2024-01-03T00:00:00Z amd64 team/app >/dev/null
	push_image "$t/oci" 1.0.4 2024-01-04T00:00:00Z amd64 team/app >/dev/null
	push_image "$t/dock" 2.0.0 2024-01-05T00:00:00Z amd64 team/app-docker \
	    v2s2 >/dev/null
	push_multi "$t/multi" multi team/multi
	push_multi "$t/multi2" multi team/multi-docker v2s2

	start_registry "$t/basic" basic
	export BASIC=$REG_HOST
	push_image "$t/oci-b" 1.0.0 2024-01-01T00:00:00Z amd64 team/app >/dev/null

	start_registry "$t/tls" tls
	export TLS=$REG_HOST TLS_CA=$REG_CA
	push_image "$t/oci-t" 1.0.0 2024-01-01T00:00:00Z amd64 team/app >/dev/null

	start_registry "$t/token" token
	export TOKEN=$REG_HOST
	push_image "$t/oci-k" 1.0.0 2024-01-01T00:00:00Z amd64 team/app >/dev/null
	push_image "$t/oci-k" 1.0.1 2024-01-02T00:00:00Z amd64 team/app >/dev/null

	start_registry_stub "$t/stub" 3
	export STUB=$STUB_HOST
}

teardown_file() {
	stop_registries
}

probe() {
	"$PROBE" "$@"
}

# docker_config FILE JSON: write a Docker config.json.
docker_config() {
	printf '%s\n' "$2" >"$1"
}

@test "tags from a plain-HTTP registry, several repositories in one run" {
	run -0 probe --insecure-host "$PLAIN" tags "$PLAIN/team/app" \
	    "$PLAIN/team/app-docker"
	[ "$(lines_of_type tags | jq -c '.tags | sort' | head -n 1)" = \
	    '["1.0.3","1.0.4"]' ]
	[ "$(lines_of_type tags | jq -c '.tags' | tail -n 1)" = '["2.0.0"]' ]
	[ "$(lines_of_type stats | jq .token)" = 0 ]
}

@test "an unknown repository is a permanent NAME_UNKNOWN" {
	run -1 probe --insecure-host "$PLAIN" tags "$PLAIN/team/none"
	lines_of_type tags | jqe '.error.status == 404 and
	    (.error.msg | test("NAME_UNKNOWN")) and .error.temporary == false'
}

@test "OCI manifest: digest matches what was pushed, config created" {
	local want
	want=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "1.0.3") | .digest' \
	    "$BATS_FILE_TMPDIR/oci/index.json")
	run -0 probe --insecure-host "$PLAIN" config "$PLAIN/team/app" 1.0.3 1.0.4
	lines_of_type config | head -n 1 | jq -e --arg d "$want" \
	    '.digest == $d and
	     .mediaType == "application/vnd.oci.image.manifest.v1+json" and
	     .created == "2024-01-03T00:00:00Z" and
	     .labelCreated == "2024-01-03T00:00:00Z"'
	lines_of_type config | tail -n 1 | jqe '.created == "2024-01-04T00:00:00Z"'
	lines_of_type stats | jqe '.manifestGet == 2 and .blob == 2'
}

@test "HEAD gives the same digest as GET, without a body" {
	run -0 probe --insecure-host "$PLAIN" manifest "$PLAIN/team/app" 1.0.3
	local d
	d=$(lines_of_type manifest | jq -r .digest)
	run -0 probe --insecure-host "$PLAIN" manifest "$PLAIN/team/app" 1.0.3 --head
	lines_of_type manifest | jq -e --arg d "$d" '.digest == $d'
	lines_of_type stats | jqe '.manifestHead == 1 and .manifestGet == 0'
}

@test "Docker v2s2 manifest stays v2s2 (not converted to schema 1)" {
	run -0 probe --insecure-host "$PLAIN" config "$PLAIN/team/app-docker" 2.0.0
	lines_of_type config | jqe '.mediaType ==
	    "application/vnd.docker.distribution.manifest.v2+json" and
	    .created == "2024-01-05T00:00:00Z"'
}

@test "OCI index: linux/amd64 by default, linux/arm64 on request" {
	run -0 probe --insecure-host "$PLAIN" config "$PLAIN/team/multi" multi
	lines_of_type config | jqe '.created == "2024-02-01T00:00:00Z" and
	    (.indexDigest | startswith("sha256:")) and .indexDigest != .digest'
	run -0 probe --insecure-host "$PLAIN" --platform linux/arm64 \
	    config "$PLAIN/team/multi" multi
	lines_of_type config | jqe '.created == "2024-03-01T00:00:00Z"'
	run -0 probe --insecure-host "$PLAIN" --platform linux/arm64/v8 \
	    config "$PLAIN/team/multi" multi
	lines_of_type config | jqe '.created == "2024-03-01T00:00:00Z"'
	run -0 probe --insecure-host "$PLAIN" manifest "$PLAIN/team/multi" \
	    multi --no-resolve
	lines_of_type manifest | jqe \
	    '.mediaType == "application/vnd.oci.image.index.v1+json"'
}

@test "index without the platform: a permanent noPlatform error" {
	run -1 probe --insecure-host "$PLAIN" --platform linux/s390x \
	    config "$PLAIN/team/multi" multi
	lines_of_type config | jqe '.error.noPlatform and
	    (.error.msg | test("no manifest for linux/s390x"))'
}

@test "Docker manifest list: platform selection" {
	run -0 probe --insecure-host "$PLAIN" --platform linux/arm64 \
	    config "$PLAIN/team/multi-docker" multi
	lines_of_type config | jqe '.created == "2024-03-01T00:00:00Z" and
	    .mediaType == "application/vnd.docker.distribution.manifest.v2+json"'
	run -0 probe --insecure-host "$PLAIN" manifest \
	    "$PLAIN/team/multi-docker" multi --no-resolve
	lines_of_type manifest | jqe '.mediaType ==
	    "application/vnd.docker.distribution.manifest.list.v2+json"'
}

@test "basic auth: credentials from config.json auths" {
	docker_config "$BATS_TEST_TMPDIR/c.json" \
	    "{\"auths\":{\"$BASIC\":{\"auth\":\"$(printf alice:s3cret | base64)\"}}}"
	run -0 probe --insecure-host "$BASIC" \
	    --docker-config "$BATS_TEST_TMPDIR/c.json" config "$BASIC/team/app" 1.0.0
	lines_of_type config | jqe '.created == "2024-01-01T00:00:00Z"'
}

@test "basic auth: username/password form, and no credentials at all" {
	docker_config "$BATS_TEST_TMPDIR/c.json" \
	    "{\"auths\":{\"http://$BASIC/v2/\":{\"username\":\"alice\",\"password\":\"s3cret\"}}}"
	run -0 probe --insecure-host "$BASIC" \
	    --docker-config "$BATS_TEST_TMPDIR/c.json" tags "$BASIC/team/app"
	run -78 probe --insecure-host "$BASIC" tags "$BASIC/team/app"
	lines_of_type tags | jqe '.error.auth and
	    (.error.msg | test("no credentials"))'
}

@test "basic auth: a wrong password is a clear auth error (78), not logged" {
	docker_config "$BATS_TEST_TMPDIR/c.json" \
	    "{\"auths\":{\"$BASIC\":{\"auth\":\"$(printf alice:Wr0ngPass | base64)\"}}}"
	run -78 --separate-stderr probe --insecure-host "$BASIC" \
	    --docker-config "$BATS_TEST_TMPDIR/c.json" tags "$BASIC/team/app"
	lines_of_type tags | jqe '.error.auth and .error.temporary == false and
	    (.error.msg | test("rejected"))'
	[[ $output != *Wr0ngPass* && $stderr != *Wr0ngPass* ]]
}

@test "credential helper through credHelpers" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat >"$BATS_TEST_TMPDIR/bin/docker-credential-test" <<EOF
#!/bin/sh
[ "\$1" = get ] || exit 1
read -r host
printf '%s\n' "\$host" >>"$BATS_TEST_TMPDIR/helper.log"
printf '{"ServerURL":"%s","Username":"alice","Secret":"s3cret"}\n' "\$host"
EOF
	chmod +x "$BATS_TEST_TMPDIR/bin/docker-credential-test"
	docker_config "$BATS_TEST_TMPDIR/c.json" \
	    "{\"auths\":{\"$BASIC\":{}},\"credHelpers\":{\"$BASIC\":\"test\"}}"
	PATH="$BATS_TEST_TMPDIR/bin:$PATH" run -0 probe --insecure-host "$BASIC" \
	    --docker-config "$BATS_TEST_TMPDIR/c.json" \
	    tags "$BASIC/team/app" "$BASIC/team/app"
	[ "$(cat "$BATS_TEST_TMPDIR/helper.log")" = "$BASIC" ]
}

@test "credsStore: a failing helper leaves the host without credentials" {
	docker_config "$BATS_TEST_TMPDIR/c.json" '{"credsStore":"absent"}'
	run -78 --separate-stderr probe --insecure-host "$BASIC" \
	    --docker-config "$BATS_TEST_TMPDIR/c.json" tags "$BASIC/team/app"
	[[ $stderr == *docker-credential-absent* ]]
}

@test "TLS: verified with the CA, refused without it" {
	run -0 probe --ca "$TLS_CA" config "$TLS/team/app" 1.0.0
	lines_of_type config | jqe '.created == "2024-01-01T00:00:00Z"'
	run -1 probe tags "$TLS/team/app"
	lines_of_type tags | jqe '.error.temporary == false and
	    (.error.msg | test("certificate|SSL"))'
	run -0 probe --insecure-host "$TLS" tags "$TLS/team/app"
}

@test "bearer token: fetched once per scope, reused by later requests" {
	local before
	before=$(grep -c '^token user=- scope=repository:team/app:pull' \
	    "$TOK_LOG" || true)
	run -0 probe --insecure-host "$TOKEN" --twice \
	    config "$TOKEN/team/app" 1.0.0 1.0.1
	lines_of_type config | jqe '.created | startswith("2024-01-0")'
	lines_of_type stats | jqe '.token == 1 and .manifestGet >= 4 and .blob == 4'
	[ "$(grep -c '^token user=- scope=repository:team/app:pull' "$TOK_LOG")" \
	    -eq $((before + 1)) ]
}

@test "bearer token: basic credentials go to the token server" {
	docker_config "$BATS_TEST_TMPDIR/c.json" \
	    "{\"auths\":{\"$TOKEN\":{\"auth\":\"$(printf alice:s3cret | base64)\"}}}"
	run -0 probe --insecure-host "$TOKEN" \
	    --docker-config "$BATS_TEST_TMPDIR/c.json" tags "$TOKEN/team/app"
	tail -n 1 "$TOK_LOG" | grep -q '^token user=alice scope=repository:team/app:pull'
	docker_config "$BATS_TEST_TMPDIR/c.json" \
	    "{\"auths\":{\"$TOKEN\":{\"auth\":\"$(printf alice:nope | base64)\"}}}"
	run -78 probe --insecure-host "$TOKEN" \
	    --docker-config "$BATS_TEST_TMPDIR/c.json" tags "$TOKEN/team/app"
	lines_of_type tags | jqe '.error.auth and (.error.msg | test("refused"))'
}

@test "pagination: relative and absolute Link headers, every page" {
	run -0 probe --insecure-host "$STUB" tags "$STUB/team/rel-10" \
	    "$STUB/team/abs-7"
	lines_of_type tags | head -n 1 | jqe '.tags == ["t00","t01","t02","t03",
	    "t04","t05","t06","t07","t08","t09"]'
	lines_of_type tags | tail -n 1 | jqe '.tags | length == 7'
	lines_of_type stats | jqe '.tags >= 7'
	grep -q 'tags/list?n=3&last=t02' "$STUB_LOG"
}

@test "429 with Retry-After and 500 are retried, then succeed" {
	stub_fault 429 1 1
	stub_fault 500 1
	local t0=$SECONDS
	run -0 probe --insecure-host "$STUB" tags "$STUB/team/x-2"
	lines_of_type tags | jqe '.tags == ["t00","t01"]'
	lines_of_type stats | jqe '.rateLimited == 1 and .retries == 2'
	[ $((SECONDS - t0)) -ge 1 ]
}

@test "persistent 503: temporary failure after bounded tries (75)" {
	stub_fault 503 3
	run -75 probe --insecure-host "$STUB" --tries 3 tags "$STUB/team/x-2"
	lines_of_type tags | jqe '.error.temporary and .error.status == 503'
}
