#!/usr/bin/env bats
# hook: real HTTP with curl against `hook --listen`, and one connection on
# stdin/stdout as systemd's Accept=yes gives it. The pass is started by the
# real `sluice trigger`, which (no timer being active) writes the trigger
# file; one case puts a stand-in systemctl in the way to see it called.

load helpers

SECRET=hook-test-secret-9f2c4e

setup_file() {
	export T=$BATS_FILE_TMPDIR
	export SLUICE_CONFIG_DIR=$T/etc SLUICE_STATE_DIR=$T/state
	# no systemd here: trigger falls back to the trigger file
	export SLUICE_SYSTEMCTL=$T/no-systemctl
	mkdir -p "$T/etc/hook" "$T/state/demo" "$T/state/other"
	printf 'GIT_URL=ssh://git@example.com/demo.git\n' >"$T/etc/demo.env"
	printf 'GIT_URL=ssh://git@example.com/other.git\n' >"$T/etc/other.env"
	printf '%s\n' "$SECRET" >"$T/etc/hook/demo"
	printf 'a-different-secret\n' >"$T/etc/hook/other"
	chmod 600 "$T/etc/hook/demo" "$T/etc/hook/other"
	hook --listen 127.0.0.1:0 --timeout 2 >"$T/hook.out" \
	    2>"$T/hook.log" 3>&- &
	export HOOK_PID=$!
	for _ in $(seq 1 100); do
		grep -q '"listening on' "$T/hook.log" && break
		sleep 0.02
	done
	export HOOK_PORT
	HOOK_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
	    "$T/hook.log")
	[ -n "$HOOK_PORT" ]
	export HOOK_URL=http://127.0.0.1:$HOOK_PORT
}

teardown_file() {
	kill -TERM "$HOOK_PID" 2>/dev/null || true
	wait "$HOOK_PID" 2>/dev/null || true
	# the secret must never reach the log, whatever the tests sent
	! grep -qF "$SECRET" "$T/hook.log"
}

setup() {
	rm -f "$T/state/demo/trigger" "$T/state/other/trigger"
}

# post PATH BODY CURL-ARGS...: POST BODY to the hook; prints the status
post() {
	local path=$1 body=$2
	shift 2
	curl -sS -o "$BATS_TEST_TMPDIR/answer" -w '%{http_code}' \
	    -H 'Content-Type: application/json' --data-binary "$body" "$@" \
	    "$HOOK_URL$path"
}

# sig BODY [SECRET]: GitHub's X-Hub-Signature-256 value for BODY
sig() {
	printf 'sha256=%s' "$(printf '%s' "$1" |
	    openssl dgst -sha256 -hmac "${2:-$SECRET}" -r | cut -d' ' -f1)"
}

PUSH='{"ref":"refs/heads/main","repository":{"clone_url":"https://example.com/demo.git"}}'

@test "hook: GitHub push with a good signature starts a sync pass" {
	run -0 post /hook/demo "$PUSH" -H 'X-GitHub-Event: push' \
	    -H "X-Hub-Signature-256: $(sig "$PUSH")"
	[ "$output" = 202 ]
	[ "$(cat "$T/state/demo/trigger")" = sync ]
	[ ! -e "$T/state/other/trigger" ]
}

@test "hook: GitHub with a bad or missing signature is refused" {
	run -0 post /hook/demo "$PUSH" -H 'X-GitHub-Event: push' \
	    -H "X-Hub-Signature-256: $(sig "$PUSH" wrong-secret)"
	[ "$output" = 403 ]
	# a good signature over another body
	run -0 post /hook/demo "$PUSH " -H 'X-GitHub-Event: push' \
	    -H "X-Hub-Signature-256: $(sig "$PUSH")"
	[ "$output" = 403 ]
	run -0 post /hook/demo "$PUSH" -H 'X-GitHub-Event: push' \
	    -H "X-Hub-Signature-256: $(sig "$PUSH" | tr a-f A-F)"
	[ "$output" = 403 ]
	run -0 post /hook/demo "$PUSH" -H 'X-GitHub-Event: push'
	[ "$output" = 401 ]
	# the SHA-1 signature alone is not enough
	run -0 post /hook/demo "$PUSH" -H 'X-GitHub-Event: push' \
	    -H 'X-Hub-Signature: sha1=0000000000000000000000000000000000000000'
	[ "$output" = 401 ]
	[ ! -e "$T/state/demo/trigger" ]
}

@test "hook: GitHub ping and other events answer 200 and start nothing" {
	run -0 post /hook/demo '{"zen":"x"}' -H 'X-GitHub-Event: ping' \
	    -H "X-Hub-Signature-256: $(sig '{"zen":"x"}')"
	[ "$output" = 200 ]
	grep -qx pong "$BATS_TEST_TMPDIR/answer"
	run -0 post /hook/demo '{}' -H 'X-GitHub-Event: issues' \
	    -H "X-Hub-Signature-256: $(sig '{}')"
	[ "$output" = 200 ]
	# but a ping with a bad signature is still refused
	run -0 post /hook/demo '{}' -H 'X-GitHub-Event: ping' \
	    -H "X-Hub-Signature-256: $(sig '{}' nope)"
	[ "$output" = 403 ]
	[ ! -e "$T/state/demo/trigger" ]
}

@test "hook: GitLab push with the right token starts a sync pass" {
	run -0 post /hook/demo '{"object_kind":"push"}' \
	    -H 'X-Gitlab-Event: Push Hook' -H "X-Gitlab-Token: $SECRET"
	[ "$output" = 202 ]
	[ "$(cat "$T/state/demo/trigger")" = sync ]
}

@test "hook: GitLab with a wrong or missing token is refused" {
	run -0 post /hook/demo '{}' -H 'X-Gitlab-Event: Push Hook' \
	    -H "X-Gitlab-Token: ${SECRET}x"
	[ "$output" = 403 ]
	run -0 post /hook/demo '{}' -H 'X-Gitlab-Event: Push Hook' \
	    -H "X-Gitlab-Token: ${SECRET%?}"
	[ "$output" = 403 ]
	run -0 post /hook/demo '{}' -H 'X-Gitlab-Event: Push Hook' \
	    -H 'X-Gitlab-Token: a-different-secret'
	[ "$output" = 403 ]
	run -0 post /hook/demo '{}' -H 'X-Gitlab-Event: Push Hook'
	[ "$output" = 401 ]
	[ ! -e "$T/state/demo/trigger" ]
}

@test "hook: Docker Hub with the token in the path starts an images pass" {
	run -0 post "/hook/demo/dockerhub/$SECRET" \
	    '{"push_data":{"tag":"1.2.3"},"repository":{"repo_name":"me/app"}}'
	[ "$output" = 202 ]
	[ "$(cat "$T/state/demo/trigger")" = images ]
}

@test "hook: Docker Hub with a wrong or missing token is refused" {
	run -0 post "/hook/demo/dockerhub/${SECRET}x" '{}'
	[ "$output" = 403 ]
	run -0 post /hook/demo/dockerhub/a-different-secret '{}'
	[ "$output" = 403 ]
	run -0 post /hook/demo/dockerhub/ '{}'
	[ "$output" = 401 ]
	run -0 post "/hook/demo/dockerhub/$SECRET/more" '{}'
	[ "$output" = 404 ]
	[ ! -e "$T/state/demo/trigger" ]
}

@test "hook: each source has its own secret" {
	run -0 post /hook/other '{}' -H 'X-Gitlab-Event: Push Hook' \
	    -H "X-Gitlab-Token: $SECRET"
	[ "$output" = 403 ]
	run -0 post /hook/other '{}' -H 'X-Gitlab-Event: Push Hook' \
	    -H 'X-Gitlab-Token: a-different-secret'
	[ "$output" = 202 ]
	[ "$(cat "$T/state/other/trigger")" = sync ]
	[ ! -e "$T/state/demo/trigger" ]
}

@test "hook: unknown sources and paths are 404" {
	run -0 post /hook/nosuch '{}' -H "X-Gitlab-Token: $SECRET"
	[ "$output" = 404 ]
	run -0 post /hook/../etc/demo '{}' --path-as-is \
	    -H "X-Gitlab-Token: $SECRET"
	[ "$output" = 404 ]
	run -0 post /hook/.hidden '{}' -H "X-Gitlab-Token: $SECRET"
	[ "$output" = 404 ]
	run -0 post /elsewhere '{}' -H "X-Gitlab-Token: $SECRET"
	[ "$output" = 404 ]
	# a secret but no source file: trigger refuses, the hook says 404
	printf 'x\n' >"$T/etc/hook/gone"
	run -0 post /hook/gone '{}' -H 'X-Gitlab-Token: x'
	[ "$output" = 404 ]
	rm "$T/etc/hook/gone"
}

@test "hook: only POST is accepted" {
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$HOOK_URL/hook/demo"
	[ "$output" = 405 ]
	run -0 curl -sS -D - -o /dev/null -X PUT "$HOOK_URL/hook/demo"
	[[ $output == *'HTTP/1.1 405'* ]]
	[[ $output == *'Allow: POST'* ]]
}

@test "hook: a body over 1 MiB is 413, and is not read" {
	head -c $((1024 * 1024 + 1)) /dev/zero >"$BATS_TEST_TMPDIR/big"
	run -0 post /hook/demo @"$BATS_TEST_TMPDIR/big" \
	    -H "X-Gitlab-Token: $SECRET"
	[ "$output" = 413 ]
	# exactly 1 MiB is fine
	head -c $((1024 * 1024)) /dev/zero >"$BATS_TEST_TMPDIR/max"
	run -0 post /hook/demo @"$BATS_TEST_TMPDIR/max" \
	    -H 'X-GitHub-Event: push' \
	    -H "X-Hub-Signature-256: sha256=$(openssl dgst -sha256 \
	        -hmac "$SECRET" -r "$BATS_TEST_TMPDIR/max" | cut -d' ' -f1)"
	[ "$output" = 202 ]
}

@test "hook: headers over 16 KiB are 431" {
	run -0 post /hook/demo '{}' -H "X-Gitlab-Token: $SECRET" \
	    -H "X-Padding: $(head -c 17000 /dev/zero | tr '\0' a)"
	[ "$output" = 431 ]
	[ ! -e "$T/state/demo/trigger" ]
}

# raw REQUEST: send the bytes (printf %b) as they are to the server; prints
# its status line, without the CR
raw() {
	local line
	exec 5<>"/dev/tcp/127.0.0.1/$HOOK_PORT"
	printf '%b' "$1" >&5
	IFS= read -r -t 5 line <&5 || true
	exec 5>&-
	printf '%s\n' "${line%$'\r'}"
}

@test "hook: malformed requests are 400, a missing length 411" {
	run -0 raw 'nonsense\r\n\r\n'
	[[ $output == 'HTTP/1.1 400 '* ]]
	run -0 raw 'POST /hook/demo HTTP/9\r\nX-Gitlab-Token: x\r\n\r\n'
	[[ $output == 'HTTP/1.1 400 '* ]]
	run -0 raw "POST /hook/demo HTTP/1.1\r\nX-Gitlab-Token: $SECRET\r\n folded\r\n\r\n"
	[[ $output == 'HTTP/1.1 400 '* ]]
	run -0 raw "POST /hook/demo HTTP/1.1\r\nX-Gitlab-Token: $SECRET\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"
	[[ $output == 'HTTP/1.1 400 '* ]]
	run -0 raw "POST /hook/demo HTTP/1.1\r\nX-Gitlab-Token: $SECRET\r\nContent-Length: -1\r\n\r\n"
	[[ $output == 'HTTP/1.1 400 '* ]]
	run -0 raw "POST /hook/demo HTTP/1.1\r\nX-Gitlab-Token: $SECRET\r\n\r\n"
	[[ $output == 'HTTP/1.1 411 '* ]]
	run -0 raw "POST /hook/demo HTTP/1.1\r\nX-Gitlab-Token: $SECRET\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
	[[ $output == 'HTTP/1.1 411 '* ]]
	[ ! -e "$T/state/demo/trigger" ]
}

@test "hook: a client too slow to send its request gets 408" {
	start=$(date +%s)
	exec 5<>"/dev/tcp/127.0.0.1/$HOOK_PORT"
	printf 'POST /hook/demo HTTP/1.1\r\n' >&5
	IFS= read -r -t 8 line <&5
	exec 5>&-
	[[ $line == 'HTTP/1.1 408 '* ]]
	# the server's --timeout 2 ended it, not the client
	[ $(($(date +%s) - start)) -le 4 ]
}

@test "hook: a slow client does not hold up the others" {
	exec 6<>"/dev/tcp/127.0.0.1/$HOOK_PORT"
	printf 'POST /hook/demo HTTP/1.1\r\n' >&6
	run -0 post /hook/demo '{}' -H 'X-Gitlab-Event: Push Hook' \
	    -H "X-Gitlab-Token: $SECRET" --max-time 1
	[ "$output" = 202 ]
	exec 6>&-
}

@test "hook: the log names source, provider and status, never secrets" {
	run -0 post "/hook/demo/dockerhub/$SECRET" '{}'
	[ "$output" = 202 ]
	run -0 post "/hook/demo/dockerhub/${SECRET}x" '{}'
	run -0 post /hook/demo '{}' -H "X-Gitlab-Token: ${SECRET}y"
	sleep 0.1
	# sluice trigger's own lines are text, the hook's JSON
	grep '^{' "$T/hook.log" | jq -e -s 'map(select(.status == "202" and
	    .provider == "dockerhub" and .source == "demo" and
	    .pass == "images")) | length > 0'
	grep '^{' "$T/hook.log" | jq -e -s 'map(select(.status == "403" and
	    .provider == "gitlab")) | length > 0'
	! grep -qF "$SECRET" "$T/hook.log"
	! grep -qF dockerhub/ "$T/hook.log"
}

@test "hook: one connection on stdin and stdout (systemd Accept=yes)" {
	body='{"object_kind":"push"}'
	run --separate-stderr -0 hook < <(printf 'POST /hook/demo HTTP/1.1\r\nHost: x\r\nX-Gitlab-Event: Push Hook\r\nX-Gitlab-Token: %s\r\nContent-Length: %d\r\n\r\n%s' \
	    "$SECRET" "${#body}" "$body")
	[[ ${lines[0]} == $'HTTP/1.1 202 Accepted\r' ]]
	[ "$(cat "$T/state/demo/trigger")" = sync ]
	[[ $stderr != *"$SECRET"* ]]
	[[ $stderr == *'"status":"202"'* ]]
}

@test "hook: a running timer makes it start the unit through systemctl" {
	cat >"$BATS_TEST_TMPDIR/systemctl" <<'EOF'
#!/bin/sh
printf '%s\n' "$*" >>"${0%/*}/calls"
case $1 in
is-active) [ "$3" = sluice-images@demo.timer ] ;;
start) exit 0 ;;
*) exit 1 ;;
esac
EOF
	chmod +x "$BATS_TEST_TMPDIR/systemctl"
	body='{"push_data":{}}'
	run --separate-stderr -0 env SLUICE_SYSTEMCTL="$BATS_TEST_TMPDIR/systemctl" \
	    hook < <(printf 'POST /hook/demo/dockerhub/%s HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s' \
	    "$SECRET" "${#body}" "$body")
	[[ ${lines[0]} == $'HTTP/1.1 202 Accepted\r' ]]
	grep -qx 'start --no-block sluice-images@demo.service' \
	    "$BATS_TEST_TMPDIR/calls"
	[ ! -e "$T/state/demo/trigger" ]
}

@test "hook: a trigger that cannot start the pass is 503" {
	rmdir "$T/state/other" 2>/dev/null || rm -rf "$T/state/other"
	run -0 post /hook/other '{}' -H 'X-Gitlab-Event: Push Hook' \
	    -H 'X-Gitlab-Token: a-different-secret'
	[ "$output" = 503 ]
	mkdir -p "$T/state/other"
}

@test "hook: bad flags give 64" {
	run -64 hook --no-such-flag
	run -64 hook --timeout 0
	run -64 hook --max-body x
	run -64 hook extra
	run -64 hook --listen nonsense
	run -0 hook --help
	[[ $output == *'--secret-dir'* ]]
}
