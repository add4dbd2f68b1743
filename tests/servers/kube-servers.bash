# kube-servers.bash: the test Kubernetes API server (kube-apiserver.py beside
# this file) for the bats tests (`load servers/kube-servers`). Started as
# /work/shared/docs/test-servers.md says: one foreground process, fd 3
# closed, bound to 127.0.0.1 on a free port, its files and log under DIR.
# Start it in setup_file and call stop_kube_apiserver in teardown_file.
#
# Every function returns non-zero with a message on stderr when it fails,
# whether or not `set -e` is on, and prints only what it documents.
#
# start_kube_apiserver DIR [--establish-delay SECONDS]
#   makes DIR/pki (a CA, a server certificate for 127.0.0.1 and localhost, a
#   client certificate CN=admin O=system:masters), DIR/tokens (kube-apiserver's
#   --token-auth-file format), DIR/kubeconfig, starts the server and waits
#   until it answers. Exports:
#     KUBE_PORT KUBE_PID KUBE_URL (https://127.0.0.1:PORT) KUBE_DIR
#     KUBECONFIG_FILE   contexts "admin" (client certificate, current),
#                       "token" (bearer token, also an admin) and "readonly"
#                       (a token that may read but gets 403 on any write)
#     KUBE_CA           the CA certificate to trust
#     KUBE_TOKEN        the admin bearer token
#     KUBE_READONLY_TOKEN
#     KUBE_CLIENT_CERT KUBE_CLIENT_KEY   the admin client certificate and key
# kube_curl CURL-ARGS...   curl against the server as the admin (token),
#   trusting the CA, with -sS; the arguments give the path as
#   "$KUBE_URL/...". Prints what curl prints.
# kube_fault STATUS [COUNT [MATCH [RETRY_AFTER [DELAY]]]]
#   the next COUNT (default 1) requests matching MATCH (an HTTP method, or a
#   string found in "METHOD /path?query"; default every request) fail with
#   STATUS (429, 500, 503, 504...) and a Status body; RETRY_AFTER seconds
#   sets a Retry-After header; DELAY seconds waits before answering.
# kube_faults_clear        drop pending faults.
# kube_stats [JQ-FILTER]   print the request counters (JSON), or FILTER of
#   them: total, reads, mutations, discovery, faults, connections, apply,
#   dryRun, verbs.{get,list,create,update,patch,delete,...}, codes.{"200"..},
#   resources.{configmaps,...}.
# kube_stats_reset         zero the counters.
# kube_reset               empty the store (default namespaces only), drop
#   faults, zero counters.
# stop_kube_apiserver      stop the server started by start_kube_apiserver.

_KS_SCRIPT=${BASH_SOURCE[0]%/*}/kube-apiserver.py

# _ks_free_port: a TCP port nothing listens on at 127.0.0.1 now (racy; the
# caller retries).
_ks_free_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 100); do
		(exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || {
			printf '%s\n' "$p"
			return 0
		}
	done
	printf 'kube-servers: no free port found\n' >&2
	return 1
}

# _ks_alive PID: the process exists and is not a zombie.
_ks_alive() {
	case "$(ps -o stat= -p "$1" 2>/dev/null)" in
	"" | Z*) return 1 ;;
	esac
}

# _ks_stop_pid PID: TERM, wait up to 3 s, then KILL; reap if our child.
_ks_stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		_ks_alive "$pid" || break
		sleep 0.03
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# _ks_token: 32 random hex digits.
_ks_token() {
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

# _ks_pki DIR: the CA, server and client certificates under DIR.
_ks_pki() {
	local d=$1 ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	mkdir -p "$d" || return 1
	{
		openssl req -x509 "${ec[@]}" -keyout "$d/ca.key" -out "$d/ca.crt" \
		    -days 3 -subj /CN=sluice-test-ca \
		    -addext basicConstraints=critical,CA:TRUE \
		    -addext keyUsage=critical,keyCertSign,cRLSign &&
		    printf '%s\n' 'basicConstraints=CA:FALSE' \
		        'keyUsage=critical,digitalSignature,keyEncipherment' \
		        'extendedKeyUsage=serverAuth' \
		        'subjectAltName=IP:127.0.0.1,DNS:localhost' >"$d/server.ext" &&
		    printf '%s\n' 'basicConstraints=CA:FALSE' \
		        'keyUsage=critical,digitalSignature,keyEncipherment' \
		        'extendedKeyUsage=clientAuth' >"$d/client.ext" &&
		    openssl req "${ec[@]}" -keyout "$d/server.key" \
		        -out "$d/server.csr" -subj /CN=kube-apiserver &&
		    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" \
		        -CAkey "$d/ca.key" -set_serial "0x$(_ks_token)" -days 3 \
		        -extfile "$d/server.ext" -out "$d/server.crt" &&
		    openssl req "${ec[@]}" -keyout "$d/admin.key" \
		        -out "$d/admin.csr" -subj "/O=system:masters/CN=admin" &&
		    openssl x509 -req -in "$d/admin.csr" -CA "$d/ca.crt" \
		        -CAkey "$d/ca.key" -set_serial "0x$(_ks_token)" -days 3 \
		        -extfile "$d/client.ext" -out "$d/admin.crt"
	} >"$d/openssl.log" 2>&1 || {
		printf 'kube-servers: making certificates failed:\n' >&2
		sed 's/^/    /' "$d/openssl.log" >&2
		return 1
	}
	chmod 600 "$d"/*.key
}

# _ks_kubeconfig FILE PORT PKI ADMIN-TOKEN READONLY-TOKEN
_ks_kubeconfig() {
	local f=$1 port=$2 pki=$3 tok=$4 rtok=$5
	cat >"$f" <<EOF || return 1
apiVersion: v1
kind: Config
clusters:
- name: sluice-test
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority: $pki/ca.crt
users:
- name: admin
  user:
    client-certificate: $pki/admin.crt
    client-key: $pki/admin.key
- name: token
  user:
    token: $tok
- name: readonly
  user:
    token: $rtok
contexts:
- name: admin
  context:
    cluster: sluice-test
    user: admin
- name: token
  context:
    cluster: sluice-test
    user: token
- name: readonly
  context:
    cluster: sluice-test
    user: readonly
current-context: admin
preferences: {}
EOF
	chmod 600 "$f"
}

# start_kube_apiserver DIR [SERVER-OPTION...]: see the top of this file.
start_kube_apiserver() {
	local dir=$1 pki log port pid try i tok rtok
	shift
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd -P) || return 1
	pki=$dir/pki
	_ks_pki "$pki" || return 1
	tok=$(_ks_token) && rtok=$(_ks_token) || return 1
	# token,user,uid,"groups" (kube-apiserver --token-auth-file)
	printf '%s\n' "$tok,admin,uid-admin,\"system:masters\"" \
	    "$rtok,readonly,uid-readonly,\"sluice:readonly\"" >"$dir/tokens"
	chmod 600 "$dir/tokens"
	log=$dir/kube-apiserver.log
	for try in 1 2 3 4 5; do
		port=$(_ks_free_port) || return 1
		: >"$log"
		python3 "$_KS_SCRIPT" --port "$port" --cert "$pki/server.crt" \
		    --key "$pki/server.key" --ca "$pki/ca.crt" \
		    --tokens "$dir/tokens" "$@" >"$log" 2>&1 3>&- &
		pid=$!
		for i in $(seq 1 250); do
			grep -qF "listening on 127.0.0.1:$port" "$log" 2>/dev/null &&
			    break
			_ks_alive "$pid" || break
			sleep 0.02
		done
		if _ks_alive "$pid" &&
		    grep -qF "listening on 127.0.0.1:$port" "$log"; then
			break
		fi
		_ks_stop_pid "$pid"
		if grep -qi 'address already in use' "$log" && [ "$try" -lt 5 ]; then
			continue
		fi
		printf 'kube-apiserver: not up (try %s, %s polls); log %s:\n' \
		    "$try" "$i" "$log" >&2
		sed 's/^/    /' "$log" >&2
		return 1
	done
	_ks_kubeconfig "$dir/kubeconfig" "$port" "$pki" "$tok" "$rtok" ||
	    return 1
	printf '%s\n' "$pid" >"$dir/pid"
	export KUBE_DIR=$dir KUBE_PORT=$port KUBE_PID=$pid
	export KUBE_URL=https://127.0.0.1:$port
	export KUBECONFIG_FILE=$dir/kubeconfig KUBE_CA=$pki/ca.crt
	export KUBE_TOKEN=$tok KUBE_READONLY_TOKEN=$rtok
	export KUBE_CLIENT_CERT=$pki/admin.crt KUBE_CLIENT_KEY=$pki/admin.key
}

# kube_curl CURL-ARGS...: curl as the admin (see the top of this file).
kube_curl() {
	curl -sS --cacert "$KUBE_CA" -H "Authorization: Bearer $KUBE_TOKEN" "$@"
}

# _ks_control METHOD PATH [JSON]: call a /_test/ endpoint; print the answer.
_ks_control() {
	local out
	out=$(curl -sS -f --cacert "$KUBE_CA" -X "$1" \
	    -H 'Content-Type: application/json' ${3:+--data-binary "$3"} \
	    "$KUBE_URL$2") || {
		printf 'kube-servers: %s %s failed\n' "$1" "$2" >&2
		return 1
	}
	printf '%s\n' "$out"
}

# kube_fault STATUS [COUNT [MATCH [RETRY_AFTER [DELAY]]]]: see the top.
kube_fault() {
	local spec
	spec=$(jq -nc --argjson s "$1" --argjson c "${2:-1}" --arg m "${3:-}" \
	    --arg r "${4:-}" --arg d "${5:-0}" \
	    '{status: $s, count: $c, match: $m, delay: ($d | tonumber)}
	     + (if $r == "" then {} else {retryAfter: ($r | tonumber)} end)') ||
	    return 1
	_ks_control POST /_test/faults "$spec" >/dev/null
}

# kube_faults_clear: drop pending faults.
kube_faults_clear() {
	_ks_control DELETE /_test/faults >/dev/null
}

# kube_stats [JQ-FILTER]: the counters, or FILTER of them.
kube_stats() {
	local out
	out=$(_ks_control GET /_test/stats) || return 1
	printf '%s\n' "$out" | jq -c "${1:-.}"
}

# kube_stats_reset: zero the counters.
kube_stats_reset() {
	_ks_control POST /_test/stats/reset >/dev/null
}

# kube_reset: a fresh cluster, no faults, zero counters.
kube_reset() {
	_ks_control POST /_test/reset >/dev/null
}

# stop_kube_apiserver: stop the server (from KUBE_PID, or DIR/pid when a
# different shell started it). Never fails.
stop_kube_apiserver() {
	local pid=${KUBE_PID:-}
	if [ -z "$pid" ] && [ -n "${KUBE_DIR:-}" ] && [ -f "$KUBE_DIR/pid" ]; then
		pid=$(cat "$KUBE_DIR/pid")
	fi
	[ -n "$pid" ] || return 0
	case "$(ps -o args= -p "$pid" 2>/dev/null)" in
	*kube-apiserver.py*) _ks_stop_pid "$pid" ;;
	esac
	return 0
}
