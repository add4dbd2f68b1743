# registry-servers.bash: a real docker-registry (distribution 2.8) and two
# small Python stand-ins on 127.0.0.1 for the bats tests
# (`load servers/registry-servers`). Started as
# /work/shared/docs/test-servers.md section 1 says: one foreground process,
# fd 3 closed, bound to 127.0.0.1 port 0 with the real port read from its
# log, files and log under DIR. Start them in setup_file and call
# stop_registries in teardown_file.
#
# Every function returns non-zero with a message on stderr when it fails,
# whether or not `set -e` is on, and prints only what it documents.
#
# start_registry DIR [noauth|basic|tls|token]
#   a registry storing under DIR/data. basic: htpasswd user alice, password
#   s3cret (bcrypt). tls: a self-signed certificate for 127.0.0.1 and
#   localhost (plain HTTP gets 400). token: bearer tokens from
#   tokserver.py (alice/s3cret may push; anonymous clients may pull).
#   Exports REG_HOST (127.0.0.1:PORT), REG_PORT, REG_PID, REG_DIR, REG_MODE,
#   and REG_CA (tls: the certificate to trust), TOK_PORT, TOK_PID, TOK_LOG
#   (token: the token server's log, one "token user=... scope=..." line per
#   token issued). A later start_registry overwrites them: copy them first.
# push_image LAYOUT TAG CREATED ARCH REPO [v2s2]
#   add an image to the OCI layout LAYOUT with mkimg.sh (config "created"
#   CREATED) and push it as $REG_HOST/REPO:TAG, as OCI or (v2s2) as a
#   Docker v2 schema 2 manifest. Prints the manifest digest in the layout
#   (the pushed one for OCI).
# push_multi LAYOUT TAG REPO [v2s2]
#   two images, linux/amd64 (created 2024-02-01T00:00:00Z) and linux/arm64
#   (2024-03-01T00:00:00Z), under one OCI index tagged TAG in LAYOUT, pushed
#   with skopeo --all as an OCI index or (v2s2) a Docker manifest list.
#   Prints nothing.
# reg_curl CURL-ARGS...   curl -sS against the current registry with its
#   credentials and CA; the arguments name the path as "$REG_URL/...".
# start_registry_stub DIR [PAGE]
#   registry-stub.py (paginated tags, faults). Exports STUB_HOST, STUB_PORT,
#   STUB_PID, STUB_LOG.
# stub_fault STATUS [COUNT [RETRY_AFTER]]   the next COUNT requests to the
#   stub's /v2/NAME/ paths answer STATUS.
# stop_registries   stop every server started here. Never fails.

_RS_DIR=${BASH_SOURCE[0]%/*}

_rs_pidfile() {
	if [ -n "${BATS_FILE_TMPDIR:-}" ]; then
		printf '%s\n' "$BATS_FILE_TMPDIR/registry-servers.pids"
	else
		printf '%s\n' "${TMPDIR:-/tmp}/registry-servers.$$.pids"
	fi
}

_rs_alive() {
	case "$(ps -o stat= -p "$1" 2>/dev/null)" in
	"" | Z*) return 1 ;;
	esac
}

_rs_stop_pid() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		_rs_alive "$pid" || break
		sleep 0.03
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# _rs_port WHAT PID LOG: wait up to 5 s for "listening on 127.0.0.1:PORT" in
# LOG, record PID for stop_registries and print PORT.
_rs_port() {
	local what=$1 pid=$2 log=$3 port
	for _ in $(seq 1 250); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
		    "$log" 2>/dev/null | head -n 1)
		if [ -n "$port" ] && _rs_alive "$pid"; then
			printf '%s %s\n' "$pid" "$(ps -o comm= -p "$pid")" \
			    >>"$(_rs_pidfile)" || return 1
			printf '%s\n' "$port"
			return 0
		fi
		_rs_alive "$pid" || break
		sleep 0.02
	done
	_rs_stop_pid "$pid"
	printf '%s: not up (log %s):\n' "$what" "$log" >&2
	sed 's/^/    /' "$log" >&2 2>/dev/null || true
	return 1
}

# _rs_wait_http URL [CURL-ARGS...]: until URL answers at all (any status).
_rs_wait_http() {
	local url=$1 _
	shift
	for _ in $(seq 1 250); do
		curl -s -o /dev/null "$@" "$url" && return 0
		sleep 0.02
	done
	printf 'registry-servers: %s does not answer\n' "$url" >&2
	return 1
}

start_registry() {
	local dir=$1 mode=${2:-noauth} pid port tls='' auth='' scheme=http tport
	case $mode in
	noauth | basic | tls | token) ;;
	*)
		printf 'start_registry: unknown mode %s\n' "$mode" >&2
		return 1
		;;
	esac
	command -v docker-registry >/dev/null 2>&1 || {
		printf 'start_registry: docker-registry is not installed\n' >&2
		return 1
	}
	mkdir -p "$dir/data" || return 1
	dir=$(cd "$dir" && pwd -P) || return 1
	unset REG_CA TOK_PORT TOK_PID TOK_LOG
	case $mode in
	basic)
		htpasswd -Bbn alice s3cret >"$dir/htpasswd" 2>/dev/null || {
			printf 'start_registry: htpasswd failed\n' >&2
			return 1
		}
		auth="auth: {htpasswd: {realm: test-realm, path: $dir/htpasswd}}"
		;;
	tls)
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 30 \
		    -subj /CN=127.0.0.1 \
		    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		    >/dev/null 2>&1 || {
			printf 'start_registry: openssl failed\n' >&2
			return 1
		}
		mkdir -p "$dir/certd" && cp "$dir/cert.pem" "$dir/certd/ca.crt" ||
		    return 1
		tls="  tls: {certificate: $dir/cert.pem, key: $dir/key.pem}"
		scheme=https
		export REG_CA=$dir/cert.pem
		;;
	token)
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/tok.key" \
		    -out "$dir/tok.crt" -days 30 -subj /CN=test-token \
		    >/dev/null 2>&1 || {
			printf 'start_registry: openssl failed\n' >&2
			return 1
		}
		python3 "$_RS_DIR/tokserver.py" 0 "$dir/tok.key" "$dir/tok.crt" \
		    >"$dir/tok.log" 2>&1 3>&- &
		pid=$!
		tport=$(_rs_port tokserver.py "$pid" "$dir/tok.log") || return 1
		export TOK_PORT=$tport TOK_PID=$pid TOK_LOG=$dir/tok.log
		auth="auth: {token: {realm: \"http://127.0.0.1:$tport/token\", service: test-registry, issuer: test-issuer, rootcertbundle: $dir/tok.crt}}"
		;;
	esac
	{
		printf 'version: 0.1\n'
		printf 'log: {level: info, accesslog: {disabled: false}}\n'
		printf 'storage:\n  filesystem: {rootdirectory: %s/data}\n' "$dir"
		printf '  delete: {enabled: true}\n'
		printf 'http:\n  addr: "127.0.0.1:0"\n  secret: test-only\n'
		[ -z "$tls" ] || printf '%s\n' "$tls"
		[ -z "$auth" ] || printf '%s\n' "$auth"
	} >"$dir/config.yml" || return 1
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 3>&- &
	pid=$!
	port=$(_rs_port docker-registry "$pid" "$dir/log") || return 1
	export REG_PORT=$port REG_PID=$pid REG_DIR=$dir REG_MODE=$mode \
	    REG_HOST=127.0.0.1:$port REG_URL=$scheme://127.0.0.1:$port
	_rs_wait_http "$REG_URL/v2/" ${REG_CA:+--cacert "$REG_CA"}
}

# skopeo's destination flags for the current registry.
_rs_dest() {
	case $REG_MODE in
	tls) printf '%s\n' --dest-cert-dir "$REG_DIR/certd" ;;
	*) printf '%s\n' --dest-tls-verify=false ;;
	esac
	case $REG_MODE in
	basic | token) printf '%s\n' --dest-creds alice:s3cret ;;
	esac
}

reg_curl() {
	local a=(-sS)
	[ -z "${REG_CA:-}" ] || a+=(--cacert "$REG_CA")
	case $REG_MODE in
	basic) a+=(-u alice:s3cret) ;;
	esac
	curl "${a[@]}" "$@"
}

push_image() {
	local layout=$1 tag=$2 created=$3 arch=$4 repo=$5 fmt=${6:-} digest
	local -a dest fopt=()
	mapfile -t dest < <(_rs_dest)
	[ "$fmt" != v2s2 ] || fopt=(--format v2s2)
	digest=$(sh "$_RS_DIR/mkimg.sh" "$layout" "$tag" "$created" "$arch") ||
	    return 1
	skopeo copy -q "${dest[@]}" "${fopt[@]}" "oci:$layout:$tag" \
	    "docker://$REG_HOST/$repo:$tag" >&2 || {
		printf 'push_image: skopeo copy to %s/%s:%s failed\n' \
		    "$REG_HOST" "$repo" "$tag" >&2
		return 1
	}
	printf '%s\n' "$digest"
}

push_multi() {
	local layout=$1 tag=$2 repo=$3 fmt=${4:-} a b idx d s
	local -a dest fopt=()
	mapfile -t dest < <(_rs_dest)
	[ "$fmt" != v2s2 ] || fopt=(--format v2s2)
	a=$(sh "$_RS_DIR/mkimg.sh" "$layout" "$tag-amd64" \
	    2024-02-01T00:00:00Z amd64 "$tag-a") &&
	    b=$(sh "$_RS_DIR/mkimg.sh" "$layout" "$tag-arm64" \
	    2024-03-01T00:00:00Z arm64 "$tag-b") || return 1
	idx=$(jq -nc --arg a "$a" --arg b "$b" \
	    --argjson sa "$(stat -c %s "$layout/blobs/sha256/${a#sha256:}")" \
	    --argjson sb "$(stat -c %s "$layout/blobs/sha256/${b#sha256:}")" \
	    '{schemaVersion: 2,
	      mediaType: "application/vnd.oci.image.index.v1+json",
	      manifests: [
	        {mediaType: "application/vnd.oci.image.manifest.v1+json",
	         digest: $a, size: $sa,
	         platform: {architecture: "amd64", os: "linux"}},
	        {mediaType: "application/vnd.oci.image.manifest.v1+json",
	         digest: $b, size: $sb,
	         platform: {architecture: "arm64", os: "linux",
	                    variant: "v8"}}]}') || return 1
	d=$(printf '%s' "$idx" | sha256sum | cut -d' ' -f1)
	printf '%s' "$idx" >"$layout/blobs/sha256/$d" || return 1
	s=$(stat -c %s "$layout/blobs/sha256/$d")
	jq -c --arg d "sha256:$d" --argjson s "$s" --arg t "$tag" \
	    '.manifests += [{mediaType: "application/vnd.oci.image.index.v1+json",
	      digest: $d, size: $s,
	      annotations: {"org.opencontainers.image.ref.name": $t}}]' \
	    "$layout/index.json" >"$layout/index.json.new" &&
	    mv "$layout/index.json.new" "$layout/index.json" || return 1
	skopeo copy -q --all "${dest[@]}" "${fopt[@]}" "oci:$layout:$tag" \
	    "docker://$REG_HOST/$repo:$tag" >&2 || {
		printf 'push_multi: skopeo copy to %s/%s:%s failed\n' \
		    "$REG_HOST" "$repo" "$tag" >&2
		return 1
	}
}

start_registry_stub() {
	local dir=$1 page=${2:-3} pid port
	mkdir -p "$dir" || return 1
	python3 "$_RS_DIR/registry-stub.py" "$page" >"$dir/stub.log" 2>&1 3>&- &
	pid=$!
	port=$(_rs_port registry-stub.py "$pid" "$dir/stub.log") || return 1
	export STUB_PORT=$port STUB_PID=$pid STUB_HOST=127.0.0.1:$port \
	    STUB_LOG=$dir/stub.log
}

stub_fault() {
	curl -fsS -o /dev/null -X POST \
	    "http://$STUB_HOST/_fault?status=$1&count=${2:-1}${3:+&retry_after=$3}" || {
		printf 'stub_fault: the stub does not answer\n' >&2
		return 1
	}
}

stop_registries() {
	local file pid comm
	file=$(_rs_pidfile)
	[ -f "$file" ] || return 0
	while read -r pid comm; do
		if [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = "$comm" ]; then
			_rs_stop_pid "$pid"
		fi
	done <"$file"
	rm -f "$file"
}
