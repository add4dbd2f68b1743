#!/usr/bin/env bats
# git-fetch against real servers: file://, git daemon, lighttpd +
# git-http-backend (basic auth, over http and https), and sshd with a
# deploy key. Started once for the file, stopped at its end.

load helpers
load servers/git-servers

# this machine's environment must not choose CAs or ssh for us
unset GIT_SSL_CAINFO GIT_SSL_CAPATH GIT_SSH GIT_SSH_COMMAND GIT_ASKPASS \
    SSH_ASKPASS SLUICE_GIT_PASSWORD

setup_file() {
	export SRV=$BATS_FILE_TMPDIR/srv
	mkdir -p "$SRV"
	start_git_daemon "$SRV"
	start_git_http "$SRV" gituser 'pa55-w0rd!'
	start_git_https "$SRV" gituser 'pa55-w0rd!'
	start_sshd "$SRV"
	export GITD_PORT HTTP_PORT HTTPS_PORT HTTPS_CA SSHD_PORT SSH_KEY \
	    SSH_KNOWN_HOSTS SSH_HOST_PUB
}

teardown_file() {
	stop_servers
}

setup() {
	STATE=$BATS_TEST_TMPDIR/state
}

# gf ARGS...: git-fetch with this test's state folder, branch main
gf() {
	git-fetch --state-dir "$STATE" --git-branch main "$@"
}

rev_field() {	# rev_field FIELD: a field of the revision record in $output
	lines_of_type revision | jq -r ".$1"
}

end_field() {
	lines_of_type end | jq -r ".$1"
}

server_head() {	# server_head NAME [REF]
	git --git-dir="$SRV/$1.git" rev-parse "${2:-main}"
}

# the whole life of a mirror over one transport: first clone, no-op,
# new commit, history rewritten by a force-push, branch deleted
lifecycle() {
	local name=$1 url=$2
	shift 2
	git_seed_repo "$SRV" "$name"

	run --separate-stderr -0 gf --source s --git-url "$url" "$@"
	[ "$(rev_field commit)" = "$(server_head "$name")" ]
	[ "$(rev_field synced)" = null ]
	[ "$(rev_field changed)" = null ]
	[ "$(rev_field gitDir)" = "$STATE/s/mirror.git" ]
	[ "$(end_field ok)" = true ]
	[ "$(end_field counts.fetched)" = 1 ]
	git --git-dir="$STATE/s/mirror.git" cat-file -e "$(server_head "$name")"

	# nothing new: no download at all
	run --separate-stderr -0 gf --source s --git-url "$url" "$@"
	[ "$(rev_field commit)" = "$(server_head "$name")" ]
	[ "$(end_field counts.fetched)" = 0 ]

	new=$(git_push_commit "$SRV" "$name" "second" apps/new.yaml "x: 1")
	run --separate-stderr -0 gf --source s --git-url "$url" "$@"
	[ "$(rev_field commit)" = "$new" ]
	[ "$(end_field counts.fetched)" = 1 ]

	rewritten=$(git_force_rewrite "$SRV" "$name")
	run --separate-stderr -0 gf --source s --git-url "$url" "$@"
	[ "$(rev_field commit)" = "$rewritten" ]

	git_create_branch "$SRV" "$name" feature >/dev/null
	run --separate-stderr -0 gf --source f --git-url "$url" \
	    --git-branch feature "$@"
	[ "$(rev_field branch)" = feature ]
	git_delete_branch "$SRV" "$name" feature
	run --separate-stderr -1 gf --source f --git-url "$url" \
	    --git-branch feature "$@"
	[ -z "$(lines_of_type revision)" ]
	lines_of_type error | jqe '.message | test("branch .feature. does not exist")'
	[ "$(end_field ok)" = false ]
}

# --- the standard cases -------------------------------------------------

@test "git-fetch: bad flags give 64" {
	run -64 git-fetch
	run -64 git-fetch --git-url file:///x --no-such-flag
	run -64 git-fetch --git-url file:///x --git-timeout 20
	run -64 git-fetch --git-url file:///x --git-verify-signatures-mode some
	run -64 git-fetch --git-url file:///x extra
}

@test "git-fetch: -h prints help on stdout and exits 0" {
	run -0 git-fetch -h
	[[ $output == usage:* ]]
}

@test "git-fetch: stdout to /dev/full gives 74" {
	git_seed_repo "$SRV" full
	run -74 bash -c 'git-fetch --state-dir "$1" --git-branch main \
	    --git-url "file://$2/full.git" >/dev/full' - "$STATE" "$SRV"
}

@test "git-fetch: an unreachable remote gives 75, with an error record" {
	port=$(free_port)
	run --separate-stderr -75 gf --git-url "git://127.0.0.1:$port/x.git"
	lines_of_type error | jqe '.message | test("cannot reach")'
	[ "$(end_field ok)" = false ]
}

@test "git-fetch: a server that never answers times out with 75" {
	port=$(free_port)
	# -k: keep listening, so the readiness probe does not use it up
	nc -lk 127.0.0.1 "$port" >/dev/null 3>&- &
	ncpid=$!
	wait_for "(exec 9<>/dev/tcp/127.0.0.1/$port)"
	SECONDS=0
	run --separate-stderr -75 gf --git-timeout 1s \
	    --git-url "http://127.0.0.1:$port/x.git"
	kill "$ncpid" 2>/dev/null || true
	[ "$SECONDS" -lt 10 ]
	lines_of_type error | jqe '.message | test("timed out")'
}

# --- transports -----------------------------------------------------------

@test "git-fetch: file:// clone, fetch, no-op, rewrite, deleted branch" {
	lifecycle viafile "file://$SRV/viafile.git"
}

@test "git-fetch: git daemon clone, fetch, no-op, rewrite, deleted branch" {
	lifecycle viagitd "git://127.0.0.1:$GITD_PORT/viagitd.git"
}

@test "git-fetch: smart HTTP with basic auth from a file" {
	printf 'pa55-w0rd!\n' >"$BATS_TEST_TMPDIR/pw"
	lifecycle viahttp "http://127.0.0.1:$HTTP_PORT/git/viahttp.git" \
	    --git-http-user gituser --git-http-password-file "$BATS_TEST_TMPDIR/pw"
}

@test "git-fetch: https verified against --git-ca-file, password from the environment" {
	SLUICE_GIT_PASSWORD='pa55-w0rd!' lifecycle viahttps \
	    "https://gituser@localhost:$HTTPS_PORT/git/viahttps.git" \
	    --git-ca-file "$HTTPS_CA"
}

@test "git-fetch: https with a CA that is not trusted gives 78" {
	git_seed_repo "$SRV" untrusted
	SLUICE_GIT_PASSWORD='pa55-w0rd!' run --separate-stderr -78 gf \
	    --git-url "https://gituser@localhost:$HTTPS_PORT/git/untrusted.git"
	lines_of_type error | jqe '.message | test("certificate|trusted")'
}

@test "git-fetch: ssh with a deploy key and a known host" {
	lifecycle viassh \
	    "ssh://$(id -un)@127.0.0.1:$SSHD_PORT$SRV/viassh.git" \
	    --git-ssh-key "$SSH_KEY" --git-known-hosts "$SSH_KNOWN_HOSTS"
}

# --- credentials and trust ---------------------------------------------

@test "git-fetch: a wrong password gives 78 and is never printed" {
	git_seed_repo "$SRV" wrongpw
	printf 'not-the-Secret-9\n' >"$BATS_TEST_TMPDIR/pw"
	run --separate-stderr -78 gf --git-http-user gituser \
	    --git-http-password-file "$BATS_TEST_TMPDIR/pw" \
	    --git-url "http://127.0.0.1:$HTTP_PORT/git/wrongpw.git"
	lines_of_type error | jqe '.message | test("authentication failed")'
	[[ $output$stderr != *not-the-Secret-9* ]]
	# no credentials at all
	run --separate-stderr -78 gf \
	    --git-url "http://127.0.0.1:$HTTP_PORT/git/wrongpw.git"
	lines_of_type error | jqe '.message | test("password")'
}

@test "git-fetch: a password in the URL works and appears nowhere" {
	git_seed_repo "$SRV" inurl
	run --separate-stderr -0 gf --source u \
	    --git-url "http://gituser:pa55-w0rd!@127.0.0.1:$HTTP_PORT/git/inurl.git"
	[ "$(rev_field url)" = "http://gituser@127.0.0.1:$HTTP_PORT/git/inurl.git" ]
	[[ $output$stderr != *pa55-w0rd* ]]
	! grep -rq 'pa55-w0rd' "$STATE"
}

@test "git-fetch: an unknown ssh host key is refused with how to add it" {
	git_seed_repo "$SRV" unknownhost
	: >"$BATS_TEST_TMPDIR/empty_known_hosts"
	run --separate-stderr -78 gf --git-ssh-key "$SSH_KEY" \
	    --git-known-hosts "$BATS_TEST_TMPDIR/empty_known_hosts" \
	    --git-url "ssh://$(id -un)@127.0.0.1:$SSHD_PORT$SRV/unknownhost.git"
	lines_of_type error | jqe '.message | test("ssh-ed25519") and
	    test("127.0.0.1.:'"$SSHD_PORT"'") and test("SHA256:") and
	    test("ssh-keyscan")'
	[ ! -e "$STATE/unknownhost/mirror.git/refs/heads/main" ]
}

@test "git-fetch: a changed ssh host key is refused" {
	git_seed_repo "$SRV" changedhost
	ssh_other_known_hosts "$BATS_TEST_TMPDIR/other_known_hosts"
	run --separate-stderr -78 gf --git-ssh-key "$SSH_KEY" \
	    --git-known-hosts "$BATS_TEST_TMPDIR/other_known_hosts" \
	    --git-url "ssh://$(id -un)@127.0.0.1:$SSHD_PORT$SRV/changedhost.git"
	lines_of_type error | jqe '.message | test("does not match")'
}

@test "git-fetch: a deploy key the server does not know gives 78" {
	git_seed_repo "$SRV" otherkey
	ssh-keygen -q -t ed25519 -N '' -f "$BATS_TEST_TMPDIR/stranger"
	run --separate-stderr -78 gf --git-ssh-key "$BATS_TEST_TMPDIR/stranger" \
	    --git-known-hosts "$SSH_KNOWN_HOSTS" \
	    --git-url "ssh://$(id -un)@127.0.0.1:$SSHD_PORT$SRV/otherkey.git"
	lines_of_type error | jqe '.message | test("authentication failed|refused")'
}

# --- paths, sync set -----------------------------------------------------

@test "git-fetch: a --git-path missing in the commit is an error record" {
	git_seed_repo "$SRV" paths
	run --separate-stderr -1 gf --git-url "file://$SRV/paths.git" \
	    --git-path apps --git-path nowhere
	[ "$(rev_field 'paths | join(",")')" = apps,nowhere ]
	lines_of_type error | jqe '.file == "nowhere" and
	    (.message | test("not found in commit"))'
	[ "$(end_field ok)" = false ]
}

# commit_all DIR: commit everything in the clone DIR and push it to main
commit_all() {
	git -C "$1" add -A &&
	    git -C "$1" -c user.name=t -c user.email=t@example.com \
	        commit -q -m change &&
	    git -C "$1" push -q origin HEAD:main
}

@test "git-fetch: changed names each file once, in path order, under the paths" {
	local w=$BATS_TEST_TMPDIR/w url="file://$SRV/changes.git" f
	git_seed_repo "$SRV" changes
	git clone -q "$SRV/changes.git" "$w"
	mkdir "$w/apps/web"
	for f in a a-b a.yaml a0 app.yaml apps/web/d.yaml apps/x.yaml; do
		echo 1 >"$w/$f"
	done
	commit_all "$w"
	run --separate-stderr -0 gf --git-readonly --git-url "$url"
	run --separate-stderr -0 gf --git-readonly --git-url "$url" \
	    --mark-synced "$(rev_field commit)"

	# a file becomes a folder; another a symlink (libgit2 named it twice)
	rm "$w/a" "$w/apps/x.yaml"
	mkdir "$w/a"
	for f in a/x a-b a.yaml a0 app.yaml apps/web/d.yaml; do
		echo 2 >"$w/$f"
	done
	ln -s ../a0 "$w/apps/x.yaml"
	commit_all "$w"
	run --separate-stderr -0 gf --git-readonly --git-url "$url"
	[ "$(rev_field 'changed | join(",")')" = \
	    a,a-b,a.yaml,a/x,a0,app.yaml,apps/web/d.yaml,apps/x.yaml ]
	run --separate-stderr -0 gf --git-readonly --git-url "$url" \
	    --git-path apps
	[ "$(rev_field 'changed | join(",")')" = apps/web/d.yaml,apps/x.yaml ]
	run --separate-stderr -0 gf --git-readonly --git-url "$url" \
	    --git-path app.yaml --git-path a
	[ "$(rev_field 'changed | join(",")')" = a,a/x,app.yaml ]
	# a glob is libgit2's to match (and no path git-fetch can find);
	# the symlink is named once there too
	run --separate-stderr -1 gf --git-readonly --git-url "$url" \
	    --git-path 'apps/web/*'
	[ "$(rev_field 'changed | join(",")')" = apps/web/d.yaml ]
	run --separate-stderr -1 gf --git-readonly --git-url "$url" \
	    --git-path 'apps/*'
	[ "$(rev_field 'changed | join(",")')" = apps/web/d.yaml,apps/x.yaml ]
}

@test "git-fetch: the sync-set name is Flux v1's for the same settings" {
	git_seed_repo "$SRV" syncset
	url="file://$SRV/syncset.git"
	run --separate-stderr -0 gf --git-url "$url" --git-path apps --git-path apps/
	# sha256 of URL, branch and the raw paths, base64url without padding
	want=$(printf '%s%s%s%s' "$url" main apps apps/ |
	    openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=')
	[ "$(rev_field syncSet)" = "$want" ]
}

# --- the sync tag -------------------------------------------------------

@test "git-fetch: --mark-synced moves and pushes the tag; changed files follow it" {
	git_seed_repo "$SRV" marks
	url="http://127.0.0.1:$HTTP_PORT/git/marks.git"
	printf 'pa55-w0rd!' >"$BATS_TEST_TMPDIR/pw"
	auth=(--git-http-user gituser --git-http-password-file "$BATS_TEST_TMPDIR/pw")
	run --separate-stderr -0 gf --git-url "$url" "${auth[@]}"
	first=$(rev_field commit)
	run --separate-stderr -0 gf --git-url "$url" "${auth[@]}" --mark-synced "$first"
	[ -z "$output" ]
	[ "$(server_head marks 'flux-sync^{commit}')" = "$first" ]
	git --git-dir="$SRV/marks.git" cat-file tag flux-sync | grep -qx 'Sync pointer'
	[ "$(git --git-dir="$SRV/marks.git" cat-file -t flux-sync)" = tag ]

	second=$(git_push_commit "$SRV" marks "two" apps/two.yaml "y: 2")
	run --separate-stderr -0 gf --git-url "$url" "${auth[@]}" --git-path apps
	[ "$(rev_field synced)" = "$first" ]
	[ "$(rev_field commit)" = "$second" ]
	[ "$(rev_field 'changed | join(",")')" = apps/two.yaml ]
	# moving it again, and to where it already is
	run --separate-stderr -0 gf --git-url "$url" "${auth[@]}" --mark-synced "$second"
	[ "$(server_head marks 'flux-sync^{commit}')" = "$second" ]
	run --separate-stderr -0 gf --git-url "$url" "${auth[@]}" --mark-synced "$second"
	[[ $stderr == *already* ]]
	# a name that is no commit
	run --separate-stderr -64 gf --git-url "$url" "${auth[@]}" --mark-synced nope
}

@test "git-fetch: a refused tag push is tried again next time, not taken as done" {
	# a non-bare repository over file://: libgit2 refuses to push to it
	mkdir "$BATS_TEST_TMPDIR/work"
	commit_dir "$BATS_TEST_TMPDIR/work" >/dev/null
	url="file://$BATS_TEST_TMPDIR/work"
	run --separate-stderr -0 gf --source t --git-url "$url"
	first=$(rev_field commit)
	run --separate-stderr -78 gf --source t --git-url "$url" --mark-synced "$first"
	[[ $stderr == *non-bare* ]]
	# the mirror's tag went back with the push: no false "already"
	[ -z "$(git --git-dir="$STATE/t/mirror.git" tag)" ]
	run --separate-stderr -78 gf --source t --git-url "$url" --mark-synced "$first"
	[[ $stderr != *already* ]]
	run --separate-stderr -0 gf --source t --git-url "$url"
	[ "$(rev_field synced)" = null ]
}

@test "git-fetch: --git-sync-tag names the tag" {
	git_seed_repo "$SRV" label
	url="git://127.0.0.1:$GITD_PORT/label.git"
	run --separate-stderr -0 gf --git-url "$url"
	run --separate-stderr -0 gf --git-url "$url" --git-sync-tag flux \
	    --mark-synced main
	[ "$(server_head label 'flux^{commit}')" = "$(server_head label)" ]
	run --separate-stderr -0 gf --git-url "$url" --git-sync-tag flux
	[ "$(rev_field synced)" = "$(server_head label)" ]
}

@test "git-fetch: read-only mode pushes nothing and keeps the mark locally" {
	git_seed_repo "$SRV" ro
	url="git://127.0.0.1:$GITD_PORT/ro.git"
	run --separate-stderr -0 gf --git-readonly --git-url "$url"
	first=$(rev_field commit)
	run --separate-stderr -0 gf --git-readonly --git-url "$url" --mark-synced "$first"
	! git --git-dir="$SRV/ro.git" rev-parse -q --verify refs/tags/flux-sync
	[ "$(cat "$STATE/ro/synced")" = "$first" ]
	git_push_commit "$SRV" ro "two" >/dev/null
	run --separate-stderr -0 gf --git-readonly --git-url "$url"
	[ "$(rev_field synced)" = "$first" ]
}

# --- recovery ---------------------------------------------------------------

@test "git-fetch: stale locks and a half-made clone are cleared" {
	git_seed_repo "$SRV" stale
	url="file://$SRV/stale.git"
	run --separate-stderr -0 gf --git-url "$url"
	touch "$STATE/stale/mirror.git/refs/heads/main.lock" \
	    "$STATE/stale/mirror.git/packed-refs.lock"
	mkdir -p "$STATE/stale/mirror.git.new/objects"
	new=$(git_push_commit "$SRV" stale "after the crash" apps/c.yaml "z: 1")
	run --separate-stderr -0 gf --git-url "$url"
	[ "$(rev_field commit)" = "$new" ]
	[ ! -e "$STATE/stale/mirror.git.new" ]
	[ ! -e "$STATE/stale/mirror.git/refs/heads/main.lock" ]
}

@test "git-fetch: a damaged mirror is cloned anew" {
	git_seed_repo "$SRV" damaged
	url="file://$SRV/damaged.git"
	run --separate-stderr -0 gf --git-url "$url"
	# lose every object: the branch's commit cannot be read any more
	find "$STATE/damaged/mirror.git/objects" -type f -delete
	run --separate-stderr -0 gf --git-url "$url"
	[ "$(rev_field commit)" = "$(server_head damaged)" ]
	[[ $stderr == *'cloning it anew'* ]]
	git --git-dir="$STATE/damaged/mirror.git" fsck --no-progress
}

@test "git-fetch: a fetch killed part way is followed by a good run" {
	git_seed_repo "$SRV" killed
	# enough data that the kill lands while it is working
	for i in 1 2 3; do
		head -c 3000000 /dev/urandom | base64 >"$BATS_TEST_TMPDIR/big$i"
		git_push_commit "$SRV" killed "big $i" "data/big$i" \
		    "$(cat "$BATS_TEST_TMPDIR/big$i")" >/dev/null
	done
	url="git://127.0.0.1:$GITD_PORT/killed.git"
	interrupted=0
	for delay in 0.05 0.1 0.2; do
		# git-fetch itself in the background, not a subshell: $! must
		# be the process that is killed
		git-fetch --state-dir "$STATE" --git-branch main \
		    --git-url "$url" >/dev/null 2>&1 3>&- &
		pid=$!
		sleep "$delay"
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		# killed during the first clone: only the half-made one exists
		if [ -e "$STATE/killed/mirror.git.new" ] &&
		    [ ! -e "$STATE/killed/mirror.git" ]; then
			interrupted=$((interrupted + 1))
		fi
		run --separate-stderr -0 gf --git-url "$url"
		[ "$(rev_field commit)" = "$(server_head killed)" ]
		git --git-dir="$STATE/killed/mirror.git" fsck --no-progress
		rm -rf "$STATE"
	done
	# the test means something only if a kill landed mid-fetch
	[ "$interrupted" -gt 0 ]
}

@test "git-fetch: a mirror in use by another run gives 75 at once" {
	git_seed_repo "$SRV" locked
	url="file://$SRV/locked.git"
	run --separate-stderr -0 gf --git-url "$url"
	flock "$STATE/locked/mirror.git.lock" sleep 5 3>&- &
	holder=$!
	sleep 0.2
	SECONDS=0
	run --separate-stderr -75 gf --git-url "$url"
	kill "$holder" 2>/dev/null || true
	[ "$SECONDS" -lt 3 ]
	[[ $stderr == *'another run holds'* ]]
}

@test "git-fetch: no worktree is written" {
	git_seed_repo "$SRV" noworktree
	run --separate-stderr -0 gf --git-url "file://$SRV/noworktree.git"
	[ -z "$(find "$STATE" -name '*.yaml')" ]
}

# --- mirror upkeep ----------------------------------------------------------

pack_count() {	# pack_count MIRROR: how many packs it holds
	local f n=0
	for f in "$1"/objects/pack/*.pack; do
		[ -e "$f" ] && n=$((n + 1))
	done
	printf '%s\n' "$n"
}

# queue_commits NAME N: N commits after main of $SRV/NAME.git, each adding
# a file of 200 random bytes (which do not compress), made at once by git
# fast-import; their ids go to $SRV/NAME.queued, and no ref names them
# (libgit2 fetches from a file:// URL whatever any ref reaches). After
# the first fetch: a first clone from a file:// URL copies every object.
queue_commits() {
	local i
	for i in $(seq "$2"); do
		printf 'commit refs/queued\nmark :%s\n' "$i"
		printf 'committer t <t@example.com> %s +0000\n' \
		    "$((1700000000 + i))"
		printf 'data <<EOF\ncommit %s\nEOF\n' "$i"
		if [ "$i" -eq 1 ]; then
			printf 'from refs/heads/main^0\n'
		else
			printf 'from :%s\n' "$((i - 1))"
		fi
		printf 'M 644 inline data/f%s\ndata <<EOF\n%s\nEOF\n\n' "$i" \
		    "$(head -c 200 /dev/urandom | base64 -w 0)"
	done | git --git-dir="$SRV/$1.git" fast-import --quiet \
	    --export-marks="$SRV/$1.queued"
	git --git-dir="$SRV/$1.git" update-ref -d refs/queued
}

# next_commit NAME I: move main of $SRV/NAME.git to the I-th queued
# commit; prints its id
next_commit() {
	local c
	c=$(sed -n "s/^:$2 //p" "$SRV/$1.queued")
	git --git-dir="$SRV/$1.git" update-ref refs/heads/main "$c"
	printf '%s\n' "$c"
}

# commit_and_fetch NAME URL I: the I-th queued commit, fetched by
# git-fetch, whose records are kept for usual_records. (Count in a
# variable other than i: bats 1.8's run with flags sets i.)
commit_and_fetch() {
	local c
	c=$(next_commit "$1" "$3")
	run --separate-stderr -0 gf --git-url "$2"
	keep_records "$c"
}

# fetch_until NAME URL PACKS: fetch queued commits one by one, each by
# its own git-fetch run, until the mirror holds PACKS packs; sets step to
# the last commit fetched. Quietly: the preparation of a test.
fetch_until() {
	while [ "$(pack_count "$STATE/$1/mirror.git")" -lt "$3" ]; do
		step=$((step + 1))
		next_commit "$1" "$step" >/dev/null || return 1
		gf --git-url "$2" >/dev/null 2>&1 || return 1
	done
}

keep_records() {	# keep_records COMMIT: $output, a fetch of COMMIT
	[ "${#lines[@]}" -eq 2 ]
	printf '%s\n' "$output" >>"$BATS_TEST_TMPDIR/records"
	printf '%s\n' "$1" >>"$BATS_TEST_TMPDIR/commits"
}

# usual_records: the records kept are, for each fetch, those of a fetch of
# its commit, as without any upkeep. One jq for them all: jq 1.6 takes
# tens of milliseconds to start, and a test fetches some 50 times.
usual_records() {
	jq -n -e --rawfile c "$BATS_TEST_TMPDIR/commits" '
	    [inputs] as $r | [$c | splits("\n") | select(. != "")] as $c |
	    ($r | length) == 2 * ($c | length) and
	    all(range($c | length); . as $i | $r[2 * $i] as $rev |
	        $r[2 * $i + 1] as $last | $rev.type == "revision" and
	        $rev.commit == $c[$i] and $rev.branch == "main" and
	        $last.type == "end" and $last.ok and $last.commit == $c[$i] and
	        $last.counts.fetched == 1)' "$BATS_TEST_TMPDIR/records" \
	    >/dev/null
}

# the mirror is whole, and has the server's branch and tags
mirror_is_whole() {	# mirror_is_whole NAME MIRROR
	git -C "$2" fsck --full --no-progress
	git -C "$2" rev-list --objects main >/dev/null
	[ "$(git -C "$2" for-each-ref refs/heads refs/tags)" = \
	    "$(git -C "$SRV/$1.git" for-each-ref refs/heads refs/tags)" ]
}

@test "git-fetch: past 50 packs, the mirror's packs are consolidated" {
	git_seed_repo "$SRV" packs
	url="git://127.0.0.1:$GITD_PORT/packs.git"
	mirror=$STATE/packs/mirror.git
	run --separate-stderr -0 gf --git-url "$url"
	queue_commits packs 55
	most=0 times=0
	for step in $(seq 55); do
		commit_and_fetch packs "$url" "$step"
		[[ $stderr != *warning* ]]
		n=$(pack_count "$mirror")
		if [[ $stderr == *consolidated* ]]; then
			# every pack but the largest, into one
			[[ $stderr == *'consolidated 50 packs'* ]]
			[ "$n" -le 3 ]
			times=$((times + 1))
		else
			# no word of upkeep: the one "fetched" line
			[[ $stderr != *$'\n'* ]]
		fi
		if [ "$n" -gt "$most" ]; then most=$n; fi
	done
	# each fetch added a pack until there were 50; the next one
	# consolidated them, once
	[ "$most" -eq 50 ]
	[ "$times" -eq 1 ]
	[ "$(pack_count "$mirror")" -le 7 ]
	[ "$(git -C "$mirror" count-objects -v | sed -n 's/^count: //p')" = 0 ]
	mirror_is_whole packs "$mirror"
	[ "$(git -C "$mirror" rev-parse main)" = "$(server_head packs)" ]
	usual_records
	# and it is used as before
	run --separate-stderr -0 gf --git-url "$url"
	[ "$(end_field counts.fetched)" = 0 ]
	[ "$(rev_field commit)" = "$(server_head packs)" ]
}

@test "git-fetch: a pack with a .keep file is never consolidated" {
	git_seed_repo "$SRV" kept
	url="file://$SRV/kept.git"
	mirror=$STATE/kept/mirror.git
	run --separate-stderr -0 gf --git-url "$url"
	queue_commits kept 60
	step=0
	fetch_until kept "$url" 1
	kept=$(ls "$mirror"/objects/pack/*.pack)
	kept=${kept%.pack}
	touch "$kept.keep"
	cp "$kept.pack" "$BATS_TEST_TMPDIR/kept.pack"
	# 50 that count, and the kept one: the next fetch consolidates
	fetch_until kept "$url" 51
	commit_and_fetch kept "$url" "$((step + 1))"
	[[ $stderr == *'consolidated 50 packs'* ]]
	cmp "$kept.pack" "$BATS_TEST_TMPDIR/kept.pack"
	[ -e "$kept.idx" ]
	[ -e "$kept.keep" ]
	# the base, the new pack and the kept one
	[ "$(pack_count "$mirror")" -eq 3 ]
	mirror_is_whole kept "$mirror"
	usual_records
}

@test "git-fetch: a consolidation that cannot be written leaves every pack" {
	git_seed_repo "$SRV" nospace
	url="file://$SRV/nospace.git"
	mirror=$STATE/nospace/mirror.git
	run --separate-stderr -0 gf --git-url "$url"
	queue_commits nospace 55
	step=0
	fetch_until nospace "$url" 50
	ls "$mirror/objects/pack" >"$BATS_TEST_TMPDIR/before"
	step=$((step + 1))
	c=$(next_commit nospace "$step")
	# as on a full disk: the fetch's own pack fits in 8 KiB, the new
	# one of 50 packs of random bytes does not; with SIGXFSZ ignored,
	# write(2) fails (EFBIG) as it does with ENOSPC, for root too
	run --separate-stderr -0 bash -c 'trap "" XFSZ; ulimit -f 8
	    exec git-fetch "$@"' - --state-dir "$STATE" --git-branch main \
	    --git-url "$url"
	keep_records "$c"
	[[ $stderr == *'cannot consolidate'*'File too large'* ]]
	[[ $stderr != *consolidated* ]]
	# every old file is there, with the fetch's pack beside them, and
	# nothing half written
	ls "$mirror/objects/pack" >"$BATS_TEST_TMPDIR/after"
	(cd "$BATS_TEST_TMPDIR" && [ -z "$(comm -23 before after)" ])
	[ "$(pack_count "$mirror")" -eq 51 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/after")" -eq 102 ]
	mirror_is_whole nospace "$mirror"
	# with room again, the next fetch consolidates
	commit_and_fetch nospace "$url" "$((step + 1))"
	[[ $stderr == *consolidated* ]]
	[ "$(pack_count "$mirror")" -eq 2 ]
	mirror_is_whole nospace "$mirror"
	usual_records
}

# --- signatures -------------------------------------------------------------

# signed_commit NAME KEY MESSAGE: a commit signed by KEY (empty KEY:
# unsigned) on main of $SRV/NAME.git; prints its id
signed_commit() {
	local work=$SRV/.work/$1
	[ -d "$work" ] || git clone -q "$SRV/$1.git" "$work"
	git -C "$work" pull -q --ff-only origin main 2>/dev/null || true
	if [ -n "$2" ]; then
		git -C "$work" -c user.name=t -c user.email=t@example.com \
		    -c user.signingkey="$2" commit -q -S --allow-empty -m "$3"
	else
		git -C "$work" -c user.name=t -c user.email=t@example.com \
		    commit -q --allow-empty -m "$3"
	fi
	git -C "$work" push -q origin HEAD:main
	git -C "$work" rev-parse HEAD
}

@test "git-fetch: signatures: signed, unsigned, and signed by an unknown key" {
	export GNUPGHOME=$BATS_TEST_TMPDIR/gnupg
	mkdir -m 700 "$GNUPGHOME"
	trusted=$(make_gpg_key trusted)
	stranger=$(make_gpg_key stranger)
	git_seed_repo "$SRV" signed
	url="file://$SRV/signed.git"
	verify=(--git-verify-signatures-mode all
	    --git-gpg-key-import "$BATS_TEST_TMPDIR/trusted.asc")

	# first run: the head alone must be signed
	good=$(signed_commit signed "$trusted" "signed")
	run --separate-stderr -0 gf --git-url "$url" "${verify[@]}"
	[ "$(rev_field commit)" = "$good" ]
	run --separate-stderr -0 gf --git-url "$url" --mark-synced "$good"

	# an unsigned commit after it: the revision stays at the signed one
	unsigned=$(signed_commit signed "" "unsigned")
	run --separate-stderr -1 gf --git-url "$url" "${verify[@]}"
	[ "$(rev_field commit)" = "$good" ]
	lines_of_type error | jqe --arg c "$unsigned" '.commit == $c and
	    (.message | test("not signed"))' ||
	    lines_of_type error | jqe '.message | test("not signed")'
	[ "$(end_field ok)" = true ]

	# signed by a key nobody imported
	run --separate-stderr -0 gf --git-url "$url" --mark-synced "$unsigned"
	strange=$(signed_commit signed "$stranger" "by a stranger")
	run --separate-stderr -1 gf --git-url "$url" "${verify[@]}"
	[ "$(rev_field commit)" = "$unsigned" ]
	lines_of_type error | jqe '.message | test("unknown key")'

	# a good one after that is not enough: every commit must verify
	signed_commit signed "$trusted" "signed again" >/dev/null
	run --separate-stderr -1 gf --git-url "$url" "${verify[@]}"
	[ "$(rev_field commit)" = "$unsigned" ]
	[ -n "$strange" ]
	gpgconf --kill all 2>/dev/null || true
}

@test "git-fetch: signature checks need imported keys" {
	run --separate-stderr -78 gf --git-url "file://$SRV/x.git" \
	    --git-verify-signatures-mode all
}
