# servers.bats: self-test of tests/servers/git-servers.bash. Every server
# starts, a real git client clones and pushes over it with the right
# credentials and is refused with wrong ones, and stop_servers leaves no
# process behind.

load helpers
load servers/git-servers

# git must fail rather than prompt, and trust only what a test gives it
export GIT_TERMINAL_PROMPT=0
unset GIT_SSL_CAINFO GIT_SSL_CAPATH GIT_SSH GIT_SSH_COMMAND GIT_ASKPASS SSH_ASKPASS

setup_file() {
	export ROOT=$BATS_FILE_TMPDIR/repos
	git_seed_repo "$ROOT" app
	start_git_daemon "$ROOT"
	start_git_http "$ROOT" alice s3cret
	start_git_https "$ROOT" alice s3cret
	start_sshd "$ROOT"
}

teardown_file() {
	stop_servers
	# nothing that was started with a path under $ROOT may survive
	if pgrep -a -f -- "$ROOT" >&2; then
		return 1
	fi
}

# roundtrip URL [GIT-OPTION...]: clone URL, check the seeded file is there,
# commit and push main back; succeed if the served repository's main is
# then that commit.
roundtrip() {
	local url=$1 dir=$BATS_TEST_TMPDIR/clone
	shift
	git "$@" clone -q "$url" "$dir"
	grep -qx 'kind: ConfigMap' "$dir/apps/cm.yaml"
	git -C "$dir" -c user.name=t -c user.email=t@example.com \
	    commit -q --allow-empty -m "push over $url"
	git "$@" -C "$dir" push -q origin HEAD:main
	[ "$(git --git-dir="$ROOT/app.git" rev-parse main)" = \
	    "$(git -C "$dir" rev-parse HEAD)" ]
}

@test "servers: exported ports and pids belong to running servers" {
	local v
	for v in GITD_PORT HTTP_PORT HTTPS_PORT SSHD_PORT; do
		[[ ${!v} =~ ^[0-9]+$ ]]
	done
	[ "$(ps -o comm= -p "$GITD_PID")" = git-daemon ]
	[ "$(ps -o comm= -p "$HTTP_PID")" = lighttpd ]
	[ "$(ps -o comm= -p "$HTTPS_PID")" = lighttpd ]
	[ "$(ps -o comm= -p "$SSHD_PID")" = sshd ]
	[ "$(stat -c %a "$SSH_KEY")" = 600 ]
	[ -f "$HTTPS_CA" ] && [ -f "$SSH_HOST_PUB" ]
}

@test "servers: git daemon: clone and push" {
	roundtrip "git://127.0.0.1:$GITD_PORT/app.git"
}

@test "servers: http: clone and push with the right password" {
	roundtrip "http://alice:s3cret@127.0.0.1:$HTTP_PORT/git/app.git"
}

@test "servers: http: a wrong password or none gets 401" {
	GIT_TRACE_CURL=1 run -128 git ls-remote \
	    "http://alice:wrong@127.0.0.1:$HTTP_PORT/git/app.git"
	[[ $output =~ 'Recv header: HTTP/'[0-9.]+' 401' ]]
	[[ $output == *'Authentication failed'* ]]
	GIT_TRACE_CURL=1 run -128 git ls-remote \
	    "http://127.0.0.1:$HTTP_PORT/git/app.git"
	[[ $output =~ 'Recv header: HTTP/'[0-9.]+' 401' ]]
	[[ $output == *'WWW-Authenticate: Basic realm="git"'* ]]
}

@test "servers: https: clone and push trusting HTTPS_CA" {
	roundtrip "https://alice:s3cret@localhost:$HTTPS_PORT/git/app.git" \
	    -c http.sslCAInfo="$HTTPS_CA"
}

# (a wrong password over https is the same lighttpd setup as over http; it
# is left out because lighttpd answers a failed login only after 1 s)
@test "servers: https: the certificate is untrusted without HTTPS_CA" {
	run -128 git ls-remote "https://alice:s3cret@localhost:$HTTPS_PORT/git/app.git"
	[[ $output == *'certificate verification failed'* ]]
}

@test "servers: ssh: clone and push with the deploy key" {
	GIT_SSH_COMMAND=$(ssh_git_command) \
	    roundtrip "ssh://$(id -un)@127.0.0.1:$SSHD_PORT$ROOT/app.git"
}

@test "servers: ssh: an unknown deploy key is refused" {
	ssh-keygen -q -t ed25519 -N '' -f "$BATS_TEST_TMPDIR/other"
	GIT_SSH_COMMAND=$(ssh_git_command "$BATS_TEST_TMPDIR/other") \
	    run -128 git ls-remote "ssh://$(id -un)@127.0.0.1:$SSHD_PORT$ROOT/app.git"
	[[ $output == *'Permission denied (publickey)'* ]]
}

@test "servers: ssh: a changed host key is refused" {
	ssh_other_known_hosts "$BATS_TEST_TMPDIR/known_hosts"
	grep -q "^\[127.0.0.1\]:$SSHD_PORT ssh-ed25519 " "$BATS_TEST_TMPDIR/known_hosts"
	run -1 cmp -s "$BATS_TEST_TMPDIR/known_hosts" "$SSH_KNOWN_HOSTS"
	GIT_SSH_COMMAND=$(ssh_git_command "$SSH_KEY" "$BATS_TEST_TMPDIR/known_hosts") \
	    run -128 git ls-remote "ssh://$(id -un)@127.0.0.1:$SSHD_PORT$ROOT/app.git"
	[[ $output == *'Host key verification failed'* ]]
}

@test "servers: git_push_commit, git_force_rewrite, branches" {
	local url="git://127.0.0.1:$GITD_PORT/hist.git" c1 c2 c3 b
	run -0 git_seed_repo "$ROOT" hist
	[ -z "$output" ]
	run -0 git_push_commit "$ROOT" hist "add x" apps/x.yaml "x: 1"
	c1=$output
	[[ $c1 =~ ^[0-9a-f]{40}$ ]]
	[ "$(git ls-remote "$url" refs/heads/main | cut -f1)" = "$c1" ]
	[ "$(git --git-dir="$ROOT/hist.git" show main:apps/x.yaml)" = "x: 1" ]
	run -0 git_push_commit "$ROOT" hist "empty"
	c2=$output
	[ "$(git --git-dir="$ROOT/hist.git" rev-parse main^)" = "$c1" ]

	run -0 git_force_rewrite "$ROOT" hist
	c3=$output
	[ "$(git ls-remote "$url" refs/heads/main | cut -f1)" = "$c3" ]
	[ "$(git --git-dir="$ROOT/hist.git" rev-list --count main)" = 1 ]
	run -1 git --git-dir="$ROOT/hist.git" merge-base --is-ancestor "$c2" main
	# the scratch clone follows the rewrite
	run -0 git_push_commit "$ROOT" hist "after rewrite"
	[ "$(git --git-dir="$ROOT/hist.git" rev-parse main^)" = "$c3" ]

	run -0 git_create_branch "$ROOT" hist dev
	b=$output
	[ "$(git ls-remote "$url" refs/heads/dev | cut -f1)" = "$b" ]
	run -0 git_delete_branch "$ROOT" hist dev
	[ -z "$(git ls-remote "$url" refs/heads/dev)" ]
	run -1 git_delete_branch "$ROOT" hist dev
	[[ $output == *'no branch dev'* ]]
}

@test "servers: a server that dies at start is reported with its log" {
	local log=$BATS_TEST_TMPDIR/log
	sh -c 'echo "bind: boom"; exit 1' >"$log" 2>&1 3>&- &
	run -1 _gs_ready fake $! "$log" "listening"
	[[ $output == *'fake: exited before it was up'* ]]
	[[ $output == *'bind: boom'* ]]
	sh -c 'echo "Address already in use"; exit 1' >"$log" 2>&1 3>&- &
	run -2 _gs_ready fake $! "$log" "listening"
}

@test "servers: stop_servers leaves no process behind" {
	local root=$BATS_TEST_TMPDIR/stop pid
	export GIT_SERVERS_PIDFILE=$BATS_TEST_TMPDIR/pids
	git_seed_repo "$root" app
	start_git_daemon "$root"
	start_git_http "$root" u p
	start_git_https "$root" u p
	start_sshd "$root"
	# a served request first, so CGI and session children have existed
	git ls-remote "http://u:p@127.0.0.1:$HTTP_PORT/git/app.git" >/dev/null
	GIT_SSH_COMMAND=$(ssh_git_command) git ls-remote \
	    "ssh://$(id -un)@127.0.0.1:$SSHD_PORT$root/app.git" >/dev/null
	[ "$(wc -l <"$GIT_SERVERS_PIDFILE")" -eq 4 ]
	pgrep -f -- "$root" >/dev/null
	stop_servers
	for pid in "$GITD_PID" "$HTTP_PID" "$HTTPS_PID" "$SSHD_PID"; do
		[ -z "$(ps -o pid= -p "$pid")" ]
	done
	run -1 pgrep -a -f -- "$root"
	[ ! -e "$GIT_SERVERS_PIDFILE" ]
	# and the servers of setup_file are untouched
	[ "$(ps -o comm= -p "$(awk 'NR == 1 { print $1 }' \
	    "$BATS_FILE_TMPDIR/git-servers.pids")")" = git-daemon ]
}
